package command

import (
	"bytes"
	"log/slog"
	"slices"
	"testing"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/store"
)

// This file holds the test harness shared by the string-range, bit and LCS command tests:
// an in-process Env, and scripts of commands whose expected replies were captured byte for
// byte from redis-server 7.0.15 (RESP2, and RESP3 where the reply differs).
//
// Pseudo-commands in scripts: "!list KEY" creates a key of another type (a list in Redis, a
// stand-in value here, for WRONGTYPE cases); "!maxlen N" sets proto-max-bulk-len.

// capStep is one command and its captured replies; resp3 is empty when equal to resp2.
type capStep struct {
	args         []string
	resp2, resp3 string
}

// capScript is a sequence of steps run in order on an empty database.
type capScript struct {
	name  string
	steps []capStep
}

// capEnv is an in-process Concord with one client.
type capEnv struct {
	t       *testing.T
	env     *Env
	cl      *Client
	effects []effect.Op // the operations of every committed local batch
}

func newCapEnv(t *testing.T, proto int) *capEnv {
	t.Helper()
	e := engine.New(engine.Config{Member: 1})
	env := NewEnv(e, config.Default(), slog.New(slog.DiscardHandler))
	ce := &capEnv{t: t, env: env}
	// Batches are recycled after the sinks ran: keep copies of their operations.
	e.AddSink(func(b *effect.Effect) { ce.effects = append(ce.effects, slices.Clone(b.Ops)...) })
	cl := NewClient(0)
	e.Lock()
	err := env.Connect(cl)
	e.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	cl.Proto = proto
	cl.W.SetProtocol(proto)
	ce.cl = cl
	return ce
}

// do runs one command and returns its raw reply.
func (ce *capEnv) do(args ...string) string {
	ce.t.Helper()
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	ce.env.Execute(ce.cl, bs)
	var buf bytes.Buffer
	if _, err := ce.cl.Out.WriteTo(&buf); err != nil {
		ce.t.Fatal(err)
	}
	return buf.String()
}

// capOtherType is a live value of another type than string, standing in for a list.
type capOtherType struct{}

func (capOtherType) Type() crdt.Type { return crdt.TypeList }
func (capOtherType) Live() bool      { return true }
func (capOtherType) Retained() bool  { return false }

// makeOther makes key hold a value of another type.
func (ce *capEnv) makeOther(key string) {
	e := ce.env.Engine
	e.Lock()
	defer e.Unlock()
	db := e.Store().DB(ce.cl.DB)
	ent := db.GetOrCreate(key)
	ent.Value = capOtherType{}
	e.Store().Update(db, ent)
}

// entry returns the live entry of key (nil when missing or expired).
func (ce *capEnv) entry(key string) *store.Entry {
	e := ce.env.Engine
	e.Lock()
	defer e.Unlock()
	return e.Lookup(ce.cl.DB, key)
}

// ops returns the operations of the batches committed since the previous call.
func (ce *capEnv) ops() []effect.Op {
	out := ce.effects
	ce.effects = nil
	return out
}

// runCapScripts runs scripts in RESP2 and RESP3 and compares every reply with the capture.
func runCapScripts(t *testing.T, scripts []capScript) {
	for _, proto := range []int{2, 3} {
		for _, sc := range scripts {
			t.Run(sc.name+"/resp"+string(rune('0'+proto)), func(t *testing.T) {
				ce := newCapEnv(t, proto)
				for i, st := range sc.steps {
					switch st.args[0] {
					case "!list":
						ce.makeOther(st.args[1])
						continue
					case "!maxlen":
						if err := ce.env.Config.Set("proto-max-bulk-len", st.args[1]); err != nil {
							t.Fatalf("CONFIG SET proto-max-bulk-len %s: %v", st.args[1], err)
						}
						continue
					}
					want := st.resp2
					if proto == 3 && st.resp3 != "" {
						want = st.resp3
					}
					if got := ce.do(st.args...); got != want {
						t.Errorf("step %d %q:\n got %q\nwant %q", i, st.args, got, want)
					}
				}
			})
		}
	}
}

