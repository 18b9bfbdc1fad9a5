package engine

import (
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/ormap"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Hashes (semantics.md §2): an observed-remove map of string registers (package ormap).
func init() {
	kindAppliers[effect.HashSet] = applyHashSet
	kindAppliers[effect.HashAdd] = applyHashAdd
	kindAppliers[effect.HashDelete] = applyHashDelete
	valueRemovers[crdt.TypeHash] = func(v crdt.Value, obs crdt.Observed, op *effect.Op) {
		var fields [][]byte
		var offsets [][]register.Total
		if op != nil {
			fields, offsets = op.Elems, op.ElemOffsets
		}
		v.(*ormap.Map).RemoveAll(obs, fields, offsets)
	}
	// A DEL of a hash carries, for each field holding counters, the totals it stops.
	deleteContexts[crdt.TypeHash] = func(v crdt.Value, op *effect.Op) {
		op.Elems, op.ElemOffsets = v.(*ormap.Map).CounterTotals()
	}
}

func newHash() crdt.Value { return ormap.New() }

// elemOffsets is the i-th entry of an operation's ElemOffsets (nil when absent).
func elemOffsets(op *effect.Op, i int) []register.Total {
	if i < len(op.ElemOffsets) {
		return op.ElemOffsets[i]
	}
	return nil
}

// applyHashSet writes Values[i] to field Elems[i], stopping the counters in ElemOffsets[i].
func applyHashSet(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent := collectionEntry(db, op.Key, crdt.TypeHash, op.Created, newHash)
	if ent == nil {
		return nil
	}
	m := ent.Value.(*ormap.Map)
	obs := b.Observed()
	for i, f := range op.Elems {
		var v []byte
		if i < len(op.Values) {
			v = op.Values[i]
		}
		if r := m.Set(f, v, obs, b.HLC, elemOffsets(op, i)); r.Rule != crdt.RuleNone {
			e.record(op.DB, op.Key, crdt.TypeHash, f, r)
		}
	}
	return ent
}

// applyHashAdd adds Int (and Float) to the origin's counter of field Elems[0].
func applyHashAdd(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	if len(op.Elems) == 0 {
		return nil
	}
	ent := collectionEntry(db, op.Key, crdt.TypeHash, op.Created, newHash)
	if ent == nil {
		return nil
	}
	ent.Value.(*ormap.Map).Contribute(op.Elems[0], b.Origin, b.Seq, op.Int, op.Float)
	return ent
}

// applyHashDelete removes what the origin had seen of fields Elems (counters up to
// ElemOffsets). A key this member does not know is left alone: there is nothing to remove.
func applyHashDelete(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent := db.Get(op.Key)
	if ent == nil || !ent.Accepts(crdt.TypeHash, op.Created) {
		return nil
	}
	m, ok := ent.Value.(*ormap.Map)
	if !ok {
		m = ormap.New()
		ent.Value = m
	}
	obs := b.Observed()
	for i, f := range op.Elems {
		had := m.Has(f)
		m.Remove(f, obs, elemOffsets(op, i))
		if had && m.Has(f) {
			// A write of the field the remover had not seen survives (add-wins).
			w, _ := m.FieldWrite(f)
			e.record(op.DB, op.Key, crdt.TypeHash, f, crdt.Resolution{
				Rule: crdt.RuleAddWins, Winner: w, Loser: batchWrite(b)})
		}
	}
	return ent
}
