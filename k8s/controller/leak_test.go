package controller

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// checkLeaks fails the test if goroutines running e2etls code (the
// controller, the gateway, the test backends) outlive the replicas, after
// a grace period of 5 s. The API server harness's process waiters are left
// out: they end with the control plane, after this check.
func checkLeaks(t *testing.T) {
	t.Helper()
	var leaked []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		leaked = leaked[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for i, g := range strings.Split(string(buf), "\n\n") {
			if i == 0 { // this goroutine
				continue
			}
			if strings.Contains(g, "github.com/e2etls/e2etls/") && !strings.Contains(g, "internal/apiservertest") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return
		}
	}
	t.Errorf("%d goroutines outlived the replicas:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
}
