package crdt

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
)

// Expiry writes applied in any causal order give the same result (property test).
func TestExpiryConvergesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "writes")
		type w struct {
			at  int64
			obs Observed
		}
		var ws []w
		var seen clock.Vector // what member 1 (the writer of causally ordered writes) has seen
		for i := range n {
			m := clock.MemberID(rapid.IntRange(1, 3).Draw(t, "member"))
			at := int64(rapid.SampledFrom([]int64{0, 10, 20, 30}).Draw(t, "at"))
			obs := Observed{Self: clock.Dot{Member: m, Seq: uint64(i + 1)}}
			if rapid.Bool().Draw(t, "sawEarlier") {
				obs.Deps = seen.Clone()
			}
			seen = seen.Set(m, uint64(i+1))
			ws = append(ws, w{at, obs})
		}
		var ref *Expiry
		for range 4 {
			order := rapid.Permutation(indexes(len(ws))).Draw(t, "order")
			if !causalOrder(order, func(i, j int) bool { return ws[i].obs.Covers(ws[j].obs.Self) }) {
				continue
			}
			var e Expiry
			for _, i := range order {
				e.Write(ws[i].at, ws[i].obs)
			}
			if ref == nil {
				ref = &e
				continue
			}
			a1, o1 := ref.At()
			a2, o2 := e.At()
			if a1 != a2 || o1 != o2 {
				t.Fatalf("orders disagree: (%d,%d) vs (%d,%d)", a1, o1, a2, o2)
			}
		}
	})
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// causalOrder reports whether order puts j before i whenever i saw j.
func causalOrder(order []int, saw func(i, j int) bool) bool {
	pos := make(map[int]int, len(order))
	for p, i := range order {
		pos[i] = p
	}
	for _, i := range order {
		for _, j := range order {
			if i != j && saw(i, j) && pos[j] > pos[i] {
				return false
			}
		}
	}
	return true
}
