package compat

import (
	"strings"
	"testing"
)

// TestCompatScripting compares EVAL and friends with redis-server: reply conversions both
// ways (RESP2 and RESP3 callers, redis.setresp(3) scripts), errors with the positions Redis
// gives them, redis.pcall, the sandbox, and the cjson, cmsgpack, bit and struct libraries.
// Scripts avoid math.random (its sequence is shared by every script the server ran) and
// multi-element hashes and sets (their order is the data structure's).
func TestCompatScripting(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"fixed", nil, 0},
			{"calls", genScriptCalls, 400},
			{"functions", nil, 0},
		} {
			t.Run(sub.name, func(t *testing.T) {
				s := newStream(t, p, 1, proto)
				s.keys = []string{"s1", "s2", "s3"}
				s.do("SCRIPT", "FLUSH")
				if sub.name == "functions" {
					s.do("FUNCTION", "FLUSH")
					for _, args := range functionSession {
						s.do(args...)
					}
					return
				}
				if sub.name == "fixed" {
					for i := range fixedScripts {
						s.do("EVAL", fixedScripts[i], "0")
					}
					return
				}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
			})
		}
	})
}

// fixedScripts run with no keys, in order, on an empty database.
var fixedScripts = []string{
	"return x", "x=1", "string.x = 1", "return redis.call('nosuch')", "return redis.call('get')",
	"return redis.call()", "return redis.call({})", "return redis.call('get', true)",
	"redis.call('lpush','l','1'); return redis.call('get','l')", "return redis.pcall('get','l')",
	"return redis.pcall('get','l')['err']", "return redis.error_reply('My Error')", "return redis.error_reply('bad')",
	"return {err='bad'}", "return {err='-bad'}", "return redis.status_reply('FINE')", "return {ok='OK'}", "return {ok=1}",
	"return {1,2,3,'x',nil,4}", "return 3.99", "return -3.7", "return 1e300", "return true", "return false", "return nil",
	"return {1,false,2}", "return error('boom')", "error({err='X y'})", "error(123)", "error()",
	"return redis.call('subscribe','x')", "return redis.call('eval','return 1','0')", "return redis.call('multi')",
	"return redis.sha1hex('')", "return redis.sha1hex()", "return 1 +", "return loadfile", "return os",
	"return {double=1.5}", "return {double=0.1}", "return {big_number='123'}", "return {map={a=1}}", "return {set={a=true}}",
	"return {verbatim_string={format='txt',string='hi'}}", "redis.setresp(3); return true", "redis.setresp(3); return false",
	"redis.setresp(3); return {double=2.5}", "return redis.setresp(4)", "return redis.log(1)",
	"redis.call('hset','h','a','1'); redis.setresp(3); return redis.call('hgetall','h')",
	"redis.setresp(3); return redis.call('hgetall','h').map.a", "redis.setresp(3); return redis.call('get','nosuch')",
	"redis.setresp(3); return type(redis.call('get','nosuch'))", "redis.call('zadd','z','1.5','m'); redis.setresp(3); return redis.call('zscore','z','m')",
	"return redis.call('zscore','z','m')", "redis.setresp(3); return redis.call('zscore','z','m').double",
	"local ok, e = pcall(function() redis.call('nosuch') end); return e", "local ok, e = pcall(function() error({err='x'}) end); return e",
	"local ok, e = pcall(function() error('x') end); return e", "local t = {} t[1]='a' t[3]='c' return t",
	"return {1,{2,{3,'x'}},'y'}", "return redis.call('set', 'x', 0.1)", "return redis.call('get', 'x')",
	"redis.call('select','2') redis.call('set','db2','v') return redis.call('get','db2')", "return redis.call('get','db2')",
	"#!lua flags=no-writes\nreturn redis.pcall('set','a','1')", "#!lua flags=foo\nreturn 1", "#!foo\nreturn 1",
	"return {redis.REDIS_VERSION, redis.REPL_ALL, redis.LOG_WARNING}", "return tostring(1/3)", "return tostring(1e15)",
	"return cjson.encode({a={}, b={1,'x',true,false}})", "return cjson.encode({[1]=1,[3]=3})", "return cjson.encode({[1]=1,[20]=3})",
	"return cjson.encode(1/3)", "return cjson.encode(0/0)", "return cjson.decode('{\"a\":[1,2.5,\"x\",true,false,null]}').a",
	"return cjson.decode('[1,2')", "return cjson.decode('{\"a\":1,}')", "return cjson.decode('\"\\\\u00e9\"')",
	"return cmsgpack.pack(1, -1, 128, 65536, 4294967296, -33, -129, -32769, -2147483649, 1.5, 0.1, 'abc', {1,2}, {a=1})",
	"return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1,2}, -5, 1.5))}", "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}",
	"return cmsgpack.unpack('\\193')", "return {bit.tobit(2^32+5), bit.tohex(-1), bit.band(0xff, 0x0f), bit.lshift(1, 31), bit.bswap(0x12345678)}",
	"return struct.pack('>bBhHlLT', -1, 255, -2, 65535, -3, 4, 5)", "return {struct.unpack('b c0', '\\3abcdef')}",
	"return struct.size('>i!4 b d')", "return struct.pack('z', 1)",
}

