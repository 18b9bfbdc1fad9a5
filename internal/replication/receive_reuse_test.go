package replication

import (
	"bytes"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/peerwire"
	"github.com/concord-db/concord/internal/store"
)

// A Link decodes every frame into the same batch structs, except those the causal buffer
// keeps: batches buffered on one link while later frames arrive on it must come out intact
// when a batch from another link makes them ready, and the backlog must then hold exactly the
// bytes the peers sent, in apply order (the received records are stored, not re-encoded).
func TestLinkReusesBatchesButNotBuffered(t *testing.T) {
	e, r, rc := newReceiving(t, 1)
	from3, from2 := NewLink(rc, e), NewLink(rc, e)
	frame := func(recs ...[]byte) peerwire.Frame {
		var p []byte
		for _, rec := range recs {
			p = peerwire.AppendRecord(p, rec)
		}
		return peerwire.Frame{Type: peerwire.Data, Payload: p}
	}
	dep := clock.Vector(nil).Set(2, 1)
	b31 := batchOf(3, 1, dep, "k31", "value of 3:1")
	b32 := batchOf(3, 2, dep.Clone().Set(3, 1), "k32", "value of 3:2")
	b33 := batchOf(3, 3, dep.Clone().Set(3, 2), "k33", "value of 3:3")
	b21 := batchOf(2, 1, nil, "k21", "value of 2:1")
	b22 := batchOf(2, 2, nil, "k22", "value of 2:2")
	// 3's batches need 2:1, which comes on the other link: two frames of them wait, the
	// second decoded while the first's batches are buffered.
	for _, f := range []peerwire.Frame{frame(b31, b32), frame(b33)} {
		if _, err := from3.Handle(f); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := rc.Pending(); n != 3 {
		t.Fatalf("%d batches buffered, want 3", n)
	}
	if _, err := from2.Handle(frame(b21, b22)); err != nil {
		t.Fatal(err)
	}
	e.Lock()
	defer e.Unlock()
	if n, _ := rc.Pending(); n != 0 {
		t.Fatalf("%d batches still buffered", n)
	}
	db := e.Store().DB(0)
	for key, want := range map[string]string{"k31": "value of 3:1", "k32": "value of 3:2", "k33": "value of 3:3",
		"k21": "value of 2:1", "k22": "value of 2:2"} {
		if got := stringOf(db, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	held, ok := r.backlog.Since(nil)
	if !ok {
		t.Fatal("backlog cannot serve from the start")
	}
	// Apply order: 2:1 drains 3's batches before 2:2 is applied.
	want := [][]byte{b21, b31, b32, b33, b22}
	if len(held) != len(want) {
		t.Fatalf("backlog holds %d batches, want %d", len(held), len(want))
	}
	for i := range want {
		if !bytes.Equal(held[i], want[i]) {
			t.Errorf("backlog batch %d differs from what was received", i)
		}
	}
}

func stringOf(db *store.DB, key string) string {
	ent := db.Get(key)
	if ent == nil || ent.Value == nil {
		return ""
	}
	reg, ok := ent.Value.(*register.Value)
	if !ok {
		return ""
	}
	_, v := reg.Base()
	return string(v)
}

// newReceiving returns the engine of member id, its Replicator and the Replicator's Receiver
// (its real host, so that applied batches also go to its backlog), for Links to feed.
func newReceiving(tb testing.TB, id clock.MemberID) (*engine.Engine, *Replicator, *Receiver) {
	tb.Helper()
	e := engine.New(engine.Config{Member: id, KeepTombstones: true})
	r, err := New(e, Config{Member: id})
	if err != nil {
		tb.Fatal(err)
	}
	e.Lock()
	defer e.Unlock()
	return e, r, r.receiver()
}
