package peerwire

import (
	"bufio"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// CompressMin is the payload size from which Writer compresses: below it the frame overhead
// of compression outweighs the gain.
const CompressMin = 512

// Writer writes frames to a buffered stream. It is used by one goroutine at a time.
type Writer struct {
	w     *bufio.Writer
	enc   *zstd.Encoder // levels 2 and up
	level int           // compression level (SetCompression), 0 when not compressing
	buf   []byte
	zbuf  []byte
	Bytes *atomic.Uint64 // bytes written, if set
	// Raw and Wire count payload bytes before and after compression (Data frames), if set.
	Raw, Wire *atomic.Uint64
}

// NewWriter returns a Writer on w; compress enables compression level 1 (S2) for payloads of
// CompressMin bytes or more (kept only when smaller).
func NewWriter(w io.Writer, compress bool) *Writer {
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10)}
	if compress {
		// The fastest level: links stream continuously and latency matters more than ratio.
		wr.SetCompression(1)
	}
	return wr
}

// SetCompression sets the compression of the frames written from now on: level 0 none, level
// 1 S2 (the fastest: on frames of SET batches, zstd's fastest level cost 0.1 µs of CPU or more
// per batch to compress on the sending member and about 0.08 to decompress on each receiving
// one, S2 a quarter to a third of that, for frames 2.9 times smaller instead of 6.7), levels 2..22
// zstd at that level (mapped onto the encoder's speed classes: 2–5 default, 6–9 better, 10+
// best), for links where bytes cost more than CPU. A reader needs no notice (each frame says
// how it is compressed).
func (w *Writer) SetCompression(level int) {
	if level == w.level {
		return
	}
	if w.enc != nil {
		w.enc.Close()
		w.enc = nil
	}
	w.level = level
	if level > 1 {
		w.enc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
			zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	}
}

// Write buffers one frame (payload at most MaxFrame bytes).
func (w *Writer) Write(t Type, payload []byte) error {
	var err error
	w.buf, err = w.Encode(w.buf[:0], t, payload)
	if err != nil {
		return err
	}
	return w.WriteEncoded(w.buf, len(payload))
}

// Encode appends to dst the frame Write would send for payload (compressed as this Writer
// compresses) without writing it: a frame encoded once can be written by several Writers
// (WriteEncoded), which is how one member's batches are compressed once for all its peers.
func (w *Writer) Encode(dst []byte, t Type, payload []byte) ([]byte, error) {
	if len(payload) > MaxFrame {
		return dst, fmt.Errorf("peerwire: %s payload of %d bytes exceeds the frame limit", t, len(payload))
	}
	var flags uint8
	if w.level > 0 && len(payload) >= CompressMin {
		flag := uint8(FlagZstd)
		if w.enc != nil {
			w.zbuf = w.enc.EncodeAll(payload, w.zbuf[:0])
		} else {
			w.zbuf, flag = s2.Encode(w.zbuf[:cap(w.zbuf)], payload), FlagS2
		}
		if len(w.zbuf) < len(payload) {
			payload, flags = w.zbuf, flag
		}
	}
	return AppendFrame(dst, t, flags, payload), nil
}

// WriteEncoded buffers a frame made by Encode (by this Writer or another); raw is the length
// of its payload before compression (counted in Raw for Data frames).
func (w *Writer) WriteEncoded(frame []byte, raw int) error {
	if w.Bytes != nil {
		w.Bytes.Add(uint64(len(frame)))
	}
	if w.Raw != nil && len(frame) >= HeaderLen && Type(frame[0]) == Data {
		w.Raw.Add(uint64(raw))
		w.Wire.Add(uint64(len(frame) - HeaderLen - TrailerLen))
	}
	_, err := w.w.Write(frame)
	return err
}

// Buffered is the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return w.w.Buffered() }

// Flush sends the buffered frames.
func (w *Writer) Flush() error { return w.w.Flush() }

// Close releases the compressor.
func (w *Writer) Close() {
	if w.enc != nil {
		w.enc.Close()
	}
}

// Reader reads and validates frames, decompressing their payloads (either codec, whatever the
// reader's own links send). Payloads are valid until the next Read.
type Reader struct {
	r     *bufio.Reader
	dec   *zstd.Decoder
	buf   []byte
	dbuf  []byte
	Bytes *atomic.Uint64 // bytes read, if set
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Read reads one frame. Any malformed frame is an error wrapping ErrFrame.
func (r *Reader) Read() (Frame, error) {
	f, buf, err := ReadRaw(r.r, r.buf)
	r.buf = buf
	if err != nil {
		return Frame{}, err
	}
	if r.Bytes != nil {
		r.Bytes.Add(uint64(HeaderLen + len(f.Payload) + TrailerLen))
	}
	switch f.Flags {
	case FlagS2:
		// The block states its decompressed length first: refuse a large one before
		// allocating.
		n, err := s2.DecodedLen(f.Payload)
		if err != nil {
			return Frame{}, fmt.Errorf("%w: %s frame: s2: %w", ErrFrame, f.Type, err)
		}
		if n > MaxFrame {
			return Frame{}, fmt.Errorf("%w: %s frame decompresses past the limit", ErrFrame, f.Type)
		}
		out, err := s2.Decode(r.dbuf[:cap(r.dbuf)], f.Payload)
		if err != nil {
			return Frame{}, fmt.Errorf("%w: %s frame: s2: %w", ErrFrame, f.Type, err)
		}
		r.dbuf = out
		f.Payload, f.Flags = out, 0
	case FlagZstd:
		if r.dec == nil {
			r.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderMaxMemory(MaxFrame), zstd.WithDecoderMaxWindow(MaxFrame))
			if err != nil {
				return Frame{}, fmt.Errorf("peerwire: zstd: %w", err)
			}
		}
		r.dbuf, err = r.dec.DecodeAll(f.Payload, r.dbuf[:0])
		if err != nil {
			return Frame{}, fmt.Errorf("%w: %s frame: zstd: %w", ErrFrame, f.Type, err)
		}
		if len(r.dbuf) > MaxFrame {
			return Frame{}, fmt.Errorf("%w: %s frame decompresses past the limit", ErrFrame, f.Type)
		}
		f.Payload, f.Flags = r.dbuf, 0
	}
	return f, nil
}

// Close releases the decompressor.
func (r *Reader) Close() {
	if r.dec != nil {
		r.dec.Close()
	}
}
