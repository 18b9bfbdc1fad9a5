package replication

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/peerwire"
)

// The startup gate (docs/design/replication.md, "Restarts").
//
// A member numbers its own batches 1, 2, 3, ... and peers drop a batch whose (origin, seq) they
// already applied. A member that restarts without all of its own batches on disk (no files, a
// snapshot older than its last writes, an appendfsync policy that lost the last second) resumes
// from a lower sequence number than its peers know; its next writes would reuse numbers the
// peers already applied for other batches, and they would drop them: silent data loss. So a
// member with peers starts "syncing": it serves reads but refuses writes (command layer,
// -LOADING) until every peer has either told it its vector clock or been found down, and its
// own sequence number has caught up with the highest one any peer reported. Its missing own
// batches come back through the ordinary resync (the sender's Backlog.Since does not filter
// by origin; a full resync's MergeState restores the sequence too), and Engine.Apply restores
// the sequence number. A peer that neither answers nor fails within StartupSyncTimeout is
// given up on.
//
// Peers report how far this member's own batches go in three ways: the Sync of a peer pulling
// from this member (its whole vector clock), each of its Acks (OVC), and the sync point that a
// sender puts after a resync on the link this member pulls over: a Ping frame whose payload is
// the sender's vector clock at the resync (an empty Ping is a keepalive, and receivers that
// predate the sync point ignore a Ping's payload).
//
// After the gate has opened, any report of an own sequence number higher than this member's
// means that a peer unreachable at startup held own batches this member had lost: the error
// is logged and writes are refused again until the batches have arrived. Writes made in
// between may have reused sequence numbers; nothing can undo that, hence the loud log.

// DefaultStartupSyncTimeout is how long a restarting member waits, at most, for peers that
// neither answer nor fail (crdt-startup-sync-timeout).
const DefaultStartupSyncTimeout = 5 * time.Second

// stallNudge is how long the gate waits for its own sequence number to progress towards what a
// peer reported before it closes the links pulling from the peers that reported more: streaming
// never sends a receiver its own batches (only a resync does), so an own batch that reached a
// peer after the resync (relayed by a third member) arrives only through a new resync.
const stallNudge = 2 * time.Second

// startupState is the gate's state; the Replicator holds one.
type startupState struct {
	open   atomic.Bool   // writes allowed; false while syncing
	ownSeq atomic.Uint64 // the highest own sequence number committed or applied here

	// Guarded by Replicator.mu.
	began    time.Time                 // when the current syncing period began
	resolved map[clock.MemberID]bool   // peers that reported their clock or were found down
	reported map[clock.MemberID]uint64 // the highest own sequence number each peer reported
	fails    map[clock.MemberID]int    // failed pull attempts before any answer
	want     uint64                    // the highest of reported
	timedOut bool
	started  bool // the startup wait is over (all resolved or timed out) at least once
	stallSeq uint64
	stallAt  time.Time
}

// initStartup puts the member in the syncing state; New calls it before anything is served.
func (r *Replicator) initStartup() {
	r.e.Lock()
	r.st.ownSeq.Store(r.e.Seq())
	r.e.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.began = time.Now()
	r.st.resolved = map[clock.MemberID]bool{}
	r.st.reported = map[clock.MemberID]uint64{}
	r.st.fails = map[clock.MemberID]int{}
	if r.cfg.StartupSyncTimeout < 0 {
		r.st.timedOut = true // no startup wait: only the catch-up rule applies
	}
	r.evalGate()
}

// Syncing reports whether writes must be refused: the member is still syncing its own
// batches back from its peers. Safe from any goroutine.
func (r *Replicator) Syncing() bool { return !r.st.open.Load() }

// noteOwn records that own batch seq was committed or applied (or restored by a state merge).
// The caller holds the engine lock; taking r.mu after it is allowed.
func (r *Replicator) noteOwn(seq uint64) {
	for {
		cur := r.st.ownSeq.Load()
		if seq <= cur || r.st.ownSeq.CompareAndSwap(cur, seq) {
			break
		}
	}
	if r.st.open.Load() {
		return
	}
	r.mu.Lock()
	r.evalGate()
	r.mu.Unlock()
}

