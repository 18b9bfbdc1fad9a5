package replication

import (
	"strconv"
	"sync"
	"testing"
)

// A script's writes replicate as the effects it produced, never as the script (semantics.md
// §7): a script whose increment and member depend on TIME (different on every member and
// every run) still converges. Both members run it concurrently while their link is cut, so
// neither sees the other's writes until the heal.
const randomScript = `
local t = redis.call('TIME')
local n = tonumber(t[2]) % 97 + 1
redis.call('INCRBY', KEYS[1], n)
redis.call('SADD', KEYS[2], 'm' .. n)
return n`

func TestRandomScriptConverges(t *testing.T) {
	c := startCluster(t, 2, common, nil)
	m1, m2 := c.members[0], c.members[1]
	c.cut(m1.id, m2.id, true)
	const runs = 200
	var mu sync.Mutex
	sum := int64(0)
	members := map[string]bool{}
	var wg sync.WaitGroup
	for _, m := range []*member{m1, m2} {
		wg.Go(func() {
			for range runs {
				n, err := m.do("EVAL", randomScript, 2, "counter", "picked").Int64()
				if err != nil {
					t.Errorf("member %d EVAL: %v", m.id, err)
					return
				}
				mu.Lock()
				sum += n
				members["m"+strconv.FormatInt(n, 10)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	c.cut(m1.id, m2.id, false)
	c.waitConverged()
	for _, m := range []*member{m1, m2} {
		got, err := m.do("GET", "counter").Int64()
		if err != nil || got != sum {
			t.Errorf("member %d: counter %d (%v), want the sum of every script's increment %d", m.id, got, err, sum)
		}
		n, err := m.do("SCARD", "picked").Int64()
		if err != nil || n != int64(len(members)) {
			t.Errorf("member %d: SCARD %d (%v), want %d", m.id, n, err, len(members))
		}
	}
	if d := c.digests(); !allEqual(d) {
		t.Fatalf("DEBUG DIGEST differs: %v", d)
	}
}
