package replication

import (
	"bytes"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/peerwire"
)

// Records cut across Data frames: in frames that mix a record completed from the previous
// frame's bytes, whole records and one cut at the end, every batch must be applied and stored in
// the backlog exactly as sent, and nothing kept may depend on the payloads, which their reader
// reuses.
func TestLinkRecordsAcrossFrames(t *testing.T) {
	e, r, rc := newReceiving(t, 1)
	l := NewLink(rc, e)
	var stream []byte
	var recs [][]byte
	var dep clock.Vector
	for seq := uint64(1); seq <= 7; seq++ {
		rec := batchOf(2, seq, dep, "k"+string(rune('0'+seq)), "value of 2:"+string(rune('0'+seq)))
		dep = dep.Clone().Set(2, seq)
		recs = append(recs, rec)
		stream = peerwire.AppendRecord(stream, rec)
	}
	// Cut points inside records 1, 4 and 6, so that frames 2 to 4 each start with the end of a
	// record begun in the previous one.
	cuts := []int{0, len(recs[0]) / 2, 0, 0, 0}
	off := 0
	for i, rec := range recs {
		if i == 3 {
			cuts[2] = off + 1 + len(rec)/2
		}
		if i == 5 {
			cuts[3] = off + 2
		}
		off += 1 + len(rec)
	}
	cuts[4] = len(stream)
	for i := 0; i+1 < len(cuts); i++ {
		payload := bytes.Clone(stream[cuts[i]:cuts[i+1]])
		if _, err := l.Handle(peerwire.Frame{Type: peerwire.Data, Payload: payload}); err != nil {
			t.Fatal(err)
		}
		for j := range payload {
			payload[j] = 0xff // the reader's buffer, reused for the next frame
		}
	}
	e.Lock()
	defer e.Unlock()
	if got := e.Vector().Get(2); got != 7 {
		t.Fatalf("applied up to 2:%d, want 2:7", got)
	}
	db := e.Store().DB(0)
	for seq := 1; seq <= 7; seq++ {
		key, want := "k"+string(rune('0'+seq)), "value of 2:"+string(rune('0'+seq))
		if got := stringOf(db, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	held, ok := r.backlog.Since(nil)
	if !ok || len(held) != len(recs) {
		t.Fatalf("backlog holds %d batches (%v), want %d", len(held), ok, len(recs))
	}
	for i := range recs {
		if !bytes.Equal(held[i], recs[i]) {
			t.Errorf("backlog batch %d differs from what was sent", i)
		}
	}
}
