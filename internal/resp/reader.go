package resp

import (
	"io"
	"math"
)

// Defaults and fixed limits, named after their Redis 7.0 counterparts.
const (
	// DefaultMaxBulkLen is the default of proto-max-bulk-len (512 MiB).
	DefaultMaxBulkLen = 512 << 20
	// DefaultMaxQueryBuffer is the default of client-query-buffer-limit (1 GiB).
	DefaultMaxQueryBuffer = 1 << 30

	inlineMaxSize      = 64 << 10      // PROTO_INLINE_MAX_SIZE
	ioBufLen           = 16 << 10      // PROTO_IOBUF_LEN: normal read size
	mbulkBigArg        = 32 << 10      // PROTO_MBULK_BIG_ARG
	maxMultibulkLen    = math.MaxInt32 // ll > INT_MAX is "invalid multibulk length"
	unauthMaxMultibulk = 10            // before AUTH: "unauthenticated multibulk length"
	unauthMaxBulk      = 16384         // before AUTH: "unauthenticated bulk length"
	retainBufLen       = 256 << 10     // larger idle buffers are released
)

// Limits are the request limits a [Reader] enforces.
type Limits struct {
	// MaxBulkLen is proto-max-bulk-len: a bulk argument longer than this is
	// "Protocol error: invalid bulk length". Zero means DefaultMaxBulkLen.
	MaxBulkLen int64
	// MaxQueryBuffer is client-query-buffer-limit: a command that needs more
	// than this many bytes buffered fails with ErrQueryBufferLimit. Zero
	// means DefaultMaxQueryBuffer.
	MaxQueryBuffer int64
	// Unauthenticated applies Redis 7.0's stricter limits for clients that
	// still have to AUTH: a multibulk count above 10 and a bulk length above
	// 16384 are protocol errors.
	Unauthenticated bool
}

// Reader reads client requests (commands) from a connection, accepting both
// multibulk and inline requests exactly like Redis 7.0's networking.c.
// A Reader is not safe for concurrent use.
type Reader struct {
	rd  io.Reader
	lim Limits

	buf   []byte // buffered input is buf[start:end]
	start int    // first byte of the command being parsed
	end   int    // end of the buffered data

	// Parse state of the current command; positions are relative to start
	// so that moving the data inside (or out of) buf costs nothing here.
	kind byte  // 0: not started, '*': multibulk, 'i': inline
	pos  int   // next unparsed byte
	scan int   // where the search for the current line's terminator resumes
	nul  bool  // a NUL byte stopped the search for the current line
	left int64 // multibulk arguments still to read (0: count not read yet)
	bulk int64 // length of the bulk being read, -1 while unknown
	offs []int // start, end pairs of the arguments read so far

	args [][]byte
	err  error // sticky protocol or query buffer limit error
	rerr error // I/O error to report once the buffered data is used up
}

// NewReader returns a Reader with the default limits.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, lim: Limits{MaxBulkLen: DefaultMaxBulkLen, MaxQueryBuffer: DefaultMaxQueryBuffer}}
}

// SetLimits replaces the limits; zero numeric fields select the defaults.
// It may be called between commands, e.g. to lift the unauthenticated
// limits after a successful AUTH.
func (r *Reader) SetLimits(l Limits) {
	if l.MaxBulkLen == 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxQueryBuffer == 0 {
		l.MaxQueryBuffer = DefaultMaxQueryBuffer
	}
	r.lim = l
}

// Limits returns the limits in effect.
func (r *Reader) Limits() Limits { return r.lim }

// Buffered returns the number of bytes read from the connection but not yet
// returned as part of a command. After ReadCommand returns, a non-zero
// value means that more (possibly incomplete) pipelined input is pending.
func (r *Reader) Buffered() int { return r.end - r.start }

