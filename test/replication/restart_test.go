package replication

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/concord-db/concord/test/testserver"
)

// The startup gate (internal/replication/startup.go, docs/design/replication.md "Restarts"):
// a member that restarts without its own earlier batches refuses writes until it has them
// back from its peers, so that it never reuses a sequence number a peer already applied.

// startNoWait starts m's process without waiting for PING, which the member refuses while it
// syncs; it waits only until the client port answers (with anything).
func (m *member) startNoWait() {
	t := m.t
	t.Helper()
	m.cmd = exec.Command(testserver.ConcordBinary(t), m.args...)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(m.cmd, m.done)
	t.Cleanup(func() {
		m.kill()
		if t.Failed() {
			t.Logf("member %d log:\n%s", m.id, m.log.String())
		}
	})
	m.rdb = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", m.port), MaxRetries: -1})
	t.Cleanup(func() { m.rdb.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := m.rdb.Ping(context.Background()).Err()
		if err == nil || strings.HasPrefix(err.Error(), "LOADING") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %d did not start:\n%s", m.id, m.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isLoading(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "LOADING Redis is loading the dataset in memory")
}

// wipe deletes a member's data directory: it comes back with no files.
func (m *member) wipe() {
	m.t.Helper()
	if err := os.RemoveAll(m.dir); err != nil {
		m.t.Fatal(err)
	}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		m.t.Fatal(err)
	}
}

// silentListener accepts connections and never answers (a peer that hangs).
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	closed := false
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		closed = true
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				c.Close()
			} else {
				held = append(held, c)
			}
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

