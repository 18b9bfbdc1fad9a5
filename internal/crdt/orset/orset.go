// Package orset implements the value of a Redis set key (semantics.md §3): an observed-remove,
// add-wins set.
//
// Each member carries the dots of the adds that no later operation has observed: an add removes
// the member's dots its origin had seen and adds its own (re-adding is adding: the new dot wins
// over a concurrent removal), a removal removes the dots its origin had seen (crdt.Observed), so
// adds made concurrently elsewhere survive. A member is present while it has a dot. Nearly every
// member has exactly one dot, which is kept inline; the rare extra dots of members added
// concurrently on several members live in a side map.
//
// Members are kept in a dense slice with swap-remove, indexed by a map from member to slot: a
// random member is one slot (SPOP, SRANDMEMBER), and a SCAN cursor is one more than the next slot
// to visit, visiting slots from the end towards 0 as the keyspace does (package store): a removal
// only moves the last member into the freed slot, so a member present for the whole iteration is
// returned at least once.
//
// Member strings are retained as given: callers pass strings whose bytes never change (the
// engine converts an operation's immutable element bytes without copying).
//
// Everything here is pure: no clock reads, no I/O, no goroutines.
package orset

import (
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// Set is a set key's conflict-free state. The zero Set is empty and ready to use.
type Set struct {
	index map[string]uint32 // member → slot
	// The slots, in chunks of chunkSize so that growing a large set never copies it (no latency
	// spike) and wastes at most one chunk. The first chunk grows by doubling up to chunkSize, so
	// small sets stay small; the chunk after the last used one may be kept as a spare.
	chunks [][]elem
	n      int
	more   map[string][]clock.Dot // a member's dots beyond the inline one (elem.multi)
	peak   int                    // largest size since index was last rebuilt (see shrink)
	// hint is the slot of the member Stored found last, so that the add it prepares finds the
	// member again without hashing it (see slotOf).
	hint uint32
}

const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// elem is one member and its inline dot (32 bytes).
type elem struct {
	name   string
	seq    uint64
	member clock.MemberID
	multi  bool // more holds further dots of this member
}

func (e *elem) dot() clock.Dot { return clock.Dot{Member: e.member, Seq: e.seq} }

func (e *elem) setDot(d clock.Dot) { e.member, e.seq = d.Member, d.Seq }

// New returns an empty set.
func New() *Set { return &Set{} }

// Type implements crdt.Value.
func (s *Set) Type() crdt.Type { return crdt.TypeSet }

// Live implements crdt.Value: a set exists while it has a member.
func (s *Set) Live() bool { return s.n > 0 }

// Len is the number of members.
func (s *Set) Len() int { return s.n }

// Contains reports whether m is a member.
func (s *Set) Contains(m string) bool {
	_, ok := s.index[m]
	return ok
}

// ContainsBytes is Contains for a member given as bytes (no allocation).
func (s *Set) ContainsBytes(m []byte) bool {
	_, ok := s.index[string(m)]
	return ok
}

// At returns the member in slot i (0 <= i < Len()); slots are in no particular order.
func (s *Set) At(i int) string { return s.slot(i).name }

// Each calls fn for every member until fn returns false. fn must not change the set.
func (s *Set) Each(fn func(m string) bool) {
	for _, c := range s.chunks {
		for i := range c {
			if !fn(c[i].name) {
				return
			}
		}
	}
}

// Dots returns the dots of m's adds that are not removed (nil when m is not a member).
func (s *Set) Dots(m string) []clock.Dot {
	i, ok := s.index[m]
	if !ok {
		return nil
	}
	e := s.slot(int(i))
	out := []clock.Dot{e.dot()}
	if e.multi {
		out = append(out, s.more[m]...)
	}
	return out
}

// Stored returns the string the set holds for member m (false when m is not a member), so that
// an operation about m can share it instead of copying the argument. It remembers m's slot for
// the operation that follows (a hint only: a later lookup checks it, so any change in between
// is harmless); unlike the read methods, it must therefore be called by the writer.
func (s *Set) Stored(m []byte) (string, bool) {
	i, ok := s.index[string(m)]
	if !ok {
		return "", false
	}
	s.hint = i
	return s.slot(int(i)).name, true
}

// slotOf returns the slot of member m (false when m is not a member). A member given as the
// string Stored returned is the hinted slot: the same bytes are the same member, and a slot
// below n holds a member, so the hint needs no invalidation.
func (s *Set) slotOf(m string) (uint32, bool) {
	if h := s.hint; int(h) < s.n {
		if name := s.slot(int(h)).name; len(name) == len(m) && len(m) > 0 &&
			unsafe.StringData(name) == unsafe.StringData(m) {
			return h, true
		}
	}
	i, ok := s.index[m]
	return i, ok
}

// Add applies an add of m made by the batch of obs: the dots of m its origin had seen are
// removed and obs.Self is added. It reports whether m was not a member before.
func (s *Set) Add(m string, obs crdt.Observed) bool {
	i, ok := s.slotOf(m)
	if !ok {
		if s.index == nil {
			s.index = make(map[string]uint32)
		}
		s.index[m] = uint32(s.n)
		s.push(elem{name: m, seq: obs.Self.Seq, member: obs.Self.Member})
		s.peak = max(s.peak, s.n)
		return true
	}
	e := s.slot(int(i))
	if !e.multi {
		if obs.Covers(e.dot()) {
			e.setDot(obs.Self)
		} else {
			s.addMore(e, obs.Self)
		}
		return false
	}
	rest := s.removeMore(e, obs)
	if obs.Covers(e.dot()) {
		e.setDot(obs.Self)
	} else {
		rest = append(rest, obs.Self)
	}
	s.setMore(e, rest)
	return false
}

// Remove applies a removal of m made by the batch of obs: the dots of m its origin had seen are
// removed. It reports whether m stopped being a member.
func (s *Set) Remove(m string, obs crdt.Observed) bool {
	i, ok := s.index[m]
	if !ok {
		return false
	}
	if s.removeAt(int(i), obs) {
		s.shrink()
		return true
	}
	return false
}

// removeAt removes the dots of the member in slot i that obs covers, and the member itself when
// none is left (moving the last member into slot i). It reports whether the member was removed.
func (s *Set) removeAt(i int, obs crdt.Observed) bool {
	e := s.slot(i)
	if !e.multi {
		if !obs.Covers(e.dot()) {
			return false
		}
		s.drop(i)
		return true
	}
	rest := s.removeMore(e, obs)
	if obs.Covers(e.dot()) {
		if len(rest) == 0 {
			s.setMore(e, nil)
			s.drop(i)
			return true
		}
		e.setDot(rest[0])
		rest = rest[1:]
	}
	s.setMore(e, rest)
	return false
}

// RemoveAll removes every dot the origin of obs had seen (DEL, FLUSHDB, and the old content of
// a destination that S*STORE replaces).
func (s *Set) RemoveAll(obs crdt.Observed) {
	if s.more == nil {
		all := true
	scan:
		for _, c := range s.chunks {
			for i := range c {
				if !obs.Covers(c[i].dot()) {
					all = false
					break scan
				}
			}
		}
		if all {
			*s = Set{} // the common case: everything was seen
			return
		}
	}
	// Descending: drop moves the last member, already visited, into the freed slot.
	for i := s.n - 1; i >= 0; i-- {
		s.removeAt(i, obs)
	}
	s.shrink()
}

// Scan visits up to count slots starting at cursor (0: start) and returns the next cursor (0:
// done). See the package comment for the guarantee.
func (s *Set) Scan(cursor uint64, count int, visit func(m string)) uint64 {
	next := uint64(s.n) // the number of slots not yet visited: next-1 down to 0
	if cursor != 0 {
		next = min(cursor-1, next)
	}
	for ; count > 0 && next > 0; count-- {
		next--
		visit(s.slot(int(next)).name)
	}
	if next == 0 {
		return 0
	}
	return next + 1
}

func (s *Set) slot(i int) *elem { return &s.chunks[i>>chunkBits][i&chunkMask] }

// push appends e in slot n.
func (s *Set) push(e elem) {
	c := s.n >> chunkBits
	if c == len(s.chunks) {
		size := chunkSize
		if c == 0 {
			size = 4
		}
		s.chunks = append(s.chunks, make([]elem, 0, size))
	}
	ch := s.chunks[c]
	if len(ch) == cap(ch) { // only the first chunk grows
		ch = append(make([]elem, 0, min(2*cap(ch), chunkSize)), ch...)
	}
	s.chunks[c] = append(ch, e)
	s.n++
}

// drop removes the member in slot i (which has no extra dots), moving the last member there.
func (s *Set) drop(i int) {
	last := s.n - 1
	e := s.slot(i)
	delete(s.index, e.name)
	if i != last {
		*e = *s.slot(last)
		s.index[e.name] = uint32(i)
	}
	c := last >> chunkBits
	ch := s.chunks[c]
	ch[len(ch)-1] = elem{}
	s.chunks[c] = ch[:len(ch)-1]
	s.n--
	if c > 0 && len(ch) == 1 && len(s.chunks) > c+1 {
		// Chunk c is now empty and becomes the spare: free the previous spare.
		s.chunks[c+1] = nil
		s.chunks = s.chunks[:c+1]
	}
}

// shrink gives memory back after a set lost most of its members: Go maps never shrink, so the
// index is rebuilt when the set is an eighth of its peak size, and the first chunk is
// reallocated when it is the only one and uses a quarter of its capacity.
func (s *Set) shrink() {
	n := s.n
	if n == 0 {
		*s = Set{}
		return
	}
	if s.peak >= 1024 && n <= s.peak/8 {
		idx := make(map[string]uint32, n)
		for i := range n {
			idx[s.slot(i).name] = uint32(i)
		}
		s.index = idx
		s.peak = n
	}
	if n < chunkSize {
		if len(s.chunks) > 1 {
			s.chunks[1] = nil
			s.chunks = s.chunks[:1]
		}
		if ch := s.chunks[0]; cap(ch) >= 64 && n <= cap(ch)/4 {
			s.chunks[0] = append(make([]elem, 0, 2*n), ch...)
		}
	}
}

// removeMore returns e's extra dots that obs does not cover (reusing their storage).
func (s *Set) removeMore(e *elem, obs crdt.Observed) []clock.Dot {
	ds := s.more[e.name]
	kept := ds[:0]
	for _, d := range ds {
		if !obs.Covers(d) {
			kept = append(kept, d)
		}
	}
	clear(ds[len(kept):])
	return kept
}

// setMore records e's extra dots.
func (s *Set) setMore(e *elem, ds []clock.Dot) {
	if len(ds) == 0 {
		if e.multi {
			delete(s.more, e.name)
			if len(s.more) == 0 {
				s.more = nil
			}
		}
		e.multi = false
		return
	}
	if s.more == nil {
		s.more = make(map[string][]clock.Dot)
	}
	s.more[e.name] = ds
	e.multi = true
}

func (s *Set) addMore(e *elem, d clock.Dot) {
	s.setMore(e, append(s.more[e.name], d))
}
