package replication

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"
)

func (m *member) syncing() bool { return m.r.Syncing() }

func (m *member) seq() uint64 {
	m.e.Lock()
	defer m.e.Unlock()
	return m.e.Seq()
}

// replicateOwn makes n own batches on a and has b pull them: a restart of a as a fresh
// member with a's id (newMember) is then a restart that lost every file.
func replicateOwn(t *testing.T, a, b *member, n int) {
	t.Helper()
	errc, cancel := link(t, b, a)
	for i := range n {
		a.set("k"+strconv.Itoa(i), "old"+strconv.Itoa(i))
	}
	waitFor(t, "b has a's batches", func() bool { return b.vector().Get(a.r.cfg.Member) == uint64(n) })
	cancel()
	<-errc // the link is down before the caller writes again
}

func TestStartupGateWaitsForOwnBatchesFromPeer(t *testing.T) {
	a := newMember(t, 1, "s", 2)
	b := newMember(t, 2, "s", 1)
	replicateOwn(t, a, b, 3)

	a2 := newMember(t, 1, "s", 2)
	if !a2.syncing() {
		t.Fatal("a restarted member with peers must start syncing")
	}
	link(t, a2, b) // partial resync: B's backlog holds A's batches, the sync point follows
	waitFor(t, "gate opens", func() bool { return !a2.syncing() })
	if got := a2.seq(); got != 3 {
		t.Fatalf("own seq after sync = %d, want 3 (restored from the peer)", got)
	}
	if got := a2.get("k2"); got != "old2" {
		t.Fatalf("own earlier write not restored: %q", got)
	}
	// The next write takes sequence number 4, which B has not seen: B applies it.
	link(t, b, a2)
	a2.set("new", "1")
	waitFor(t, "new write reaches B", func() bool { return b.get("new") == "1" })
	if f := b.e.Stats.FilteredEffects; f != 0 {
		t.Errorf("B dropped %d batches as duplicates", f)
	}
}

func TestStartupGateFullResyncRestoresOwnSeq(t *testing.T) {
	a := newMember(t, 1, "s", 2)
	b := newMember(t, 2, "s", 1)
	b.e.Lock()
	b.r.backlog = newSmallBacklog() // A's batches are evicted: a full resync
	b.e.Unlock()
	replicateOwn(t, a, b, 40)

	a2 := newMember(t, 1, "s", 2)
	link(t, a2, b)
	waitFor(t, "gate opens", func() bool { return !a2.syncing() })
	if got := a2.seq(); got != 40 {
		t.Fatalf("own seq after full resync = %d, want 40", got)
	}
	if b.r.syncFull.Load() == 0 {
		t.Fatal("expected a full resync")
	}
}

func TestStartupGateWaitsForEveryPeerOrItsFailure(t *testing.T) {
	a := newMember(t, 1, "s", 2, 3)
	b := newMember(t, 2, "s", 1, 3)
	replicateOwn(t, a, b, 2)

	a2 := newMember(t, 1, "s", 2, 3)
	link(t, a2, b)
	waitFor(t, "caught up from B", func() bool { return a2.seq() == 2 })
	time.Sleep(20 * time.Millisecond)
	if !a2.syncing() {
		t.Fatal("gate opened while peer 3 had neither answered nor failed")
	}
	p3 := a2.r.peers[3]
	refused := fmt.Errorf("%w: member 1 is already linked (duplicate member id)", errRefused)
	a2.r.pullFailed(p3, refused)
	a2.r.pullFailed(p3, refused)
	if !a2.syncing() {
		t.Fatal("a peer that refuses as already linked is alive and may know more: the wait must go on")
	}
	a2.r.pullFailed(p3, errors.New("connection refused"))
	if !a2.syncing() {
		t.Fatal("one failed attempt must not end the wait")
	}
	a2.r.pullFailed(p3, errors.New("connection refused"))
	if a2.syncing() {
		t.Fatal("gate still closed with peer 2 answered and peer 3 down")
	}
}

