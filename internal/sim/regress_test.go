package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// quietWorld is a run with every link down, for hand-written timelines (after the first
// handshakes, so that every member accepts writes).
func quietWorld(t *testing.T, members int) *World {
	t.Helper()
	w := New(Config{Seed: 1, Members: members})
	syncAll(t, w) // the startup gates open
	for i := 1; i <= members; i++ {
		for j := 1; j <= members; j++ {
			if i != j {
				w.links[i][j].up = false
			}
		}
	}
	return w
}

// fullSync merges from's whole state into to, as a full resync does.
func fullSync(t *testing.T, w *World, from, to int) error {
	t.Helper()
	s, r := w.members[from], w.members[to]
	s.e.Lock()
	vc, state := s.e.ExportState()
	s.e.Unlock()
	r.e.Lock()
	_, err := r.e.MergeState(state, vc)
	r.e.Unlock()
	return err
}

// Found by the simulator (seed 318, docs/testing.md bug 1). A key created with one type and
// replaced by another type in the same batch (MULTI; RPUSH l0; RENAME z1 l0; EXEC) records the
// list's creation as beaten with the same stamp as the string's own creation. A member that
// then merges a later creation of the string type (DEL l0; RENAME s1 l0 elsewhere) keeps its
// creation as an earlier incarnation whose stamp equals beaten; crdt.Key.ReadState refuses
// that ("creations out of order"), so this member's state can no longer be merged anywhere:
// every full resync from it fails and the members never converge.
func TestRegressSameBatchTypeChangeThenMergedCreation(t *testing.T) {
	w := quietWorld(t, 3)
	must := func(m int, want string, args ...string) {
		t.Helper()
		if got := w.do(w.members[m], args...); got != want {
			t.Fatalf("member %d: %q = %q, want %q", m, args, got, want)
		}
	}
	must(2, "+OK\r\n", "SET", "z1", "v")
	must(3, "+OK\r\n", "SET", "s1", "v")
	must(2, "+OK\r\n", "MULTI")
	must(2, "+QUEUED\r\n", "RPUSH", "l0", "a")
	must(2, "+QUEUED\r\n", "RENAME", "z1", "l0")
	must(2, "*2\r\n:1\r\n+OK\r\n", "EXEC")
	if err := fullSync(t, w, 2, 3); err != nil {
		t.Fatal(err)
	}
	must(3, ":1\r\n", "DEL", "l0")
	must(3, "+OK\r\n", "RENAME", "s1", "l0")
	if err := fullSync(t, w, 3, 2); err != nil {
		t.Fatal(err)
	}
	if err := fullSync(t, w, 2, 1); err != nil {
		t.Fatalf("member 2's state after the merge cannot be merged: %v (l0 on member 2: %s)",
			err, w.describeKey(w.members[2], "l0"))
	}
	for i := 1; i <= 3; i++ {
		w.checkEnvelopes(w.members[i], "the timeline")
	}
	if len(w.errs) > 0 {
		t.Fatal(w.errs)
	}
}

// syncAll heals every link and runs the network until every member has everything.
func syncAll(t *testing.T, w *World) {
	t.Helper()
	w.healAll()
	for range 1000 {
		w.step()
		if w.idle() && w.gatesOpen() {
			return
		}
	}
	t.Fatalf("no quiescence: %v", w.vectors())
}

// A member restarted empty refuses writes until its startup gate (replication.Gate) has its
// own earlier batches back from its peers, so its next write takes a new sequence number that
// peers apply instead of dropping it as a duplicate.
func TestRestartedMemberWaitsForItsOwnBatches(t *testing.T) {
	w := New(Config{Seed: 7, Members: 3, Crashes: true, Persistence: "off"})
	syncAll(t, w)
	m1 := w.members[1]
	for i := range 3 {
		if got := w.do(m1, "SET", "k", fmt.Sprint("v", i)); got != "+OK\r\n" {
			t.Fatalf("SET before the crash: %q", got)
		}
	}
	syncAll(t, w)
	w.crash(m1)
	if !w.restart(m1) {
		t.Fatal("no restart")
	}
	if got := w.do(m1, "SET", "k", "early"); !strings.HasPrefix(got, "-LOADING") {
		t.Fatalf("write while syncing: %q, want -LOADING", got)
	}
	for range 200 {
		if m1.gate.Open() {
			break
		}
		w.step()
	}
	if !m1.gate.Open() {
		t.Fatal("gate never opened")
	}
	if seq := w.vector(1).Get(1); seq != 3 {
		t.Fatalf("own seq after the sync %d, want 3", seq)
	}
	if got := w.do(m1, "SET", "k", "after"); got != "+OK\r\n" {
		t.Fatalf("write after the sync: %q", got)
	}
	syncAll(t, w)
	for _, m := range w.members[1:] {
		if got := w.do(m, "GET", "k"); got != "$5\r\nafter\r\n" {
			t.Fatalf("member %d: GET k = %q", m.id, got)
		}
	}
	if len(w.errs) > 0 {
		t.Fatal(w.errs)
	}
}

