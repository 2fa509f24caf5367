//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package gateway

import (
	"errors"
	"net"
)

// listen binds a TCP listener on addr; SO_REUSEPORT is unix only.
func listen(reuse bool, addr string) (net.Listener, error) {
	if reuse {
		return nil, errors.New("reusePort: SO_REUSEPORT is not available on this system")
	}
	return net.Listen("tcp", addr)
}
