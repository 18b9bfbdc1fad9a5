package engine

import (
	"math"
	"strconv"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/zset"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Sorted sets (semantics.md §4): an observed-remove set of members whose scores are counters
// with an LWW base (package zset).
func init() {
	kindAppliers[effect.ZsetSet] = applyZsetSet
	kindAppliers[effect.ZsetAdd] = applyZsetAdd
	kindAppliers[effect.ZsetRemove] = applyZsetRemove
	valueRemovers[crdt.TypeZSet] = func(v crdt.Value, obs crdt.Observed, op *effect.Op) {
		var names [][]byte
		var offsets [][]zset.Counter
		if op != nil {
			names = op.Elems
			offsets = make([][]zset.Counter, len(op.ElemOffsets))
			for i, o := range op.ElemOffsets {
				offsets[i] = zset.FromTotals(o)
			}
		}
		v.(*zset.ZSet).RemoveAll(obs, names, offsets)
	}
	// A DEL of a sorted set carries, for each member holding counters, the counters it stops.
	deleteContexts[crdt.TypeZSet] = func(v crdt.Value, op *effect.Op) {
		names, totals := v.(*zset.ZSet).CounterTotals()
		if len(names) == 0 {
			return
		}
		op.Elems = names
		for _, t := range totals {
			op.ElemOffsets = append(op.ElemOffsets, zset.ToTotals(t))
		}
	}
	stateCodecs[crdt.TypeZSet] = stateCodec{
		Append: func(v crdt.Value, dst []byte) []byte { return v.(*zset.ZSet).AppendState(dst) },
		Decode: func(data []byte) (crdt.Value, error) { return zset.DecodeState(data) },
		Merge: func(dst, src crdt.Value, mine, theirs clock.Vector) {
			dst.(*zset.ZSet).Merge(src.(*zset.ZSet), mine, theirs)
		},
	}
}

func newZset() crdt.Value { return zset.New() }

// applyZsetSet writes Scores[i] as the base of member Elems[i], stopping the counters in
// ElemOffsets[i].
func applyZsetSet(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent := collectionEntry(db, op.Key, crdt.TypeZSet, op.Created, newZset)
	if ent == nil {
		return nil
	}
	z := ent.Value.(*zset.ZSet)
	obs := b.Observed()
	for i, m := range op.Elems {
		if i >= len(op.Scores) {
			break
		}
		if math.IsNaN(op.Scores[i]) {
			continue // never made by a member: a score must order (corrupt input is ignored)
		}
		if _, r, loser := z.Set(m, op.Scores[i], obs, b.HLC, zset.FromTotals(elemOffsets(op, i))); r.Rule != crdt.RuleNone {
			r.LoserValue = strconv.AppendFloat(nil, loser, 'g', 17, 64)
			e.record(op.DB, op.Key, crdt.TypeZSet, m, r)
		}
	}
	return ent
}

// applyZsetAdd sets the origin's cumulative contribution to member Elems[0] to Scores[0].
func applyZsetAdd(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	if len(op.Elems) == 0 || len(op.Scores) == 0 || math.IsNaN(op.Scores[0]) {
		return nil
	}
	ent := collectionEntry(db, op.Key, crdt.TypeZSet, op.Created, newZset)
	if ent == nil {
		return nil
	}
	ent.Value.(*zset.ZSet).Contribute(op.Elems[0], b.Origin, b.Seq, op.Scores[0])
	return ent
}

// applyZsetRemove removes what the origin had seen of members Elems (counters up to
// ElemOffsets). A key this member does not know is left alone: there is nothing to remove.
func applyZsetRemove(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent := db.Get(op.Key)
	if ent == nil || !ent.Accepts(crdt.TypeZSet, op.Created) {
		return nil
	}
	z, ok := ent.Value.(*zset.ZSet)
	if !ok {
		z = zset.New()
		ent.Value = z
	}
	obs := b.Observed()
	for i, m := range op.Elems {
		had := z.Has(m)
		z.Remove(m, obs, zset.FromTotals(elemOffsets(op, i)))
		if had && z.Has(m) {
			// A base or a contribution the remover had not seen survives (add-wins).
			w, _ := z.BaseWrite(m)
			e.record(op.DB, op.Key, crdt.TypeZSet, m, crdt.Resolution{Rule: crdt.RuleAddWins, Winner: w, Loser: batchWrite(b)})
		}
	}
	return ent
}
