// Package persistence tests that a real Concord process killed with SIGKILL restarts with
// everything it acknowledged (package persist), against the built binary.
package persistence

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// every type of value there is, with the commands that make CRDT metadata interesting
// (counters, removals, expiry, transactions, several databases).
var workload = [][]string{
	{"SET", "s1", "hello"},
	{"SET", "s2", "x", "PX", "99999999"},
	{"INCRBY", "n", "5"},
	{"INCRBYFLOAT", "f", "1.5"},
	{"APPEND", "s1", " world"},
	{"SETRANGE", "s3", "3", "abc"},
	{"SETBIT", "bits", "100", "1"},
	{"SADD", "set", "a", "b", "c"},
	{"SREM", "set", "b"},
	{"HSET", "h", "f1", "v1", "f2", "v2"},
	{"HINCRBY", "h", "cnt", "7"},
	{"HINCRBYFLOAT", "h", "fl", "0.25"},
	{"HDEL", "h", "f2"},
	{"ZADD", "z", "1", "one", "2", "two", "3", "three"},
	{"ZINCRBY", "z", "10", "one"},
	{"ZREM", "z", "two"},
	{"RPUSH", "l", "a", "b", "c", "d"},
	{"LPOP", "l"},
	{"LSET", "l", "0", "B"},
	{"LINSERT", "l", "BEFORE", "c", "bc"},
	{"PFADD", "hll", "x", "y", "z"},
	{"GEOADD", "geo", "13.361389", "38.115556", "Palermo"},
	{"EXPIRE", "set", "100000"},
	{"SET", "gone", "1"},
	{"DEL", "gone"},
	{"MULTI"},
	{"SET", "tx1", "1"},
	{"INCR", "n"},
	{"EXEC"},
	{"SELECT", "3"},
	{"SET", "db3", "v"},
	{"SELECT", "0"},
}

func start(t *testing.T, dir string, args ...string) *testserver.Server {
	t.Helper()
	a := append([]string{"--dir", dir, "--enable-debug-command", "yes", "--save", ""}, args...)
	return testserver.StartConcord(t, a...)
}

func run(t *testing.T, c *testserver.Conn, cmds [][]string) {
	t.Helper()
	for _, cmd := range cmds {
		if r := c.DoReply(cmd...); r.IsError() {
			t.Fatalf("%q: %s", cmd, r)
		}
	}
}

func digest(t *testing.T, c *testserver.Conn) string {
	t.Helper()
	r := c.DoReply("DEBUG", "DIGEST")
	if r.IsError() || r.String() == "" {
		t.Fatalf("DEBUG DIGEST: %s", r)
	}
	return r.String()
}

// Keys of every type, written with appendfsync always, are all back after kill -9, with the
// same DEBUG DIGEST; then again after a BGREWRITEAOF (snapshot + compacted AOF) and a kill -9.
func TestKillRestart(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", "always"}
	s := start(t, dir, args...)
	c := s.Dial(t)
	run(t, c, workload)
	for i := range 500 { // some volume, pipelined
		c.Send("SET", fmt.Sprintf("key:%d", i), strings.Repeat("v", i%50))
	}
	for range 500 {
		if r := c.Read(); r.IsError() {
			t.Fatal(r)
		}
	}
	want := digest(t, c)
	s.Stop() // SIGKILL

	s = start(t, dir, args...)
	c = s.Dial(t)
	if got := digest(t, c); got != want {
		t.Fatalf("after kill -9: digest %s, want %s", got, want)
	}
	if r := c.DoReply("DBSIZE"); r.String() == "" {
		t.Fatal(r)
	}
	if r := c.DoReply("BGREWRITEAOF"); r.Str != "Background append only file rewriting started" {
		t.Fatalf("BGREWRITEAOF: %s", r)
	}
	waitInfo(t, c, "aof_rewrite_in_progress:0")
	run(t, c, [][]string{{"SET", "after-rewrite", "1"}, {"SADD", "set", "d"}})
	want = digest(t, c)
	s.Stop()

	s = start(t, dir, args...)
	c = s.Dial(t)
	if got := digest(t, c); got != want {
		t.Fatalf("after rewrite and kill -9: digest %s, want %s", got, want)
	}
	// A snapshot alone (appendonly no) brings the data back too.
	run(t, c, [][]string{{"SAVE"}})
	s.Stop()
	s = start(t, dir)
	if got := digest(t, s.Dial(t)); got != want {
		t.Fatalf("from the snapshot alone: digest %s, want %s", got, want)
	}
}

func waitInfo(t *testing.T, c *testserver.Conn, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(c.DoReply("INFO", "persistence").String(), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("INFO persistence never said %s", want)
}

// Clients write concurrently while the process is killed: every write that was acknowledged
// is there after the restart, with both fsync policies (a kill keeps the page cache).
func TestKillUnderLoad(t *testing.T) {
	for _, policy := range []string{"always", "everysec"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"--appendonly", "yes", "--appendfsync", policy}
			s := start(t, dir, args...)
			var mu sync.Mutex
			acked := map[string]string{}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for w := range 4 {
				c := s.Dial(t)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						k, v := fmt.Sprintf("w%d:%d", w, i), fmt.Sprint(i)
						r, err := c.DoErr("SET", k, v)
						if err != nil {
							return // killed
						}
						if string(r) == "+OK\r\n" {
							mu.Lock()
							acked[k] = v
							mu.Unlock()
						}
					}
				}()
			}
			time.Sleep(700 * time.Millisecond)
			s.Stop()
			close(stop)
			wg.Wait()
			if len(acked) < 10 {
				t.Fatalf("only %d writes acknowledged before the kill", len(acked))
			}
			s = start(t, dir, args...)
			c := s.Dial(t)
			for k, v := range acked {
				if r := c.DoReply("GET", k); r.Str != v {
					t.Fatalf("acknowledged %s=%s, after restart %s (%d acknowledged)", k, v, r, len(acked))
				}
			}
			t.Logf("%s: %d acknowledged writes, all present", policy, len(acked))
		})
	}
}

// SHUTDOWN saves a snapshot when save points are configured (Redis's default), so a member
// without an append-only file restarts with its data; SHUTDOWN NOSAVE does not.
func TestShutdownSaves(t *testing.T) {
	dir := t.TempDir()
	s := testserver.StartConcord(t, "--dir", dir, "--enable-debug-command", "yes") // default save points
	c := s.Dial(t)
	run(t, c, workload)
	want := digest(t, c)
	c.Send("SHUTDOWN")
	c.ReadAll(2 * time.Second)
	waitExit(t, s)
	s = testserver.StartConcord(t, "--dir", dir, "--enable-debug-command", "yes") // default save points
	c = s.Dial(t)
	if got := digest(t, c); got != want {
		t.Fatalf("after SHUTDOWN: digest %s, want %s", got, want)
	}
	run(t, c, [][]string{{"SET", "not-saved", "1"}})
	c.Send("SHUTDOWN", "NOSAVE")
	c.ReadAll(2 * time.Second)
	waitExit(t, s)
	s = testserver.StartConcord(t, "--dir", dir, "--enable-debug-command", "yes") // default save points
	if got := digest(t, s.Dial(t)); got != want {
		t.Fatalf("after SHUTDOWN NOSAVE: digest %s, want %s", got, want)
	}
}

func waitExit(t *testing.T, s *testserver.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !s.Exited() {
		if time.Now().After(deadline) {
			t.Fatal("the member did not stop")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
