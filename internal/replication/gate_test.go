package replication

import (
	"testing"
	"time"

	"github.com/concord-db/concord/internal/clock"
)

func kinds(notes []GateNote) []GateNoteKind {
	var out []GateNoteKind
	for _, n := range notes {
		out = append(out, n.Kind)
	}
	return out
}

func has(notes []GateNote, k GateNoteKind) bool {
	for _, n := range notes {
		if n.Kind == k {
			return true
		}
	}
	return false
}

var t0 = time.Unix(1_000_000, 0)

func TestGateOpensOnceEveryPeerAnsweredAndOwnBatchesAreBack(t *testing.T) {
	g, notes := NewGate(1, []clock.MemberID{3, 2}, 0, t0, false)
	if g.Open() || len(notes) != 0 {
		t.Fatalf("open %v, notes %v", g.Open(), kinds(notes))
	}
	g.Reported(2, clock.Vector(nil).Set(1, 4), t0)
	if g.Open() {
		t.Fatal("open with peer 3 silent")
	}
	g.Reported(3, clock.Vector(nil).Set(1, 2), t0)
	if g.Open() {
		t.Fatal("open at own seq 0 while peer 2 has own batches up to 4")
	}
	g.Own(3, t0)
	if g.Open() {
		t.Fatal("open at own seq 3")
	}
	notes = g.Own(4, t0.Add(time.Second))
	if !g.Open() || !has(notes, NoteOpened) || notes[0].Synced != time.Second {
		t.Fatalf("open %v, notes %+v", g.Open(), notes)
	}
	// Reports from unknown members do not count.
	if notes := g.Reported(9, clock.Vector(nil).Set(1, 99), t0); notes != nil || !g.Open() {
		t.Fatal("an unknown member's report counted")
	}
}

func TestGateNoPeersOpensAtOnce(t *testing.T) {
	g, notes := NewGate(1, nil, 0, t0, false)
	if !g.Open() || !has(notes, NoteOpened) {
		t.Fatalf("open %v, notes %v", g.Open(), kinds(notes))
	}
}

func TestGateFailuresAndTimeout(t *testing.T) {
	g, _ := NewGate(1, []clock.MemberID{2, 3}, 0, t0, false)
	g.Reported(2, nil, t0)
	g.Failed(3, false, true, t0) // already linked: alive, keep waiting
	g.Failed(3, false, true, t0)
	g.Failed(3, false, false, t0) // once: could be transient
	if g.Open() {
		t.Fatal("open after one failure")
	}
	if notes := g.Failed(3, false, false, t0); !g.Open() || !has(notes, NotePeerDown) {
		t.Fatalf("open %v, notes %v", g.Open(), kinds(notes))
	}

	g, _ = NewGate(1, []clock.MemberID{2}, 0, t0, false)
	if g.Tick(t0.Add(time.Second), 5*time.Second); g.Open() {
		t.Fatal("open before the timeout")
	}
	if notes := g.Tick(t0.Add(5*time.Second), 5*time.Second); !g.Open() || !has(notes, NoteProceeding) {
		t.Fatalf("open %v, notes %v", g.Open(), kinds(notes))
	}

	g, _ = NewGate(1, []clock.MemberID{2}, 0, t0, true) // no wait
	if !g.Open() {
		t.Fatal("no-wait gate closed")
	}
	forgotten := false
	g, _ = NewGate(1, []clock.MemberID{2}, 0, t0, false)
	g.Forgotten = func(clock.MemberID) bool { return forgotten }
	forgotten = true
	if g.Eval(t0); !g.Open() {
		t.Fatal("waiting for a forgotten peer")
	}
}

func TestGateClosesOnLostOwnBatchesAndNudges(t *testing.T) {
	g, _ := NewGate(1, []clock.MemberID{2, 3}, 0, t0, true)
	g.Own(5, t0)
	notes := g.Reported(2, clock.Vector(nil).Set(1, 8), t0)
	if g.Open() || !has(notes, NoteLostOwn) || notes[0].Seq != 8 || notes[0].Own != 5 {
		t.Fatalf("open %v, notes %+v", g.Open(), notes)
	}
	g.Reported(3, clock.Vector(nil).Set(1, 7), t0)
	if notes := g.Tick(t0.Add(time.Second), time.Second); has(notes, NoteNudge) {
		t.Fatal("nudged before stallNudge")
	}
	notes = g.Tick(t0.Add(stallNudge), time.Second)
	if len(notes) != 1 || notes[0].Kind != NoteNudge || len(notes[0].Members) != 2 || notes[0].Want != 8 {
		t.Fatalf("notes %+v", notes)
	}
	// Progress resets the stall clock.
	g.Own(6, t0.Add(stallNudge+time.Millisecond))
	if notes := g.Tick(t0.Add(stallNudge+time.Second), time.Second); has(notes, NoteNudge) {
		t.Fatal("nudged while progressing")
	}
	if g.Own(8, t0.Add(3*stallNudge)); !g.Open() {
		t.Fatal("closed after catching up")
	}
}

// Own batches a peer reported and then lost (it restarted without them) exist nowhere: once
// every peer that reported them reports less, for the timeout and stallNudge in a row, the
// gate stops waiting for them (docs/testing.md bug 4). A peer that is down (no new report)
// keeps them waited for.
func TestGateStopsWaitingForOwnBatchesThatAreGone(t *testing.T) {
	const timeout = 5 * time.Second
	g, _ := NewGate(1, []clock.MemberID{2, 3}, 0, t0, false)
	g.Reported(2, clock.Vector(nil).Set(1, 8), t0)
	g.Reported(3, nil, t0)
	g.Own(5, t0)
	at := t0
	tick := func(d time.Duration) []GateNote { at = at.Add(d); return g.Tick(at, timeout) }
	for range 20 { // peer 2 silent (down): wait, and nudge
		if notes := tick(time.Second); has(notes, NoteGone) || g.Open() {
			t.Fatalf("gave up on batches a silent peer has: %+v", notes)
		}
	}
	g.Reported(2, clock.Vector(nil).Set(1, 4), at) // peer 2 restarted without them
	// A stale report followed by a newer one does not count.
	tick(time.Second)
	g.Reported(2, clock.Vector(nil).Set(1, 8), at)
	if notes := tick(stallNudge); has(notes, NoteGone) || g.Open() {
		t.Fatalf("gave up after a report that a newer one contradicted: %+v", notes)
	}
	g.Reported(2, clock.Vector(nil).Set(1, 4), at)
	var notes []GateNote
	for range 10 {
		if notes = tick(time.Second); has(notes, NoteGone) {
			break
		}
	}
	if !has(notes, NoteGone) || !g.Open() {
		t.Fatalf("open %v, notes %+v", g.Open(), notes)
	}
	if notes[0].Want != 8 || notes[0].Seq != 4 || notes[0].Own != 5 {
		t.Fatalf("note %+v", notes[0])
	}
}

// A gate that starts with own batches to catch up does not nudge at once: the first resync
// may be on its way.
func TestGateDoesNotNudgeAtStart(t *testing.T) {
	g, _ := NewGate(1, []clock.MemberID{2}, 0, t0, false)
	g.Reported(2, clock.Vector(nil).Set(1, 3), t0)
	if notes := g.Tick(t0.Add(50*time.Millisecond), time.Second); has(notes, NoteNudge) {
		t.Fatalf("nudged 50 ms after start: %+v", notes)
	}
	if notes := g.Tick(t0.Add(stallNudge), time.Second); !has(notes, NoteNudge) {
		t.Fatalf("no nudge after stallNudge: %+v", notes)
	}
}
