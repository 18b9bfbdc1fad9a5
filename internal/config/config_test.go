package config

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Params() {
		for _, n := range []string{p.Name, p.Alias} {
			if n == "" {
				continue
			}
			if seen[n] || n != strings.ToLower(n) {
				t.Errorf("bad or duplicate name %q", n)
			}
			seen[n] = true
		}
		c := Default()
		if p.Name != "dir" && c.String(p.Name) != p.Default {
			t.Errorf("%s: default value %q, table says %q", p.Name, c.String(p.Name), p.Default)
		}
	}
	if len(seen) != 192+5+17 {
		t.Errorf("%d names and aliases, want 192 (Redis 7.0.15's CONFIG GET *) + 5 hidden + 17 Concord's", len(seen))
	}
}

func TestGet(t *testing.T) {
	c := Default()
	get := func(patterns ...string) string { return strings.Join(c.Get(patterns...), " ") }
	for _, tc := range []struct {
		patterns []string
		want     string
	}{
		{[]string{"port"}, "port 6379"},
		{[]string{"PORT"}, "PORT 6379"}, // exact names answer under the spelling given
		{[]string{"P?RT"}, "port 6379"},
		{[]string{"nosuch"}, ""},
		{[]string{"nosuch*"}, ""},
		{[]string{"port", "PORT"}, "port 6379"},
		{[]string{"PoRt", "P*"}, "PoRt 6379 protected-mode yes pidfile  proc-title-template {title} {listen-addr} {server-mode} propagation-error-behavior ignore proto-max-bulk-len 536870912 peer-port 0 peer-secret  peer "},
		{[]string{"slaveof"}, "slaveof "},
		{[]string{"slave-priority", "replica-priority"}, "slave-priority 100 replica-priority 100"},
		{[]string{"*ziplist*"}, "list-max-ziplist-size -2 hash-max-ziplist-entries 512 zset-max-ziplist-entries 128 hash-max-ziplist-value 64 zset-max-ziplist-value 64"},
		{[]string{"*max-*-entries"}, "hash-max-listpack-entries 512 hash-max-ziplist-entries 512 set-max-intset-entries 512 zset-max-listpack-entries 128 zset-max-ziplist-entries 128"},
		{[]string{"maxmemory", "maxmemory*"}, "maxmemory 0 maxmemory-policy noeviction maxmemory-samples 5 maxmemory-eviction-tenacity 10 maxmemory-clients 0"},
		{[]string{"[b-d]i*"}, "disable-thp yes bio_cpulist  bind-source-addr  dir " + c.String("dir") + " bind * -::*"},
		{[]string{"watchdog*"}, ""}, // hidden: exact names only
		{[]string{"watchdog-period"}, "watchdog-period 0"},
		{[]string{"member-*"}, "member-id 1 member-name concord"},
		{[]string{"port\x00*"}, ""}, // looked up as a name: no glob before the NUL
		{[]string{"po*\x00x"}, "port 6379"},
	} {
		if got := get(tc.patterns...); got != tc.want {
			t.Errorf("Get(%q) =\n %q\nwant\n %q", tc.patterns, got, tc.want)
		}
	}
	all := c.Get("*")
	names := map[string]bool{}
	for i := 0; i < len(all); i += 2 {
		if names[all[i]] {
			t.Errorf("Get(*) repeats %s", all[i])
		}
		names[all[i]] = true
	}
	if len(all) != 2*(192+17) {
		t.Errorf("Get(*) has %d entries", len(all)/2)
	}
}

