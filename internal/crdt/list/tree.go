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
//
// A leaf's buffer and its offsets are double-ended: the entries sit in the middle of their
// arrays with free room on both sides, and an insert or removal moves the shorter side. A push
// or pop at either end of a leaf therefore moves no other entry and rewrites no offset (LPUSH
// and LPOP, which redis-benchmark runs against one big list, used to move the whole leaf and
// shift every offset each time).

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
	mem    []byte // the buffer (len == cap); entries are packed in order in mem[lo:hi]
	lo, hi int
	offs   []uint32 // start of each entry in mem, in offs[ol:oh] (len == cap)
	ol, oh int
	prev   *leaf
	next   *leaf
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

func (l *leaf) n() int { return l.oh - l.ol }

// size is the number of bytes of the leaf's entries.
func (l *leaf) size() int { return l.hi - l.lo }

// data is the leaf's entries, encoded one after the other (as in the state encoding).
func (l *leaf) data() []byte { return l.mem[l.lo:l.hi] }

func (l *leaf) off(i int) int { return int(l.offs[l.ol+i]) }

func (l *leaf) end(i int) int {
	if i+1 < l.n() {
		return l.off(i + 1)
	}
	return l.hi
}

func (l *leaf) raw(i int) []byte { return l.mem[l.off(i):l.end(i)] }

// key returns the key of entry i without decoding the rest.
func (l *leaf) key(i int) []byte {
	b := l.mem[l.off(i):l.hi]
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
	i, j := 0, l.n()
	for i < j {
		m := int(uint(i+j) >> 1)
		if bytes.Compare(l.key(m), key) < 0 {
			i = m + 1
		} else {
			j = m
		}
	}
	return i, i < l.n() && bytes.Equal(l.key(i), key)
}

// newLeaf returns an empty leaf with room for about size bytes and n entries.
func newLeaf(size, n int) *leaf {
	return &leaf{mem: make([]byte, size), offs: make([]uint32, n)}
}

// setData makes the encoded entries in data, which start at offsets offs (relative to data),
// the leaf's contents; the arrays' spare capacity is free room after them.
func (l *leaf) setData(data []byte, offs []uint32) {
	l.mem, l.lo, l.hi = data[:cap(data)], 0, len(data)
	l.offs, l.ol, l.oh = offs[:cap(offs)], 0, len(offs)
}

// place moves the entries to a buffer of c bytes (the same one when c is its size), with
// front bytes free before them.
func (l *leaf) place(c, front int) {
	mem := l.mem
	if c != len(mem) {
		mem = make([]byte, c)
	}
	size := l.size()
	copy(mem[front:], l.mem[l.lo:l.hi]) // copy handles the overlap within one buffer
	if d := front - l.lo; d != 0 {
		for k := l.ol; k < l.oh; k++ {
			l.offs[k] = uint32(int(l.offs[k]) + d)
		}
	}
	l.mem, l.lo, l.hi = mem, front, front+size
}

// placeOffs is place for the offsets.
func (l *leaf) placeOffs(c, front int) {
	offs := l.offs
	if c != len(offs) {
		offs = make([]uint32, c)
	}
	n := l.n()
	copy(offs[front:], l.offs[l.ol:l.oh])
	l.offs, l.ol, l.oh = offs, front, front+n
}

// spread splits free room between the two sides for an insert at entry i of n: all of it
// before the entries for an insert at the start (pushes at the head continue there), all after
// them for one at the end, half on each side otherwise.
func spread(free, i, n int) int {
	switch {
	case n > 0 && i == 0:
		return free
	case n > 0 && i == n:
		return 0
	}
	return free / 2
}

// makeRoom moves the entries so that an insert of m bytes at entry i finds room on the side it
// moves. The target size is twice the new size for an insert at an end (pushes go on there) and
// a quarter more, with m free on each side, in the middle, at most leafMax (exactly the new size
// for a leaf that splits right after the insert); a buffer at least that large is recentred in
// place, a smaller one replaced. The free room goes where spread says: amortised, a push moves
// no more bytes than it inserts.
func (l *leaf) makeRoom(i, m int) {
	n := l.n()
	need := l.size() + m
	c := max(2*need, 64)
	if n == 0 || i > 0 && i < n {
		need += m // room on both sides
		c = max(need+need/4, 64)
	}
	if need <= leafMax {
		c = max(min(c, leafMax), need)
	} else {
		c = need
	}
	if c <= len(l.mem) {
		c = len(l.mem) // enough room already: recentre in place
	}
	l.place(c, spread(c-l.size(), i, n))
}

// makeRoomOffs is makeRoom for the offsets: at least one free slot on the side to move.
func (l *leaf) makeRoomOffs(i int) {
	n := l.n()
	c := max(2*(n+1), 8)
	if c <= len(l.offs) {
		c = len(l.offs)
	}
	l.placeOffs(c, spread(c-n, i, n))
}

