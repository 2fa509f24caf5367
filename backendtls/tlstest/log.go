package tlstest

import (
	"io"
	"log"
)

// discardLogger silences the HTTP server's error log: tests provoke failed
// handshakes and closed connections on purpose.
func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
