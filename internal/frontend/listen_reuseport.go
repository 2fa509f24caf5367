//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package frontend

import (
	"context"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// Listen binds a TCP listener on addr, with SO_REUSEPORT if reuse is set.
func Listen(reuse bool, addr string) (net.Listener, error) {
	if !reuse {
		return net.Listen("tcp", addr)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		if serr != nil {
			return &net.OpError{Op: "setsockopt SO_REUSEPORT", Net: "tcp", Err: serr}
		}
		return nil
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}
