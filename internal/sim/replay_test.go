package sim

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// replayEvent is one step of a member's recorded history: a batch applied (own or remote, in
// the order its engine sink saw them), a full state merged, or a restart with an empty engine;
// clock is the member's physical clock at that step.
type replayEvent struct {
	Kind  string       `json:"kind"` // batch, state, restart
	Clock int64        `json:"clock"`
	Data  []byte       `json:"data,omitempty"`
	VC    clock.Vector `json:"vc,omitempty"`
}

// replayMember replays a recorded history on a fresh engine and calls check after each step.
func replayMember(t *testing.T, path string, id clock.MemberID, check func(e *engine.Engine, step int)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var evs []replayEvent
	if err := json.Unmarshal(raw, &evs); err != nil {
		t.Fatal(err)
	}
	clk := &clock.Manual{}
	newEngine := func() *engine.Engine {
		return engine.New(engine.Config{Member: id, Databases: 16, Clock: clk, KeepTombstones: true})
	}
	e := newEngine()
	for i, ev := range evs {
		clk.Millis = ev.Clock
		switch ev.Kind {
		case "restart":
			e = newEngine()
			continue
		case "batch":
			b, err := effect.Decode(ev.Data)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			e.Lock()
			err = e.Apply(b)
			e.Unlock()
			if err != nil {
				t.Fatalf("step %d: applying %v: %v", i, b.Dot(), err)
			}
		case "state":
			e.Lock()
			_, err := e.MergeState(ev.Data, ev.VC)
			e.Unlock()
			if err != nil {
				t.Fatalf("step %d: merge: %v", i, err)
			}
		default:
			t.Fatalf("step %d: unknown kind %q", i, ev.Kind)
		}
		check(e, i)
	}
}

// Found by the simulator (seed 19585, docs/testing.md bug 3). Member 1 holds l1 as an HLL
// (made by RENAME while it was partitioned) that wins the type contest, with the expiry writes
// {1:22 EXPIRE at=T, 2:25 PERSIST (aimed at the list)}, so no TTL. Applying member 3's batch
// 3:31, an LPUSH on a later creation of the list that loses too, moves beaten and drops the
// PERSIST write: the expiry writes now give T, but Entry.ExpireAt stayed 0, so member 1
// answered PTTL -1 (and another DEBUG DIGEST) where the others answered the TTL.
//
// testdata/seed19585-member1.json is member 1's whole history in that run (every batch its
// engine sink saw, own and remote, and every state it merged, with its clock), recorded from
// the simulator before the link protocol moved to internal/replication's Receiver (which
// changed what the seed generates). Replaying it on a bare engine keeps the regression
// independent of the simulator's random choices; it fails at the apply of 3:31 without the
// fix in engine.applyOp.
func TestRegressSeed19585ExpiryAfterTypeContest(t *testing.T) {
	replayMember(t, "testdata/seed19585-member1.json", 1, func(e *engine.Engine, step int) {
		e.Lock()
		defer e.Unlock()
		st := e.Store()
		for i := range st.Len() {
			for _, ent := range entriesOf(st.DB(i)) {
				if at, _ := ent.Expiry.At(); ent.Live() && at != ent.ExpireAt {
					t.Fatalf("step %d: key %q expires at %d by its expiry writes but the store has %d",
						step, ent.Name, at, ent.ExpireAt)
				}
			}
		}
	})
}
