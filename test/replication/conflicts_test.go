package replication

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// conflictsOf returns m's CRDT.CONFLICTS entries (field → value), newest first.
func conflictsOf(t *testing.T, m *member, args ...any) []map[string]string {
	t.Helper()
	res, err := m.do(append([]any{"CRDT.CONFLICTS", "COUNT", 100}, args...)...).Slice()
	if err != nil {
		t.Fatalf("member %d CRDT.CONFLICTS: %v", m.id, err)
	}
	var out []map[string]string
	for _, e := range res {
		c := map[string]string{}
		switch kv := e.(type) {
		case []any: // RESP2: a flat array of fields and values
			for i := 0; i+1 < len(kv); i += 2 {
				c[fmt.Sprint(kv[i])] = fmt.Sprint(kv[i+1])
			}
		case map[any]any: // RESP3: a map
			for k, v := range kv {
				c[fmt.Sprint(k)] = fmt.Sprint(v)
			}
		}
		out = append(out, c)
	}
	return out
}

// findConflict returns the first conflict on key (and element) with rule, or nil.
func findConflict(cs []map[string]string, key, elem, rule string) map[string]string {
	for _, c := range cs {
		if c["key"] == key && c["element"] == elem && c["rule"] == rule {
			return c
		}
	}
	return nil
}

// scrape reads m's /metrics and returns the samples (name{labels} → value).
func scrape(t *testing.T, port int) map[string]float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q", line)
		}
		out[line[:i]] = v
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return out
}

