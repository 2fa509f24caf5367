//go:build unix

package gateway_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the test process has used so
// far, for benchmarks that report CPU per request: a measure that other
// processes on a shared machine disturb less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
