package probe_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/e2etls/e2etls/probe"
)

func TestDefault(t *testing.T) {
	want := probe.Spec{
		Scheme:             "https",
		Path:               "/",
		Interval:           30 * time.Second,
		Timeout:            30 * time.Second,
		UnhealthyThreshold: 3,
		StatusCodes:        []probe.StatusRange{{Min: 200, Max: 399}},
	}
	if got := probe.Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Default() = %+v, want %+v", got, want)
	}
	must(t, probe.Default().Validate())
	// Default returns a fresh value each time.
	d := probe.Default()
	d.StatusCodes[0].Max = 204
	equal(t, "Default().StatusCodes[0].Max", probe.Default().StatusCodes[0].Max, 399)
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec probe.Spec
		want string // "" for valid
	}{
		{name: "zero", spec: probe.Spec{}},
		{
			name: "everything set",
			spec: probe.Spec{
				Scheme: "http", Host: "api.contoso.com:8443", Path: "/health?deep=1", Port: 65535,
				Interval: 24 * time.Hour, Timeout: time.Millisecond, UnhealthyThreshold: 20,
				StatusCodes: []probe.StatusRange{{Min: 100, Max: 599}}, Body: strings.Repeat("é", 4090),
			},
		},
		{name: "IPv6 host", spec: probe.Spec{Host: "[2001:db8::1]:443"}},
		{name: "scheme", spec: probe.Spec{Scheme: "HTTPS"}, want: `probe: Scheme "HTTPS" is not "http" or "https"`},
		{name: "host", spec: probe.Spec{Host: "api contoso"}, want: `probe: Host "api contoso" is not a valid Host header`},
		{name: "host with a path", spec: probe.Spec{Host: "a/b"}, want: `probe: Host "a/b" is not a valid Host header`},
		{name: "relative path", spec: probe.Spec{Path: "health"}, want: `probe: Path "health" does not start with "/"`},
		{name: "path with a space", spec: probe.Spec{Path: "/a b"}, want: `probe: Path "/a b" has the invalid character ' ' at offset 2`},
		{name: "path with a fragment", spec: probe.Spec{Path: "/a#b"}, want: `probe: Path "/a#b" has the invalid character '#' at offset 2`},
		{name: "port high", spec: probe.Spec{Port: 65536}, want: "probe: Port 65536 is out of range 1..65535 (0 means the target's port)"},
		{name: "port negative", spec: probe.Spec{Port: -1}, want: "probe: Port -1 is out of range 1..65535 (0 means the target's port)"},
		{name: "interval negative", spec: probe.Spec{Interval: -time.Second}, want: "probe: Interval -1s is negative (0 means 30s)"},
		{name: "timeout too long", spec: probe.Spec{Timeout: 25 * time.Hour}, want: "probe: Timeout 25h0m0s is longer than 24h0m0s"},
		{name: "threshold", spec: probe.Spec{UnhealthyThreshold: 21}, want: "probe: UnhealthyThreshold 21 is out of range 1..20 (0 means 3)"},
		{name: "status out of range", spec: probe.Spec{StatusCodes: []probe.StatusRange{{Min: 200, Max: 399}, {Min: 99, Max: 200}}}, want: "probe: StatusCodes[1] 99-200: 99 is out of range 100-599"},
		{name: "status reversed", spec: probe.Spec{StatusCodes: []probe.StatusRange{{Min: 399, Max: 200}}}, want: "probe: StatusCodes[0] 399-200: 399 is greater than 200"},
		{name: "body too long", spec: probe.Spec{Body: strings.Repeat("é", 4091)}, want: "probe: Body is 4091 characters long; at most 4090 are allowed"},
		{
			name: "every problem at once",
			spec: probe.Spec{Scheme: "ftp", Path: "x", Port: 70000, Interval: -1, UnhealthyThreshold: -1},
			want: `probe: Scheme "ftp" is not "http" or "https"` + "\n" +
				`probe: Path "x" does not start with "/"` + "\n" +
				"probe: Port 70000 is out of range 1..65535 (0 means the target's port)\n" +
				"probe: Interval -1ns is negative (0 means 30s)\n" +
				"probe: UnhealthyThreshold -1 is out of range 1..20 (0 means 3)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.want == "" {
				must(t, err)
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			equal(t, "Validate()", err.Error(), tt.want)
		})
	}
}
