package command

import (
	"strings"
	"testing"
	"time"
)

// FuzzEval runs random script text through EVAL: whatever the text, the member must answer
// with a well-formed reply and keep working (no panic escapes, no hang: scripts running over
// 200 ms are killed as SCRIPT KILL would).
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		"return 1", "return redis.call('set','a','b')", "return {1,2,{3}}", "error({})", "return x",
		"local t = {} t[1] = t return t", "return redis.pcall('nosuch')", "return string.rep('x', 1e12)",
		"while true do end", "local function f() return f() + 1 end return f()", "redis.setresp(3) return redis.call('hgetall','h')",
		"return {map={a={set={b=true}}}}", "return {double=0/0}", "return cjson", "return 1 +",
	} {
		f.Add(s, "k", "v")
	}
	f.Fuzz(func(t *testing.T, body, key, arg string) {
		k := newKeysEnv(t)
		runner := k.env.scripts().runner
		stop := time.AfterFunc(200*time.Millisecond, func() { runner.Kill() })
		got := k.do("EVAL", body, "1", key, arg)
		stop.Stop()
		if got == "" || !strings.HasSuffix(got, "\r\n") {
			t.Fatalf("malformed reply %q", got)
		}
		if strings.Contains(got, "internal error") {
			t.Fatalf("internal error: %q", got)
		}
		k.must("+PONG\r\n", "PING")
	})
}

// BenchmarkEvalsha measures EVALSHA of the INCR script through the dispatcher.
func BenchmarkEvalsha(b *testing.B) {
	t := &testing.T{} // newKeysEnv takes a *testing.T; it fails only on setup errors
	k := newKeysEnv(t)
	sha := strings.Split(k.do("SCRIPT", "LOAD", "return redis.call('INCR', KEYS[1])"), "\r\n")[1]
	args := [][]byte{[]byte("EVALSHA"), []byte(sha), []byte("1"), []byte("counter")}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		k.env.Execute(k.cl, args)
		k.cl.Out.WriteTo(scriptDiscard{})
	}
}

type scriptDiscard struct{}

func (scriptDiscard) Write(p []byte) (int, error) { return len(p), nil }

// FuzzFunctionLoad loads random library code and calls what it registered: the member must
// keep answering (loading is cut off after 500 ms, calls are killed after 200 ms).
func FuzzFunctionLoad(f *testing.F) {
	for _, s := range []string{
		"#!lua name=l\nredis.register_function('f', function(k, a) return {k[1], a[1]} end)",
		"#!lua name=l\nredis.register_function{function_name='f', callback=function() return redis.call('set','a','b') end, flags={'no-writes'}}",
		"#!lua name=l\nwhile true do end", "#!lua name=l\nredis.register_function('f', function() while true do end end)",
		"#!lua name=l\nredis.call('ping')", "#!lua\nx", "return 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		k := newKeysEnv(t)
		runner := k.env.scripts().runner
		got := k.do("FUNCTION", "LOAD", code)
		if got == "" || !strings.HasSuffix(got, "\r\n") || strings.Contains(got, "internal error") {
			t.Fatalf("FUNCTION LOAD: %q", got)
		}
		stop := time.AfterFunc(200*time.Millisecond, func() { runner.Kill() })
		got = k.do("FCALL", "f", "1", "k", "v")
		stop.Stop()
		if got == "" || !strings.HasSuffix(got, "\r\n") || strings.Contains(got, "internal error") {
			t.Fatalf("FCALL: %q", got)
		}
		k.must("+PONG\r\n", "PING")
	})
}
