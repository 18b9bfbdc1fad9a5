package testserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// DefaultTimeout bounds each read and write of a Conn, so that a server that does not answer fails
// the test instead of hanging it.
const DefaultTimeout = 10 * time.Second

// Conn is a raw RESP connection to a Server. Its methods that do not return an error fail the test
// on I/O errors, and must be called from the test's goroutine.
type Conn struct {
	t       testing.TB
	srv     *Server
	nc      net.Conn
	r       *bufio.Reader
	wbuf    []byte
	Timeout time.Duration
	// Proto is the protocol version negotiated by Hello3/Hello2 (2 until then).
	Proto int
}

// Dial opens a raw connection to the server; it is closed when the test ends.
func (s *Server) Dial(t testing.TB) *Conn {
	t.Helper()
	c, err := s.DialErr(t)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Name(), err)
	}
	return c
}

// DialErr is Dial returning the error instead of failing the test.
func (s *Server) DialErr(t testing.TB) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", s.Addr(), DefaultTimeout)
	if err != nil {
		return nil, err
	}
	c := &Conn{t: t, srv: s, nc: nc, r: bufio.NewReaderSize(nc, 64<<10), Timeout: DefaultTimeout, Proto: 2}
	t.Cleanup(func() { nc.Close() })
	return c, nil
}

// Server returns the server the connection belongs to.
func (c *Conn) Server() *Server { return c.srv }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Do sends one command and returns the exact bytes of its reply.
func (c *Conn) Do(args ...string) []byte {
	c.t.Helper()
	rep, err := c.DoErr(args...)
	if err != nil {
		c.fatal(err, "%q", args)
	}
	return rep
}

// DoErr is Do returning I/O and protocol errors.
func (c *Conn) DoErr(args ...string) ([]byte, error) {
	if err := c.SendErr(args...); err != nil {
		return nil, err
	}
	return c.ReadRawErr()
}

// Send writes one command without reading its reply (for pipelining and pub/sub).
func (c *Conn) Send(args ...string) {
	c.t.Helper()
	if err := c.SendErr(args...); err != nil {
		c.fatal(err, "send %q", args)
	}
}

// SendErr is Send returning the error.
func (c *Conn) SendErr(args ...string) error {
	c.wbuf = appendCommand(c.wbuf[:0], args...)
	return c.WriteRawErr(c.wbuf)
}

// WriteRaw writes bytes as they are (inline commands, malformed input, pipelines).
func (c *Conn) WriteRaw(p []byte) {
	c.t.Helper()
	if err := c.WriteRawErr(p); err != nil {
		c.fatal(err, "write %q", p)
	}
}

// WriteRawErr is WriteRaw returning the error.
func (c *Conn) WriteRawErr(p []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(c.Timeout))
	_, err := c.nc.Write(p)
	return err
}

// ReadRaw reads the exact bytes of the next reply.
func (c *Conn) ReadRaw() []byte {
	c.t.Helper()
	rep, err := c.ReadRawErr()
	if err != nil {
		c.fatal(err, "read")
	}
	return rep
}

// ReadRawErr is ReadRaw returning the error.
func (c *Conn) ReadRawErr() ([]byte, error) {
	return c.ReadRawTimeout(c.Timeout)
}

// ReadRawTimeout reads the next reply, waiting at most d.
func (c *Conn) ReadRawTimeout(d time.Duration) ([]byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	return readRawReply(c.r)
}

// Read reads and parses the next reply.
func (c *Conn) Read() *Reply {
	c.t.Helper()
	raw := c.ReadRaw()
	rep, err := ParseReply(raw)
	if err != nil {
		c.fatal(err, "parse %q", raw)
	}
	return rep
}

// DoReply sends one command and returns its parsed reply.
func (c *Conn) DoReply(args ...string) *Reply {
	c.t.Helper()
	c.Send(args...)
	return c.Read()
}

// Pending reports whether reply bytes are already buffered or arrive within d.
func (c *Conn) Pending(d time.Duration) bool {
	if c.r.Buffered() > 0 {
		return true
	}
	c.nc.SetReadDeadline(time.Now().Add(d))
	_, err := c.r.Peek(1)
	return err == nil
}

// ReadAll reads whatever the server sends until it closes the connection or is silent for idle,
// and reports whether the connection was closed by the server.
func (c *Conn) ReadAll(idle time.Duration) (data []byte, closed bool) {
	buf := make([]byte, 4096)
	for {
		c.nc.SetReadDeadline(time.Now().Add(idle))
		n, err := c.r.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return data, false
			}
			return data, errors.Is(err, io.EOF) || isConnReset(err)
		}
	}
}

func isConnReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || errors.Is(err, os.ErrClosed))
}

// Hello3 switches the connection to RESP3 and returns the raw HELLO reply.
func (c *Conn) Hello3() []byte {
	c.t.Helper()
	rep := c.Do("HELLO", "3")
	if len(rep) > 0 && rep[0] == '%' {
		c.Proto = 3
	}
	return rep
}

// Hello2 switches the connection (back) to RESP2 and returns the raw HELLO reply.
func (c *Conn) Hello2() []byte {
	c.t.Helper()
	rep := c.Do("HELLO", "2")
	if len(rep) > 0 && rep[0] == '*' {
		c.Proto = 2
	}
	return rep
}

// Auth sends AUTH with the server's --requirepass password (or pw) and fails unless it is +OK.
func (c *Conn) Auth(pw string) {
	c.t.Helper()
	if rep := c.Do("AUTH", pw); string(rep) != "+OK\r\n" {
		c.t.Fatalf("AUTH on %s: %s", c.srv.Name(), Quote(rep))
	}
}

func (c *Conn) fatal(err error, format string, args ...any) {
	c.t.Helper()
	what := ""
	if format != "" {
		what = " (" + sprintf(format, args...) + ")"
	}
	exited := ""
	if c.srv.Exited() {
		exited = " — the server process has exited"
	}
	c.t.Fatalf("%s: %v%s%s", c.srv.Name(), err, what, exited)
}
