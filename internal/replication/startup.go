package replication

import (
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/clock"
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
// Own batches a peer reported can also vanish: that peer restarts without them before this
// member got them back. Reports only grow within one process, so once every peer that
// reported them reports less, for StartupSyncTimeout without progress (and stallNudge in a
// row), the gate stops waiting for them (found by the simulator, docs/testing.md bug 4):
// otherwise it would refuse writes until this member restarts.
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

// startupState is the gate's state; the Replicator holds one. The bookkeeping is gate.go's
// Gate (guarded by Replicator.mu); open and ownSeq mirror it for readers that do not take
// Replicator.mu (every write asks Syncing, every own batch calls noteOwn).
type startupState struct {
	open   atomic.Bool   // writes allowed; false while syncing
	ownSeq atomic.Uint64 // the highest own sequence number committed or applied here
	*Gate                // nil until initStartup
}

// initStartup puts the member in the syncing state; New calls it before anything is served.
func (r *Replicator) initStartup() {
	r.e.Lock()
	r.st.ownSeq.Store(r.e.Seq())
	r.e.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	g, notes := NewGate(r.cfg.Member, r.order, r.st.ownSeq.Load(), time.Now(), r.cfg.StartupSyncTimeout < 0)
	g.Forgotten = func(id clock.MemberID) bool { return r.forgotten[id] } // called under r.mu
	r.st.Gate = g
	r.gateNotes(notes)
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
	defer r.mu.Unlock()
	if r.st.Gate != nil {
		r.gateNotes(r.syncOwn())
	}
}

// peerReported records peer id's vector clock (from its Sync, an Ack, or a sync point).
func (r *Replicator) peerReported(id clock.MemberID, vc clock.Vector) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.Gate == nil {
		return
	}
	notes := r.syncOwn()
	r.gateNotes(append(notes, r.st.Reported(id, vc, time.Now())...))
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
	if r.st.Gate == nil {
		return
	}
	linked := errors.Is(err, errRefused) && strings.Contains(err.Error(), "already linked")
	notes := append(r.syncOwn(), r.st.Failed(p.id, p.state == StateConnected, linked, time.Now())...)
	for _, n := range notes {
		if n.Kind == NotePeerDown {
			r.log.Info("startup sync: peer unreachable, not waiting for it", "member", p.id, "err", err)
		}
	}
	r.gateNotes(notes)
}

// evalGate opens or closes the gate. The caller holds r.mu.
func (r *Replicator) evalGate() {
	if r.st.Gate != nil {
		notes := r.syncOwn()
		r.gateNotes(append(notes, r.st.Eval(time.Now())...))
	}
}

// syncOwn gives the gate the own sequence number noteOwn recorded without it while the gate
// was open. The caller holds r.mu.
func (r *Replicator) syncOwn() []GateNote { return r.st.Own(r.st.ownSeq.Load(), time.Now()) }

// gateNotes mirrors the gate's state for lock-free readers and logs what it reports. The
// caller holds r.mu.
func (r *Replicator) gateNotes(notes []GateNote) {
	r.st.open.Store(r.st.Open())
	for _, n := range notes {
		switch n.Kind {
		case NoteOpened:
			r.log.Info("in sync with peers: accepting writes", "own_seq", n.Own,
				"synced_in_ms", n.Synced.Milliseconds())
		case NoteProceeding:
			r.log.Warn("startup sync: peers did not answer within crdt-startup-sync-timeout; "+
				"proceeding without them: if one of them holds own writes this member lost, their "+
				"sequence numbers may be reused (that is logged as an error when it reports them)",
				"waiting_for", n.Members, "timeout", r.cfg.StartupSyncTimeout)
		case NoteLostOwn:
			r.log.Error("a peer knows later own batches than this member has: this member lost "+
				"writes it had replicated (restarted without them while that peer was unreachable); "+
				"writes are refused until they are received, and writes accepted since the restart "+
				"may have reused their sequence numbers and be lost on the peers",
				"member", n.Member, "peer_has_own_seq", n.Seq, "own_seq", n.Own)
		case NoteGone:
			r.log.Warn("startup sync: own batches peers had reported are gone (every peer that had them "+
				"restarted without them); no longer waiting for them",
				"own_seq", n.Own, "reported", n.Want, "now_reported", n.Seq)
		case NoteNudge:
			// Own batches a peer has are not coming: resync from the peers that reported them.
			var ids []int
			for _, id := range n.Members {
				if p := r.peers[id]; p != nil && p.pullConn != nil {
					p.pullConn.Close()
					ids = append(ids, int(id))
				}
			}
			r.log.Warn("startup sync: own batches known to peers are not arriving; resyncing from them",
				"members", ids, "own_seq", n.Own, "want", n.Want)
		}
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
		if r.st.Gate != nil {
			notes := r.syncOwn()
			r.gateNotes(append(notes, r.st.Tick(time.Now(), timeout)...))
		}
		r.mu.Unlock()
	}
}
