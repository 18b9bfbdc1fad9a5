package engine

import (
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// ApplyEncoded is Apply for a batch received encoded: enc is exactly b's encoding
// (effect.Encode's format, as effect.Decode read b from it), which the sinks may take from
// Encoded instead of encoding b again (the backlog stores the received bytes). enc is only read
// during the call; nil makes it Apply.
func (e *Engine) ApplyEncoded(b *effect.Effect, enc []byte) error { return e.applyRemote(b, enc) }

// Encoded returns, to a sink, the encoding of the batch it is being handed when that batch is
// a remote one applied with its encoding (ApplyEncoded), and nil otherwise (a local batch, or
// a remote one applied without it). The bytes are only valid during the sink's call.
func (e *Engine) Encoded() []byte { return e.encoded }

// applyOp is the one place where an operation changes the store, for local and remote batches.
func (e *Engine) applyOp(b *effect.Effect, op *effect.Op) int {
	e.preserveOp(op) // copy-on-write for a background export (export.go)
	if op.Kind == effect.Publish {
		if e.OnPublish != nil {
			return e.OnPublish([]byte(op.Key), op.Value)
		}
		return 0
	}
	if op.Kind == effect.Flush {
		e.applyFlush(b, op)
		return 0
	}
	if op.Kind >= effect.FunctionLoad && op.Kind <= effect.FunctionFlush {
		e.applyFunction(b, op)
		return 0
	}
	if op.DB < 0 || op.DB >= e.store.Len() {
		return 0 // a peer with more databases: ignored rather than crashing
	}
	db := e.store.DB(op.DB)
	obs := b.Observed()
	// The creation the operation targets, and the key's before it (type contests: see
	// settleContest).
	target := op.Created
	if op.Kind == effect.StringSet {
		target = b.Stamp() // a SET creates a new value
	}
	var prevType crdt.Type
	var prevCreated clock.Stamp
	var originTotals []fieldTotal
	// A creation of another type than a live value's that had not observed that value is a
	// type conflict (semantics.md §7), recorded once the contest is decided. Only operations
	// that create (target is their own stamp) are considered, so that the effects still
	// aimed at a value that lost are not each counted again.
	contested := false
	if target != (clock.Stamp{}) {
		if pre := db.Get(op.Key); pre != nil && pre.Value != nil {
			prevType, prevCreated = pre.Value.Type(), pre.Created
			if target == b.Stamp() && prevType != kindType(op.Kind) && pre.Value.Live() {
				// A collection operation never replaces a live value its origin saw (that is
				// WRONGTYPE); a SET does, so it conflicts only with what its origin had not seen.
				contested = op.Kind != effect.StringSet
				if u, ok := pre.Value.(crdt.Unobserved); ok && !contested {
					contested = u.HoldsUnobserved(obs)
				}
			}
			if pre.Mixed() {
				// The origin's totals before its contribution: where its contributions to
				// earlier creations end (crdt/contest.go).
				pre.SetHistory(historyOf(pre).add(counterTotals(pre.Value, b.Origin)))
			} else if op.Kind != effect.StringSet && target.After(prevCreated) {
				originTotals = counterTotals(pre.Value, b.Origin) // in case it supersedes
			}
		}
	}
	expiryRemoved := false
	if target == b.Stamp() && op.Kind != effect.StringSet && (prevType == crdt.TypeNone || prevCreated != target) {
		// The operation creates a value: the key did not exist for its origin, so the expiry
		// writes its origin had seen belong to a deleted key (a key emptied by removing its
		// elements keeps them) and go, as the TTL of a deleted key does in Redis. (SET writes
		// its own expiry.)
		if ent := db.Get(op.Key); ent != nil && ent.Expiry.Written() {
			ent.Expiry.Remove(obs)
			expiryRemoved = true
		}
	}
	accepted := false
	var ent *store.Entry
	switch op.Kind {
	case effect.StringSet:
		ent = stringEntry(db, op.Key)
		if !op.KeepTTL {
			// The expiry belongs to the key, not to the value: written even when the value
			// loses a type contest, so that the order of arrival cannot matter.
			if r := ent.Expiry.Write(op.At, obs); r.Rule != crdt.RuleNone {
				e.recordExpiry(op.DB, ent, r)
			}
		}
		if !ent.Accepts(crdt.TypeString, b.Stamp()) {
			break
		}
		accepted = true
		if reg, ok := ent.Value.(*register.Value); ok {
			if r := reg.Set(op.Value, obs, b.HLC, op.Offsets); r.Rule != crdt.RuleNone {
				e.record(op.DB, op.Key, crdt.TypeString, nil, r)
			}
		} else { // the key held another type, which this write replaced
			ent.Value = register.New(op.Value, obs, b.HLC)
		}
	case effect.StringAdd:
		ent = stringEntry(db, op.Key)
		if !ent.Accepts(crdt.TypeString, op.Created) {
			rejectedCounters[effect.StringAdd](b, op, ent)
			break
		}
		accepted = true
		reg, ok := ent.Value.(*register.Value)
		if !ok {
			reg = &register.Value{}
			ent.Value = reg
		}
		reg.Contribute(b.Origin, b.Seq, op.Int, op.Float)
	case effect.Delete:
		ent = db.Get(op.Key)
		if ent == nil {
			return 0
		}
		wasLive := ent.Value != nil && ent.Value.Type() == op.Type && ent.Value.Live()
		removeValue(ent, op.Type, obs, op)
		if wasLive && ent.Value.Live() && !deletionsWin[op.Type] {
			e.recordDeleteLost(b, op, ent)
		}
		ent.Expiry.Remove(obs)
		if deletionsWin[op.Type] {
			// The deleter saw a value whose deletion wins over concurrent adds: the key
			// remembers it whatever it holds now (crdt/deletions.go).
			ent.NoteDeletion(b.Dot())
			e.noteContest(op.DB, ent)
		}
	case effect.Expire:
		ent = db.GetOrCreate(op.Key)
		if r := ent.Expiry.Write(op.At, obs); r.Rule != crdt.RuleNone {
			e.recordExpiry(op.DB, ent, r)
		}
	default:
		apply := kindAppliers[op.Kind]
		if apply == nil {
			return 0 // an operation of a newer version: ignored rather than crashing
		}
		if ent = apply(e, b, op, db); ent == nil {
			// The operation targets a value that lost a type contest (or nothing): it may
			// still have beaten older creations of the key's type.
			if ent = db.Get(op.Key); ent == nil {
				return 0
			}
			changed := false
			if contested {
				e.recordType(op.DB, ent, creationWrite(ent.Created), creationWrite(target), kindType(op.Kind))
				contested = false
			}
			if rejected := rejectedCounters[op.Kind]; rejected != nil && target != (clock.Stamp{}) {
				rejected(b, op, ent)
				changed = true
			}
			if !e.settleContest(b, ent, target, false, prevType, prevCreated, originTotals) && !changed {
				if expiryRemoved {
					// the creation lost, but the expiry writes its origin had seen are gone:
					// the store's expiry time must follow (found by the simulator, seed 19585)
					e.store.Update(db, ent)
				}
				return 0
			}
			e.noteContest(op.DB, ent)
		} else {
			accepted = true
		}
	}
	if contested {
		if accepted {
			e.recordType(op.DB, ent, creationWrite(target), creationWrite(prevCreated), prevType)
		} else {
			e.recordType(op.DB, ent, creationWrite(ent.Created), creationWrite(target), kindType(op.Kind))
		}
	}
	if target != (clock.Stamp{}) {
		e.settleContest(b, ent, target, accepted, prevType, prevCreated, originTotals)
		e.noteContest(op.DB, ent)
	}
	e.store.Update(db, ent)
	if e.OnTouch != nil {
		e.OnTouch(op.DB, op.Key)
	}
	return 0
}

// Each data type's file registers how its operations apply and how its values are removed, so
// that adding a type touches no shared switch.
var (
	// kindAppliers apply an operation of a collection type; they return the entry changed.
	kindAppliers = map[effect.Kind]func(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry{}
	// valueRemovers perform the observed-remove of a whole value of a type (DEL, FLUSH); op is
	// the Delete operation (nil for FLUSH) with the type's removal context.
	valueRemovers = map[crdt.Type]func(v crdt.Value, obs crdt.Observed, op *effect.Op){
		crdt.TypeString: func(v crdt.Value, obs crdt.Observed, op *effect.Op) {
			var offsets []register.Total
			if op != nil {
				offsets = op.Offsets
			}
			v.(*register.Value).Remove(obs, offsets)
		},
	}
	// deletionsWin are the types whose deletions win over concurrent adds (crdt/deletions.go).
	deletionsWin = map[crdt.Type]bool{}
	// deleteContexts add to a Delete operation what removing a value of the type needs besides
	// the observed context: the counter totals it stops.
	deleteContexts = map[crdt.Type]func(v crdt.Value, op *effect.Op){
		crdt.TypeString: func(v crdt.Value, op *effect.Op) { op.Offsets = v.(*register.Value).Totals() },
	}
)

// settleContest finishes the type-contest bookkeeping of an operation on ent that targeted the
// creation at target (crdt/contest.go): it removes the elements of creations that a losing
// creation of another type beat, and records which creation the elements the operation added
// belong to when the value mixes several creations of its type. accepted says whether the key
// accepted the operation; prevType and prevCreated are the key's value type and creation stamp
// before it, and originTotals the origin's counter totals before it when it created a newer
// value of the same type. It reports whether the value changed.
func (e *Engine) settleContest(b *effect.Effect, ent *store.Entry, target clock.Stamp, accepted bool, prevType crdt.Type, prevCreated clock.Stamp, originTotals []fieldTotal) bool {
	changed := false
	hist := historyOf(ent)
	if hide := ent.TakeHidden(); hide != nil && ent.Value != nil {
		removeCovered(ent.Value, hide, hist)
		changed = true
	}
	if prevType != crdt.TypeNone && (ent.Value == nil || ent.Value.Type() != prevType) {
		pruneLost(ent) // the previous value lost entirely and was kept aside
		changed = true
	}
	if !accepted || ent.Value == nil || ent.Value.Type() != prevType {
		return changed // a new value (or none): it holds only the target creation's elements
	}
	switch {
	case prevCreated != (clock.Stamp{}) && target.After(prevCreated) && target == ent.Created:
		// A newer creation of the same type: the value's older elements, if any survive,
		// belong to the creations up to prevCreated.
		if u, ok := ent.Value.(crdt.Unobserved); !ok || u.HoldsUnobserved(b.Observed()) {
			ent.Supersede(prevCreated, e.vc.Clone().Set(b.Origin, b.Seq-1))
			// Every member's totals as of then (the origin's from before its operation).
			var others []fieldTotal
			for _, ft := range counterTotals(ent.Value, 0) {
				if ft.t.Member != b.Origin {
					others = append(others, ft)
				}
			}
			ent.SetHistory(historyOf(ent).add(others).add(originTotals))
		}
	case ent.Created.After(target):
		ent.Target(target, b.Dot()) // a concurrent, older creation of the same type
	}
	return changed
}

// removeValue is the observed-remove of a key's value, when the value is of the type the
// remover saw (otherwise the removal targeted a value that lost a type contest here).
func removeValue(ent *store.Entry, t crdt.Type, obs crdt.Observed, op *effect.Op) {
	if ent.Value == nil || ent.Value.Type() != t {
		return
	}
	if remove := valueRemovers[t]; remove != nil {
		remove(ent.Value, obs, op)
	}
}

// collectionEntry returns key's entry for an operation on a collection of type t created at
// created, making a new value with fresh() when there is none; nil when the operation targets
// a value that lost a type contest (semantics.md §7).
func collectionEntry(db *store.DB, key string, t crdt.Type, created clock.Stamp, fresh func() crdt.Value) *store.Entry {
	ent := db.GetOrCreate(key)
	if !ent.Accepts(t, created) {
		return nil
	}
	if ent.Value == nil {
		ent.Value = fresh()
	}
	return ent
}

// applyFlush removes every key of the flushed databases that the origin had seen. A value
// whose deletion wins over concurrent adds (deletionsWin) is removed, and the deletion
// remembered, only where the origin saw such a value live: the origin lists those keys in the
// operation's Elems (flushWinner), so that every member records the same deletions whatever
// it holds when the FLUSH arrives (crdt/deletions.go); elsewhere the FLUSH is an observed-remove
// that leaves concurrent adds alone.
func (e *Engine) applyFlush(b *effect.Effect, op *effect.Op) {
	obs := b.Observed()
	local := b == e.batch
	var winners map[keyRef]bool
	if local {
		op.Elems = nil // filled below: the keys this FLUSH deletes for good
	} else {
		winners = parseFlushWinners(op.Elems)
	}
	for i := range e.store.Len() {
		if op.DB >= 0 && i != op.DB {
			continue
		}
		db := e.store.DB(i)
		var seen []*store.Entry
		db.EachEntry(func(ent *store.Entry) bool {
			seen = append(seen, ent)
			return true
		})
		for _, ent := range seen {
			wins := winners[keyRef{i, ent.Name}]
			if local && ent.Live() && deletionsWin[ent.Value.Type()] {
				wins = true
				op.Elems = append(op.Elems, flushWinner(i, ent.Name))
			}
			if ent.Value != nil && (wins || !deletionsWin[ent.Value.Type()]) {
				removeValue(ent, ent.Value.Type(), obs, nil)
			}
			ent.Expiry.Remove(obs)
			if wins {
				ent.NoteDeletion(b.Dot())
				e.noteContest(i, ent)
			}
			e.store.Update(db, ent)
		}
		if e.OnFlush != nil {
			e.OnFlush(i)
		}
	}
}

// stringKey is a string key's entry, value and (short) name in one allocation: finding a key
// compares its name, and that cache miss then also brings in the entry and the value. The name
// comes first so that it shares its cache line with the entry's most used fields (the value,
// its creation stamp and the expiry, which every write reads next), and the value's base
// follows the entry: a SET on a key that exists touches the first four of the five lines
// rather than all of them (the value's counters and offsets, at the end, are rarely used).
type stringKey struct {
	name [shortKey]byte
	store.Entry
	reg register.Value
}

const shortKey = 24

// stringEntry returns key's entry, creating it together with an empty string value.
func stringEntry(db *store.DB, key string) *store.Entry {
	if ent := db.Get(key); ent != nil {
		return ent
	}
	sk := &stringKey{}
	if len(key) <= shortKey && len(key) > 0 {
		n := copy(sk.name[:], key)
		sk.Name = unsafe.String(&sk.name[0], n) // never modified: the string stays immutable
	} else {
		sk.Name = key
	}
	sk.Value = &sk.reg
	return db.Insert(&sk.Entry)
}