func TestRestartedMemberRefusesWritesUntilItHasItsOwnBatches(t *testing.T) {
	// A restarts without its files while its pulls from B hang (B's peer port seems to accept
	// and never answer), so it cannot get its batches back; B, pulling from A, reports A's
	// sequence numbers, which keeps A refusing writes. When A can pull again, it gets its
	// batches, accepts writes with sequence numbers after the old ones, and B has A's old and
	// new writes.
	c := startCluster(t, 2, common, nil)
	a, b := c.members[0], c.members[1]
	const n = 50
	for i := range n {
		if err := a.do("SET", "old:"+strconv.Itoa(i), "a").Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.waitConverged()

	a.kill()
	a.wipe()
	toB := c.links[[2]int{1, 2}]
	toB.Retarget(silentListener(t))
	a.startNoWait()

	// Until B has pulled from A (so A has B's report) and for 1.5 s more, writes are refused.
	start := time.Now()
	var reported time.Time
	early := false // a write accepted too early (the bug): it must not be lost either
	for reported.IsZero() || time.Since(reported) < 1500*time.Millisecond {
		if err := a.do("SET", "early", "x").Err(); !isLoading(err) {
			t.Errorf("write while syncing (%v after start): err = %v, want LOADING", time.Since(start), err)
			early = err == nil
			break
		}
		if err := a.do("GET", "old:1").Err(); err != nil && err != redis.Nil {
			t.Fatalf("read while syncing: %v", err)
		}
		if reported.IsZero() && strings.Contains(b.info()["crdt_peer0"], "state=connected") {
			reported = time.Now()
			t.Logf("B pulls from A again %v after A started", reported.Sub(start))
		}
		if time.Since(start) > 15*time.Second {
			t.Fatal("B never reconnected to A")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.rdb.Ping(ctx).Err(); !isLoading(err) {
		t.Errorf("PING while syncing: %v, want LOADING (as Redis while loading)", err)
	}
	// A write queued in MULTI makes EXEC discard the transaction.
	pipe := a.rdb.TxPipeline()
	pipe.Set(ctx, "tx", "1", 0)
	if _, err := pipe.Exec(ctx); err == nil || !strings.Contains(err.Error(), "EXECABORT") {
		t.Errorf("MULTI/SET/EXEC while syncing: %v, want EXECABORT", err)
	}

	toB.Retarget(fmt.Sprintf("127.0.0.1:%d", b.peerPort))
	healed := time.Now()
	var gate time.Duration
	for {
		err := a.do("SET", "new:0", "a").Err()
		if err == nil {
			gate = time.Since(healed)
			break
		}
		if !isLoading(err) {
			t.Fatalf("write after heal: %v", err)
		}
		if time.Since(healed) > 20*time.Second {
			t.Fatal("member never left the syncing state")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("writes accepted %v after the link healed", gate)
	if got := a.infoInt("crdt_clock"); got != n+1 && !early {
		t.Errorf("A's clock after its first new write = %d, want %d (after its %d old batches)", got, n+1, n)
	}
	for i := 1; i < 10; i++ {
		a.do("SET", "new:"+strconv.Itoa(i), "a")
	}
	// B gets A's new writes (checked before convergence, which a lost batch can prevent).
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got, _ := b.do("GET", "new:9").Text(); got == "a" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if early {
		if got, _ := b.do("GET", "early").Text(); got != "x" {
			t.Errorf("B lost the write A accepted while syncing (%q)", got)
		}
	}
	for i := range 10 {
		if got, _ := b.do("GET", "new:"+strconv.Itoa(i)).Text(); got != "a" {
			t.Errorf("B lost A's new write new:%d (%q): a reused sequence number was dropped as a duplicate", i, got)
		}
	}
	for i := range n {
		if got, _ := a.do("GET", "old:"+strconv.Itoa(i)).Text(); got != "a" {
			t.Errorf("A did not get back its old write old:%d (%q)", i, got)
		}
	}
	c.waitConverged()
	if f := b.infoInt("crdt_ovc_filtered_effect_reqs"); f != 0 {
		t.Errorf("B dropped %d batches as duplicates", f)
	}
	if d := c.digests(); !allEqual(d) {
		t.Errorf("digests differ: %v", d)
	}
}

var syncedIn = regexp.MustCompile(`in sync with peers: accepting writes.*synced_in_ms=(\d+)`)

func TestRestartWithPeersUpSyncsQuickly(t *testing.T) {
	// The common case, measured: A is killed and restarts without files while B is up.
	c := startCluster(t, 2, common, nil)
	a, b := c.members[0], c.members[1]
	for i := range 1000 {
		a.do("SET", "old:"+strconv.Itoa(i), "a")
	}
	c.waitConverged()
	var worst time.Duration
	for round := range 3 {
		a.kill()
		a.wipe()
		start := time.Now()
		a.startNoWait()
		up := time.Since(start)
		for {
			err := a.do("SET", "new:"+strconv.Itoa(round), "a").Err()
			if err == nil {
				break
			}
			if !isLoading(err) {
				t.Fatal(err)
			}
			if time.Since(start) > 15*time.Second {
				t.Fatal("member never left the syncing state")
			}
			time.Sleep(time.Millisecond)
		}
		d := time.Since(start)
		worst = max(worst, d)
		synced := "?"
		if all := syncedIn.FindAllStringSubmatch(a.log.String(), -1); len(all) > 0 {
			synced = all[len(all)-1][1]
		}
		t.Logf("round %d: process answering after %v, writes accepted after %v (gate open %s ms after the replication layer was built)",
			round, up, d, synced)
		c.waitConverged()
		if got, _ := b.do("GET", "new:"+strconv.Itoa(round)).Text(); got != "a" {
			t.Errorf("round %d: B lost A's new write (%q)", round, got)
		}
	}
	if worst > 5*time.Second {
		t.Errorf("startup gate lasted %v with the peer up", worst)
	}
}

func TestStartWithPeerDownOrSilent(t *testing.T) {
	// A peer that is down (nothing listening) is not waited for; one that accepts the
	// connection but never answers is waited for until crdt-startup-sync-timeout.
	silent := silentListener(t)
	down := freePort(t) // nothing listens there

	for _, tc := range []struct {
		name     string
		peer     string
		min, max time.Duration
	}{
		{"down", fmt.Sprintf("127.0.0.1:%d", down), 0, 1500 * time.Millisecond},
		{"silent", silent, 1500 * time.Millisecond, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &member{t: t, id: 1, name: "m1", port: freePort(t), peerPort: freePort(t), dir: t.TempDir(), log: &logBuffer{}}
			m.args = []string{"start", "--bind", "127.0.0.1", "--port", strconv.Itoa(m.port), "--dir", m.dir,
				"--member-id", "1", "--member-name", "m1", "--peer-port", strconv.Itoa(m.peerPort),
				"--peer-secret", "S", "--peer", "2=" + tc.peer, "--crdt-startup-sync-timeout", "1500"}
			start := time.Now()
			m.startNoWait()
			for {
				err := m.do("SET", "k", "v").Err()
				if err == nil {
					break
				}
				if !isLoading(err) {
					t.Fatal(err)
				}
				if time.Since(start) > 10*time.Second {
					t.Fatal("member never left the syncing state")
				}
				time.Sleep(5 * time.Millisecond)
			}
			d := time.Since(start)
			t.Logf("peer %s: writes accepted after %v", tc.name, d)
			if d < tc.min || d > tc.max {
				t.Errorf("writes accepted after %v, want between %v and %v", d, tc.min, tc.max)
			}
		})
	}
}