// insertRaw inserts the encoded entry e as entry i, moving the entries before or after it,
// whichever are fewer bytes.
func (l *leaf) insertRaw(i int, e []byte) {
	m, n := len(e), l.n()
	at := l.hi
	if i < n {
		at = l.off(i)
	}
	front := at-l.lo < l.hi-at
	fits := func(front bool) bool {
		if front {
			return l.lo >= m
		}
		return len(l.mem)-l.hi >= m
	}
	if !fits(front) && i > 0 && i < n && fits(!front) {
		// In the middle, moving the other side (as every insert did before leaves were
		// double-ended) is better than reallocating.
		front = !front
	} else if !fits(front) {
		l.makeRoom(i, m)
		if i < n {
			at = l.off(i)
		} else {
			at = l.hi
		}
		front = at-l.lo < l.hi-at
		if !fits(front) {
			front = !front
		}
	}
	if front {
		copy(l.mem[l.lo-m:], l.mem[l.lo:at])
		l.lo -= m
		at -= m
		for k := l.ol; k < l.ol+i; k++ {
			l.offs[k] -= uint32(m)
		}
	} else {
		copy(l.mem[at+m:l.hi+m], l.mem[at:l.hi])
		l.hi += m
		for k := l.ol + i; k < l.oh; k++ {
			l.offs[k] += uint32(m)
		}
	}
	copy(l.mem[at:], e)
	l.insertOff(i, uint32(at))
}

// insertOff inserts v as offset i.
func (l *leaf) insertOff(i int, v uint32) {
	n := l.n()
	front := i < n-i
	fits := func(front bool) bool { return front && l.ol > 0 || !front && l.oh < len(l.offs) }
	if !fits(front) && i > 0 && i < n && fits(!front) {
		front = !front // as in insertRaw
	} else if !fits(front) {
		l.makeRoomOffs(i)
		if !fits(front) {
			front = !front
		}
	}
	if front {
		copy(l.offs[l.ol-1:], l.offs[l.ol:l.ol+i])
		l.ol--
	} else {
		copy(l.offs[l.ol+i+1:l.oh+1], l.offs[l.ol+i:l.oh])
		l.oh++
	}
	l.offs[l.ol+i] = v
}

// removeRange removes entries [i, j), moving the entries before or after them, whichever are
// fewer bytes.
func (l *leaf) removeRange(i, j int) {
	if i >= j {
		return
	}
	from, to := l.off(i), l.end(j-1)
	d, k := to-from, j-i
	if from-l.lo < l.hi-to {
		copy(l.mem[l.lo+d:], l.mem[l.lo:from])
		l.lo += d
		for x := l.ol; x < l.ol+i; x++ {
			l.offs[x] += uint32(d)
		}
		copy(l.offs[l.ol+k:], l.offs[l.ol:l.ol+i])
		l.ol += k
	} else {
		copy(l.mem[from:], l.mem[to:l.hi])
		l.hi -= d
		for x := l.ol + j; x < l.oh; x++ {
			l.offs[x] -= uint32(d)
		}
		copy(l.offs[l.ol+i:], l.offs[l.ol+j:l.oh])
		l.oh -= k
	}
	l.shrink()
}

// replace replaces entry i by the encoded entry e.
func (l *leaf) replace(i int, e []byte) {
	from, to := l.off(i), l.end(i)
	if len(e) == to-from {
		copy(l.mem[from:], e)
		return
	}
	l.removeRange(i, i+1)
	l.insertRaw(i, e)
}

// shrink gives memory back when a leaf uses less than a quarter of its buffer.
func (l *leaf) shrink() {
	if l.n() == 0 {
		return // about to be removed from the tree
	}
	if len(l.mem) > 256 && l.size() < len(l.mem)/4 {
		size := l.size()
		c := size + size/4 + 16
		l.place(c, (c-size)/2)
	}
	if len(l.offs) > 32 && l.n() < len(l.offs)/4 {
		n := l.n()
		c := n + n/4 + 4
		l.placeOffs(c, (c-n)/2)
	}
}

// splitAt moves entries [i, n) to a new leaf placed after l, and returns it.
func (l *leaf) splitAt(i int) *leaf {
	// Both halves get exact sizes (a split in the middle: either may grow next).
	r := &leaf{}
	r.setData(bytes.Clone(l.mem[l.off(i):l.hi]), l.relOffs(i, l.n()))
	l.setData(bytes.Clone(l.mem[l.lo:l.off(i)]), l.relOffs(0, i))
	r.prev, r.next = l, l.next
	if l.next != nil {
		l.next.prev = r
	}
	l.next = r
	return r
}

