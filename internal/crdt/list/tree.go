package list

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/concord-db/concord/internal/clock"
)

// The order-statistic B+tree holding the elements in key order. Leaves hold their entries
// packed in one byte buffer (with an offset per entry), which keeps a million-element list
// within a few times Redis's own listpack-based quicklist; inner nodes hold per-child element
// counts (positional access) and separator keys (access by key).

// Node sizes (variables so that tests can make tiny nodes and deep trees).
var (
	leafMax  = 4096 // bytes in a leaf's buffer before it splits (a larger single entry stays alone)
	leafMin  = 1024 // a leaf smaller than this merges with a sibling when the two fit in one
	innerMax = 64   // children of an inner node before it splits
)

// entry = hdr:uvarint(keylen<<1 | hasStamp) key seq:uvarint [hlc:uvarint member:byte]
//
//	vlen:uvarint value
type leaf struct {
	buf        []byte
	offs       []uint32 // start of each entry in buf
	prev, next *leaf
}

type inner struct {
	kids []node
	cnt  []int
	sep  [][]byte // sep[i] <= every key of kids[i] (i > 0); sep[0] is unused
}

type node interface{ isNode() }

func (*leaf) isNode()  {}
func (*inner) isNode() {}

// entryView is a decoded entry; its slices alias the leaf's buffer.
type entryView struct {
	key      []byte
	seq      uint64
	stamp    clock.Stamp // the value's stamp (the insert's, from the key's tag, unless set)
	hasStamp bool
	val      []byte
}

func (l *leaf) n() int { return len(l.offs) }

func (l *leaf) end(i int) int {
	if i+1 < len(l.offs) {
		return int(l.offs[i+1])
	}
	return len(l.buf)
}

func (l *leaf) raw(i int) []byte { return l.buf[l.offs[i]:l.end(i)] }

// key returns the key of entry i without decoding the rest.
func (l *leaf) key(i int) []byte {
	b := l.buf[l.offs[i]:]
	h, n := binary.Uvarint(b)
	return b[n : n+int(h>>1)]
}

func (l *leaf) entry(i int) entryView { return decodeEntry(l.raw(i)) }

// decodeEntry decodes an entry written by appendEntry (trusted: built by this package).
func decodeEntry(b []byte) entryView {
	var e entryView
	h, n := binary.Uvarint(b)
	b = b[n:]
	kl := int(h >> 1)
	e.key = b[:kl]
	b = b[kl:]
	e.seq, n = binary.Uvarint(b)
	b = b[n:]
	if h&1 != 0 {
		hlc, n := binary.Uvarint(b)
		e.stamp = clock.Stamp{HLC: clock.HLC(hlc), Member: clock.MemberID(b[n])}
		e.hasStamp = true
		b = b[n+1:]
	} else {
		e.stamp = tagStamp(e.key)
	}
	vl, n := binary.Uvarint(b)
	e.val = b[n : n+int(vl)]
	return e
}

func appendEntry(dst []byte, e *entryView) []byte {
	h := uint64(len(e.key)) << 1
	if e.hasStamp {
		h |= 1
	}
	dst = binary.AppendUvarint(dst, h)
	dst = append(dst, e.key...)
	dst = binary.AppendUvarint(dst, e.seq)
	if e.hasStamp {
		dst = binary.AppendUvarint(dst, uint64(e.stamp.HLC))
		dst = append(dst, byte(e.stamp.Member))
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.val)))
	return append(dst, e.val...)
}

// search returns the index of the first entry whose key is >= key, and whether it is equal.
func (l *leaf) search(key []byte) (int, bool) {
	i, j := 0, len(l.offs)
	for i < j {
		m := int(uint(i+j) >> 1)
		if bytes.Compare(l.key(m), key) < 0 {
			i = m + 1
		} else {
			j = m
		}
	}
	return i, i < len(l.offs) && bytes.Equal(l.key(i), key)
}

