package command

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// ktEnv is an in-process Concord member for the keyspace command tests: an engine on a manual
// clock, a default configuration and one client. Expected replies are raw RESP, and the error
// texts are those of redis-server 7.0.15.
type ktEnv struct {
	t     *testing.T
	env   *Env
	clock *clock.Manual
	cl    *Client
	// batches are the effect batches committed, in order.
	batches []*effect.Effect
}

// ktStart is the manual clock's initial time (2024-01-01T00:00:00Z).
const ktStart = 1704067200000

func newKeysEnv(t *testing.T) *ktEnv {
	t.Helper()
	k := &ktEnv{t: t, clock: &clock.Manual{Millis: ktStart}}
	e := engine.New(engine.Config{Member: 1, Databases: 16, Clock: k.clock, Seed: 1})
	e.AddSink(func(b *effect.Effect) {
		// Sinks must not retain batches (the engine reuses them): keep a copy.
		cp := &effect.Effect{Origin: b.Origin, Seq: b.Seq, HLC: b.HLC, Ops: slices.Clone(b.Ops)}
		for i := range cp.Ops {
			cp.Ops[i].Value = bytes.Clone(cp.Ops[i].Value)
		}
		k.batches = append(k.batches, cp)
	})
	k.env = NewEnv(e, config.Default(), nil)
	k.cl = k.client()
	return k
}

func (k *ktEnv) client() *Client {
	k.t.Helper()
	cl := NewClient(0)
	k.env.Engine.Lock()
	err := k.env.Connect(cl)
	k.env.Engine.Unlock()
	if err != nil {
		k.t.Fatal(err)
	}
	return cl
}

// doOn runs a command on cl and returns its raw reply.
func (k *ktEnv) doOn(cl *Client, args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	k.env.Execute(cl, argv)
	var out bytes.Buffer
	if _, err := cl.Out.WriteTo(&out); err != nil {
		k.t.Fatal(err)
	}
	return out.String()
}

func (k *ktEnv) do(args ...string) string { return k.doOn(k.cl, args...) }

// must runs a command and fails the test unless it replies want.
func (k *ktEnv) must(want string, args ...string) {
	k.t.Helper()
	if got := k.do(args...); got != want {
		k.t.Fatalf("%q: got %q, want %q", args, got, want)
	}
}

// advance moves the clock forward.
func (k *ktEnv) advance(ms int64) { k.clock.Millis += ms }

// now is the clock's time.
func (k *ktEnv) now() int64 { return k.clock.Millis }

// ops returns the operations of the batches committed since batch from.
func (k *ktEnv) ops(from int) []effect.Op {
	var out []effect.Op
	for _, b := range k.batches[from:] {
		out = append(out, b.Ops...)
	}
	return out
}

// RESP reply builders.
const (
	ktOK   = "+OK\r\n"
	ktNull = "$-1\r\n"
)

