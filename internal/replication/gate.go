package replication

import (
	"slices"
	"time"

	"github.com/concord-db/concord/internal/clock"
)

// Gate is the startup gate's bookkeeping (startup.go has the rules), without I/O, locks,
// goroutines or clock reads: the caller passes the time and logs what the returned notes say.
// startup.go drives it under Replicator.mu from the links and a 50 ms ticker; internal/sim
// drives it from its simulated network and clock.
type Gate struct {
	self  clock.MemberID
	peers []clock.MemberID // configured, in order
	// Forgotten, when set, reports the peers removed for good: the gate waits for none of them.
	Forgotten func(clock.MemberID) bool

	open     bool                      // writes allowed; false while syncing
	own      uint64                    // the highest own sequence number committed or applied
	began    time.Time                 // when the current syncing period began
	resolved map[clock.MemberID]bool   // peers that reported their clock or were found down
	reported map[clock.MemberID]uint64 // the highest own sequence number each peer reported
	latest   map[clock.MemberID]uint64 // the own sequence number each peer reported last
	fails    map[clock.MemberID]int    // failed pull attempts before any answer
	want     uint64                    // the highest of reported
	timedOut bool
	started  bool // the startup wait is over (all resolved or timed out) at least once
	stallSeq uint64
	stallAt  time.Time // when own last progressed, or the last nudge
	stuck    time.Time // when own last progressed (while below want)
	gone     time.Time // since when every peer's latest report is below want (zero: not so)
}

// GateNoteKind says what a GateNote reports.
type GateNoteKind uint8

const (
	// NoteOpened: the gate opened (Own, Synced).
	NoteOpened GateNoteKind = iota + 1
	// NoteProceeding: the startup wait timed out with peers that neither answered nor failed
	// (Members).
	NoteProceeding
	// NotePeerDown: a peer counts as down for the startup wait (Member).
	NotePeerDown
	// NoteLostOwn: after the gate opened, a peer reported later own batches than this member
	// has: it lost writes it had replicated (Member, Seq, Own). Writes are refused again.
	NoteLostOwn
	// NoteNudge: own batches peers reported are not arriving; the links pulling from Members
	// must resync (Own, Want).
	NoteNudge
	// NoteGone: own batches up to Want were reported, but every peer that reported them now
	// reports less (it restarted without them) and none arrived for the timeout: nobody has
	// them any more, and the gate waits for Seq (the highest own sequence number peers report
	// now) instead (Own, Want, Seq).
	NoteGone
)

// GateNote is something the gate's driver logs or acts on.
type GateNote struct {
	Kind    GateNoteKind
	Member  clock.MemberID
	Members []clock.MemberID
	Seq     uint64 // NoteLostOwn: the own sequence number the peer reported
	Own     uint64 // own sequence number at the time
	Want    uint64 // NoteNudge: the highest own sequence number peers reported
	Synced  time.Duration
}

// NewGate returns the gate of member self with the configured peers, starting (syncing) at
// now with own batches up to own. noWait skips the startup wait (only the catch-up rule
// applies). A member without peers opens at once.
func NewGate(self clock.MemberID, peers []clock.MemberID, own uint64, now time.Time, noWait bool) (*Gate, []GateNote) {
	g := &Gate{
		self: self, peers: slices.Clone(peers), own: own, began: now, timedOut: noWait,
		// A catch-up has made no progress yet, but it has not stalled either: the first
		// resync may still be on its way (a nudge would abort it).
		stallAt: now, stuck: now,
		resolved: map[clock.MemberID]bool{}, reported: map[clock.MemberID]uint64{}, fails: map[clock.MemberID]int{},
		latest: map[clock.MemberID]uint64{},
	}
	slices.Sort(g.peers)
	return g, g.eval(now, nil)
}

// Open reports whether writes are allowed.
func (g *Gate) Open() bool { return g.open }

func (g *Gate) forgotten(id clock.MemberID) bool { return g.Forgotten != nil && g.Forgotten(id) }

func (g *Gate) configured(id clock.MemberID) bool {
	_, ok := slices.BinarySearch(g.peers, id)
	return ok
}

// Own records that own batch seq was committed or applied (or restored by a state merge).
func (g *Gate) Own(seq uint64, now time.Time) []GateNote {
	if seq <= g.own {
		return nil
	}
	g.own = seq
	if g.open {
		return nil
	}
	return g.eval(now, nil)
}

