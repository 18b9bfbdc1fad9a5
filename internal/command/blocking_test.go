package command

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/redisnum"
)

// The registry of blocking commands (blocking.go), driven through the dispatcher as the server
// drives it. Expected replies are redis-server 7.0.15's, captured with raw RESP.

// blockClient connects a client whose Interrupt counts the wake-ups.
func blockClient(s *scEnv) (*Client, *int) {
	cl := s.client("127.0.0.1:1")
	n := new(int)
	cl.Interrupt = func() { *n++ }
	return cl, n
}

// output takes what was queued for cl.
func output(t *testing.T, cl *Client) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := cl.Out.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// mustParked checks whether cl is parked, and does what its connection goroutine would do:
// ArmPark arms a read deadline while it is parked (after which a wake-up interrupts it) and
// reports it woken otherwise.
func mustParked(t *testing.T, cl *Client, want bool) {
	t.Helper()
	if (cl.block != nil) != want || !cl.Parked() && want {
		t.Fatalf("client %d parked=%v block=%v, want parked=%v", cl.ID, cl.Parked(), cl.block != nil, want)
	}
	if armed := cl.ArmPark(func(time.Time) {}); armed != want || cl.Parked() != want {
		t.Fatalf("client %d: ArmPark %v then Parked %v, want %v", cl.ID, armed, cl.Parked(), want)
	}
}

func TestBlockingFairness(t *testing.T) {
	s := newSCEnv(t)
	a, wakeA := blockClient(s)
	b, wakeB := blockClient(s)
	c, _ := blockClient(s)
	w := s.client("")
	for _, cl := range []*Client{a, b} {
		if got := s.do(cl, "BLPOP", "k", "0"); got != "" {
			t.Fatalf("BLPOP on an empty key replied %q", got)
		}
		mustParked(t, cl, true)
	}
	s.do(c, "BLPOP", "other", "k2", "0")
	if blocked, _ := s.env.BlockedClients(); blocked != 3 {
		t.Fatalf("blocked_clients %d, want 3", blocked)
	}
	// One element: the client that blocked first gets it, the second keeps waiting.
	s.run(w, []scStep{sc(scInt(1), "RPUSH", "k", "x")})
	if got := output(t, a); got != scArr(scBulk("k"), scBulk("x")) {
		t.Fatalf("first waiter got %q", got)
	}
	mustParked(t, a, false)
	mustParked(t, b, true)
	if *wakeA != 1 || *wakeB != 0 {
		t.Fatalf("wake-ups a=%d b=%d, want 1 0", *wakeA, *wakeB)
	}
	// Two elements for one waiter: it takes one, the other stays.
	s.run(w, []scStep{sc(scInt(2), "RPUSH", "k", "y", "z"), sc(scArr(scBulk("z")), "LRANGE", "k", "0", "-1")})
	if got := output(t, b); got != scArr(scBulk("k"), scBulk("y")) {
		t.Fatalf("second waiter got %q", got)
	}
	mustParked(t, b, false)
	mustParked(t, c, true)
	// The oldest waiter of the key written is served, whatever its other keys.
	d, _ := blockClient(s)
	s.do(d, "BRPOP", "k2", "0")
	s.run(w, []scStep{sc(scInt(1), "LPUSH", "k2", "v")})
	if got := output(t, c); got != scArr(scBulk("k2"), scBulk("v")) {
		t.Fatalf("c got %q", got)
	}
	mustParked(t, d, true)
	if blocked, timed := s.env.BlockedClients(); blocked != 1 || timed != 0 {
		t.Fatalf("blocked_clients %d, in timeout table %d; want 1 0", blocked, timed)
	}
	r := s.env.peekBlockers()
	if len(r.waiters) != 1 || len(r.waiters[blockKey{0, "k2"}]) != 1 {
		t.Fatalf("registry keeps %v", r.waiters)
	}
}

