package config

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDefaultsMatchRedis: CONFIG GET * on a default Concord lists the same
// names as a default redis-server 7.0, with the same values for every
// parameter whose default Concord keeps.
func TestDefaultsMatchRedis(t *testing.T) {
	rc, port, dir := startRedis(t) // no argument but the port: a default configuration
	redis := pairsToMap(toStrings(t, rc.must(t, "CONFIG", "GET", "*")))

	// The port and directory of the test server are the only settings that
	// differ from the defaults; give Concord the same.
	c := Default()
	conf := filepath.Join(t.TempDir(), "concord.conf")
	writeFile(t, conf, fmt.Sprintf("port %d\ndir %s\n", port, repr(dir)))
	if err := c.LoadFile(conf); err != nil {
		t.Fatal(err)
	}
	ours := pairsToMap(c.Get("*"))

	var names []string
	for n := range redis {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		got, ok := ours[n]
		if !ok {
			t.Errorf("CONFIG GET * on Concord lacks %q (Redis: %q)", n, redis[n])
			continue
		}
		p, _ := Lookup(n)
		want := redis[n]
		if p.Default != p.RedisDefault {
			if want != p.RedisDefault {
				t.Errorf("%s: Redis default is %q, the table says %q", n, want, p.RedisDefault)
			}
			want = p.Default
		}
		if got != want {
			t.Errorf("%s = %q, want %q", n, got, want)
		}
	}
	for n := range ours {
		if _, ok := redis[n]; !ok {
			if p, _ := Lookup(n); p.Flags&FlagConcord == 0 {
				t.Errorf("Concord lists %q, Redis does not", n)
			}
		}
	}
	// Hidden parameters answer only to their exact name.
	for _, p := range Params() {
		if p.Flags&FlagHidden == 0 {
			continue
		}
		if _, listed := ours[p.Name]; listed {
			t.Errorf("hidden %s listed by CONFIG GET *", p.Name)
		}
		want := toStrings(t, rc.must(t, "CONFIG", "GET", p.Name))
		if got := c.Get(p.Name); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("CONFIG GET %s = %q, Redis %q", p.Name, got, want)
		}
	}
}

