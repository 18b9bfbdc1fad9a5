package script

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/resp"
)

// libCase is a script run with no keys and redis-server 7.0.15's raw RESP2 reply to it.
type libCase struct {
	script string
	want   string
}

// cannedHost answers every command with one raw reply, or refuses it.
type cannedHost struct {
	reply []byte
	err   error
	calls [][]string
}

func (h *cannedHost) Call(args [][]byte, proto int) ([]byte, error) {
	var a []string
	for _, x := range args {
		a = append(a, string(x))
	}
	h.calls = append(h.calls, a)
	return h.reply, h.err
}

func (h *cannedHost) Known(name []byte) bool { return string(name) == "get" }

// eval runs body as EVAL would and returns the raw reply.
func eval(t *testing.T, r *Runner, h Host, proto int, body string, keys ...string) string {
	t.Helper()
	var out bytes.Buffer
	w := resp.NewWriter(&out)
	w.SetProtocol(proto)
	s, err := r.Load([]byte(body))
	if err == nil {
		var kb [][]byte
		for _, k := range keys {
			kb = append(kb, []byte(k))
		}
		err = r.Run(s, kb, nil, h, w, RunOptions{})
	}
	if err != nil {
		var se Error
		if !errors.As(err, &se) {
			t.Fatalf("%q: error of type %T: %v", body, err, err)
		}
		w.Error(string(se))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func runLibCases(t *testing.T, cases []libCase) {
	r := New(nil)
	h := &cannedHost{err: errors.New("no commands in this test")}
	for _, c := range cases {
		if got := eval(t, r, h, 2, c.script); got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.script, got, c.want)
		}
	}
}

func TestBitCaptured(t *testing.T)   { runLibCases(t, bitCaptured) }
func TestCjsonCaptured(t *testing.T) { runLibCases(t, cjsonCaptured) }

// TestMathRandomSequence: math.random follows redis-server's sequence from a fresh start,
// across scripts, and math.randomseed restarts it.
func TestMathRandomSequence(t *testing.T) {
	runLibCases(t, []libCase{
		{"return tostring(math.random())", "$16\r\n0.39646477363839\r\n"},
		{"return tostring(math.random())", "$16\r\n0.84048536971234\r\n"},
		{"math.randomseed(42); return tostring(math.random())", "$16\r\n0.74452500033403\r\n"},
	})
}

// TestReplyConversionsRESP3: the RESP3 reply of a command, seen by a script that asked for
// RESP3, comes back to a RESP3 caller as Redis converts it.
func TestReplyConversionsRESP3(t *testing.T) {
	r := New(nil)
	for _, c := range []struct {
		reply, script, want string
	}{
		{"%1\r\n$1\r\na\r\n$1\r\n1\r\n", "redis.setresp(3) return redis.call('get','x')", "%1\r\n$1\r\na\r\n$1\r\n1\r\n"},
		{"%1\r\n$1\r\na\r\n$1\r\n1\r\n", "redis.setresp(3) return redis.call('get','x').map.a", "$1\r\n1\r\n"},
		{"~1\r\n$1\r\nm\r\n", "redis.setresp(3) return redis.call('get','x')", "~1\r\n$1\r\nm\r\n"},
		{",1.5\r\n", "redis.setresp(3) return redis.call('get','x').double", ":1\r\n"},
		{",1.5\r\n", "redis.setresp(3) return redis.call('get','x')", ",1.5\r\n"},
		{"#t\r\n", "redis.setresp(3) return redis.call('get','x')", "#t\r\n"},
		{"#f\r\n", "redis.setresp(3) return redis.call('get','x')", "#f\r\n"},
		{"_\r\n", "redis.setresp(3) return type(redis.call('get','x'))", "$3\r\nnil\r\n"},
		{"(12345678901234567890\r\n", "redis.setresp(3) return redis.call('get','x')", "(12345678901234567890\r\n"},
		{"=7\r\ntxt:abc\r\n", "redis.setresp(3) local v = redis.call('get','x') return {v.verbatim_string.format, v.verbatim_string.string}", "*2\r\n$3\r\ntxt\r\n$3\r\nabc\r\n"},
		{"=7\r\ntxt:abc\r\n", "redis.setresp(3) return redis.call('get','x')", "=7\r\ntxt:abc\r\n"},
		{"|1\r\n+a\r\n+b\r\n:5\r\n", "redis.setresp(3) return redis.call('get','x')", ":5\r\n"},
		{"-ERR x y\r\n", "return redis.pcall('get','x')", "-ERR x y\r\n"},
		{"*-1\r\n", "return type(redis.call('get','x'))", "$7\r\nboolean\r\n"},
	} {
		h := &cannedHost{reply: []byte(c.reply)}
		if got := eval(t, r, h, 3, c.script); got != c.want {
			t.Errorf("%s on %q\n got %q\nwant %q", c.script, c.reply, got, c.want)
		}
	}
}

