package hll

import (
	"encoding/binary"
	"errors"
)

// Redis's string encodings of a HyperLogLog (hyperloglog.c): a 16-byte header ("HYLL", the
// encoding byte, three unused bytes, the cached cardinality in little endian with bit 63 set
// when the cache is stale), then the registers, dense (12288 bytes, 6 bits each from the LSB)
// or sparse (opcodes ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx).
const (
	HeaderSize = 16
	DenseSize  = HeaderSize + denseLen // the exact length of a valid dense HyperLogLog string

	encDense  = 0
	encSparse = 1

	sparseValMax    = 32 // largest value a VAL opcode holds
	sparseValMaxLen = 4
	sparseZeroMax   = 64
)

// Errors of ParseRedis, with Redis's replies.
var (
	// ErrNotHLL: the string is not a HyperLogLog (isHLLObjectOrReply fails).
	ErrNotHLL = errors.New("WRONGTYPE Key is not a valid HyperLogLog string value.")
	// ErrInvalid: the header is valid but the sparse registers are corrupted.
	ErrInvalid = errors.New("INVALIDOBJ Corrupted HLL object detected")
)

// CheckRedis is Redis's isHLLObjectOrReply on a string value: the header must be valid, and a
// dense string must have the exact size. It reports whether s uses the dense encoding.
func CheckRedis(s []byte) (dense bool, err error) {
	if len(s) < HeaderSize || string(s[:4]) != "HYLL" || s[4] > encSparse {
		return false, ErrNotHLL
	}
	if s[4] == encDense && len(s) != DenseSize {
		return false, ErrNotHLL
	}
	return s[4] == encDense, nil
}

// CachedCount returns the cardinality cached in the header of a valid HyperLogLog string, and
// whether the cache is valid.
func CachedCount(s []byte) (uint64, bool) {
	c := binary.LittleEndian.Uint64(s[8:16])
	return c, c>>63 == 0
}

// ParseRedis reads the registers of a HyperLogLog string value, as Redis's hllMerge and
// hllSparseToDense do: ErrNotHLL when the header is not valid, ErrInvalid when the sparse
// opcodes do not describe exactly 16384 registers. It reports whether s is dense.
func ParseRedis(s []byte) (Registers, bool, error) {
	var r Registers
	dense, err := CheckRedis(s)
	if err != nil {
		return r, false, err
	}
	if dense {
		d := make([]byte, denseLen+1)
		copy(d, s[HeaderSize:])
		r.dense = d
		for i := range NumRegisters {
			if denseGet(d, i) != 0 {
				r.n++
			}
		}
		if r.n <= pairsMax {
			r.toPairs()
		}
		return r, true, nil
	}
	idx := 0
	p := s[HeaderSize:]
	for len(p) > 0 {
		op := p[0]
		switch {
		case op&0xc0 == 0: // ZERO
			idx += int(op&0x3f) + 1
			p = p[1:]
		case op&0xc0 == 0x40: // XZERO; Redis reads the string's NUL terminator past the end
			y := 0
			if len(p) > 1 {
				y = int(p[1])
				p = p[2:]
			} else {
				p = p[1:]
			}
			idx += (int(op&0x3f)<<8 | y) + 1
		default: // VAL
			run := int(op&3) + 1
			v := (op>>2)&0x1f + 1
			if idx+run > NumRegisters {
				return r, false, ErrInvalid
			}
			for range run {
				r.Max(idx, v)
				idx++
			}
			p = p[1:]
		}
	}
	if idx != NumRegisters {
		return r, false, ErrInvalid
	}
	return r, false, nil
}

// toPairs turns packed registers with few non-zero values back into pairs.
func (r *Registers) toPairs() {
	d := r.dense
	r.dense = nil
	r.pairs = make([]uint32, 0, r.n)
	for i := range NumRegisters {
		if v := denseGet(d, i); v != 0 {
			r.pairs = append(r.pairs, uint32(i)<<8|uint32(v))
		}
	}
}