func TestStringRangeCommandsCaptured(t *testing.T) { runCapScripts(t, rangeScripts) }

// findOp returns the only operation of ops, failing unless there is exactly one of kind.
func singleOp(t *testing.T, ops []effect.Op, kind effect.Kind) effect.Op {
	t.Helper()
	if len(ops) != 1 || ops[0].Kind != kind {
		t.Fatalf("want one op of kind %d, got %+v", kind, ops)
	}
	return ops[0]
}

// TestWholeValueWritesKeepTTL checks that the commands Redis runs in place emit one StringSet
// of the whole new value that keeps the TTL, and leave the stored value they read untouched.
func TestWholeValueWritesKeepTTL(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"APPEND", "k", "!!"}, "hello!!"},
		{[]string{"SETRANGE", "k", "1", "EL"}, "hELlo"},
		{[]string{"SETRANGE", "k", "7", "x"}, "hello\x00\x00x"},
		{[]string{"SETBIT", "k", "2", "0"}, "Hello"},
		{[]string{"SETBIT", "k", "47", "1"}, "hello\x01"},
		{[]string{"BITFIELD", "k", "SET", "u8", "0", "72", "GET", "u8", "8"}, "Hello"},
		{[]string{"BITFIELD", "k", "INCRBY", "u8", "#4", "-8"}, "hellg"},
		{[]string{"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "#6", "-8"}, "hello\x00\x00"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			ce := newCapEnv(t, 2)
			ce.do("SET", "k", "hello", "PX", "100000")
			before := ce.entry("k")
			at := before.ExpireAt
			stored := StringValue(before)
			ce.ops()
			ce.do(tc.args...)
			op := singleOp(t, ce.ops(), effect.StringSet)
			if !op.KeepTTL || string(op.Value) != tc.want {
				t.Errorf("op %+v, want KeepTTL and value %q", op, tc.want)
			}
			ent := ce.entry("k")
			if got := string(StringValue(ent)); got != tc.want {
				t.Errorf("value %q, want %q", got, tc.want)
			}
			if ent.ExpireAt != at || at == 0 {
				t.Errorf("TTL lost: expire at %d, was %d", ent.ExpireAt, at)
			}
			if string(stored) != "hello" {
				t.Errorf("the previous value was modified in place: %q", stored)
			}
		})
	}
}

// TestNoChangeNoEffect checks that commands that change nothing emit nothing, and that the
// ones Redis 7.0 still signals as modifying the key invalidate WATCH.
func TestNoChangeNoEffect(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		touched bool // Redis 7.0.15 aborts an EXEC watching k
	}{
		{[]string{"SETRANGE", "nokey", "0", ""}, false},
		{[]string{"SETRANGE", "k", "3", ""}, false},
		{[]string{"SETRANGE", "k", "0", "abc"}, true},
		{[]string{"APPEND", "k", ""}, true},
		{[]string{"SETBIT", "k", "7", "1"}, false},
		{[]string{"SETBIT", "k", "8", "0"}, false},
		{[]string{"BITFIELD", "k", "GET", "u8", "0"}, false},
		{[]string{"BITFIELD", "k", "SET", "u8", "0", "97"}, false},
		{[]string{"BITFIELD", "k", "INCRBY", "u8", "0", "0"}, false},
		{[]string{"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10"}, false},
		{[]string{"BITFIELD_RO", "k", "GET", "u8", "0"}, false},
		{[]string{"BITFIELD", "nokey"}, false},
		{[]string{"BITOP", "AND", "nokey", "nokey2"}, false},
		{[]string{"GETEX", "k", "PERSIST"}, false},
		{[]string{"GETEX", "k"}, false},
		{[]string{"GETEX", "nokey", "EX", "100"}, false},
		{[]string{"GETEX", "nokey", "PERSIST"}, false},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			ce := newCapEnv(t, 2)
			ce.do("SET", "k", "abc")
			ce.ops()
			ce.do("WATCH", "k")
			ce.do(tc.args...)
			if ops := ce.ops(); len(ops) != 0 {
				t.Errorf("%q emitted %+v", tc.args, ops)
			}
			ce.do("MULTI")
			ce.do("PING")
			exec := ce.do("EXEC")
			aborted := exec == "*-1\r\n"
			if aborted != tc.touched {
				t.Errorf("%q: EXEC aborted = %v (%q), want %v", tc.args, aborted, exec, tc.touched)
			}
			if tc.args[1] == "nokey" && ce.entry("nokey") != nil {
				t.Errorf("%q created the key", tc.args)
			}
		})
	}
}

