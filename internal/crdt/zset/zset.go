// Package zset implements the value of a Redis sorted set key (semantics.md §4; GEO keys are
// sorted sets too).
//
// Membership is an observed-remove, add-wins set, and each member's score is a counter with an
// LWW base, as string counters are (package register):
//   - ZADD writes a base candidate (the batch's dot, HLC and score). It removes the candidates
//     its origin had seen and stops the counter contributions it had seen (offsets), so that a
//     re-add is a fresh add that wins over a concurrent removal. Concurrent candidates are all
//     kept until a later write sees them; the one with the larger stamp (HLC, then the smaller
//     member id) is the base.
//   - ZINCRBY (and ZADD INCR) set the origin's cumulative contribution: each member m of the
//     database keeps, per sorted-set member, a Counter {Seq of its latest contribution, Total}.
//     An effect carries the origin's NEW total (a float64), never a delta, so applying it is
//     idempotent and replicas just store it.
//   - ZREM, ZPOP*, ZREMRANGEBY* and DEL remove the candidates their origin had seen and stop
//     the contributions it had seen, by recording offsets: the Counter values the origin had.
//     A contribution is live while its Seq is above its member's offset Seq, and then counts
//     Total - offset Total.
//
// A member is present while it has a candidate or a live contribution. Its score is evaluated
// canonically: the base (if any), then each live contribution in member-id order, summed left to
// right in float64; an infinite difference of infinities counts 0 and a NaN sum reads as 0
// (decision: concurrent +inf and -inf cannot be told apart by Redis semantics). Because the
// evaluation is deterministic, an origin picks the new Total of an increment so that this
// evaluation gives exactly Redis's fl(old+incr) on its own replica (IncrTotal); the rare case
// where no float64 total achieves it is written as a base instead (see IncrTotal).
//
// Offsets are carried in effects as register.Total values whose Int holds the float64 bits of
// the Total (math.Float64bits) and whose Float is nil (ToTotals, FromTotals).
//
// Representation. Members are ordered by (score, name), as in Redis's skip list, in a counted
// B+tree (btree.go): O(log n) insert, remove, rank, access by rank and range bounds. A map
// gives O(1) score lookups. Almost every member holds one candidate and no counters, kept
// inline; other members carry an extra record. Live members also sit in a dense slice with
// swap-remove (random members, and a SCAN cursor as package store's: one more than the next
// slot to visit, visited from the end towards 0, so every member present for a whole iteration
// is returned). A member that stopped being live but holds offsets is kept aside, invisible, so
// that contributions still in flight resolve to their unobserved part.
//
// Everything here is pure: no clock reads, no I/O, no goroutines.
//
// State encoding (AppendState, DecodeState): a version byte 1, then uvarint the number of
// members (live and kept aside), then for each member in ascending byte order of its name:
// uvarint len, name bytes; uvarint the number of candidates, each: member id byte, uvarint seq,
// uvarint HLC, 8 bytes big-endian float64 score (candidates sorted by dot); uvarint the number
// of counters, each: member id byte, uvarint seq, 8 bytes float64 total (sorted by member id);
// the offsets likewise.
package zset