func ktInt(n int64) string     { return ":" + strconv.FormatInt(n, 10) + "\r\n" }
func ktBulk(s string) string   { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
func ktErr(s string) string    { return "-" + s + "\r\n" }
func ktSimple(s string) string { return "+" + s + "\r\n" }
func ktArr(items ...string) string {
	return "*" + strconv.Itoa(len(items)) + "\r\n" + strings.Join(items, "")
}

// ktStep is one command of a table-driven scenario and its expected raw reply; a step without
// arguments moves the clock or selects a database.
type ktStep struct {
	args    []string
	want    string
	advance int64
	db      int // with no args and no advance: select database db-1 (SELECT lives elsewhere)
}

func st(want string, args ...string) ktStep { return ktStep{args: args, want: want} }
func ktWait(ms int64) ktStep                { return ktStep{advance: ms} }
func ktSelect(db int) ktStep                { return ktStep{db: db + 1} }

func ktRun(t *testing.T, steps []ktStep) {
	t.Helper()
	k := newKeysEnv(t)
	for i, s := range steps {
		if s.args == nil {
			if s.db > 0 {
				k.cl.DB = s.db - 1
			}
			k.advance(s.advance)
			continue
		}
		if got := k.do(s.args...); got != s.want {
			t.Fatalf("ktStep %d %q: got %q, want %q", i, s.args, got, s.want)
		}
	}
}

const (
	ktErrNoSuchKey  = "ERR no such key"
	ktErrSameObject = "ERR source and destination objects are the same"
	ktErrDBRange    = "ERR DB index is out of range"
	ktErrNotInt     = "ERR value is not an integer or out of range"
	ktErrIntRange   = "ERR value is out of range, value must between -2147483648 and 2147483647"
	ktErrSyntax     = "ERR syntax error"
	ktErrWrongArgs  = "ERR wrong number of arguments for '%s' command"
)

func ktWrongArgs(name string) string { return ktErr(fmt.Sprintf(ktErrWrongArgs, name)) }

func TestKeysDelExistsTypeTouch(t *testing.T) {
	tests := []struct {
		name  string
		steps []ktStep
	}{
		{"del", []ktStep{
			st(ktOK, "SET", "a", "1"), st(ktOK, "SET", "b", "2"),
			st(ktInt(2), "DEL", "a", "b", "nokey"),
			st(ktInt(0), "DEL", "a"),
			st(ktInt(0), "EXISTS", "a", "b"),
		}},
		{"del duplicates count once", []ktStep{
			st(ktOK, "SET", "a", "1"),
			st(ktInt(1), "DEL", "a", "a", "a"),
		}},
		{"unlink", []ktStep{
			st(ktOK, "SET", "a", "1"), st(ktOK, "SET", "b", "2"),
			st(ktInt(1), "UNLINK", "a", "a", "c"),
			st(ktInt(1), "EXISTS", "a", "b"),
		}},
		{"del expired key", []ktStep{
			st(ktOK, "SET", "a", "1", "PX", "10"),
			ktWait(11),
			st(ktInt(0), "DEL", "a"),
		}},
		{"exists counts duplicates", []ktStep{
			st(ktOK, "SET", "a", "1"),
			st(ktInt(3), "EXISTS", "a", "a", "nokey", "a"),
			st(ktInt(0), "EXISTS", "nokey"),
		}},
		{"exists expired", []ktStep{
			st(ktOK, "SET", "a", "1", "PX", "10"),
			st(ktInt(1), "EXISTS", "a"),
			ktWait(11),
			st(ktInt(0), "EXISTS", "a"),
		}},
		{"type", []ktStep{
			st(ktOK, "SET", "a", "1"),
			st(ktSimple("string"), "TYPE", "a"),
			st(ktSimple("none"), "TYPE", "nokey"),
			st(ktOK, "SET", "b", "x", "PX", "5"),
			ktWait(6),
			st(ktSimple("none"), "TYPE", "b"),
		}},
		{"touch", []ktStep{
			st(ktOK, "SET", "a", "1"), st(ktOK, "SET", "b", "2", "PX", "5"),
			st(ktInt(3), "TOUCH", "a", "b", "a", "nokey"),
			ktWait(6),
			st(ktInt(2), "TOUCH", "a", "b", "a"),
		}},
		{"arity", []ktStep{
			st(ktWrongArgs("del"), "DEL"), st(ktWrongArgs("unlink"), "UNLINK"), st(ktWrongArgs("exists"), "EXISTS"),
			st(ktWrongArgs("type"), "TYPE"), st(ktWrongArgs("type"), "TYPE", "a", "b"), st(ktWrongArgs("touch"), "TOUCH"),
			st(ktWrongArgs("keys"), "KEYS"), st(ktWrongArgs("keys"), "KEYS", "a", "b"), st(ktWrongArgs("scan"), "SCAN"),
			st(ktWrongArgs("randomkey"), "RANDOMKEY", "a"), st(ktWrongArgs("rename"), "RENAME", "a"),
			st(ktWrongArgs("renamenx"), "RENAMENX", "a", "b", "c"), st(ktWrongArgs("copy"), "COPY", "a"),
			st(ktWrongArgs("move"), "MOVE", "a"), st(ktWrongArgs("swapdb"), "SWAPDB", "0"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { ktRun(t, tt.steps) })
	}
}

// TestKeysStats checks which commands count keyspace hits and misses, as Redis 7.0 does (and
// that the ones that don't touch the key leave its access time alone).
func TestKeysStats(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktOK, "SET", "a", "1")
	k.must(ktOK, "SET", "b", "2")
	stats := func() [2]uint64 {
		s := k.env.Engine.Stats
		return [2]uint64{s.KeyspaceHits, s.KeyspaceMisses}
	}
	for _, tt := range []struct {
		args         []string
		hits, misses uint64
	}{
		{[]string{"EXISTS", "a", "b", "c"}, 2, 1},
		{[]string{"TYPE", "a"}, 1, 0},
		{[]string{"TYPE", "c"}, 0, 1},
		{[]string{"TTL", "a"}, 1, 0},
		{[]string{"PTTL", "c"}, 0, 1},
		{[]string{"EXPIRETIME", "a"}, 1, 0},
		{[]string{"OBJECT", "ENCODING", "a"}, 1, 0},
		{[]string{"OBJECT", "ENCODING", "c"}, 0, 1},
		{[]string{"SCAN", "0", "TYPE", "string"}, 2, 0},
		{[]string{"SCAN", "0"}, 0, 0},
		{[]string{"COPY", "a", "z"}, 1, 0},
		{[]string{"TOUCH", "a", "c"}, 1, 1},
		{[]string{"KEYS", "*"}, 0, 0},
		{[]string{"RANDOMKEY"}, 0, 0},
		{[]string{"RENAME", "z", "y"}, 0, 0},
		{[]string{"EXPIRE", "a", "100"}, 0, 0},
		{[]string{"PERSIST", "a"}, 0, 0},
		{[]string{"MOVE", "b", "1"}, 0, 0},
		{[]string{"DEL", "y"}, 0, 0},
	} {
		before := stats()
		k.do(tt.args...)
		after := stats()
		if d := [2]uint64{after[0] - before[0], after[1] - before[1]}; d != [2]uint64{tt.hits, tt.misses} {
			t.Errorf("%q: hits/misses +%v, want +[%d %d]", tt.args, d, tt.hits, tt.misses)
		}
	}
	// Commands that look keys up without touching them leave the idle time alone.
	k.advance(5000)
	for _, args := range [][]string{{"EXISTS", "a"}, {"TYPE", "a"}, {"TTL", "a"}, {"OBJECT", "ENCODING", "a"},
		{"SCAN", "0", "TYPE", "string"}, {"OBJECT", "IDLETIME", "a"}} {
		k.do(args...)
	}
	k.must(ktInt(5), "OBJECT", "IDLETIME", "a")
	k.must(ktInt(1), "TOUCH", "a")
	k.must(ktInt(0), "OBJECT", "IDLETIME", "a")
}

func TestKeysKeysPatterns(t *testing.T) {
	k := newKeysEnv(t)
	keys := []string{"k1", "k2", "k3", "k4", "key:a", "key:b", "k", `k\1`, "*", "K1", "k10", "\xff", "k[1]"}
	for _, key := range keys {
		k.must(ktOK, "SET", key, "v")
	}
	k.must(ktOK, "SET", "k5", "v", "PX", "10")
	k.must(ktOK, "SET", "k6", "v", "PX", "1000")
	k.advance(11)
	// Expected results captured from redis-server 7.0.15 with the same keys (k5 expired).
	for _, tt := range []struct {
		pattern string
		want    []string
	}{
		{"*", []string{"*", "K1", "k", "k1", "k10", "k2", "k3", "k4", "k6", "k[1]", `k\1`, "key:a", "key:b", "\xff"}},
		{"k*", []string{"k", "k1", "k10", "k2", "k3", "k4", "k6", "k[1]", `k\1`, "key:a", "key:b"}},
		{"k?", []string{"k1", "k2", "k3", "k4", "k6"}},
		{"key:*", []string{"key:a", "key:b"}},
		{"k[12]", []string{"k1", "k2"}},
		{"k[^1]", []string{"k2", "k3", "k4", "k6"}},
		{"k[3-1]", []string{"k1", "k2", "k3"}},
		{`k\[1]`, []string{"k[1]"}},
		{`k\\1`, []string{`k\1`}},
		{`\*`, []string{"*"}},
		{"K*", []string{"K1"}},
		{"*1*", []string{"K1", "k1", "k10", "k[1]", `k\1`}},
		{"[", nil},
		{"k[", nil},
		{"", nil},
		{"\xff*", []string{"\xff"}},
		{"nomatch*", nil},
		{"k5", nil},
	} {
		got := k.do("KEYS", tt.pattern)
		items := ktParseArray(t, got)
		slices.Sort(items)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(items, want) {
			t.Errorf("KEYS %q: got %q, want %q", tt.pattern, items, want)
		}
	}
}

// ktParseArray decodes a RESP array of bulk strings.
func ktParseArray(t *testing.T, raw string) []string {
	t.Helper()
	items, rest := ktParseArrayPrefix(t, raw)
	if rest != "" {
		t.Fatalf("trailing bytes after array: %q", raw)
	}
	return items
}

func ktParseArrayPrefix(t *testing.T, raw string) ([]string, string) {
	t.Helper()
	line, rest, ok := strings.Cut(raw, "\r\n")
	if !ok || line[0] != '*' {
		t.Fatalf("not an array: %q", raw)
	}
	n, _ := strconv.Atoi(line[1:])
	out := []string{}
	for range n {
		line, rest, _ = strings.Cut(rest, "\r\n")
		if line[0] != '$' {
			t.Fatalf("not a bulk string: %q", raw)
		}
		l, _ := strconv.Atoi(line[1:])
		out = append(out, rest[:l])
		rest = rest[l+2:]
	}
	return out, rest
}

// ktParseScan decodes a SCAN reply.
func ktParseScan(t *testing.T, raw string) (string, []string) {
	t.Helper()
	if !strings.HasPrefix(raw, "*2\r\n$") {
		t.Fatalf("not a SCAN reply: %q", raw)
	}
	rest := raw[len("*2\r\n"):]
	line, rest, _ := strings.Cut(rest, "\r\n")
	l, _ := strconv.Atoi(line[1:])
	cursor := rest[:l]
	keys := ktParseArray(t, rest[l+2:])
	return cursor, keys
}

// scanAll runs a full SCAN iteration and returns the keys (sorted, deduplicated) and the number
// of calls.
func (k *ktEnv) scanAll(opts ...string) ([]string, int) {
	seen := map[string]bool{}
	cursor := "0"
	calls := 0
	for {
		calls++
		next, keys := ktParseScan(k.t, k.do(append([]string{"SCAN", cursor}, opts...)...))
		for _, key := range keys {
			seen[key] = true
		}
		if next == "0" {
			break
		}
		if calls > 100000 {
			k.t.Fatal("SCAN does not terminate")
		}
		cursor = next
	}
	out := make([]string, 0, len(seen))
	for key := range seen {
		out = append(out, key)
	}
	slices.Sort(out)
	return out, calls
}

func TestKeysScan(t *testing.T) {
	k := newKeysEnv(t)
	var all []string
	for i := range 50 {
		key := fmt.Sprintf("key:%02d", i)
		all = append(all, key)
		k.must(ktOK, "SET", key, "v")
	}
	k.must(ktOK, "SET", "other", "v")
	all = append(all, "other")
	slices.Sort(all)
	k.must(ktOK, "SET", "gone", "v", "PX", "10")
	k.advance(11)

	t.Run("empty db", func(t *testing.T) {
		k.cl.DB = 3
		k.must(ktArr(ktBulk("0"), ktArr()), "SCAN", "0")
		k.cl.DB = 0
	})
	t.Run("full iteration", func(t *testing.T) {
		got, _ := k.scanAll()
		if !slices.Equal(got, all) {
			t.Fatalf("got %q, want %q", got, all)
		}
	})
	t.Run("count", func(t *testing.T) {
		slots := k.env.Engine.Store().DB(0).Size() // the expired key was deleted by now
		for _, count := range []int{1, 3, 10, 1000} {
			got, calls := k.scanAll("COUNT", strconv.Itoa(count))
			if !slices.Equal(got, all) {
				t.Fatalf("COUNT %d: got %q", count, got)
			}
			// The slots are visited COUNT at a time.
			if want := max((slots+count-1)/count, 1); calls != want {
				t.Errorf("COUNT %d: %d calls, want %d", count, calls, want)
			}
		}
		cursor, keys := ktParseScan(t, k.do("SCAN", "0", "COUNT", "5"))
		if cursor == "0" || len(keys) > 5 {
			t.Errorf("COUNT 5: cursor %s, %d keys", cursor, len(keys))
		}
	})
	t.Run("match", func(t *testing.T) {
		got, _ := k.scanAll("MATCH", "key:1*", "COUNT", "7")
		want := []string{"key:10", "key:11", "key:12", "key:13", "key:14", "key:15", "key:16", "key:17", "key:18", "key:19"}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		got, _ = k.scanAll("MATCH", "*")
		if !slices.Equal(got, all) {
			t.Fatalf("MATCH *: got %q", got)
		}
		got, _ = k.scanAll("MATCH", "gone")
		if len(got) != 0 {
			t.Fatalf("MATCH gone: got %q", got)
		}
	})
	t.Run("type", func(t *testing.T) {
		for _, tt := range []struct {
			typ  string
			want []string
		}{{"string", all}, {"STRING", all}, {"list", nil}, {"bogus", nil}, {"none", nil}} {
			got, _ := k.scanAll("TYPE", tt.typ, "MATCH", "*", "COUNT", "4")
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("TYPE %s: got %q", tt.typ, got)
			}
		}
	})
	t.Run("cursor beyond the end", func(t *testing.T) {
		k.must(ktArr(ktBulk("0"), ktArr()), "SCAN", "1")
		_, keys := ktParseScan(t, k.do("SCAN", "18446744073709551615", "COUNT", "1000"))
		if len(keys) != len(all) {
			t.Errorf("a huge cursor is clamped: got %d keys", len(keys))
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"SCAN", "abc"}, "ERR invalid cursor"},
			{[]string{"SCAN", " 1"}, "ERR invalid cursor"},
			{[]string{"SCAN", "1 "}, "ERR invalid cursor"},
			{[]string{"SCAN", "0x1"}, "ERR invalid cursor"},
			{[]string{"SCAN", "1.5"}, "ERR invalid cursor"},
			{[]string{"SCAN", "+"}, "ERR invalid cursor"},
			{[]string{"SCAN", "18446744073709551616"}, "ERR invalid cursor"},
			{[]string{"SCAN", "-18446744073709551616"}, "ERR invalid cursor"},
			{[]string{"SCAN", "abc", "FOO"}, "ERR invalid cursor"},
			{[]string{"SCAN", "0", "COUNT", "0"}, ktErrSyntax},
			{[]string{"SCAN", "0", "COUNT", "-1"}, ktErrSyntax},
			{[]string{"SCAN", "0", "COUNT", "abc"}, ktErrNotInt},
			{[]string{"SCAN", "0", "COUNT", "99999999999999999999"}, ktErrNotInt},
			{[]string{"SCAN", "0", "COUNT"}, ktErrSyntax},
			{[]string{"SCAN", "0", "MATCH"}, ktErrSyntax},
			{[]string{"SCAN", "0", "TYPE"}, ktErrSyntax},
			{[]string{"SCAN", "0", "FOO", "bar"}, ktErrSyntax},
			{[]string{"SCAN", "0", "MATCH", "*", "COUNT"}, ktErrSyntax},
			{[]string{"SCAN", "0", "COUNT", "abc", "FOO"}, ktErrNotInt},
			{[]string{"SCAN", "0", "FOO", "COUNT", "abc"}, ktErrSyntax},
		} {
			if got := k.do(tt.args...); got != ktErr(tt.want) {
				t.Errorf("%q: got %q, want %q", tt.args, got, ktErr(tt.want))
			}
		}
		// Valid cursors, as strtoul reads them.
		for _, cur := range []string{"", "+0", "-0", "00", "-1", "+5"} {
			if got := k.do("SCAN", cur); !strings.HasPrefix(got, "*2\r\n") {
				t.Errorf("SCAN %q: got %q", cur, got)
			}
		}
	})
}

