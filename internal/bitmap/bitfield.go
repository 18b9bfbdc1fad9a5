package bitmap

import (
	"bytes"
	"errors"
	"math"
	"strings"

	"github.com/concord-db/concord/internal/redisnum"
)

// Overflow is a BITFIELD overflow behaviour, set by the OVERFLOW subcommand.
type Overflow uint8

const (
	// Wrap wraps around, modulo 2^bits (the default).
	Wrap Overflow = iota
	// Sat saturates at the minimum or maximum value of the type.
	Sat
	// Fail does not write, and the operation replies null.
	Fail
)

// ParseOverflow parses an OVERFLOW argument, WRAP, SAT or FAIL in any case. Anything else is
// ErrOverflowType.
func ParseOverflow(arg string) (Overflow, bool) {
	switch {
	case strings.EqualFold(arg, "wrap"):
		return Wrap, true
	case strings.EqualFold(arg, "sat"):
		return Sat, true
	case strings.EqualFold(arg, "fail"):
		return Fail, true
	}
	return 0, false
}

// ParseType parses a BITFIELD type: 'i' (signed) or 'u' (unsigned), lower case, followed by
// the width in string2ll form, 1 to 64 bits signed and 1 to 63 bits unsigned. Anything else is
// ErrBitfieldType. As in Redis, the width stops at a NUL byte ("i8\x00junk" is i8).
func ParseType(arg []byte) (signed bool, bits int, ok bool) {
	if len(arg) == 0 {
		return false, 0, false
	}
	switch arg[0] {
	case 'i':
		signed = true
	case 'u':
	default:
		return false, 0, false
	}
	w := arg[1:]
	if i := bytes.IndexByte(w, 0); i >= 0 {
		w = w[:i]
	}
	n, ok := redisnum.ParseInt(w)
	if !ok || n < 1 || signed && n > 64 || !signed && n > 63 {
		return false, 0, false
	}
	return signed, int(n), true
}

// ParseOffset parses a bit offset argument as getBitOffsetFromArgument does: an integer in
// string2ll form or, when bits > 0 (BITFIELD), "#N" meaning N*bits. Pass bits = 0 for GETBIT
// and SETBIT, where '#' is not allowed. A negative offset is rejected (ErrBitOffset); so is
// one past the size limit, which the caller checks with CheckOffset.
//
// As in Redis, N*bits wraps around in 64-bit arithmetic, so "#288230376151711745" with i64 is
// bit 64, and even "#-288230376151711743" is accepted as bit 64.
func ParseOffset(arg []byte, bits int) (uint64, bool) {
	hash := bits > 0 && len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	n, ok := redisnum.ParseInt(arg)
	if !ok {
		return 0, false
	}
	if hash {
		n *= int64(bits)
	}
	if n < 0 {
		return 0, false
	}
	return uint64(n), true
}

var errBitOffset = errors.New(ErrBitOffset)

// CheckOffset returns an error (ErrBitOffset) when bit offset is in or past byte maxBytes,
// the proto-max-bulk-len limit (512 MB by default), as GETBIT, SETBIT and BITFIELD check.
// Redis 7.0 skips the check for its master and AOF clients, whose writes must not fail.
func CheckOffset(offset uint64, maxBytes int64) error {
	if maxBytes < 0 || offset>>3 >= uint64(maxBytes) {
		return errBitOffset
	}
	return nil
}

// ParseBit parses SETBIT's value: 0 or 1 in string2ll form, else ErrBitValue.
func ParseBit(arg []byte) (int, bool) {
	n, ok := redisnum.ParseInt(arg)
	if !ok || n&^1 != 0 {
		return 0, false
	}
	return int(n), true
}

// getUnsigned reads bits bits (1 to 64) at offset, zero past the end of b.
func getUnsigned(b []byte, offset uint64, bits int) uint64 {
	var v uint64
	for j := 0; j < bits; j++ {
		v = v<<1 | uint64(GetBit(b, offset+uint64(j)))
	}
	return v
}

// setUnsigned writes the low bits bits of v at offset; b must be long enough.
func setUnsigned(b []byte, offset uint64, bits int, v uint64) {
	for j := 0; j < bits; j++ {
		bit := byte(v>>(bits-1-j)) & 1
		o := offset + uint64(j)
		shift := 7 - o&7
		b[o>>3] = b[o>>3]&^(1<<shift) | bit<<shift
	}
}

// signExtend interprets the low bits bits of v as a two's complement integer.
func signExtend(v uint64, bits int) int64 {
	if bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= math.MaxUint64 << bits
	}
	return int64(v)
}