// Reported records peer id's vector clock (its Sync, an Ack, or a sync point).
func (g *Gate) Reported(id clock.MemberID, vc clock.Vector, now time.Time) []GateNote {
	if !g.configured(id) || g.forgotten(id) {
		return nil
	}
	g.resolved[id] = true
	s := vc.Get(g.self)
	g.latest[id] = s
	if s > g.reported[id] {
		g.reported[id] = s
	}
	var notes []GateNote
	if s > g.want {
		g.want = s
		if s > g.own && g.open {
			// It can only know batches this member made and then lost.
			notes = append(notes, GateNote{Kind: NoteLostOwn, Member: id, Seq: s, Own: g.own})
		}
	}
	return g.eval(now, notes)
}

// Failed records a failed attempt to pull from peer id. A peer whose attempts failed twice in
// a row before the startup wait ended counts as down (once could be transient); so does one
// that refuses this member for good. connected (the link was up before it failed) and
// alreadyLinked (the peer refused because its session with this member's previous process
// has not ended: it is alive and may know more) leave the wait alone.
func (g *Gate) Failed(id clock.MemberID, connected, alreadyLinked bool, now time.Time) []GateNote {
	if g.started || connected || alreadyLinked || !g.configured(id) {
		return nil
	}
	var notes []GateNote
	if g.fails[id]++; g.fails[id] >= 2 && !g.resolved[id] {
		g.resolved[id] = true
		notes = append(notes, GateNote{Kind: NotePeerDown, Member: id})
	}
	return g.eval(now, notes)
}

// Eval opens or closes the gate from what it knows (after a peer was forgotten, or the
// timeout forced).
func (g *Gate) Eval(now time.Time) []GateNote { return g.eval(now, nil) }

func (g *Gate) eval(now time.Time, notes []GateNote) []GateNote {
	if !g.started {
		var waiting []clock.MemberID
		for _, id := range g.peers {
			if !g.resolved[id] && !g.forgotten(id) {
				waiting = append(waiting, id)
			}
		}
		if len(waiting) > 0 && !g.timedOut {
			return notes
		}
		g.started = true
		if len(waiting) > 0 {
			notes = append(notes, GateNote{Kind: NoteProceeding, Members: waiting})
		}
	}
	caughtUp := g.own >= g.want
	switch {
	case caughtUp && !g.open:
		g.open = true
		notes = append(notes, GateNote{Kind: NoteOpened, Own: g.own, Synced: now.Sub(g.began)})
	case !caughtUp && g.open:
		g.open = false
		g.began = now
		g.stallSeq, g.stallAt, g.stuck = g.own, now, now
	}
	return notes
}

// Tick runs the gate's timers at now: the startup wait ends after timeout, and a catch-up
// that has not progressed for stallNudge asks (NoteNudge) to resync from the peers that
// reported more own batches than this member has. A catch-up stuck for timeout while every
// peer that reported those batches now reports less (it restarted and lost them, so they
// exist nowhere) stops waiting for them (NoteGone): reports only grow within one process, so a
// lower one means a new process; it must stay lower for stallNudge, which a stale report from
// an old connection of the same process does not (the next ack is newer).
func (g *Gate) Tick(now time.Time, timeout time.Duration) []GateNote {
	if !g.started && now.Sub(g.began) >= timeout {
		g.timedOut = true
	}
	notes := g.eval(now, nil)
	if g.open {
		return notes
	}
	if g.own != g.stallSeq {
		g.stallSeq, g.stallAt, g.stuck = g.own, now, now
		return notes
	}
	if !g.started || g.own >= g.want {
		return notes
	}
	if now.Sub(g.stuck) >= timeout {
		var highest uint64
		for _, id := range g.peers {
			if !g.forgotten(id) {
				highest = max(highest, g.latest[id])
			}
		}
		switch {
		case highest >= g.want:
			g.gone = time.Time{}
		case g.gone.IsZero():
			g.gone = now
		case now.Sub(g.gone) >= stallNudge:
			// Lower for a while, not one stale report: those batches are gone.
			g.gone = time.Time{}
			notes = append(notes, GateNote{Kind: NoteGone, Own: g.own, Want: g.want, Seq: highest})
			g.want = highest
			for id, s := range g.latest {
				g.reported[id] = s
			}
			g.stuck = now
			return g.eval(now, notes)
		}
	}
	if now.Sub(g.stallAt) >= stallNudge {
		// Own batches a peer has are not coming (they reached it after this member's resync
		// from it): resync from the peers that reported them.
		var ids []clock.MemberID
		for id, s := range g.reported {
			if s > g.own {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		notes = append(notes, GateNote{Kind: NoteNudge, Members: ids, Own: g.own, Want: g.want})
		g.stallAt = now
	}
	return notes
}