func TestParseScanCursor(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"42", 42, true}, {"+42", 42, true}, {"-1", 1<<64 - 1, true},
		{"-0", 0, true}, {"007", 7, true}, {"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false}, {"-18446744073709551615", 1, true},
		{" 1", 0, false}, {"\t1", 0, false}, {"1 ", 0, false}, {"a", 0, false}, {"-", 0, false},
		{"+-1", 0, false}, {"5\x00junk", 5, true}, {"\x00", 0, true},
	} {
		got, ok := parseScanCursor([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: got %d %v, want %d %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestKeysScanConcurrentWrites checks SCAN's guarantee: a key present for the whole iteration
// is returned, however other clients add and delete keys (which moves keys around in the
// store's dense index) while the iteration runs.
func TestKeysScanConcurrentWrites(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			k := newKeysEnv(t)
			stable := map[string]bool{}
			for i := range 300 {
				key := fmt.Sprintf("stable:%d", i)
				stable[key] = true
				k.must(ktOK, "SET", key, "v")
			}
			for i := range 300 {
				k.must(ktOK, "SET", fmt.Sprintf("churn:%d", i), "v")
			}
			writer := k.client()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, 99))
				for {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("churn:%d", r.IntN(600))
					if r.IntN(2) == 0 {
						k.doOn(writer, "DEL", key)
					} else {
						k.doOn(writer, "SET", key, "v")
					}
				}
			}()
			seen := map[string]bool{}
			cursor := "0"
			r := rand.New(rand.NewPCG(seed, 7))
			for calls := 0; ; calls++ {
				// Deterministic churn between calls too, so that moves happen even if the
				// goroutine is slow to get scheduled.
				for range 5 {
					key := fmt.Sprintf("churn:%d", r.IntN(600))
					if r.IntN(2) == 0 {
						k.do("DEL", key)
					} else {
						k.do("SET", key, "v")
					}
				}
				next, keys := ktParseScan(t, k.do("SCAN", cursor, "COUNT", strconv.Itoa(1+r.IntN(20))))
				for _, key := range keys {
					seen[key] = true
				}
				if next == "0" {
					break
				}
				if calls > 10000 {
					t.Fatal("SCAN does not terminate")
				}
				cursor = next
			}
			close(stop)
			wg.Wait()
			for key := range stable {
				if !seen[key] {
					t.Errorf("%s was present for the whole iteration but not returned", key)
				}
			}
		})
	}
}

