package command

import (
	"bytes"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// hashEnv is an in-process member for the hash command tests: a manual clock, the default
// configuration with DEBUG enabled, one client, and the batches committed.
type hashEnv struct {
	t       *testing.T
	env     *Env
	cl      *Client
	batches []*effect.Effect
}

func newHashEnv(t *testing.T) *hashEnv {
	t.Helper()
	cfg := config.Default()
	path := filepath.Join(t.TempDir(), "concord.conf")
	if err := os.WriteFile(path, []byte("enable-debug-command yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cfg.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	h := &hashEnv{t: t}
	e := engine.New(engine.Config{Member: 1, Databases: 16, Clock: &clock.Manual{Millis: 1704067200000}, Seed: 1})
	e.AddSink(func(b *effect.Effect) {
		h.batches = append(h.batches, &effect.Effect{Origin: b.Origin, Seq: b.Seq, Ops: slices.Clone(b.Ops)})
	})
	h.env = NewEnv(e, cfg, nil)
	h.cl = NewClient(0)
	h.env.Engine.Lock()
	err := h.env.Connect(h.cl)
	h.env.Engine.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *hashEnv) do(args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	h.env.Execute(h.cl, argv)
	var out bytes.Buffer
	if _, err := h.cl.Out.WriteTo(&out); err != nil {
		h.t.Fatal(err)
	}
	return out.String()
}

func (h *hashEnv) must(want string, args ...string) {
	h.t.Helper()
	if got := h.do(args...); got != want {
		h.t.Fatalf("%q: got %q, want %q", args, got, want)
	}
}

// ops returns the operations committed since batch from.
func (h *hashEnv) ops(from int) []effect.Op {
	var out []effect.Op
	for _, b := range h.batches[from:] {
		out = append(out, b.Ops...)
	}
	return out
}

type hashStep struct {
	args []string
	want string // "": not compared (HELLO)
}

// hashScenarios are command sequences with the replies redis-server 7.0.15 gave (small hashes:
// listpacks, whose order Concord keeps; HRANDFIELD only on one-field hashes).
var hashScenarios = []struct {
	name  string
	steps []hashStep
}{
	{"set_get", []hashStep{
		{[]string{"HSET", "h", "a", "1", "b", "2", "a", "3"}, ":2\r\n"},
		{[]string{"HGETALL", "h"}, "*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HGET", "h", "a"}, "$1\r\n3\r\n"},
		{[]string{"HGET", "h", "zz"}, "$-1\r\n"},
		{[]string{"HGET", "nosuch", "a"}, "$-1\r\n"},
		{[]string{"HMSET", "h", "c", "x"}, "+OK\r\n"},
		{[]string{"HSETNX", "h", "c", "y"}, ":0\r\n"},
		{[]string{"HSETNX", "h", "d", ""}, ":1\r\n"},
		{[]string{"HMGET", "h", "a", "zz", "d"}, "*3\r\n$1\r\n3\r\n$-1\r\n$0\r\n\r\n"},
		{[]string{"HMGET", "nosuch", "a"}, "*1\r\n$-1\r\n"},
		{[]string{"HLEN", "h"}, ":4\r\n"},
		{[]string{"HLEN", "nosuch"}, ":0\r\n"},
		{[]string{"HEXISTS", "h", "d"}, ":1\r\n"},
		{[]string{"HEXISTS", "h", "zz"}, ":0\r\n"},
		{[]string{"HSTRLEN", "h", "c"}, ":1\r\n"},
		{[]string{"HSTRLEN", "h", "zz"}, ":0\r\n"},
		{[]string{"HSTRLEN", "nosuch", "a"}, ":0\r\n"},
		{[]string{"HKEYS", "h"}, "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"},
		{[]string{"HVALS", "h"}, "*4\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\nx\r\n$0\r\n\r\n"},
		{[]string{"HKEYS", "nosuch"}, "*0\r\n"},
		{[]string{"HVALS", "nosuch"}, "*0\r\n"},
		{[]string{"HGETALL", "nosuch"}, "*0\r\n"},
		{[]string{"HDEL", "h", "a", "a", "zz"}, ":1\r\n"},
		{[]string{"HGETALL", "h"}, "*6\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\nx\r\n$1\r\nd\r\n$0\r\n\r\n"},
		{[]string{"HSET", "h", "a", "new"}, ":1\r\n"},
		{[]string{"HGETALL", "h"}, "*8\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\nx\r\n$1\r\nd\r\n$0\r\n\r\n$1\r\na\r\n$3\r\nnew\r\n"},
		{[]string{"HDEL", "h", "b", "c", "d", "a"}, ":4\r\n"},
		{[]string{"EXISTS", "h"}, ":0\r\n"},
		{[]string{"HDEL", "h", "a"}, ":0\r\n"},
		{[]string{"TYPE", "h"}, "+none\r\n"},
		{[]string{"HSET", "h", "f", "v"}, ":1\r\n"},
		{[]string{"TYPE", "h"}, "+hash\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
	}},
	{"errors", []hashStep{
		{[]string{"HSET", "h"}, "-ERR wrong number of arguments for 'hset' command\r\n"},
		{[]string{"HSET", "h", "f"}, "-ERR wrong number of arguments for 'hset' command\r\n"},
		{[]string{"HSET", "h", "f", "v", "g"}, "-ERR wrong number of arguments for 'hset' command\r\n"},
		{[]string{"HMSET", "h", "f"}, "-ERR wrong number of arguments for 'hmset' command\r\n"},
		{[]string{"HSETNX", "h", "f"}, "-ERR wrong number of arguments for 'hsetnx' command\r\n"},
		{[]string{"HGET", "h"}, "-ERR wrong number of arguments for 'hget' command\r\n"},
		{[]string{"HMGET", "h"}, "-ERR wrong number of arguments for 'hmget' command\r\n"},
		{[]string{"HDEL", "h"}, "-ERR wrong number of arguments for 'hdel' command\r\n"},
		{[]string{"HGETALL"}, "-ERR wrong number of arguments for 'hgetall' command\r\n"},
		{[]string{"HKEYS", "a", "b"}, "-ERR wrong number of arguments for 'hkeys' command\r\n"},
		{[]string{"HINCRBY", "h", "f"}, "-ERR wrong number of arguments for 'hincrby' command\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "1", "2"}, "-ERR wrong number of arguments for 'hincrbyfloat' command\r\n"},
		{[]string{"HRANDFIELD"}, "-ERR wrong number of arguments for 'hrandfield' command\r\n"},
		{[]string{"HSCAN", "h"}, "-ERR wrong number of arguments for 'hscan' command\r\n"},
		{[]string{"SET", "s", "x"}, "+OK\r\n"},
		{[]string{"HSET", "s", "f", "v"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HGET", "s", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HMGET", "s", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HGETALL", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HDEL", "s", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HLEN", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HSTRLEN", "s", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HEXISTS", "s", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HKEYS", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HVALS", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HSETNX", "s", "f", "v"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HINCRBY", "s", "f", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HINCRBY", "s", "f", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HINCRBYFLOAT", "s", "f", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HINCRBYFLOAT", "s", "f", "x"}, "-ERR value is not a valid float\r\n"},
		{[]string{"HINCRBYFLOAT", "s", "f", "inf"}, "-ERR value is NaN or Infinity\r\n"},
		{[]string{"HRANDFIELD", "s"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HRANDFIELD", "s", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HRANDFIELD", "s", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HSCAN", "s", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HSCAN", "s", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"HSET", "h", "f", "v"}, ":1\r\n"},
		{[]string{"GET", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCR", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"APPEND", "h", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	}},
	{"counters", []hashStep{
		{[]string{"HINCRBY", "h", "n", "5"}, ":5\r\n"},
		{[]string{"HINCRBY", "h", "n", "-7"}, ":-2\r\n"},
		{[]string{"HGET", "h", "n"}, "$2\r\n-2\r\n"},
		{[]string{"HINCRBY", "h", "n", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HINCRBY", "h", "n", "1.5"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HSET", "h", "s", "abc"}, ":1\r\n"},
		{[]string{"HINCRBY", "h", "s", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "s", "1"}, "-ERR hash value is not a float\r\n"},
		{[]string{"HSET", "h", "max", "9223372036854775807"}, ":1\r\n"},
		{[]string{"HINCRBY", "h", "max", "1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"HINCRBY", "h", "max", "-1"}, ":9223372036854775806\r\n"},
		{[]string{"HSET", "h", "min", "-9223372036854775808"}, ":1\r\n"},
		{[]string{"HINCRBY", "h", "min", "-1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"HINCRBY", "h", "big", "288230376151711743"}, ":288230376151711743\r\n"},
		{[]string{"HINCRBY", "h", "big", "-288230376151711743"}, ":0\r\n"},
		{[]string{"HGET", "h", "big"}, "$1\r\n0\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "10.5"}, "$4\r\n10.5\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "0.1"}, "$4\r\n10.6\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "-10.6"}, "$1\r\n0\r\n"},
		{[]string{"HGET", "h", "f"}, "$1\r\n0\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "g", "3.0e-5"}, "$7\r\n0.00003\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "g", "1e3"}, "$22\r\n1000.00002999999999997\r\n"},
		{[]string{"HINCRBY", "h", "g", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "x", "inf"}, "-ERR value is NaN or Infinity\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "x", "nan"}, "-ERR value is not a valid float\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "x", "abc"}, "-ERR value is not a valid float\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "x", "-0"}, "$1\r\n0\r\n"},
		{[]string{"HGET", "h", "x"}, "$1\r\n0\r\n"},
		{[]string{"HSET", "h", "i", "inf"}, ":1\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "i", "1"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"HSET", "h", "hex", "0x10"}, ":1\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "hex", "1"}, "$2\r\n17\r\n"},
		{[]string{"HGET", "h", "hex"}, "$2\r\n17\r\n"},
		{[]string{"HSET", "h", "e", "1e3"}, ":1\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "e", "1"}, "$4\r\n1001\r\n"},
		{[]string{"HSET", "h", "o", "1e308"}, ":1\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "o", "1e308"}, "$309\r\n199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096\r\n"},
		{[]string{"HSET", "h", "sp", " 1"}, ":1\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "sp", "1"}, "-ERR hash value is not a float\r\n"},
		{[]string{"HINCRBY", "h", "sp", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HSET", "h", "z", "007"}, ":1\r\n"},
		{[]string{"HINCRBY", "h", "z", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "z", "1"}, "$1\r\n8\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
	}},
	{"randfield_scan", []hashStep{
		{[]string{"HSET", "one", "only", "v"}, ":1\r\n"},
		{[]string{"HRANDFIELD", "one"}, "$4\r\nonly\r\n"},
		{[]string{"HRANDFIELD", "one", "1"}, "*1\r\n$4\r\nonly\r\n"},
		{[]string{"HRANDFIELD", "one", "-3"}, "*3\r\n$4\r\nonly\r\n$4\r\nonly\r\n$4\r\nonly\r\n"},
		{[]string{"HRANDFIELD", "one", "-2", "WITHVALUES"}, "*4\r\n$4\r\nonly\r\n$1\r\nv\r\n$4\r\nonly\r\n$1\r\nv\r\n"},
		{[]string{"HRANDFIELD", "one", "5", "withvalues"}, "*2\r\n$4\r\nonly\r\n$1\r\nv\r\n"},
		{[]string{"HRANDFIELD", "one", "0"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "one", "0", "WITHVALUES"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "nosuch"}, "$-1\r\n"},
		{[]string{"HRANDFIELD", "nosuch", "3"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "nosuch", "-3", "WITHVALUES"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "one", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HRANDFIELD", "one", "1", "WITHVALUE"}, "-ERR syntax error\r\n"},
		{[]string{"HRANDFIELD", "one", "1", "WITHVALUES", "x"}, "-ERR syntax error\r\n"},
		{[]string{"HRANDFIELD", "one", "-9223372036854775808"}, "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"},
		{[]string{"HRANDFIELD", "one", "-4611686018427387904", "WITHVALUES"}, "-ERR value is out of range\r\n"},
		{[]string{"HRANDFIELD", "one", "4611686018427387904", "WITHVALUES"}, "-ERR value is out of range\r\n"},
		{[]string{"HSET", "h", "a", "1", "b", "2", "c", "3"}, ":3\r\n"},
		{[]string{"HRANDFIELD", "h", "3", "WITHVALUES"}, "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HRANDFIELD", "h", "10"}, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		{[]string{"HSCAN", "h", "0"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "7", "COUNT", "1"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "0", "MATCH", "[ab]"}, "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HSCAN", "h", "0", "MATCH", "*", "COUNT", "100"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "h", "0", "COUNT", "0"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "0", "COUNT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HSCAN", "h", "0", "TYPE", "hash"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "0", "MATCH"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"HSCAN", "h", "-1"}, "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"HSCAN", "nosuch", "0", "COUNT", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"HSCAN", "nosuch", "x"}, "-ERR invalid cursor\r\n"},
	}},
	{"encoding", []hashStep{
		{[]string{"HSET", "h", "a", "1"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"CONFIG", "SET", "hash-max-listpack-entries", "2"}, "+OK\r\n"},
		{[]string{"HSET", "h", "b", "2"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"HSET", "h", "c", "3"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
		{[]string{"HDEL", "h", "c", "b"}, ":2\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
		{[]string{"DEL", "h"}, ":1\r\n"},
		{[]string{"HSET", "h", "a", "1", "a", "2", "a", "3"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"HSET", "h", "b", "2"}, ":1\r\n"},
		{[]string{"CONFIG", "SET", "hash-max-listpack-entries", "1"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"HDEL", "h", "b"}, ":1\r\n"},
		{[]string{"HSET", "h", "a", "x"}, ":0\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"CONFIG", "SET", "hash-max-listpack-entries", "512"}, "+OK\r\n"},
		{[]string{"DEL", "h"}, ":1\r\n"},
		{[]string{"CONFIG", "SET", "hash-max-listpack-value", "3"}, "+OK\r\n"},
		{[]string{"HSET", "h", "abc", "abc"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"HSETNX", "h", "abc", "abcd"}, ":0\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"HINCRBY", "h", "n", "1000"}, ":1000\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
		{[]string{"HSETNX", "h", "long", "1"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
		{[]string{"DEL", "h"}, ":1\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "x", "1.25"}, "$4\r\n1.25\r\n"},
		{[]string{"OBJECT", "ENCODING", "h"}, "$9\r\nhashtable\r\n"},
	}},
	{"keyspace", []hashStep{
		{[]string{"HSET", "h", "a", "1", "b", "2"}, ":2\r\n"},
		{[]string{"EXPIRE", "h", "1000"}, ":1\r\n"},
		{[]string{"HDEL", "h", "a", "b"}, ":2\r\n"},
		{[]string{"HSET", "h", "c", "3"}, ":1\r\n"},
		{[]string{"TTL", "h"}, ":-1\r\n"},
		{[]string{"EXPIRE", "h", "1000"}, ":1\r\n"},
		{[]string{"RENAME", "h", "h2"}, "+OK\r\n"},
		{[]string{"TTL", "h2"}, ":1000\r\n"},
		{[]string{"HGETALL", "h2"}, "*2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"COPY", "h2", "h3"}, ":1\r\n"},
		{[]string{"HGETALL", "h3"}, "*2\r\n$1\r\nc\r\n$1\r\n3\r\n"},
		{[]string{"TTL", "h3"}, ":1000\r\n"},
		{[]string{"MOVE", "h3", "1"}, ":1\r\n"},
		{[]string{"EXISTS", "h3"}, ":0\r\n"},
		{[]string{"DEBUG", "DIGEST-VALUE", "h2"}, "*1\r\n+9fef1859d80f01ddf375e9a045d68e2a86e175e7\r\n"},
		{[]string{"HSET", "h2", "x", "y", "z", ""}, ":2\r\n"},
		{[]string{"DEBUG", "DIGEST-VALUE", "h2"}, "*1\r\n+d250e2f5b3ee6874df8b065bae52a2d795d4c5d3\r\n"},
		{[]string{"DEL", "h2"}, ":1\r\n"},
		{[]string{"DEBUG", "DIGEST"}, "+b32172883c27b97c33d41f1c9dcc1ff6ca4e6a58\r\n"},
	}},
	{"resp3", []hashStep{
		{[]string{"HELLO", "3"}, ""},
		{[]string{"HSET", "h", "a", "1", "b", "2"}, ":2\r\n"},
		{[]string{"HGETALL", "h"}, "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HGETALL", "nosuch"}, "%0\r\n"},
		{[]string{"HKEYS", "nosuch"}, "*0\r\n"},
		{[]string{"HGET", "h", "zz"}, "_\r\n"},
		{[]string{"HMGET", "h", "a", "zz"}, "*2\r\n$1\r\n1\r\n_\r\n"},
		{[]string{"HRANDFIELD", "nosuch"}, "_\r\n"},
		{[]string{"HRANDFIELD", "nosuch", "2"}, "*0\r\n"},
		{[]string{"HSET", "one", "f", "v"}, ":1\r\n"},
		{[]string{"HRANDFIELD", "one", "-2", "WITHVALUES"}, "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{[]string{"HRANDFIELD", "one", "3", "WITHVALUES"}, "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{[]string{"HRANDFIELD", "one", "2"}, "*1\r\n$1\r\nf\r\n"},
		{[]string{"HSCAN", "h", "0"}, "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "a", "1.5"}, "$3\r\n2.5\r\n"},
	}},
}

func TestHashCommandsLikeRedis(t *testing.T) {
	for _, sc := range hashScenarios {
		t.Run(sc.name, func(t *testing.T) {
			h := newHashEnv(t)
			for i, st := range sc.steps {
				got := h.do(st.args...)
				if st.want != "" && got != st.want {
					t.Fatalf("step %d %q: got %q, want %q", i, st.args, got, st.want)
				}
			}
		})
	}
}

// The effects hash commands emit: what the other members apply.
func TestHashEffects(t *testing.T) {
	h := newHashEnv(t)
	h.must(":5\r\n", "HINCRBY", "h", "c", "5")
	n := len(h.batches)
	h.must(":1\r\n", "HSET", "h", "c", "1", "new", "v")
	ops := h.ops(n)
	if len(ops) != 1 || ops[0].Kind != effect.HashSet || len(ops[0].Elems) != 2 ||
		len(ops[0].ElemOffsets) != 2 || len(ops[0].ElemOffsets[0]) != 1 || ops[0].ElemOffsets[0][0].Int != 5 ||
		ops[0].ElemOffsets[1] != nil {
		t.Fatalf("HSET of a counter field: %+v", ops)
	}
	// Nothing changes: nothing is emitted.
	n = len(h.batches)
	h.must(":0\r\n", "HSETNX", "h", "new", "x")
	h.must(":0\r\n", "HDEL", "h", "nosuch")
	h.must(":0\r\n", "HDEL", "nosuch", "f")
	h.must("-ERR hash value is not an integer\r\n", "HINCRBY", "h", "new", "1")
	if len(h.batches) != n {
		t.Fatalf("no-op commands emitted %+v", h.ops(n))
	}
	// HDEL of some fields is a HashDelete with the counter totals.
	h.must(":2\r\n", "HINCRBY", "h", "c", "1")
	n = len(h.batches)
	h.must(":1\r\n", "HDEL", "h", "c")
	ops = h.ops(n)
	if len(ops) != 1 || ops[0].Kind != effect.HashDelete || string(ops[0].Elems[0]) != "c" || ops[0].ElemOffsets[0][0].Int != 6 {
		t.Fatalf("HDEL: %+v", ops)
	}
	// HDEL of every field deletes the key.
	n = len(h.batches)
	h.must(":1\r\n", "HDEL", "h", "new")
	ops = h.ops(n)
	if len(ops) != 1 || ops[0].Kind != effect.Delete {
		t.Fatalf("HDEL of the last field: %+v", ops)
	}
	// HINCRBYFLOAT records the exact difference to Redis's result.
	h.must("$3\r\n0.1\r\n", "HINCRBYFLOAT", "h", "x", "0.1")
	n = len(h.batches)
	h.must("$3\r\n0.3\r\n", "HINCRBYFLOAT", "h", "x", "0.2")
	ops = h.ops(n)
	if len(ops) != 1 || ops[0].Kind != effect.HashAdd || ops[0].Float.Cmp(big.NewRat(2, 10)) != 0 {
		t.Fatalf("HINCRBYFLOAT: %+v", ops)
	}
	// A value strtold reads but that is no plain decimal is rewritten whole.
	h.must(":1\r\n", "HSET", "h", "hex", "0x10")
	n = len(h.batches)
	h.must("$2\r\n17\r\n", "HINCRBYFLOAT", "h", "hex", "1")
	if ops = h.ops(n); len(ops) != 1 || ops[0].Kind != effect.HashSet || string(ops[0].Values[0]) != "17" {
		t.Fatalf("HINCRBYFLOAT on hex: %+v", ops)
	}
	// RENAME: one HashSet with the content, the TTL, and the removal of the source.
	h.must(":1\r\n", "EXPIRE", "h", "100")
	n = len(h.batches)
	h.must("+OK\r\n", "RENAME", "h", "h2")
	ops = h.ops(n)
	if len(ops) != 3 || ops[0].Kind != effect.HashSet || len(ops[0].Elems) != 2 || ops[1].Kind != effect.Expire || ops[2].Kind != effect.Delete {
		t.Fatalf("RENAME: %+v", ops)
	}
}

// Concord's counters are limited to 59 bits per member (semantics.md §1.1), where Redis allows
// int64: the deliberate difference of strings, for hash fields.
func TestHashCounterLimit(t *testing.T) {
	h := newHashEnv(t)
	h.must(":288230376151711743\r\n", "HINCRBY", "h", "c", "288230376151711743")
	h.must("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "c", "1")
	h.must(":0\r\n", "HINCRBY", "h", "c", "-288230376151711743")
	h.must(":0\r\n", "HSET", "h", "c", "9223372036854775806")
	h.must(":9223372036854775807\r\n", "HINCRBY", "h", "c", "1") // the base is not a contribution
	h.must("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "c", "1")
	h.must("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "d", "9223372036854775807")
}

// HSCAN over a hash Redis would hold as a hashtable uses Concord's cursors: every field is
// returned by a full iteration.
func TestHashScanLarge(t *testing.T) {
	h := newHashEnv(t)
	args := []string{"HSET", "h"}
	for i := range 1000 {
		args = append(args, "f"+Itoa(int64(i)), Itoa(int64(i)))
	}
	h.must(":1000\r\n", args...)
	h.must("$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "h")
	seen := map[string]bool{}
	cursor := "0"
	for calls := 0; ; calls++ {
		argv := [][]byte{[]byte("HSCAN"), []byte("h"), []byte(cursor), []byte("COUNT"), []byte("37")}
		h.env.Execute(h.cl, argv)
		var out bytes.Buffer
		h.cl.Out.WriteTo(&out)
		r := bytes.Split(out.Bytes(), []byte("\r\n"))
		cursor = string(r[2])
		for i := 5; i < len(r); i += 4 { // *2, $n, cursor, *n, then $n, field, $n, value ...
			seen[string(r[i])] = true
		}
		if cursor == "0" {
			break
		}
		if calls > 100 {
			t.Fatal("HSCAN does not end")
		}
	}
	if len(seen) != 1000 {
		t.Fatalf("HSCAN returned %d fields", len(seen))
	}
}

func benchHashCommand(b *testing.B, setup [][]string, argv func(i int) [][]byte) {
	e := engine.New(engine.Config{Member: 1, Databases: 16, Seed: 1})
	h := &hashEnv{env: NewEnv(e, config.Default(), nil), cl: NewClient(0)}
	h.env.Engine.Lock()
	if err := h.env.Connect(h.cl); err != nil {
		b.Fatal(err)
	}
	h.env.Engine.Unlock()
	for _, s := range setup {
		h.do(s...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		h.env.Execute(h.cl, argv(i))
		h.cl.Out.WriteTo(io.Discard)
	}
}

func fieldArgs(cmd string, n int, extra ...string) func(i int) [][]byte {
	all := make([][][]byte, n)
	for i := range all {
		a := [][]byte{[]byte(cmd), []byte("h"), []byte("field:" + Itoa(int64(i)))}
		for _, e := range extra {
			a = append(a, []byte(e))
		}
		all[i] = a
	}
	return func(i int) [][]byte { return all[i%n] }
}

func BenchmarkHSET(b *testing.B)    { benchHashCommand(b, nil, fieldArgs("HSET", 100000, "value")) }
func BenchmarkHGET(b *testing.B)    { benchHashCommand(b, nil, fieldArgs("HGET", 100000)) }
func BenchmarkHINCRBY(b *testing.B) { benchHashCommand(b, nil, fieldArgs("HINCRBY", 100000, "1")) }
