package rawconn

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// Conn reads and writes a plain TCP connection with raw system calls, waiting through Go's
// netpoller only when the socket is not ready (EAGAIN).
//
// Unlike a net.Conn, a Conn takes one reader and one writer at a time, not several of either.
type Conn struct {
	rc syscall.RawConn
	// One goroutine may write while another reads, so each direction has its own call state.
	r, w rawCall
}

// rawCall is the state of one direction's call in progress, and the function handed to
// syscall.RawConn for it (made once: a method value allocates).
type rawCall struct {
	p   []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}

// New returns raw I/O for conn, or nil when conn is not a plain TCP connection.
func New(conn net.Conn) *Conn {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &Conn{rc: rc}
	r.r.fn = r.r.read
	r.w.fn = r.w.write
	return r
}

// read is one attempt to read into r.p; false means "not ready, wait".
func (r *rawCall) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(r.p))), uintptr(len(r.p)))
		switch e {
		case 0:
			r.n = int(n)
			if n == 0 && len(r.p) > 0 {
				r.err = io.EOF
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.err = e
		return true
	}
}

// write writes as much of r.p as the socket takes; false means "full, wait".
func (r *rawCall) write(fd uintptr) bool {
	for r.n < len(r.p) {
		rest := r.p[r.n:]
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(rest))), uintptr(len(rest)))
		switch e {
		case 0:
			r.n += int(n)
			continue
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.err = e
		return true
	}
	return true
}

// Read reads into p like net.Conn's Read (deadlines set on the connection apply).
func (r *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.r.p = p
	return r.r.done(r.rc.Read(r.r.fn))
}

// Write writes all of p like net.Conn's Write.
func (r *Conn) Write(p []byte) (int, error) {
	r.w.p = p
	return r.w.done(r.rc.Write(r.w.fn))
}

// done ends a call: err is the poller's (closed, deadline), c.err the system call's.
func (c *rawCall) done(err error) (int, error) {
	n := c.n
	if err == nil {
		err = c.err
	}
	c.p, c.n, c.err = nil, 0, nil
	return n, err
}
