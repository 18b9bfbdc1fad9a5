package sim

import (
	"fmt"
	"testing"
)

// Senders relay batches of every origin except those of members their peer pulls from
// directly. When the link between two members is cut for good, each must still get the
// other's batches through the third: its next ack tells the third member it lost that direct
// link, and the third member's Sender rewinds (sends from its backlog what it had skipped).
// Without the rewind, member 2 never gets member 1's batches here.
func TestRelaysAroundACutLink(t *testing.T) {
	w := New(Config{Seed: 1, Members: 3})
	for range 300 {
		w.step()
	}
	if !w.gatesOpen() {
		t.Fatal("startup gates still closed")
	}
	w.cut(1, 2)
	for i := range 5 {
		if r := w.do(w.members[1], "SET", fmt.Sprint("k", i), "v"); r != "+OK\r\n" {
			t.Fatalf("SET: %q", r)
		}
		w.step()
	}
	for range 600 {
		w.step()
	}
	if len(w.errs) > 0 {
		t.Fatal(w.errs)
	}
	if got, want := w.vector(2).Get(1), w.vector(1).Get(1); got != want {
		t.Fatalf("member 2 has member 1's batches up to %d, member 1 made %d (rewinds: %d)", got, want, w.Stats.Rewinds)
	}
	if w.Stats.Rewinds == 0 {
		t.Fatal("no rewind")
	}
}