func TestStartupGateTimeout(t *testing.T) {
	a := newMember(t, 1, "s", 2)
	a.r.cfg.StartupSyncTimeout = 100 * time.Millisecond
	start := time.Now()
	a.r.wg.Add(1)
	go a.r.startupLoop()
	waitFor(t, "timeout opens the gate", func() bool { return !a.syncing() })
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("gate opened after %v, before the timeout", d)
	}
}

func TestStartupGateNoWaitAndNoPeers(t *testing.T) {
	a := newMember(t, 1, "s") // no peers: nothing to wait for
	if a.syncing() {
		t.Fatal("a member without peers must not sync")
	}
}

func TestGateClosesWhenAPeerReportsLaterOwnBatches(t *testing.T) {
	a := newMember(t, 1, "s", 2)
	b := newMember(t, 2, "s", 1)
	replicateOwn(t, a, b, 5)

	// A restarts empty while B is unreachable, and proceeds (the timeout).
	a2 := newMember(t, 1, "s", 2)
	a2.r.mu.Lock()
	a2.r.st.timedOut = true
	a2.r.evalGate()
	a2.r.mu.Unlock()
	if a2.syncing() {
		t.Fatal("gate closed after the timeout")
	}
	// B comes back and pulls from A: its Sync says it has A's batches up to 5.
	link(t, b, a2)
	waitFor(t, "gate closes again", func() bool { return a2.syncing() })
	// A pulls from B, gets its batches back, and the gate opens with the sequence restored.
	link(t, a2, b)
	waitFor(t, "gate reopens", func() bool { return !a2.syncing() })
	if got := a2.seq(); got != 5 {
		t.Fatalf("own seq = %d, want 5", got)
	}
}

func TestOwnBatchesRelayedAfterTheResyncArriveByNudge(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the stall nudge")
	}
	// A's batches 1..3 reach B; only batch 1 reaches C. A restarts empty and resyncs from C;
	// then C gets 2..3 (from B) after that resync: streaming never sends A its own batches,
	// so the stall nudge must make A resync from C again.
	a := newMember(t, 1, "s", 2, 3)
	b := newMember(t, 2, "s", 1, 3)
	c := newMember(t, 3, "s", 1, 2)
	replicateOwn(t, a, c, 1)
	errc, cancel := link(t, b, a)
	a.set("k1", "x")
	a.set("k2", "y")
	waitFor(t, "b has 3", func() bool { return b.vector().Get(1) == 3 })
	cancel()
	<-errc

	a2 := newMember(t, 1, "s", 2, 3)
	a2.r.pullFailed(a2.r.peers[2], errors.New("down"))
	a2.r.pullFailed(a2.r.peers[2], errors.New("down"))
	a2.r.wg.Add(1)
	go a2.r.startupLoop()
	link(t, a2, c)
	waitFor(t, "gate opens with seq 1", func() bool { return !a2.syncing() })
	if a2.seq() != 1 {
		t.Fatalf("seq = %d", a2.seq())
	}
	link(t, c, b) // C gets A's 2..3 relayed by B
	waitFor(t, "c has 3", func() bool { return c.vector().Get(1) == 3 })
	link(t, c, a2) // C pulls from A: its Sync and acks report A's batches up to 3
	waitFor(t, "gate closes", func() bool { return a2.syncing() })
	// The nudge closes A's pull from C; the test redials it as runPeer would.
	deadline := time.Now().Add(10 * time.Second)
	for a2.syncing() {
		if time.Now().After(deadline) {
			t.Fatal("own batches never arrived")
		}
		a2.r.mu.Lock()
		down := a2.r.peers[3].pullConn == nil
		a2.r.mu.Unlock()
		if down {
			link(t, a2, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a2.seq() != 3 || a2.get("k2") != "y" {
		t.Fatalf("seq = %d, k2 = %q", a2.seq(), a2.get("k2"))
	}
}
