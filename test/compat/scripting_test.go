package compat

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
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
					for i := range errorScripts {
						s.do("EVAL", errorScripts[i], "0")
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

// errorScripts are scripts whose runtime errors (or library edge cases) gopher-lua words or
// handles differently from Lua 5.1 unless internal/script translates them (luaerrors.go,
// baselib51.go): arithmetic, indexing, calls, concatenation, lengths and comparisons on the
// wrong types with Lua 5.1's variable descriptions ("local 't'", "field 'b'", "method 'm'",
// "upvalue 'u'"), errors inside pcall, stack overflows, bad arguments ("no value", quoted
// names), tonumber, select, string.char, string.format, math.max, loadstring's chunk names,
// xpcall, error levels, and rawset, rawget, setmetatable and getmetatable on the protected
// tables. (The exact depth at which Lua 5.1 overflows depends on how its call info
// array grew in earlier scripts, so only unbounded recursions are compared.)
var errorScripts = []string{
	`return 1 + nil`, `local t = nil; return t.x`, `error('x')`, `error({err='x'})`,
	`error({err='x y'})`, `error({err='x', source='s', line=1})`, `foo()`, `local foo; foo()`,
	`return 'a' + 1`, `return 'a' .. nil`, `return 'abc' * 2`, `return '10' + 1`, `return #nil`,
	`return #5`, `return 1 < nil`, `return nil < 1`, `return {} < {}`, `return 'a' < 1`,
	`local x = nil; return x .. 'a'`, `local function f() return f() + 1 end return f()`,
	`local function f() f() end f()`, `return redis.call('get', {})`,
	`return redis.call('get', nil)`, `return redis.call('get', 1.5)`,
	`return redis.call('nosuchcmd')`, `return redis.call()`, `return redis.call(1)`,
	`return redis.pcall('nosuchcmd')`, `return pcall(function() return 1 + nil end)`,
	`return {pcall(function() return 1 + nil end)}`, `return {pcall(function() error('x') end)}`,
	`return {pcall(function() error({err='x'}) end)}`, `return {pcall(function() error() end)}`,
	`return {pcall(error)}`, `return {pcall(function() local t = nil; return t.x end)}`,
	`return {pcall(function() foo() end)}`, `return tonumber('0x10')`, `return tonumber('  10  ')`,
	`return tonumber('1e2')`, `return tonumber('10', 16)`, `return tonumber('z', 36)`,
	`return tonumber('10', 99)`, `return tonumber('')`, `return tonumber(nil)`,
	`return tonumber()`, `return string.rep('x', -1)`, `return string.rep('x', 3, ',')`,
	`return string.rep()`, `return string.rep('x')`, `return string.rep('x', 'a')`,
	`return loadstring('return 1')()`, `return loadstring('return +')`,
	`return {loadstring('return +')}`, `return loadstring('x=1')()`, `return x`, `x = 1`,
	`_G.x = 1`, `local t = _G; t.y = 2`, `rawset(_G, 'x', 1)`, `return rawget(_G, 'x')`,
	`return rawget(_G, 'redis') ~= nil`, `setmetatable(_G, {})`, `return getmetatable(_G)`,
	`return string.format('%d', 'x')`, `return string.format('%d')`, `return string.sub()`,
	`return ('x'):bad()`, `return math.floor('a')`, `return math.floor()`,
	`return table.concat({1,{}})`, `return table.insert()`, `return select(-5, 1)`,
	`return unpack({1,2,3}, 1, 1e7)`,
	`return setmetatable({}, {__index=function() error('inner') end}).x`,
	`return coroutine.resume(1)`, `return ipairs()`, `return pairs(nil)`, `for i=1,'x' do end`,
	`for i=1,10,0 do end return 1`, `return 2^'x'`, `return -{}`, `return -'2'`, `return -'a'`,
	`local t = {} t[nil] = 1`, `local t = {} t[0/0] = 1`, `return assert(false)`,
	`return assert(false, 'msg')`, `return assert(nil, {err='x'})`, `return assert(1 == 1, 'no')`,
	`return error('x', 0)`, `return error('x', 2)`, `return error(nil)`, `return error(true)`,
	`return error(12.5)`, `return tostring()`, `return type()`, `local a = {} a.b.c = 1`,
	`local a = 5 a.b = 1`, `local a = 'str' return a.b`, `local a = 'str' return a:upper()`,
	`local a = 'str' return a:nope()`, `local a = true; return a.x`, `return (nil)()`,
	`return ({})()`, `return (1)()`, `return ('s')()`, `return math.huge // 1`,
	`return redis.call('set','k')`,
	`return redis.call('incr','nosuchnum') and redis.call('set', 'nn', 'a') and redis.call('incr','nn')`,
	`return redis.sha1hex({})`, `return redis.error_reply()`, `return redis.error_reply(1)`,
	`return redis.status_reply()`, `return redis.setresp()`, `return redis.setresp('x')`,
	`return redis.log()`, `return redis.log(99, 'x')`, `return redis.log('x', 'y')`,
	`return redis.call('get', 'a', 'b')`, `return cjson.decode()`, `return cjson.encode()`,
	`return struct.pack()`, `return bit.band('x')`, `return string.char(256)`,
	`return string.byte('a', 1, 'x')`, `return table.sort({3,1,'a'})`,
	`return table.sort({3,1,2}, function(a,b) return a.x < b end)`, `return math.max()`,
	`return select('x')`, `return string.format('%y', 1)`, `return tostring(nil) .. nil`,
	`return nil .. 'a'`, `return {} .. 'a'`, `return true .. 'a'`, `return 1 .. {}`,
	`return tonumber('inf')`, `return tonumber('-inf') < 0`,
	`return tonumber('nan') ~= tonumber('nan')`, `return tonumber('0x')`, `return tonumber('1e')`,
	`return tonumber('.5')`, `return tonumber('5.')`, `return tonumber('- 1')`,
	`return tonumber('0x1p4')`, `return tonumber('1e400') > 1`, `return tonumber('ff', 16)`,
	`return tonumber('  -ff  ', 16)`, `return tonumber('0xff', 16)`, `return tonumber('zz', 36)`,
	`return tonumber('8', 8)`, `return tonumber(10, 16)`, `return tonumber('10', 'x')`,
	`return tonumber({}, 16)`, `return tonumber({})`, `return tonumber(nil, 16)`,
	`return select('#', 1, 2)`, `return select('2', 'a', 'b')`, `return select(0)`,
	`return string.char(65, '66')`, `return string.char(-1)`, `return math.max(1, '5', 3)`,
	`return math.min('a')`, `local function f() error('lvl2', 2) end f()`,
	`local function f() error('lvl1') end f()`, `return {loadstring('x = ', 'mychunk')}`,
	`return {loadstring('x = ', '=mychunk')}`, `return {loadstring('x = ', '@mychunk')}`,
	`return {loadstring('return 1 + nil')()}`, `return loadstring('return 1 + nil')()`,
	`return loadstring('local t = nil\nreturn t.x', 'a very long chunk name that goes on and on and on past sixty characters')()`,
	`return {pcall(loadstring('error("e")'))}`, `return redis()`, `return redis.nosuch()`,
	`local t = {} return t.a.b`, `local t = {} return t:nope()`,
	`local up = nil; local function f() return up.x end return f()`,
	`local up = nil; local function f() return up + 1 end return f()`,
	`local t = {} t.x = t.y + 1`, `return ('x'):rep()`, `return string.rep('x', 2, 3, 4)`,
	`local a = {} return a .. 'x'`, `local a, b = 'x', {} return a .. b`,
	`local a, b = 1, nil return a .. 'y' .. b`, `return #redis.call`, `local s = 'abc' return -s`,
	`local a = {} return a < 1`, `return nil > 1`, `return 'a' <= 1`, `return {} <= {}`,
	`local x = 1 x()`, `local t = {1} t[1]()`, `return math.floor({})`,
	`return string.sub('abc', {})`, `return string.format('%5.2s|', 'abc')`,
	`return string.format('%g', 0.1)`, `return string.format('%g', 1/3)`,
	`return string.format('%d', 3.7)`, `return string.format('%x', 255)`,
	`return string.format('%q', 'a\nb"c')`, `return string.format('%5d|%-5d|%05d', 1, 2, 3)`,
	`return string.format('%.3f', 1/3)`, `return string.format('%e', 12345.678)`,
	`return string.format('%s', nil)`, `return string.format('%s %s', 1)`,
	`return string.format('%5.1f|%-8.3e|%G|%g|%g', 3.14159, 1234.5, 1e-10, 1e20, 100000)`,
	`return string.format('%c%c', 72, 105)`,
	`return string.format('[%10s][%-10s][%.2s]', 'hi', 'hi', 'hello')`,
	`return string.format('%o %X %#x %+d % d', 8, 255, 255, 5, 5)`,
	`return string.format('%f %e %g', 1/0, -1/0, 0/0)`, `return string.format('%5.2f%%', 99.5)`,
	`return string.format('%s', 1.5)`, `return string.format('%d', '12')`,
	`return string.format('%123d', 1)`, `return string.format('%-----d', 1)`,
	`return string.format('%s', {})`, `return string.format('%i', -3.9)`,
	`return string.format('%u', -1)`, `return type(getmetatable(_G).__index)`,
	`return getmetatable(string)`, `return getmetatable('')`, `setmetatable(string, {})`,
	`rawset(string, 'x', 1)`,
	`local t = setmetatable({}, {__index=function() return 5 end}) return t.x`,
	`local t = {} rawset(t, 'a', 1) return rawget(t, 'a')`, `return rawset({}, nil, 1)`,
	`return rawget()`, `return setmetatable({}, 5)`, `return coroutine.status(1)`,
	`return getmetatable(_G).__index('nope')`,
	`local t = setmetatable({}, {__metatable='locked'}) return getmetatable(t)`,
	`local t = setmetatable({}, {__metatable='locked'}) setmetatable(t, {})`,
	`return setmetatable({}, nil) ~= nil`, `return getmetatable()`, `return setmetatable()`,
	`return rawset({}, 0/0, 1)`, `local function f() return pcall(f) end return f()`,
	`return {xpcall(function() return 1 + nil end, function(e) return e end)}`,
	`return {xpcall(function() local t = nil return t.x end, function(e) return 'h:' .. e end)}`,
	`return {xpcall(function() error({err='x'}) end, function(e) return type(e) end)}`,
	`return {xpcall(function() return 1 end)}`,
	`return {xpcall(function() return 1, 2 end, print)}`,
	`return {xpcall(function() error('x') end, function(e) error('y') end)}`,
	`return {xpcall(function() return redis.call('nosuch') end, function(e) return e end)}`,
	`return {xpcall(function() return redis.call('nosuch') end, function(e) return e.err end)}`,
	`return {xpcall(1, function(e) return e end)}`,
	`return {xpcall(function() error('x') end, 5)}`,
	`return {xpcall(function() return 1, 2, 3 end, function(e) return e end)}`,
	`return {pcall(xpcall, function() error('q') end, function(e) return 'H' .. e end)}`,
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
	// Runtime errors in functions: "@user_function" positions and Lua 5.1's texts.
	{"FUNCTION", "LOAD", "#!lua name=errs\n" +
		"redis.register_function('e1', function() local t = nil; return t.x end)\n" +
		"redis.register_function('e2', function(k, a) return a[1] + 1 end)\n" +
		"redis.register_function('e3', function() local function f() return 1 + f() end return f() end)\n" +
		"redis.register_function('e4', function() return {pcall(function() return #nil end)} end)\n" +
		"redis.register_function('e5', function() error({err='custom'}) end)\n" +
		"redis.register_function('e6', function() return string.format('%d') end)\n" +
		"redis.register_function('e7', function(k, a) return redis.call('nosuch') end)"},
	{"FCALL", "e1", "0"}, {"FCALL", "e2", "0", "x"}, {"FCALL", "e2", "0"}, {"FCALL", "e3", "0"},
	{"FCALL", "e4", "0"}, {"FCALL", "e5", "0"}, {"FCALL", "e6", "0"}, {"FCALL", "e7", "0"},
	{"FUNCTION", "FLUSH"},
}

// TestCompatScriptBusy compares what a client that connects while a script is busy (past
// busy-reply-threshold) gets: BUSY for most commands, the lookup, arity and transaction rules
// of Redis's processCommand, the allow_busy commands answered, SCRIPT KILL and FUNCTION KILL
// (each only for its kind of script), FUNCTION STATS of a running function, and SHUTDOWN
// NOSAVE, which stops the server at once with the writes acknowledged before the script kept
// in the append-only file.
func TestCompatScriptBusy(t *testing.T) {
	t.Parallel()
	p := startPair(t, "--busy-reply-threshold", "100")
	servers := []*testserver.Server{p.ref, p.tgt}
	// spin starts body on a connection of its own on both servers and waits until both are busy.
	spin := func(args ...string) []*testserver.Conn {
		var cs []*testserver.Conn
		for _, srv := range servers {
			c := srv.Dial(t)
			c.Send(args...)
			cs = append(cs, c)
		}
		time.Sleep(300 * time.Millisecond)
		return cs
	}
	// fresh compares the replies of a connection opened during the busy script.
	fresh := func(label string, cmds [][]string, fix func([]byte) []byte) {
		t.Helper()
		var conns []*testserver.Conn
		for _, srv := range servers {
			conns = append(conns, srv.Dial(t))
		}
		for _, cmd := range cmds {
			ref, tgt := conns[0].Do(cmd...), conns[1].Do(cmd...)
			if fix != nil {
				ref, tgt = fix(ref), fix(tgt)
			}
			if !bytes.Equal(ref, tgt) {
				t.Errorf("%s: %q:\n redis   %q\n concord %q", label, cmd, ref, tgt)
			}
		}
	}
	for _, srv := range servers {
		srv.Dial(t).Do("SET", "k", "v")
	}
	busyCmds := [][]string{{"GET", "k"}, {"PING"}, {"nosuch"}, {"GET"}, {"SCRIPT", "NOPE"}, {"MULTI"},
		{"SET", "k", "2"}, {"EXEC"}, {"DISCARD"}, {"MULTI"}, {"SET", "x", "1"}, {"DISCARD"},
		{"HELLO", "2"}, {"AUTH", "x"}, {"UNWATCH"}, {"CLIENT", "ID"}, {"SHUTDOWN", "SAVE"}, {"SHUTDOWN"},
		{"SHUTDOWN", "ABORT"}, {"SHUTDOWN", "bad"}, {"SHUTDOWN", "NOSAVE", "SAVE"}, {"SCRIPT", "FLUSH"},
		{"CONFIG", "SET", "busy-reply-threshold", "5000"}, {"MULTI"}, {"WATCH", "k"}, {"RESET"}, {"EXEC"}}
	// HELLO's id differs between the servers: compare the rest.
	noID := func(b []byte) []byte {
		return regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`).ReplaceAll(b, []byte("$2\r\nid\r\n:N\r\n"))
	}

	// An EVAL script: FUNCTION KILL and FUNCTION STATS are refused, SCRIPT KILL stops it.
	cs := spin("EVAL", "while true do end", "0")
	fresh("eval", append(busyCmds, []string{"FUNCTION", "KILL"}, []string{"FUNCTION", "STATS"},
		[]string{"SCRIPT", "KILL"}), noID)
	if ref, tgt := cs[0].ReadRaw(), cs[1].ReadRaw(); !bytes.Equal(ref, tgt) {
		t.Errorf("killed EVAL: redis %q, concord %q", ref, tgt)
	}

	// A function: SCRIPT KILL is refused, FUNCTION STATS shows it, FUNCTION KILL stops it.
	for _, srv := range servers {
		srv.Dial(t).Do("FUNCTION", "LOAD", "#!lua name=busy\nredis.register_function('spin', function() while true do end end)")
	}
	cs = spin("FCALL", "spin", "0")
	noDuration := func(b []byte) []byte {
		return regexp.MustCompile(`duration_ms\r\n:\d+`).ReplaceAll(noID(b), []byte("duration_ms\r\n:N"))
	}
	fresh("fcall", append(busyCmds, []string{"SCRIPT", "KILL"}, []string{"FUNCTION", "STATS"},
		[]string{"FUNCTION", "KILL"}), noDuration)
	if ref, tgt := cs[0].ReadRaw(), cs[1].ReadRaw(); !bytes.Equal(ref, tgt) {
		t.Errorf("killed FCALL: redis %q, concord %q", ref, tgt)
	}

	// A script that wrote cannot be killed.
	cs = spin("EVAL", "redis.call('set', 'w', '1') while true do end", "0")
	fresh("unkillable", [][]string{{"SCRIPT", "KILL"}, {"FUNCTION", "KILL"}, {"GET", "w"}}, nil)
	for _, srv := range servers {
		c := srv.Dial(t)
		c.Send("SHUTDOWN", "NOSAVE")
		if data, closed := c.ReadAll(5 * time.Second); !closed || len(data) > 0 {
			t.Errorf("%s: SHUTDOWN NOSAVE replied %q (closed %v), want the connection closed", srv.Name(), data, closed)
		}
		waitExit(t, srv)
	}
	_ = cs
}

// TestCompatScriptBusyShutdown: SHUTDOWN NOSAVE during a busy script stops the server; with
// the append-only file on, the writes acknowledged before the script are there after a restart,
// and the script's own writes are not (it never completed).
func TestCompatScriptBusyShutdown(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"redis", "concord"} {
		dir := t.TempDir()
		args := []string{"--dir", dir, "--appendonly", "yes", "--busy-reply-threshold", "100"}
		start := func() *testserver.Server {
			if kind == "redis" {
				return testserver.StartRedis(t, args...)
			}
			return testserver.StartTarget(t, args)
		}
		srv := start()
		c := srv.Dial(t)
		for i := 0; i < 100; i++ {
			c.Do("SET", "k"+strconv.Itoa(i), strconv.Itoa(i))
		}
		c.Send("EVAL", "redis.call('set', 'k0', 'script') while true do end", "0")
		time.Sleep(300 * time.Millisecond)
		other := srv.Dial(t)
		if got := string(other.Do("SHUTDOWN")); !strings.HasPrefix(got, "-BUSY ") {
			t.Fatalf("%s: SHUTDOWN during a busy script: %q, want BUSY", kind, got)
		}
		other.Send("SHUTDOWN", "NOSAVE")
		if data, closed := other.ReadAll(5 * time.Second); !closed || len(data) > 0 {
			t.Fatalf("%s: SHUTDOWN NOSAVE replied %q (closed %v), want the connection closed", kind, data, closed)
		}
		waitExit(t, srv)
		srv = start()
		c = srv.Dial(t)
		for i := 0; i < 100; i++ {
			want := strconv.Itoa(i)
			if got := string(c.Do("GET", "k"+want)); got != "$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n" {
				t.Fatalf("%s: after SHUTDOWN NOSAVE and restart, GET k%d = %q", kind, i, got)
			}
		}
	}
}

// waitExit waits for a server process to exit.
func waitExit(t *testing.T, srv *testserver.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !srv.Exited() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not exit", srv.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
