package resp

import (
	"io"
	"strconv"
)

// writerFlushThreshold is the size above which a Writer flushes by itself.
const writerFlushThreshold = 64 << 10

// Writer encodes replies in RESP2 or RESP3 into a buffer. It never writes to
// the underlying io.Writer by itself, except when its buffer grows beyond
// about 64 KiB (and for the payload of a bulk string of 64 KiB or more,
// which is written directly instead of being copied); call Flush to send
// the buffered replies. Write errors are sticky and reported by Flush.
//
// The methods that take a length (ArrayLen, MapLen, ...) only write the
// aggregate header; the caller writes the elements after it.
// A Writer is not safe for concurrent use.
type Writer struct {
	w     io.Writer
	buf   []byte
	proto int
	err   error
}

// NewWriter returns a RESP2 Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, 4096), proto: 2}
}

// SetProtocol selects RESP2 (2, the default) or RESP3 (3, after HELLO 3).
// Any other value is ignored.
func (w *Writer) SetProtocol(p int) {
	if p == 2 || p == 3 {
		w.proto = p
	}
}

// Protocol returns the protocol version in use, 2 or 3.
func (w *Writer) Protocol() int { return w.proto }

// Buffered returns the number of bytes buffered and not yet flushed.
func (w *Writer) Buffered() int { return len(w.buf) }

// Flush writes the buffered data to the underlying writer and returns the
// first write error that ever occurred.
func (w *Writer) Flush() error {
	w.flush()
	return w.err
}

// Reset discards the buffered data and any error, switches to RESP2 and
// makes the Writer write to dst.
func (w *Writer) Reset(dst io.Writer) {
	w.w = dst
	w.buf = w.buf[:0]
	w.proto = 2
	w.err = nil
}

func (w *Writer) flush() {
	if w.err == nil && len(w.buf) > 0 {
		n, err := w.w.Write(w.buf)
		if err == nil && n < len(w.buf) {
			err = io.ErrShortWrite
		}
		w.err = err
	}
	w.buf = w.buf[:0] // after an error, data is discarded
}

// check flushes a buffer that outgrew the threshold.
func (w *Writer) check() {
	if len(w.buf) > writerFlushThreshold {
		w.flush()
	}
}

func (w *Writer) prefixed(prefix byte, n int64) {
	w.buf = append(w.buf, prefix)
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

// Simple writes a simple string: +s. s must not contain \r or \n.
func (w *Writer) Simple(s string) {
	w.buf = append(w.buf, '+')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// Error writes an error reply: -s. s is the full text including the error
// code, e.g. "ERR unknown command" or "WRONGTYPE Operation against a key
// holding the wrong kind of value". Any \r or \n in s is replaced by a
// space, as Redis does, so the reply stays well formed.
func (w *Writer) Error(s string) {
	w.buf = append(w.buf, '-')
	start := len(w.buf)
	w.buf = append(w.buf, s...)
	for i, c := range w.buf[start:] {
		if c == '\r' || c == '\n' {
			w.buf[start+i] = ' '
		}
	}
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// Int writes an integer reply: :n.
func (w *Writer) Int(n int64) {
	w.prefixed(':', n)
	w.check()
}

// Bulk writes a bulk string: $len\r\nb\r\n. A nil b is an empty string, not
// a null (use Null).
func (w *Writer) Bulk(b []byte) {
	w.prefixed('$', int64(len(b)))
	if len(b) >= writerFlushThreshold {
		// Write big payloads directly rather than copying them.
		w.flush()
		if w.err == nil {
			var n int
			n, w.err = w.w.Write(b)
			if w.err == nil && n < len(b) {
				w.err = io.ErrShortWrite
			}
		}
	} else {
		w.buf = append(w.buf, b...)
	}
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// BulkString writes s as a bulk string.
func (w *Writer) BulkString(s string) {
	w.prefixed('$', int64(len(s)))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// Null writes a null: $-1 in RESP2 (null bulk), _ in RESP3.
func (w *Writer) Null() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
	} else {
		w.buf = append(w.buf, "$-1\r\n"...)
	}
	w.check()
}

// NullArray writes a null array: *-1 in RESP2, _ in RESP3.
func (w *Writer) NullArray() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
	} else {
		w.buf = append(w.buf, "*-1\r\n"...)
	}
	w.check()
}

// ArrayLen writes the header of an array of n elements: *n.
func (w *Writer) ArrayLen(n int) {
	w.prefixed('*', int64(n))
	w.check()
}

// MapLen writes the header of a map of n key/value pairs: %n in RESP3, a
// flat array *2n in RESP2.
func (w *Writer) MapLen(n int) {
	if w.proto == 3 {
		w.prefixed('%', int64(n))
	} else {
		w.prefixed('*', 2*int64(n))
	}
	w.check()
}

// SetLen writes the header of a set of n elements: ~n in RESP3, *n in RESP2.
func (w *Writer) SetLen(n int) {
	if w.proto == 3 {
		w.prefixed('~', int64(n))
	} else {
		w.prefixed('*', int64(n))
	}
	w.check()
}

// PushLen writes the header of a push message of n elements: >n in RESP3,
// *n in RESP2.
func (w *Writer) PushLen(n int) {
	if w.proto == 3 {
		w.prefixed('>', int64(n))
	} else {
		w.prefixed('*', int64(n))
	}
	w.check()
}

// AttributeLen writes the header of an attribute of n key/value pairs: |n
// in RESP3. RESP2 has no attributes: nothing is written, and the caller
// must not write the pairs either.
func (w *Writer) AttributeLen(n int) {
	if w.proto == 3 {
		w.prefixed('|', int64(n))
		w.check()
	}
}

// Double writes a double: ,<text> in RESP3, a bulk string of <text> in
// RESP2, where <text> is FormatDouble(f).
func (w *Writer) Double(f float64) {
	if w.proto == 3 {
		w.buf = append(w.buf, ',')
		w.buf = AppendDouble(w.buf, f)
		w.buf = append(w.buf, '\r', '\n')
	} else {
		var tmp [32]byte
		text := AppendDouble(tmp[:0], f)
		w.prefixed('$', int64(len(text)))
		w.buf = append(w.buf, text...)
		w.buf = append(w.buf, '\r', '\n')
	}
	w.check()
}

// Bool writes a boolean: #t or #f in RESP3, :1 or :0 in RESP2.
func (w *Writer) Bool(b bool) {
	switch {
	case w.proto == 3 && b:
		w.buf = append(w.buf, "#t\r\n"...)
	case w.proto == 3:
		w.buf = append(w.buf, "#f\r\n"...)
	case b:
		w.buf = append(w.buf, ":1\r\n"...)
	default:
		w.buf = append(w.buf, ":0\r\n"...)
	}
	w.check()
}

// Verbatim writes a verbatim string: =len\r\nfmt:s\r\n in RESP3, where
// format is three characters such as "txt" or "mkd"; a plain bulk string s
// in RESP2.
func (w *Writer) Verbatim(format, s string) {
	if w.proto != 3 {
		w.BulkString(s)
		return
	}
	w.prefixed('=', int64(len(format)+1+len(s)))
	w.buf = append(w.buf, format...)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// BigNumber writes a big number: (s in RESP3, a bulk string s in RESP2.
func (w *Writer) BigNumber(s string) {
	if w.proto != 3 {
		w.BulkString(s)
		return
	}
	w.buf = append(w.buf, '(')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
	w.check()
}

// Raw writes b as is; it must be valid RESP for the protocol in use.
func (w *Writer) Raw(b []byte) {
	w.buf = append(w.buf, b...)
	w.check()
}
