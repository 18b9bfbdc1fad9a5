package persist

import (
	"sync"

	"github.com/concord-db/concord/internal/clock"
)

// The durable vector clock: a lower bound of the vector clock of the state this member would
// load from its disk if it lost power now. Replication advertises (for tombstone collection)
// no more than it: peers collect a tombstone only once every member has seen its removal, and
// a member that saw it only in memory, lost power and restarted from an older disk would bring
// the removed data back through a full resync's merge (docs/testing.md, bug 7).
//
// Sources, each a lower bound of what a restart loads:
//   - what Open loaded (it was on disk);
//   - a snapshot once written (writeSnapshot fsyncs it and its directory): its export's vector;
//   - the append-only file: every successful write of a batch records a mark (the position
//     after it, the engine's vector then, which the snapshot and the records before the
//     position restore); once an fsync covers a mark's position, its vector is durable.
//
// A full resync's merge is not in the append-only file: until the snapshot written after it
// succeeds, marks are not recorded (their vectors include the merged state), so the durable
// vector stays behind.

// maxMarks bounds the marks waiting for an fsync (appendfsync no may never fsync): past it,
// every other mark is dropped, which only delays what becomes durable.
const maxMarks = 1024

type mark struct {
	pos int64
	vc  clock.Vector
}

// durability tracks the durable vector. Its mutex is taken last (after the engine lock or an
// aofWriter's syncMu) and nothing else is taken under it.
type durability struct {
	mu sync.Mutex
	// constrained is set once a restart could load something: data was loaded, a snapshot
	// written or the append-only file turned on. Before, a restart is empty and the member
	// resyncs fully: its applied vector clock is all it needs to advertise.
	constrained bool
	vc          clock.Vector // durable so far
	marks       []mark       // positions of the current writer not yet fsynced, ascending
	// broken is set while a full resync's merge is not on disk (the snapshot after it failed);
	// epoch counts the breaks, so that a snapshot exported before the last one does not clear it.
	broken bool
	epoch  uint64
}

// advance makes vc durable.
func (d *durability) advance(vc clock.Vector) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.constrained = true
	d.vc = d.vc.Merge(vc)
}

// snapshotDone records a snapshot on disk whose export was taken at epoch with vector vc.
func (d *durability) snapshotDone(vc clock.Vector, epoch uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.constrained = true
	d.vc = d.vc.Merge(vc)
	if d.broken && d.epoch == epoch {
		d.broken = false
	}
}

// currentEpoch is the epoch an export taken now belongs to.
func (d *durability) currentEpoch() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.epoch
}

// breakMerge records that the state holds a merge the disk lacks.
func (d *durability) breakMerge() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.broken = true
	d.epoch++
}

// written records a mark: the append-only file holds, up to pos, a state of vector vc (engine
// lock; vc is not retained by the caller).
func (d *durability) written(pos int64, vc clock.Vector) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.constrained = true
	if d.broken {
		return
	}
	if n := len(d.marks); n >= maxMarks {
		// Keep every other mark, the latest included.
		j := 0
		for i := n - 1; i >= 0; i -= 2 {
			d.marks[j] = d.marks[i]
			j++
		}
		kept := d.marks[:j]
		for a, b := 0, j-1; a < b; a, b = a+1, b-1 {
			kept[a], kept[b] = kept[b], kept[a]
		}
		clear(d.marks[j:])
		d.marks = kept
	}
	d.marks = append(d.marks, mark{pos: pos, vc: vc})
}

// synced records that the current writer's file is durable up to pos.
func (d *durability) synced(pos int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := 0
	for ; i < len(d.marks) && d.marks[i].pos <= pos; i++ {
		d.vc = d.vc.Merge(d.marks[i].vc)
	}
	n := copy(d.marks, d.marks[i:])
	clear(d.marks[n:])
	d.marks = d.marks[:n]
}

// waiting reports whether some marks wait for an fsync.
func (d *durability) waiting() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.marks) > 0
}

// dropMarks forgets the marks (the writer they belong to is gone).
func (d *durability) dropMarks() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.marks = nil
}

// vector returns the durable vector, nil when nothing constrains it.
func (d *durability) vector() clock.Vector {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.constrained {
		return nil
	}
	return append(make(clock.Vector, 0, len(d.vc)), d.vc...) // not nil: constrained
}

// DurableVector is a lower bound of the vector clock of the state a restart would load from
// this member's disk now, nil when a restart would start empty (nothing was ever persisted).
// Replication advertises, for tombstone collection, no more than it. Safe from any goroutine.
func (p *Persister) DurableVector() clock.Vector {
	return p.dur.vector()
}

// zeroVector reports whether v records no sequence number.
func zeroVector(v clock.Vector) bool {
	for _, s := range v {
		if s != 0 {
			return false
		}
	}
	return true
}
