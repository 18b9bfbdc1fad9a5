// Package ormap implements the value of a Redis hash (semantics.md §2): an observed-remove map
// from field names to string registers (package register). Each field behaves exactly like a
// string key: HSET is a register Set carrying the counter totals its origin had seen, HINCRBY and
// HINCRBYFLOAT are counter contributions, HDEL is a register Remove with those totals, and a field
// exists while its register is live. Fields written concurrently are all kept; a field removed
// concurrently with a write survives with what the remover had not seen.
//
// Representation. Almost every field holds one value written by one batch and no counters, so a
// field is kept compactly as its name, its value, the HLC and the (packed) dot of its write. A
// field that needs more (concurrent candidates, counters, removal offsets) is promoted to a full
// register.Value. A field that stopped being live but whose register holds counter offsets is
// kept aside, not visible, so that contributions still in flight resolve to their unobserved
// part.
//
// Live fields are kept in a dense slice, indexed by name: a random field is O(1) and SCAN uses the
// scheme of package store (the cursor is one more than the next slot to visit, visited from the
// end towards 0; a removal only moves later fields into the freed slot: the last one, or, while
// the map is small, all of them one down to keep Redis's listpack order), so every field present
// for a whole iteration is returned at least once.
//
// Field names and values are aliased, not copied, from the byte slices of the operations that
// wrote them: effect operations are immutable once emitted.
//
// Everything here is pure: no clock reads, no I/O, no goroutines.
package ormap

import (
	"math/big"
	"slices"
	"strings"
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

// Map is a hash's conflict-free state. Use New; a Map without live fields does not exist. The
// read methods Has, Get, Register, Name and Len accept a nil *Map, which is empty.
type Map struct {
	index map[string]int32 // live field -> its slot in fields
	// The live fields, dense: slot i is chunks[i>>chunkBits][i&chunkMask]. Fixed-size chunks
	// (the first one grows up to the size) keep a big hash from copying all its fields to grow.
	chunks [][]slot
	n      int32
	// dead holds the fields that are not live but whose registers hold counter offsets.
	dead map[string]*register.Value
	// full is the number of live fields in the full representation.
	full int

	// Local bookkeeping, not part of the converged state. peak is the most live fields since the
	// map was last empty (see orderedMax). The rest serves OBJECT ENCODING: Redis converts a
	// hash from listpack to hashtable for good (until it is emptied) when a write makes it too
	// big for the limits in force at that time. hashtable records that conversion; pendLen is the
	// longest field or value written since the last Settle and pending says whether anything was
	// written since then.
	peak      int
	hashtable bool
	pending   bool
	pendLen   int
	// hint is the slot of the field ForWrite found last, so that the write it prepares finds
	// the field again without hashing its name (see slotOf).
	hint int32
}

// slot is one live field: compact (val, hlc, dot) or full (reg).
type slot struct {
	name string
	val  string          // compact: the value (aliases the writing operation's bytes)
	hlc  clock.HLC       // compact: the write's timestamp
	dot  uint64          // compact: the write's dot, packed (see pack)
	reg  *register.Value // full: the register (the other fields are zero)
}

// New returns an empty map.
func New() *Map { return &Map{index: make(map[string]int32)} }

// Type implements crdt.Value.
func (m *Map) Type() crdt.Type { return crdt.TypeHash }

// Live implements crdt.Value: a hash exists while it has a field.
func (m *Map) Live() bool { return m.n > 0 }

// Len is the number of fields.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return int(m.n)
}

