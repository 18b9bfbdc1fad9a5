package server

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// rawIO reads and writes a plain TCP connection with raw system calls, waiting through Go's
// netpoller only when the socket is not ready (EAGAIN).
//
// Why: net.Conn's Read and Write enter the scheduler's syscall state around every read(2) and
// write(2). With io-threads 1 (GOMAXPROCS=1) the runtime's sysmon thread then takes the only P
// away from any read or write it sees in progress on two of its ticks in a row (at least 20 µs,
// which a loopback write that wakes the peer, or a vCPU preempted by the host, easily lasts),
// hands it to another thread, and keeps polling every 20 µs because it found work. Measured at
// -P 16 that made ~10 % of the server's CPU time sysmon sleeps and thread switches. A raw call
// on a non-blocking socket never blocks, so keeping the P through it is what Redis's
// single-threaded event loop does too.
//
// Unlike a net.Conn, a rawIO takes one reader and one writer at a time, not several of either:
// the connection goroutine reads, and either it or (once the client subscribes) the pusher
// goroutine writes, never both (Server.flush).
type rawIO struct {
	rc syscall.RawConn
	// A subscribed client's pusher goroutine writes while the connection goroutine reads, so
	// each direction has its own call state.
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

// newRawIO returns raw I/O for conn, or nil when conn is not a plain TCP connection.
func newRawIO(conn net.Conn) *rawIO {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawIO{rc: rc}
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
func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.r.p = p
	return r.r.done(r.rc.Read(r.r.fn))
}

// Write writes all of p like net.Conn's Write.
func (r *rawIO) Write(p []byte) (int, error) {
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