// Found by the simulator (seed 2549, docs/testing.md bug 4). Member 3 restarts empty; member 2,
// the only one holding its batches, reports them (its Sync) and crashes before they reach
// member 3, then restarts without them. Member 3's startup gate waited for them for ever: it
// refused writes until it restarted again. The gate now stops waiting once every peer that
// reported them reports less, for the startup timeout.
func TestRegressOwnBatchesGoneWithTheirOnlyHolder(t *testing.T) {
	w := New(Config{Seed: 11, Members: 3, Crashes: true, Persistence: "off"})
	syncAll(t, w)
	m1, m2, m3 := w.members[1], w.members[2], w.members[3]
	w.cut(1, 3)
	w.cut(1, 2) // member 1 gets nothing, not even relayed
	for i := range 3 {
		if got := w.do(m3, "SET", fmt.Sprint("k", i), "v"); got != "+OK\r\n" {
			t.Fatalf("SET: %q", got)
		}
	}
	for range 100 { // member 2 gets them; member 1 does not (the cut)
		w.step()
	}
	if got := w.vector(2).Get(3); got != 3 {
		t.Fatalf("member 2 has member 3's batches up to %d", got)
	}
	w.crash(m3)
	if !w.restart(m3) {
		t.Fatal("member 3 did not restart")
	}
	// Member 3 serves member 2's pull: member 2's clock (3:3) reaches member 3's gate at once;
	// the resync from member 2 is still in flight when member 2 crashes.
	w.crash(m2)
	w.healAll()
	if !w.restart(m2) {
		t.Fatal("member 2 did not restart")
	}
	for range 3000 {
		if m3.gate.Open() {
			break
		}
		w.step()
	}
	if !m3.gate.Open() {
		t.Fatalf("member 3 still refuses writes at t=%d ms: its batches exist nowhere", w.now)
	}
	if !slices.ContainsFunc(w.trace, func(l string) bool { return strings.Contains(l, "are gone") }) {
		t.Fatal("the gate opened without giving up on the lost batches")
	}
	if got := w.do(m3, "SET", "after", "1"); got != "+OK\r\n" {
		t.Fatalf("SET after: %q", got)
	}
	syncAll(t, w)
	if got := w.do(m1, "GET", "after"); got != "$1\r\n1\r\n" {
		t.Fatalf("member 1: GET after = %q", got)
	}
	if len(w.errs) > 0 {
		t.Fatal(w.errs)
	}
}

