package replication

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFullResyncReportsConflicts: two members write concurrently while their link is cut, and
// each writes enough more to evict the other's missing batches from its backlog, so that the
// link heals with full resyncs (state merges). The conflicts those merges resolve are in
// CRDT.CONFLICTS on the receiving members, with the rule and winner the effect path gives
// (TestConflictsAcrossMembers). The link heals one way first: m2 merges m1's state while m1
// still holds its own side of every conflict; then m1 merges m2's, which by then has seen m1's
// writes. A state keeps no record of what a creation had observed, so that second merge cannot
// tell the type conflict (m2 recorded it); the register and expiry conflicts it does.
func TestFullResyncReportsConflicts(t *testing.T) {
	c := startCluster(t, 2, append(common, "--crdt-backlog-size", "16kb"), nil)
	a, b := c.members[0], c.members[1]
	a.do("SET", "s", "base")
	a.do("HSET", "h", "f", "v0", "g", "v0")
	a.do("SET", "e", "v")
	c.waitConverged()

	c.cut(1, 2, true)
	a.do("SET", "s", "from-a")
	a.do("HSET", "h", "f", "va")
	a.do("SADD", "typed", "x")
	a.do("EXPIRE", "e", 100000)
	time.Sleep(5 * time.Millisecond) // b's writes get the later timestamps
	b.do("SET", "s", "from-b")
	b.do("HSET", "h", "f", "vb")
	b.do("SET", "typed", "str")
	b.do("EXPIRE", "e", 50000)
	fill := strings.Repeat("v", 200)
	for i := range 300 { // 60 KB each: past the 16 KB backlogs
		a.do("SET", "fill-a-"+strconv.Itoa(i), fill)
		b.do("SET", "fill-b-"+strconv.Itoa(i), fill)
	}

	check := func(m *member, key, elem, rule, winner, loserValue string) {
		t.Helper()
		cs := conflictsOf(t, m)
		cf := findConflict(cs, key, elem, rule)
		if cf == nil {
			t.Errorf("member %d: no %s conflict on %s/%s in %v", m.id, rule, key, elem, cs)
			return
		}
		if cf["winner-member"] != winner || (loserValue != "" && cf["loser-value"] != loserValue) {
			t.Errorf("member %d: %s conflict on %s/%s: %v", m.id, rule, key, elem, cf)
		}
	}
	c.links[[2]int{2, 1}].Heal() // m2 pulls from m1 again; m1 still cannot reach m2
	deadline := time.Now().Add(20 * time.Second)
	for b.infoInt("crdt_merge_reqs") == 0 || b.do("EXISTS", "fill-a-299").Val() != int64(1) {
		if time.Now().After(deadline) {
			t.Fatalf("m2 did not merge m1's state: merge_reqs=%d sync_full=%d", b.infoInt("crdt_merge_reqs"),
				a.infoInt("crdt_sync_full"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	check(b, "s", "", "lww", "2", "from-a")
	check(b, "h", "f", "lww", "2", "va")
	check(b, "typed", "", "type-conflict", "2", "set")
	check(b, "e", "", "expiry", "1", "") // the longest TTL wins

	c.cut(1, 2, false)
	c.waitConverged()
	if a.infoInt("crdt_merge_reqs") == 0 {
		t.Fatalf("m1 merged no state (m2's sync_full=%d): no full resync", b.infoInt("crdt_sync_full"))
	}
	check(a, "s", "", "lww", "2", "from-a")
	check(a, "h", "f", "lww", "2", "va")
	check(a, "e", "", "expiry", "1", "")
	for _, m := range c.members {
		if got, _ := m.do("GET", "s").Text(); got != "from-b" {
			t.Errorf("member %d: s = %q", m.id, got)
		}
		for _, cf := range conflictsOf(t, m) {
			if strings.HasPrefix(cf["key"], "fill-") || (cf["key"] == "h" && cf["element"] == "g") {
				t.Errorf("member %d: conflict without concurrency: %v", m.id, cf)
			}
		}
	}
}
