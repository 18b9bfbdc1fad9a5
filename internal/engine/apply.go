package engine

import (
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// applyOp is the one place where an operation changes the store, for local and remote batches.
func (e *Engine) applyOp(b *effect.Effect, op *effect.Op) int {
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
	if op.DB < 0 || op.DB >= e.store.Len() {
		return 0 // a peer with more databases: ignored rather than crashing
	}
	db := e.store.DB(op.DB)
	obs := b.Observed()
	var ent *store.Entry
	switch op.Kind {
	case effect.StringSet:
		ent = stringEntry(db, op.Key)
		if !ent.Accepts(crdt.TypeString, b.Stamp()) {
			break
		}
		if reg, ok := ent.Value.(*register.Value); ok {
			reg.Set(op.Value, obs, b.HLC, op.Offsets)
		} else { // the key held another type, which this write replaced
			ent.Value = register.New(op.Value, obs, b.HLC)
		}
		if !op.KeepTTL {
			ent.Expiry.Write(op.At, obs)
		}
	case effect.StringAdd:
		ent = stringEntry(db, op.Key)
		if !ent.Accepts(crdt.TypeString, op.Created) {
			break
		}
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
		removeValue(ent, op.Type, obs, op)
		ent.Expiry.Remove(obs)
	case effect.Expire:
		ent = db.GetOrCreate(op.Key)
		ent.Expiry.Write(op.At, obs)
	default:
		apply := kindAppliers[op.Kind]
		if apply == nil {
			return 0 // an operation of a newer version: ignored rather than crashing
		}
		if ent = apply(b, op, db); ent == nil {
			return 0 // the operation targets a value that lost a type contest
		}
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
	kindAppliers = map[effect.Kind]func(b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry{}
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
	// deleteContexts add to a Delete operation what removing a value of the type needs besides
	// the observed context: the counter totals it stops.
	deleteContexts = map[crdt.Type]func(v crdt.Value, op *effect.Op){
		crdt.TypeString: func(v crdt.Value, op *effect.Op) { op.Offsets = v.(*register.Value).Totals() },
	}
)

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

func (e *Engine) applyFlush(b *effect.Effect, op *effect.Op) {
	obs := b.Observed()
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
			if ent.Value != nil {
				removeValue(ent, ent.Value.Type(), obs, nil)
			}
			ent.Expiry.Remove(obs)
			e.store.Update(db, ent)
		}
		if e.OnFlush != nil {
			e.OnFlush(i)
		}
	}
}

// stringKey is a string key's entry, value and (short) name in one allocation: finding a key
// compares its name, and that cache miss then also brings in the entry and the value.
type stringKey struct {
	store.Entry
	reg  register.Value
	name [shortKey]byte
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