// peerReported records peer id's vector clock (from its Sync, an Ack, or a sync point).
func (r *Replicator) peerReported(id clock.MemberID, vc clock.Vector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.peers[id] == nil || r.forgotten[id] || r.st.resolved == nil {
		return
	}
	r.st.resolved[id] = true
	s := vc.Get(r.cfg.Member)
	if s > r.st.reported[id] {
		r.st.reported[id] = s
	}
	if s > r.st.want {
		r.st.want = s
		if own := r.st.ownSeq.Load(); s > own && r.st.open.Load() {
			// It can only know batches this member made and then lost.
			r.log.Error("a peer knows later own batches than this member has: this member lost "+
				"writes it had replicated (restarted without them while that peer was unreachable); "+
				"writes are refused until they are received, and writes accepted since the restart "+
				"may have reused their sequence numbers and be lost on the peers",
				"member", id, "peer_has_own_seq", s, "own_seq", own)
		}
	}
	r.evalGate()
}

// pullFailed is called when an attempt to pull from p ends with err. A peer whose attempts
// failed twice in a row before the sync (nothing listening, the connection closed, the
// handshake timed out) counts as down for the startup wait: it cannot give this member
// anything now (twice, so that one transient failure does not end the wait; the retry comes
// 50-100 ms later); so does a peer that refuses this member for good (wrong secret, unknown
// or forgotten member). A peer that refuses it as "already linked" (its session with this
// member's previous process has not ended yet) is alive and may know more: the wait
// continues, up to the timeout.
func (r *Replicator) pullFailed(p *peer, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.resolved == nil || r.st.started || p.state == StateConnected ||
		(errors.Is(err, errRefused) && strings.Contains(err.Error(), "already linked")) {
		return
	}
	if r.st.fails[p.id]++; r.st.fails[p.id] >= 2 && !r.st.resolved[p.id] {
		r.st.resolved[p.id] = true
		r.log.Info("startup sync: peer unreachable, not waiting for it", "member", p.id, "err", err)
	}
	r.evalGate()
}

// syncPoint handles a Ping with a payload: the sender's vector clock at the resync it just
// finished sending on this link.
func (in *inbound) syncPoint(payload []byte) error {
	vc, err := peerwire.ParseWholeVector(payload)
	if err != nil {
		return fmt.Errorf("sync point: %w", err)
	}
	in.r.peerReported(in.p.id, vc)
	return nil
}

// evalGate opens or closes the gate. The caller holds r.mu.
func (r *Replicator) evalGate() {
	st := &r.st
	if st.resolved == nil {
		return
	}
	own := st.ownSeq.Load()
	if !st.started {
		var waiting []int
		for _, id := range r.order {
			if !st.resolved[id] && !r.forgotten[id] {
				waiting = append(waiting, int(id))
			}
		}
		if len(waiting) > 0 && !st.timedOut {
			return
		}
		st.started = true
		if len(waiting) > 0 {
			r.log.Warn("startup sync: peers did not answer within crdt-startup-sync-timeout; "+
				"proceeding without them: if one of them holds own writes this member lost, their "+
				"sequence numbers may be reused (that is logged as an error when it reports them)",
				"waiting_for", waiting, "timeout", r.cfg.StartupSyncTimeout)
		}
	}
	caughtUp := own >= st.want
	switch {
	case caughtUp && !st.open.Load():
		st.open.Store(true)
		r.log.Info("in sync with peers: accepting writes", "own_seq", own,
			"synced_in_ms", time.Since(st.began).Milliseconds())
	case !caughtUp && st.open.Load():
		st.open.Store(false)
		st.began = time.Now()
		st.stallSeq, st.stallAt = own, st.began
	}
}

// startupLoop ends the startup wait at the timeout and nudges a catch-up that stalls.
func (r *Replicator) startupLoop() {
	defer r.wg.Done()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	timeout := r.cfg.StartupSyncTimeout
	if timeout == 0 {
		timeout = DefaultStartupSyncTimeout
	}
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		st := &r.st
		if !st.started && time.Since(st.began) >= timeout {
			st.timedOut = true
		}
		r.evalGate()
		if st.open.Load() {
			r.mu.Unlock()
			continue
		}
		own := st.ownSeq.Load()
		if own != st.stallSeq {
			st.stallSeq, st.stallAt = own, time.Now()
		} else if st.started && own < st.want && time.Since(st.stallAt) >= stallNudge {
			// Own batches a peer has are not coming (they reached it after this member's
			// resync from it): resync from the peers that reported them.
			var ids []int
			for id, s := range st.reported {
				if p := r.peers[id]; s > own && p != nil && p.pullConn != nil {
					p.pullConn.Close()
					ids = append(ids, int(id))
				}
			}
			slices.Sort(ids)
			r.log.Warn("startup sync: own batches known to peers are not arriving; resyncing from them",
				"members", ids, "own_seq", own, "want", st.want)
			st.stallAt = time.Now()
		}
		r.mu.Unlock()
	}
}
