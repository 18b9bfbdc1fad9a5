package persistence

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// Issue 6: three members with append-only files (appendfsync always). Member 1 writes keys of
// every type and is killed with SIGKILL while two clients keep writing to members 2 and 3;
// it restarts on the same directory with every key it acknowledged, and the three converge
// to the same DEBUG DIGEST, with a counter incremented on all three equal to the number of
// acknowledged INCRs, and each writer's set, hash, list and zset holding exactly its
// acknowledged writes.
func TestThreeMembersKillUnderPeerLoad(t *testing.T) {
	const n = 3
	var peerPorts [n]int
	var dirs [n]string
	for i := range n {
		p, err := testserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		peerPorts[i], dirs[i] = p, t.TempDir()
	}
	member := func(i int) *testserver.Server {
		args := []string{"--appendonly", "yes", "--appendfsync", "always",
			"--member-id", strconv.Itoa(i + 1), "--peer-port", strconv.Itoa(peerPorts[i]), "--peer-secret", "S"}
		for j := range n {
			if j != i {
				args = append(args, "--peer", fmt.Sprintf("%d=127.0.0.1:%d", j+1, peerPorts[j]))
			}
		}
		return start(t, dirs[i], args...)
	}
	srv := [n]*testserver.Server{member(0), member(1), member(2)}
	c1 := srv[0].Dial(t)

	// Writers on members 2 and 3: every acknowledged write is counted. Their keys are their
	// own (w2:*, w3:*) except the shared counter and the shared HyperLogLog.
	type counts struct{ incr, sadd, hset, rpush, zadd, pfadd int }
	var (
		mu    sync.Mutex
		acked [n]counts
		errs  []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 1; w < n; w++ {
		c := srv[w].Dial(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("w%d:", w+1)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := strconv.Itoa(i)
				cmds := []struct {
					args []string
					ok   func(r *testserver.Reply) bool
					cnt  *int
				}{
					{[]string{"INCR", "shared"}, func(r *testserver.Reply) bool { return r.Type == ':' }, &acked[w].incr},
					{[]string{"SADD", p + "set", v}, func(r *testserver.Reply) bool { return r.Str == "1" }, &acked[w].sadd},
					{[]string{"HSET", p + "hash", "f" + v, v}, func(r *testserver.Reply) bool { return r.Str == "1" }, &acked[w].hset},
					{[]string{"RPUSH", p + "list", v}, func(r *testserver.Reply) bool { return r.Type == ':' }, &acked[w].rpush},
					{[]string{"ZADD", p + "zset", v, "m" + v}, func(r *testserver.Reply) bool { return r.Str == "1" }, &acked[w].zadd},
					{[]string{"PFADD", "shared-hll", p + v}, func(r *testserver.Reply) bool { return r.Type == ':' }, &acked[w].pfadd},
				}
				for _, cmd := range cmds {
					raw, err := c.DoErr(cmd.args...)
					var r *testserver.Reply
					if err == nil {
						r, err = testserver.ParseReply(raw)
					}
					mu.Lock()
					switch {
					case err != nil:
						errs = append(errs, fmt.Sprintf("member %d %q: %v", w+1, cmd.args, err))
					case cmd.ok(r):
						*cmd.cnt++
					default:
						errs = append(errs, fmt.Sprintf("member %d %q: %s", w+1, cmd.args, r))
					}
					failed := len(errs) > 0
					mu.Unlock()
					if failed {
						return
					}
				}
			}
		}()
	}
	stopWriters := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	t.Cleanup(stopWriters)

	// Member 1: keys of every type, each with the read that checks it and its expected reply.
	type check struct {
		read []string
		want string
		sort bool
	}
	expect := map[string]check{}
	const keys = 15
	for i := range keys {
		k := func(kind string) string { return fmt.Sprintf("m1:%s:%d", kind, i) }
		v := strconv.Itoa(i)
		run(t, c1, [][]string{
			{"SET", k("str"), "v" + v},
			{"APPEND", k("str"), "-x"},
			{"INCRBY", k("cnt"), v},
			{"INCR", k("cnt")},
			{"HSET", k("hash"), "a", v, "b", "bee"},
			{"HINCRBY", k("hash"), "n", "3"},
			{"SADD", k("set"), "x", "y", "z", "e" + v},
			{"SREM", k("set"), "y"},
			{"ZADD", k("zset"), "1", "one", "2", "two", v, "three"},
			{"ZINCRBY", k("zset"), "10", "one"},
			{"RPUSH", k("list"), "a", "b", "c"},
			{"LPUSH", k("list"), v},
			{"LPOP", k("list")},
			{"LSET", k("list"), "0", "A"},
			{"PFADD", k("hll"), "p", "q", "r", "s" + v},
			{"INCR", "shared"},
		})
		acked[0].incr++
		expect[k("str")] = check{read: []string{"GET", k("str")}, want: strconv.Quote("v" + v + "-x")}
		expect[k("cnt")] = check{read: []string{"GET", k("cnt")}, want: strconv.Quote(strconv.Itoa(i + 1))}
		expect[k("hash")] = check{read: []string{"HGETALL", k("hash")}, sort: true,
			want: fmt.Sprintf("*6 a=%s b=bee n=3", v)}
		expect[k("set")] = check{read: []string{"SMEMBERS", k("set")}, sort: true, want: "*3 e" + v + " x z"}
		// Sorted by score, then by member, as ZRANGE orders them.
		type entry struct {
			m string
			s int
		}
		es := []entry{{"one", 11}, {"two", 2}, {"three", i}}
		sort.Slice(es, func(a, b int) bool { return es[a].s < es[b].s || es[a].s == es[b].s && es[a].m < es[b].m })
		var zs []string
		for _, e := range es {
			zs = append(zs, fmt.Sprintf("%q, \"%d\"", e.m, e.s))
		}
		expect[k("zset")] = check{read: []string{"ZRANGE", k("zset"), "0", "-1", "WITHSCORES"}, want: "*[" + strings.Join(zs, ", ") + "]"}
		expect[k("list")] = check{read: []string{"LRANGE", k("list"), "0", "-1"}, want: `*["A", "b", "c"]`}
		expect[k("hll")] = check{read: []string{"PFCOUNT", k("hll")}, want: "(integer) 4"}
	}
	read := func(c *testserver.Conn, ch check) string {
		t.Helper()
		r := c.DoReply(ch.read...)
		if !ch.sort {
			return r.String()
		}
		// Unordered replies: a set's members, or a hash's field=value pairs, sorted.
		var elems []string
		if ch.read[0] == "HGETALL" {
			for j := 0; j+1 < len(r.Elems); j += 2 {
				elems = append(elems, r.Elems[j].Str+"="+r.Elems[j+1].Str)
			}
		} else {
			elems = r.Strings()
		}
		sort.Strings(elems)
		return fmt.Sprintf("%c%d %s", r.Type, len(r.Elems), strings.Join(elems, " "))
	}
	// The expectations are checked against member 1 itself first, so the test cannot pass
	// by expecting the wrong thing.
	for key, ch := range expect {
		if got := read(c1, ch); got != ch.want {
			t.Fatalf("before the kill, %s: %s, want %s", key, got, ch.want)
		}
	}

	time.Sleep(300 * time.Millisecond) // the peers are writing
	mu.Lock()
	before := acked
	mu.Unlock()
	if before[1].incr == 0 || before[2].incr == 0 {
		t.Fatalf("the writers have not written: %+v", before)
	}
	srv[0].Stop() // SIGKILL, with members 2 and 3 writing
	time.Sleep(300 * time.Millisecond)
	srv[0] = member(0)
	c1 = srv[0].Dial(t)
	for key, ch := range expect {
		if got := read(c1, ch); got != ch.want {
			t.Fatalf("after kill -9 and restart, %s: %s, want %s", key, got, ch.want)
		}
	}
	// Member 1 writes again after its restart, to the shared counter too.
	for range 10 {
		run(t, c1, [][]string{{"INCR", "shared"}, {"SADD", "m1:after", "x"}})
		acked[0].incr++
	}
	time.Sleep(300 * time.Millisecond) // the writers go on while member 1 catches up
	stopWriters()
	if len(errs) > 0 {
		t.Fatalf("writer errors: %v", errs)
	}

	conns := [n]*testserver.Conn{c1, srv[1].Dial(t), srv[2].Dial(t)}
	waitConverged3(t, conns[:])
	total := 0
	for _, a := range acked {
		total += a.incr
	}
	var digests [n]string
	for i, c := range conns {
		digests[i] = digest(t, c)
		if got := c.DoReply("GET", "shared").Str; got != strconv.Itoa(total) {
			t.Fatalf("member %d: shared counter %s, want %d (acknowledged INCRs %d+%d+%d)",
				i+1, got, total, acked[0].incr, acked[1].incr, acked[2].incr)
		}
		for w := 1; w < n; w++ {
			p := fmt.Sprintf("w%d:", w+1)
			for _, q := range []struct {
				cmd  []string
				want int
			}{
				{[]string{"SCARD", p + "set"}, acked[w].sadd},
				{[]string{"HLEN", p + "hash"}, acked[w].hset},
				{[]string{"LLEN", p + "list"}, acked[w].rpush},
				{[]string{"ZCARD", p + "zset"}, acked[w].zadd},
			} {
				if got := c.DoReply(q.cmd...).Str; got != strconv.Itoa(q.want) {
					t.Fatalf("member %d %q: %s, want %d acknowledged", i+1, q.cmd, got, q.want)
				}
			}
		}
		for key, ch := range expect {
			if got := read(c, ch); got != ch.want {
				t.Fatalf("member %d after convergence, %s: %s, want %s", i+1, key, got, ch.want)
			}
		}
	}
	if digests[0] != digests[1] || digests[1] != digests[2] {
		t.Fatalf("converged but DEBUG DIGEST differs: %v", digests)
	}
	t.Logf("acknowledged INCRs: member 1 %d, member 2 %d (%d from the kill on), member 3 %d (%d from the kill on); shared=%d",
		acked[0].incr, acked[1].incr, acked[1].incr-before[1].incr, acked[2].incr, acked[2].incr-before[2].incr, total)
}

