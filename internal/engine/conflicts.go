package engine

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/ormap"
	"github.com/concord-db/concord/internal/crdt/orset"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Conflict visibility (issue 8): every real conflict an applied effect resolves — two writes
// neither of which had observed the other — is counted per data type and rule and kept in a
// bounded log, newest last, that CRDT.CONFLICTS reads. The CRDT values return what they
// resolved (crdt.Resolution); only the engine records, so the values stay pure. Detection is
// decided by observed contexts (crdt.Observed.Covers), never by arrival order, and costs no
// allocation when there is no conflict. A conflict is recorded by the member whose apply
// resolved it: for last-writer-wins and expiry contests both members of a pair of concurrent
// writes do; an add-wins conflict is recorded where the removal arrives after the add it lost
// to (where the removal arrives first, the add simply adds: nothing is kept of the removal).

// ConflictLogSize bounds the conflict log (entries): the oldest are dropped first.
const ConflictLogSize = 1024

// Conflict is one resolved conflict.
type Conflict struct {
	Time    int64 // this member's physical time when it resolved the conflict (ms)
	DB      int
	Key     string
	Type    crdt.Type
	Rule    crdt.Rule
	Element string // the field or member of a collection, "" for the key itself
	// Winner and Loser identify the two writes; a zero HLC means the value does not keep the
	// time of that write (expiry writes, set adds) and a zero Seq means a creation stamp
	// (type conflicts compare creations, identified by member and time).
	Winner, Loser crdt.Write
	// LoserValue is the discarded value of a register (strings, hash fields, zset scores as
	// Redis formats them, the losing TTL as an absolute time in ms for expiry contests, the
	// losing type's name for type conflicts); nil when there is none.
	LoserValue []byte
}

// TypeName names a conflict's data type: TYPE's name, except "hll" for HyperLogLogs.
func TypeName(t crdt.Type) string {
	if t == crdt.TypeHLL {
		return "hll"
	}
	return t.Name()
}

// NumTypes bounds crdt.Type values (the counters' first index).
const NumTypes = int(crdt.TypeHLL) + 1

// conflictLog is the engine's record of conflicts (guarded by the engine lock).
type conflictLog struct {
	off    bool       // SetConflictLog(false): replaying files, whose conflicts were recorded then
	ring   []Conflict // allocated at the first conflict
	next   int        // where the next conflict goes
	n      int        // entries held
	total  uint64
	counts [NumTypes][crdt.NumRules]uint64
}

// record adds a conflict resolved on key (an element of it when elem is not nil).
func (e *Engine) record(db int, key string, t crdt.Type, elem []byte, r crdt.Resolution) {
	if r.Rule == crdt.RuleNone || e.conflicts.off {
		return
	}
	l := &e.conflicts
	if l.ring == nil {
		l.ring = make([]Conflict, ConflictLogSize)
	}
	c := Conflict{
		Time:       e.now,
		DB:         db,
		Key:        key,
		Type:       t,
		Rule:       r.Rule,
		Winner:     r.Winner,
		Loser:      r.Loser,
		LoserValue: bytes.Clone(r.LoserValue), // the register may reuse or drop those bytes
	}
	if elem != nil {
		c.Element = string(elem)
	}
	if int(t) < NumTypes {
		l.counts[t][r.Rule]++
	}
	l.total++
	l.ring[l.next] = c
	l.next = (l.next + 1) % len(l.ring)
	l.n = min(l.n+1, len(l.ring))
	if e.OnConflict != nil {
		e.OnConflict(&l.ring[(l.next+len(l.ring)-1)%len(l.ring)])
	}
}

// SetConflictLog turns the recording of conflicts on or off: a member replaying its own files
// at start re-applies conflicts it resolved (and reported) before it stopped. The caller holds
// the lock or has not started serving.
func (e *Engine) SetConflictLog(on bool) { e.conflicts.off = !on }

// Conflicts returns up to n logged conflicts, newest first, whose key match accepts (nil:
// every key). The caller holds the lock.
func (e *Engine) Conflicts(n int, match func(key string) bool) []Conflict {
	l := &e.conflicts
	var out []Conflict
	for i := 0; i < l.n && len(out) < n; i++ {
		c := &l.ring[(l.next-1-i+2*len(l.ring))%len(l.ring)]
		if match == nil || match(c.Key) {
			cc := *c
			cc.LoserValue = slices.Clone(c.LoserValue)
			out = append(out, cc)
		}
	}
	return out
}

// ConflictCounts returns the number of conflicts resolved so far per data type and rule, and
// their total. The caller holds the lock.
func (e *Engine) ConflictCounts() (counts [NumTypes][crdt.NumRules]uint64, total uint64) {
	return e.conflicts.counts, e.conflicts.total
}

// batchWrite is the batch's side of a conflict.
func batchWrite(b *effect.Effect) crdt.Write { return crdt.Write{Dot: b.Dot(), HLC: b.HLC} }

// creationWrite is a creation stamp as one side of a type conflict.
func creationWrite(s clock.Stamp) crdt.Write {
	return crdt.Write{Dot: clock.Dot{Member: s.Member}, HLC: s.HLC}
}

