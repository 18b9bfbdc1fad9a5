package engine

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/store"
)

// The state merge and collection tests again, with the data types contesting the same keys
// (strings, sets and hashes as in state_test.go, plus sorted sets, lists and HyperLogLogs,
// written with those types' test helpers). HyperLogLogs' deletions win over concurrent adds
// whatever the key holds meanwhile (crdt/deletions.go).

func allTypesOps(r *rand.Rand, ms []*member, n int) {
	keys := []string{"k1", "k2", "k3"}
	for range n {
		m := ms[r.IntN(len(ms))]
		k := keys[r.IntN(len(keys))]
		switch r.IntN(9) {
		case 0:
			m.zadd(k, float64(r.IntN(5)), []string{"a", "b"}[r.IntN(2)])
		case 1:
			m.zincr(k, []string{"a", "b"}[r.IntN(2)], float64(r.IntN(3)))
		case 2:
			m.zrem(k, "a")
		case 3:
			m.push(k, r.IntN(2) == 0, []string{"x", "y"}[r.IntN(2)])
		case 4:
			m.pop(k, r.IntN(2) == 0)
		case 5:
			m.pfadd(k, []string{"x", "y", "z"}[r.IntN(3)])
		case 6:
			m.pfmerge(k, keys[r.IntN(len(keys))])
		default:
			randomOps(r, ms, 2)
		}
	}
}

// dumpAll is dump with every type rendered.
func dumpAll(m *member) string {
	m.e.Lock()
	var names []string
	types := map[string]crdt.Type{}
	m.e.Store().DB(0).Each(func(ent *store.Entry) bool {
		names = append(names, ent.Name)
		types[ent.Name] = ent.Type()
		return true
	})
	m.e.Unlock()
	slices.Sort(names)
	var lines []string
	for _, k := range names {
		switch types[k] {
		case crdt.TypeZSet:
			lines = append(lines, k+" "+m.zshow(k))
		case crdt.TypeList:
			lines = append(lines, k+" "+m.lrange(k))
		case crdt.TypeHLL:
			lines = append(lines, k+" hll "+m.pfcount(k))
		}
	}
	return dump(m) + "\n" + strings.Join(lines, "\n")
}

func TestAllTypesMergeAndCollect(t *testing.T) {
	for seed := range uint64(seedCount(150)) {
		r := rand.New(rand.NewPCG(seed, 123))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		allTypesOps(r, ms, 60)
		all := applied(ms, ms...)
		ref := dumpAll(replay(t, r, 20, all))
		if got := dumpAll(replay(t, r, 21, all)); got != ref {
			t.Fatalf("seed %d: causal orders disagree:\n%s\nvs\n%s", seed, got, ref)
		}
		a, b := ms[0], ms[1]
		want := dumpAll(replay(t, r, 22, applied(ms, a, b)))
		vcB, stB := export(b)
		mergeInto(t, a, vcB, stB)
		if got := dumpAll(a); got != want {
			t.Fatalf("seed %d: after merge:\n%s\nunion of histories:\n%s", seed, got, want)
		}
		allTypesOps(r, ms, 30)
		syncAll(ms)
		for range 3 {
			var ovcs []clock.Vector
			for _, m := range ms {
				m.e.Lock()
				ovcs = append(ovcs, m.e.Vector())
				m.e.Unlock()
			}
			for _, m := range ms {
				m.e.Lock()
				m.e.CollectGarbage(ovcs)
				m.e.Unlock()
			}
		}
		allTypesOps(r, ms, 30)
		syncAll(ms)
		final := dumpAll(replay(t, r, 23, applied(ms, ms...)))
		for i, m := range ms {
			if got := dumpAll(m); got != final {
				t.Fatalf("seed %d: member %d:\n%s\nreplay of everything:\n%s", seed, i+1, got, final)
			}
		}
	}
}