func TestSetValues(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		get         string
		n           int64
	}{
		{"maxmemory", "1k", "1000", 1000},
		{"maxmemory", "1KB", "1024", 1024},
		{"maxmemory", "1m", "1000000", 1000000},
		{"maxmemory", "1mb", "1048576", 1 << 20},
		{"maxmemory", "1g", "1000000000", 1000000000},
		{"maxmemory", "1Gb", "1073741824", 1 << 30},
		{"maxmemory", "5b", "5", 5},
		{"maxmemory", "", "0", 0},
		{"maxmemory", "kb", "0", 0},
		{"maxmemory", "18446744073709551615", "18446744073709551615", -1},
		{"maxmemory", "18446744073709551616", "18446744073709551615", -1}, // strtoull saturates
		{"maxmemory", "20000000000gb", "3028092406290448384", 3028092406290448384},
		{"maxmemory-clients", "10%", "10%", -10},
		{"maxmemory-clients", "0%", "0", 0},
		{"maxmemory-clients", "1gb", "1073741824", 1 << 30},
		{"proto-max-bulk-len", "1mb", "1048576", 1 << 20},
		{"list-max-listpack-size", "-5", "-5", -5},
		{"list-max-ziplist-size", "-2147483648", "-2147483648", -2147483648},
		{"hz", "0", "1", 1},
		{"hz", "100000", "500", 500},
		{"repl-backlog-size", "1", "16384", 16384},
		{"protected-mode", "NO", "no", 0},
		{"loglevel", "WARNING", "warning", 3},
		{"oom-score-adj", "relative", "yes", 1},
		{"acl-pubsub-default", "allchannels", "allchannels", 1},
		{"shutdown-on-sigint", "now save", "save now", 5},
		{"shutdown-on-sigint", "force nosave now", "nosave now force", 14},
		{"shutdown-on-sigint", "default save", "save", 1},
		{"notify-keyspace-events", "KEA", "AKE", notifyAll | notifyKeyspace | notifyKeyevent},
		{"notify-keyspace-events", "nmAK", "AKm", notifyAll | notifyNew | notifyKeyMiss | notifyKeyspace},
		{"notify-keyspace-events", "ndtexzhsl$g", "A", notifyAll | notifyNew},
		{"notify-keyspace-events", "zn", "zn", notifyZset | notifyNew},
		{"save", "", "", 0},
		{"save", "5 5 6 6", "5 5 6 6", 0},
		{"save", "1 99999999999", "1 1215752191", 0},
		{"client-output-buffer-limit", "pubsub 1gb 0 0", "normal 0 0 0 slave 268435456 67108864 60 pubsub 1073741824 0 0", 0},
		{"client-output-buffer-limit", "REPLICA 1 1 4294967297", "normal 0 0 0 slave 1 1 1 pubsub 33554432 8388608 60", 0},
		{"oom-score-adj-values", "-2000 0 2000", "-2000 0 2000", 0},
		{"latency-tracking-info-percentiles", "1.23456789 0x1p3 1e-7 -0", "1.234568 8 0 -0", 0},
		{"latency-tracking-info-percentiles", "", "", 0},
		{"bind", "", "", 0},
		{"bind", "127.0.0.1 ::1", "127.0.0.1 ::1", 0},
		{"requirepass", "a b", "a b", 0},
		{"proc-title-template", "{{ {port}", "{{ {port}", 0},
		{"peer", "2=a:1 3=[::1]:2", "2=a:1 3=[::1]:2", 0},
		{"member-name", "", "", 0},
	} {
		c := Default()
		if err := c.Set(tc.name, tc.value); err != nil {
			t.Errorf("Set(%s, %q): %v", tc.name, tc.value, err)
			continue
		}
		if got := c.String(tc.name); got != tc.get {
			t.Errorf("Set(%s, %q): value %q, want %q", tc.name, tc.value, got, tc.get)
		}
		if got := c.Int(tc.name); got != tc.n {
			t.Errorf("Set(%s, %q): Int %d, want %d", tc.name, tc.value, got, tc.n)
		}
	}
}