const (
	chunkBits = 10
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// at returns live slot i.
func (m *Map) at(i int32) *slot { return &m.chunks[i>>chunkBits][i&chunkMask] }

// pack stores a dot in one word (sequence numbers below 2^56, member ids below 256); ok is false
// when it does not fit and the field must use the full representation.
func pack(d clock.Dot) (uint64, bool) {
	if d.Member == 0 || d.Seq >= 1<<56 {
		return 0, false
	}
	return d.Seq<<8 | uint64(d.Member), true
}

func unpack(p uint64) clock.Dot {
	return clock.Dot{Member: clock.MemberID(p & 0xff), Seq: p >> 8}
}

// str aliases b as a string (b must never be modified afterwards).
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// bytesOf aliases s as a byte slice that must not be modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Has reports whether field exists.
func (m *Map) Has(field []byte) bool {
	if m == nil {
		return false
	}
	_, ok := m.index[string(field)]
	return ok
}

// Get returns the value of field as Redis commands see it. The result may alias stored bytes
// and must not be modified.
func (m *Map) Get(field []byte) ([]byte, bool) {
	if m == nil {
		return nil, false
	}
	i, ok := m.index[string(field)]
	if !ok {
		return nil, false
	}
	return m.value(m.at(i)), true
}

// Register returns the register of a live field kept in the full representation (one with
// counters or concurrent values), nil for other fields. It must not be modified.
func (m *Map) Register(field []byte) *register.Value {
	if m == nil {
		return nil
	}
	if i, ok := m.index[string(field)]; ok {
		return m.at(i).reg
	}
	return nil
}

// Name returns the stored name of a live field, so that an operation about it can share the
// bytes instead of copying the argument. The result must not be modified.
func (m *Map) Name(field []byte) ([]byte, bool) {
	if m == nil {
		return nil, false
	}
	if i, ok := m.index[string(field)]; ok {
		return bytesOf(m.at(i).name), true
	}
	return nil, false
}

func (m *Map) value(s *slot) []byte {
	if s.reg == nil {
		return bytesOf(s.val)
	}
	b, _ := s.reg.Bytes()
	return b
}

// At returns the field in slot i (0 <= i < Len()): the slots are in no particular order, for a
// random pick. The value must not be modified.
func (m *Map) At(i int) (name string, val []byte) {
	s := m.at(int32(i))
	return s.name, m.value(s)
}

// Each calls fn for every field until fn returns false. fn must not change the map.
func (m *Map) Each(fn func(name string, val []byte) bool) {
	for _, ch := range m.chunks {
		for i := range ch {
			s := &ch[i]
			if !fn(s.name, m.value(s)) {
				return
			}
		}
	}
}

// Scan visits up to count slots starting at cursor (0: start) and returns the next cursor (0:
// done). Every field present for the whole iteration is visited at least once.
func (m *Map) Scan(cursor uint64, count int, visit func(name string, val []byte)) uint64 {
	next := uint64(m.n) // the number of slots not yet visited: next-1 down to 0
	if cursor != 0 {
		next = min(cursor-1, next)
	}
	for ; count > 0 && next > 0; count-- {
		next--
		s := m.at(int32(next))
		visit(s.name, m.value(s))
	}
	if next == 0 {
		return 0
	}
	return next + 1
}

// Settle is called after a local write that Redis checks for conversion (HSET, HSETNX,
// HINCRBY, HINCRBYFLOAT): with the limits in force (hash-max-listpack-entries and -value), the
// hash becomes a hashtable if it now has more fields than entries or if a field or value
// written since the last Settle is longer than value.
func (m *Map) Settle(entries, value int64) {
	if int64(m.n) > entries || int64(m.pendLen) > value {
		m.hashtable = true
	}
	m.pending, m.pendLen = false, 0
}

// Settled is called after a local write that Redis does not check (HDEL): what was written
// since the last Settle has been accounted for.
func (m *Map) Settled() { m.pending, m.pendLen = false, 0 }

// Hashtable reports whether Redis would hold the hash as a hashtable rather than a listpack.
// Writes not followed by Settle (effects from other members) are judged by the current limits.
func (m *Map) Hashtable(entries, value int64) bool {
	return m.hashtable || (m.pending && (int64(m.n) > entries || int64(m.pendLen) > value))
}

func (m *Map) noteLen(n int) {
	m.pending = true
	if n > m.pendLen {
		m.pendLen = n
	}
}

// register returns the full register of a field (live or dead), nil when the field is compact
// or unknown.
func (m *Map) register(field []byte) *register.Value {
	if i, ok := m.index[string(field)]; ok {
		return m.at(i).reg
	}
	return m.dead[string(field)]
}

// Totals returns a copy of the counter totals of field, for the offsets of an HSET or HDEL made
// on this member (nil when it has none).
func (m *Map) Totals(field []byte) []register.Total {
	if reg := m.register(field); reg != nil {
		return reg.Totals()
	}
	return nil
}

// Contribution returns member's live counter contribution to field (0 when none), for the
// 59-bit limit on contributions.
func (m *Map) Contribution(field []byte, member clock.MemberID) int64 {
	if reg := m.register(field); reg != nil {
		return reg.Contribution(member)
	}
	return 0
}

// Exact returns field's value as an exact number: nil when the field is not numeric, zero when
// it does not exist.
func (m *Map) Exact(field []byte) *big.Rat {
	i, ok := m.index[string(field)]
	if !ok {
		return new(big.Rat)
	}
	s := m.at(i)
	if s.reg != nil {
		return s.reg.Exact()
	}
	r, ok := register.ParseDecimal(bytesOf(s.val))
	if !ok {
		return nil
	}
	return r
}

// CounterTotals returns, sorted by name, the fields holding counters (live or kept dead) and a
// copy of their totals: what a removal of the whole hash (DEL) must carry besides its observed
// context.
func (m *Map) CounterTotals() (fields [][]byte, totals [][]register.Total) {
	var names []string
	var regs []*register.Value
	add := func(name string, reg *register.Value) {
		if reg.Totals() != nil {
			names = append(names, name)
			regs = append(regs, reg)
		}
	}
	if m.full > 0 {
		m.eachSlot(func(s *slot) {
			if s.reg != nil {
				add(s.name, s.reg)
			}
		})
	}
	for name, reg := range m.dead {
		add(name, reg)
	}
	if len(names) == 0 {
		return nil, nil
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	fields = make([][]byte, len(names))
	totals = make([][]register.Total, len(names))
	for k, i := range order {
		fields[k] = bytesOf(names[i])
		totals[k] = regs[i].Totals()
	}
	return fields, totals
}

func (m *Map) eachSlot(fn func(s *slot)) {
	for _, ch := range m.chunks {
		for i := range ch {
			fn(&ch[i])
		}
	}
}

// insert adds a live field.
func (m *Map) insert(s slot) {
	c := int(m.n >> chunkBits)
	if c == len(m.chunks) {
		size := chunkSize
		if c == 0 {
			size = 2
		}
		m.chunks = append(m.chunks, make([]slot, 0, size))
	}
	ch := m.chunks[c]
	if len(ch) == cap(ch) { // only the first chunk grows
		grown := make([]slot, len(ch), min(2*cap(ch), chunkSize))
		copy(grown, ch)
		ch = grown
	}
	m.chunks[c] = append(ch, s)
	m.index[s.name] = m.n
	m.n++
	if s.reg != nil {
		m.full++
	}
	if int(m.n) > m.peak {
		m.peak = int(m.n)
	}
}

// orderedMax is the size up to which fields keep the order they were created in (a removal
// shifts the later slots down instead of moving the last one): Redis keeps small hashes in a
// listpack, in creation order, and replies HGETALL, HKEYS, HVALS and HSCAN in that order. Such
// a map fits in its first chunk.
const orderedMax = chunkSize

// drop removes the live field in slot i: it keeps the order of the others while the map has
// been small (see orderedMax), and otherwise moves the last slot into i. Either way a field not
// yet visited by a descending SCAN cursor (a lower slot) never moves to a visited (higher) one.
func (m *Map) drop(i int32) {
	name := m.at(i).name
	if m.at(i).reg != nil {
		m.full--
	}
	last := m.n - 1
	switch {
	case i == last:
	case m.peak <= orderedMax:
		ch := m.chunks[0]
		copy(ch[i:], ch[i+1:last+1])
		for j := i; j < last; j++ {
			m.index[ch[j].name] = j
		}
	default:
		*m.at(i) = *m.at(last)
		m.index[m.at(i).name] = i
	}
	c := last >> chunkBits
	m.chunks[c][last&chunkMask] = slot{}
	m.chunks[c] = m.chunks[c][:last&chunkMask]
	m.n = last
	delete(m.index, name)
	// Keep one empty chunk beyond the used ones, so that a size going back and forth across a
	// chunk boundary does not allocate each time.
	if used := int((m.n + chunkMask) >> chunkBits); len(m.chunks) > used+1 {
		clear(m.chunks[used+1:])
		m.chunks = m.chunks[:used+1]
	}
	if m.n == 0 {
		m.peak, m.hashtable, m.pending, m.pendLen = 0, false, false, 0
		if len(m.chunks) > 1 || cap(m.chunks[0]) > 64 {
			m.chunks = nil
			m.index = make(map[string]int32)
		}
	}
}

// promote moves a compact field to the full representation.
func (m *Map) promote(s *slot) *register.Value {
	s.reg = register.New(bytesOf(s.val), crdt.Observed{Self: unpack(s.dot)}, s.hlc)
	s.val, s.hlc, s.dot = "", 0, 0
	m.full++
	return s.reg
}

// fullReg returns the register of live slot s, promoting it first if it is compact.
func (m *Map) fullReg(s *slot) *register.Value {
	if s.reg == nil {
		return m.promote(s)
	}
	return s.reg
}

// bury keeps the register of a field that stopped being live, if it holds counter offsets.
func (m *Map) bury(name string, reg *register.Value) {
	if !reg.Retained() {
		return
	}
	if m.dead == nil {
		m.dead = make(map[string]*register.Value)
	}
	m.dead[name] = reg
}

// Field is what a local write of a field needs to know of it (see ForWrite).
type Field struct {
	// Live says whether the field is live.
	Live bool
	// Name is the stored name of a live field (nil when the field is not live): an operation
	// about the field shares it instead of copying the argument, and finds the field's slot
	// without a second lookup.
	Name []byte
	// Value is the stored value of a live field held compactly (one write, no counters), nil
	// otherwise: a write of the same bytes can share it.
	Value []byte
	// Totals is a copy of the field's counter totals (live or dead), nil when it has none.
	Totals []register.Total
}

// ForWrite looks field up once for a local write (HSET, HMSET, HSETNX): its stored name, value
// and counter totals. It remembers the field's slot for the write that follows (a hint only: a
// later lookup checks it, so any change in between is harmless). Unlike the read methods, it
// therefore changes the map and must be called by the writer.
func (m *Map) ForWrite(field []byte) Field {
	if m == nil {
		return Field{}
	}
	if i, ok := m.index[string(field)]; ok {
		m.hint = i
		s := m.at(i)
		f := Field{Live: true, Name: bytesOf(s.name)}
		if s.reg == nil {
			f.Value = bytesOf(s.val)
		} else {
			f.Totals = s.reg.Totals()
		}
		return f
	}
	if reg := m.dead[string(field)]; reg != nil {
		return Field{Totals: reg.Totals()}
	}
	return Field{}
}

// Converted reports whether Redis holds the hash as a hashtable for good (until it is
// emptied): Settle then only accounts for what was written, whatever the limits.
func (m *Map) Converted() bool { return m.hashtable }

// slotOf returns the slot of live field (false when it is not live). A field named by the bytes
// ForWrite returned as its Name is the hinted slot: the same bytes are the same name, and a
// slot below n is live, so the hint needs no invalidation.
func (m *Map) slotOf(field []byte) (int32, bool) {
	if h := m.hint; h < m.n {
		if name := m.at(h).name; len(name) == len(field) && len(field) > 0 &&
			unsafe.StringData(name) == unsafe.SliceData(field) {
			return h, true
		}
	}
	i, ok := m.index[string(field)]
	return i, ok
}

// Set writes val to field, written by the batch of obs at hlc; offsets are the counter totals
// of the field the origin had seen, which stop counting (HSET, HSETNX, HMSET). It returns the
// last-writer-wins conflict resolved when the field held a value the origin had not seen.
func (m *Map) Set(field, val []byte, obs crdt.Observed, hlc clock.HLC, offsets []register.Total) crdt.Resolution {
	m.noteLen(len(field))
	m.noteLen(len(val))
	if i, ok := m.slotOf(field); ok {
		s := m.at(i)
		if s.reg == nil && len(offsets) == 0 && obs.Covers(unpack(s.dot)) {
			if p, ok := pack(obs.Self); ok { // the common case: an overwrite of what was seen
				s.val, s.hlc, s.dot = str(val), hlc, p
				return crdt.Resolution{}
			}
		}
		return m.fullReg(s).Set(val, obs, hlc, offsets)
	}
	name := str(field)
	if reg := m.dead[name]; reg != nil { // kept for its offsets: live again
		delete(m.dead, name)
		r := reg.Set(val, obs, hlc, offsets)
		m.insert(slot{name: name, reg: reg})
		return r
	}
	if p, ok := pack(obs.Self); ok && len(offsets) == 0 {
		m.insert(slot{name: name, val: str(val), hlc: hlc, dot: p})
		return crdt.Resolution{}
	}
	reg := &register.Value{}
	r := reg.Set(val, obs, hlc, offsets)
	m.insert(slot{name: name, reg: reg})
	return r
}

// FieldWrite returns the winning write of a live field that holds a written value (false when
// the field is absent or holds only counters).
func (m *Map) FieldWrite(field []byte) (crdt.Write, bool) {
	i, ok := m.index[string(field)]
	if !ok {
		return crdt.Write{}, false
	}
	s := m.at(i)
	if s.reg == nil {
		return crdt.Write{Dot: unpack(s.dot), HLC: s.hlc}, true
	}
	w, _ := s.reg.Base()
	return w, !w.Dot.IsZero()
}

// Contribute adds a counter contribution of member in its batch seq to field: n to the integer
// part, f (if not nil) to the floating part (HINCRBY, HINCRBYFLOAT).
func (m *Map) Contribute(field []byte, member clock.MemberID, seq uint64, n int64, f *big.Rat) {
	m.noteLen(len(field))
	var reg *register.Value
	if i, ok := m.index[string(field)]; ok {
		reg = m.fullReg(m.at(i))
		reg.Contribute(member, seq, n, f)
	} else {
		name := str(field)
		if reg = m.dead[name]; reg != nil {
			delete(m.dead, name)
		} else {
			reg = &register.Value{}
		}
		reg.Contribute(member, seq, n, f)
		if !reg.Live() {
			m.bury(name, reg)
			return
		}
		m.insert(slot{name: name, reg: reg})
	}
	m.noteLen(resolvedLen(reg))
}

// resolvedLen is the length of a register's value as Redis would store it.
func resolvedLen(reg *register.Value) int {
	if n, ok := reg.Int(); ok {
		l := 1
		if n < 0 {
			l++
		}
		for n <= -10 || n >= 10 {
			n /= 10
			l++
		}
		return l
	}
	b, _ := reg.Bytes()
	return len(b)
}

// Remove deletes what the origin of obs had seen of field: its written values and its counters
// up to offsets (HDEL).
func (m *Map) Remove(field []byte, obs crdt.Observed, offsets []register.Total) {
	if i, ok := m.index[string(field)]; ok {
		m.removeSlot(i, obs, offsets)
		return
	}
	if reg := m.dead[string(field)]; reg != nil {
		reg.Remove(obs, offsets)
		return
	}
	if len(offsets) > 0 {
		// Counters this member has not seen yet: remember where the removal stopped them.
		reg := &register.Value{}
		reg.Remove(obs, offsets)
		m.bury(str(field), reg)
	}
}

func (m *Map) removeSlot(i int32, obs crdt.Observed, offsets []register.Total) {
	s := m.at(i)
	if s.reg == nil && len(offsets) == 0 {
		if obs.Covers(unpack(s.dot)) {
			m.drop(i)
		}
		return
	}
	reg := m.fullReg(s)
	reg.Remove(obs, offsets)
	if !reg.Live() {
		name := s.name
		m.drop(i)
		m.bury(name, reg)
	}
}

// RemoveAll deletes everything of the map that the origin of obs had seen (DEL, FLUSH): fields[k]
// is a field holding counters and offsets[k] the totals of it that the origin had seen.
func (m *Map) RemoveAll(obs crdt.Observed, fields [][]byte, offsets [][]register.Total) {
	for k, f := range fields {
		var o []register.Total
		if k < len(offsets) {
			o = offsets[k]
		}
		m.Remove(f, obs, o)
	}
	for i := m.n - 1; i >= 0; i-- {
		m.removeSlot(i, obs, nil) // a removal only moves slots already visited (above i) down
	}
}

// Clone returns an independent copy (snapshots and tests; COPY and RENAME build new values from
// the resolved content instead).
func (m *Map) Clone() *Map {
	w := &Map{
		index:     make(map[string]int32, len(m.index)),
		n:         m.n,
		full:      m.full,
		peak:      m.peak,
		hashtable: m.hashtable,
		pending:   m.pending,
		pendLen:   m.pendLen,
	}
	for k, v := range m.index {
		w.index[k] = v
	}
	for _, ch := range m.chunks {
		c := append(make([]slot, 0, cap(ch)), ch...)
		for i := range c {
			if c[i].reg != nil {
				c[i].reg = c[i].reg.Clone()
			}
		}
		w.chunks = append(w.chunks, c)
	}
	if m.dead != nil {
		w.dead = make(map[string]*register.Value, len(m.dead))
		for k, v := range m.dead {
			w.dead[k] = v.Clone()
		}
	}
	return w
}
