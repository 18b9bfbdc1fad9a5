package command

import (
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/effect"
)

// scriptStep is one command and redis-server 7.0.15's raw reply to it ("" = not compared).
type scriptStep struct {
	args []string
	want string
}

// TestScriptingCaptured replays, on one client of a fresh member, the scripting session whose
// replies were captured from a fresh redis-server 7.0.15 (scripting_capture_test.go): reply
// conversions both ways in RESP2 and RESP3, errors with their positions, redis.pcall, the
// sandbox, shebang flags, EVAL_RO, SCRIPT, math.random's sequence.
func TestScriptingCaptured(t *testing.T) {
	k := newKeysEnv(t)
	for i, s := range scriptCaptured {
		got := k.do(s.args...)
		if s.want != "" && got != s.want {
			t.Errorf("step %d %q:\n got %q\nwant %q", i, s.args, got, s.want)
		}
	}
}

// TestScriptOneBatch checks that every write of a script is one effect batch, as EXEC's are,
// also when the script fails after writing (Redis does not roll a script back).
func TestScriptOneBatch(t *testing.T) {
	k := newKeysEnv(t)
	from := len(k.batches)
	k.must(ktInt(1), "EVAL", "redis.call('set',KEYS[1],'x'); redis.call('rpush',KEYS[2],'a','b'); return redis.call('incr',KEYS[3])", "3", "a", "l", "n")
	if n := len(k.batches) - from; n != 1 {
		t.Fatalf("script made %d batches, want 1", n)
	}
	if ops := k.ops(from); len(ops) < 3 {
		t.Fatalf("batch has %d ops, want at least 3: %+v", len(ops), ops)
	}
	from = len(k.batches)
	got := k.do("EVAL", "redis.call('set','b','1'); redis.call('set','c','2'); error('stop')", "0")
	if !strings.HasPrefix(got, "-ERR user_script:1: stop script: ") {
		t.Fatalf("got %q", got)
	}
	if n := len(k.batches) - from; n != 1 {
		t.Fatalf("failed script made %d batches, want 1", n)
	}
	k.must(ktBulk("2"), "GET", "c")
	// A read-only script commits nothing.
	from = len(k.batches)
	k.must(ktBulk("x"), "EVAL_RO", "return redis.call('get',KEYS[1])", "1", "a")
	for _, b := range k.batches[from:] {
		if len(b.Ops) > 0 {
			t.Fatalf("read-only script emitted %+v", b.Ops)
		}
	}
}

// TestScriptInMulti: EVAL queued in MULTI runs at EXEC, inside the transaction's one batch.
func TestScriptInMulti(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktOK, "MULTI")
	k.must(ktSimple("QUEUED"), "SET", "a", "1")
	k.must(ktSimple("QUEUED"), "EVAL", "return redis.call('incr','a')", "0")
	from := len(k.batches)
	k.must(ktArr(ktOK, ktInt(2)), "EXEC")
	var writes int
	for _, b := range k.batches[from:] {
		if len(b.Ops) > 0 {
			writes++
		}
	}
	if writes != 1 {
		t.Fatalf("transaction with a script made %d write batches, want 1", writes)
	}
}

// TestScriptSelectStaysInScript: SELECT inside a script changes the script's database only.
func TestScriptSelectStaysInScript(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktOK, "EVAL", "redis.call('select','3'); return redis.call('set','k','v')", "0")
	k.must(ktNull, "GET", "k")
	if k.cl.DB != 0 {
		t.Fatalf("caller's db changed to %d", k.cl.DB)
	}
	k.must(ktBulk("v"), "EVAL", "redis.call('select','3'); return redis.call('get','k')", "0")
}

// TestEvalshaNeverRecompiles: EVALSHA runs the cached compiled script.
func TestEvalshaNeverRecompiles(t *testing.T) {
	k := newKeysEnv(t)
	sha := k.do("SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])")
	sha = strings.Split(sha, "\r\n")[1]
	s1 := k.env.scripts().runner.Lookup(sha)
	for i := 1; i <= 3; i++ {
		k.must(ktInt(int64(i)), "EVALSHA", sha, "1", "n")
	}
	if s2 := k.env.scripts().runner.Lookup(strings.ToUpper(sha)); s2 != s1 || s1 == nil {
		t.Fatal("the cached script changed")
	}
	k.must(ktOK, "SCRIPT", "FLUSH")
	k.must(ktErr("NOSCRIPT No matching script. Please use EVAL."), "EVALSHA", sha, "1", "n")
	k.must(ktErr("NOTBUSY No scripts in execution right now."), "SCRIPT", "KILL")
}

var _ = effect.Op{}

// TestScriptBusy: while a script runs past busy-reply-threshold, other clients get BUSY
// without waiting for the lock, SCRIPT KILL stops a script that has not written, and a script
// that wrote is UNKILLABLE.
func TestScriptBusy(t *testing.T) {
	k := newKeysEnv(t)
	if err := k.env.Config.Set("busy-reply-threshold", "50"); err != nil {
		t.Fatal(err)
	}
	other := k.client()
	for _, tc := range []struct {
		script string
		kill   string // reply to SCRIPT KILL
	}{
		{"while true do end", "+OK\r\n"},
		{"redis.call('set','w','1') while true do end", ktErr(string(errUnkillable))},
	} {
		done := make(chan string)
		go func() { done <- k.do("EVAL", tc.script, "0") }()
		for scriptsRunning.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		if got := k.doOn(other, "GET", "x"); got != ktErr(string(errBusy)) {
			t.Fatalf("%s: GET during the script: %q", tc.script, got)
		}
		if got := k.doOn(other, "SCRIPT", "KILL"); got != tc.kill {
			t.Fatalf("%s: SCRIPT KILL: %q, want %q", tc.script, got, tc.kill)
		}
		if tc.kill != "+OK\r\n" {
			k.env.scripts().runner.Kill() // what SHUTDOWN NOSAVE would end
		}
		got := <-done
		if !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: ") {
			t.Fatalf("%s: killed script replied %q", tc.script, got)
		}
		k.mustOn(other, ktNull, "GET", "x")
	}
	k.must(ktBulk("1"), "GET", "w") // a killed script's writes stay, as in Redis
}

func (k *ktEnv) mustOn(cl *Client, want string, args ...string) {
	k.t.Helper()
	if got := k.doOn(cl, args...); got != want {
		k.t.Fatalf("%q: got %q, want %q", args, got, want)
	}
}