// A pipeline of the writer runs after each command: the waiter is served between LPUSH and
// LPOP, as in Redis; and a parked client's own pipeline stops at the blocking command.
func TestBlockingPipeline(t *testing.T) {
	s := newSCEnv(t)
	a, _ := blockClient(s)
	w := s.client("")
	pipeline := func(cl *Client, cmds ...[]string) {
		i := 0
		next := func() ([][]byte, error) {
			i++
			if i >= len(cmds) {
				return nil, nil
			}
			return toArgs(cmds[i]), nil
		}
		if err := s.env.ExecuteAll(cl, toArgs(cmds[0]), next); err != nil {
			t.Fatal(err)
		}
	}
	pipeline(a, []string{"PING"}, []string{"BLPOP", "k", "0"}, []string{"PING"})
	if got := output(t, a); got != "+PONG\r\n" {
		t.Fatalf("parked client's pipeline replied %q", got)
	}
	mustParked(t, a, true)
	pipeline(w, []string{"LPUSH", "k", "x"}, []string{"LPOP", "k"})
	if got := output(t, w); got != scInt(1)+scNull2 {
		t.Fatalf("writer got %q", got)
	}
	if got := output(t, a); got != scArr(scBulk("k"), scBulk("x")) {
		t.Fatalf("waiter got %q", got)
	}
}

func toArgs(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, a := range ss {
		out[i] = []byte(a)
	}
	return out
}

func TestBlockingTimeout(t *testing.T) {
	s := newSCEnv(t)
	a, wake := blockClient(s)
	start := s.clock.Millis
	s.do(a, "BLPOP", "k", "1.5")
	mustParked(t, a, true)
	if _, timed := s.env.BlockedClients(); timed != 1 {
		t.Fatalf("clients_in_timeout_table %d, want 1", timed)
	}
	var armed time.Time
	if !a.ArmPark(func(d time.Time) { armed = d }) || armed.UnixMilli() != start+1500+1 {
		t.Fatalf("armed deadline %v, want %d ms", armed, start+1501)
	}
	s.clock.Millis = start + 1500 // Redis times out strictly after the deadline
	s.env.BlockTimeout(a)
	mustParked(t, a, true)
	s.clock.Millis++
	s.env.BlockTimeout(a)
	if a.block != nil || !a.Parked() {
		t.Fatal("timed out client still registered, or not reported woken")
	}
	if got := output(t, a); got != "*-1\r\n" || *wake != 1 {
		t.Fatalf("timeout replied %q, %d wake-ups", got, *wake)
	}
	if a.ArmPark(func(d time.Time) { armed = d }) || !armed.IsZero() {
		t.Fatal("ArmPark after the timeout did not clear the deadline")
	}
	// RESP3: the null.
	s.do(a, "HELLO", "3")
	s.do(a, "BZPOPMIN", "z", "0.001")
	s.clock.Millis += 2
	s.env.BlockTimeout(a)
	if got := output(t, a); got != "_\r\n" {
		t.Fatalf("RESP3 timeout replied %q", got)
	}
	// No timeout: BlockTimeout never unblocks.
	s.do(a, "BLMOVE", "k", "d", "LEFT", "RIGHT", "0")
	s.clock.Millis += 1e9
	s.env.BlockTimeout(a)
	mustParked(t, a, true)
	if _, timed := s.env.BlockedClients(); timed != 0 {
		t.Fatalf("clients_in_timeout_table %d, want 0", timed)
	}
}