// TestConflictsAcrossMembers re-enacts the conflict timelines of the shared scenarios
// (strings-lww, sets, hashes, zsets) with the link between two members cut, then reads
// CRDT.CONFLICTS on both and checks the rule and the winner, and that /metrics counts them and
// shows the lag while the link is cut.
func TestConflictsAcrossMembers(t *testing.T) {
	mp := [3]int{0, freePort(t), freePort(t)}
	c := startCluster(t, 2, common, map[int][]string{
		1: {"--metrics-port", strconv.Itoa(mp[1])}, 2: {"--metrics-port", strconv.Itoa(mp[2])}})
	a, b := c.members[0], c.members[1]
	a.do("SET", "s", "base")
	a.do("SADD", "set", "x", "y")
	a.do("HSET", "h", "f", "v0", "g", "v0")
	a.do("ZADD", "z", 1, "m", 1, "n")
	a.do("ZADD", "z3", 1.1, "x")
	a.do("ZADD", "z4", 4.1, "x", 1, "y")
	a.do("SADD", "d", "e1")
	c.waitConverged()

	c.cut(1, 2, true)
	a.do("SET", "s", "from-a")
	b.do("SREM", "set", "x") // ∥ a's SADD x below: add-wins
	a.do("SADD", "set", "x")
	b.do("HDEL", "h", "f") // ∥ a's HSET f: add-wins
	a.do("HSET", "h", "f", "va")
	a.do("ZADD", "z", 1.1, "m")
	a.do("SADD", "typed", "e")       // ∥ b's SET typed: type conflict
	a.do("EXPIRE", "s", 1000)        // ∥ b's SET s (no TTL): expiry contest
	a.do("ZINCRBY", "z3", 1, "x")    // ∥ b's ZINCRBY: contributions add up, no conflict
	a.do("ZREM", "z4", "x")          // ∥ b's ZINCRBY: add-wins
	a.do("DEL", "d")                 // ∥ b's SADD: the set survives with e2 only
	time.Sleep(5 * time.Millisecond) // b's writes get the later timestamps
	b.do("ZINCRBY", "z3", 1, "x")
	b.do("ZINCRBY", "z4", 2, "x")
	b.do("SADD", "d", "e2")
	b.do("SET", "s", "from-b")
	b.do("ZADD", "z", 2.1, "m")
	b.do("SET", "typed", "str")

	// While the link is cut, a's writes are not acknowledged by b: lag shows on a.
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := scrape(t, mp[1])
		if m[`concord_peer_lag_milliseconds{name="m2",peer="2"}`] > 0 && m[`concord_ops_lag{bound="max"}`] >= 7 &&
			m[`concord_peer_up{name="m2",peer="2"}`] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lag not visible while cut: lag=%v ops=%v up=%v", m[`concord_peer_lag_milliseconds{name="m2",peer="2"}`],
				m[`concord_ops_lag{bound="max"}`], m[`concord_peer_up{name="m2",peer="2"}`])
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.cut(1, 2, false)
	c.waitConverged()

	for _, m := range c.members {
		if got, _ := m.do("GET", "s").Text(); got != "from-b" {
			t.Errorf("member %d: s = %q", m.id, got)
		}
	}
	ca, cb := conflictsOf(t, a), conflictsOf(t, b)
	check := func(cs []map[string]string, who int, key, elem, rule, winner, loserValue string) {
		t.Helper()
		cf := findConflict(cs, key, elem, rule)
		if cf == nil {
			t.Errorf("member %d: no %s conflict on %s/%s in %v", who, rule, key, elem, cs)
			return
		}
		if cf["winner-member"] != winner || (loserValue != "" && cf["loser-value"] != loserValue) {
			t.Errorf("member %d: %s conflict on %s/%s: %v", who, rule, key, elem, cf)
		}
	}
	// Register conflicts are seen by both members, whichever write arrives second.
	check(ca, 1, "s", "", "lww", "2", "from-a")
	check(cb, 2, "s", "", "lww", "2", "from-a")
	check(ca, 1, "z", "m", "lww", "2", "1.1000000000000001")
	check(cb, 2, "z", "m", "lww", "2", "1.1000000000000001")
	check(ca, 1, "typed", "", "type-conflict", "2", "set")
	check(cb, 2, "typed", "", "type-conflict", "2", "set")
	// b's SET s (no TTL) beats a's EXPIRE: PERSIST beats every TTL.
	check(ca, 1, "s", "", "expiry", "2", "")
	check(cb, 2, "s", "", "expiry", "2", "")
	// Add-wins is recorded where the removal arrives after the add it lost to: on a.
	check(ca, 1, "set", "x", "add-wins", "1", "")
	check(ca, 1, "h", "f", "add-wins", "1", "")
	// ZREM ∥ ZINCRBY and DEL ∥ SADD: recorded by b, where the removal arrives second.
	check(cb, 2, "z4", "x", "add-wins", "2", "")
	check(cb, 2, "d", "", "add-wins", "0", "")
	for _, cs := range [][]map[string]string{ca, cb} {
		for _, cf := range cs {
			if cf["key"] == "z3" {
				t.Errorf("concurrent ZINCRBYs are no conflict: %v", cf)
			}
		}
	}
	if got, err := b.rdb.ZScore(ctx, "z3", "x").Result(); err != nil || got < 3.09 || got > 3.11 {
		t.Errorf("z3 x = %v %v", got, err)
	}
	if got := conflictsOf(t, a, "KEY", "se?"); len(got) != 1 || got[0]["key"] != "set" {
		t.Errorf("KEY se?: %v", got)
	}

	// concord status --once shows the peer and the conflicts.
	out, err := exec.Command(testserver.ConcordBinary(t), "status", "--addr", fmt.Sprintf("127.0.0.1:%d", a.port),
		"--once", "--interval", "200ms").CombinedOutput()
	if err != nil {
		t.Fatalf("concord status: %v\n%s", err, out)
	}
	for _, want := range []string{"member 1 (m1)", "conflicts ", "commands/s", "PEER", "m2", "connected",
		"COMPRESSION", "RECENT CONFLICTS", "set x", "add-wins", "type-conflict", `"from-a"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("concord status lacks %q:\n%s", want, out)
		}
	}

	m := scrape(t, mp[1])
	for _, s := range []string{
		`concord_conflicts_total{rule="lww",type="string"}`,
		`concord_conflicts_total{rule="lww",type="zset"}`,
		`concord_conflicts_total{rule="add-wins",type="set"}`,
		`concord_conflicts_total{rule="add-wins",type="hash"}`,
		`concord_conflicts_total{rule="type-conflict",type="string"}`,
		`concord_conflicts_total{rule="expiry",type="string"}`,
	} {
		if m[s] < 1 {
			t.Errorf("%s = %v", s, m[s])
		}
	}
	for _, s := range []string{`concord_commands_total{command="set"}`, `concord_effects_total{origin="remote"}`,
		`concord_peer_up{name="m2",peer="2"}`, `concord_resyncs_total{kind="partial_ok"}`} {
		if m[s] < 1 {
			t.Errorf("%s = %v", s, m[s])
		}
	}
	deadline = time.Now().Add(5 * time.Second)
	for m[`concord_peer_lag_milliseconds{name="m2",peer="2"}`] != 0 || m[`concord_ops_lag{bound="max"}`] != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("lag after heal: %v", m[`concord_peer_lag_milliseconds{name="m2",peer="2"}`])
		}
		time.Sleep(50 * time.Millisecond)
		m = scrape(t, mp[1])
	}
}
