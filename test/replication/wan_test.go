package replication

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
)

// writeMix writes n effects of a realistic mix on m, pipelined: a third short strings (SET of
// a 12–16 byte key and a ~12 byte value), a third hash fields (HSET), a third counters (INCRBY).
func writeMix(t *testing.T, m *member, from, n int) {
	t.Helper()
	for i := from; i < from+n; i += 500 {
		p := m.rdb.Pipeline()
		for j := i; j < i+500 && j < from+n; j++ {
			switch j % 3 {
			case 0:
				p.Set(ctx, fmt.Sprintf("user:%d:name", j), fmt.Sprintf("name-%07d", j), 0)
			case 1:
				p.HSet(ctx, fmt.Sprintf("session:%d", j%1000), "last_seen", strconv.Itoa(1_700_000_000+j))
			case 2:
				p.IncrBy(ctx, fmt.Sprintf("counter:%d", j%100), int64(j%7+1))
			}
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWANControlsLive switches compression off with CONFIG SET on a live sending link and
// measures the bytes on the wire per effect of a realistic mix, with and without compression; INFO
// crdt's compression_ratio follows.
func TestWANControlsLive(t *testing.T) {
	c := startCluster(t, 2, common, nil)
	a, b := c.members[0], c.members[1]
	c.waitConverged()
	const n = 30000
	measure := func(from int) float64 {
		before := peerBytesIn(t, b)
		writeMix(t, a, from, n)
		c.waitConverged()
		return float64(peerBytesIn(t, b)-before) / n
	}
	fast := measure(0)
	ratio := regexp.MustCompile(`compression_ratio=(\d+\.\d\d)`)
	g := ratio.FindStringSubmatch(a.info()["crdt_peer0"])
	if g == nil {
		t.Fatalf("no compression_ratio: %s", a.info()["crdt_peer0"])
	}
	if r, _ := strconv.ParseFloat(g[1], 64); r < 2 {
		t.Errorf("compression_ratio %s with S2", g[1])
	}
	if err := a.do("CONFIG", "SET", "crdt-compression", "no").Err(); err != nil {
		t.Fatal(err)
	}
	plain := measure(n)
	if err := a.do("CONFIG", "SET", "crdt-compression", "yes", "crdt-compression-level", "9").Err(); err != nil {
		t.Fatal(err)
	}
	better := measure(2 * n)
	if got, err := a.rdb.ConfigGet(ctx, "crdt-compression-level").Result(); err != nil || got["crdt-compression-level"] != "9" {
		t.Errorf("CONFIG GET: %v %v", got, err)
	}
	if err := a.do("CONFIG", "SET", "crdt-compression-level", "1", "crdt-batch-max-bytes", "262144", "crdt-flush-interval", "20").Err(); err != nil {
		t.Fatal(err)
	}
	batched := measure(3 * n)
	t.Logf("bytes on the wire per effect (mix of SET, HSET, INCRBY; %d effects each): S2 (level 1) %.1f, uncompressed %.1f, zstd level 9 %.1f, S2 with 256 KiB frames and a 20 ms flush %.1f",
		n, fast, plain, better, batched)
	if plain < 2*fast || plain < 2*better {
		t.Errorf("CONFIG SET crdt-compression did not apply live: S2 %.1f, plain %.1f, level 9 %.1f", fast, plain, better)
	}
}