func TestSetInvalid(t *testing.T) {
	for _, tc := range []struct{ name, value, reason string }{
		{"timeout", "+1", "argument couldn't be parsed into an integer"},
		{"timeout", " 1", "argument couldn't be parsed into an integer"},
		{"timeout", "1k", "argument couldn't be parsed into an integer"},
		{"timeout", "2147483648", "argument must be between 0 and 2147483647 inclusive"},
		{"slowlog-log-slower-than", "99999999999999999999", "argument couldn't be parsed into an integer"},
		{"maxmemory", "+1", "argument must be a memory value"},
		{"maxmemory", "1.5gb", "argument must be a memory value"},
		{"maxmemory", "1 kb", "argument must be a memory value"},
		{"maxmemory-clients", "%", "argument must be a memory or percent value"},
		{"maxmemory-clients", "-5%", "argument must be a memory or percent value"},
		{"active-expire-effort", "11", "argument must be between 1 and 10 inclusive"},
		{"hash-max-listpack-value", "18446744073709551615", "argument must be between 0 and 9223372036854775807 inclusive"},
		{"proto-max-bulk-len", "18446744073709551615", "argument must be between 1048576 and 9223372036854775807 inclusive"},
		{"appendfsync", "sometimes", "argument(s) must be one of the following: everysec, always, no"},
		{"loglevel", "notice warning", "argument(s) must be one of the following: debug, verbose, notice, warning"},
		{"latency-tracking-info-percentiles", "nan", "Invalid latency-tracking-info-percentiles parameters"},
		{"latency-tracking-info-percentiles", "1e-400", "Invalid latency-tracking-info-percentiles parameters"},
		{"latency-tracking-info-percentiles", "inf", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
		{"cluster-announce-hostname", strings.Repeat("a", 256), "Hostnames must be less than 256 characters"},
		{"proc-title-template", "{title}", "template format is invalid or contains unknown variables"},
		{"proc-title-template", "a{", "template format is invalid or contains unknown variables"},
		{"peer", "2=a", "Invalid peer '2=a', must be ID=HOST:PORT"},
		{"peer", "x=a:1", "Invalid peer ID in 'x=a:1', must be between 1 and 64"},
		{"peer", "65=a:1", "Invalid peer ID in '65=a:1', must be between 1 and 64"},
		{"peer", "2=a:0", "Invalid peer port in '2=a:0', must be between 1 and 65535"},
		{"peer", "2=a:1 2=b:2", "Duplicate peer ID 2"},
		{"member-id", "2", "can't set immutable config"},
		{"peer-port", "7000", "can't set immutable config"},
	} {
		c := Default()
		err := c.Set(tc.name, tc.value)
		var se *SetError
		if !errors.As(err, &se) || se.Kind != ErrFailed || se.Reason != tc.reason {
			t.Errorf("Set(%s, %q) = %v, want reason %q", tc.name, tc.value, err, tc.reason)
		}
	}
}

func TestSetManyAtomic(t *testing.T) {
	c := Default()
	var calls []string
	c.OnChange(func(name, value string) { calls = append(calls, name+"="+value) })
	err := c.SetMany([]string{"maxmemory", "1mb", "timeout", "5", "loglevel", "bogus"})
	if err == nil || c.String("maxmemory") != "0" || c.String("timeout") != "0" || len(calls) != 0 {
		t.Fatalf("failed SetMany changed something: %v %q %q %q", err, c.String("maxmemory"), c.String("timeout"), calls)
	}
	if err := c.SetMany([]string{"maxmemory", "1mb", "slave-priority", "5", "replica-priority", "5", "timeout", "0"}); err != nil {
		t.Fatal(err)
	}
	// timeout did not change: no callback for it; the alias reports the name.
	if want := "maxmemory=1048576 replica-priority=5"; strings.Join(calls, " ") != want {
		t.Errorf("OnChange calls %q, want %q", calls, want)
	}
	// The same parameter through its name and alias is not a duplicate for
	// Redis 7.0: the last one wins.
	if err := c.SetMany([]string{"replica-priority", "1", "slave-priority", "2"}); err != nil || c.Int("replica-priority") != 2 {
		t.Errorf("name + alias: %v, %d", err, c.Int("replica-priority"))
	}
}

func TestOnApply(t *testing.T) {
	c := Default()
	var applied []string
	c.OnApply("maxclients", func(v string) error { applied = append(applied, "maxclients="+v); return nil })
	c.OnApply("port", func(v string) error {
		if v == "1" {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		applied = append(applied, "port="+v)
		return nil
	})
	err := c.SetMany([]string{"maxclients", "50", "port", "1"})
	want := "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
	if SetErrorReply(err) != want {
		t.Errorf("got %q", SetErrorReply(err))
	}
	if c.String("maxclients") != "10000" || c.String("port") != "6379" {
		t.Error("a failed apply left a change behind")
	}
	if strings.Join(applied, " ") != "maxclients=50 maxclients=10000" {
		t.Errorf("applied %q: the first applier was not rolled back", applied)
	}
	applied = nil
	if err := c.SetMany([]string{"port", "7000", "maxclients", "50"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(applied, " ") != "port=7000 maxclients=50" {
		t.Errorf("applied %q", applied)
	}
}

func TestProtected(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		setting string
		local   bool
		ok      bool
	}{
		{"no", true, false}, {"local", false, false}, {"local", true, true}, {"yes", false, true},
	} {
		c := Default()
		path := dir + "/p.conf"
		writeFile(t, path, "enable-protected-configs "+tc.setting+"\n")
		if err := c.LoadFile(path); err != nil {
			t.Fatal(err)
		}
		err := c.SetManyAs(tc.local, []string{"dbfilename", "x.rdb", "dir", dir})
		if (err == nil) != tc.ok {
			t.Errorf("%s, local=%v: %v", tc.setting, tc.local, err)
		}
		if tc.ok && (c.String("dbfilename") != "x.rdb" || c.String("dir") != dir) {
			t.Errorf("%s: values not set", tc.setting)
		}
	}
	c := Default()
	if err := c.LoadFile(writeTemp(t, "enable-protected-configs yes\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("dir", dir+"/nonexistent"); SetErrorReply(err) != "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory" {
		t.Errorf("got %v", err)
	}
	if err := c.Set("dir", dir+"/p.conf"); err == nil || !strings.HasSuffix(err.Error(), "Not a directory") {
		t.Errorf("got %v", err)
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := t.TempDir() + "/c.conf"
	writeFile(t, path, content)
	return path
}

func TestTypedReads(t *testing.T) {
	c := Default()
	if !c.Bool("protected-mode") || c.Bool("daemonize") || c.Bool("port") || c.Bool("nosuch") {
		t.Error("Bool")
	}
	if c.Int("port") != 6379 || c.Int("PORT") != 6379 || c.Int("maxclients") != 10000 || c.Int("nosuch") != 0 {
		t.Error("Int")
	}
	if c.Int("client-query-buffer-limit") != 1<<30 || c.Int("repl-backlog-size") != 64<<20 {
		t.Error("Int of memory sizes")
	}
	if c.String("hash-max-ziplist-entries") != "512" || c.String("nosuch") != "" {
		t.Error("String")
	}
	if c.Int("loglevel") != 2 || c.Int("member-id") != 1 {
		t.Error("Int of enum / Concord parameter")
	}
}

func TestEffective(t *testing.T) {
	for _, n := range []string{"bind", "port", "dir", "requirepass", "maxclients", "databases", "loglevel",
		"logfile", "proto-max-bulk-len", "client-query-buffer-limit", "timeout", "hz", "member-id",
		"member-name", "peer-port", "peer-secret", "peer", "crdt-backlog-size", "protected-mode", "enable-debug-command",
		"client-output-buffer-limit", "io-threads", "set-max-intset-entries",
		"hash-max-listpack-entries", "hash-max-listpack-value", "PORT"} {
		if !Effective(n) {
			t.Errorf("Effective(%s) = false", n)
		}
	}
	for _, n := range []string{"activedefrag", "list-max-listpack-size", "list-max-ziplist-size",
		"repl-backlog-size", "nosuch"} {
		if Effective(n) {
			t.Errorf("Effective(%s) = true", n)
		}
	}
	ne := NoEffect()
	if !sort.StringsAreSorted(ne) || len(ne)+64 != len(Params()) {
		t.Errorf("NoEffect: %d names, %d parameters", len(ne), len(Params()))
	}
	for _, n := range ne {
		if Effective(n) {
			t.Errorf("%s listed by NoEffect", n)
		}
	}
}

func TestLookup(t *testing.T) {
	p, ok := Lookup("SLAVEOF")
	if !ok || p.Name != "replicaof" || p.Alias != "slaveof" || p.Flags&FlagImmutable == 0 || p.Flags&FlagMultiArg == 0 {
		t.Errorf("Lookup(slaveof) = %+v", p)
	}
	p, _ = Lookup("requirepass")
	if p.Flags&FlagSensitive == 0 || p.Type != TypeString {
		t.Errorf("requirepass: %+v", p)
	}
	p, _ = Lookup("repl-backlog-size")
	if p.Default != "67108864" || p.RedisDefault != "1048576" || p.Type != TypeMemory {
		t.Errorf("repl-backlog-size: %+v", p)
	}
	p, _ = Lookup("loglevel")
	if strings.Join(p.Enum, ",") != "debug,verbose,notice,warning" {
		t.Errorf("loglevel: %+v", p)
	}
	if _, ok := Lookup("nosuch"); ok {
		t.Error("Lookup(nosuch)")
	}
}

func TestConcurrency(t *testing.T) {
	c := Default()
	var changes sync.Map
	c.OnChange(func(name, value string) { changes.Store(name, value) })
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if err := c.SetMany([]string{"timeout", fmt.Sprint(i), "maxmemory", fmt.Sprintf("%dmb", w)}); err != nil {
					t.Error(err)
					return
				}
				c.Set("loglevel", []string{"debug", "notice"}[i%2])
			}
		}(w)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if v := c.Get("timeout", "max*"); len(v) == 0 {
					t.Error("empty Get")
					return
				}
				_ = c.Int("timeout") + c.Int("maxmemory")
				_ = c.Bool("protected-mode")
				_ = c.String("loglevel")
			}
		}()
	}
	wg.Wait()
	if v, _ := changes.Load("timeout"); v != "499" {
		t.Errorf("last timeout change %v", v)
	}
}

