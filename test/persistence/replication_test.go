package persistence

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// Two members with append-only files: one is killed and restarts from its files while the
// other keeps writing; they converge, and the restarted member's sequence numbers go on where
// they were (a reused one would be dropped by its peer as already applied, and they would not
// converge). Then the member restarts with no files at all: it is restored by a full resync
// from its peer, which it persists (a snapshot), so a kill right after loses nothing.
func TestReplicatedMemberRestarts(t *testing.T) {
	var peerPorts [2]int
	for i := range peerPorts {
		p, err := testserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		peerPorts[i] = p
	}
	dirs := [2]string{t.TempDir(), t.TempDir()}
	member := func(i int) *testserver.Server {
		j := 1 - i
		return start(t, dirs[i], "--appendonly", "yes", "--appendfsync", "always",
			"--member-id", strconv.Itoa(i+1), "--peer-port", strconv.Itoa(peerPorts[i]),
			"--peer-secret", "S", "--peer", fmt.Sprintf("%d=127.0.0.1:%d", j+1, peerPorts[j]))
	}
	a, b := member(0), member(1)
	ca, cb := a.Dial(t), b.Dial(t)
	for i := range 50 {
		run(t, ca, [][]string{{"INCR", "n"}, {"SADD", "s", fmt.Sprint("a", i)}})
		run(t, cb, [][]string{{"INCR", "n"}, {"HSET", "h", fmt.Sprint("b", i), "v"}})
	}
	converge(t, ca, cb, "100")
	b.Stop() // kill -9
	run(t, ca, [][]string{{"INCR", "n"}, {"SET", "while-down", "1"}})
	b = member(1)
	cb = b.Dial(t)
	run(t, cb, [][]string{{"INCR", "n"}, {"SADD", "s", "after-restart"}})
	converge(t, ca, cb, "102")

	// No files at all: a full resync from the peer, persisted.
	b.Stop()
	if err := os.RemoveAll(dirs[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dirs[1], 0o755); err != nil {
		t.Fatal(err)
	}
	b = member(1)
	cb = b.Dial(t)
	converge(t, ca, cb, "102")
	time.Sleep(300 * time.Millisecond) // the persistence cycle notices the resync
	want := digest(t, cb)
	b.Stop()
	b = member(1)
	cb = b.Dial(t)
	if got := digest(t, cb); got != want {
		t.Fatalf("after a full resync and a kill: digest %s, want %s", got, want)
	}
	converge(t, ca, cb, "102")
}

// converge waits until both members agree (DEBUG DIGEST) and n has the value want.
func converge(t *testing.T, ca, cb *testserver.Conn, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		da, db := digest(t, ca), digest(t, cb)
		na, nb := ca.DoReply("GET", "n").Str, cb.DoReply("GET", "n").Str
		if da == db && na == want && nb == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members did not converge: n=%s/%s (want %s), digests %s %s", na, nb, want, da, db)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
