package list

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/concord-db/concord/internal/clock"
)

// ErrCorrupt is wrapped by every DecodeState error.
var ErrCorrupt = errors.New("list: corrupt state")

const stateVersion = 1

// AppendState appends the list's whole conflict-free state to dst (format in the package
// comment). The encoding is canonical: equal states give equal bytes.
func (l *List) AppendState(dst []byte) []byte {
	size := 1 + binary.MaxVarintLen64
	for lf := l.t.first; lf != nil; lf = lf.next {
		size += lf.size()
	}
	dst = slices.Grow(dst, size) // one allocation for a big list, not a series of copies
	dst = append(dst, stateVersion)
	dst = binary.AppendUvarint(dst, uint64(l.t.n))
	for lf := l.t.first; lf != nil; lf = lf.next {
		dst = append(dst, lf.data()...)
	}
	return dst
}

// DecodeState decodes what AppendState wrote. It validates every entry (well-formed keys in
// strictly increasing order, member ids in range) and never allocates much more than len(data).
func DecodeState(data []byte) (*List, error) {
	if len(data) == 0 || data[0] != stateVersion {
		return nil, fmt.Errorf("%w: version", ErrCorrupt)
	}
	data = data[1:]
	n, k := binary.Uvarint(data)
	if k <= 0 || n > uint64(len(data)) || k != len(binary.AppendUvarint(nil, n)) {
		return nil, fmt.Errorf("%w: count", ErrCorrupt)
	}
	data = data[k:]
	// Validate first, so that build never sees garbage.
	var spans [][2]int
	rest := data
	off := 0
	var prev []byte
	for range n {
		m, err := checkEntry(rest)
		if err != nil {
			return nil, err
		}
		key := decodeEntry(rest[:m]).key
		if prev != nil && bytes.Compare(prev, key) >= 0 {
			return nil, fmt.Errorf("%w: keys out of order", ErrCorrupt)
		}
		prev = key
		spans = append(spans, [2]int{off, off + m})
		off += m
		rest = rest[m:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	}
	l := &List{}
	l.t.build(func(yield func([]byte) bool) {
		for _, s := range spans {
			if !yield(data[s[0]:s[1]]) {
				return
			}
		}
	})
	return l, nil
}

// checkEntry validates the entry at the start of b and returns its length.
func checkEntry(b []byte) (int, error) {
	h, k := binary.Uvarint(b)
	if k <= 0 || h>>1 > uint64(len(b)-k) {
		return 0, fmt.Errorf("%w: entry header", ErrCorrupt)
	}
	pos := k
	key := b[pos : pos+int(h>>1)]
	if !validKey(key) || !clock.MemberID(key[len(key)-1]).Valid() {
		return 0, fmt.Errorf("%w: key", ErrCorrupt)
	}
	pos += len(key)
	seq, k := binary.Uvarint(b[pos:])
	if k <= 0 || seq == 0 {
		return 0, fmt.Errorf("%w: seq", ErrCorrupt)
	}
	pos += k
	if h&1 != 0 {
		_, k := binary.Uvarint(b[pos:])
		if k <= 0 || pos+k >= len(b) || !clock.MemberID(b[pos+k]).Valid() {
			return 0, fmt.Errorf("%w: stamp", ErrCorrupt)
		}
		pos += k + 1
	}
	vl, k := binary.Uvarint(b[pos:])
	if k <= 0 || vl > uint64(len(b)-pos-k) {
		return 0, fmt.Errorf("%w: value", ErrCorrupt)
	}
	return pos + k + int(vl), nil
}

// Merge joins other's state into l (full resync). mine and theirs are the vector clocks of the
// replicas l and other come from: an element present on one side only was removed by the other
// side if that side's clock covers its dot, and is kept otherwise; an element on both sides
// keeps the value of the later write.
func (l *List) Merge(other *List, mine, theirs clock.Vector) {
	a, b := l.First(), other.First()
	var scratch []byte
	var merged [][]byte
	// The result is built from entries copied out, since both trees are read while building.
	for a.Valid() || b.Valid() {
		var c int
		switch {
		case !a.Valid():
			c = 1
		case !b.Valid():
			c = -1
		default:
			c = bytes.Compare(a.Key(), b.Key())
		}
		switch {
		case c < 0:
			if !theirs.Covers(entryDot(a.lf, a.i)) {
				merged = append(merged, bytes.Clone(a.lf.raw(a.i)))
			}
			a.Next()
		case c > 0:
			if !mine.Covers(entryDot(b.lf, b.i)) {
				merged = append(merged, bytes.Clone(b.lf.raw(b.i)))
			}
			b.Next()
		default:
			ea, eb := a.lf.entry(a.i), b.lf.entry(b.i)
			win := ea
			if eb.stamp.After(ea.stamp) {
				win = eb
			}
			scratch = appendEntry(scratch[:0], &win)
			merged = append(merged, bytes.Clone(scratch))
			a.Next()
			b.Next()
		}
	}
	l.t.build(func(yield func([]byte) bool) {
		for _, e := range merged {
			if !yield(e) {
				return
			}
		}
	})
}