import (
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

// Counter is one member's cumulative score contribution to a sorted-set member as of its
// contribution with sequence number Seq (or, as an offset, what a removal had seen of it).
type Counter struct {
	Member clock.MemberID
	Seq    uint64
	Total  float64
}

// ToTotals converts counters to the register.Total form operations carry (Int holds the
// float64 bits of Total).
func ToTotals(cs []Counter) []register.Total {
	if len(cs) == 0 {
		return nil
	}
	out := make([]register.Total, len(cs))
	for i, c := range cs {
		out[i] = register.Total{Member: c.Member, Seq: c.Seq, Int: int64(math.Float64bits(c.Total))}
	}
	return out
}

// FromTotals converts what ToTotals made back.
func FromTotals(ts []register.Total) []Counter {
	if len(ts) == 0 {
		return nil
	}
	out := make([]Counter, len(ts))
	for i, t := range ts {
		out[i] = Counter{Member: t.Member, Seq: t.Seq, Total: math.Float64frombits(uint64(t.Int))}
	}
	return out
}

type candidate struct {
	dot   clock.Dot
	hlc   clock.HLC
	score float64
}

func (c candidate) after(d candidate) bool {
	return clock.Stamp{HLC: c.hlc, Member: c.dot.Member}.After(clock.Stamp{HLC: d.hlc, Member: d.dot.Member})
}

// extra is the full state of a member that needs more than one inline candidate.
type extra struct {
	cands    []candidate // sorted by dot
	counters []Counter   // sorted by member
	offsets  []Counter   // sorted by member
}

// node is one member: its resolved score and its conflict-free state. The order index (tree)
// holds live nodes. A node's name is a copy made by newNode, in the node's own allocation when
// it is short: the index's key comparison, which loads the name, then also brings in the node,
// which the write reads next (in a big set, where both are cache misses, that saves one), and
// the name does not keep alive the buffer of the operation that wrote it.
type node struct {
	score float64 // the resolved score
	name  string
	ext   *extra
	// Inline state (ext == nil): one candidate with this dot (packed) and HLC, scoring score.
	dot  uint64
	hlc  clock.HLC
	slot int32 // dense slot while live
}

// Nodes with room for a name after them (newNode).
type (
	node8 struct {
		n node
		b [8]byte
	}
	node24 struct {
		n node
		b [24]byte
	}
	node40 struct {
		n node
		b [40]byte
	}
	node72 struct {
		n node
		b [72]byte
	}
)

// newNode returns a zero node named by a copy of name, made in the node's allocation when the
// name is at most 72 bytes (the sizes fill Go's size classes 64, 80, 96 and 128 bytes).
func newNode(name string) *node {
	var n *node
	var b []byte
	switch l := len(name); {
	case l == 0:
		return &node{}
	case l <= 8:
		x := new(node8)
		n, b = &x.n, x.b[:l]
	case l <= 24:
		x := new(node24)
		n, b = &x.n, x.b[:l]
	case l <= 40:
		x := new(node40)
		n, b = &x.n, x.b[:l]
	case l <= 72:
		x := new(node72)
		n, b = &x.n, x.b[:l]
	default:
		return &node{name: strings.Clone(name)} // name aliases the operation's bytes
	}
	copy(b, name)
	n.name = str(b)
	return n
}

// ZSet is a sorted set's conflict-free state. Use New. The read methods accept a nil *ZSet,
// which is empty.
type ZSet struct {
	index  map[string]*node // live members
	list   tree
	chunks [][]*node // dense slots of live members: slot i is chunks[i>>chunkBits][i&chunkMask]
	n      int
	dead   map[string]*node // members kept aside for their offsets

	// Local bookkeeping for OBJECT ENCODING, not part of the converged state (see Settle).
	skiplistEnc bool
	pending     bool
	pendLen     int
	limits      [2]int64 // the limits of the last Settle (limitsSet), for ListpackNow
	limitsSet   bool
}

const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// New returns an empty sorted set.
func New() *ZSet { return &ZSet{index: make(map[string]*node)} }

// Type implements crdt.Value.
func (z *ZSet) Type() crdt.Type { return crdt.TypeZSet }

// Live implements crdt.Value: a sorted set exists while it has a member.
func (z *ZSet) Live() bool { return z.n > 0 }

// Len is the number of members.
func (z *ZSet) Len() int {
	if z == nil {
		return 0
	}
	return z.n
}

func pack(d clock.Dot) (uint64, bool) {
	if d.Member == 0 || d.Seq >= 1<<56 {
		return 0, false
	}
	return d.Seq<<8 | uint64(d.Member), true
}

func unpack(p uint64) clock.Dot { return clock.Dot{Member: clock.MemberID(p & 0xff), Seq: p >> 8} }

// str aliases b as a string (b must never be modified afterwards).
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// bytesOf aliases s as bytes that must not be modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// ---- reads

// Score returns the score of member name.
func (z *ZSet) Score(name string) (float64, bool) {
	if z == nil {
		return 0, false
	}
	n, ok := z.index[name]
	if !ok {
		return 0, false
	}
	return n.score, true
}

// BaseWrite returns the write of the winning base score of a live member, or, when it has
// none, the latest counter contribution's member and sequence number (no time: contributions
// keep none); false when name is not a member.
func (z *ZSet) BaseWrite(name []byte) (crdt.Write, bool) {
	n, ok := z.index[string(name)]
	if !ok {
		return crdt.Write{}, false
	}
	if n.ext == nil {
		return crdt.Write{Dot: unpack(n.dot), HLC: n.hlc}, true
	}
	if w, ok := n.ext.winner(); ok {
		return crdt.Write{Dot: w.dot, HLC: w.hlc}, true
	}
	var last Counter
	for _, c := range n.ext.counters {
		if c.Seq >= last.Seq {
			last = c
		}
	}
	return crdt.Write{Dot: clock.Dot{Member: last.Member, Seq: last.Seq}}, true
}

// ScoreBytes is Score for a name given as bytes (no allocation).
func (z *ZSet) ScoreBytes(name []byte) (float64, bool) {
	if z == nil {
		return 0, false
	}
	n, ok := z.index[string(name)]
	if !ok {
		return 0, false
	}
	return n.score, true
}

// Has reports whether name is a member.
func (z *ZSet) Has(name []byte) bool {
	_, ok := z.ScoreBytes(name)
	return ok
}

// Name returns the stored bytes of member name, so that an operation about it can share them
// instead of copying the argument. The result must not be modified.
func (z *ZSet) Name(name []byte) ([]byte, bool) {
	if z == nil {
		return nil, false
	}
	if n, ok := z.index[string(name)]; ok {
		return bytesOf(n.name), true
	}
	return nil, false
}

// Written returns what an operation writing member name carries, from one lookup: the stored
// bytes of its name when it is a member (shared, not to be modified; nil otherwise, and the
// caller copies its argument) and a copy of its counters (live or kept aside), as Name and
// Totals do.
func (z *ZSet) Written(name []byte) (stored []byte, totals []Counter) {
	if z == nil {
		return nil, nil
	}
	n, live := z.lookup(name)
	if n == nil {
		return nil, nil
	}
	if live {
		stored = bytesOf(n.name)
	}
	if n.ext != nil && len(n.ext.counters) > 0 {
		totals = slices.Clone(n.ext.counters)
	}
	return stored, totals
}

// Rank returns the 0-based ascending rank and the score of member name.
func (z *ZSet) Rank(name []byte) (rank int, score float64, ok bool) {
	if z == nil {
		return 0, 0, false
	}
	n, ok := z.index[string(name)]
	if !ok {
		return 0, 0, false
	}
	return z.list.rank(n), n.score, true
}

// Iter walks members in score order. The zero Iter is not valid. The set must not change
// while an Iter is in use.
type Iter struct {
	l *leaf
	i int
}

// Valid reports whether the iterator is at a member.
func (it Iter) Valid() bool { return it.l != nil }

// Name is the member's name (it must not be modified).
func (it Iter) Name() string { return it.l.nodes[it.i].name }

// Score is the member's score.
func (it Iter) Score() float64 { return it.l.scores[it.i] }

// Next moves to the next member in ascending order.
func (it *Iter) Next() {
	if it.i++; it.i >= it.l.n {
		it.l, it.i = it.l.next, 0
	}
}

// Prev moves to the previous member in ascending order.
func (it *Iter) Prev() {
	if it.i--; it.i < 0 {
		if it.l = it.l.prev; it.l != nil {
			it.i = it.l.n - 1
		}
	}
}

// Seek returns an iterator at 0-based ascending rank r (not valid when r is out of range).
func (z *ZSet) Seek(r int) Iter {
	if z == nil || r < 0 || r >= z.n {
		return Iter{}
	}
	if r == z.n-1 {
		return Iter{z.list.tail, z.list.tail.n - 1}
	}
	l, i := z.list.byRank(r)
	return Iter{l, i}
}

// At returns the member at 0-based ascending rank r (0 <= r < Len()).
func (z *ZSet) At(r int) (name string, score float64) {
	it := z.Seek(r)
	return it.Name(), it.Score()
}

// Each calls fn for every member in ascending order until fn returns false.
func (z *ZSet) Each(fn func(name string, score float64) bool) {
	if z == nil {
		return
	}
	for l := z.list.head; l != nil; l = l.next {
		for i := range l.n {
			if !fn(l.nodes[i].name, l.scores[i]) {
				return
			}
		}
	}
}

// Members returns the members in ascending order with their scores.
func (z *ZSet) Members() (names []string, scores []float64) {
	names, scores = make([]string, 0, z.Len()), make([]float64, 0, z.Len())
	z.Each(func(name string, score float64) bool {
		names, scores = append(names, name), append(scores, score)
		return true
	})
	return names, scores
}

// Slot returns the member in dense slot i (0 <= i < Len()): slots are in no particular order,
// for random picks.
func (z *ZSet) Slot(i int) (name string, score float64) {
	n := z.slot(i)
	return n.name, n.score
}

// Scan visits up to count slots starting at cursor (0: start) and returns the next cursor (0:
// done). Every member present for the whole iteration is visited at least once.
func (z *ZSet) Scan(cursor uint64, count int, visit func(name string, score float64)) uint64 {
	next := uint64(z.Len())
	if cursor != 0 {
		next = min(cursor-1, next)
	}
	for ; count > 0 && next > 0; count-- {
		next--
		n := z.slot(int(next))
		visit(n.name, n.score)
	}
	if next == 0 {
		return 0
	}
	return next + 1
}

// ---- dense slots

func (z *ZSet) slot(i int) *node { return z.chunks[i>>chunkBits][i&chunkMask] }

func (z *ZSet) pushSlot(n *node) {
	c := z.n >> chunkBits
	if c == len(z.chunks) {
		size := chunkSize
		if c == 0 {
			size = 4
		}
		z.chunks = append(z.chunks, make([]*node, 0, size))
	}
	ch := z.chunks[c]
	if len(ch) == cap(ch) { // only the first chunk grows
		ch = append(make([]*node, 0, min(2*cap(ch), chunkSize)), ch...)
	}
	z.chunks[c] = append(ch, n)
	n.slot = int32(z.n)
	z.n++
}

func (z *ZSet) dropSlot(n *node) {
	i, last := int(n.slot), z.n-1
	if i != last {
		m := z.slot(last)
		z.chunks[i>>chunkBits][i&chunkMask] = m
		m.slot = int32(i)
	}
	c := last >> chunkBits
	ch := z.chunks[c]
	ch[len(ch)-1] = nil
	z.chunks[c] = ch[:len(ch)-1]
	z.n--
	if used := (z.n + chunkMask) >> chunkBits; len(z.chunks) > used+1 {
		clear(z.chunks[used+1:])
		z.chunks = z.chunks[:used+1]
	}
}

// link makes n (not live, score set) a live member.
func (z *ZSet) link(n *node) {
	z.index[n.name] = n
	z.pushSlot(n)
	z.list.insert(n)
	z.pending = true
	z.pendLen = max(z.pendLen, len(n.name))
}

// unlink makes live member n not live.
func (z *ZSet) unlink(n *node) {
	delete(z.index, n.name)
	z.dropSlot(n)
	z.list.remove(n)
	if z.n == 0 {
		z.skiplistEnc, z.pending, z.pendLen = false, false, 0
		if len(z.chunks) > 1 || (len(z.chunks) == 1 && cap(z.chunks[0]) > 64) {
			z.chunks = nil
			z.index = make(map[string]*node)
		}
	}
}

// ---- OBJECT ENCODING bookkeeping

// Settle is called after a local write that Redis checks for conversion (ZADD, ZINCRBY,
// GEOADD, the STORE commands): with the limits in force (zset-max-listpack-entries and -value),
// the set becomes a skiplist if it now has more members than entries or if a member added since
// the last Settle is longer than value. Redis 7.0 never converts a skiplist back while it lives.
func (z *ZSet) Settle(entries, value int64) {
	z.limits, z.limitsSet = [2]int64{entries, value}, true
	if int64(z.n) > entries || int64(z.pendLen) > value {
		z.skiplistEnc = true
	}
	z.pending, z.pendLen = false, 0
}

// Settled is called after a local write that Redis does not check (removals).
func (z *ZSet) Settled() { z.pending, z.pendLen = false, 0 }

// Skiplist reports whether Redis would hold the set as a skiplist rather than a listpack.
// Additions not followed by Settle (effects from other members) are judged by the current limits.
func (z *ZSet) Skiplist(entries, value int64) bool {
	return z.skiplistEnc || (z.pending && (int64(z.n) > entries || int64(z.pendLen) > value))
}

// ListpackNow is Skiplist's negation judged by the limits of the last Settle (Redis's defaults,
// 128 and 64, when there was none), for callers that do not know the configuration (DEBUG
// DIGEST).
func (z *ZSet) ListpackNow() bool {
	if !z.limitsSet {
		return !z.Skiplist(128, 64)
	}
	return !z.Skiplist(z.limits[0], z.limits[1])
}

// ---- conflict-free state

// full returns n's extra record, moving the inline candidate into it first.
func (n *node) full() *extra {
	if n.ext == nil {
		n.ext = &extra{cands: []candidate{{dot: unpack(n.dot), hlc: n.hlc, score: n.score}}}
		n.dot, n.hlc = 0, 0
	}
	return n.ext
}

func (e *extra) removeCovered(obs crdt.Observed) {
	e.cands = slices.DeleteFunc(e.cands, func(c candidate) bool { return obs.Covers(c.dot) })
}

func byMember(c Counter, m clock.MemberID) int { return int(c.Member) - int(m) }

func mergeCounters(dst []Counter, src []Counter) []Counter {
	for _, o := range src {
		i, found := slices.BinarySearchFunc(dst, o.Member, byMember)
		if found {
			if o.Seq > dst[i].Seq {
				dst[i] = o
			}
			continue
		}
		dst = slices.Insert(dst, i, o)
	}
	return dst
}

func (e *extra) offset(m clock.MemberID) *Counter {
	i, found := slices.BinarySearchFunc(e.offsets, m, byMember)
	if !found {
		return nil
	}
	return &e.offsets[i]
}

func (e *extra) winner() (candidate, bool) {
	if len(e.cands) == 0 {
		return candidate{}, false
	}
	w := e.cands[0]
	for _, c := range e.cands[1:] {
		if c.after(w) {
			w = c
		}
	}
	return w, true
}

// eval is the canonical score and whether the member is live (see the package comment).
// When override is not nil it replaces member om's counter (for IncrTotal).
func (e *extra) eval(om clock.MemberID, override *Counter) (float64, bool) {
	s, has := 0.0, false
	if w, ok := e.winner(); ok {
		s, has = w.score, true
	}
	add := func(c Counter) {
		o := e.offset(c.Member)
		if o != nil && c.Seq <= o.Seq {
			return
		}
		d := c.Total
		if o != nil {
			d = c.Total - o.Total
			if math.IsNaN(d) {
				d = 0
			}
		}
		if has {
			s += d
		} else {
			s, has = d, true
		}
	}
	done := override == nil
	for _, c := range e.counters {
		if !done && c.Member >= om {
			done = true
			add(*override)
			if c.Member == om {
				continue
			}
		}
		add(c)
	}
	if !done {
		add(*override)
	}
	if math.IsNaN(s) {
		s = 0
	}
	return s, has
}

// lookup returns the node of name, live or kept aside, and whether it is live.
func (z *ZSet) lookup(name []byte) (*node, bool) {
	if n, ok := z.index[string(name)]; ok {
		return n, true
	}
	if n, ok := z.dead[string(name)]; ok {
		return n, false
	}
	return nil, false
}

// refresh recomputes a full node's score and liveness after its state changed.
func (z *ZSet) refresh(n *node, wasLive bool) {
	s, live := n.ext.eval(0, nil)
	switch {
	case live && wasLive:
		z.list.updateScore(n, s)
	case live:
		delete(z.dead, n.name)
		n.score = s
		z.link(n)
	case wasLive:
		z.unlink(n)
		z.bury(n)
	default:
		z.bury(n)
	}
	if live && len(n.ext.cands) == 1 && len(n.ext.counters) == 0 && len(n.ext.offsets) == 0 {
		if p, ok := pack(n.ext.cands[0].dot); ok { // back to the inline form
			n.dot, n.hlc, n.ext = p, n.ext.cands[0].hlc, nil
		}
	}
}

// fresh returns an unlinked node for member name with state e.
func (z *ZSet) fresh(name string, e *extra) *node {
	n := newNode(name)
	n.ext = e
	return n
}

// bury keeps a node that is not live aside if it holds offsets.
func (z *ZSet) bury(n *node) {
	if len(n.ext.offsets) == 0 {
		delete(z.dead, n.name)
		return
	}
	if z.dead == nil {
		z.dead = make(map[string]*node)
	}
	z.dead[n.name] = n
}

// Set writes score as the base of member name, written by the batch of obs at hlc; offsets
// are the counters of the member its origin had seen, which stop counting (ZADD). It reports
// whether name was not a member before, and the last-writer-wins conflict resolved when a base
// score the origin had not seen survives (the loser's score is formatted by the caller).
func (z *ZSet) Set(name []byte, score float64, obs crdt.Observed, hlc clock.HLC, offsets []Counter) (bool, crdt.Resolution, float64) {
	n, live := z.lookup(name)
	if n == nil {
		if p, ok := pack(obs.Self); ok && len(offsets) == 0 {
			n = newNode(str(name))
			n.score, n.dot, n.hlc = score, p, hlc
			z.link(n)
			return true, crdt.Resolution{}, 0
		}
		n = z.fresh(str(name), &extra{})
	}
	if n.ext == nil && len(offsets) == 0 && obs.Covers(unpack(n.dot)) {
		if p, ok := pack(obs.Self); ok { // the common case: an overwrite of what was seen
			n.dot, n.hlc = p, hlc
			z.list.updateScore(n, score)
			return false, crdt.Resolution{}, 0
		}
	}
	e := n.full()
	e.removeCovered(obs)
	e.offsets = mergeCounters(e.offsets, offsets)
	prev, contested := e.winner()
	c := candidate{dot: obs.Self, hlc: hlc, score: score}
	e.cands = append(e.cands, c)
	slices.SortFunc(e.cands, func(a, b candidate) int { return cmpDot(a.dot, b.dot) })
	z.refresh(n, live)
	if !contested {
		return !live, crdt.Resolution{}, 0
	}
	winner, loser := prev, c
	if c.after(prev) {
		winner, loser = c, prev
	}
	return !live, crdt.Resolution{
		Rule:   crdt.RuleLWW,
		Winner: crdt.Write{Dot: winner.dot, HLC: winner.hlc},
		Loser:  crdt.Write{Dot: loser.dot, HLC: loser.hlc},
	}, loser.score
}

func cmpDot(a, b clock.Dot) int {
	if a.Member != b.Member {
		return int(a.Member) - int(b.Member)
	}
	switch {
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Contribute sets member m's cumulative contribution to name to total, as of m's batch seq
// (ZINCRBY, ZADD INCR). Each contribution is applied once, in its origin's order.
func (z *ZSet) Contribute(name []byte, m clock.MemberID, seq uint64, total float64) {
	n, live := z.lookup(name)
	if n == nil {
		n = z.fresh(str(name), &extra{})
	}
	e := n.full()
	e.counters = mergeCounters(e.counters, []Counter{{Member: m, Seq: seq, Total: total}})
	z.refresh(n, live)
}

// Remove deletes what the origin of obs had seen of member name: its candidates, and its
// counters up to offsets (ZREM, ZPOP*, ZREMRANGEBY*).
func (z *ZSet) Remove(name []byte, obs crdt.Observed, offsets []Counter) {
	n, live := z.lookup(name)
	if n == nil {
		if len(offsets) > 0 {
			// Counters this member has not seen yet: remember where the removal stopped them.
			n = z.fresh(str(name), &extra{offsets: slices.Clone(offsets)})
			z.bury(n)
		}
		return
	}
	if n.ext == nil && len(offsets) == 0 {
		if obs.Covers(unpack(n.dot)) {
			z.unlink(n)
		}
		return
	}
	e := n.full()
	e.removeCovered(obs)
	e.offsets = mergeCounters(e.offsets, offsets)
	z.refresh(n, live)
}

// RemoveAll deletes everything of the set that the origin of obs had seen (DEL, FLUSH, the old
// content of a STORE destination): names[k] is a member holding counters and offsets[k] the
// counters of it that the origin had seen (CounterTotals on the origin).
func (z *ZSet) RemoveAll(obs crdt.Observed, names [][]byte, offsets [][]Counter) {
	for k, name := range names {
		var o []Counter
		if k < len(offsets) {
			o = offsets[k]
		}
		z.Remove(name, obs, o)
	}
	if z.dead == nil {
		all := true
		for _, ch := range z.chunks {
			for _, n := range ch {
				if n.ext != nil || !obs.Covers(unpack(n.dot)) {
					all = false
				}
			}
		}
		if all { // the common case: everything was seen
			*z = *New()
			return
		}
	}
	for i := z.n - 1; i >= 0; i-- {
		if i >= z.n {
			continue
		}
		n := z.slot(i)
		if n.ext == nil {
			if obs.Covers(unpack(n.dot)) {
				z.unlink(n)
			}
			continue
		}
		n.ext.removeCovered(obs)
		z.refresh(n, true)
	}
}

// Totals returns a copy of the counters of member name (live or kept aside), for the offsets of
// a ZADD or a removal made on this member (nil when it has none).
func (z *ZSet) Totals(name []byte) []Counter {
	if z == nil {
		return nil
	}
	n, _ := z.lookup(name)
	if n == nil || n.ext == nil || len(n.ext.counters) == 0 {
		return nil
	}
	return slices.Clone(n.ext.counters)
}

// CounterTotals returns, sorted by name, the members holding counters (live or kept aside) and
// a copy of their counters: what a removal of the whole set (DEL) carries besides its observed
// context.
func (z *ZSet) CounterTotals() (names [][]byte, totals [][]Counter) {
	var ns []*node
	for _, ch := range z.chunks {
		for _, n := range ch {
			if n.ext != nil && len(n.ext.counters) > 0 {
				ns = append(ns, n)
			}
		}
	}
	for _, n := range z.dead {
		if len(n.ext.counters) > 0 {
			ns = append(ns, n)
		}
	}
	slices.SortFunc(ns, func(a, b *node) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	for _, n := range ns {
		names = append(names, bytesOf(n.name))
		totals = append(totals, slices.Clone(n.ext.counters))
	}
	return names, totals
}

// IncrTotal returns the cumulative contribution that member m must record (Contribute) for
// name so that name's score becomes exactly fl(score+incr), Redis's result, on this replica:
// the current score when name is a member (0 and no addition otherwise). target is that result;
// ok is false when no float64 total gives it (a huge or infinite earlier contribution already
// stopped by a removal, or a removal earlier in the same batch seq), and the caller writes
// target as a base instead. target may be NaN (Redis refuses the increment). z may be nil.
func (z *ZSet) IncrTotal(name []byte, m clock.MemberID, seq uint64, incr float64) (total, target float64, ok bool) {
	var n *node
	live := false
	if z != nil {
		n, live = z.lookup(name)
	}
	target = incr
	if live {
		target = n.score + incr
	}
	if math.IsNaN(target) {
		return 0, target, false
	}
	if n == nil {
		return incr, target, true // no state: the contribution is the score
	}
	var e *extra
	if n.ext == nil {
		e = &extra{cands: []candidate{{dot: unpack(n.dot), hlc: n.hlc, score: n.score}}}
	} else {
		e = n.ext
	}
	if o := e.offset(m); o != nil && seq <= o.Seq {
		return 0, target, false // a contribution with this seq would already be stopped
	}
	cur := Counter{Member: m}
	if i, found := slices.BinarySearchFunc(e.counters, m, byMember); found {
		cur = e.counters[i]
	}
	guess := cur.Total + incr
	if o := e.offset(m); o != nil && cur.Seq <= o.Seq {
		guess = o.Total + incr
		if !live {
			guess = o.Total + target
		}
	}
	f := func(t float64) float64 {
		s, _ := e.eval(m, &Counter{Member: m, Seq: seq, Total: t})
		return s
	}
	t, ok := solve(f, guess, target)
	return t, target, ok
}

// ordKey maps a float64 to an int64 whose order is the float's (±0 both map to 0).
func ordKey(f float64) int64 {
	k := int64(math.Float64bits(f))
	if k < 0 {
		k = math.MinInt64 - k
	}
	return k
}

func fromOrdKey(k int64) float64 {
	if k < 0 {
		return math.Float64frombits(uint64(math.MinInt64 - k))
	}
	return math.Float64frombits(uint64(k))
}

// solve finds t with f(t) == target (bit for bit), f being monotone non-decreasing, starting
// from guess: a gallop in float64 order, then a binary search.
func solve(f func(float64) float64, guess, target float64) (float64, bool) {
	same := func(a float64) bool { return math.Float64bits(a) == math.Float64bits(target) }
	if math.IsNaN(guess) {
		guess = target
	}
	if same(f(guess)) {
		return guess, true
	}
	lo, hi := ordKey(math.Inf(-1)), ordKey(math.Inf(1))
	g := ordKey(guess)
	if f(guess) < target {
		lo = g
		for step := int64(1); ; step *= 2 {
			k := g + step
			if k >= hi || step > 1<<62 {
				break
			}
			if f(fromOrdKey(k)) >= target {
				hi = k
				break
			}
			lo = k
		}
		// invariant: f(lo) < target; find the smallest k in (lo, hi] with f(k) >= target
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if f(fromOrdKey(mid)) >= target {
				hi = mid
			} else {
				lo = mid
			}
		}
		if same(f(fromOrdKey(hi))) {
			return fromOrdKey(hi), true
		}
		return 0, false
	}
	hi = g
	for step := int64(1); ; step *= 2 {
		k := g - step
		if k <= lo || step > 1<<62 {
			break
		}
		if f(fromOrdKey(k)) <= target {
			lo = k
			break
		}
		hi = k
	}
	// invariant: f(hi) > target; find the largest k in [lo, hi) with f(k) <= target
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if f(fromOrdKey(mid)) <= target {
			lo = mid
		} else {
			hi = mid
		}
	}
	if same(f(fromOrdKey(lo))) {
		return fromOrdKey(lo), true
	}
	return 0, false
}