// ReadCommand blocks until one complete command has been read and returns
// its arguments (never an empty slice: empty inline lines and multibulk
// counts <= 0 are skipped, as Redis does).
//
// The returned slices alias the Reader's buffer and are valid only until the
// next call to ReadCommand; their capacity is clipped, so appending to one
// never overwrites another.
//
// Errors: a *[ProtocolError] or [ErrQueryBufferLimit] (both sticky: the
// connection must be closed), or the error of the underlying reader, passed
// through unchanged (io.EOF, timeouts...). After an I/O error the partial
// command is kept, so ReadCommand may be called again, e.g. after a timeout.
func (r *Reader) ReadCommand() ([][]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.kind == 0 {
		r.release()
	}
	for {
		args, need, err := r.parse()
		if err != nil {
			r.err = err
			return nil, err
		}
		if args != nil {
			return args, nil
		}
		if int64(r.end-r.start) > r.lim.MaxQueryBuffer {
			r.err = ErrQueryBufferLimit
			return nil, r.err
		}
		if r.rerr != nil {
			err := r.rerr
			r.rerr = nil
			return nil, err
		}
		if err := r.fill(need); err != nil {
			return nil, err
		}
	}
}

// TryReadCommand returns the next command if it is complete in the buffer, and nil without
// reading from the underlying reader otherwise (the server executes a pipeline's buffered
// commands in one go). The same aliasing rule as ReadCommand applies.
func (r *Reader) TryReadCommand() ([][]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.kind == 0 {
		r.release()
	}
	args, _, err := r.parse()
	if err != nil {
		r.err = err
		return nil, err
	}
	return args, nil
}

// release rewinds an empty buffer and drops a large one once the command
// that needed it is done.
func (r *Reader) release() {
	if r.start == r.end {
		r.start, r.end = 0, 0
	}
	if len(r.buf) > retainBufLen && r.end-r.start <= ioBufLen {
		nb := make([]byte, 2*ioBufLen)
		r.end = copy(nb, r.buf[r.start:r.end])
		r.start = 0
		r.buf = nb
	}
}