// The timeout argument, as redis-server 7.0.15 takes it (its getTimeoutFromObjectOrReply has no
// "timeout is out of range" error: values too large for a long long convert to its minimum).
func TestBlockingTimeoutArgument(t *testing.T) {
	s := newSCEnv(t)
	now := s.clock.Millis
	for _, tc := range []struct {
		arg      string
		err      string
		deadline int64 // ms after now; 0 = none
	}{
		{"abc", "ERR timeout is not a float or out of range", 0},
		{"nan", "ERR timeout is not a float or out of range", 0},
		{"", "ERR timeout is not a float or out of range", 0},
		{" 1", "ERR timeout is not a float or out of range", 0},
		{"1e", "ERR timeout is not a float or out of range", 0},
		{"-1", "ERR timeout is negative", 0},
		{"-0.001", "", 0}, // the long double just above -0.001: -0.999... ms, rounded up to 0
		{"-0.0015", "ERR timeout is negative", 0},
		{"inf", "ERR timeout is negative", 0},
		{"-inf", "ERR timeout is negative", 0},
		{"infinity", "ERR timeout is negative", 0},
		{"1e300", "ERR timeout is negative", 0},
		{"1e400", "ERR timeout is negative", 0},
		{"9223372036854776", "ERR timeout is negative", 0},
		{"9223372036854775", "", 0}, // fits, but the deadline overflows: never
		{"0", "", 0},
		{"-0", "", 0},
		{"1e-5", "", 1},
		{"0x1p-20", "", 1},
		{".5", "", 500},
		{"+2", "", 2000},
		{"0.0015", "", 2},
	} {
		cl := s.client("")
		cl.Interrupt = func() {}
		got := s.do(cl, "BLPOP", "nokey", tc.arg)
		if tc.err != "" {
			if got != scErr(tc.err) {
				t.Errorf("timeout %q: got %q, want error %q", tc.arg, got, tc.err)
			}
			continue
		}
		if got != "" || cl.block == nil {
			t.Errorf("timeout %q: got %q, not parked", tc.arg, got)
			continue
		}
		want := int64(0)
		if tc.deadline != 0 {
			want = now + tc.deadline
		}
		if cl.block.deadline != want {
			t.Errorf("timeout %q: deadline %d, want %d", tc.arg, cl.block.deadline-now, want-now)
		}
		s.env.Engine.Lock()
		s.env.ForgetBlocked(cl)
		s.env.Engine.Unlock()
	}
}

func TestBlockingUnblockAndDisconnect(t *testing.T) {
	s := newSCEnv(t)
	a, wake := blockClient(s)
	w := s.client("")
	id := Itoa(a.ID)
	s.run(w, []scStep{sc(scInt(0), "CLIENT", "UNBLOCK", id)})
	s.do(a, "BLPOP", "k1", "k2", "0")
	mustParked(t, a, true)
	s.run(w, []scStep{
		sc(scErr("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"), "CLIENT", "UNBLOCK", id, "foo"),
		sc(scErr("ERR value is not an integer or out of range"), "CLIENT", "UNBLOCK", "abc"),
		sc(scInt(1), "CLIENT", "UNBLOCK", id),
		sc(scInt(0), "CLIENT", "UNBLOCK", id, "TIMEOUT"),
	})
	if got := output(t, a); got != "*-1\r\n" || *wake != 1 {
		t.Fatalf("CLIENT UNBLOCK: client got %q, %d wake-ups", got, *wake)
	}
	s.do(a, "BRPOPLPUSH", "k1", "k2", "0")
	s.run(w, []scStep{sc(scInt(1), "CLIENT", "UNBLOCK", id, "error")})
	if got := output(t, a); got != scErr("UNBLOCKED client unblocked via CLIENT UNBLOCK") {
		t.Fatalf("CLIENT UNBLOCK ERROR: client got %q", got)
	}
	if s.env.Stats.ErrorCodes["UNBLOCKED"] != 1 {
		t.Fatalf("errorstats UNBLOCKED %d", s.env.Stats.ErrorCodes["UNBLOCKED"])
	}
	// CLIENT LIST and INFO while parked.
	s.do(a, "BLPOP", "k1", "5")
	list := s.do(w, "CLIENT", "LIST", "ID", id)
	if !strings.Contains(list, " flags=b ") || !strings.Contains(list, " cmd=blpop ") {
		t.Fatalf("CLIENT LIST: %q", list)
	}
	info := s.do(w, "INFO", "clients")
	if !strings.Contains(info, "blocked_clients:1\r\n") || !strings.Contains(info, "clients_in_timeout_table:1\r\n") {
		t.Fatalf("INFO clients: %q", info)
	}
	// A client that disconnects is forgotten: the element pushed next stays in the list.
	s.env.Engine.Lock()
	s.env.ForgetBlocked(a)
	s.env.Disconnect(a)
	s.env.Engine.Unlock()
	s.run(w, []scStep{sc(scInt(1), "RPUSH", "k1", "x"), sc(scInt(1), "LLEN", "k1")})
	if blocked, timed := s.env.BlockedClients(); blocked != 0 || timed != 0 || len(s.env.peekBlockers().waiters) != 0 {
		t.Fatalf("after disconnect: blocked %d, timed %d, keys %v", blocked, timed, s.env.peekBlockers().waiters)
	}
	// CLIENT KILL of a parked client.
	b, _ := blockClient(s)
	killed := false
	b.Kill = func() { killed = true }
	s.do(b, "BLPOP", "k9", "0")
	s.run(w, []scStep{sc(scInt(1), "CLIENT", "KILL", "ID", Itoa(b.ID))})
	if !killed || b.block != nil {
		t.Fatalf("CLIENT KILL: killed %v, still registered %v", killed, b.block != nil)
	}
	if blocked, _ := s.env.BlockedClients(); blocked != 0 {
		t.Fatalf("blocked_clients %d after CLIENT KILL", blocked)
	}
}

