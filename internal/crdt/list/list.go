// Package list implements the value of a Redis list key (semantics.md §5) as a sequence CRDT
// with dense position identifiers: no tombstones are kept.
//
// Every element has a full key, unique and totally ordered as bytes; the list is its elements
// in key order. A key is a path of levels: a counter, then a tag, per level,
//
//	key     = { counter tag }            (one or more levels)
//	counter = header:byte digits         (digits: 1..128 bytes, as many as the header says:
//	                                      header >= 0x80: header-0x7f; otherwise 0x80-header)
//	tag     = ^hlc:8 bytes big-endian  member:byte
//
// Counters are big-endian numbers whose header orders them by length, so a counter can always
// be incremented or decremented while staying in order, and its length grows with the log of
// the count. Pushes space consecutive counters 16 apart, so that an insert between two elements
// usually takes a counter in between; when there is no room it goes one level deeper, under the
// left neighbour (Between). Measured longest keys after 200,000 inserts: 13 bytes for RPUSH,
// LPUSH or LPUSH+RPOP (14 bytes from about 1M to 268M pushes), 24 bytes for LINSERT at the same
// pivot (before or after), 77 bytes for inserts at random places.
//
// The tag of an element's last level is the stamp of the batch that inserted it (complemented:
// later first; on a tie the smaller member id first), so that elements inserted
// concurrently at the same place, which get the same path from the deterministic Between, are
// all kept and ordered identically everywhere (semantics.md §5, decision). The batch dot and
// the tag identify the element: operations name elements by their full keys.
//
// An element also carries the sequence number of the batch that inserted it (with the tag's
// member, the element's dot: DEL and full-state merge remove what the remover had seen), and the
// stamp of the LSET that wrote its value when there was one (concurrent LSETs: last writer
// wins; an LSET of an element removed elsewhere does nothing, so removal wins).
//
// Elements are held in an order-statistic B+tree (tree.go): access by index or by key is
// O(log n), pushes and pops at either end touch one leaf and the counts above it.
//
// State encoding (AppendState): version:byte(=1) n:uvarint { entry } with entries in key order,
//
//	entry = hdr:uvarint(keylen<<1 | hasStamp) key seq:uvarint [hlc:uvarint member:byte]
//	        vlen:uvarint value
//
// which is also how a leaf stores its entries.
//
// Everything here is pure: no clock reads, no I/O, no goroutines.
package list