func TestAppendSetrangeCreate(t *testing.T) {
	ce := newCapEnv(t, 2)
	ce.do("APPEND", "a", "")
	op := singleOp(t, ce.ops(), effect.StringSet)
	if op.Key != "a" || len(op.Value) != 0 {
		t.Errorf("APPEND of \"\" to a missing key: %+v", op)
	}
	ce.do("SETRANGE", "s", "2", "x")
	op = singleOp(t, ce.ops(), effect.StringSet)
	if string(op.Value) != "\x00\x00x" {
		t.Errorf("SETRANGE of a missing key: %+v", op)
	}
	// The argument buffer is not kept by the stored value.
	args := [][]byte{[]byte("APPEND"), []byte("b"), []byte("xyz")}
	ce.env.Execute(ce.cl, args)
	args[2][0] = 'Q'
	if got := string(StringValue(ce.entry("b"))); got != "xyz" {
		t.Errorf("stored value aliases the argument: %q", got)
	}
}

// TestWriteToExpiredKey checks that a write to an expired key starts from an empty value.
func TestWriteToExpiredKey(t *testing.T) {
	for _, args := range [][]string{
		{"APPEND", "k", "x"}, {"SETRANGE", "k", "0", "x"}, {"SETBIT", "k", "1", "1"},
		{"BITFIELD", "k", "SET", "u8", "0", "120"},
	} {
		ce := newCapEnv(t, 2)
		ce.do("SET", "k", "hello", "PX", "1")
		for ce.entry("k") != nil {
		}
		ce.do(args...)
		ent := ce.entry("k")
		if ent == nil || len(StringValue(ent)) != 1 || ent.ExpireAt != 0 {
			t.Errorf("%q on an expired key: %+v", args, ent)
		}
	}
}

func TestGetexEffects(t *testing.T) {
	ce := newCapEnv(t, 2)
	ce.do("SET", "k", "v")
	ce.ops()
	now := ce.env.Engine.Now()

	ce.do("GETEX", "k", "EX", "100")
	op := singleOp(t, ce.ops(), effect.Expire)
	if op.Key != "k" || op.At < now+100000 || op.At > now+110000 {
		t.Errorf("GETEX EX 100: %+v (now %d)", op, now)
	}
	if ent := ce.entry("k"); ent.ExpireAt != op.At {
		t.Errorf("TTL %d, want %d", ent.ExpireAt, op.At)
	}
	ce.do("GETEX", "k", "PX", "5000")
	if op = singleOp(t, ce.ops(), effect.Expire); op.At < now+5000 || op.At > now+15000 {
		t.Errorf("GETEX PX 5000: %+v", op)
	}
	ce.do("GETEX", "k", "EXAT", "99999999999")
	if op = singleOp(t, ce.ops(), effect.Expire); op.At != 99999999999000 {
		t.Errorf("GETEX EXAT: %+v", op)
	}
	ce.do("GETEX", "k", "PXAT", "99999999999999")
	if op = singleOp(t, ce.ops(), effect.Expire); op.At != 99999999999999 {
		t.Errorf("GETEX PXAT: %+v", op)
	}
	ce.do("GETEX", "k", "PERSIST")
	if op = singleOp(t, ce.ops(), effect.Expire); op.At != 0 {
		t.Errorf("GETEX PERSIST: %+v", op)
	}
	if ent := ce.entry("k"); ent.ExpireAt != 0 {
		t.Errorf("PERSIST left a TTL: %d", ent.ExpireAt)
	}
	// Concord's TTL limit (semantics.md §8).
	if got := ce.do("GETEX", "k", "PXAT", "562949953421313"); got != "-ERR invalid expire time in 'getex' command\r\n" {
		t.Errorf("GETEX PXAT 2^49+1: %q", got)
	}
	// An absolute time in the past deletes the key, as Redis does.
	if got := ce.do("GETEX", "k", "PXAT", "1000"); got != "$1\r\nv\r\n" {
		t.Errorf("GETEX PXAT past: %q", got)
	}
	op = singleOp(t, ce.ops(), effect.Delete)
	if op.Key != "k" || ce.entry("k") != nil {
		t.Errorf("GETEX PXAT past: %+v, key still there", op)
	}
}

