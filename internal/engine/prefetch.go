package engine

import (
	"github.com/concord-db/concord/internal/effect"
)

// PrefetchBatches is how many batches a caller should hand Prefetch at a time: enough for the
// lookups to overlap, few enough that the lines they bring in are still in the caches when the
// batches are applied (a frame of thousands of batches, looked up at once, evicts its first
// keys' lines before they are applied).
const PrefetchBatches = 64

// Prefetch looks up the keys of the operations of batches about to be applied, one after the
// other, before any of them is applied. Applying a batch waits on memory for every key it
// touches (the hash table's group, then the entry's lines): with 200,000 keys this was half of
// a peer's CPU per replicated SET. Looked up in a tight loop of their own, the lookups of
// several keys overlap in the processor, and the applies that follow find the entries in the
// caches. It changes nothing (not even the database's last looked-up entry), so calling it or
// not gives the same state. The caller holds the lock; see PrefetchBatches for how many
// batches to pass.
func (e *Engine) Prefetch(bs []*effect.Effect) {
	var sum uintptr
	for _, b := range bs {
		for i := range b.Ops {
			op := &b.Ops[i]
			if op.DB < 0 || op.DB >= e.store.Len() || op.Key == "" {
				continue
			}
			if ent := e.store.DB(op.DB).Find(op.Key); ent != nil {
				// Read what every write reads first, so that its line is brought in too.
				sum += uintptr(ent.Created.HLC)
			}
		}
	}
	e.prefetched += sum
}
