package wanproxy

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"
)

const (
	// readSize is the most one read takes from a socket; each read becomes one delayed chunk.
	readSize = 32 << 10
	// queueChunks bounds the chunks held per direction (at most queueChunks*readSize bytes).
	// Past it the reader stops reading and TCP back-pressure holds the rest in the kernel, so
	// a long pause never grows the proxy's memory without bound and never loses bytes.
	queueChunks = 64
)

// chunk is bytes read from one side, to be written to the other side at due. A chunk with
// eof set carries no data: the source side finished sending.
type chunk struct {
	data []byte
	due  time.Time
	eof  bool
}

// pipe forwards one direction of a connection: read forever from src, deliver to dst after
// the gate's delay and while the gate is open.
type pipe struct {
	src, dst net.Conn
	gate     *gate
	done     <-chan struct{} // closed when the connection is torn down
	queue    chan chunk
	bytes    *atomic.Uint64 // bytes delivered to dst
}

func newPipe(src, dst net.Conn, g *gate, done <-chan struct{}, bytes *atomic.Uint64) *pipe {
	return &pipe{src: src, dst: dst, gate: g, done: done, queue: make(chan chunk, queueChunks), bytes: bytes}
}

// read reads src into timestamped chunks until src ends or fails. It returns nil when src
// ended cleanly (the EOF was queued for the writer).
func (p *pipe) read() error {
	var last time.Time
	buf := make([]byte, readSize)
	for {
		n, err := p.src.Read(buf)
		if n > 0 {
			due := time.Now().Add(p.gate.delay())
			// Jitter must not reorder a byte stream: a chunk is never due before the previous.
			if due.Before(last) {
				due = last
			}
			last = due
			if !p.send(chunk{data: append([]byte(nil), buf[:n]...), due: due}) {
				return errClosed
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if !p.send(chunk{eof: true, due: last}) {
					return errClosed
				}
				return nil
			}
			return err
		}
	}
}

func (p *pipe) send(c chunk) bool {
	select {
	case p.queue <- c:
		return true
	case <-p.done:
		return false
	}
}

// write delivers queued chunks to dst when they are due and the link is not paused. It
// returns nil after forwarding the source's EOF as a half-close of dst.
func (p *pipe) write() error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		var c chunk
		select {
		case c = <-p.queue:
		case <-p.done:
			return errClosed
		}
		if wait := time.Until(c.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-p.done:
				return errClosed
			}
		}
		if !p.gate.hold(p.done) {
			return errClosed
		}
		if c.eof {
			if cw, ok := p.dst.(interface{ CloseWrite() error }); ok {
				return cw.CloseWrite()
			}
			return nil
		}
		n, err := p.dst.Write(c.data)
		p.bytes.Add(uint64(n))
		if err != nil {
			return err
		}
	}
}

// errClosed ends a pipe whose connection was torn down (Cut, Close, or the other direction
// failed).
var errClosed = errors.New("wanproxy: connection closed")
