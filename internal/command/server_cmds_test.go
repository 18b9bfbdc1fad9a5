package command

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
)

func TestDbsizeTimeLastsaveRole(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scInt(0), "DBSIZE"),
		sc(scOK, "SET", "a", "1"),
		sc(scOK, "SET", "b", "2", "PX", "10"),
		sc(scInt(2), "DBSIZE"),
		sc(scArity("dbsize"), "DBSIZE", "x"),
		sc(scInt(s.env.Started.Unix()), "LASTSAVE"),
		sc(scArity("lastsave"), "LASTSAVE", "x"),
		sc(scArity("time"), "TIME", "x"),
		sc(scArr(scBulk("master"), scInt(0), "*0\r\n"), "ROLE"),
		sc(scArity("role"), "ROLE", "x"),
		sc(scErr("ERR This instance has cluster support disabled"), "READONLY"),
		sc(scErr("ERR This instance has cluster support disabled"), "READWRITE"),
		sc(scArity("readonly"), "READONLY", "x"),
		sc(scBulk("Redis ver. 7.0.15\n"), "LOLWUT"),
		sc(scBulk("Redis ver. 7.0.15\n"), "LOLWUT", "x"),
		sc(scErr("ERR value is not an integer or out of range"), "LOLWUT", "VERSION", "x"),
	})
	// Like Redis, DBSIZE counts a key whose TTL passed until it is removed.
	s.clock.Millis += 20
	s.run(cl, []scStep{sc(scInt(2), "DBSIZE")})

	before := time.Now()
	reply := s.do(cl, "TIME")
	parts := strings.Split(reply, "\r\n")
	if len(parts) != 6 || parts[0] != "*2" {
		t.Fatalf("TIME: %q", reply)
	}
	sec, _ := strconv.ParseInt(parts[2], 10, 64)
	usec, _ := strconv.ParseInt(parts[4], 10, 64)
	got := time.Unix(sec, usec*1000)
	if got.Before(before.Truncate(time.Microsecond)) || got.After(time.Now()) || usec >= 1e6 {
		t.Fatalf("TIME %v not in [%v, now]", got, before)
	}
	s.do(cl, "HELLO", "3")
	s.run(cl, []scStep{sc("=22\r\ntxt:Redis ver. 7.0.15\n\r\n", "LOLWUT")})
}

func TestFlush(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scErr("ERR syntax error"), "FLUSHDB", "x"),
		sc(scErr("ERR syntax error"), "FLUSHDB", "ASYNC", "x"),
		sc(scErr("ERR syntax error"), "FLUSHALL", "x"),
		sc(scOK, "SET", "plain", "v"),
		sc(scInt(5), "INCRBY", "counter", "5"),
		sc(scOK, "SET", "ttl", "v", "EX", "100"),
		sc(scOK, "SELECT", "1"),
		sc(scInt(1), "INCR", "c1"),
		sc(scOK, "SET", "p1", "x"),
		sc(scOK, "SELECT", "0"),
	})
	n := len(s.batches)
	s.run(cl, []scStep{sc(scOK, "FLUSHDB", "sync")})
	if len(s.batches) != n+1 {
		t.Fatalf("FLUSHDB made %d batches", len(s.batches)-n)
	}
	ops := s.batches[n].Ops
	if len(ops) != 2 || ops[0].Kind != effect.Delete || ops[0].Key != "counter" || ops[0].DB != 0 ||
		ops[0].Type != crdt.TypeString || len(ops[0].Offsets) != 1 || ops[0].Offsets[0].Int != 5 ||
		ops[1].Kind != effect.Flush || ops[1].DB != 0 {
		t.Fatalf("FLUSHDB ops: %+v", ops)
	}
	s.run(cl, []scStep{
		sc(scInt(0), "DBSIZE"),
		sc(scInt(1), "INCR", "counter"), // the old contributions do not come back
		sc(scOK, "SELECT", "1"),
		sc(scInt(2), "DBSIZE"),
		sc(scOK, "SELECT", "0"),
	})
	n = len(s.batches)
	s.run(cl, []scStep{sc(scOK, "FLUSHALL", "ASYNC")})
	ops = s.batches[n].Ops
	if len(ops) != 3 || ops[0].Kind != effect.Delete || ops[1].Kind != effect.Delete ||
		ops[2].Kind != effect.Flush || ops[2].DB != -1 {
		t.Fatalf("FLUSHALL ops: %+v", ops)
	}
	keys := map[string]int{ops[0].Key: ops[0].DB, ops[1].Key: ops[1].DB}
	if keys["counter"] != 0 || keys["c1"] != 1 || len(keys) != 2 {
		t.Fatalf("FLUSHALL deletes: %v", keys)
	}
	s.run(cl, []scStep{
		sc(scInt(0), "DBSIZE"),
		sc(scOK, "SELECT", "1"),
		sc(scInt(0), "DBSIZE"),
		sc(scOK, "FLUSHALL"), // an empty keyspace still makes its Flush
	})
}

func TestPersistenceCommands(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	const noPersist = "ERR persistence is not configured on this member" // an Env without package persist
	s.run(cl, []scStep{
		sc(scErr(noPersist), "SAVE"),
		sc(scArity("save"), "SAVE", "x"),
		sc(scErr(noPersist), "BGSAVE"),
		sc(scErr(noPersist), "BGSAVE", "SCHEDULE"),
		sc(scErr("ERR syntax error"), "BGSAVE", "x"),
		sc(scErr(noPersist), "BGREWRITEAOF"),
		sc(scArity("bgrewriteaof"), "BGREWRITEAOF", "x"),
		sc(scErr("ERR MONITOR is not supported by Concord yet"), "MONITOR"),
		sc(scArity("monitor"), "MONITOR", "x"),
	})
}

func TestShutdown(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scErr("ERR syntax error"), "SHUTDOWN", "x"),
		sc(scErr("ERR syntax error"), "SHUTDOWN", "NOSAVE", "SAVE"),
		sc(scErr("ERR syntax error"), "SHUTDOWN", "ABORT", "NOW"),
		sc(scErr("ERR No shutdown in progress."), "SHUTDOWN", "ABORT"),
		sc(scErr("ERR persistence is not configured on this member"), "SHUTDOWN", "SAVE"),
		sc(scErr("ERR Errors trying to SHUTDOWN. Check logs."), "SHUTDOWN"), // no Shutdown hook
	})
	stopped := 0
	s.env.Shutdown = func() { stopped++ }
	s.run(cl, []scStep{sc("", "SHUTDOWN", "NOSAVE", "NOW", "FORCE")})
	if stopped != 1 || !cl.CloseAfterReply {
		t.Fatalf("stopped %d, closing %v", stopped, cl.CloseAfterReply)
	}
}