// grow makes room for extra more bytes, growing by a quarter so leaves waste little.
func (l *leaf) grow(extra int) {
	need := len(l.buf) + extra
	if need <= cap(l.buf) {
		return
	}
	c := max(need+need/4, 64)
	if need <= leafMax {
		c = min(c, leafMax+leafMax/8)
	}
	nb := make([]byte, len(l.buf), c)
	copy(nb, l.buf)
	l.buf = nb
}

// insertRaw inserts the encoded entry e as entry i.
func (l *leaf) insertRaw(i int, e []byte) {
	at := len(l.buf)
	if i < len(l.offs) {
		at = int(l.offs[i])
	}
	l.grow(len(e))
	l.buf = l.buf[:len(l.buf)+len(e)]
	copy(l.buf[at+len(e):], l.buf[at:])
	copy(l.buf[at:], e)
	l.offs = slices.Insert(l.offs, i, uint32(at))
	for j := i + 1; j < len(l.offs); j++ {
		l.offs[j] += uint32(len(e))
	}
}

// removeRange removes entries [i, j).
func (l *leaf) removeRange(i, j int) {
	if i >= j {
		return
	}
	from, to := int(l.offs[i]), l.end(j-1)
	d := to - from
	l.buf = append(l.buf[:from], l.buf[to:]...)
	l.offs = append(l.offs[:i], l.offs[j:]...)
	for k := i; k < len(l.offs); k++ {
		l.offs[k] -= uint32(d)
	}
	l.shrink()
}

// replace replaces entry i by the encoded entry e.
func (l *leaf) replace(i int, e []byte) {
	from, to := int(l.offs[i]), l.end(i)
	d := len(e) - (to - from)
	if d > 0 {
		l.grow(d)
	}
	tail := l.buf[to:]
	l.buf = l.buf[:len(l.buf)+d]
	copy(l.buf[from+len(e):], tail[:len(tail):len(tail)]) // copy handles the overlap
	copy(l.buf[from:], e)
	for k := i + 1; k < len(l.offs); k++ {
		l.offs[k] = uint32(int(l.offs[k]) + d)
	}
	if d < 0 {
		l.shrink()
	}
}

// shrink gives memory back when a leaf uses less than a quarter of its buffer.
func (l *leaf) shrink() {
	if cap(l.buf) > 256 && len(l.buf) < cap(l.buf)/4 {
		l.buf = append(make([]byte, 0, len(l.buf)+len(l.buf)/4+16), l.buf...)
	}
	if cap(l.offs) > 32 && len(l.offs) < cap(l.offs)/4 {
		l.offs = append(make([]uint32, 0, len(l.offs)+len(l.offs)/4+4), l.offs...)
	}
}

// splitAt moves entries [i, n) to a new leaf placed after l, and returns it.
func (l *leaf) splitAt(i int) *leaf {
	from := int(l.offs[i])
	tail := l.buf[from:]
	// Both halves get exact sizes: after a push at either end one of them is full and stays
	// as it is; the other grows on demand.
	r := &leaf{buf: make([]byte, len(tail)), offs: make([]uint32, len(l.offs)-i)}
	copy(r.buf, tail)
	for k := range r.offs {
		r.offs[k] = l.offs[i+k] - uint32(from)
	}
	l.buf = append([]byte(nil), l.buf[:from]...)
	l.offs = append([]uint32(nil), l.offs[:i]...)
	r.prev, r.next = l, l.next
	if l.next != nil {
		l.next.prev = r
	}
	l.next = r
	return r
}

// ---- tree

// pathStep is one inner node on the way from the root to a leaf and the child taken.
type pathStep struct {
	n *inner
	i int
}

// tree is the B+tree: the root, its height and the first and last leaves.
type tree struct {
	root        node
	first, last *leaf
	n           int
	path        []pathStep // scratch for descents
}

func (t *tree) init() {
	l := &leaf{}
	t.root, t.first, t.last, t.n = l, l, l, 0
}

// descendIndex finds the leaf holding element i (0 <= i < n) and its index in the leaf,
// recording the path.
func (t *tree) descendIndex(i int) (*leaf, int) {
	t.path = t.path[:0]
	nd := t.root
	for {
		switch x := nd.(type) {
		case *leaf:
			return x, i
		case *inner:
			j := 0
			for j < len(x.cnt)-1 && i >= x.cnt[j] {
				i -= x.cnt[j]
				j++
			}
			t.path = append(t.path, pathStep{x, j})
			nd = x.kids[j]
		}
	}
}

