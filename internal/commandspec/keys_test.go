package commandspec

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

type keysCase struct {
	args []string
	want string // the keys, space separated, or the error
}

// Checked against redis-server 7.0.15 by TestKeyIndexesWithRedis.
var keysCases = []keysCase{
	{[]string{"GET", "k"}, "k"},
	{[]string{"get", "k", "x"}, ErrInvalidArity.Error()},
	{[]string{"MSET", "a", "1", "b", "2"}, "a b"},
	{[]string{"MSET", "a", "1", "b"}, "a b"},
	{[]string{"DEL", "a", "b", "c"}, "a b c"},
	{[]string{"RENAME", "a", "b"}, "a b"},
	{[]string{"BLPOP", "a", "b", "0"}, "a b"},
	{[]string{"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}, "d a b"},
	{[]string{"ZUNIONSTORE", "d", "0", "a"}, ErrInvalidArguments.Error()},
	{[]string{"ZUNIONSTORE", "d", "5", "a"}, ErrInvalidArguments.Error()},
	{[]string{"ZUNIONSTORE", "d", "1abc", "a"}, "a d"},       // numkeys not an integer: Redis falls back to atoi()
	{[]string{"ZUNIONSTORE", "d", "4294967297", "a"}, "d a"}, // (int)numkeys == 1
	{[]string{"ZINTER", "2", "a", "b", "WITHSCORES"}, "a b"},
	{[]string{"EVAL", "return 1", "2", "a", "b", "c"}, "a b"},
	{[]string{"EVAL", "return 1", "0"}, ""},
	{[]string{"EVAL", "return 1", "-1", "a"}, ""},
	{[]string{"EVALSHA", "abc", "3", "a", "b"}, ""},
	{[]string{"FCALL", "f", "1", "a", "x"}, "a"},
	{[]string{"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}, "a b"},
	{[]string{"XREAD", "STREAMS", "a", "0", "b"}, "a"},
	{[]string{"XREAD", "streams", "streams", "0"}, "streams"},
	{[]string{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}, "s"},
	{[]string{"SORT", "k"}, "k"},
	{[]string{"SORT", "k", "STORE", "d"}, "k d"},
	{[]string{"SORT", "k", "BY", "x", "STORE", "d", "LIMIT", "0", "1", "STORE", "e"}, "k e"},
	{[]string{"SORT", "k", "BY", "store", "d"}, "k"},
	{[]string{"SORT_RO", "k", "BY", "x"}, "k"},
	{[]string{"MIGRATE", "h", "6379", "k", "0", "5"}, "k"},
	{[]string{"MIGRATE", "h", "6379", "", "0", "5", "KEYS", "a", "b"}, "a b"},
	{[]string{"MIGRATE", "h", "6379", "", "0", "5", "COPY", "REPLACE", "KEYS", "a"}, "a"},
	{[]string{"MIGRATE", "h", "6379", "", "0", "5", "KEYS"}, ""}, // the "" key: KEYS last is not searched
	{[]string{"MIGRATE", "h", "6379", "", "0", "5", "AUTH", "keys", "KEYS", "a"}, "a"},
	{[]string{"MIGRATE", "h", "6379", "k", "0", "5", "KEYS", "a"}, ErrInvalidArguments.Error()},
	{[]string{"GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d"}, "k d"},
	{[]string{"GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d", "STOREDIST", "e"}, "k d e"}, // both specs are complete
	{[]string{"GEORADIUSBYMEMBER", "k", "m", "1", "km", "STOREDIST", "d"}, "k d"},
	{[]string{"SET", "k", "v", "GET"}, "k"},
	{[]string{"BITFIELD", "k", "GET", "u8", "0"}, "k"},
	{[]string{"LMPOP", "2", "a", "b", "LEFT"}, "a b"},
	{[]string{"BLMPOP", "0", "2", "a", "b", "LEFT"}, "a b"},
	{[]string{"ZMPOP", "1", "a", "MIN"}, "a"},
	{[]string{"SINTERCARD", "2", "a", "b", "LIMIT", "1"}, "a b"},
	{[]string{"LCS", "a", "b"}, "a b"},
	{[]string{"PFCOUNT", "a", "b"}, "a b"},
	{[]string{"OBJECT", "ENCODING", "k"}, "k"},
	{[]string{"MEMORY", "USAGE", "k", "SAMPLES", "5"}, "k"},
	{[]string{"XINFO", "STREAM", "s"}, "s"},
	{[]string{"CONFIG", "GET", "x"}, ErrNoKeyArguments.Error()},
	{[]string{"config", "nosuch", "x"}, ErrInvalidCommand.Error()},
	{[]string{"config"}, ErrNoKeyArguments.Error()},
	{[]string{"PING"}, ErrNoKeyArguments.Error()},
	{[]string{"SPUBLISH", "c", "m"}, ErrNoKeyArguments.Error()},
	{[]string{"SSUBSCRIBE", "a", "b"}, ErrNoKeyArguments.Error()},
}

func toArgs(s []string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// ourKeys is KeyIndexes as COMMAND GETKEYS would reply: the keys, space
// separated, or the error text.
func ourKeys(args []string) string {
	c := Lookup(args[0])
	if c == nil {
		return ErrInvalidCommand.Error()
	}
	idx, err := c.KeyIndexes(toArgs(args))
	if err != nil {
		return err.Error()
	}
	if idx == nil {
		return "<nil keys without error>"
	}
	keys := make([]string, len(idx))
	for i, j := range idx {
		keys[i] = args[j]
	}
	return strings.Join(keys, " ")
}

func TestKeyIndexes(t *testing.T) {
	for _, tc := range keysCases {
		if got := ourKeys(tc.args); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
	idx, err := Lookup("zunionstore").KeyIndexes(toArgs([]string{"zunionstore", "d", "2", "a", "b"}))
	if err != nil || !slices.Equal(idx, []int{1, 3, 4}) {
		t.Errorf("zunionstore: %v %v", idx, err)
	}
	idx, err = Lookup("eval").KeyIndexes(toArgs([]string{"eval", "s", "0"}))
	if err != nil || idx == nil || len(idx) != 0 {
		t.Errorf("eval 0 keys: %#v %v", idx, err)
	}
}

func TestCHelpers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ll   int64
		llOK bool
		atoi int
	}{
		{"0", 0, true, 0},
		{"12", 12, true, 12},
		{"-12", -12, true, -12},
		{"01", 0, false, 1},
		{"-0", 0, false, 0},
		{"+1", 0, false, 1},
		{" 1", 0, false, 1},
		{"1 ", 0, false, 1},
		{"1abc", 0, false, 1},
		{"", 0, false, 0},
		{"-", 0, false, 0},
		{"9223372036854775807", 9223372036854775807, true, -1},
		{"9223372036854775808", 0, false, -1},
		{"-9223372036854775808", -9223372036854775808, true, 0},
		{"-9223372036854775809", 0, false, 0},
		{"99999999999999999999999", 0, false, -1},
		{"4294967297", 4294967297, true, 1},
		{"\t\n 7x", 0, false, 7},
		{"3\x005", 0, false, 3},
	} {
		ll, ok := string2ll([]byte(tc.in))
		if ll != tc.ll || ok != tc.llOK {
			t.Errorf("string2ll(%q) = %d, %v", tc.in, ll, ok)
		}
		if got := atoi([]byte(tc.in)); got != tc.atoi {
			t.Errorf("atoi(%q) = %d, want %d", tc.in, got, tc.atoi)
		}
	}
	if !cEqualFold([]byte("StOrE"), "store") || !cEqualFold([]byte("store\x00x"), "store") ||
		cEqualFold([]byte("stor"), "store") || cEqualFold([]byte("stores"), "store") || cEqualFold([]byte("ſtore"), "store") {
		t.Error("cEqualFold")
	}
}

// getKeysWithRedis runs COMMAND GETKEYS for each command line and returns
// the replies in the form of ourKeys.
func getKeysWithRedis(t *testing.T, c *respConn, lines [][]string) []string {
	t.Helper()
	reqs := make([][]string, len(lines))
	for i, l := range lines {
		reqs[i] = append([]string{"COMMAND", "GETKEYS"}, l...)
	}
	var out []string
	for _, n := range c.pipeline(t, reqs) {
		switch n.head[0] {
		case '-':
			out = append(out, string(n.payload()))
		case '*':
			keys := make([]string, len(n.kids))
			for i, k := range n.kids {
				keys[i] = string(k.payload())
			}
			out = append(out, strings.Join(keys, " "))
		default:
			t.Fatalf("unexpected reply %q", n)
		}
	}
	return out
}

func TestKeyIndexesWithRedis(t *testing.T) {
	c := redisConn(t, 2)
	var cases []keysCase
	var lines [][]string
	for _, tc := range keysCases {
		if len(tc.args) > 1 { // COMMAND GETKEYS needs an argument after the name
			cases = append(cases, tc)
			lines = append(lines, tc.args)
		}
	}
	for i, got := range getKeysWithRedis(t, c, lines) {
		if got != cases[i].want {
			t.Errorf("redis-server: COMMAND GETKEYS %q = %q, the table says %q", cases[i].args, got, cases[i].want)
		}
	}
}

// randomTokens steer Redis's key extraction: keywords, counts, odd
// integers, NUL bytes. Not "GET\x00": Redis finds a subcommand by a hash of
// all its bytes and then strcasecmp(), so whether SLOWLOG GET\x00 is
// SLOWLOG GET depends on its random hash seed.
var randomTokens = []string{
	"k", "x", "y", "", "0", "1", "2", "3", "5", "-1", "01", "+1", " 2", "1abc", "4294967297",
	"99999999999999999999", "STORE", "store", "StoreDist", "STORE\x00x", "KEYS", "keys", "STREAMS",
	"streams", "streams\x00", "BY", "GET", "get", "ge", "LIMIT", "COUNT", "BLOCK", "GROUP", "NOACK",
	"WEIGHTS", "AGGREGATE", "LEFT", "MIN", "COPY", "REPLACE", "AUTH", "AUTH2", "SET", "incrby", "OVERFLOW", "u8",
}

// randomLines makes n random command lines for cmd, of about the right
// number of arguments, made of randomTokens.
func randomLines(cmd *Command, rng *rand.Rand, n int) [][]string {
	prefix := []string{cmd.Name}
	if cmd.Parent != nil {
		prefix = []string{cmd.Parent.Name, cmd.Name[len(cmd.Parent.Name)+1:]}
	}
	var lines [][]string
	for i := range n {
		l := slices.Clone(prefix)
		if i%2 == 0 {
			l[0] = strings.ToUpper(l[0])
		}
		// Usually the right number of arguments for the command.
		n := max(cmd.Arity, -cmd.Arity) + rng.IntN(3) - 1
		if cmd.Arity < 0 {
			n += rng.IntN(8)
		}
		if i%5 == 0 {
			n = rng.IntN(10)
		}
		for len(l) < max(n, 2) { // COMMAND GETKEYS itself needs one argument more
			l = append(l, randomTokens[rng.IntN(len(randomTokens))])
		}
		lines = append(lines, l)
	}
	return lines
}

// Random command lines for every command and subcommand, compared with
// COMMAND GETKEYS.
func TestKeyIndexesRandomWithRedis(t *testing.T) {
	c := redisConn(t, 2)
	rng := rand.New(rand.NewPCG(7, 70))
	const perCommand = 300
	total, keyed := 0, 0
	for _, cmd := range allCommands() {
		lines := randomLines(cmd, rng, perCommand)
		theirs := getKeysWithRedis(t, c, lines)
		fails := 0
		for i, l := range lines {
			ours := ourKeys(l)
			total++
			if !strings.HasPrefix(ours, "ERR") {
				keyed++
			}
			if ours != theirs[i] {
				t.Errorf("COMMAND GETKEYS %q: ours %q, redis %q", l, ours, theirs[i])
				if fails++; fails > 3 {
					break
				}
			}
		}
	}
	t.Logf("%d random command lines (%d with keys) agree with redis-server", total, keyed)
	if keyed < total/10 {
		t.Errorf("only %d of %d random lines had keys: not a useful test", keyed, total)
	}
}

// Checked against redis-server 7.0.15 by TestKeysAndFlagsWithRedis: every
// key as key(flag,flag...), space separated, or the error.
var flagsCases = []keysCase{
	{[]string{"GET", "k"}, "k(RO,access)"},
	{[]string{"SET", "k", "v"}, "k(OW,update)"},
	{[]string{"SET", "k", "v", "GET"}, "k(RW,access,update)"},
	{[]string{"set", "k", "v", "EX", "10", "get"}, "k(RW,access,update)"},
	{[]string{"SET", "k", "v", "GETX"}, "k(OW,update)"},
	{[]string{"SET", "k", "v", "GET\x00x"}, "k(RW,access,update)"}, // a C string: GET
	{[]string{"SET", "k", "get"}, "k(OW,update)"},                  // the value is not searched
	{[]string{"LCS", "a", "b"}, "a(RO,access) b(RO,access)"},
	{[]string{"DEL", "a", "b"}, "a(RM,delete) b(RM,delete)"},
	{[]string{"RENAME", "a", "b"}, "a(RW,access,delete) b(OW,update)"},
	{[]string{"COPY", "a", "b"}, "a(RO,access) b(OW,update)"},
	{[]string{"APPEND", "a", "x"}, "a(RW,insert)"},
	{[]string{"INCR", "a"}, "a(RW,access,update)"},
	{[]string{"MSET", "a", "1", "b", "2"}, "a(OW,update) b(OW,update)"},
	{[]string{"BITOP", "AND", "d", "a", "b"}, "d(OW,update) a(RO,access) b(RO,access)"},
	{[]string{"BITFIELD", "k", "GET", "u8", "0"}, "k(RO,access)"},
	{[]string{"BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "SAT", "GET", "i4", "1"}, "k(RO,access)"},
	{[]string{"BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "FAIL"}, "k(RO,access)"},
	{[]string{"BITFIELD", "k", "OVERFLOW"}, "k(RW,access,update)"},
	{[]string{"BITFIELD", "k", "SET", "u8", "0", "1"}, "k(RW,access,update)"},
	{[]string{"BITFIELD", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"}, "k(RW,access,update)"},
	{[]string{"BITFIELD", "k", "GET", "u8", "0", "SET", "u8", "0"}, "k(RW,access,update)"},
	{[]string{"BITFIELD", "k", "GET", "u8"}, "k(RW,access,update)"}, // syntax error: not read-only
	{[]string{"BITFIELD", "k"}, "k(RO,access)"},
	{[]string{"BITFIELD_RO", "k", "GET", "u8", "0"}, "k(RO,access)"},
	{[]string{"OBJECT", "ENCODING", "k"}, "k(RO)"},
	{[]string{"ZUNIONSTORE", "d", "2", "a", "b"}, "d(OW,update) a(RO,access) b(RO,access)"},
	{[]string{"ZUNIONSTORE", "d", "1abc", "a"}, "a() d()"}, // the getkeys function: no flags
	{[]string{"EVAL", "s", "1", "a"}, "a(RW,access,update)"},
	{[]string{"EVAL", "s", "0"}, ""},
	{[]string{"SORT", "k", "STORE", "d"}, "k(RO,access) d(OW,update)"},
	{[]string{"SORT_RO", "k"}, "k(RO,access)"},
	{[]string{"MIGRATE", "h", "6379", "", "0", "5", "KEYS", "a", "b"}, "a(RW,access,delete) b(RW,access,delete)"},
	{[]string{"GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d"}, "k(RO,access) d(OW,update)"},
	{[]string{"XREAD", "STREAMS", "a", "0"}, "a(RO,access)"},
	{[]string{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}, "s(RO,access)"},
	{[]string{"PING", "x"}, ErrNoKeyArguments.Error()},
	{[]string{"GET", "a", "b"}, ErrInvalidArity.Error()},
	{[]string{"ZUNIONSTORE", "d", "0", "a"}, ErrInvalidArguments.Error()},
}

// ourKeysAndFlags is KeysAndFlags in the form of flagsCases.
func ourKeysAndFlags(args []string) string {
	c := Lookup(args[0])
	if c == nil {
		return ErrInvalidCommand.Error()
	}
	refs, err := c.KeysAndFlags(toArgs(args))
	if err != nil {
		return err.Error()
	}
	if refs == nil {
		return "<nil keys without error>"
	}
	keys := make([]string, len(refs))
	for i, r := range refs {
		keys[i] = args[r.Index] + "(" + strings.Join(r.Flags, ",") + ")"
	}
	return strings.Join(keys, " ")
}

// unescapeNUL turns the \x00 of the case tables into a NUL byte.
func unescapeNUL(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "\\x00", "\x00")
	}
	return out
}

func TestKeysAndFlags(t *testing.T) {
	for _, tc := range flagsCases {
		if got := ourKeysAndFlags(unescapeNUL(tc.args)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
	// KeyIndexes and KeysAndFlags find the same keys.
	for _, tc := range append(slices.Clone(keysCases), flagsCases...) {
		args := toArgs(unescapeNUL(tc.args))
		c := Lookup(tc.args[0])
		idx, err1 := c.KeyIndexes(args)
		refs, err2 := c.KeysAndFlags(args)
		if err1 != err2 || len(idx) != len(refs) || (idx == nil) != (refs == nil) {
			t.Errorf("%q: KeyIndexes %v %v, KeysAndFlags %v %v", tc.args, idx, err1, refs, err2)
			continue
		}
		for i := range idx {
			if idx[i] != refs[i].Index {
				t.Errorf("%q: KeyIndexes %v, KeysAndFlags %v", tc.args, idx, refs)
			}
		}
	}
}

// getKeysAndFlagsWithRedis runs COMMAND GETKEYSANDFLAGS for each command
// line and returns the replies in the form of ourKeysAndFlags.
func getKeysAndFlagsWithRedis(t *testing.T, c *respConn, lines [][]string) []string {
	t.Helper()
	reqs := make([][]string, len(lines))
	for i, l := range lines {
		reqs[i] = append([]string{"COMMAND", "GETKEYSANDFLAGS"}, l...)
	}
	var out []string
	for _, n := range c.pipeline(t, reqs) {
		switch n.head[0] {
		case '-':
			out = append(out, string(n.payload()))
		case '*':
			keys := make([]string, len(n.kids))
			for i, k := range n.kids {
				if string(k.head) != "*2\r\n" || k.kids[1].head[0] != '*' {
					t.Fatalf("unexpected reply %q", n)
				}
				flags := make([]string, len(k.kids[1].kids))
				for j, f := range k.kids[1].kids {
					if f.head[0] != '+' {
						t.Fatalf("unexpected reply %q", n)
					}
					flags[j] = string(f.payload())
				}
				keys[i] = string(k.kids[0].payload()) + "(" + strings.Join(flags, ",") + ")"
			}
			out = append(out, strings.Join(keys, " "))
		default:
			t.Fatalf("unexpected reply %q", n)
		}
	}
	return out
}

func TestKeysAndFlagsWithRedis(t *testing.T) {
	c := redisConn(t, 2)
	var lines [][]string
	for _, tc := range flagsCases {
		lines = append(lines, unescapeNUL(tc.args))
	}
	for i, got := range getKeysAndFlagsWithRedis(t, c, lines) {
		if got != flagsCases[i].want {
			t.Errorf("redis-server: COMMAND GETKEYSANDFLAGS %q = %q, the table says %q", flagsCases[i].args, got, flagsCases[i].want)
		}
	}
}

// The random command lines of TestKeyIndexesRandomWithRedis, compared with
// COMMAND GETKEYSANDFLAGS.
func TestKeysAndFlagsRandomWithRedis(t *testing.T) {
	c := redisConn(t, 2)
	total, keyed, flagged := 0, 0, 0
	for _, cmd := range allCommands() {
		lines := randomLines(cmd, rand.New(rand.NewPCG(8, uint64(len(cmd.Name)))), 200)
		theirs := getKeysAndFlagsWithRedis(t, c, lines)
		fails := 0
		for i, l := range lines {
			ours := ourKeysAndFlags(l)
			total++
			if !strings.HasPrefix(ours, "ERR") {
				keyed++
				if strings.Contains(ours, "(R") || strings.Contains(ours, "(O") {
					flagged++
				}
			}
			if ours != theirs[i] {
				t.Errorf("COMMAND GETKEYSANDFLAGS %q: ours %q, redis %q", l, ours, theirs[i])
				if fails++; fails > 3 {
					break
				}
			}
		}
	}
	t.Logf("%d random command lines (%d with keys, %d with flags) agree with redis-server", total, keyed, flagged)
	if keyed < total/10 || flagged < keyed/2 {
		t.Errorf("only %d of %d random lines had keys (%d flags): not a useful test", keyed, total, flagged)
	}
}

func BenchmarkKeyIndexes(b *testing.B) {
	for _, args := range [][]string{
		{"get", "k"},
		{"mset", "a", "1", "b", "2", "c", "3"},
		{"zunionstore", "d", "2", "a", "b"},
		{"xread", "count", "10", "streams", "a", "b", "0", "0"},
	} {
		a := toArgs(args)
		cmd := Lookup(args[0])
		b.Run(args[0], func(b *testing.B) {
			for b.Loop() {
				if _, err := cmd.KeyIndexes(a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
