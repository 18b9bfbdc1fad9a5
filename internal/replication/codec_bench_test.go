package replication

import (
	"bytes"
	"testing"

	"github.com/concord-db/concord/internal/peerwire"
)

// BenchmarkFrameCompression compares the compression levels a link can use (0 none, 1 S2, 2
// and 9 zstd) on the Data frames of the issue 4 workload (SETs of 16-byte values over 200,000
// keys, 255 records a frame, about what a busy link sends): encoding one frame (compression,
// framing, CRC) as the sending member does once for all its peers, and reading it back as each
// receiving member does. ratio is the payload's size over the frame's.
func BenchmarkFrameCompression(b *testing.B) {
	frames := setFrames(b, 20000, 200000, 255)
	for _, c := range []struct {
		name  string
		level int
	}{{"none", 0}, {"s2", 1}, {"zstd2", 2}, {"zstd9", 9}} {
		w := peerwire.NewWriter(&bytes.Buffer{}, false)
		w.SetCompression(c.level)
		raw, wire := 0, 0
		encoded := make([][]byte, len(frames))
		for i, f := range frames {
			enc, err := w.Encode(nil, peerwire.Data, f)
			if err != nil {
				b.Fatal(err)
			}
			encoded[i] = enc
			raw, wire = raw+len(f), wire+len(enc)
		}
		b.Run(c.name+"/encode", func(b *testing.B) {
			var dst []byte
			for i := 0; i < b.N; i++ {
				dst, _ = w.Encode(dst[:0], peerwire.Data, frames[i%len(frames)])
			}
			b.ReportMetric(float64(raw)/float64(wire), "ratio")
		})
		b.Run(c.name+"/read", func(b *testing.B) {
			var stream bytes.Reader
			r := peerwire.NewReader(&stream)
			for i := 0; i < b.N; i++ {
				stream.Reset(encoded[i%len(encoded)])
				if _, err := r.Read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