// descendKey finds the leaf where key belongs, recording the path; base is the number of
// elements before that leaf.
func (t *tree) descendKey(key []byte) (l *leaf, base int) {
	t.path = t.path[:0]
	nd := t.root
	for {
		switch x := nd.(type) {
		case *leaf:
			return x, base
		case *inner:
			// The last child whose separator is <= key.
			lo, hi := 1, len(x.kids)
			for lo < hi {
				m := int(uint(lo+hi) >> 1)
				if bytes.Compare(x.sep[m], key) <= 0 {
					lo = m + 1
				} else {
					hi = m
				}
			}
			j := lo - 1
			for k := range j {
				base += x.cnt[k]
			}
			t.path = append(t.path, pathStep{x, j})
			nd = x.kids[j]
		}
	}
}

// adjust adds d to the counts along the recorded path.
func (t *tree) adjust(d int) {
	for _, s := range t.path {
		s.n.cnt[s.i] += d
	}
	t.n += d
}

// fixLeaf restores the tree's shape after the leaf at the end of the recorded path changed:
// a leaf too large splits, an empty one is removed, a small one merges with a sibling.
// inserted is the index of an entry just inserted (-1 otherwise): splitting next to it keeps
// leaves full under pushes at either end.
func (t *tree) fixLeaf(l *leaf, inserted int) {
	switch {
	case len(l.buf) > leafMax && l.n() > 1:
		var at int
		switch {
		case inserted == l.n()-1:
			at = inserted
		case inserted == 0:
			at = 1
		default:
			at = l.n() / 2
			for at > 1 && int(l.offs[at]) > len(l.buf)/2 {
				at--
			}
			for at < l.n()-1 && int(l.offs[at]) < len(l.buf)/2 {
				at++
			}
		}
		r := l.splitAt(at)
		if t.last == l {
			t.last = r
		}
		t.insertSibling(len(t.path)-1, l, r, r.n(), r.key(0))
	case l.n() == 0:
		t.removeLeaf(l)
	case len(l.buf) < leafMin && len(t.path) > 0:
		t.mergeSmall(l)
	}
}

// insertSibling inserts node r (with cnt elements, first key sep) right after the child of the
// path step at depth d (which is l, whose count is reduced by cnt).
func (t *tree) insertSibling(d int, l, r node, cnt int, sep []byte) {
	if d < 0 { // l was the root
		t.root = &inner{kids: []node{l, r}, cnt: []int{t.n - cnt, cnt}, sep: [][]byte{nil, bytes.Clone(sep)}}
		return
	}
	s := t.path[d]
	p := s.n
	p.cnt[s.i] -= cnt
	p.kids = slices.Insert(p.kids, s.i+1, r)
	p.cnt = slices.Insert(p.cnt, s.i+1, cnt)
	p.sep = slices.Insert(p.sep, s.i+1, bytes.Clone(sep))
	if len(p.kids) <= innerMax {
		return
	}
	h := len(p.kids) / 2
	q := &inner{
		kids: append([]node(nil), p.kids[h:]...),
		cnt:  append([]int(nil), p.cnt[h:]...),
		sep:  append([][]byte(nil), p.sep[h:]...),
	}
	qsep := q.sep[0]
	q.sep[0] = nil
	clear(p.kids[h:])
	p.kids, p.cnt, p.sep = p.kids[:h:h], p.cnt[:h:h], p.sep[:h:h]
	total := 0
	for _, c := range q.cnt {
		total += c
	}
	t.insertSibling(d-1, p, q, total, qsep)
}

// removeLeaf unlinks an empty leaf and removes it from its parent (and empty ancestors).
func (t *tree) removeLeaf(l *leaf) {
	if len(t.path) == 0 {
		return // the root leaf stays, empty
	}
	if l.prev != nil {
		l.prev.next = l.next
	} else {
		t.first = l.next
	}
	if l.next != nil {
		l.next.prev = l.prev
	} else {
		t.last = l.prev
	}
	t.removeChild(len(t.path) - 1)
}