// Get returns the integer of the given type at bit offset (BITFIELD GET), reading zeros past
// the end of b. An unsigned type has at most 63 bits, so its value fits in an int64.
func Get(b []byte, offset uint64, bits int, signed bool) int64 {
	v := getUnsigned(b, offset, bits)
	if signed {
		return signExtend(v, bits)
	}
	return int64(v)
}

// Set writes value as an integer of the given type at bit offset (BITFIELD SET) and returns
// the new string and the previous value. A value that does not fit the type wraps, saturates
// or, with Fail, is not written (failed is true and BITFIELD replies null). b is grown to hold
// the field in every case, as Redis grows the string before running the operations. Note that
// with Sat a negative value for an unsigned type saturates to the maximum, as in Redis.
func Set(b []byte, offset uint64, bits int, signed bool, value int64, ov Overflow) (newB []byte, old int64, failed bool) {
	b = Grow(b, offset+uint64(bits)-1)
	old = Get(b, offset, bits, signed)
	var nv uint64
	var overflow int
	if signed {
		var lim int64
		overflow, lim = checkSignedOverflow(value, 0, bits, ov)
		if overflow != 0 {
			value = lim
		}
		nv = uint64(value)
	} else {
		var lim uint64
		nv = uint64(value)
		overflow, lim = checkUnsignedOverflow(nv, 0, bits, ov)
		if overflow != 0 {
			nv = lim
		}
	}
	if overflow != 0 && ov == Fail {
		return b, old, true
	}
	setUnsigned(b, offset, bits, nv)
	return b, old, false
}

// IncrBy adds incr to the integer of the given type at bit offset (BITFIELD INCRBY) and
// returns the new string and the new value. On overflow the result wraps, saturates or, with
// Fail, is not written (failed is true and BITFIELD replies null). b is grown to hold the
// field in every case, as Redis grows the string before running the operations.
func IncrBy(b []byte, offset uint64, bits int, signed bool, incr int64, ov Overflow) (newB []byte, value int64, failed bool) {
	b = Grow(b, offset+uint64(bits)-1)
	var nv uint64
	var overflow int
	if signed {
		old := Get(b, offset, bits, true)
		var lim int64
		overflow, lim = checkSignedOverflow(old, incr, bits, ov)
		if overflow != 0 {
			value = lim
		} else {
			value = old + incr
		}
		nv = uint64(value)
	} else {
		old := getUnsigned(b, offset, bits)
		var lim uint64
		nv = old + uint64(incr)
		overflow, lim = checkUnsignedOverflow(old, incr, bits, ov)
		if overflow != 0 {
			nv = lim
		}
		value = int64(nv)
	}
	if overflow != 0 && ov == Fail {
		return b, 0, true
	}
	setUnsigned(b, offset, bits, nv)
	return b, value, false
}

// checkUnsignedOverflow is checkUnsignedBitfieldOverflow: 1 for overflow, -1 for underflow,
// 0 when value+incr fits in bits bits; on overflow lim is the wrapped or saturated value
// (meaningless with Fail).
func checkUnsignedOverflow(value uint64, incr int64, bits int, ov Overflow) (int, uint64) {
	maxv := uint64(math.MaxUint64)
	if bits < 64 {
		maxv = 1<<bits - 1
	}
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << bits) }
	switch {
	case value > maxv || incr > 0 && incr > maxincr:
		switch ov {
		case Wrap:
			return 1, wrap()
		case Sat:
			return 1, maxv
		}
		return 1, 0
	case incr < 0 && incr < minincr:
		switch ov {
		case Wrap:
			return 1, wrap() // as in Redis, a wrapped underflow reports 1 too
		case Sat:
			return -1, 0
		}
		return -1, 0
	}
	return 0, 0
}

// checkSignedOverflow is checkSignedBitfieldOverflow, with the same results as
// checkUnsignedOverflow. Arithmetic wraps as it does in the C original.
func checkSignedOverflow(value, incr int64, bits int, ov Overflow) (int, int64) {
	maxv := int64(math.MaxInt64)
	if bits < 64 {
		maxv = 1<<(bits-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	switch {
	case value > maxv || bits != 64 && incr > maxincr || value >= 0 && incr > 0 && incr > maxincr:
		switch ov {
		case Wrap:
			return 1, wrap()
		case Sat:
			return 1, maxv
		}
		return 1, 0
	case value < minv || bits != 64 && incr < minincr || value < 0 && incr < 0 && incr < minincr:
		switch ov {
		case Wrap:
			return 1, wrap()
		case Sat:
			return -1, minv
		}
		return -1, 0
	}
	return 0, 0
}