// fill reads once from the underlying reader. need is how many more bytes
// the parser needs at least.
func (r *Reader) fill(need int) error {
	// Like Redis, read 16 KiB at a time, except that the rest of a big bulk
	// argument is read in one go. This also makes the 64 KiB limits on
	// lines behave as in Redis.
	readLen := ioBufLen
	if r.kind == '*' && r.left > 0 && r.bulk >= mbulkBigArg && need > 0 {
		readLen = need
	}
	pending := r.end - r.start
	// Never buffer more than one byte past the query buffer limit.
	if room := r.lim.MaxQueryBuffer + 1 - int64(pending); int64(readLen) > room {
		readLen = int(max(room, 1))
	}
	// Make room when less than a normal read (or what is needed, if less)
	// fits: slide the data to the front of the buffer, or grow it. Growing
	// at most doubles a buffer that is at least half full, so the memory
	// used stays proportional to the data that actually arrived, whatever
	// length the client announced.
	if minFree := min(readLen, ioBufLen); len(r.buf)-r.end < minFree {
		if len(r.buf)-pending >= minFree {
			copy(r.buf, r.buf[r.start:r.end])
		} else {
			size := max(2*len(r.buf), ioBufLen)
			if readLen > ioBufLen {
				size = min(size, pending+readLen)
			}
			nb := make([]byte, size)
			copy(nb, r.buf[r.start:r.end])
			r.buf = nb
		}
		r.start, r.end = 0, pending
	}
	readLen = min(readLen, len(r.buf)-r.end)
	for range 100 {
		n, err := r.rd.Read(r.buf[r.end : r.end+readLen])
		r.end += n
		if n > 0 {
			r.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// parse parses the buffered data. It returns the arguments of a complete
// command, or nil and the number of bytes it needs at least to go on.
func (r *Reader) parse() (args [][]byte, need int, err error) {
	for {
		b := r.buf[r.start:r.end]
		if r.kind == 0 {
			if len(b) == 0 {
				return nil, 1, nil
			}
			r.kind = 'i'
			if b[0] == '*' {
				r.kind = '*'
			}
			r.offs = r.offs[:0]
			r.left, r.bulk = 0, -1
			r.newLine(0)
		}

		if r.kind == 'i' {
			nl := r.scanLine(b, '\n')
			if nl < 0 {
				if len(b) > inlineMaxSize {
					return nil, 0, errTooBigInline
				}
				return nil, 1, nil
			}
			end := nl
			if end > 0 && b[end-1] == '\r' {
				end--
			}
			var ok bool
			r.offs, ok = splitInline(b[:end], 0, r.offs[:0])
			if !ok {
				return nil, 0, errUnbalancedQuotes
			}
			if len(r.offs) == 0 { // empty line: skip it
				r.start += nl + 1
				r.kind = 0
				continue
			}
			return r.finish(nl + 1), 0, nil
		}

		if r.left == 0 {
			// The multibulk count line "*<count>\r\n".
			cr := r.scanLine(b, '\r')
			if cr < 0 {
				if len(b) > inlineMaxSize {
					return nil, 0, errTooBigMbulkCount
				}
				return nil, 1, nil
			}
			if cr+1 >= len(b) { // Redis wants one more byte (the \n, unchecked)
				return nil, 1, nil
			}
			ll, ok := string2ll(b[1:cr])
			if !ok || ll > maxMultibulkLen {
				return nil, 0, errInvalidMultibulkLen
			}
			if ll > unauthMaxMultibulk && r.lim.Unauthenticated {
				return nil, 0, errUnauthMultibulkLen
			}
			if ll <= 0 { // "*0", "*-1", ...: nothing to execute, skip it
				r.start += cr + 2
				r.kind = 0
				continue
			}
			r.left = ll
			r.newLine(cr + 2)
		}

		for r.left > 0 {
			if r.bulk < 0 {
				// A bulk length line "$<len>\r\n".
				cr := r.scanLine(b, '\r')
				if cr < 0 {
					if len(b)-r.pos > inlineMaxSize {
						return nil, 0, errTooBigBulkCount
					}
					return nil, 1, nil
				}
				if cr+1 >= len(b) {
					return nil, 1, nil
				}
				if b[r.pos] != '$' {
					return nil, 0, expectedDollarError(b[r.pos])
				}
				ll, ok := string2ll(b[r.pos+1 : cr])
				if !ok || ll < 0 || ll > r.lim.MaxBulkLen {
					return nil, 0, errInvalidBulkLen
				}
				if ll > unauthMaxBulk && r.lim.Unauthenticated {
					return nil, 0, errUnauthBulkLen
				}
				r.bulk = ll
				r.newLine(cr + 2)
			}
			// The payload and its two trailing bytes, which Redis skips
			// without checking that they are \r\n.
			if avail := int64(len(b) - r.pos); avail < r.bulk+2 {
				return nil, int(r.bulk + 2 - avail), nil
			}
			r.offs = append(r.offs, r.pos, r.pos+int(r.bulk))
			r.newLine(r.pos + int(r.bulk) + 2)
			r.bulk = -1
			r.left--
		}
		return r.finish(r.pos), 0, nil
	}
}

// newLine moves the parse position to pos, the start of a new line.
func (r *Reader) newLine(pos int) {
	r.pos, r.scan, r.nul = pos, pos, false
}

// scanLine returns the index in b of the first c at or after r.pos, or -1.
// Like the C strchr Redis uses on its query buffer, the search ends at the
// first NUL byte: a line containing NUL is never complete.
func (r *Reader) scanLine(b []byte, c byte) int {
	if r.nul {
		return -1
	}
	for i := r.scan; i < len(b); i++ {
		switch b[i] {
		case c:
			return i
		case 0:
			r.nul = true
			return -1
		}
	}
	r.scan = len(b)
	return -1
}

// finish builds the argument slices of the command just parsed and
// consumes its n bytes.
func (r *Reader) finish(n int) [][]byte {
	base := r.buf[r.start:]
	args := r.args[:0]
	for i := 0; i < len(r.offs); i += 2 {
		s, e := r.offs[i], r.offs[i+1]
		args = append(args, base[s:e:e])
	}
	r.args = args
	r.start += n
	r.kind = 0
	return args
}
