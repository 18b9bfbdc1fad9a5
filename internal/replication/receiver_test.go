package replication

import (
	"errors"
	"slices"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
)

// engineHost is a bare engine and backlog as a Receiver's host.
type engineHost struct {
	e    *engine.Engine
	bl   *oplog.Backlog
	gaps []clock.Vector
}

func (h *engineHost) Apply(b *effect.Effect, enc []byte) error { return h.e.ApplyEncoded(b, enc) }
func (h *engineHost) MergeState(state []byte, theirs clock.Vector) (int, error) {
	return h.e.MergeState(state, theirs)
}
func (h *engineHost) Gap(theirs clock.Vector) { h.gaps = append(h.gaps, theirs); h.bl.Gap(theirs) }

func newHost(id clock.MemberID) *engineHost {
	return &engineHost{e: engine.New(engine.Config{Member: id, KeepTombstones: true}), bl: oplog.New(1 << 20)}
}

func decoded(t *testing.T, rec []byte) *effect.Effect {
	t.Helper()
	b, err := effect.Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceiverCausalOrderAndDuplicates(t *testing.T) {
	h := newHost(1)
	rc := NewReceiver(h, 1<<20)
	dep := clock.Vector(nil).Set(3, 1)
	b21 := decoded(t, batchOf(2, 1, dep, "x", "from2"))
	b22 := decoded(t, batchOf(2, 2, dep.Clone().Set(2, 1), "y", "two"))
	b31 := decoded(t, batchOf(3, 1, nil, "x", "from3"))
	h.e.Lock()
	defer h.e.Unlock()
	for _, b := range []*effect.Effect{b22, b21, b22} { // before their dependency, 2:2 twice
		if err := rc.Batch(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := rc.Pending(); n != 2 || rc.Stats.Buffered != 2 || rc.Stats.Duplicates != 1 {
		t.Fatalf("pending %d, stats %+v: want 2 buffered and the resent 2:2 dropped", n, rc.Stats)
	}
	if err := rc.Batch(b31, nil); err != nil {
		t.Fatal(err)
	}
	if n, size := rc.Pending(); n != 0 || size != 0 {
		t.Fatalf("buffer not drained: %d batches, %d bytes", n, size)
	}
	if v := h.e.Vector(); v.Get(2) != 2 || v.Get(3) != 1 || rc.Stats.Applied != 3 {
		t.Fatalf("vector %v, stats %+v", v, rc.Stats)
	}
	// A batch received again after it was applied is dropped by the engine.
	if err := rc.Batch(b21, nil); err != nil || h.e.Stats.FilteredEffects != 1 {
		t.Fatalf("err %v, filtered %d", err, h.e.Stats.FilteredEffects)
	}
}

func TestReceiverOverflowDropsTheBuffer(t *testing.T) {
	h := newHost(1)
	rc := NewReceiver(h, 100)
	dep := clock.Vector(nil).Set(3, 1) // never received
	h.e.Lock()
	defer h.e.Unlock()
	var err error
	for i := uint64(1); i <= 10 && err == nil; i++ {
		err = rc.Batch(decoded(t, batchOf(2, i, dep.Clone().Set(2, i-1), "k", "0123456789012345678901234567890")), nil)
	}
	if !errors.Is(err, ErrOverflow) || rc.Stats.Overflows != 1 {
		t.Fatalf("err %v, stats %+v", err, rc.Stats)
	}
	if n, size := rc.Pending(); n != 0 || size != 0 {
		t.Fatalf("buffer kept %d batches (%d bytes) after the overflow", n, size)
	}
}

// A merged state that brings in what buffered batches waited for drains them, and one that
// already holds buffered batches drops them; the backlog records the gap.
func TestReceiverMergeDrainsAndRecordsTheGap(t *testing.T) {
	svc, state := stateWithA(3)

	h := newHost(1)
	rc := NewReceiver(h, 1<<20)
	h.e.Lock()
	defer h.e.Unlock()
	if err := rc.Batch(decoded(t, batchOf(2, 1, clock.Vector(nil).Set(3, 1), "b", "2")), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.MergeState(state, svc); err != nil {
		t.Fatal(err)
	}
	if n, _ := rc.Pending(); n != 0 || h.e.Vector().Get(2) != 1 || rc.Stats.Merges != 1 {
		t.Fatalf("pending %d, vector %v", n, h.e.Vector())
	}
	if len(h.gaps) != 1 || !h.gaps[0].Equal(svc) {
		t.Fatalf("gaps %v, want [%v]", h.gaps, svc)
	}
	if _, err := rc.MergeState([]byte("not a state"), svc); err == nil {
		t.Fatal("a bad state merged")
	}
}

func TestLinkFrames(t *testing.T) {
	svc, state := stateWithA(2)

	h := newHost(1)
	rc := NewReceiver(h, 1<<20)
	l := NewLink(rc, h.e)
	frames := []peerwire.Frame{
		{Type: peerwire.StateBegin, Payload: appendUvarint(peerwire.AppendVector(nil, svc), uint64(len(state)))},
		{Type: peerwire.StateChunk, Payload: state[:len(state)/2]},
		{Type: peerwire.StateChunk, Payload: state[len(state)/2:]},
		{Type: peerwire.StateEnd},
	}
	var evs []EventKind
	for _, f := range frames {
		ev, err := l.Handle(f)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev.Kind)
		if ev.Kind == EventMerged && (!ev.VC.Equal(svc) || ev.Bytes != len(state) || ev.Keys != 1) {
			t.Fatalf("merge event %+v", ev)
		}
	}
	if !slices.Equal(evs, []EventKind{EventNone, EventNone, EventNone, EventMerged}) {
		t.Fatalf("events %v", evs)
	}
	// A record split across two Data frames is applied once whole.
	rec := peerwire.AppendRecord(nil, batchOf(2, 2, svc, "b", "2"))
	for _, p := range [][]byte{rec[:3], rec[3:]} {
		if _, err := l.Handle(peerwire.Frame{Type: peerwire.Data, Payload: p}); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := l.Handle(peerwire.Frame{Type: peerwire.Ping, Payload: peerwire.AppendVector(nil, svc.Clone().Set(2, 2))})
	if err != nil || ev.Kind != EventSyncPoint || ev.VC.Get(2) != 2 {
		t.Fatalf("sync point: %+v, %v", ev, err)
	}
	h.e.Lock()
	got := h.e.Vector().Get(2)
	h.e.Unlock()
	if got != 2 {
		t.Fatalf("vector[2] = %d", got)
	}
	for name, f := range map[string]peerwire.Frame{
		"chunk outside a state": {Type: peerwire.StateChunk, Payload: []byte("x")},
		"end outside a state":   {Type: peerwire.StateEnd},
		"unexpected frame":      {Type: peerwire.Sync},
	} {
		if _, err := l.Handle(f); !errors.Is(err, peerwire.ErrFrame) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestResyncAfterMerge(t *testing.T) {
	theirs := clock.Vector(nil).Set(2, 5).Set(3, 1)
	peers := map[clock.MemberID]clock.Vector{
		2: nil,                                   // the sender of the state: never resynced
		3: clock.Vector(nil).Set(2, 5).Set(3, 1), // has it all
		4: clock.Vector(nil).Set(2, 4).Set(3, 9), // lacks 2:5
		5: nil,                                   // never acknowledged anything
	}
	if got := ResyncAfterMerge(2, theirs, peers); !slices.Equal(got, []clock.MemberID{4, 5}) {
		t.Fatalf("got %v", got)
	}
}

// stateWithA is the exported state (and its vector clock) of a new member id that set a to 1.
func stateWithA(id clock.MemberID) (clock.Vector, []byte) {
	src := newHost(id)
	src.e.Lock()
	src.e.Emit(effect.Op{Kind: effect.StringSet, Key: "a", Value: []byte("1")})
	src.e.Unlock() // commits the batch
	src.e.Lock()
	defer src.e.Unlock()
	return src.e.ExportState()
}
