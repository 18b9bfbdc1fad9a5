package server

import (
	"io"
	"sync/atomic"
)

// countingReader and countingWriter keep INFO's total_net_input_bytes / output_bytes.
// countingReader also runs before (the reply flush) each time the reader needs more input.
// pending holds what was read while the client was parked in a blocking command (already
// counted); it is returned before anything else.
type countingReader struct {
	r       io.Reader
	n       *atomic.Uint64
	before  func() error
	pending []byte
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil
		}
		return n, nil
	}
	if err := c.before(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n.Add(uint64(n))
	return n, err
}

type countingWriter struct {
	w io.Writer
	n *atomic.Uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(uint64(n))
	return n, err
}