func TestKeysRandomkey(t *testing.T) {
	t.Run("empty and single", func(t *testing.T) {
		ktRun(t, []ktStep{
			st(ktNull, "RANDOMKEY"),
			st(ktOK, "SET", "a", "1"),
			st(ktBulk("a"), "RANDOMKEY"),
			st(ktOK, "SET", "b", "1", "PX", "10"),
			ktWait(11),
			st(ktBulk("a"), "RANDOMKEY"),
			st(ktBulk("a"), "RANDOMKEY"),
		})
	})
	t.Run("every key expired", func(t *testing.T) {
		k := newKeysEnv(t)
		for i := range 500 {
			k.must(ktOK, "SET", fmt.Sprint("k", i), "v", "PX", "10")
		}
		k.advance(11)
		k.must(ktNull, "RANDOMKEY")
		k.must(ktArr(), "KEYS", "*")
	})
	t.Run("covers every key", func(t *testing.T) {
		k := newKeysEnv(t)
		want := []string{"a", "b", "c"}
		for _, key := range want {
			k.must(ktOK, "SET", key, "v")
		}
		seen := map[string]bool{}
		for range 200 {
			got := k.do("RANDOMKEY")
			seen[got] = true
		}
		for _, key := range want {
			if !seen[ktBulk(key)] {
				t.Errorf("RANDOMKEY never returned %s", key)
			}
		}
	})
	t.Run("expired keys owned by another member", func(t *testing.T) {
		// Keys whose expiry belongs to member 2: this member treats them as missing but
		// may not delete them, so RANDOMKEY must stop picking them rather than loop forever.
		k := newKeysEnv(t)
		e := k.env.Engine
		batch := &effect.Effect{Origin: 2, Seq: 1, HLC: clock.NewHLC(k.now(), 0), Deps: clock.Vector{}.Set(2, 0)}
		for i := range 300 {
			batch.Ops = append(batch.Ops, effect.Op{Kind: effect.StringSet, Key: fmt.Sprint("r", i),
				Value: []byte("v"), At: k.now() + 10})
		}
		e.Lock()
		err := e.Apply(batch)
		e.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		exists := []string{"EXISTS"}
		for i := range 300 {
			exists = append(exists, fmt.Sprint("r", i))
		}
		k.must(ktInt(300), exists...)
		k.advance(11)
		k.must(ktNull, "RANDOMKEY")
		if n := e.Store().DB(0).Size(); n != 300 {
			t.Fatalf("the keys of another member's expiry were deleted: %d left", n)
		}
		k.must(ktOK, "SET", "mine", "v")
		k.must(ktBulk("mine"), "RANDOMKEY")
	})
}