func TestBlockingInsideMulti(t *testing.T) {
	s := newSCEnv(t)
	a := s.client("")
	steps := []scStep{
		sc(scOK, "MULTI"),
		sc(scSimple("QUEUED"), "BLPOP", "nothing", "0"),
		sc(scSimple("QUEUED"), "BZPOPMIN", "nothing", "0"),
		sc(scSimple("QUEUED"), "BLMOVE", "nothing", "x", "LEFT", "LEFT", "0"),
		sc(scSimple("QUEUED"), "BLMPOP", "0", "1", "nothing", "LEFT"),
		sc(scSimple("QUEUED"), "RPUSH", "l", "a"),
		sc(scSimple("QUEUED"), "BRPOP", "l", "0"),
		sc(scArr("*-1\r\n", "*-1\r\n", scNull2, "*-1\r\n", scInt(1), scArr(scBulk("l"), scBulk("a"))), "EXEC"),
	}
	s.run(a, steps)
	mustParked(t, a, false)
	s.run(a, []scStep{
		sc(scHello(a.ID, 3), "HELLO", "3"),
		sc(scOK, "MULTI"),
		sc(scSimple("QUEUED"), "BLPOP", "nothing", "0"),
		sc(scSimple("QUEUED"), "BZMPOP", "0", "1", "nothing", "MIN"),
		sc(scArr(scNull3, scNull3), "EXEC"),
	})
	// A script sets NoBlock.
	a.NoBlock = true
	s.run(a, []scStep{sc(scNull3, "BRPOP", "nothing", "0")})
	mustParked(t, a, false)
}

