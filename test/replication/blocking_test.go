package replication

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A blocking pop on one member wakes on a push made on another, applied through replication
// (semantics.md §5), and the pop it serves replicates back: both members end with the list empty.
func TestBlockingPopWakesOnRemotePush(t *testing.T) {
	c := startCluster(t, 2, common, nil)
	c.waitConverged()
	m1, m2 := c.members[0], c.members[1]
	type result struct {
		vals []string
		err  error
	}
	lists := make(chan result, 1)
	go func() { v, err := m2.rdb.BLPop(ctx, 0, "jobs").Result(); lists <- result{v, err} }()
	zsets := make(chan result, 1)
	go func() {
		z, err := m2.rdb.BZPopMin(ctx, 0, "zjobs").Result()
		if err != nil {
			zsets <- result{nil, err}
			return
		}
		zsets <- result{[]string{z.Key, fmt.Sprint(z.Member), fmt.Sprint(z.Score)}, nil}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := m2.rdb.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(info, "blocked_clients:2\r\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("member 2 never had both clients blocked: %q", info)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := m1.do("RPUSH", "jobs", "j1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := m1.do("ZADD", "zjobs", "3", "z1").Err(); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan result{"BLPOP": lists, "BZPOPMIN": zsets} {
		select {
		case r := <-ch:
			want := map[string]string{"BLPOP": "[jobs j1]", "BZPOPMIN": "[zjobs z1 3]"}[name]
			if r.err != nil || fmt.Sprint(r.vals) != want {
				t.Fatalf("%s on member 2: %v %v, want %s", name, r.vals, r.err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s on member 2 was not woken by the push on member 1", name)
		}
	}
	c.waitConverged()
	for _, m := range c.members {
		if n, err := m.do("EXISTS", "jobs", "zjobs").Int(); err != nil || n != 0 {
			t.Fatalf("member %d: EXISTS jobs zjobs = %v %v after the pops replicated", m.id, n, err)
		}
	}
}
