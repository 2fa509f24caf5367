//go:build !unix

package gateway_test

import "time"

// cpuTime is not measured here: benchmarks report 0 CPU per request.
func cpuTime() time.Duration { return 0 }
