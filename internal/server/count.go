package server

import (
	"io"
	"sync/atomic"
)

// countingReader and countingWriter keep INFO's total_net_input_bytes / output_bytes.
// countingReader also runs before (the reply flush) each time the reader needs more input.
type countingReader struct {
	r      io.Reader
	n      *atomic.Uint64
	before func() error
}

func (c *countingReader) Read(p []byte) (int, error) {
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
