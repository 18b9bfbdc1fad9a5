package compat

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// Blocking commands, differentially: several connections per server, a command that parks its
// client is sent without waiting for a reply, the stream waits until each server reports the
// client blocked (INFO blocked_clients), and the replies a write hands to the waiters are read
// and compared byte for byte. Everything is deterministic: no reply depends on timing except the
// timeouts, which are short and waited out.
func TestCompatBlocking(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		s := newStream(t, p, 4, proto)
		blockingScenarios(s)
	})
}

var blockedRE = regexp.MustCompile(`blocked_clients:(\d+)`)

// blockedClients reads INFO blocked_clients on one server through connection c.
func blockedClients(t *testing.T, c *testserver.Conn) int {
	t.Helper()
	rep := c.DoReply("INFO", "clients")
	m := blockedRE.FindStringSubmatch(rep.Str)
	if m == nil {
		t.Fatalf("INFO clients without blocked_clients: %q", rep.Str)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// waitBlocked waits until both servers report n blocked clients (checked on connection ctl).
func (s *stream) waitBlocked(ctl, n int) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range []*testserver.Conn{s.ref[ctl], s.tgt[ctl]} {
		for blockedClients(s.t, c) != n {
			if time.Now().After(deadline) {
				s.t.Fatalf("%s: blocked_clients never reached %d (now %d)", c.Server().Name(), n, blockedClients(s.t, c))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// park sends a blocking command on connection i of both servers without reading its reply.
func (s *stream) park(i int, args ...string) {
	s.t.Helper()
	s.ref[i].Send(args...)
	s.tgt[i].Send(args...)
	s.record(fmt.Sprintf("#%d c%d %s (parks)", s.step, i, fmtCmd(args)), nil)
}

// served reads the next reply of connection i on both servers (a waiter's) and compares.
func (s *stream) served(i int, what string) {
	s.t.Helper()
	ref := s.ref[i].ReadRaw()
	tgt, err := s.tgt[i].ReadRawTimeout(10 * time.Second)
	if err != nil {
		s.mismatch(fmt.Sprintf("c%d %s", i, what), ref, nil, err)
		s.t.FailNow()
	}
	s.check(fmt.Sprintf("c%d %s", i, what), ref, tgt)
}

// quiet checks that neither server sent anything to connection i (a waiter that must stay
// parked).
func (s *stream) quiet(i int, what string) {
	s.t.Helper()
	if s.ref[i].Pending(30 * time.Millisecond) {
		s.t.Fatalf("the reference replied to c%d (%s): the scenario is wrong", i, what)
	}
	if s.tgt[i].Pending(30 * time.Millisecond) {
		raw, _ := s.tgt[i].ReadRawTimeout(time.Second)
		s.mismatch(fmt.Sprintf("c%d %s", i, what), nil, raw, nil)
	}
}

// onEach runs a command whose arguments differ per server (client ids) on connection i.
func (s *stream) onEach(i int, refArgs, tgtArgs []string) {
	s.t.Helper()
	ref := s.ref[i].DoReply(refArgs...).Bytes()
	tgt := s.tgt[i].DoReply(tgtArgs...).Bytes()
	s.check(fmt.Sprintf("c%d %s", i, fmtCmd(refArgs)), ref, tgt)
}

func blockingScenarios(s *stream) {
	w, a, b, ctl := 0, 1, 2, 3

	// Two waiters on one key are served in the order they blocked.
	s.park(a, "BLPOP", "q", "0")
	s.waitBlocked(ctl, 1)
	s.park(b, "BLPOP", "other", "q", "0")
	s.waitBlocked(ctl, 2)
	s.on(w, nil, "RPUSH", "q", "1", "2", "3")
	s.served(a, "first waiter")
	s.served(b, "second waiter")
	s.on(w, nil, "LRANGE", "q", "0", "-1")
	s.waitBlocked(ctl, 0)

	// A BLMOVE chain: each move wakes the next waiter.
	s.park(a, "BRPOPLPUSH", "c1", "c2", "0")
	s.waitBlocked(ctl, 1)
	s.park(b, "BLMOVE", "c2", "c3", "RIGHT", "LEFT", "0")
	s.waitBlocked(ctl, 2)
	s.on(w, nil, "RPUSH", "c1", "x")
	s.served(a, "BRPOPLPUSH")
	s.served(b, "BLMOVE")
	s.on(w, nil, "LRANGE", "c3", "0", "-1")
	s.on(w, nil, "EXISTS", "c1", "c2")

	// A write of another type wakes nobody.
	s.park(a, "BLPOP", "k", "0")
	s.waitBlocked(ctl, 1)
	s.on(w, nil, "SET", "k", "x")
	s.quiet(a, "after SET")
	s.on(w, nil, "DEL", "k")
	s.on(w, nil, "LPUSH", "k", "v")
	s.served(a, "after LPUSH")

	// BLMOVE served while its destination holds a string: WRONGTYPE, the element stays.
	s.park(a, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
	s.waitBlocked(ctl, 1)
	s.on(w, nil, "SET", "dst", "str")
	s.on(w, nil, "RPUSH", "src", "e1")
	s.served(a, "BLMOVE to a string")
	s.on(w, nil, "LRANGE", "src", "0", "-1")

	// Sorted sets, counts, several keys.
	s.park(a, "BZPOPMIN", "z1", "z2", "0")
	s.waitBlocked(ctl, 1)
	s.park(b, "BZMPOP", "0", "2", "z3", "z2", "MAX", "COUNT", "5")
	s.waitBlocked(ctl, 2)
	s.on(w, nil, "ZADD", "z2", "1", "a", "2.5", "b", "3", "c")
	s.served(a, "BZPOPMIN")
	s.served(b, "BZMPOP")
	s.park(a, "BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2")
	s.waitBlocked(ctl, 1)
	s.park(b, "BZPOPMAX", "z4", "0")
	s.waitBlocked(ctl, 2)
	s.on(w, nil, "MULTI")
	s.on(w, nil, "RPUSH", "l2", "a", "b", "c")
	s.on(w, nil, "ZADD", "z4", "7", "m")
	s.on(w, nil, "EXEC")
	s.served(a, "BLMPOP after EXEC")
	s.served(b, "BZPOPMAX after EXEC")

	// A pipeline behind a blocking command waits for it.
	s.park(a, "BLPOP", "p", "0")
	s.park(a, "PING")
	s.park(a, "LLEN", "p")
	s.waitBlocked(ctl, 1)
	s.quiet(a, "pipeline behind BLPOP")
	s.on(w, nil, "RPUSH", "p", "v1", "v2")
	s.served(a, "BLPOP")
	s.served(a, "PING after BLPOP")
	s.served(a, "LLEN after BLPOP")

	// Keys that become lists by SWAPDB, MOVE and RENAME wake their waiters, as Redis's dbAdd
	// and SWAPDB signal them; so does a BLMOVE of a list onto itself and ZADD INCR.
	s.on(w, nil, "RPUSH", "sk", "a", "b")
	s.on(a, nil, "SELECT", "1")
	s.park(a, "BLPOP", "sk", "0")
	s.waitBlocked(ctl, 1)
	s.on(w, nil, "SWAPDB", "0", "1")
	s.served(a, "BLPOP after SWAPDB")
	s.on(w, nil, "SWAPDB", "0", "1")
	s.on(a, nil, "SELECT", "0")
	s.park(a, "BLPOP", "mv", "0")
	s.waitBlocked(ctl, 1)
	s.on(w, nil, "SELECT", "2")
	s.on(w, nil, "RPUSH", "mv", "x")
	s.on(w, nil, "MOVE", "mv", "0")
	s.served(a, "BLPOP after MOVE")
	s.on(w, nil, "SELECT", "0")
	s.on(w, nil, "RPUSH", "rsrc", "y")
	s.park(a, "BRPOP", "rdst", "0")
	s.waitBlocked(ctl, 1)
	s.on(w, nil, "RENAME", "rsrc", "rdst")
	s.served(a, "BRPOP after RENAME")
	s.park(a, "BLMOVE", "same", "same", "LEFT", "RIGHT", "0")
	s.waitBlocked(ctl, 1)
	s.on(w, nil, "RPUSH", "same", "1")
	s.served(a, "BLMOVE of a key onto itself")
	s.on(w, nil, "LRANGE", "same", "0", "-1")
	s.park(a, "BZPOPMIN", "zi", "0")
	s.waitBlocked(ctl, 1)
	s.on(w, nil, "ZADD", "zi", "INCR", "1", "m")
	s.served(a, "BZPOPMIN after ZADD INCR")

	// Inside MULTI nothing blocks.
	s.on(a, nil, "MULTI")
	s.on(a, nil, "BLPOP", "nothing", "0")
	s.on(a, nil, "BZPOPMIN", "nothing", "0")
	s.on(a, nil, "BLMOVE", "nothing", "x", "LEFT", "LEFT", "0")
	s.on(a, nil, "BRPOPLPUSH", "nothing", "x", "0")
	s.on(a, nil, "BLMPOP", "0", "1", "nothing", "LEFT")
	s.on(a, nil, "BZMPOP", "0", "1", "nothing", "MIN")
	s.on(a, nil, "EXEC")

	// Timeouts.
	s.park(a, "BLPOP", "t", "0.05")
	s.served(a, "BLPOP timeout")
	s.park(a, "BLMOVE", "t", "u", "LEFT", "LEFT", "0.05")
	s.served(a, "BLMOVE timeout")
	s.park(a, "BZMPOP", "0.05", "1", "t", "MIN")
	s.served(a, "BZMPOP timeout")

	// CLIENT UNBLOCK, with the ids of each server.
	refID := strconv.FormatInt(mustInt(s, s.ref[a].DoReply("CLIENT", "ID")), 10)
	tgtID := strconv.FormatInt(mustInt(s, s.tgt[a].DoReply("CLIENT", "ID")), 10)
	s.onEach(w, []string{"CLIENT", "UNBLOCK", refID}, []string{"CLIENT", "UNBLOCK", tgtID})
	s.park(a, "BLPOP", "u1", "u2", "0")
	s.waitBlocked(ctl, 1)
	s.onEach(w, []string{"CLIENT", "UNBLOCK", refID, "TIMEOUT"}, []string{"CLIENT", "UNBLOCK", tgtID, "TIMEOUT"})
	s.served(a, "unblocked (TIMEOUT)")
	s.park(a, "BZPOPMIN", "u1", "0")
	s.waitBlocked(ctl, 1)
	s.onEach(w, []string{"CLIENT", "UNBLOCK", refID, "ERROR"}, []string{"CLIENT", "UNBLOCK", tgtID, "ERROR"})
	s.served(a, "unblocked (ERROR)")
	s.onEach(w, []string{"CLIENT", "UNBLOCK", refID, "ERROR"}, []string{"CLIENT", "UNBLOCK", tgtID, "ERROR"})

	// Argument errors.
	for _, args := range [][]string{
		{"BLPOP", "k", "abc"}, {"BLPOP", "k", "-1"}, {"BLPOP", "k", "inf"}, {"BLPOP", "k", "nan"},
		{"BLPOP", "k", "1e300"}, {"BRPOP", "k", "0", "x"}, {"BLMOVE", "a", "b", "UP", "LEFT", "0"},
		{"BLMOVE", "a", "b", "LEFT", "DOWN", "0"}, {"BLMOVE", "a", "b", "LEFT", "LEFT", "x"},
		{"BRPOPLPUSH", "a", "b", "-1"}, {"BLMPOP", "0", "0", "k", "LEFT"}, {"BLMPOP", "0", "x", "k", "LEFT"},
		{"BLMPOP", "0", "2", "k", "LEFT"}, {"BLMPOP", "0", "1", "k", "UP"}, {"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"},
		{"BLMPOP", "x", "1", "k", "LEFT", "COUNT", "x"}, {"BLMPOP", "0", "1", "k", "LEFT", "COUNT"},
		{"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1"}, {"BLMPOP", "-1", "1", "k", "LEFT"},
		{"BLMPOP", "0", "9223372036854775807", "k", "LEFT"}, {"BZMPOP", "0", "1", "k", "MIN", "COUNT", "-1"},
		{"BZMPOP", "0", "1", "k", "UP"}, {"BZPOPMIN", "k", "-0.5"}, {"BZPOPMAX", "k"}, {"BLPOP", "k"},
	} {
		s.on(w, nil, args...)
	}
	s.on(w, nil, "SET", "str", "x")
	s.on(w, nil, "BLPOP", "nothing", "str", "0")
	s.on(w, nil, "BZPOPMIN", "str", "0")
	s.on(w, nil, "BLMOVE", "str", "x", "LEFT", "LEFT", "0")
	s.on(w, nil, "RPUSH", "full", "a")
	s.on(w, nil, "BLMOVE", "full", "str", "LEFT", "LEFT", "0")
	s.waitBlocked(ctl, 0)
}

func mustInt(s *stream, r *testserver.Reply) int64 {
	s.t.Helper()
	n, ok := r.Int()
	if !ok {
		s.t.Fatalf("not an integer: %s", r)
	}
	return n
}