// kindType is the type of the value an operation of kind k acts on (TypeNone for key-level
// operations).
func kindType(k effect.Kind) crdt.Type {
	switch k {
	case effect.StringSet, effect.StringAdd:
		return crdt.TypeString
	case effect.SetAdd, effect.SetRemove:
		return crdt.TypeSet
	case effect.HashSet, effect.HashAdd, effect.HashDelete:
		return crdt.TypeHash
	case effect.ZsetSet, effect.ZsetAdd, effect.ZsetRemove:
		return crdt.TypeZSet
	case effect.ListInsert, effect.ListRemove, effect.ListSet:
		return crdt.TypeList
	case effect.HLLAdd:
		return crdt.TypeHLL
	}
	return crdt.TypeNone
}

// recordExpiry records an expiry contest on ent (its losing TTL as the losing value).
func (e *Engine) recordExpiry(db int, ent *store.Entry, r crdt.Resolution) {
	if r.Rule == crdt.RuleNone {
		return
	}
	r.LoserValue = strconv.AppendInt(nil, r.LoserAt, 10)
	e.record(db, ent.Name, ent.Type(), nil, r)
}

// recordType records a type conflict on ent: the creation winner beat loser, a value of type
// lost (whose name is the losing value).
func (e *Engine) recordType(db int, ent *store.Entry, winner, loser crdt.Write, lost crdt.Type) {
	t := crdt.TypeNone
	if ent.Value != nil {
		t = ent.Value.Type()
	}
	e.record(db, ent.Name, t, nil, crdt.Resolution{
		Rule: crdt.RuleType, Winner: winner, Loser: loser, LoserValue: []byte(TypeName(lost))})
}

// survivor is the write that survived a removal it had not observed, where the value keeps
// it (a string's base); zero otherwise.
func survivor(v crdt.Value) crdt.Write {
	if reg, ok := v.(*register.Value); ok {
		w, _ := reg.Base()
		return w
	}
	return crdt.Write{}
}

// recordDeleteLost records a DEL of the key that left something its origin had not seen: a
// concurrent write won (add-wins). Kept out of applyOp so that its frame stays small.
//
//go:noinline
func (e *Engine) recordDeleteLost(b *effect.Effect, op *effect.Op, ent *store.Entry) {
	e.record(op.DB, op.Key, op.Type, nil, crdt.Resolution{
		Rule: crdt.RuleAddWins, Winner: survivor(ent.Value), Loser: batchWrite(b)})
}

// Conflicts resolved by a full resync (MergeState) are recorded as the effect path records
// them: the state merges report what they resolve (crdt.MergeReport) and mergeKeyState turns
// each report into a logged conflict. Strings, sets and hashes report conflicts inside their
// values; every type reports the key-level ones (type contests, expiry contests).

// mergeReporters merge two values of their type reporting the conflicts they resolve.
var mergeReporters = map[crdt.Type]func(dst, src crdt.Value, mine, theirs clock.Vector, report crdt.MergeReport){
	crdt.TypeString: func(dst, src crdt.Value, mine, theirs clock.Vector, report crdt.MergeReport) {
		dst.(*register.Value).MergeReported(src.(*register.Value), mine, theirs, report)
	},
	crdt.TypeSet: func(dst, src crdt.Value, mine, theirs clock.Vector, report crdt.MergeReport) {
		dst.(*orset.Set).MergeReported(src.(*orset.Set), mine, theirs, report)
	},
	crdt.TypeHash: func(dst, src crdt.Value, mine, theirs clock.Vector, report crdt.MergeReport) {
		dst.(*ormap.Map).MergeReported(src.(*ormap.Map), mine, theirs, report)
	},
}

// mergeKeyState merges o, the key on the other member (consumed), into ent's envelope and
// value (crdt.Key.Merge, values by their state codec) and records the conflicts the merge
// resolves. It returns what Key.Merge returns: the dots still to remove from the value.
func (e *Engine) mergeKeyState(db int, ent *store.Entry, o *crdt.Key, mine, theirs clock.Vector) clock.Vector {
	merge := func(dst, src crdt.Value, dstVC, srcVC clock.Vector) {
		stateCodecs[dst.Type()].Merge(dst, src, dstVC, srcVC)
	}
	if e.conflicts.off {
		return ent.Key.Merge(o, mine, theirs, merge)
	}
	report := func(elem []byte, r crdt.Resolution) {
		t := crdt.TypeNone
		switch r.Rule {
		case crdt.RuleExpiry:
			t = ent.Type()
			r.LoserValue = strconv.AppendInt(nil, r.LoserAt, 10)
		case crdt.RuleType:
			r.LoserValue = []byte(TypeName(r.LoserType))
		}
		if r.Rule != crdt.RuleExpiry && ent.Value != nil {
			t = ent.Value.Type()
		}
		e.record(db, ent.Name, t, elem, r)
	}
	theirValue := o.Value
	return ent.Key.MergeReported(o, mine, theirs, func(dst, src crdt.Value, dstVC, srcVC clock.Vector) {
		// Only the merge of the two sides' values resolves conflicts; values kept aside after
		// type contests are merged for their counter totals.
		if m := mergeReporters[dst.Type()]; m != nil && src == theirValue && dst == ent.Value {
			m(dst, src, dstVC, srcVC, report)
			return
		}
		merge(dst, src, dstVC, srcVC)
	}, report)
}
