package engine

import (
	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/list"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Lists (semantics.md §5): a sequence CRDT with dense position identifiers (package list).
// ListInsert inserts Values[i] at position path Elems[i] (the element's key is the path and the
// batch's stamp); ListRemove removes the elements whose keys are Elems; ListSet writes
// Values[i] to the element with key Elems[i] (last writer wins; nothing when it was removed).
// DEL and FLUSH remove every element whose insert the remover had seen.
func init() {
	kindAppliers[effect.ListInsert] = applyListInsert
	kindAppliers[effect.ListRemove] = applyListRemove
	kindAppliers[effect.ListSet] = applyListSet
	valueRemovers[crdt.TypeList] = func(v crdt.Value, obs crdt.Observed, _ *effect.Op) {
		v.(*list.List).RemoveAll(obs)
	}
	stateCodecs[crdt.TypeList] = stateCodec{
		Append: func(v crdt.Value, dst []byte) []byte { return v.(*list.List).AppendState(dst) },
		Decode: func(data []byte) (crdt.Value, error) { return list.DecodeState(data) },
		Merge: func(dst, src crdt.Value, mine, theirs clock.Vector) {
			dst.(*list.List).Merge(src.(*list.List), mine, theirs)
		},
	}
}

func newList() crdt.Value { return list.New() }

func applyListInsert(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent := collectionEntry(db, op.Key, crdt.TypeList, op.Created, newList)
	if ent == nil {
		return nil
	}
	l := ent.Value.(*list.List)
	dot, stamp := b.Dot(), b.Stamp()
	for i, p := range op.Elems {
		var v []byte
		if i < len(op.Values) {
			v = op.Values[i]
		}
		l.Insert(p, v, dot, stamp)
	}
	return ent
}

// listEntry is the list an operation on existing elements targets; nil when this member has
// no such key (nothing to remove or set) or the operation targets a value that lost a type
// contest.
func listEntry(op *effect.Op, db *store.DB) (*store.Entry, *list.List) {
	ent := db.Get(op.Key)
	if ent == nil || !ent.Accepts(crdt.TypeList, op.Created) {
		return nil, nil
	}
	l, ok := ent.Value.(*list.List)
	if !ok {
		l = list.New()
		ent.Value = l
	}
	return ent, l
}

func applyListRemove(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent, l := listEntry(op, db)
	if ent == nil {
		return nil
	}
	l.RemoveKeys(op.Elems)
	return ent
}

func applyListSet(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	ent, l := listEntry(op, db)
	if ent == nil {
		return nil
	}
	stamp := b.Stamp()
	for i, k := range op.Elems {
		var v []byte
		if i < len(op.Values) {
			v = op.Values[i]
		}
		if b != e.batch { // a local LSET sees every earlier one
			if prev, ok := l.Stamp(k); ok && prev.After(stamp) {
				// A later LSET the writer had not seen (a causally later write has a larger
				// timestamp) keeps the element: this one is discarded. The other order, where
				// this write wins, is not told apart from a sequential overwrite (elements keep
				// stamps, not dots), so only the discarding member records it.
				e.record(op.DB, op.Key, crdt.TypeList, nil, crdt.Resolution{Rule: crdt.RuleLWW,
					Winner: creationWrite(prev), Loser: batchWrite(b), LoserValue: v})
			}
		}
		l.Set(k, v, stamp)
	}
	return ent
}