// waitConverged3 waits until the members' INFO crdt crdt_ovc lines are equal and cover every
// member's own crdt_clock (member i+1 is conns[i]), as the replication tests do.
func waitConverged3(t *testing.T, conns []*testserver.Conn) {
	t.Helper()
	info := func(c *testserver.Conn) map[string]string {
		r := c.DoReply("INFO", "crdt")
		if r.IsError() {
			t.Fatalf("INFO crdt: %s", r)
		}
		out := map[string]string{}
		for _, line := range strings.Split(r.Str, "\r\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				out[k] = v
			}
		}
		return out
	}
	converged := func() (bool, []string) {
		var state []string
		ovc, ok := "", true
		for i, c := range conns {
			in := info(c)
			state = append(state, fmt.Sprintf("member %d: ovc=%s clock=%s", i+1, in["crdt_ovc"], in["crdt_clock"]))
			if in["crdt_ovc"] == "" || in["crdt_clock"] == "" {
				ok = false
			}
			if i == 0 {
				ovc = in["crdt_ovc"]
			} else if in["crdt_ovc"] != ovc {
				ok = false
			}
			if !regexp.MustCompile(`(^|,)` + strconv.Itoa(i+1) + `:` + regexp.QuoteMeta(in["crdt_clock"]) + `(,|$)`).MatchString(ovc) {
				ok = false
			}
		}
		return ok, state
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, state := converged()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("members did not converge:\n%s", strings.Join(state, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
