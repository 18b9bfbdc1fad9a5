//go:build !linux

package rawconn

import "net"

// Conn is the Linux-only raw socket I/O of rawconn_linux.go; elsewhere connections use
// net.Conn.
type Conn struct{}

// New returns nil: raw I/O exists on Linux only.
func New(net.Conn) *Conn { return nil }

func (*Conn) Read([]byte) (int, error)  { panic("unreachable") }
func (*Conn) Write([]byte) (int, error) { panic("unreachable") }
