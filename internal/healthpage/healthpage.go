package healthpage

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// Write writes the page of members (gateway.MemberHealth values) and
// listeners (gateway.ListenerCertificate values) as of now. The page reads
// their fields by name.
func Write[M, L any](w io.Writer, members []M, listeners []L, now time.Time) error {
	return page.Execute(w, view[M, L]{Members: members, Listeners: listeners, Now: now})
}

// view is what the page shows.
type view[M, L any] struct {
	Members   []M
	Listeners []L
	Now       time.Time
}

// expiry words how long a certificate has left, and its class on the page.
type expiry struct {
	Text, Class string
}

func expiryOf(notAfter, now time.Time) expiry {
	left := notAfter.Sub(now)
	days := int(left.Hours() / 24)
	switch {
	case left <= 0:
		return expiry{"expired " + ago(-left), "alarm"}
	case left < 7*24*time.Hour:
		return expiry{"expires in " + within(left), "alarm"}
	case left < 30*24*time.Hour:
		return expiry{fmt.Sprintf("expires in %d days", days), "warning"}
	}
	return expiry{fmt.Sprintf("expires in %d days", days), "ok"}
}

func within(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func ago(d time.Duration) string { return within(d) + " ago" }

var page = template.Must(template.New("health").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) },
	"t": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 MST")
	},
	"expiry": expiryOf,
	"age": func(t, now time.Time) string {
		if t.IsZero() {
			return ""
		}
		return fmt.Sprintf("%.0f s ago", now.Sub(t).Seconds())
	},
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>e2etls backend health</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.Healthy{color:#070;font-weight:bold}.Unhealthy{color:#b00;font-weight:bold}.Unknown{color:#777}
.ok{color:#070}.warning{background:#fff3cd;color:#8a6100;font-weight:bold}.alarm{background:#f8d7da;color:#a00;font-weight:bold}
.reason{max-width:40em}.small{color:#666;font-size:90%}
</style></head>
<body><h1>Backend health</h1>
<p class="small">As of {{t .Now}}. Certificates are marked from 30 days before they expire, and in red from 7 days. The same as JSON: <a href="?format=json">?format=json</a>.</p>
<table><tr><th>Pool</th><th>Setting</th><th>Member</th><th>State</th><th>Reason</th><th>Probe</th><th>Last check</th><th>Latency</th><th>Certificate</th></tr>
{{$now := .Now}}{{range .Members}}<tr><td>{{.Pool}}</td><td>{{.Setting}}</td><td>{{.Member}}</td><td class="{{.State}}">{{.State}}</td>
<td class="reason">{{.Reason}}{{with .ReasonCode}}<br><span class="small">{{.}}</span>{{end}}</td><td>{{.Probe}}</td>
<td>{{t .LastCheck}}<br><span class="small">{{age .LastCheck $now}}</span></td><td>{{ms .Latency}}</td>
<td>{{with .Certificate}}{{$e := expiry .NotAfter $now}}{{if .Refused}}<span class="alarm">refused</span> {{end}}<span class="{{$e.Class}}">{{$e.Text}}</span><br>{{.Subject}}<br><span class="small">issued by {{.Issuer}}<br>not after {{t .NotAfter}}</span>{{else}}<span class="small">none seen yet</span>{{end}}</td></tr>
{{end}}</table>
<h2>Listener certificates</h2>
<table><tr><th>Listener</th><th>Certificate</th><th>Subject</th><th>Expiry</th></tr>
{{range .Listeners}}{{$e := expiry .NotAfter $now}}<tr><td>{{.Listener}}</td><td>{{.Certificate}}</td><td>{{.Subject}}<br><span class="small">issued by {{.Issuer}}</span></td>
<td><span class="{{$e.Class}}">{{$e.Text}}</span><br><span class="small">not after {{t .NotAfter}}</span></td></tr>
{{end}}</table></body></html>
`))