// Found by seed 6791 once the simulator ran production's sending side (docs/testing.md, bugs in
// the simulator): the simulator ran active expiry on a member whose startup gate was closed,
// which production does not do (node.cron skips it while syncing). Member 1 restarts empty; a
// resync gives it back a key whose TTL it owns, already past, but not its later batch, which
// member 3 holds; expiring the key made a local batch with that batch's sequence number, and
// the members applying one or the other version of the dot never converged.
func TestRegressNoExpiryWhileSyncing(t *testing.T) {
	w := New(Config{Seed: 5, Members: 3, Crashes: true, Persistence: "off"})
	syncAll(t, w)
	m1 := w.members[1]
	if got := w.do(m1, "SET", "k", "v", "PX", "500"); got != "+OK\r\n" {
		t.Fatalf("SET PX: %q", got)
	}
	for i := 0; w.vector(2).Get(1) != 1 || w.vector(3).Get(1) != 1; i++ {
		if i > 100 {
			t.Fatalf("vector clocks %v", w.vectors())
		}
		w.step()
	}
	w.cut(1, 2)
	w.cut(2, 3) // member 2 gets nothing more, not even relayed
	if got := w.do(m1, "SET", "a", "b"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	for i := 0; w.vector(3).Get(1) != 2; i++ {
		if i > 100 {
			t.Fatalf("vector clocks %v", w.vectors())
		}
		w.step()
	}
	if w.vector(2).Get(1) != 1 {
		t.Fatalf("vector clocks %v", w.vectors())
	}
	w.crash(m1)
	w.heal(1, 2)
	if !w.restart(m1) {
		t.Fatal("member 1 did not restart")
	}
	// Member 3's Sync told member 1's gate about 1:2; member 3's resync is lost with the link,
	// member 2's gives back k (1:1), expired (within the gate's timeout), with a TTL member 1
	// owns.
	w.cut(1, 3)
	for range 300 {
		w.step()
	}
	if m1.gate.Open() {
		t.Fatalf("the gate opened before member 1 got its batch 1:2 back (a local batch took its dot?): %s", strings.Join(w.trace[max(0, len(w.trace)-20):], "\n"))
	}
	if w.vector(1).Get(1) != 1 {
		t.Fatalf("member 1 has its own batches up to %d", w.vector(1).Get(1))
	}
	syncAll(t, w)
	if len(w.errs) > 0 {
		t.Fatal(w.errs)
	}
	if got, want := w.do(w.members[2], "GET", "a"), "$1\r\nb\r\n"; got != want {
		t.Fatalf("member 2: GET a = %q (member 1 reused the dot of SET a b)", got)
	}
}

// Found by the simulator (seed 20040, docs/testing.md bug 8). One MULTI on member 2 creates
// a hash (HINCRBY x0 c1 -4) and replaces it by a string (PSETEX x0) in the same batch, then
// RENAME x0 p0; member 1's concurrent HSET x0, with a later stamp, makes the hash win the type
// contest. Member 2 had dropped c1 with its hash creation (it lost to the string, the later
// operation of the batch); member 1, which held the later hash when the batch arrived, kept
// c1, because the string's creation beat only the hash creations strictly before its stamp,
// not the one made earlier in its own batch: the members ended with different hashes.
func TestRegressSameBatchHashThenStringConcurrentHash(t *testing.T) {
	w := quietWorld(t, 2)
	must := func(m int, want string, args ...string) {
		t.Helper()
		if got := w.do(w.members[m], args...); got != want {
			t.Fatalf("member %d: %q = %q, want %q", m, args, got, want)
		}
	}
	must(2, "+OK\r\n", "MULTI")
	must(2, "+QUEUED\r\n", "HINCRBY", "x0", "c1", "-4")
	must(2, "+QUEUED\r\n", "PSETEX", "x0", "100000", "e5")
	must(2, "*2\r\n:-4\r\n+OK\r\n", "EXEC")
	must(2, "+OK\r\n", "RENAME", "x0", "p0")
	// Member 1's HSET, concurrent, has the later stamp.
	w.members[1].skew = w.members[2].skew + 1000
	w.setClocks()
	must(1, ":2\r\n", "HSET", "x0", "f2", "v3", "f3", "w6")
	syncAll(t, w)
	want := "*4\r\n$2\r\nf2\r\n$2\r\nv3\r\n$2\r\nf3\r\n$2\r\nw6\r\n"
	for m := 1; m <= 2; m++ {
		if got := w.do(w.members[m], "HGETALL", "x0"); got != want {
			t.Errorf("member %d: HGETALL x0 = %q, want %q (%s)", m, got, want, w.describeKey(w.members[m], "x0"))
		}
	}
	for _, args := range [][]string{{"GET", "p0"}, {"DEBUG", "DIGEST"}} {
		if a, b := w.do(w.members[1], args...), w.do(w.members[2], args...); a != b {
			t.Errorf("%q: member 1 %q, member 2 %q", args, a, b)
		}
	}
	if len(w.errs) > 0 {
		t.Fatal(w.errs)
	}
}

// Found by the simulator (seeds 537, 1226 and 1393, docs/testing.md bug 7). A member
// acknowledged removals it had applied only in memory (appendfsync no or everysec, or batches
// from peers under always); its peers collected the tombstones; it lost power, restarted from
// its older disk still holding the removed data, and full resyncs merged that data back into
// some members. Members now advertise for collection only what their disk holds (the
// persister's DurableVector), and the sender of a link does not take the receiver's Sync
// (its applied vector clock) as its OVC. The three runs, replayed as TestSimulation runs them.
func TestRegressDurableOVC(t *testing.T) {
	for _, seed := range []uint64{537, 1226, 1393} {
		w := New(configFor(seed, 300))
		if errs := w.Run(); len(errs) > 0 {
			t.Errorf("seed %d: %s", seed, errs[0])
		}
	}
}
