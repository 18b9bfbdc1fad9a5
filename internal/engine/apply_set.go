package engine

import (
	"unsafe"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/orset"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Sets (semantics.md §3): SetAdd and SetRemove act on the members named in Elems of a set
// created at Created; DEL and FLUSH remove every member dot the remover had seen.
func init() {
	kindAppliers[effect.SetAdd] = applySetAdd
	kindAppliers[effect.SetRemove] = applySetRemove
	valueRemovers[crdt.TypeSet] = func(v crdt.Value, obs crdt.Observed, _ *effect.Op) {
		v.(*orset.Set).RemoveAll(obs)
	}
}

func newSet() crdt.Value { return orset.New() }

func applySetAdd(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent := collectionEntry(db, op.Key, crdt.TypeSet, op.Created, newSet)
	if ent == nil {
		return nil
	}
	s := ent.Value.(*orset.Set)
	obs := b.Observed()
	for _, m := range op.Elems {
		s.Add(elemString(m), obs)
	}
	return ent
}

func applySetRemove(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	if db.Get(op.Key) == nil {
		return nil // nothing was ever added here
	}
	ent := collectionEntry(db, op.Key, crdt.TypeSet, op.Created, newSet)
	if ent == nil {
		return nil
	}
	s := ent.Value.(*orset.Set)
	obs := b.Observed()
	for _, m := range op.Elems {
		name := elemString(m)
		if !s.Remove(name, obs) && s.Contains(name) {
			// An add the remover had not seen survives (add-wins). Sets keep the dots of
			// adds, not their times.
			e.record(op.DB, op.Key, crdt.TypeSet, m, crdt.Resolution{
				Rule: crdt.RuleAddWins, Winner: crdt.Write{Dot: s.Dots(name)[0]}, Loser: batchWrite(b)})
		}
	}
	return ent
}

// elemString views an element's bytes as a string without copying: the bytes of an emitted
// operation are never modified (register values are kept the same way), so the set may keep
// them.
func elemString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
