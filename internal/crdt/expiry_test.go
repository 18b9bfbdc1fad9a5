package crdt

import (
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

func at(m clock.MemberID, seq uint64, deps ...uint64) Observed {
	o := Observed{Self: clock.Dot{Member: m, Seq: seq}}
	for i, s := range deps {
		o.Deps = o.Deps.Set(clock.MemberID(i+1), s)
	}
	return o
}

type write struct {
	at  int64
	obs Observed
}

func TestExpiryRules(t *testing.T) {
	tests := []struct {
		name      string
		writes    []write
		wantAt    int64
		wantOwner clock.MemberID
	}{
		{"nothing written", nil, 0, 0},
		{"one TTL", []write{{10, at(1, 1)}}, 10, 1},
		{"concurrent: longest wins", []write{{10, at(1, 1)}, {50, at(2, 1)}}, 50, 2},
		{"concurrent: PERSIST beats every TTL", []write{{10, at(1, 1)}, {50, at(2, 1)}, {0, at(3, 1)}}, 0, 3},
		{"causal: later replaces", []write{{50, at(1, 1)}, {10, at(2, 1, 1)}}, 10, 2},
		{"causal: TTL after PERSIST", []write{{0, at(1, 1)}, {20, at(1, 2)}}, 20, 1},
		{"exact tie: smaller member owns", []write{{30, at(2, 1)}, {30, at(1, 1)}}, 30, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every order of concurrent writes gives the same result.
			for _, order := range permutations(len(tt.writes)) {
				if !causal(tt.writes, order) {
					continue // delivery is causal: other orders never happen
				}
				var e Expiry
				for _, i := range order {
					e.Write(tt.writes[i].at, tt.writes[i].obs)
				}
				gotAt, gotOwner := e.At()
				if gotAt != tt.wantAt || gotOwner != tt.wantOwner {
					t.Fatalf("order %v: got (%d, %d), want (%d, %d)", order, gotAt, gotOwner, tt.wantAt, tt.wantOwner)
				}
			}
		})
	}
}

func TestExpiryRemoveIsObserved(t *testing.T) {
	var e Expiry
	e.Write(10, at(1, 1))
	e.Write(50, at(2, 1)) // concurrent with the removal below
	e.Remove(at(3, 1, 1)) // saw member 1's write only
	if got, owner := e.At(); got != 50 || owner != 2 {
		t.Fatalf("after observed remove: %d owner %d", got, owner)
	}
	c := e.Clone()
	e.Remove(at(3, 2, 1, 1))
	if e.Written() || !c.Written() {
		t.Fatal("clone shares state")
	}
}

// causal reports whether order applies each write after the writes it observed.
func causal(ws []write, order []int) bool {
	pos := map[int]int{}
	for p, i := range order {
		pos[i] = p
	}
	for i, w := range ws {
		for j, v := range ws {
			if i != j && w.obs.Covers(v.obs.Self) && pos[j] > pos[i] {
				return false
			}
		}
	}
	return true
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int(nil), p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}