// rangeScripts were captured from redis-server 7.0.15.
var rangeScripts = []capScript{
	{"append", []capStep{
		{[]string{"APPEND", "k", ""}, ":0\r\n", ""},
		{[]string{"GET", "k"}, "$0\r\n\r\n", ""},
		{[]string{"STRLEN", "k"}, ":0\r\n", ""},
		{[]string{"APPEND", "k", "hello"}, ":5\r\n", ""},
		{[]string{"APPEND", "k", " world"}, ":11\r\n", ""},
		{[]string{"GET", "k"}, "$11\r\nhello world\r\n", ""},
		{[]string{"APPEND", "k", ""}, ":11\r\n", ""},
		{[]string{"GET", "k"}, "$11\r\nhello world\r\n", ""},
		{[]string{"SET", "n", "100"}, "+OK\r\n", ""},
		{[]string{"APPEND", "n", "123"}, ":6\r\n", ""},
		{[]string{"GET", "n"}, "$6\r\n100123\r\n", ""},
		{[]string{"INCR", "n"}, ":100124\r\n", ""},
		{[]string{"APPEND", "b", "\x00\xff"}, ":2\r\n", ""},
		{[]string{"APPEND", "b", "\x00"}, ":3\r\n", ""},
		{[]string{"GET", "b"}, "$3\r\n\x00\xff\x00\r\n", ""},
		{[]string{"!list", "l"}, "", ""},
		{[]string{"APPEND", "l", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"APPEND", "l", ""}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"APPEND", "k"}, "-ERR wrong number of arguments for 'append' command\r\n", ""},
		{[]string{"APPEND", "k", "a", "b"}, "-ERR wrong number of arguments for 'append' command\r\n", ""},
		{[]string{"append", "k", "!"}, ":12\r\n", ""},
		{[]string{"GET", "k"}, "$12\r\nhello world!\r\n", ""},
	}},
	{"strlen", []capStep{
		{[]string{"STRLEN", "nokey"}, ":0\r\n", ""},
		{[]string{"SET", "e", ""}, "+OK\r\n", ""},
		{[]string{"STRLEN", "e"}, ":0\r\n", ""},
		{[]string{"SET", "s", "hello"}, "+OK\r\n", ""},
		{[]string{"STRLEN", "s"}, ":5\r\n", ""},
		{[]string{"SET", "n", "12345"}, "+OK\r\n", ""},
		{[]string{"STRLEN", "n"}, ":5\r\n", ""},
		{[]string{"SET", "f", "-1.5"}, "+OK\r\n", ""},
		{[]string{"STRLEN", "f"}, ":4\r\n", ""},
		{[]string{"INCR", "c"}, ":1\r\n", ""},
		{[]string{"STRLEN", "c"}, ":1\r\n", ""},
		{[]string{"!list", "l"}, "", ""},
		{[]string{"STRLEN", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"STRLEN"}, "-ERR wrong number of arguments for 'strlen' command\r\n", ""},
		{[]string{"STRLEN", "a", "b"}, "-ERR wrong number of arguments for 'strlen' command\r\n", ""},
	}},
	{"getrange", []capStep{
		{[]string{"SET", "s", "Hello World"}, "+OK\r\n", ""},
		{[]string{"GETRANGE", "s", "0", "3"}, "$4\r\nHell\r\n", ""},
		{[]string{"GETRANGE", "s", "-3", "-1"}, "$3\r\nrld\r\n", ""},
		{[]string{"GETRANGE", "s", "0", "-1"}, "$11\r\nHello World\r\n", ""},
		{[]string{"GETRANGE", "s", "10", "100"}, "$1\r\nd\r\n", ""},
		{[]string{"GETRANGE", "s", "5", "3"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "-1", "-5"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "-100", "-90"}, "$1\r\nH\r\n", ""},
		{[]string{"GETRANGE", "s", "-100", "100"}, "$11\r\nHello World\r\n", ""},
		{[]string{"GETRANGE", "s", "0", "0"}, "$1\r\nH\r\n", ""},
		{[]string{"GETRANGE", "s", "11", "11"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "10", "10"}, "$1\r\nd\r\n", ""},
		{[]string{"GETRANGE", "s", "-1", "-1"}, "$1\r\nd\r\n", ""},
		{[]string{"GETRANGE", "s", "3", "-100"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "-100", "-100"}, "$1\r\nH\r\n", ""},
		{[]string{"GETRANGE", "s", "-100", "0"}, "$1\r\nH\r\n", ""},
		{[]string{"GETRANGE", "s", "-12", "-11"}, "$1\r\nH\r\n", ""},
		{[]string{"GETRANGE", "s", "-11", "-11"}, "$1\r\nH\r\n", ""},
		{[]string{"GETRANGE", "s", "4", "-7"}, "$1\r\no\r\n", ""},
		{[]string{"GETRANGE", "s", "4", "-8"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}, "$11\r\nHello World\r\n", ""},
		{[]string{"GETRANGE", "s", "9223372036854775807", "-9223372036854775808"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "9223372036854775807", "9223372036854775807"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "-9223372036854775808", "-9223372036854775808"}, "$1\r\nH\r\n", ""},
		{[]string{"GETRANGE", "s", "-1", "-9223372036854775808"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "0", "-9223372036854775808"}, "$1\r\nH\r\n", ""},
		{[]string{"SUBSTR", "s", "0", "3"}, "$4\r\nHell\r\n", ""},
		{[]string{"SUBSTR", "s", "-3", "-1"}, "$3\r\nrld\r\n", ""},
		{[]string{"SUBSTR", "s", "0", "-1"}, "$11\r\nHello World\r\n", ""},
		{[]string{"SUBSTR", "s", "10", "100"}, "$1\r\nd\r\n", ""},
		{[]string{"SUBSTR", "s", "5", "3"}, "$0\r\n\r\n", ""},
		{[]string{"SUBSTR", "s", "-1", "-5"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "s", "a", "1"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", "1", "b"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", "", "1"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", "1.5", "2"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", " 1", "2"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", "+1", "2"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", "9223372036854775808", "1"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", "01", "2"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "s", "-0", "2"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "nokey", "0", "-1"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "nokey", "a", "-1"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETRANGE", "nokey", "5", "1"}, "$0\r\n\r\n", ""},
		{[]string{"SET", "e", ""}, "+OK\r\n", ""},
		{[]string{"GETRANGE", "e", "0", "-1"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "e", "0", "0"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "e", "-1", "-1"}, "$0\r\n\r\n", ""},
		{[]string{"GETRANGE", "e", "-9223372036854775808", "9223372036854775807"}, "$0\r\n\r\n", ""},
		{[]string{"SET", "n", "-12345"}, "+OK\r\n", ""},
		{[]string{"GETRANGE", "n", "0", "2"}, "$3\r\n-12\r\n", ""},
		{[]string{"GETRANGE", "n", "-2", "-1"}, "$2\r\n45\r\n", ""},
		{[]string{"SET", "bin", "\x00\x01\x02\xff"}, "+OK\r\n", ""},
		{[]string{"GETRANGE", "bin", "1", "2"}, "$2\r\n\x01\x02\r\n", ""},
		{[]string{"!list", "l"}, "", ""},
		{[]string{"GETRANGE", "l", "0", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"GETRANGE", "l", "a", "1"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"SUBSTR", "l", "0", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"GETRANGE", "s", "0"}, "-ERR wrong number of arguments for 'getrange' command\r\n", ""},
		{[]string{"GETRANGE", "s", "0", "1", "2"}, "-ERR wrong number of arguments for 'getrange' command\r\n", ""},
		{[]string{"SUBSTR", "s", "0"}, "-ERR wrong number of arguments for 'substr' command\r\n", ""},
		{[]string{"substr", "s", "0", "4"}, "$5\r\nHello\r\n", ""},
		{[]string{"GetRange", "s", "0", "4"}, "$5\r\nHello\r\n", ""},
	}},
	{"setrange", []capStep{
		{[]string{"SETRANGE", "k", "0", ""}, ":0\r\n", ""},
		{[]string{"GET", "k"}, "$-1\r\n", "_\r\n"},
		{[]string{"SETRANGE", "k", "5", ""}, ":0\r\n", ""},
		{[]string{"GET", "k"}, "$-1\r\n", "_\r\n"},
		{[]string{"SETRANGE", "k", "5", "ab"}, ":7\r\n", ""},
		{[]string{"GET", "k"}, "$7\r\n\x00\x00\x00\x00\x00ab\r\n", ""},
		{[]string{"SETRANGE", "k", "0", "xyz"}, ":7\r\n", ""},
		{[]string{"GET", "k"}, "$7\r\nxyz\x00\x00ab\r\n", ""},
		{[]string{"SETRANGE", "k", "6", "CDEF"}, ":10\r\n", ""},
		{[]string{"GET", "k"}, "$10\r\nxyz\x00\x00aCDEF\r\n", ""},
		{[]string{"SETRANGE", "k", "12", "!"}, ":13\r\n", ""},
		{[]string{"GET", "k"}, "$13\r\nxyz\x00\x00aCDEF\x00\x00!\r\n", ""},
		{[]string{"SETRANGE", "k", "2", ""}, ":13\r\n", ""},
		{[]string{"SETRANGE", "k", "0", "xyz"}, ":13\r\n", ""},
		{[]string{"GET", "k"}, "$13\r\nxyz\x00\x00aCDEF\x00\x00!\r\n", ""},
		{[]string{"SETRANGE", "k", "-1", "x"}, "-ERR offset is out of range\r\n", ""},
		{[]string{"SETRANGE", "k", "-1", ""}, "-ERR offset is out of range\r\n", ""},
		{[]string{"SETRANGE", "k", "abc", "x"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"SETRANGE", "k", "", "x"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"SETRANGE", "k", "1.0", "x"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"SETRANGE", "k", "-9223372036854775808", "x"}, "-ERR offset is out of range\r\n", ""},
		{[]string{"SETRANGE", "k", "9223372036854775808", "x"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"SETRANGE", "k", "9223372036854775807", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"SETRANGE", "k", "9223372036854775807", ""}, ":13\r\n", ""},
		{[]string{"SETRANGE", "k", "536870912", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"SETRANGE", "k", "536870911", "xy"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"SETRANGE", "nk", "536870912", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"SETRANGE", "nk", "536870911", ""}, ":0\r\n", ""},
		{[]string{"GET", "nk"}, "$-1\r\n", "_\r\n"},
		{[]string{"SETRANGE", "nk", "9223372036854775807", ""}, ":0\r\n", ""},
		{[]string{"SET", "n", "12345"}, "+OK\r\n", ""},
		{[]string{"SETRANGE", "n", "1", "0"}, ":5\r\n", ""},
		{[]string{"GET", "n"}, "$5\r\n10345\r\n", ""},
		{[]string{"INCR", "n"}, ":10346\r\n", ""},
		{[]string{"!list", "l"}, "", ""},
		{[]string{"SETRANGE", "l", "0", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"SETRANGE", "l", "0", ""}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"SETRANGE", "l", "-1", "x"}, "-ERR offset is out of range\r\n", ""},
		{[]string{"SETRANGE", "l", "a", "x"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"!maxlen", "1048576"}, "", ""},
		{[]string{"SETRANGE", "big", "1048575", "x"}, ":1048576\r\n", ""},
		{[]string{"STRLEN", "big"}, ":1048576\r\n", ""},
		{[]string{"SETRANGE", "big", "1048576", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"SETRANGE", "big", "1048575", "xy"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"APPEND", "big", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"APPEND", "big", ""}, ":1048576\r\n", ""},
		{[]string{"SETRANGE", "big", "0", "abc"}, ":1048576\r\n", ""},
		{[]string{"GETRANGE", "big", "0", "5"}, "$6\r\nabc\x00\x00\x00\r\n", ""},
		{[]string{"SETRANGE", "big2", "1048576", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"SETRANGE", "big2", "1048570", "0123456"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", ""},
		{[]string{"GET", "big2"}, "$-1\r\n", "_\r\n"},
		{[]string{"SETRANGE", "k", "0"}, "-ERR wrong number of arguments for 'setrange' command\r\n", ""},
		{[]string{"SETRANGE", "k", "0", "a", "b"}, "-ERR wrong number of arguments for 'setrange' command\r\n", ""},
		{[]string{"setrange", "k", "1", "Q"}, ":13\r\n", ""},
		{[]string{"GET", "k"}, "$13\r\nxQz\x00\x00aCDEF\x00\x00!\r\n", ""},
	}},
	{"getex", []capStep{
		{[]string{"GETEX", "nokey"}, "$-1\r\n", "_\r\n"},
		{[]string{"GETEX", "nokey", "EX", "10"}, "$-1\r\n", "_\r\n"},
		{[]string{"GETEX", "nokey", "EX", "0"}, "$-1\r\n", "_\r\n"},
		{[]string{"GETEX", "nokey", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "nokey", "EX", "abc"}, "$-1\r\n", "_\r\n"},
		{[]string{"GETEX", "nokey", "EXAT", "1"}, "$-1\r\n", "_\r\n"},
		{[]string{"SET", "k", "v"}, "+OK\r\n", ""},
		{[]string{"GETEX", "k"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "EX", "100"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "PX", "100000"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "EXAT", "99999999999"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "PXAT", "99999999999999"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "PERSIST"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "persist"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "ex", "10"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "EX", "0"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "EX", "-1"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "PX", "0"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "EXAT", "0"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "PXAT", "-5"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETEX", "k", "EX", "1.5"}, "-ERR value is not an integer or out of range\r\n", ""},
		{[]string{"GETEX", "k", "EX"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "PX"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "EX", "10", "PX", "10"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "PERSIST", "EX", "10"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "EX", "10", "PERSIST"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "KEEPTTL"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "NX"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "GET"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "EX", "10", "EX", "10"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "PERSIST", "PERSIST"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "EX", "10", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "k", "EX", "9223372036854775807"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "EX", "9223372036854776"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "PX", "9223372036854775807"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "EXAT", "9223372036854775807"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GETEX", "k", "PXAT", "-9223372036854775808"}, "-ERR invalid expire time in 'getex' command\r\n", ""},
		{[]string{"GET", "k"}, "$1\r\nv\r\n", ""},
		{[]string{"GETEX", "k", "EXAT", "1"}, "$1\r\nv\r\n", ""},
		{[]string{"GET", "k"}, "$-1\r\n", "_\r\n"},
		{[]string{"SET", "k2", "v2"}, "+OK\r\n", ""},
		{[]string{"GETEX", "k2", "PXAT", "1000"}, "$2\r\nv2\r\n", ""},
		{[]string{"GET", "k2"}, "$-1\r\n", "_\r\n"},
		{[]string{"!list", "l"}, "", ""},
		{[]string{"GETEX", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"GETEX", "l", "EX", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"GETEX", "l", "FOO"}, "-ERR syntax error\r\n", ""},
		{[]string{"GETEX", "l", "PERSIST"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", ""},
		{[]string{"GETEX"}, "-ERR wrong number of arguments for 'getex' command\r\n", ""},
		{[]string{"getex", "k"}, "$-1\r\n", "_\r\n"},
	}},
}