// SparseFits reports whether the registers can use the sparse encoding (no register above
// 32), and the length of that encoding, header included.
func (r *Registers) SparseFits() (bool, int) {
	n := HeaderSize
	ok := true
	r.sparse(func(op []byte) { n += len(op) }, func(v uint8) {
		if v > sparseValMax {
			ok = false
		}
	})
	return ok, n
}

// AppendRedis appends the Redis string of the registers: dense or sparse, with the cached
// cardinality card (valid).
func (r *Registers) AppendRedis(dst []byte, dense bool, card uint64) []byte {
	dst = append(dst, 'H', 'Y', 'L', 'L', encSparse, 0, 0, 0)
	if dense {
		dst[len(dst)-4] = encDense
	}
	dst = binary.LittleEndian.AppendUint64(dst, card&^(1<<63))
	if dense {
		if r.dense != nil {
			return append(dst, r.dense[:denseLen]...)
		}
		start := len(dst)
		dst = append(dst, make([]byte, denseLen+1)...)
		for _, p := range r.pairs {
			denseSet(dst[start:], int(p>>8), uint8(p))
		}
		return dst[:len(dst)-1]
	}
	r.sparse(func(op []byte) { dst = append(dst, op...) }, nil)
	return dst
}

// sparse produces the canonical sparse opcodes of the registers: one ZERO or XZERO per run of
// zeroes, and VAL opcodes of up to 4 registers per run of equal values. Redis builds the same
// opcodes except for some runs of 5 or more equal adjacent values, which it may split
// differently depending on the order the registers were set. Values above 32 are passed to
// big (and written truncated).
func (r *Registers) sparse(emit func(op []byte), big func(v uint8)) {
	sparseOps(r.Each, emit, big)
}

// sparseOps is sparse for the non-zero registers each visits in ascending order.
func sparseOps(each func(fn func(i int, v uint8)), emit func(op []byte), big func(v uint8)) {
	var buf [2]byte
	zero := func(n int) {
		if n <= sparseZeroMax {
			buf[0] = byte(n - 1)
			emit(buf[:1])
			return
		}
		buf[0] = byte((n-1)>>8) | 0x40
		buf[1] = byte(n - 1)
		emit(buf[:2])
	}
	pos := 0      // next register to encode
	runStart := 0 // start of the pending run of equal values
	var runVal uint8
	flush := func() {
		for n := pos - runStart; n > 0; {
			k := min(n, sparseValMaxLen)
			buf[0] = 0x80 | (runVal-1)&0x1f<<2 | byte(k-1)
			emit(buf[:1])
			n -= k
		}
	}
	each(func(i int, v uint8) {
		if big != nil {
			big(v)
		}
		if i == pos && runVal == v && pos > runStart {
			pos++
			return
		}
		flush()
		if i > pos {
			zero(i - pos)
		}
		runStart, runVal, pos = i, v, i+1
	})
	flush()
	if pos < NumRegisters {
		zero(NumRegisters - pos)
	}
}

// sparseFitsWith is SparseFits of the registers r would hold after raising them to add,
// without building them (both kept as pairs; otherwise they are built).
func sparseFitsWith(r, add *Registers) (bool, int) {
	if r.dense != nil || add.dense != nil {
		merged := r.Clone()
		merged.MaxWith(add)
		return merged.SparseFits()
	}
	a, b := r.pairs, add.pairs
	each := func(fn func(i int, v uint8)) {
		for len(a) > 0 || len(b) > 0 {
			switch {
			case len(b) == 0 || len(a) > 0 && a[0]>>8 < b[0]>>8:
				fn(int(a[0]>>8), uint8(a[0]))
				a = a[1:]
			case len(a) == 0 || b[0]>>8 < a[0]>>8:
				fn(int(b[0]>>8), uint8(b[0]))
				b = b[1:]
			default:
				fn(int(a[0]>>8), max(uint8(a[0]), uint8(b[0])))
				a, b = a[1:], b[1:]
			}
		}
	}
	n := HeaderSize
	ok := true
	sparseOps(each, func(op []byte) { n += len(op) }, func(v uint8) {
		if v > sparseValMax {
			ok = false
		}
	})
	return ok, n
}
