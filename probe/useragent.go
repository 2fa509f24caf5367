package probe

import (
	"runtime/debug"
	"sync"
)

// modulePath is the module this package belongs to.
const modulePath = "github.com/e2etls/e2etls"

// UserAgent returns the User-Agent header every probe sends, so that a
// backend can tell probes from traffic (in its access log, or to answer
// them apart): "e2etls-probe/" followed by the version of the e2etls
// module built into the program, such as "e2etls-probe/v1.4.0", or
// "e2etls-probe/devel" when the build records none (go run, go test, a
// replace directive).
func UserAgent() string { return userAgent() }

var userAgent = sync.OnceValue(func() string {
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		mods := append([]*debug.Module{&bi.Main}, bi.Deps...)
		for _, m := range mods {
			if m.Path == modulePath {
				if m.Replace == nil && m.Version != "" && m.Version != "(devel)" {
					v = m.Version
				}
				break
			}
		}
	}
	return "e2etls-probe/" + v
})