import (
	"bytes"
	"slices"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// List is a list key's conflict-free state. Use New.
type List struct {
	t tree
}

// New returns an empty list.
func New() *List {
	l := &List{}
	l.t.init()
	return l
}

// Type implements crdt.Value.
func (l *List) Type() crdt.Type { return crdt.TypeList }

// Live implements crdt.Value: a list exists while it has an element.
func (l *List) Live() bool { return l.t.n > 0 }

// Len is the number of elements.
func (l *List) Len() int { return l.t.n }

// Iter is a position in the list. Its value and key alias the list's storage and are valid
// until the list changes.
type Iter struct {
	lf *leaf
	i  int
}

// Valid reports whether the iterator is on an element.
func (it *Iter) Valid() bool { return it.lf != nil && it.i >= 0 && it.i < it.lf.n() }

// Next moves to the following element.
func (it *Iter) Next() {
	it.i++
	for it.lf != nil && it.i >= it.lf.n() {
		it.lf, it.i = it.lf.next, 0
	}
}

// Prev moves to the preceding element.
func (it *Iter) Prev() {
	it.i--
	for it.lf != nil && it.i < 0 {
		it.lf = it.lf.prev
		if it.lf != nil {
			it.i = it.lf.n() - 1
		}
	}
}

// Value is the element's value.
func (it *Iter) Value() []byte { return it.lf.entry(it.i).val }

// Key is the element's full key.
func (it *Iter) Key() []byte { return it.lf.key(it.i) }

// Seek returns an iterator on element i (0 <= i < Len()), found in O(log n).
func (l *List) Seek(i int) Iter {
	if i < 0 || i >= l.t.n {
		return Iter{}
	}
	switch {
	case i < l.t.first.n():
		return Iter{l.t.first, i}
	case i >= l.t.n-l.t.last.n():
		return Iter{l.t.last, i - (l.t.n - l.t.last.n())}
	}
	lf, j := l.t.descendIndex(i)
	return Iter{lf, j}
}

// Index returns the value of element i (0 <= i < Len()); it aliases the list's storage.
func (l *List) Index(i int) []byte {
	it := l.Seek(i)
	if !it.Valid() {
		return nil
	}
	return it.Value()
}

// KeyAt returns the full key of element i (0 <= i < Len()); it aliases the list's storage.
func (l *List) KeyAt(i int) []byte {
	it := l.Seek(i)
	if !it.Valid() {
		return nil
	}
	return it.Key()
}

// Insert applies the insertion of val with position path p by the batch with dot dot and stamp
// s (the element's key is Key(p, s)). It reports whether the element was inserted: a malformed
// path, or a key already present, changes nothing. val is copied.
func (l *List) Insert(p, val []byte, dot clock.Dot, s clock.Stamp) bool {
	if !validPath(p) || dot.Member != s.Member {
		return false
	}
	var kb [64]byte
	key := appendTag(append(kb[:0], p...), s)
	lf, i, _, found := l.t.locate(key)
	if found {
		return false
	}
	var eb [128]byte
	e := entryView{key: key, seq: dot.Seq, val: val}
	enc := appendEntry(eb[:0], &e)
	l.t.adjust(1)
	// A push at either end of the list into a full end leaf starts a leaf of its own; anywhere
	// else (an insert at a middle leaf's edge) the leaf splits in halves as usual.
	if n := lf.n(); n > 0 && ((i == 0 && lf == l.t.first) || (i == n && lf == l.t.last)) && lf.size()+len(enc) > leafMax {
		l.t.pushLeaf(lf, i == 0, enc)
		return true
	}
	lf.insertRaw(i, enc)
	l.t.fixLeaf(lf, i)
	return true
}

// find locates the element with this key: its leaf and index, and its position in the list.
func (l *List) find(key []byte) (lf *leaf, i, pos int, ok bool) {
	lf, i, base, ok := l.t.locate(key)
	return lf, i, base + i, ok
}

// Position returns the index of the element with this key, and whether it is present.
func (l *List) Position(key []byte) (int, bool) {
	_, _, pos, ok := l.find(key)
	return pos, ok
}

// Remove applies the removal of the element with this key; it reports whether it was present.
func (l *List) Remove(key []byte) bool {
	lf, i, _, ok := l.find(key)
	if !ok {
		return false
	}
	lf.removeRange(i, i+1)
	l.t.adjust(-1)
	l.t.fixLeaf(lf, -1)
	if l.t.n == 0 {
		l.t.init()
	}
	return true
}

// bulkRemoveMin is the number of keys from which RemoveKeys may rebuild the list (a variable for
// the tests).
var bulkRemoveMin = 64

// RemoveKeys applies the removal of the elements with these keys (absent ones are skipped). A
// removal of a large share of the list (LTRIM, LREM of many elements) rebuilds it in one pass
// instead of removing elements one by one.
func (l *List) RemoveKeys(keys [][]byte) {
	if len(keys) < bulkRemoveMin || len(keys) < l.t.n/16 {
		for _, k := range keys {
			l.Remove(k)
		}
		return
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, bytes.Compare)
	j := 0
	l.filter(func(e *entryView) bool {
		for j < len(sorted) && bytes.Compare(sorted[j], e.key) < 0 {
			j++
		}
		return j == len(sorted) || !bytes.Equal(sorted[j], e.key)
	})
}

// Set applies an LSET of the element with this key to val by a batch with stamp s: the value
// is written unless it holds the value of a later write. It reports whether the element is
// present. val is copied.
func (l *List) Set(key, val []byte, s clock.Stamp) bool {
	lf, i, _, ok := l.find(key)
	if !ok {
		return false
	}
	e := lf.entry(i)
	if e.stamp.After(s) {
		return true // a later LSET (or, never, a later insert) wins
	}
	e.val, e.stamp, e.hasStamp = val, s, true
	var eb [128]byte
	enc := appendEntry(eb[:0], &e) // e aliases the leaf: encode before replacing
	lf.replace(i, enc)
	l.t.fixLeaf(lf, -1)
	return true
}

// Stamp returns the stamp of the write that gave the element with this key its value.
func (l *List) Stamp(key []byte) (clock.Stamp, bool) {
	lf, i, _, ok := l.find(key)
	if !ok {
		return clock.Stamp{}, false
	}
	return lf.entry(i).stamp, true
}

// Dot returns the dot of the batch that inserted the element with this key.
func (l *List) Dot(key []byte) (clock.Dot, bool) {
	lf, i, _, ok := l.find(key)
	if !ok {
		return clock.Dot{}, false
	}
	e := lf.entry(i)
	return clock.Dot{Member: tagStamp(e.key).Member, Seq: e.seq}, true
}

// RemoveAll removes every element whose insert the origin of obs had seen (DEL, FLUSHDB).
func (l *List) RemoveAll(obs crdt.Observed) {
	all := true
	for lf := l.t.first; lf != nil && all; lf = lf.next {
		for i := range lf.n() {
			if !obs.Covers(entryDot(lf, i)) {
				all = false
				break
			}
		}
	}
	if all {
		l.t.init()
		return
	}
	l.filter(func(e *entryView) bool {
		return !obs.Covers(clock.Dot{Member: tagStamp(e.key).Member, Seq: e.seq})
	})
}

func entryDot(lf *leaf, i int) clock.Dot {
	e := lf.entry(i)
	return clock.Dot{Member: tagStamp(e.key).Member, Seq: e.seq}
}

// filter rebuilds the list with the elements keep accepts.
func (l *List) filter(keep func(e *entryView) bool) {
	first := l.t.first
	l.t.build(func(yield func([]byte) bool) {
		for lf := first; lf != nil; lf = lf.next {
			for i := range lf.n() {
				e := lf.entry(i)
				if keep(&e) && !yield(lf.raw(i)) {
					return
				}
			}
		}
	})
}

// Each calls fn with every element's value in order until fn returns false.
func (l *List) Each(fn func(val []byte) bool) {
	for lf := l.t.first; lf != nil; lf = lf.next {
		for i := range lf.n() {
			if !fn(lf.entry(i).val) {
				return
			}
		}
	}
}

// First returns an iterator on the first element (invalid when the list is empty).
func (l *List) First() Iter {
	if l.t.n == 0 {
		return Iter{}
	}
	return Iter{l.t.first, 0}
}

// Last returns an iterator on the last element.
func (l *List) Last() Iter {
	if l.t.n == 0 {
		return Iter{}
	}
	return Iter{l.t.last, l.t.last.n() - 1}
}

// Equal reports whether two lists have the same elements, keys, dots and stamps.
func (l *List) Equal(o *List) bool {
	return bytes.Equal(l.AppendState(nil), o.AppendState(nil))
}
