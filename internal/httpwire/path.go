package httpwire

import "strings"

// CleanPath resolves the dot segments of a decoded URL path (RFC 3986
// section 5.2.4), keeping a trailing slash and repeated slashes. The
// gateway routes and forwards the cleaned path, so "/images/../admin" is
// matched, and sent, as "/admin": a path rule can never be escaped with dot
// segments, whether plain or percent-encoded ("%2e%2e" is decoded first).
func CleanPath(p string) string {
	if !strings.Contains(p, "/.") {
		return p
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	c := strings.Join(out, "/")
	if !strings.HasPrefix(c, "/") {
		c = "/" + c
	}
	return c
}
