package engine

import (
	"encoding/binary"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/hll"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// HyperLogLogs (semantics.md §6): HLLAdd merges the registers encoded in Value (package
// crdt/hll) into a HyperLogLog created at Created, unless a deletion of the key was concurrent
// with it; DEL and FLUSH clear the value and the key remembers them (deletion wins,
// crdt/deletions.go), whatever it holds meanwhile.
func init() {
	kindAppliers[effect.HLLAdd] = applyHLLAdd
	deletionsWin[crdt.TypeHLL] = true
	valueRemovers[crdt.TypeHLL] = func(v crdt.Value, obs crdt.Observed, _ *effect.Op) {
		v.(*hll.Value).Delete(obs)
	}
	stateCodecs[crdt.TypeHLL] = stateCodec{
		Append: func(v crdt.Value, dst []byte) []byte { return v.(*hll.Value).AppendState(dst) },
		Decode: func(data []byte) (crdt.Value, error) { return hll.DecodeState(data) },
		Merge: func(dst, src crdt.Value, mine, theirs clock.Vector) {
			dst.(*hll.Value).Merge(src.(*hll.Value), mine, theirs)
		},
	}
}

func newHLL() crdt.Value { return hll.New() }

func applyHLLAdd(e *Engine, b *effect.Effect, op *effect.Op, db *store.DB) *store.Entry {
	u, err := hll.DecodeUpdate(op.Value)
	if err != nil {
		return nil // a corrupt operation changes nothing rather than crashing
	}
	ent := collectionEntry(db, op.Key, crdt.TypeHLL, op.Created, newHLL)
	if ent == nil {
		return nil
	}
	// An add that had not observed a deletion of the key lost to it. It still took part in
	// the type contest above: that it is discarded is decided by the deletions, which every
	// member ends up knowing, not by the order of arrival.
	if obs := b.Observed(); ent.ObservesDeletions(obs) {
		ent.Value.(*hll.Value).Add(u, obs, op.Created)
	}
	return ent
}

// flushWinner is the element of a FLUSH operation's Elems naming a key it deletes for good
// (applyFlush): the database number (uvarint) followed by the key's name.
func flushWinner(db int, name string) []byte {
	return append(binary.AppendUvarint(nil, uint64(db)), name...)
}

// parseFlushWinners reads the elements flushWinner made (malformed elements are ignored, as a
// corrupt operation changes nothing rather than crashing).
func parseFlushWinners(elems [][]byte) map[keyRef]bool {
	if len(elems) == 0 {
		return nil
	}
	out := make(map[keyRef]bool, len(elems))
	for _, el := range elems {
		db, n := binary.Uvarint(el)
		if n <= 0 || db >= 1<<31 {
			continue
		}
		out[keyRef{int(db), string(el[n:])}] = true
	}
	return out
}
