package replication

import (
	"fmt"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/oplog"
)

// A member's own batches go to every peer: the links encode each frame once between them,
// and every peer gets every batch exactly once.
func TestFramesAreEncodedOnceForPeersInStep(t *testing.T) {
	a := newMember(t, 1, "s", 2, 3)
	b := newMember(t, 2, "s", 1, 3)
	c := newMember(t, 3, "s", 1, 2)
	link(t, b, a)
	link(t, c, a)
	// Both links past their handshake, so both cursors start at the same backlog position:
	// a session is registered before its peer's Sync arrives, and a link whose handshake
	// came after the first writes would start elsewhere and never be in step.
	waitFor(t, "both links", func() bool {
		a.r.mu.Lock()
		defer a.r.mu.Unlock()
		synced := 0
		for _, s := range a.r.serving {
			if s.snd.peerVC.Load() != nil { // set by the handshake
				synced++
			}
		}
		return synced == 2
	})
	const n = 3000
	val := strings.Repeat("x", 100) // frames large enough to be compressed
	for i := range n {
		a.set(fmt.Sprint("k", i), val)
	}
	waitFor(t, "convergence", func() bool { return b.vector().Get(1) == n && c.vector().Get(1) == n })
	for _, m := range []*member{b, c} {
		if got := m.get(fmt.Sprint("k", n-1)); got != val {
			t.Fatalf("member %d: %q", m.r.cfg.Member, got)
		}
		m.e.Lock()
		f := m.e.Stats.FilteredEffects
		m.e.Unlock()
		if f != 0 {
			t.Errorf("member %d received %d batches twice", m.r.cfg.Member, f)
		}
	}
	built, shared := a.r.framesBuilt.Load(), a.r.framesShared.Load()
	t.Logf("%d frames encoded, %d taken from the other link", built, shared)
	if shared == 0 {
		t.Fatal("no frame was shared between the two links")
	}
}

// A frame read with one link's filters is taken by another link only if it would have read
// exactly the same records.
func TestSharedFrameFits(t *testing.T) {
	o := func(ms ...clock.MemberID) oplog.Origins {
		var s oplog.Origins
		for _, m := range ms {
			s = s.With(m)
		}
		return s
	}
	f := &sharedFrame{skip: o(2), info: oplog.ReadInfo{Seen: o(1, 3), Min: clock.Vector(nil).Set(1, 10).Set(3, 5)}}
	for _, tc := range []struct {
		skip oplog.Origins
		vc   clock.Vector
		want bool
	}{
		{o(2), nil, true},
		{o(4), nil, true}, // skips differ only on origins not in the frame
		{o(3), nil, false},
		{o(1, 2), nil, false},
		{o(2), clock.Vector(nil).Set(1, 9).Set(3, 4), true},
		{o(2), clock.Vector(nil).Set(1, 10), false}, // the peer has the first batch of 1
		{o(2), clock.Vector(nil).Set(3, 7), false},
	} {
		if got := f.fits(tc.skip, tc.vc); got != tc.want {
			t.Errorf("skip %b vc %v: fits %v, want %v", tc.skip, tc.vc, got, tc.want)
		}
	}
	f.info.Covered = true
	if f.fits(o(2), nil) {
		t.Error("a frame its builder filtered by its peer's clock was shared")
	}
}

// The sink wakes the links waiting for a batch of that origin, and only those.
func TestSinkWakesOnlyLinksThatSendTheBatch(t *testing.T) {
	m := newMember(t, 1, "s", 2, 3)
	toB := &session{wake: make(chan struct{}, 1)} // skips 2's batches (B's own)
	toC := &session{wake: make(chan struct{}, 1)} // skips 2's and 3's
	m.e.Lock()
	m.r.wait(toB, oplog.Origins(0).With(2))
	m.r.wait(toC, oplog.Origins(0).With(2).With(3))
	m.e.Unlock()
	woken := func(s *session) bool {
		select {
		case <-s.wake:
			return true
		default:
			return false
		}
	}
	m.e.Lock()
	err := m.e.Apply(&effect.Effect{Origin: 2, Seq: 1, Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte("v")}}})
	m.e.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if woken(toB) || woken(toC) {
		t.Fatal("a batch of an origin both links skip woke one")
	}
	m.set("own", "x") // this member's batch: both send it
	if !woken(toB) || !woken(toC) {
		t.Fatal("a batch both links send did not wake both")
	}
	m.e.Lock()
	left := len(m.r.waiters)
	m.e.Unlock()
	if left != 0 {
		t.Fatalf("%d woken links still registered", left)
	}
}

// A pooled frame's buffer is recycled only once every holder is done with it: the link that
// built it, each link that took it, and the ring until the frame leaves it.
func TestPooledFrameIsRecycledAfterTheLastHolder(t *testing.T) {
	var ring FrameCache
	bl := oplog.New(1 << 20)
	builder := NewSender(1, 2, bl)
	taker := NewSender(1, 3, bl)
	for _, s := range []*Sender{builder, taker} {
		if _, err := s.Handshake(nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	bl.Append(&effect.Effect{Origin: 1, Seq: 1, HLC: 1, Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte("v")}}})
	built := builder.Next(1<<16, &ring)
	if built.Kind != StepBuild {
		t.Fatalf("builder step %v", built.Kind)
	}
	taken := taker.Next(1<<16, &ring)
	if taken.Kind != StepShared || taken.Frame != built.Frame {
		t.Fatalf("taker step %v", taken.Kind)
	}
	f := built.Frame
	f.FinishPooled(append(getWire(64), "frame"...))
	f.Release() // the builder has written it
	for range sharedFrames {
		ring.Publish(&SharedFrame{ready: make(chan struct{})}) // the ring lets go of f
	}
	if w, _ := f.Wire(); string(w) != "frame" {
		t.Fatalf("recycled while a link still held it: %q", w)
	}
	f.Release() // the taker has written it
	if w, _ := f.Wire(); w != nil {
		t.Fatalf("not recycled after the last holder: %q", w)
	}
}
