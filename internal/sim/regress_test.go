package sim

import (
	"testing"
)

// quietWorld is a run with every link down, for hand-written timelines.
func quietWorld(t *testing.T, members int) *World {
	t.Helper()
	w := New(Config{Seed: 1, Members: members})
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
	w.do(w.members[2], "SET", "z1", "v")
	w.do(w.members[3], "SET", "s1", "v")
	for _, c := range [][]string{{"MULTI"}, {"RPUSH", "l0", "a"}, {"RENAME", "z1", "l0"}, {"EXEC"}} {
		w.do(w.members[2], c...)
	}
	if err := fullSync(t, w, 2, 3); err != nil {
		t.Fatal(err)
	}
	w.do(w.members[3], "DEL", "l0")
	w.do(w.members[3], "RENAME", "s1", "l0")
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
		if w.idle() {
			return
		}
	}
	t.Fatalf("no quiescence: %v", w.vectors())
}

// Found by the simulator (seed 19585, docs/testing.md bug 3). Member 1 holds l1 as an HLL
// (made by RENAME while it was partitioned) that wins the type contest, with the expiry writes
// {1:22 EXPIRE at=T, 2:25 PERSIST (aimed at the list)}, so no TTL. Applying member 3's batch
// 3:31, an LPUSH on a later creation of the list that loses too, moves beaten and drops the
// PERSIST write: the expiry writes now give T, but Entry.ExpireAt stays 0. Member 1 then
// answers PTTL -1 (and another DEBUG DIGEST) where members 2 and 3 answer the TTL, and never
// expires the key. The simulator's envelope check reports it at that apply
// (CONCORD_SIM_SEED=19585 traces the batch and the key before and after). This test replays
// the seed's shrunk run (it depends on the workload generator; a hand-written timeline did not
// reproduce it yet).
func TestRegressSeed19585ExpiryAfterTypeContest(t *testing.T) {
	cfg := configFor(19585, 181)
	cfg.Members = 3
	cfg.RepeatKeysInMulti = false // the workload the seed was found with
	w := New(cfg)
	if errs := w.Run(); len(errs) > 0 {
		t.Fatalf("%d errors, first: %s", len(errs), errs[0])
	}
}

// Found by the simulator (seed 19585, docs/testing.md bug 3). A member applies a peer's
// creation of another type that loses the type contest against its own value (an HLL made by
// RENAME, with a TTL): the store's expiry (Entry.ExpireAt) is reset to none while the key's
// expiry writes still give the TTL, so this member reports PTTL -1 (and another DEBUG DIGEST)
// where the others report the TTL, and never expires the key.
