package replication

import (
	"strings"
	"testing"
	"time"
)

func TestLagTracker(t *testing.T) {
	var l lagTracker
	l.record(1, 1000)
	l.record(2, 1000) // same millisecond: not recorded
	l.record(3, 1005)
	l.record(4, 1010)
	for acked, want := range map[uint64]int64{0: 1000, 1: 1000, 2: 1005, 3: 1010} {
		if got := l.since(acked); got != want {
			t.Errorf("since(%d) = %d, want %d", acked, got, want)
		}
	}
	l.trim(2) // everyone has 1..2: the entry of 3 must stay
	if got := l.since(2); got != 1005 || len(l.seqs) != 2 {
		t.Fatalf("after trim: since(2) = %d, %d entries", got, len(l.seqs))
	}
}

func TestInfoReportsPeersAndLag(t *testing.T) {
	a := newMember(t, 1, "s", 2)
	b := newMember(t, 2, "s", 1)
	_, cancel := link(t, b, a) // b pulls from a and acknowledges
	a.set("k", "v")
	waitFor(t, "ack", func() bool {
		a.e.Lock()
		defer a.e.Unlock()
		in := a.r.Info()
		return len(in.Peers) == 1 && in.Peers[0].LagMS == 0 && in.Peers[0].MaxOpsLag == 0 && in.Peers[0].BytesOut > 0
	})
	// A peer that stops acknowledging shows a growing lag.
	cancel()
	waitFor(t, "link closed", func() bool {
		a.r.mu.Lock()
		defer a.r.mu.Unlock()
		return a.r.serving[2] == nil
	})
	a.r.mu.Lock()
	a.r.peers[2].ovc = nil
	a.r.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	a.e.Lock()
	in := a.r.Info()
	a.e.Unlock()
	if in.Peers[0].MaxOpsLag != 1 || in.Peers[0].MinOpsLag != 1 || in.Peers[0].LagMS < 0 {
		t.Fatalf("peer info: %+v", in.Peers[0])
	}
	if in.ConfigVersion != 1 || !strings.HasPrefix(in.Peers[0].Name, "m") {
		t.Fatalf("info: %+v", in)
	}
}
