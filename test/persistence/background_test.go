package persistence

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// A background save is the data as of BGSAVE although another client keeps writing while it
// is encoded (the engine lock is only taken in slices, keys are copied before they change),
// and the snapshot loads back (the empty-member fast path) to exactly that: the writer pauses
// (with nothing in flight) for BGSAVE and DEBUG DIGEST only, then writes on while the save
// runs; the member is killed after the save and restarted without an AOF. Then the same with BGREWRITEAOF and the AOF: the
// restart has every write, counters counted once.
func TestBackgroundSaveUnderWrites(t *testing.T) {
	for _, cmd := range []string{"BGSAVE", "BGREWRITEAOF"} {
		t.Run(cmd, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"--appendonly", "no"}
			if cmd == "BGREWRITEAOF" {
				args = []string{"--appendonly", "yes", "--appendfsync", "always"}
			}
			s := start(t, dir, args...)
			c := s.Dial(t)
			run(t, c, workload)
			const n = 30_000
			for i := range n {
				c.Send("SET", fmt.Sprintf("key:%d", i), fmt.Sprintf("value:%d", i))
				if i%3 == 0 {
					c.Send("HSET", fmt.Sprintf("h:%d", i%500), fmt.Sprint(i), "v")
				}
			}
			for i := range n + n/3 {
				if r := c.Read(); r.IsError() {
					t.Fatalf("write %d: %s", i, r)
				}
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			var pause sync.Mutex
			writes := writer(t, s, &stop, &wg, &pause)
			for writes.Load() < 10 {
				time.Sleep(time.Millisecond)
			}
			pause.Lock()
			if r := c.DoReply(cmd); !strings.HasPrefix(r.Str, "Background") {
				t.Fatalf("%s: %s", cmd, r)
			}
			atSave := digest(t, c)
			before := writes.Load()
			pause.Unlock()
			if cmd == "BGSAVE" {
				waitInfo(t, c, "rdb_bgsave_in_progress:0")
			} else {
				waitInfo(t, c, "aof_rewrite_in_progress:0")
			}
			stop.Store(true)
			wg.Wait()
			t.Logf("%d writes by another client during %s", writes.Load()-before, cmd)
			if writes.Load() == before {
				t.Fatal("no write happened during the save")
			}
			final := digest(t, c)
			if r := c.DoReply("INFO", "persistence"); !strings.Contains(r.String(), "rdb_last_bgsave_status:ok") {
				t.Fatalf("INFO persistence: %s", r)
			}
			s.Stop() // SIGKILL
			s = start(t, dir, args...)
			c = s.Dial(t)
			want := final
			if cmd == "BGSAVE" {
				want = atSave // no AOF: the snapshot alone, as of BGSAVE
			}
			if got := digest(t, c); got != want {
				t.Fatalf("after restart: digest %s, want %s (at the save %s, before the kill %s)", got, want, atSave, final)
			}
		})
	}
}

// writer keeps writing (overwrites, deletions, counters, hash fields) until stop, holding
// pause for each write; it returns the number of writes acknowledged.
func writer(t *testing.T, s *testserver.Server, stop *atomic.Bool, wg *sync.WaitGroup, pause *sync.Mutex) *atomic.Int64 {
	w := s.Dial(t)
	var n atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			var cmd []string
			switch i % 4 {
			case 0:
				cmd = []string{"SET", fmt.Sprintf("key:%d", i*7%40_000), "new"}
			case 1:
				cmd = []string{"DEL", fmt.Sprintf("key:%d", i*13%30_000)}
			case 2:
				cmd = []string{"INCR", "counter"}
			default:
				cmd = []string{"HINCRBY", fmt.Sprintf("h:%d", i%500), "n", "1"}
			}
			pause.Lock()
			r := w.DoReply(cmd...)
			n.Add(1)
			pause.Unlock()
			if r.IsError() {
				t.Errorf("%q: %s", cmd, r)
				return
			}
		}
	}()
	return &n
}