func TestSetErrorReply(t *testing.T) {
	if SetErrorReply(nil) != "" {
		t.Error("nil")
	}
	if got := SetErrorReply(errors.New("ERR boom")); got != "ERR boom" {
		t.Errorf("got %q", got)
	}
	if got := SetErrorReply(&SetError{Kind: ErrFailed, Name: "x"}); got != "ERR CONFIG SET failed (possibly related to argument 'x')" {
		t.Errorf("got %q", got)
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		line string
		args []string
		ok   bool
	}{
		{"", []string{}, true},
		{"   ", []string{}, true},
		{"a b\tc", []string{"a", "b", "c"}, true},
		{`"a b" 'c d'`, []string{"a b", "c d"}, true},
		{`"\x41\x4a\n\t\r\a\b\\\"\q"`, []string{"AJ\n\t\r\a\b\\\"q"}, true},
		{`"\x4"`, []string{"x4"}, true},
		{`'it\'s' 'a\b'`, []string{"it's", `a\b`}, true},
		{`ab"cd"`, []string{"abcd"}, true},
		{`""`, []string{""}, true},
		{`"a"b`, nil, false},
		{`'a'b`, nil, false},
		{`"abc`, nil, false},
		{`'abc`, nil, false},
		{"a\x00b c", []string{"a"}, true},
		{"a\vb", []string{"a\vb"}, true},
	} {
		args, ok := SplitArgs(tc.line)
		if ok != tc.ok || strings.Join(args, "|") != strings.Join(tc.args, "|") || (ok && args == nil) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, %v", tc.line, args, ok, tc.args, tc.ok)
		}
	}
}

