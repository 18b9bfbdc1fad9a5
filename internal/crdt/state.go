package crdt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/concord-db/concord/internal/clock"
)

// State encoding primitives. Every type's AppendState/DecodeState (full resync, snapshots) is
// built from these, so that all of them validate the same way: integers are uvarints (signed:
// zig-zag varints), byte strings are a uvarint length then the bytes, a dot is member then seq,
// a stamp is HLC then member, a vector clock is its length then one uvarint per member id, and
// an exact rational is the text Rat.String writes ([-]digits[/digits]). A decoder never
// allocates more than the bytes it was given allows: every count is checked against the bytes
// left (each item takes at least one byte).

// ErrCorrupt is wrapped by every state decoding error, here and in the type packages (each
// wraps it in its own ErrCorrupt).
var ErrCorrupt = errors.New("crdt: corrupt state")

// maxRatBytes bounds the text of a rational: counters are sums of INCRBYFLOAT deltas, which
// are decimals of a few dozen digits.
const maxRatBytes = 1 << 12

// AppendUvarint appends x.
func AppendUvarint(dst []byte, x uint64) []byte { return binary.AppendUvarint(dst, x) }

// AppendVarint appends a signed x.
func AppendVarint(dst []byte, x int64) []byte { return binary.AppendVarint(dst, x) }

// AppendBytes appends a length-prefixed byte string.
func AppendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// AppendDot appends a dot.
func AppendDot(dst []byte, d clock.Dot) []byte {
	dst = binary.AppendUvarint(dst, uint64(d.Member))
	return binary.AppendUvarint(dst, d.Seq)
}

// AppendStamp appends a stamp.
func AppendStamp(dst []byte, s clock.Stamp) []byte {
	dst = binary.AppendUvarint(dst, uint64(s.HLC))
	return binary.AppendUvarint(dst, uint64(s.Member))
}

// AppendVector appends a vector clock (trailing zeros dropped, so equal clocks encode equally).
func AppendVector(dst []byte, v clock.Vector) []byte {
	n := len(v)
	for n > 0 && v[n-1] == 0 {
		n--
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, x := range v[:n] {
		dst = binary.AppendUvarint(dst, x)
	}
	return dst
}

// AppendRat appends an exact rational, nil as an empty string.
func AppendRat(dst []byte, r *big.Rat) []byte {
	if r == nil {
		return AppendBytes(dst, nil)
	}
	return AppendBytes(dst, []byte(r.String()))
}

// Reader decodes state written with the Append functions. The first error sticks: later reads
// return zero values, and Err reports it.
type Reader struct {
	buf  []byte
	err  error
	base error
}

// NewReader reads data; errors wrap base (a package's ErrCorrupt, itself wrapping ErrCorrupt).
func NewReader(data []byte, base error) *Reader { return &Reader{buf: data, base: base} }

// Err is the first error met, nil when none.
func (r *Reader) Err() error { return r.err }

// Len is the number of bytes left.
func (r *Reader) Len() int { return len(r.buf) }

// Fail records an error (the first one wins).
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", r.base, fmt.Sprintf(format, args...))
		r.buf = nil
	}
}

// Done fails when bytes are left over, and returns the error.
func (r *Reader) Done() error {
	if r.err == nil && len(r.buf) > 0 {
		r.Fail("%d trailing bytes", len(r.buf))
	}
	return r.err
}

// Uvarint reads an unsigned integer no larger than max.
func (r *Reader) Uvarint(max uint64, what string) uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.buf)
	if n <= 0 || n != uvarintLen(x) {
		r.Fail("bad %s", what) // overlong encodings too: the encoding is canonical
		return 0
	}
	if x > max {
		r.Fail("%s %d out of range", what, x)
		return 0
	}
	r.buf = r.buf[n:]
	return x
}

// Varint reads a signed integer.
func (r *Reader) Varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Varint(r.buf)
	if n <= 0 || n != uvarintLen(uint64(x<<1)^uint64(x>>63)) {
		r.Fail("bad %s", what)
		return 0
	}
	r.buf = r.buf[n:]
	return x
}

// Count reads a number of items that each take at least minBytes bytes, refusing a count the
// bytes left cannot hold (so that a caller may allocate for it).
func (r *Reader) Count(minBytes int, what string) int {
	n := r.Uvarint(uint64(len(r.buf)), what)
	if r.err == nil && n > uint64(len(r.buf))/uint64(max(minBytes, 1)) {
		r.Fail("%s %d larger than the data", what, n)
		return 0
	}
	return int(n)
}

// length reads the length of a byte string, which must fit in the bytes left.
func (r *Reader) length(what string) int {
	n := r.Uvarint(uint64(len(r.buf)), what+" length")
	if r.err == nil && n > uint64(len(r.buf)) {
		r.Fail("%s longer than the data", what)
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

// Bytes reads a byte string into a new slice.
func (r *Reader) Bytes(what string) []byte {
	n := r.length(what)
	if r.err != nil {
		return nil
	}
	out := make([]byte, n)
	copy(out, r.buf[:n])
	r.buf = r.buf[n:]
	return out
}

// Member reads a member id (1..clock.MaxMembers).
func (r *Reader) Member(what string) clock.MemberID {
	m := r.Uvarint(clock.MaxMembers, what)
	if r.err == nil && m == 0 {
		r.Fail("%s 0", what)
	}
	return clock.MemberID(m)
}

// Dot reads a dot of a real write (member id valid, sequence number at least 1).
func (r *Reader) Dot(what string) clock.Dot {
	d := clock.Dot{Member: r.Member(what + " member")}
	d.Seq = r.Uvarint(1<<64-1, what+" seq")
	if r.err == nil && d.Seq == 0 {
		r.Fail("%s seq 0", what)
	}
	return d
}

// Stamp reads a stamp; the zero stamp (nothing) is allowed.
func (r *Reader) Stamp(what string) clock.Stamp {
	h := r.Uvarint(1<<64-1, what+" hlc")
	m := r.Uvarint(clock.MaxMembers, what+" member")
	return clock.Stamp{HLC: clock.HLC(h), Member: clock.MemberID(m)}
}

// Vector reads a vector clock.
func (r *Reader) Vector(what string) clock.Vector {
	n := r.Count(1, what)
	if r.err != nil {
		return nil
	}
	if n > clock.MaxMembers+1 {
		r.Fail("%s of %d members", what, n)
		return nil
	}
	if n == 0 {
		return nil
	}
	v := make(clock.Vector, n)
	for i := range v {
		v[i] = r.Uvarint(1<<64-1, what)
	}
	if r.err == nil && v[n-1] == 0 {
		r.Fail("%s not canonical", what)
	}
	return v
}

// Rat reads an exact rational (nil when empty).
func (r *Reader) Rat(what string) *big.Rat {
	n := r.length(what)
	if r.err != nil || n == 0 {
		return nil
	}
	b := r.buf[:n]
	if n > maxRatBytes || !ratText(b) {
		r.Fail("bad %s", what)
		return nil
	}
	x, ok := new(big.Rat).SetString(string(b))
	if !ok {
		r.Fail("bad %s %q", what, b)
		return nil
	}
	r.buf = r.buf[n:]
	return x
}

// ratText accepts only what Rat.String writes: [-]digits[/digits] (SetString alone would also
// take exponents, and "1e99999" is a few bytes that make a huge number).
func ratText(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	digits, slash := 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '/' && !slash && digits > 0:
			slash, digits = true, 0
		default:
			return false
		}
	}
	return digits > 0
}

// uvarintLen is the length of x's minimal uvarint encoding.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