// removeChild removes the child of the path step at depth d, and the inner node itself when it
// becomes empty; a root with a single child is replaced by it.
func (t *tree) removeChild(d int) {
	s := t.path[d]
	p := s.n
	p.kids = slices.Delete(p.kids, s.i, s.i+1)
	p.cnt = slices.Delete(p.cnt, s.i, s.i+1)
	p.sep = slices.Delete(p.sep, s.i, s.i+1)
	if len(p.sep) > 0 {
		p.sep[0] = nil
	}
	if len(p.kids) == 0 && d > 0 {
		t.removeChild(d - 1)
		return
	}
	for d == 0 {
		r, ok := t.root.(*inner)
		if !ok || len(r.kids) != 1 {
			break
		}
		t.root = r.kids[0]
	}
}

// mergeSmall merges a small leaf with its next (or previous) sibling under the same parent when
// the two fit in one leaf.
func (t *tree) mergeSmall(l *leaf) {
	s := t.path[len(t.path)-1]
	p := s.n
	var a, b *leaf
	var bi int
	if s.i+1 < len(p.kids) {
		a, b, bi = l, p.kids[s.i+1].(*leaf), s.i+1
	} else if s.i > 0 {
		a, b, bi = p.kids[s.i-1].(*leaf), l, s.i
	} else {
		return
	}
	if len(a.buf)+len(b.buf) > leafMax*3/4 {
		return
	}
	base := uint32(len(a.buf))
	a.grow(len(b.buf))
	a.buf = append(a.buf, b.buf...)
	for _, o := range b.offs {
		a.offs = append(a.offs, o+base)
	}
	a.next = b.next
	if b.next != nil {
		b.next.prev = a
	} else {
		t.last = a
	}
	p.cnt[bi-1] += p.cnt[bi]
	t.path[len(t.path)-1].i = bi
	t.removeChild(len(t.path) - 1)
}

// build makes a tree from encoded entries in key order (DecodeState, Merge).
func (t *tree) build(entries func(yield func(e []byte) bool)) {
	var leaves []*leaf
	var counts []int
	var firstKeys [][]byte
	cur := &leaf{}
	flush := func() {
		if cur.n() > 0 {
			cur.buf = slices.Clip(cur.buf)
			cur.offs = slices.Clip(cur.offs)
			leaves = append(leaves, cur)
			counts = append(counts, cur.n())
			firstKeys = append(firstKeys, bytes.Clone(cur.key(0)))
			cur = &leaf{}
		}
	}
	total := 0
	for e := range entries {
		if len(cur.buf)+len(e) > leafMax*7/8 && cur.n() > 0 {
			flush()
		}
		cur.offs = append(cur.offs, uint32(len(cur.buf)))
		cur.buf = append(cur.buf, e...)
		total++
	}
	flush()
	if len(leaves) == 0 {
		t.init()
		return
	}
	for i := range leaves {
		if i > 0 {
			leaves[i].prev = leaves[i-1]
			leaves[i-1].next = leaves[i]
		}
	}
	t.first, t.last, t.n = leaves[0], leaves[len(leaves)-1], total
	nodes := make([]node, len(leaves))
	for i, l := range leaves {
		nodes[i] = l
	}
	for len(nodes) > 1 {
		var up []node
		var upCounts []int
		var upKeys [][]byte
		for i := 0; i < len(nodes); i += innerMax * 3 / 4 {
			j := min(i+innerMax*3/4, len(nodes))
			in := &inner{
				kids: append([]node(nil), nodes[i:j]...),
				cnt:  append([]int(nil), counts[i:j]...),
				sep:  append([][]byte(nil), firstKeys[i:j]...),
			}
			in.sep[0] = nil
			c := 0
			for _, x := range in.cnt {
				c += x
			}
			up = append(up, in)
			upCounts = append(upCounts, c)
			upKeys = append(upKeys, firstKeys[i])
		}
		nodes, counts, firstKeys = up, upCounts, upKeys
	}
	t.root = nodes[0]
}
