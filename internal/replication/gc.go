package replication

import (
	"time"

	"github.com/concord-db/concord/internal/clock"
)

// Garbage collection of tombstones: every member's vector clock (its OVC) reaches its peers as
// the Ack frames of their links; the global minimum of the OVCs of every member not forgotten
// (this one's own vector clock included) tells which removals every member has seen, and the
// engine collects the tombstones it covers.
//
// A member that persists advertises (in its Acks, and as its own OVC) the minimum of what it
// applied and what its disk holds (Config.Durable): a removal it applied only in memory must
// not let the others collect the tombstone, since after a power loss it restarts from the
// older disk, still holding the removed data, and a full resync would merge it back into
// members that no longer have the tombstone (docs/testing.md, bug 7). GC waits for the fsync.

// setOVC records the latest OVC member id acknowledged (its vector clock bounded by its disk).
func (r *Replicator) setOVC(id clock.MemberID, vc clock.Vector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.peers[id]; p != nil {
		p.ovc = vc
	}
}

// ovcs returns the OVCs of every member GC must wait for: own first, then every peer not
// forgotten (nil for a peer never heard from, which holds collection back). The caller holds
// the engine lock.
func (r *Replicator) ovcs() []clock.Vector {
	out := []clock.Vector{r.ovc()}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range r.order {
		if !r.forgotten[id] {
			out = append(out, r.peers[id].ovc.Clone())
		}
	}
	return out
}

// ovc is this member's OVC: its vector clock, bounded by its disk's when it persists. The
// caller holds the engine lock.
func (r *Replicator) ovc() clock.Vector {
	return DurableOVC(r.e.Vector(), r.cfg.Durable)
}

// DurableOVC is the OVC of a member whose vector clock is applied: applied itself when durable
// is nil or returns nil (nothing on disk: a restart is empty and resyncs fully), else the
// element-wise minimum of applied and what durable returns.
func DurableOVC(applied clock.Vector, durable func() clock.Vector) clock.Vector {
	if durable == nil {
		return applied
	}
	d := durable()
	if d == nil {
		return applied
	}
	return clock.Min(applied, d)
}

func (r *Replicator) gcLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		r.collect()
	}
}

// collect runs one GC cycle (gcplan.go).
func (r *Replicator) collect() {
	r.e.Lock()
	var res GCResult
	if r.se != nil {
		res = CollectRound(r.se, r.ovcs())
		r.gcAttempted.Add(uint64(res.Attempted))
		r.gcCollected.Add(uint64(res.Collected))
		r.gcPending.Store(int64(res.Pending))
	} else {
		res.GVC = globalMin(r.ovcs())
	}
	r.lag.trim(r.minAcked())
	r.e.Unlock()
	r.mu.Lock()
	r.gvcMin = res.GVC
	r.mu.Unlock()
}
