package list

import (
	"bytes"
	"encoding/binary"
	"math/big"

	"github.com/concord-db/concord/internal/clock"
)

// Position identifiers (see the package comment for the format).

// tagLen is the length of a level's tag: ^HLC (8 bytes, big-endian) and the member id.
const tagLen = 9

// maxDigits bounds a counter's length (128 bytes: far beyond any reachable count).
const maxDigits = 128

// counterLen returns the number of digit bytes a counter with header h has.
func counterLen(h byte) int {
	if h >= 0x80 {
		return int(h) - 0x7f
	}
	return 0x80 - int(h)
}

// initCounter is the counter of the first element of an empty list and of a new level.
var initCounter = []byte{0x80, 0x80}

// appendTag appends the tag of an element inserted by a batch with stamp s: later stamps sort
// first, and on an exact tie the smaller member id first (semantics.md §5).
func appendTag(dst []byte, s clock.Stamp) []byte {
	dst = binary.BigEndian.AppendUint64(dst, ^uint64(s.HLC))
	return append(dst, byte(s.Member))
}

// tagStamp decodes the stamp from the tag that ends a full key.
func tagStamp(key []byte) clock.Stamp {
	t := key[len(key)-tagLen:]
	return clock.Stamp{HLC: clock.HLC(^binary.BigEndian.Uint64(t)), Member: clock.MemberID(t[8])}
}

// level is one level of a key: its counter and its tag.
type level struct {
	c, t []byte
}

// parseKey splits a full key into its levels; ok is false when the key is malformed.
func parseKey(key []byte) (lv []level, ok bool) {
	for len(key) > 0 {
		n := 1 + counterLen(key[0])
		if len(key) < n+tagLen {
			return nil, false
		}
		lv = append(lv, level{c: key[:n], t: key[n : n+tagLen]})
		key = key[n+tagLen:]
	}
	return lv, len(lv) > 0
}

// firstCounter is the counter of a key's first level (nil when the key is too short for one).
func firstCounter(key []byte) []byte {
	if len(key) == 0 {
		return nil
	}
	n := 1 + counterLen(key[0])
	if len(key) < n+tagLen {
		return nil
	}
	return key[:n]
}

// validPath reports whether p is a valid position path: levels of counter and tag, then a
// last counter (the tag of the element itself is appended when it is inserted).
func validPath(p []byte) bool {
	for len(p) > 0 {
		n := 1 + counterLen(p[0])
		if len(p) == n {
			return true
		}
		if len(p) < n+tagLen {
			return false
		}
		p = p[n+tagLen:]
	}
	return false
}

// validKey reports whether key is a well-formed full key.
func validKey(key []byte) bool {
	_, ok := parseKey(key)
	return ok
}

// step is how far apart pushes put consecutive counters: the gaps let later inserts between
// two pushed elements take a counter in between (a midpoint) instead of a new level. It costs
// four bits of counter length.
const step = 16

// incCounter returns the counter d after c (a larger one, compared as bytes).
func incCounter(c []byte, d byte) []byte { return appendIncCounter(nil, c, d) }

// appendIncCounter appends the counter d after c to dst.
func appendIncCounter(dst, c []byte, d byte) []byte {
	start := len(dst)
	dst = append(dst, c...)
	out := dst[start:]
	carry := d
	for i := len(out) - 1; i >= 1 && carry != 0; i-- {
		v := uint16(out[i]) + uint16(carry)
		out[i], carry = byte(v), byte(v>>8)
	}
	if carry == 0 {
		return dst
	}
	// Past the largest counter of the class: the smallest counter of the next class.
	h := c[0] + 1
	dst = append(dst[:start], h)
	for range counterLen(h) {
		dst = append(dst, 0)
	}
	return dst
}

// decCounter returns the counter d before c.
func decCounter(c []byte, d byte) []byte { return appendDecCounter(nil, c, d) }

// appendDecCounter appends the counter d before c to dst.
func appendDecCounter(dst, c []byte, d byte) []byte {
	start := len(dst)
	dst = append(dst, c...)
	out := dst[start:]
	borrow := d
	for i := len(out) - 1; i >= 1 && borrow != 0; i-- {
		v := int16(out[i]) - int16(borrow)
		borrow = 0
		if v < 0 {
			v += 256
			borrow = 1
		}
		out[i] = byte(v)
	}
	if borrow == 0 {
		return dst
	}
	h := c[0] - 1
	dst = append(dst[:start], h)
	for range counterLen(h) {
		dst = append(dst, 0xff)
	}
	return dst
}