func TestKeysRename(t *testing.T) {
	tests := []struct {
		name  string
		steps []ktStep
	}{
		{"rename", []ktStep{
			st(ktOK, "SET", "a", "1"),
			st(ktOK, "RENAME", "a", "b"),
			st(ktNull, "GET", "a"),
			st(ktBulk("1"), "GET", "b"),
			st(ktInt(-1), "TTL", "b"),
		}},
		{"rename keeps the ttl", []ktStep{
			st(ktOK, "SET", "a", "v", "EX", "100"),
			ktWait(1000),
			st(ktOK, "RENAME", "a", "b"),
			st(ktInt(99000), "PTTL", "b"),
			st(ktInt(-2), "TTL", "a"),
		}},
		{"rename overwrites and drops the destination ttl", []ktStep{
			st(ktOK, "SET", "a", "new"),
			st(ktOK, "SET", "b", "old", "EX", "100"),
			st(ktOK, "RENAME", "a", "b"),
			st(ktBulk("new"), "GET", "b"),
			st(ktInt(-1), "TTL", "b"),
		}},
		{"rename missing", []ktStep{
			st(ktErr(ktErrNoSuchKey), "RENAME", "nokey", "x"),
			st(ktErr(ktErrNoSuchKey), "RENAMENX", "nokey", "x"),
			st(ktErr(ktErrNoSuchKey), "RENAME", "nokey", "nokey"),
			st(ktErr(ktErrNoSuchKey), "RENAMENX", "nokey", "nokey"),
		}},
		{"rename expired", []ktStep{
			st(ktOK, "SET", "a", "v", "PX", "10"),
			ktWait(11),
			st(ktErr(ktErrNoSuchKey), "RENAME", "a", "b"),
			st(ktInt(0), "EXISTS", "b"),
		}},
		{"rename onto itself", []ktStep{
			st(ktOK, "SET", "a", "v", "EX", "100"),
			st(ktOK, "RENAME", "a", "a"),
			st(ktInt(0), "RENAMENX", "a", "a"),
			st(ktBulk("v"), "GET", "a"),
			st(ktInt(100), "TTL", "a"),
		}},
		{"renamenx", []ktStep{
			st(ktOK, "SET", "a", "1"), st(ktOK, "SET", "b", "2"),
			st(ktInt(0), "RENAMENX", "a", "b"),
			st(ktBulk("1"), "GET", "a"), st(ktBulk("2"), "GET", "b"),
			st(ktInt(1), "RENAMENX", "a", "c"),
			st(ktBulk("1"), "GET", "c"), st(ktInt(0), "EXISTS", "a"),
		}},
		{"renamenx onto an expired key", []ktStep{
			st(ktOK, "SET", "a", "1"), st(ktOK, "SET", "b", "2", "PX", "10"),
			ktWait(11),
			st(ktInt(1), "RENAMENX", "a", "b"),
			st(ktBulk("1"), "GET", "b"),
		}},
		{"rename a counter", []ktStep{
			st(ktInt(5), "INCRBY", "n", "5"),
			st(ktOK, "RENAME", "n", "m"),
			st(ktInt(6), "INCR", "m"),
			st(ktNull, "GET", "n"),
			st(ktInt(1), "INCR", "n"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { ktRun(t, tt.steps) })
	}
}

func TestKeysCopy(t *testing.T) {
	tests := []struct {
		name  string
		steps []ktStep
	}{
		{"copy", []ktStep{
			st(ktOK, "SET", "a", "v", "EX", "100"),
			st(ktInt(1), "COPY", "a", "b"),
			st(ktBulk("v"), "GET", "b"), st(ktBulk("v"), "GET", "a"),
			st(ktInt(100), "TTL", "b"),
			st(ktOK, "SET", "a", "changed"),
			st(ktBulk("v"), "GET", "b"),
		}},
		{"copy exists", []ktStep{
			st(ktOK, "SET", "a", "1"), st(ktOK, "SET", "b", "2", "EX", "100"),
			st(ktInt(0), "COPY", "a", "b"),
			st(ktBulk("2"), "GET", "b"),
			st(ktInt(1), "COPY", "a", "b", "REPLACE"),
			st(ktBulk("1"), "GET", "b"),
			st(ktInt(-1), "TTL", "b"),
		}},
		{"copy to another db", []ktStep{
			st(ktOK, "SET", "a", "1"),
			st(ktInt(1), "COPY", "a", "a", "DB", "2"),
			st(ktInt(0), "COPY", "a", "a", "DB", "2"),
			st(ktInt(1), "COPY", "a", "a", "db", "2", "replace"),
			ktSelect(2),
			st(ktBulk("1"), "GET", "a"),
			st(ktInt(1), "COPY", "a", "x", "DB", "0"),
			ktSelect(0),
			st(ktBulk("1"), "GET", "x"),
		}},
		{"copy missing and expired", []ktStep{
			st(ktInt(0), "COPY", "nokey", "x"),
			st(ktOK, "SET", "a", "1", "PX", "10"),
			ktWait(11),
			st(ktInt(0), "COPY", "a", "x"),
			st(ktOK, "SET", "a", "1"), st(ktOK, "SET", "b", "2", "PX", "10"),
			ktWait(11),
			st(ktInt(1), "COPY", "a", "b"),
			st(ktBulk("1"), "GET", "b"),
		}},
		{"copy errors", []ktStep{
			st(ktOK, "SET", "a", "1"),
			st(ktErr(ktErrSameObject), "COPY", "a", "a"),
			st(ktErr(ktErrSameObject), "COPY", "a", "a", "DB", "0"),
			st(ktErr(ktErrSameObject), "COPY", "nokey", "nokey"),
			st(ktErr(ktErrDBRange), "COPY", "a", "x", "DB", "16"),
			st(ktErr(ktErrDBRange), "COPY", "a", "x", "DB", "-1"),
			st(ktErr(ktErrNotInt), "COPY", "a", "x", "DB", "abc"),
			st(ktErr(ktErrIntRange), "COPY", "a", "x", "DB", "9223372036854775807"),
			st(ktErr(ktErrIntRange), "COPY", "a", "x", "DB", "2147483648"),
			st(ktErr(ktErrSyntax), "COPY", "a", "x", "FOO"),
			st(ktErr(ktErrSyntax), "COPY", "a", "x", "DB"),
			st(ktErr(ktErrSyntax), "COPY", "a", "x", "REPLACE", "DB"),
			st(ktErr(ktErrDBRange), "COPY", "a", "x", "DB", "16", "FOO"),
			st(ktErr(ktErrSyntax), "COPY", "a", "x", "FOO", "DB", "16"),
			st(ktInt(1), "COPY", "a", "x", "REPLACE", "DB", "2", "REPLACE"),
			st(ktErr(ktErrDBRange), "COPY", "a", "y", "DB", "16", "DB", "2"),
			st(ktInt(1), "COPY", "a", "y", "DB", "2", "DB", "3"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { ktRun(t, tt.steps) })
	}
}

func TestKeysMove(t *testing.T) {
	ktRun(t, []ktStep{
		st(ktOK, "SET", "a", "v", "EX", "100"),
		st(ktErr(ktErrSameObject), "MOVE", "a", "0"),
		st(ktErr(ktErrDBRange), "MOVE", "a", "16"),
		st(ktErr(ktErrDBRange), "MOVE", "a", "-1"),
		st(ktErr(ktErrNotInt), "MOVE", "a", "abc"),
		st(ktErr(ktErrNotInt), "MOVE", "a", ""),
		st(ktErr(ktErrIntRange), "MOVE", "a", "9223372036854775807"),
		st(ktErr(ktErrDBRange), "MOVE", "nokey", "16"),
		st(ktInt(0), "MOVE", "nokey", "1"),
		ktWait(1000),
		st(ktInt(1), "MOVE", "a", "1"),
		st(ktInt(0), "EXISTS", "a"),
		st(ktInt(0), "MOVE", "a", "1"),
		ktSelect(1),
		st(ktBulk("v"), "GET", "a"),
		st(ktInt(99000), "PTTL", "a"),
		st(ktOK, "SET", "b", "1"),
		ktSelect(0),
		st(ktOK, "SET", "b", "0"),
		st(ktInt(0), "MOVE", "b", "1"),
		st(ktBulk("0"), "GET", "b"),
		// an expired key in the target database does not block the move
		st(ktOK, "SET", "c", "0"),
		ktSelect(1),
		st(ktOK, "SET", "c", "1", "PX", "10"),
		ktSelect(0),
		ktWait(11),
		st(ktInt(1), "MOVE", "c", "1"),
		ktSelect(1),
		st(ktBulk("0"), "GET", "c"),
		st(ktInt(-1), "TTL", "c"),
	})
}

func TestKeysSwapdb(t *testing.T) {
	ktRun(t, []ktStep{
		st(ktErr("ERR invalid first DB index"), "SWAPDB", "a", "0"),
		st(ktErr("ERR invalid first DB index"), "SWAPDB", "9223372036854775807", "0"),
		st(ktErr("ERR invalid second DB index"), "SWAPDB", "0", "a"),
		st(ktErr("ERR invalid first DB index"), "SWAPDB", "a", "b"),
		st(ktErr(ktErrDBRange), "SWAPDB", "0", "16"),
		st(ktErr(ktErrDBRange), "SWAPDB", "-1", "0"),
		st(ktOK, "SWAPDB", "0", "0"),
		st(ktOK, "SET", "a", "0a", "EX", "100"),
		st(ktOK, "SET", "both", "0"),
		st(ktOK, "SET", "gone", "0", "PX", "10"),
		ktSelect(1),
		st(ktOK, "SET", "b", "1b"),
		st(ktOK, "SET", "both", "1"),
		ktWait(11),
		st(ktOK, "SWAPDB", "0", "1"),
		st(ktInt(2), "EXISTS", "a", "both"),
		st(ktBulk("0a"), "GET", "a"),
		st(ktBulk("0"), "GET", "both"),
		st(ktInt(100), "TTL", "a"),
		st(ktInt(0), "EXISTS", "b", "gone"),
		ktSelect(0),
		st(ktBulk("1b"), "GET", "b"),
		st(ktBulk("1"), "GET", "both"),
		st(ktInt(0), "EXISTS", "a", "gone"),
		st(ktOK, "SWAPDB", "1", "5"),
		ktSelect(5),
		st(ktBulk("0a"), "GET", "a"),
		ktSelect(1),
		st(ktInt(0), "EXISTS", "a"),
	})
}

// TestKeysEffects checks how the commands write (semantics.md §7, §8): observed-remove
// deletions, absolute expiry times, and creations of a copy for RENAME, COPY and MOVE.
func TestKeysEffects(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktOK, "SET", "a", "v", "PX", "5000")
	k.must(ktOK, "SET", "b", "old")
	from := len(k.batches)
	k.must(ktOK, "RENAME", "a", "b")
	ops := k.ops(from)
	if len(k.batches)-from != 1 || len(ops) != 3 ||
		ops[0].Kind != effect.Delete || ops[0].Key != "b" ||
		ops[1].Kind != effect.StringSet || ops[1].Key != "b" || string(ops[1].Value) != "v" || ops[1].At != ktStart+5000 ||
		ops[2].Kind != effect.Delete || ops[2].Key != "a" {
		t.Fatalf("RENAME: %d batches, ops %+v", len(k.batches)-from, ops)
	}

	from = len(k.batches)
	k.must(ktInt(1), "PEXPIRE", "b", "1234")
	ops = k.ops(from)
	if len(ops) != 1 || ops[0].Kind != effect.Expire || ops[0].At != ktStart+1234 {
		t.Fatalf("PEXPIRE: %+v", ops)
	}
	from = len(k.batches)
	k.must(ktInt(1), "PERSIST", "b")
	k.must(ktInt(0), "PERSIST", "b")
	ops = k.ops(from)
	if len(ops) != 1 || ops[0].Kind != effect.Expire || ops[0].At != 0 {
		t.Fatalf("PERSIST: %+v", ops)
	}
	from = len(k.batches)
	k.must(ktInt(1), "EXPIREAT", "b", "1")
	ops = k.ops(from)
	if len(ops) != 1 || ops[0].Kind != effect.Delete || ops[0].Key != "b" {
		t.Fatalf("EXPIREAT in the past: %+v", ops)
	}
	k.must(ktOK, "SET", "c", "v")
	from = len(k.batches)
	k.must(ktInt(1), "MOVE", "c", "3")
	ops = k.ops(from)
	if len(ops) != 2 || ops[0].Kind != effect.StringSet || ops[0].DB != 3 || ops[1].Kind != effect.Delete || ops[1].DB != 0 {
		t.Fatalf("MOVE: %+v", ops)
	}
	from = len(k.batches)
	k.do("EXPIRE", "nokey", "10")
	k.do("RENAME", "c", "c")
	k.do("COPY", "nokey", "x")
	k.do("MOVE", "nokey", "1")
	if len(k.batches) != from {
		t.Fatalf("commands that change nothing made effects: %+v", k.ops(from))
	}
}
