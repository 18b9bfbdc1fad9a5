package replication

import (
	"time"

	"github.com/concord-db/concord/internal/clock"
)

// Garbage collection of tombstones: every member's vector clock (its OVC) reaches its peers as
// the Ack frames of their links; the global minimum of the OVCs of every member not forgotten
// (this one's own vector clock included) tells which removals every member has seen, and the
// engine collects the tombstones it covers.

// setOVC records the latest vector clock member id acknowledged.
func (r *Replicator) setOVC(id clock.MemberID, vc clock.Vector) {
	defer r.peerReported(id, vc) // after the unlock: the startup gate (startup.go)
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
	out := []clock.Vector{r.e.Vector()}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range r.order {
		if !r.forgotten[id] {
			out = append(out, r.peers[id].ovc.Clone())
		}
	}
	return out
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
