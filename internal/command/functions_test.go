package command

import (
	"strings"
	"testing"
	"time"
)

// TestFunctionsCaptured replays a FUNCTION/FCALL session captured from redis-server 7.0.15:
// loading (metadata, registration and compile errors), FCALL and FCALL_RO with flags, errors
// positioned in user_function, LIST, STATS, DELETE, FLUSH, HELP.
func TestFunctionsCaptured(t *testing.T) {
	k := newKeysEnv(t)
	for i, s := range functionCaptured {
		if got := k.do(s.args...); s.want != "" && got != s.want {
			t.Errorf("step %d %q:\n got %q\nwant %q", i, s.args, got, s.want)
		}
	}
}

// TestFcallOneBatch: a function's writes are one effect batch, like a script's.
func TestFcallOneBatch(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktBulk("l"), "FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('w', function(keys, args) redis.call('set', keys[1], args[1]) return redis.call('incr', keys[2]) end)")
	from := len(k.batches)
	k.must(ktInt(1), "FCALL", "w", "2", "a", "n", "v")
	if n := len(k.batches) - from; n != 1 {
		t.Fatalf("function made %d batches, want 1", n)
	}
	k.must(ktBulk("v"), "GET", "a")
	// A function state survives a failing call, and REPLACE swaps the code.
	k.must(ktBulk("l"), "FUNCTION", "LOAD", "REPLACE", "#!lua name=l\nredis.register_function('w', function() return 'new' end)")
	k.must(ktBulk("new"), "FCALL", "w", "0")
}

// TestFunctionDumpRestore: a dump restores with each policy, and a failed restore changes
// nothing.
func TestFunctionDumpRestore(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktBulk("a"), "FUNCTION", "LOAD", "#!lua name=a\nredis.register_function('fa', function() return 'a' end)")
	k.must(ktBulk("b"), "FUNCTION", "LOAD", "#!lua name=b\nredis.register_function('fb', function() return 'b' end)")
	dump := k.do("FUNCTION", "DUMP")
	payload := dump[strings.Index(dump, "\r\n")+2 : len(dump)-2]
	k.must(ktErr("ERR Library 'a' already exists"), "FUNCTION", "RESTORE", payload)
	k.must(ktBulk("b"), "FCALL", "fb", "0")
	k.must(ktOK, "FUNCTION", "RESTORE", payload, "REPLACE")
	k.must(ktOK, "FUNCTION", "FLUSH")
	k.must(ktErr("ERR Function not found"), "FCALL", "fa", "0")
	k.must(ktOK, "FUNCTION", "RESTORE", payload)
	k.must(ktBulk("a"), "FCALL", "fa", "0")
	k.must(ktOK, "FUNCTION", "RESTORE", payload, "flush")
	k.must(ktErr("ERR payload version or checksum are wrong"), "FUNCTION", "RESTORE", payload[:len(payload)-1]+"x")
	k.must(ktErr("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."), "FUNCTION", "RESTORE", payload, "MERGE")
	k.must(ktBulk("b"), "FCALL", "fb", "0")
}

// TestFunctionBusy: a long function is stopped by FUNCTION KILL; others get the function
// form of BUSY.
func TestFunctionBusy(t *testing.T) {
	k := newKeysEnv(t)
	if err := k.env.Config.Set("busy-reply-threshold", "20"); err != nil {
		t.Fatal(err)
	}
	k.must(ktBulk("l"), "FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('spin', function() while true do end end)")
	other := k.client()
	done := make(chan string)
	go func() { done <- k.do("FCALL", "spin", "0") }()
	for scriptsRunning.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	k.mustOn(other, ktErr(string(errBusyFn)), "SCRIPT", "KILL")
	k.mustOn(other, "+OK\r\n", "FUNCTION", "KILL")
	if got := <-done; !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.") {
		t.Fatalf("killed function replied %q", got)
	}
}

// TestFunctionLoadTimeout: library code that runs too long at load is stopped as in Redis.
func TestFunctionLoadTimeout(t *testing.T) {
	k := newKeysEnv(t)
	k.must(ktErr("ERR Error registering functions: ERR FUNCTION LOAD timeout"), "FUNCTION", "LOAD", "#!lua name=tl\nwhile true do end")
	k.must("*0\r\n", "FUNCTION", "LIST")
}