// relOffs returns the offsets of entries [i, j) relative to the start of entry i.
func (l *leaf) relOffs(i, j int) []uint32 {
	out := make([]uint32, j-i)
	if j > i {
		base := l.offs[l.ol+i]
		for k := range out {
			out[k] = l.offs[l.ol+i+k] - base
		}
	}
	return out
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

// descendEdge finds the first (or the last) leaf, recording the path: the place of a key
// below (above) every key of the list, without comparing keys.
func (t *tree) descendEdge(last bool) *leaf {
	t.path = t.path[:0]
	nd := t.root
	for {
		x, ok := nd.(*inner)
		if !ok {
			return nd.(*leaf)
		}
		j := 0
		if last {
			j = len(x.kids) - 1
		}
		t.path = append(t.path, pathStep{x, j})
		nd = x.kids[j]
	}
}

// locate finds where key is or belongs: its leaf and index there (recording the path), the
// number of elements before that leaf, and whether the key is present. Keys at or beyond
// either end of the list (pushes, pops) take the leftmost or rightmost path directly.
func (t *tree) locate(key []byte) (lf *leaf, i, base int, found bool) {
	if t.n > 0 {
		if c := bytes.Compare(key, t.first.key(0)); c <= 0 {
			return t.descendEdge(false), 0, 0, c == 0
		}
		last := t.last
		if c := bytes.Compare(key, last.key(last.n()-1)); c >= 0 {
			i = last.n()
			if c == 0 {
				i--
			}
			return t.descendEdge(true), i, t.n - last.n(), c == 0
		}
	}
	lf, base = t.descendKey(key)
	i, found = lf.search(key)
	return lf, i, base, found
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
	case l.size() > leafMax && l.n() > 1:
		var at int
		switch {
		case inserted == l.n()-1:
			at = inserted
		case inserted == 0:
			at = 1
		default:
			at = l.n() / 2
			half := l.lo + l.size()/2
			for at > 1 && l.off(at) > half {
				at--
			}
			for at < l.n()-1 && l.off(at) < half {
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
	case l.size() < leafMin && len(t.path) > 0:
		t.mergeSmall(l)
	}
}

// pushLeaf inserts the encoded entry e at the start (front) or the end of the full leaf l at
// the end of the recorded path, in a leaf of its own (the counts on the path already include
// it). This is the split fixLeaf makes next to an entry inserted at either end of a leaf, without
// inserting it first or copying the full leaf: a leaf filled by pushes stays as it is.
func (t *tree) pushLeaf(l *leaf, front bool, e []byte) {
	// The new leaf will likely be filled by more pushes, as l was: a whole leaf's room (one
	// allocation, instead of growing it and copying), and offsets for as many entries as l
	// holds. At most one leaf at each end of a list is not full.
	nl := newLeaf(max(leafMax, len(e)), max(l.n()+l.n()/8+1, 8))
	if front {
		nl.lo, nl.hi = len(nl.mem)-len(e), len(nl.mem)
		nl.ol, nl.oh = len(nl.offs)-1, len(nl.offs)
	} else {
		nl.lo, nl.hi = 0, len(e)
		nl.ol, nl.oh = 0, 1
	}
	copy(nl.mem[nl.lo:], e)
	nl.offs[nl.ol] = uint32(nl.lo)
	r := nl
	if front {
		// l keeps its place in the tree and takes the new entry; its entries move to r, after it.
		r = &leaf{mem: l.mem, lo: l.lo, hi: l.hi, offs: l.offs, ol: l.ol, oh: l.oh}
		l.mem, l.lo, l.hi, l.offs, l.ol, l.oh = nl.mem, nl.lo, nl.hi, nl.offs, nl.ol, nl.oh
	}
	r.prev, r.next = l, l.next
	if l.next != nil {
		l.next.prev = r
	}
	l.next = r
	if t.last == l {
		t.last = r
	}
	t.insertSibling(len(t.path)-1, l, r, r.n(), r.key(0))
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
	if a.size()+b.size() > leafMax*3/4 {
		return
	}
	// a takes b's entries, in arrays of exact size.
	mem := make([]byte, a.size()+b.size())
	copy(mem, a.data())
	copy(mem[a.size():], b.data())
	offs := make([]uint32, a.n()+b.n())
	for k := range a.n() {
		offs[k] = uint32(a.off(k) - a.lo)
	}
	for k := range b.n() {
		offs[a.n()+k] = uint32(b.off(k) - b.lo + a.size())
	}
	a.setData(mem, offs)
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
	var buf []byte
	var offs []uint32
	flush := func() {
		if len(offs) > 0 {
			cur := &leaf{}
			cur.setData(slices.Clip(buf), slices.Clip(offs))
			leaves = append(leaves, cur)
			counts = append(counts, cur.n())
			firstKeys = append(firstKeys, bytes.Clone(cur.key(0)))
			buf, offs = nil, nil
		}
	}
	total := 0
	for e := range entries {
		if len(buf)+len(e) > leafMax*7/8 && len(offs) > 0 {
			flush()
		}
		offs = append(offs, uint32(len(buf)))
		buf = append(buf, e...)
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
