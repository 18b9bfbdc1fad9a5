package bitmap

import (
	"encoding/binary"
	"math/bits"
)

// GetBit returns the bit at offset, 0 past the end of b (GETBIT).
func GetBit(b []byte, offset uint64) int {
	i := offset >> 3
	if i >= uint64(len(b)) {
		return 0
	}
	return int(b[i]>>(7-offset&7)) & 1
}

// SetBit sets the bit at offset to bit (0 or 1), growing b with zero bytes to reach it, and
// returns the new slice and the previous value of the bit (SETBIT). b is modified in place
// when it is long enough.
func SetBit(b []byte, offset uint64, bit int) (newB []byte, old int) {
	b = Grow(b, offset)
	i := offset >> 3
	shift := 7 - offset&7
	old = int(b[i]>>shift) & 1
	b[i] = b[i]&^(1<<shift) | byte(bit&1)<<shift
	return b, old
}

// Grow returns b extended with zero bytes so that bit maxBit is inside it (at least
// maxBit/8+1 bytes), as Redis's lookupStringForBitCommand does before SETBIT and BITFIELD
// writes. It extends in place when b has the capacity.
func Grow(b []byte, maxBit uint64) []byte {
	n := maxBit>>3 + 1
	if n <= uint64(len(b)) {
		return b
	}
	if n <= uint64(cap(b)) {
		ext := b[len(b):n]
		clear(ext)
		return b[:n]
	}
	nb := make([]byte, n)
	copy(nb, b)
	return nb
}

// popcount counts the bits set in b.
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 32 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b)) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[8:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[16:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[24:]))
		b = b[32:]
	}
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, c := range b {
		n += bits.OnesCount8(c)
	}
	return int64(n)
}

// bitRange converts a BITCOUNT / BITPOS range as Redis 7.0 does: negative indexes count from
// the end, start is raised to 0, end is kept within the string; in BIT units the range is then
// turned into bytes plus masks of the bits of the first and last byte that are outside it.
// It returns start > end for an empty range.
func bitRange(n int, start, end int64, bitUnit bool) (s, e int64, firstMask, lastMask byte) {
	totlen := int64(n)
	if bitUnit {
		totlen <<= 3
	}
	if start < 0 {
		start += totlen
	}
	if end < 0 {
		end += totlen
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= totlen {
		end = totlen - 1
	}
	if bitUnit && start <= end {
		firstMask = ^byte(1<<(8-start&7) - 1)
		lastMask = byte(1<<(7-end&7) - 1)
		start >>= 3
		end >>= 3
	}
	return start, end, firstMask, lastMask
}

// Count returns the number of set bits of b between start and end inclusive (BITCOUNT), in
// bytes or, with bitUnit, in bits. Negative indexes count from the end (-1 is the last byte or
// bit); a range that is empty after clamping to the string counts 0, as does any range whose
// start and end are both negative with start > end. "BITCOUNT key" is Count(b, 0, -1, false).
func Count(b []byte, start, end int64, bitUnit bool) int64 {
	if start < 0 && end < 0 && start > end {
		return 0
	}
	start, end, firstMask, lastMask := bitRange(len(b), start, end, bitUnit)
	if start > end {
		return 0
	}
	n := popcount(b[start : end+1])
	n -= int64(bits.OnesCount8(b[start]&firstMask) + bits.OnesCount8(b[end]&lastMask))
	return n
}

// Pos returns the position of the first bit set to bit (0 or 1) in b between start and end
// inclusive (BITPOS), counted in bits from the start of b, or -1.
//
// The range is in bytes or, with bitUnit, in bits; negative indexes count from the end.
// endGiven says whether the command had an end argument: without one, end is ignored and the
// range runs to the end of b, and looking for a 0 in a range of all ones finds the first bit
// past the end of b (the string is taken as padded with zeros); with one, that case is -1.
// An empty range is -1, also for an existing empty string. "BITPOS key bit" is
// Pos(b, bit, 0, -1, false, false). Missing keys are the caller's business (see the
// package comment).
func Pos(b []byte, bit int, start, end int64, endGiven, bitUnit bool) int64 {
	if !endGiven {
		if bitUnit {
			end = int64(len(b))<<3 + 7
		} else {
			end = int64(len(b)) - 1
		}
	}
	start, end, firstMask, lastMask := bitRange(len(b), start, end, bitUnit)
	if start > end {
		return -1
	}
	nbytes := end - start + 1
	var pos int64
	// The first and last bytes of a BIT range are searched on their own, with the bits
	// outside the range forced to the value not searched for, as Redis 7.0 does.
	if firstMask != 0 {
		c := b[start]
		if bit == 1 {
			c &^= firstMask
		} else {
			c |= firstMask
		}
		if lastMask != 0 && nbytes == 1 {
			if bit == 1 {
				c &^= lastMask
			} else {
				c |= lastMask
			}
		}
		pos = bitpos([]byte{c}, bit)
		if nbytes == 1 || pos != -1 && pos != 8 {
			return posResult(pos, bit, start, nbytes, endGiven)
		}
		start++
		nbytes--
	}
	cur := nbytes
	if lastMask != 0 {
		cur--
	}
	if cur > 0 {
		pos = bitpos(b[start:start+cur], bit)
		if nbytes == cur || pos != -1 && pos != cur<<3 {
			return posResult(pos, bit, start, nbytes, endGiven)
		}
		start += cur
		nbytes -= cur
	}
	c := b[end]
	if bit == 1 {
		c &^= lastMask
	} else {
		c |= lastMask
	}
	pos = bitpos([]byte{c}, bit)
	return posResult(pos, bit, start, nbytes, endGiven)
}

// posResult finishes BITPOS: a 0 found just past an explicit range is no 0 at all.
func posResult(pos int64, bit int, start, nbytes int64, endGiven bool) int64 {
	if endGiven && bit == 0 && pos == nbytes<<3 {
		return -1
	}
	if pos != -1 {
		pos += start << 3
	}
	return pos
}

// bitpos is redisBitpos: the position of the first bit equal to bit in b, or, when there is
// none, -1 when looking for a 1 and len(b)*8 when looking for a 0.
func bitpos(b []byte, bit int) int64 {
	var flip uint64 // xor turning the bits searched for into ones
	if bit == 0 {
		flip = ^uint64(0)
	}
	var pos int64
	for len(b) >= 8 {
		if w := binary.BigEndian.Uint64(b) ^ flip; w != 0 {
			return pos + int64(bits.LeadingZeros64(w))
		}
		b = b[8:]
		pos += 64
	}
	for _, c := range b {
		if w := c ^ byte(flip); w != 0 {
			return pos + int64(bits.LeadingZeros8(w))
		}
		pos += 8
	}
	if bit == 1 {
		return -1
	}
	return pos
}
