//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package frontend

import (
	"errors"
	"net"
)

// Listen binds a TCP listener on addr; SO_REUSEPORT is unix only.
func Listen(reuse bool, addr string) (net.Listener, error) {
	if reuse {
		return nil, errors.New("reusePort: SO_REUSEPORT is not available on this system")
	}
	return net.Listen("tcp", addr)
}
