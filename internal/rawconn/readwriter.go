package rawconn

import (
	"io"
	"net"
)

// ReadWriter returns raw I/O for conn when it has some (New), else conn itself. Deadlines and
// Close still go to conn.
func ReadWriter(conn net.Conn) io.ReadWriter {
	if c := New(conn); c != nil {
		return c
	}
	return conn
}