// genScriptCalls runs scripts that call one command on a random key through redis.call or
// redis.pcall, with RESP2 or RESP3 conversions, returning its reply or a field of it.
func genScriptCalls(s *stream) {
	call := s.pick("redis.call", "redis.pcall")
	pre := s.pick("", "", "redis.setresp(3) ")
	var cmd string
	switch s.intn(14) {
	case 0:
		cmd = "'set', KEYS[1], ARGV[1]"
	case 1:
		cmd = "'get', KEYS[1]"
	case 2:
		cmd = "'incr', KEYS[1]"
	case 3:
		cmd = "'incrbyfloat', KEYS[1], '1.5'"
	case 4:
		cmd = "'rpush', KEYS[1], ARGV[1]"
	case 5:
		cmd = "'lrange', KEYS[1], 0, -1"
	case 6:
		cmd = "'hset', KEYS[1], 'f', ARGV[1]"
	case 7:
		cmd = "'hgetall', KEYS[1]"
	case 8:
		cmd = "'zadd', KEYS[1], ARGV[1], 'm'"
	case 9:
		cmd = "'zscore', KEYS[1], 'm'"
	case 10:
		cmd = "'del', KEYS[1]"
	case 11:
		cmd = "'type', KEYS[1]"
	case 12:
		cmd = "'sadd', KEYS[1], ARGV[1]"
	default:
		cmd = "'scard', KEYS[1]"
	}
	ret := s.pick("r", "r", "type(r)", "{r}", "r.ok", "r.err", "r.map", "r.double")
	body := pre + "local r = " + call + "(" + cmd + ") return " + ret
	// Indexing a non-table is an error whose text is the interpreter's own (gopher-lua words it
	// differently from Lua 5.1), so fields are only read from tables.
	if strings.Contains(ret, ".") {
		body = pre + "local r = " + call + "(" + cmd + ") if type(r) == 'table' then return " + ret + " end return r"
	}
	s.do("EVAL", body, "1", s.key(), s.pick("1", "2.5", "abc", "-3", ""))
}

// functionSession loads, calls, lists and deletes function libraries. (FUNCTION LIST of
// several libraries is left out: Redis lists them in its hash table's order.)
var functionSession = [][]string{
	{"FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)"},
	{"FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return 1 end)"},
	{"FUNCTION", "LOAD", "REPLACE", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)"},
	{"FCALL", "f1", "1", "k", "a"}, {"FCALL", "nosuch", "0"}, {"FCALL_RO", "f1", "1", "k", "a"},
	{"FUNCTION", "LIST", "WITHCODE"},
	{"FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function{function_name='f2', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, flags={'no-writes'}, description='d'}"},
	{"FCALL", "f2", "1", "k", "v"}, {"FCALL_RO", "f2", "1", "k", "v"},
	{"FUNCTION", "LIST", "LIBRARYNAME", "lib2"},
	{"FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('f1', function() return 1 end)"},
	{"FUNCTION", "LOAD", "return 1"}, {"FUNCTION", "LOAD", "#!lua\nreturn 1"}, {"FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"},
	{"FUNCTION", "LOAD", "#!foo name=x\nreturn 1"}, {"FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"},
	{"FUNCTION", "LOAD", "#!lua name=lib4\nreturn 1"}, {"FUNCTION", "LOAD", "#!lua name=lib5\nredis.call('ping')"},
	{"FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('f6', function() return x end)"}, {"FCALL", "f6", "0"},
	{"FUNCTION", "LOAD", "#!lua name=lib7\nredis.register_function('f7', function() error('boom') end) redis.register_function('f8', function(k, a) return #k + #a end)"},
	{"FCALL", "f7", "0"}, {"FCALL", "f8", "2", "a", "b", "c"}, {"FCALL", "f8", "-1"}, {"FCALL", "f8", "5"},
	{"FUNCTION", "LOAD", "#!lua name=lib8\nredis.register_function('f9')"},
	{"FUNCTION", "LOAD", "#!lua name=lib8\nredis.register_function('f 9', function() end)"},
	{"FUNCTION", "LOAD", "#!lua name=lib8\nredis.register_function{function_name='f9', callback=function() end, flags={'bad'}}"},
	{"FUNCTION", "LOAD", "#!lua name=lib8\nx = 1"}, {"FUNCTION", "LOAD", "#!lua name=lib8\nreturn 1 +"},
	{"FUNCTION", "LIST", "FOO"}, {"FUNCTION", "STATS"}, {"FUNCTION", "KILL"},
	{"FUNCTION", "DELETE", "lib1"}, {"FUNCTION", "DELETE", "lib1"}, {"FCALL", "f1", "0"},
	{"FUNCTION", "HELP"}, {"FUNCTION", "FLUSH", "x"}, {"FUNCTION", "FLUSH"}, {"FUNCTION", "LIST"},
}
