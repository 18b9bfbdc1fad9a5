package bitmap

import (
	"encoding/binary"
	"strings"
)

// BitOp is a BITOP operation.
type BitOp uint8

// The BITOP operations of Redis 7.0.
const (
	OpAnd BitOp = iota
	OpOr
	OpXor
	OpNot
)

var opNames = [...]string{OpAnd: "AND", OpOr: "OR", OpXor: "XOR", OpNot: "NOT"}

// String returns the operation's name in upper case.
func (op BitOp) String() string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return "BitOp(?)"
}

// ParseOp parses a BITOP operation name, case-insensitively. Anything else is ErrSyntax.
func ParseOp(name string) (BitOp, bool) {
	for op, n := range opNames {
		if strings.EqualFold(name, n) {
			return BitOp(op), true
		}
	}
	return 0, false
}

// Op computes BITOP op over srcs, op being a name ParseOp accepts; it panics on any other
// name. See Apply.
func Op(op string, srcs [][]byte) []byte {
	o, ok := ParseOp(op)
	if !ok {
		panic("bitmap: unknown BITOP operation " + op)
	}
	return Apply(o, srcs)
}

// Apply computes BITOP op over srcs: a new string as long as the longest source, shorter
// sources (and missing keys, passed as nil or empty) reading as zero bytes past their end.
// NOT uses srcs[0] only (the command takes exactly one source, ErrBitopNot). The result is
// nil when every source is empty: BITOP then deletes the destination and replies 0.
func Apply(op BitOp, srcs [][]byte) []byte {
	maxlen := 0
	for _, s := range srcs {
		maxlen = max(maxlen, len(s))
	}
	if maxlen == 0 {
		return nil
	}
	res := make([]byte, maxlen)
	first := srcs[0]
	copy(res, first)
	if op == OpNot {
		notBytes(res)
		return res
	}
	for _, s := range srcs[1:] {
		switch op {
		case OpAnd:
			andBytes(res, s)
			clear(res[len(s):])
		case OpOr:
			orBytes(res, s)
		case OpXor:
			xorBytes(res, s)
		}
	}
	return res
}

// The helpers below combine len(s) <= len(dst) bytes of s into dst, eight at a time.

func andBytes(dst, s []byte) {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])&binary.LittleEndian.Uint64(s[i:]))
	}
	for ; i < len(s); i++ {
		dst[i] &= s[i]
	}
}

func orBytes(dst, s []byte) {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])|binary.LittleEndian.Uint64(s[i:]))
	}
	for ; i < len(s); i++ {
		dst[i] |= s[i]
	}
}

func xorBytes(dst, s []byte) {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])^binary.LittleEndian.Uint64(s[i:]))
	}
	for ; i < len(s); i++ {
		dst[i] ^= s[i]
	}
}

func notBytes(dst []byte) {
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], ^binary.LittleEndian.Uint64(dst[i:]))
	}
	for ; i < len(dst); i++ {
		dst[i] = ^dst[i]
	}
}
