// Package script runs Lua scripts the way Redis 7.0 does (EVAL, EVALSHA, FCALL), on
// github.com/yuin/gopher-lua (Lua 5.1).
//
// It owns the interpreter states (a pool of sandboxed gopher-lua states), the cache of
// compiled scripts by SHA1, the redis.* API, the conversions between RESP replies and Lua
// values in both directions (RESP2 and RESP3, as Redis's script_lua.c converts them), and the
// formatting of script errors. It knows nothing of the keyspace: commands called from a
// script go through a Host, which the command package implements by running them through the
// normal dispatcher under the engine lock its caller already holds.
//
// One concern per file: runner.go (pool, cache, running a script), sandbox.go (globals
// protection, which libraries exist), redislib.go (the redis table), convert.go (RESP <-> Lua),
// errors.go (error texts), luaerrors.go (gopher-lua's runtime error texts worded as Lua 5.1's,
// with the variable descriptions of Lua's getobjname), baselib51.go (library functions
// rewritten after Lua 5.1's C code where gopher-lua's differ: tonumber, select, string.format,
// string.char, math.min/max, loadstring, error, xpcall), random.go (Redis's deterministic math.random).
package script