// setErrorCases are CONFIG SET argument lists with the reply of
// redis-server 7.0.15.
var setErrorCases = []struct {
	args []string
	want string
}{
	{[]string{"port", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"},
	{[]string{"protected-mode", "maybe"}, "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"},
	{[]string{"loglevel", "loud"}, "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"},
	{[]string{"port", "70000"}, "ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive"},
	{[]string{"daemonize", "no"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{[]string{"foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{[]string{"port", "1", "port", "2"}, "ERR CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"},
	{[]string{"port", "x", "PORT", "y"}, "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter"},
	{[]string{"port", "1", "maxclients"}, "ERR syntax error"},
	{[]string{"port"}, "ERR wrong number of arguments for 'config|set' command"},
	{[]string{"dir", "/tmp"}, "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
	{[]string{"dbfilename", "x.rdb"}, "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"},
	{[]string{"maxclients", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
	{[]string{"maxclients", "0"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
	{[]string{"maxmemory", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"maxmemory", "1x"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"maxmemory-clients", "-5"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"},
	{[]string{"maxmemory-clients", "200%"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"},
	{[]string{"timeout", "01"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
	{[]string{"timeout", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"},
	{[]string{"proto-max-bulk-len", "1000"}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
	{[]string{"hash-max-ziplist-entries", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument must be between 0 and 9223372036854775807 inclusive"},
	{[]string{"SLAVE-PRIORITY", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"},
	{[]string{"foo", "1", "port", "x"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{[]string{"port", "x", "foo", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{[]string{"daemonize", "yes", "foo", "1"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{[]string{"port", "x", "daemonize", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{[]string{"maxmemory", "1", "maxmemory-policy", "bad"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
	{[]string{"save", "10"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"save", " "}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"client-output-buffer-limit", "master 1 1 1"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", "replica 1mb"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", "replica 1mb 1kb -5"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."},
	{[]string{"oom-score-adj-values", "0 200"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"},
	{[]string{"oom-score-adj-values", "0 200 5000"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
	{[]string{"notify-keyspace-events", "Q"}, "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
	{[]string{"shutdown-on-sigint", "save nosave"}, "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously"},
	{[]string{"shutdown-on-sigint", ""}, "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"},
	{[]string{"proc-title-template", "{foo}"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"latency-tracking-info-percentiles", "50 101"}, "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
	{[]string{"latency-tracking-info-percentiles", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters"},
	{[]string{"cluster-announce-hostname", "a_b"}, "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots"},
	{[]string{"unixsocketperm", "700"}, "ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - can't set immutable config"},
	{[]string{"replicaof", "no one"}, "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config"},
	{[]string{"bind", strings.TrimSpace(strings.Repeat("127.0.0.1 ", 17))}, "ERR CONFIG SET failed (possibly related to argument 'bind') - Too many bind addresses specified."},
	{[]string{"foo\r\nbar", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo  bar'"},
}

func TestSetErrors(t *testing.T) {
	var rc *redisConn
	if testing.Short() {
		t.Log("-short: not comparing with redis-server")
	} else if _, err := lookPathRedis(); err == nil {
		rc, _, _ = startRedis(t, "--save", "", "--bind", "127.0.0.1")
	} else {
		t.Log("redis-server not on PATH: checking the recorded replies only")
	}
	c := Default()
	before := c.Get("*")
	for _, tc := range setErrorCases {
		err := c.SetMany(tc.args)
		if got := SetErrorReply(err); got != tc.want {
			t.Errorf("CONFIG SET %q:\n got %s\nwant %s", tc.args, got, tc.want)
		}
		if rc != nil {
			v := rc.must(t, append([]string{"CONFIG", "SET"}, tc.args...)...)
			if got := string(asError(v)); got != tc.want {
				t.Errorf("redis-server: CONFIG SET %q:\n got %s\nwant %s", tc.args, got, tc.want)
			}
		}
	}
	if after := c.Get("*"); strings.Join(after, "\x00") != strings.Join(before, "\x00") {
		t.Error("a failed CONFIG SET changed the configuration")
	}
}

func asError(v any) redisError {
	if e, ok := v.(redisError); ok {
		return e
	}
	return redisError(fmt.Sprint(v))
}

// compareSkip lists parameters the value-by-value comparison leaves out:
// setting them on the test server would cut the test's connection or act
// on the machine (ports, addresses, passwords, AOF, TLS, OOM score, the
// number of files), or Concord validates them on purpose differently.
var compareSkip = map[string]bool{
	"port": true, "bind": true, "requirepass": true, "appendonly": true, "maxclients": true,
	"oom-score-adj": true, "watchdog-period": true, "dir": true,
}

// candidateValues are tried on every parameter by TestSetMatchesRedis.
var candidateValues = []string{
	"", "yes", "no", "YES", "nO", "0", "1", "-1", "2", "10", "100", "500", "501", "1023", "1024",
	"65535", "65536", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295",
	"4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"18446744073709551615", "18446744073709551616", "99999999999999999999999k", "01", "+1", " 1", "1 ",
	"1k", "1kb", "1KB", "1m", "1mb", "1g", "1gb", "2gb", "20000000000gb", "1b", "kb", "1.5", "abc",
	"10%", "0%", "100%", "101%", "-5%", "%", "0777", "777", "8", "1e3", "0x10", "a b", "nodes.conf",
	"x/y", "a\\b", "{port}", "{title}", "{{", "{config-file}", "a{", "x}", "50 99.9", "1 2", "1 2 3",
	"1 2 3 4", "-2001 0 0", "1 2 x", "normal 0 0 0", "slave 1mb 1kb 5", "pubsub 1gb 0 0",
	"replica 1 1 -1", "replica 1 1 4294967297", "master 1 1 1", "KEA", "Ex", "nmAK", "g$lshzxetdn",
	"zK", "default", "save now", "force nosave now", "now save", "a-b.c", "a_b", "host 1",
	"3600 1 300 100", "5 5 6 6", "1 99999999999", "1.23456789 0x1p3", "1e-7 -0", "nan", "inf",
	"1e-400", "relative", "absolute", "ALLKEYS-LRU", "\x01\"x",
}

// unsafeValue tells whether a value would break the test's connection.
func unsafeValue(name, v string) bool {
	switch name {
	case "client-output-buffer-limit":
		return strings.HasPrefix(v, "normal") && v != "normal 0 0 0"
	case "maxmemory-clients":
		_, okMem := memtoull(v)
		return okMem && v != "0" && v != "" && v != "kb" && !strings.HasSuffix(v, "gb") &&
			!strings.HasSuffix(v, "g") && len(v) < 10
	case "timeout":
		return v == "1" || v == "2"
	}
	return false
}

// TestSetMatchesRedis sets every parameter to many values on Concord and on
// redis-server and compares the replies and the resulting values.
func TestSetMatchesRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	rc, _, _ := startRedis(t, "--bind", "127.0.0.1")
	c := Default()
	for _, p := range Params() {
		if p.Flags&FlagConcord != 0 || compareSkip[p.Name] || strings.HasPrefix(p.Name, "tls-") {
			continue
		}
		if p.Default != p.RedisDefault {
			if err := c.Set(p.Name, p.RedisDefault); err != nil {
				t.Fatal(err)
			}
		}
		names := []string{p.Name}
		if p.Alias != "" {
			names = append(names, p.Alias)
		}
		values := append([]string{}, candidateValues...)
		values = append(values, p.Enum...)
		for _, v := range values {
			if unsafeValue(p.Name, v) {
				continue
			}
			for _, name := range names {
				want := rc.must(t, "CONFIG", "SET", name, v)
				err := c.Set(name, v)
				got := any("OK")
				if err != nil {
					got = redisError(SetErrorReply(err))
				}
				if e, ok := want.(redisError); ok && strings.Contains(string(e), "Active defragmentation cannot be enabled") {
					// This redis-server was built without active defrag
					// support (Debian's system jemalloc); Concord accepts
					// the setting like an upstream build.
					c.Set(name, "no")
					continue
				}
				if got != want {
					t.Errorf("CONFIG SET %s %q: Concord %q, Redis %q", name, v, got, want)
				}
				wantGet := strings.Join(toStrings(t, rc.must(t, "CONFIG", "GET", name)), "|")
				if gotGet := strings.Join(c.Get(name), "|"); gotGet != wantGet {
					t.Errorf("after CONFIG SET %s %q: Concord %q, Redis %q", name, v, gotGet, wantGet)
				}
			}
		}
		// Back to the default on both.
		def := p.Default
		if p.Type == TypeSpecial && p.Name == "client-output-buffer-limit" {
			def = "slave 268435456 67108864 60 pubsub 33554432 8388608 60"
		}
		if p.Flags&(FlagImmutable|FlagProtected) == 0 {
			rc.must(t, "CONFIG", "SET", p.Name, def)
			if err := c.Set(p.Name, def); err != nil && p.Name != "notify-keyspace-events" {
				t.Errorf("resetting %s: %v", p.Name, err)
			}
		}
	}
	ours := pairsToMap(c.Get("*"))
	redis := pairsToMap(toStrings(t, rc.must(t, "CONFIG", "GET", "*")))
	for n, v := range redis {
		if p, _ := Lookup(n); p.Default == p.RedisDefault && ours[n] != v && n != "port" && n != "dir" && n != "bind" {
			t.Errorf("at the end: %s = %q, Redis %q", n, ours[n], v)
		}
	}
}