func FuzzSplitArgsRepr(f *testing.F) {
	f.Add("plain", "a \"b\" \\x00 \xff\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		SplitArgs(a) // must not panic
		if strings.IndexByte(b, 0) >= 0 {
			return
		}
		args, ok := SplitArgs(repr(a) + " " + repr(b))
		if !ok || len(args) != 2 || args[0] != a || args[1] != b {
			t.Fatalf("repr round trip: %q %q -> %q %v", a, b, args, ok)
		}
	})
}

func TestHelpers(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "-1": -1, "9223372036854775807": 9223372036854775807,
		"-9223372036854775808": -9223372036854775808} {
		if v, ok := string2ll(s); !ok || v != want {
			t.Errorf("string2ll(%q) = %d, %v", s, v, ok)
		}
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1a"} {
		if _, ok := string2ll(s); ok {
			t.Errorf("string2ll(%q) accepted", s)
		}
	}
	for s, want := range map[string]string{"0": "0", "1024": "1kb", "1048576": "1mb", "1073741824": "1gb",
		"1025": "1025", "3145728": "3mb", "-1024": "-1kb"} {
		var n int64
		fmt.Sscan(s, &n)
		if got := formatMemory(n); got != want {
			t.Errorf("formatMemory(%s) = %s, want %s", s, got, want)
		}
	}
	if asciiLower("PoRt\u212a") != "port\u212a" {
		t.Error("asciiLower folds non-ASCII")
	}
	if _, ok := lookup("\u212aey-load-delay"); ok {
		t.Error("the Kelvin sign must not match 'k'")
	}
}

func BenchmarkInt(b *testing.B) {
	c := Default()
	for i := 0; i < b.N; i++ {
		_ = c.Int("proto-max-bulk-len")
	}
}

func BenchmarkGetPattern(b *testing.B) {
	c := Default()
	for i := 0; i < b.N; i++ {
		_ = c.Get("*max*")
	}
}

// The README promises a list of the parameters that have no effect; it must be this one.
func TestReadmeListsNoEffectParameters(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	const begin, end = "<!-- no-effect-parameters: kept equal to config.NoEffect() by a test -->\n", "\n<!-- /no-effect-parameters -->"
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatal("README.md has no no-effect-parameters section")
	}
	if got, want := text[i+len(begin):j], strings.Join(NoEffect(), ", "); got != want {
		t.Fatalf("README.md lists:\n%s\nNoEffect():\n%s", got, want)
	}
}

// Redis 7.0 splits a multi-argument parameter given as one argument, so that
// `--save "3600 1"` and `save "3600 1 300 5"` work; "" still means none.
func TestMultiArgGivenAsOneArgument(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"3600 1", "3600 1"},
		{"3600 1 300 5", "3600 1 300 5"},
		{"", ""},
	} {
		cfg := Default()
		if err := cfg.Load("", [][]string{{"save", tc.arg}}); err != nil {
			t.Fatalf("save %q: %v", tc.arg, err)
		}
		if got := cfg.String("save"); got != tc.want {
			t.Errorf("save %q: got %q, want %q", tc.arg, got, tc.want)
		}
	}
	if err := Default().Load("", [][]string{{"save", "3600"}}); err == nil {
		t.Error("save \"3600\" (odd count) was accepted")
	}
}
