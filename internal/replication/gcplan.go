package replication

import "github.com/concord-db/concord/internal/clock"

// One cycle of tombstone collection, without I/O, goroutines or clock reads: gc.go runs it on a
// timer with the OVCs its links received, internal/sim on its simulated schedule.

// Collector is what tombstone collection uses of the engine (engine/state.go).
type Collector interface {
	CollectGarbage(ovcs []clock.Vector) (attempted, collected int)
	PendingTombstones() int
}

// GCResult is what one collection cycle did.
type GCResult struct {
	GVC                  clock.Vector // the global minimum of the OVCs (INFO crdt)
	Attempted, Collected int          // tombstones examined and dropped
	Pending              int          // tombstones left
}

// CollectRound runs one collection cycle. ovcs are the vector clocks of every member
// collection must wait for: the member's own first, then the latest OVC of every peer not
// forgotten, nil for a peer never heard from (which holds back every generation that depends
// on anything). The caller holds the engine lock.
func CollectRound(c Collector, ovcs []clock.Vector) GCResult {
	res := GCResult{GVC: globalMin(ovcs)}
	res.Attempted, res.Collected = c.CollectGarbage(ovcs)
	res.Pending = c.PendingTombstones()
	return res
}

// globalMin is the element-wise minimum of vcs.
func globalMin(vcs []clock.Vector) clock.Vector {
	if len(vcs) == 0 {
		return nil
	}
	m := vcs[0].Clone()
	for _, v := range vcs[1:] {
		m = clock.Min(m, v)
	}
	return m
}
