package command

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

const scDebugRefused = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`

func TestDebugProtection(t *testing.T) {
	for _, tc := range []struct {
		setting string
		addr    string
		allowed bool
	}{
		{"", "127.0.0.1:5000", false}, // default: no
		{"enable-debug-command no", "127.0.0.1:5000", false},
		{"enable-debug-command local", "127.0.0.1:5000", true},
		{"enable-debug-command local", "[::1]:5000", true},
		{"enable-debug-command local", "10.0.0.1:5000", false},
		{"enable-debug-command local", "", false},
		{"enable-debug-command yes", "10.0.0.1:5000", true},
	} {
		var s *scEnv
		if tc.setting == "" {
			s = newSCEnv(t)
		} else {
			s = newSCEnv(t, tc.setting)
		}
		cl := s.client(tc.addr)
		want := scErr(scDebugRefused)
		if tc.allowed {
			want = scSimple(strings.Repeat("0", 40))
		}
		if got := s.do(cl, "DEBUG", "DIGEST"); got != want {
			t.Errorf("%q from %q: got %q, want %q", tc.setting, tc.addr, got, want)
		}
		// The arity is checked first.
		if got := s.do(cl, "DEBUG"); got != scArity("debug") {
			t.Errorf("DEBUG: %q", got)
		}
	}
}

// The digests below were captured from redis-server 7.0.15 after the same commands
// (DEBUG DIGEST / DEBUG DIGEST-VALUE).
func TestDebugDigest(t *testing.T) {
	s := newSCEnv(t, "enable-debug-command yes")
	cl := s.client("")
	digest := func(hex string) string { return scSimple(hex) }
	s.run(cl, []scStep{
		sc(digest("0000000000000000000000000000000000000000"), "DEBUG", "DIGEST"),
		sc(scOK, "SET", "a", "1"),
		sc(digest("943d800368fb9c0e951138f1bc0e313ac769d91f"), "DEBUG", "DIGEST"),
		sc(scOK, "SET", "b", "hello"),
		sc(scOK, "SET", "key with space", "v"),
		sc(scOK, "SET", "e", ""),
		sc(scOK, "SET", "c", "12345678901234567890123456789012345678901234567890"),
		sc(digest("f0743fbc76d189d94a04954774f8781d1a034ea0"), "DEBUG", "DIGEST"),
		sc(scOK, "SET", "t1", "x", "EX", "1000"),
		sc(scOK, "SET", "t2", "12345", "PX", "99999999"),
		sc(digest("071ee5b5eae0612e32769fe48ff7164a7e0877b2"), "debug", "digest"),
		sc(scArr(
			scSimple("b4fc66738120fba0b5aa500ab5c2bf89cea1c5da"),
			scSimple("36b23a1456b2dce2c3ed252c456761301dba8060"),
			scSimple("0745672cb1bf060476eedeb8a28f5ffe1ff5a2be"),
			scSimple("074a6e8892a0b0b4fcf085794cb69322c36c9d00"),
			scSimple("8b3447c33a834b810e3e181b6fd6a2ee1020921c"),
			scSimple("0000000000000000000000000000000000000000"),
		), "DEBUG", "DIGEST-VALUE", "a", "b", "t1", "t2", "e", "nosuch"),
		sc("*0\r\n", "DEBUG", "DIGEST-VALUE"),
		sc(scOK, "SELECT", "1"),
		sc(scOK, "SET", "a", "1"),
		sc(digest("dc95eafdbefd190b60189a313deac56a137ecb0f"), "DEBUG", "DIGEST"),
		sc(scOK, "SET", "-1", "-1"),
		sc(scOK, "SET", "big", "9223372036854775807"),
		sc(digest("c181337383e06dd97a2045ca3c98e9ce75cef4a2"), "DEBUG", "DIGEST"),
		sc(scArr(
			scSimple("cf3c4eb5872a79c217ca1f93313d122bbfdcd92f"),
			scSimple("740f3d80eb4e51ce571db1772e687df8d366aa6d"),
		), "DEBUG", "DIGEST-VALUE", "-1", "big"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP."), "DEBUG", "DIGEST", "x"),
	})
	// A counter digests as the string it reads as.
	s2 := newSCEnv(t, "enable-debug-command yes")
	cl2 := s2.client("")
	s2.run(cl2, []scStep{
		sc(scInt(1), "INCRBY", "a", "1"),
		sc(digest("943d800368fb9c0e951138f1bc0e313ac769d91f"), "DEBUG", "DIGEST"),
		sc(scOK, "FLUSHALL"),
		sc(digest("0000000000000000000000000000000000000000"), "DEBUG", "DIGEST"),
	})
}

func TestDebugObjectSleepProtocol(t *testing.T) {
	s := newSCEnv(t, "enable-debug-command yes")
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scArity("debug"), "DEBUG"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP."), "DEBUG", "FOO"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP."), "DEBUG", "SLEEP"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP."), "DEBUG", "OBJECT"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'PROTOCOL'. Try DEBUG HELP."), "DEBUG", "PROTOCOL"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'ERROR'. Try DEBUG HELP."), "DEBUG", "ERROR"),
		sc(scErr("ERR no such key"), "DEBUG", "OBJECT", "a"),
		sc(scOK, "SET", "a", "1"),
		sc(scOK, "SET", "b", "hello"),
		sc(scOK, "SET", "c", "12345678901234567890123456789012345678901234567890"),
		sc(scOK, "SET", "d", "70000"),
		sc(scOK, "DEBUG", "SLEEP", "0"),
		sc(scOK, "DEBUG", "SLEEP", "x"),
		sc(scOK, "DEBUG", "SLEEP", "-1"),
		sc(scErr("foo bar"), "DEBUG", "ERROR", "foo\nbar"),
		sc(scOK, "DEBUG", "LOG", "hello"),
		sc(scBulk("Hello World"), "DEBUG", "PROTOCOL", "string"),
		sc(scInt(12345), "DEBUG", "PROTOCOL", "integer"),
		sc(scBulk("3.141"), "DEBUG", "PROTOCOL", "double"),
		sc(scBulk("1234567999999999999999999999999999999"), "DEBUG", "PROTOCOL", "bignum"),
		sc(scNull2, "DEBUG", "PROTOCOL", "null"),
		sc(scArr(scInt(0), scInt(1), scInt(2)), "DEBUG", "PROTOCOL", "array"),
		sc("*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n", "DEBUG", "PROTOCOL", "map"),
		sc(scBulk("Some real reply following the attribute"), "DEBUG", "PROTOCOL", "attrib"),
		sc(scErr("ERR RESP2 is not supported by this command"), "DEBUG", "PROTOCOL", "push"),
		sc(scBulk("This is a verbatim\nstring"), "DEBUG", "PROTOCOL", "verbatim"),
		sc(scErr("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"), "DEBUG", "PROTOCOL", "x"),
		sc(scHello(cl.ID, 3), "HELLO", "3"),
		sc("|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n", "DEBUG", "PROTOCOL", "attrib"),
		sc(">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n", "DEBUG", "PROTOCOL", "push"),
		sc(",3.141\r\n", "DEBUG", "PROTOCOL", "double"),
		sc("~3\r\n:0\r\n:1\r\n:2\r\n", "DEBUG", "PROTOCOL", "set"),
		sc("#t\r\n", "DEBUG", "PROTOCOL", "true"),
		sc("#f\r\n", "DEBUG", "PROTOCOL", "false"),
		sc("(1234567999999999999999999999999999999\r\n", "DEBUG", "PROTOCOL", "bignum"),
		sc("=29\r\ntxt:This is a verbatim\nstring\r\n", "DEBUG", "PROTOCOL", "verbatim"),
	})
	// DEBUG ERROR is a reply, not a failed command (Redis's addReplySds).
	if s.env.Stats.ErrorCodes["foo"] != 0 {
		t.Error("DEBUG ERROR counted as an error reply")
	}
	for key, want := range map[string]string{
		"a": "refcount:2147483647 encoding:int serializedlength:2",
		"b": "refcount:1 encoding:embstr serializedlength:6",
		"c": "refcount:1 encoding:raw serializedlength:51", // Redis: 21 (LZF compressed)
		"d": "refcount:1 encoding:int serializedlength:5",
	} {
		got := s.do(cl, "DEBUG", "OBJECT", key)
		re := regexp.MustCompile(`^\+Value at:0x[0-9a-f]+ ` + want + ` lru:\d+ lru_seconds_idle:\d+\r\n$`)
		if !re.MatchString(got) {
			t.Errorf("DEBUG OBJECT %s = %q, want %s", key, got, want)
		}
	}
	start := time.Now()
	s.run(cl, []scStep{sc(scOK, "DEBUG", "SLEEP", "0.05")})
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("DEBUG SLEEP 0.05 took %v", d)
	}
	// Redis's help text, for the subcommands Concord has.
	s.run(cl, []scStep{sc(scHelp("DEBUG", debugHelp), "DEBUG", "HELP")})
}

func TestStrtodPrefix(t *testing.T) {
	for s, want := range map[string]float64{
		"": 0, "x": 0, "1": 1, "0.5": 0.5, " 2.5s": 2.5, "-1": -1, ".25": 0.25, "1e2x": 100, "+3": 3,
		"1e": 1, "inf": math.Inf(1), "-Infinity": math.Inf(-1), "-": 0,
	} {
		if got := strtodPrefix(s); got != want {
			t.Errorf("strtodPrefix(%q) = %v, want %v", s, got, want)
		}
	}
}