// TestCallArguments: numbers are passed as "%.17g", and commands are called with the
// protocol the script chose.
func TestCallArguments(t *testing.T) {
	r := New(nil)
	h := &cannedHost{reply: []byte("+OK\r\n")}
	eval(t, r, h, 2, "return redis.call('set', KEYS[1], 0.1, 3, -0.5)", "k")
	want := "set k 0.10000000000000001 3 -0.5"
	if len(h.calls) != 1 || strings.Join(h.calls[0], " ") != want {
		t.Fatalf("calls %q, want %q", h.calls, want)
	}
}

// TestRunawayScripts: deep recursion, self-referencing replies, huge strings and killed loops
// end in an error reply, and the runner keeps working.
func TestRunawayScripts(t *testing.T) {
	r := New(nil)
	h := &cannedHost{err: errors.New("none")}
	for _, body := range []string{
		"local function f() return f() + 1 end return f()",
		"return string.rep('x', 1e12)",
	} {
		if got := eval(t, r, h, 2, body); !strings.HasPrefix(got, "-ERR ") {
			t.Errorf("%s: got %q", body, got)
		}
	}
	got := eval(t, r, h, 2, "local t = {} t[1] = t return t")
	if !strings.HasSuffix(got, "-ERR reached lua stack limit\r\n") {
		t.Errorf("self-referencing table: got %.60q...", got)
	}
	done := make(chan string)
	go func() { done <- eval(t, r, h, 2, "while true do end") }()
	for !r.Kill() {
	}
	if got := <-done; !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: ") {
		t.Errorf("killed script: got %q", got)
	}
	if got := eval(t, r, h, 2, "return 7"); got != ":7\r\n" {
		t.Errorf("after kill: %q", got)
	}
}

// TestCompileErrors: syntax errors are reported as Redis words them, where the parsers agree.
func TestCompileErrors(t *testing.T) {
	r := New(nil)
	for _, c := range []libCase{
		{"return 1 +", "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"},
		{"#!lua flags=foo\nreturn 1", "-ERR Unexpected flag in script shebang: foo\r\n"},
		{"#!foo\nreturn 1", "-ERR Unexpected engine in script shebang: #!foo\r\n"},
		{"#!lua name=x\nreturn 2", "-ERR Unknown lua shebang option: name=x\r\n"},
	} {
		if got := eval(t, r, nil, 2, c.script); got != c.want {
			t.Errorf("%q\n got %q\nwant %q", c.script, got, c.want)
		}
	}
}

func TestStructCaptured(t *testing.T) { runLibCases(t, structCaptured) }

func TestCmsgpackCaptured(t *testing.T) { runLibCases(t, cmsgpackCaptured) }

// TestUnpackBounded: unpack refuses as many results as Lua 5.1 does instead of running away
// (replies captured from redis-server 7.0.15).
func TestUnpackBounded(t *testing.T) {
	runLibCases(t, []libCase{
		{"return select('#', unpack({}, 1, 1e8))", "-ERR user_script:1: too many results to unpack script: 8d4cace52fc7921a763e310f24618fee222a2c00, on @user_script:1.\r\n"},
		{"return {unpack({1, 2, 3}, 2)}", "*2\r\n:2\r\n:3\r\n"},
		{"return select('#', unpack({1, 2}, 3))", ":0\r\n"},
	})
}

func TestErrorsCaptured(t *testing.T) { runLibCases(t, errorsCaptured) }

// TestFrameFieldsReadable guards the reflection luaerrors.go reads gopher-lua's private call
// frames with: an upgrade that renames the fields would silently lose the variable names.
func TestFrameFieldsReadable(t *testing.T) {
	r := New(nil)
	h := &cannedHost{}
	got := eval(t, r, h, 2, "local t = nil\nreturn t.x")
	if !strings.Contains(got, "attempt to index local 't' (a nil value)") {
		t.Fatalf("the failing instruction was not found (gopher-lua's callFrame changed?): %q", got)
	}
	got = eval(t, r, h, 2, "return math.max()")
	if !strings.Contains(got, "got no value") {
		t.Fatalf("the argument count was not found (gopher-lua's callFrame changed?): %q", got)
	}
}

// TestStr2Number compares str2number with C's strtod-based luaO_str2d on the forms it accepts.
func TestStr2Number(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"10", 10, true}, {" 10 ", 10, true}, {"0x10", 16, true}, {"0X1p4", 16, true}, {"1e2", 100, true},
		{".5", 0.5, true}, {"5.", 5, true}, {"-inf", math.Inf(-1), true}, {"0x", 0, false}, {"1e", 0, false},
		{"- 1", 0, false}, {"", 0, false}, {"1 2", 0, false}, {"1\x00junk", 1, true}, {"abc", 0, false},
	} {
		got, ok := str2number(c.in)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("str2number(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