// midCounter returns a counter strictly between a < b, or nil when they are adjacent.
func midCounter(a, b []byte) []byte {
	if a[0] != b[0] { // different classes: just after a, if that is still below b
		for _, d := range []byte{step, 1} {
			if c := incCounter(a, d); bytes.Compare(c, b) < 0 {
				return c
			}
		}
		return nil
	}
	x := new(big.Int).SetBytes(a[1:])
	y := new(big.Int).SetBytes(b[1:])
	y.Sub(y, x)
	if y.Cmp(big.NewInt(2)) < 0 {
		return nil
	}
	x.Add(x, y.Rsh(y, 1))
	out := make([]byte, len(a))
	out[0] = a[0]
	x.FillBytes(out[1:])
	return out
}

// Between returns the position path of an element inserted between the elements with full
// keys left and right (nil: the list's start or end). The new element's key is the path and its
// own tag, and lies strictly between left and right whatever its tag. Between is deterministic:
// members inserting concurrently at the same place get the same path, and their tags order them.
//
// Identifier growth: pushes at either end change only the first level's counter, by step, so its
// length grows logarithmically; an insert between two elements takes the midpoint of their
// counters when there is room, and otherwise goes one level deeper; repeated inserts at one
// place (LINSERT before or after the same pivot) add at most one level and then count there.
func Between(left, right []byte) []byte {
	if left == nil || right == nil {
		p, ok := AppendBetween(nil, left, right)
		if !ok {
			return nil
		}
		return p
	}
	ll, ok1 := parseKey(left)
	rl, ok2 := parseKey(right)
	if !ok1 || !ok2 || bytes.Compare(left, right) >= 0 {
		return nil
	}
	prefix := 0 // bytes of left's levels before level i
	for i := 0; ; i++ {
		if i == len(ll) { // left is a path prefix of right: count down under left
			return append(bytes.Clone(left), decCounter(rl[i].c, step)...)
		}
		a, b := ll[i], rl[i] // right cannot end first: it is larger
		alen := len(a.c) + tagLen
		if bytes.Equal(a.c, b.c) && bytes.Equal(a.t, b.t) {
			prefix += alen
			continue
		}
		if !bytes.Equal(a.c, b.c) {
			if c := midCounter(a.c, b.c); c != nil {
				return append(bytes.Clone(left[:prefix]), c...)
			}
		}
		// No room at this level: go one level deeper under left.
		if i+1 < len(ll) {
			return append(bytes.Clone(left[:prefix+alen]), incCounter(ll[i+1].c, step)...)
		}
		return append(bytes.Clone(left), initCounter...)
	}
}

// AppendBetween appends Between(left, right) to dst; ok is false when Between returns nil.
// Pushes (left or right nil) allocate nothing beyond dst's growth.
func AppendBetween(dst, left, right []byte) (_ []byte, ok bool) {
	switch {
	case left == nil && right == nil:
		return append(dst, initCounter...), true
	case right == nil:
		if c := firstCounter(left); c != nil {
			return appendIncCounter(dst, c, step), true
		}
		return dst, false
	case left == nil:
		if c := firstCounter(right); c != nil {
			return appendDecCounter(dst, c, step), true
		}
		return dst, false
	}
	p := Between(left, right)
	if p == nil {
		return dst, false
	}
	return append(dst, p...), true
}

// PushRoom is the most bytes a position AppendBetween gives for a push next to the element
// with full key end (nil: onto an empty list) can take: its first counter and one more digit.
func PushRoom(end []byte) int {
	if c := firstCounter(end); c != nil {
		return len(c) + 1
	}
	return len(initCounter)
}

// AppendKey appends the full key of an element with position path p inserted by a batch with
// stamp s to dst.
func AppendKey(dst, p []byte, s clock.Stamp) []byte { return appendTag(append(dst, p...), s) }

// Key returns the full key of an element with position path p inserted by a batch with stamp s.
func Key(p []byte, s clock.Stamp) []byte {
	return appendTag(append(make([]byte, 0, len(p)+tagLen), p...), s)
}