// A key written with another type wakes nobody: the waiter stays parked until the key holds a
// list again (Redis 7.0). A BLMOVE whose destination has another type when it is served gets
// WRONGTYPE and the element stays in the source.
func TestBlockingWrongType(t *testing.T) {
	s := newSCEnv(t)
	a, _ := blockClient(s)
	w := s.client("")
	s.run(w, []scStep{sc(scOK, "SET", "str", "x")})
	s.run(a, []scStep{sc(scErr(string(ErrWrongType)), "BLPOP", "k", "str", "0")})
	s.do(a, "BLPOP", "k", "0")
	s.run(w, []scStep{sc(scOK, "SET", "k", "x")})
	mustParked(t, a, true)
	s.run(w, []scStep{sc(scInt(1), "SADD", "z", "m")})
	s.run(w, []scStep{sc(scInt(1), "DEL", "k"), sc(scInt(1), "LPUSH", "k", "v")})
	if got := output(t, a); got != scArr(scBulk("k"), scBulk("v")) {
		t.Fatalf("got %q", got)
	}
	s.do(a, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
	s.run(w, []scStep{sc(scOK, "SET", "dst", "str"), sc(scInt(1), "RPUSH", "src", "e1")})
	if got := output(t, a); got != scErr(string(ErrWrongType)) {
		t.Fatalf("BLMOVE to a string got %q", got)
	}
	mustParked(t, a, false)
	s.run(w, []scStep{sc(scArr(scBulk("e1")), "LRANGE", "src", "0", "-1")})
	// A list waiter and a sorted-set waiter on one key: only the one of the key's type is served.
	b, _ := blockClient(s)
	s.do(a, "BZPOPMIN", "mixed", "0")
	s.do(b, "BLPOP", "mixed", "0")
	s.run(w, []scStep{sc(scInt(1), "RPUSH", "mixed", "e")})
	mustParked(t, a, true)
	if got := output(t, b); got != scArr(scBulk("mixed"), scBulk("e")) {
		t.Fatalf("list waiter got %q", got)
	}
	s.run(w, []scStep{sc(scInt(1), "ZADD", "mixed", "2", "m")})
	if got := output(t, a); got != "*3\r\n"+scBulk("mixed")+scBulk("m")+scBulk("2") {
		t.Fatalf("zset waiter got %q", got)
	}
}

// A chain of BLMOVEs: each move wakes the client waiting on its destination, in one pass.
func TestBlockingMoveChain(t *testing.T) {
	s := newSCEnv(t)
	a, _ := blockClient(s)
	b, _ := blockClient(s)
	w := s.client("")
	s.do(a, "BLMOVE", "c1", "c2", "RIGHT", "LEFT", "0")
	s.do(b, "BRPOPLPUSH", "c2", "c3", "0")
	before := len(s.batches)
	s.run(w, []scStep{sc(scInt(1), "RPUSH", "c1", "x")})
	if got := output(t, a); got != scBulk("x") {
		t.Fatalf("a got %q", got)
	}
	if got := output(t, b); got != scBulk("x") {
		t.Fatalf("b got %q", got)
	}
	s.run(w, []scStep{
		sc(scArr(scBulk("x")), "LRANGE", "c3", "0", "-1"),
		sc(scInt(0), "EXISTS", "c1", "c2"),
	})
	// The push and each served move are batches of their own.
	if n := len(s.batches) - before; n != 3 {
		t.Fatalf("%d batches, want 3", n)
	}
}

func TestBlockingReplies(t *testing.T) {
	s := newSCEnv(t)
	a, _ := blockClient(s)
	w := s.client("")
	s.do(a, "BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2")
	s.run(w, []scStep{sc(scInt(3), "RPUSH", "l2", "a", "b", "c")})
	if got := output(t, a); got != scArr(scBulk("l2"), scArr(scBulk("c"), scBulk("b"))) {
		t.Fatalf("BLMPOP got %q", got)
	}
	s.do(a, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5")
	s.run(w, []scStep{sc(scInt(2), "ZADD", "z", "1", "a", "2.5", "b")})
	if got := output(t, a); got != scArr(scBulk("z"), scArr(scArr(scBulk("b"), scBulk("2.5")), scArr(scBulk("a"), scBulk("1")))) {
		t.Fatalf("BZMPOP got %q", got)
	}
	s.do(a, "HELLO", "3")
	output(t, a)
	s.do(a, "BZPOPMAX", "z", "0")
	s.run(w, []scStep{sc(scInt(1), "ZADD", "z", "1.5", "m")})
	if got := output(t, a); got != "*3\r\n"+scBulk("z")+scBulk("m")+",1.5\r\n" {
		t.Fatalf("BZPOPMAX RESP3 got %q", got)
	}
	// Argument errors, as redis-server 7.0.15 gives them.
	s.run(w, []scStep{
		sc(scErr("ERR timeout is not a float or out of range"), "BLPOP", "k", "0", "extra"),
		sc(scErr("ERR syntax error"), "BLMOVE", "a", "b", "up", "LEFT", "0"),
		sc(scErr("ERR timeout is negative"), "BLMOVE", "a", "b", "LEFT", "LEFT", "-1"),
		sc(scErr("ERR numkeys should be greater than 0"), "BLMPOP", "0", "0", "k", "LEFT"),
		sc(scErr("ERR numkeys should be greater than 0"), "BLMPOP", "x", "0", "k", "LEFT"),
		sc(scErr("ERR syntax error"), "BLMPOP", "0", "2", "k", "LEFT"),
		sc(scErr("ERR syntax error"), "BLMPOP", "0", "9223372036854775807", "k", "LEFT"),
		sc(scErr("ERR count should be greater than 0"), "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"),
		sc(scErr("ERR count should be greater than 0"), "BLMPOP", "x", "1", "k", "LEFT", "COUNT", "x"),
		sc(scErr("ERR syntax error"), "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1", "COUNT", "2"),
		sc(scErr("ERR timeout is not a float or out of range"), "BLMPOP", "x", "1", "k", "LEFT"),
		sc(scErr("ERR count should be greater than 0"), "BZMPOP", "0", "1", "k", "MIN", "COUNT", "0"),
		sc(scErr("ERR syntax error"), "BZMPOP", "0", "1", "k", "up"),
		sc(scErr("ERR timeout is negative"), "BZPOPMIN", "k", "-1"),
		sc(scErr("ERR timeout is negative"), "BRPOPLPUSH", "a", "b", "-1"),
		sc(scArity("blpop"), "BLPOP", "k"),
		sc(scArity("blmpop"), "BLMPOP", "0", "1", "k"),
	})
}

// A push applied from a peer through engine.Apply wakes a waiter (semantics.md §5); the pop it
// serves is a local batch of its own.
func TestBlockingWakeFromRemoteBatch(t *testing.T) {
	s := newSCEnv(t)
	a, wake := blockClient(s)
	s.do(a, "BLPOP", "k", "0")
	mustParked(t, a, true)

	// Member 2 pushes; its batch is applied here.
	var remote []*effect.Effect
	e2 := engine.New(engine.Config{Member: 2, Databases: 16, Clock: &clock.Manual{Millis: s.clock.Millis}, Seed: 2})
	e2.AddSink(func(b *effect.Effect) {
		remote = append(remote, &effect.Effect{Origin: b.Origin, Seq: b.Seq, HLC: b.HLC, Deps: b.Deps.Clone(), Ops: slices.Clone(b.Ops)})
	})
	env2 := NewEnv(e2, config.Default(), nil)
	w2 := NewClient(0)
	e2.Lock()
	if err := env2.Connect(w2); err != nil {
		t.Fatal(err)
	}
	e2.Unlock()
	env2.Execute(w2, toArgs([]string{"RPUSH", "k", "from-2"}))
	if len(remote) != 1 {
		t.Fatalf("member 2 committed %d batches", len(remote))
	}
	before := len(s.batches)
	e := s.env.Engine
	e.Lock()
	if err := e.Apply(remote[0]); err != nil {
		t.Fatal(err)
	}
	if a.block == nil {
		t.Fatal("served before the lock was released")
	}
	e.Unlock()
	if got := output(t, a); got != scArr(scBulk("k"), scBulk("from-2")) || *wake != 1 {
		t.Fatalf("waiter got %q, %d wake-ups", got, *wake)
	}
	mustParked(t, a, false)
	if len(s.batches) != before+2 || s.batches[before].Origin != 2 || s.batches[before+1].Origin != 1 {
		t.Fatalf("batches after the apply: %d (want the remote one, then the local pop)", len(s.batches)-before)
	}
	if pop := s.batches[before+1]; len(pop.Ops) != 1 || pop.Ops[0].Kind != effect.ListRemove {
		t.Fatalf("the served pop emitted %+v", pop.Ops)
	}
}

// BenchmarkServeBlockedIdle is what every command pays for blocking when nobody waits: the check
// ExecuteAll makes after each command.
func BenchmarkServeBlockedIdle(b *testing.B) {
	e := engine.New(engine.Config{Member: 1, Databases: 16, Seed: 1})
	env := NewEnv(e, config.Default(), nil)
	env.blockers() // hooks installed, as after the first blocking command
	for b.Loop() {
		env.serveBlocked()
	}
}

// FuzzBlockTimeout: any argument parses without panicking, to an error or a deadline; a finite
// positive double of moderate size gives its milliseconds rounded up (within the one millisecond
// that the long double product may differ from the double one).
func FuzzBlockTimeout(f *testing.F) {
	for _, s := range []string{"0", "1", "0.5", "-1", "1e-5", "inf", "nan", "0x1p-20", "9223372036854775", "1e400", " 1", ""} {
		f.Add(s)
	}
	e := engine.New(engine.Config{Member: 1, Databases: 1, Clock: &clock.Manual{Millis: 1_700_000_000_000}, Seed: 1})
	env := NewEnv(e, config.Default(), nil)
	cl := NewClient(1)
	f.Fuzz(func(t *testing.T, arg string) {
		c := &Ctx{Env: env, Client: cl, E: e, W: cl.W, Args: [][]byte{[]byte(arg)}}
		e.Lock()
		deadline, err := c.blockTimeout(0)
		now := e.Now()
		e.Unlock()
		if err != nil {
			if deadline != 0 {
				t.Fatalf("%q: error %v with deadline %d", arg, err, deadline)
			}
			return
		}
		if deadline != 0 && deadline <= now {
			t.Fatalf("%q: deadline %d not after now %d", arg, deadline, now)
		}
		v, ok := redisnum.ParseFloat([]byte(arg))
		if !ok || math.IsInf(v, 0) || v <= 0 || v > 1e12 {
			return
		}
		want := int64(math.Ceil(v * 1000))
		if got := deadline - now; got < want-1 || got > want+1 {
			t.Fatalf("%q: %d ms, want about %d", arg, got, want)
		}
	})
}

// A client served before its connection goroutine armed a read deadline is not interrupted (an
// Interrupt then would break its next read) but still reported, for the goroutine to send the
// reply; one served while armed is interrupted once, and ArmPark clears the deadline it armed.
func TestBlockingWokenBeforeArmed(t *testing.T) {
	s := newSCEnv(t)
	a, wake := blockClient(s)
	w := s.client("")
	s.do(a, "BLPOP", "k", "0")
	s.run(w, []scStep{sc(scInt(1), "RPUSH", "k", "x")})
	if *wake != 0 || !a.Parked() {
		t.Fatalf("served before arming: %d interrupts, Parked %v; want 0, true", *wake, a.Parked())
	}
	calls := 0
	if a.ArmPark(func(time.Time) { calls++ }) || calls != 0 || a.Parked() {
		t.Fatalf("ArmPark of a woken client that never armed: armed a deadline %d times, Parked %v", calls, a.Parked())
	}
	if got := output(t, a); got != scArr(scBulk("k"), scBulk("x")) {
		t.Fatalf("first reply %q", got)
	}
	s.do(a, "BLPOP", "k", "0")
	var last time.Time
	if !a.ArmPark(func(d time.Time) { last = d; calls++ }) || calls != 1 || !last.IsZero() {
		t.Fatalf("ArmPark of a parked client without timeout: %d calls, deadline %v", calls, last)
	}
	s.run(w, []scStep{sc(scInt(1), "RPUSH", "k", "y")})
	if *wake != 1 {
		t.Fatalf("%d interrupts, want 1", *wake)
	}
	if a.ArmPark(func(d time.Time) { last = d; calls++ }) || calls != 2 || !last.IsZero() {
		t.Fatalf("ArmPark after the wake-up did not clear the deadline (%d calls)", calls)
	}
	if got := output(t, a); got != scArr(scBulk("k"), scBulk("y")) {
		t.Fatalf("second reply %q", got)
	}
}
