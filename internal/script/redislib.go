package script

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Log levels of redis.log, as Redis numbers them.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

// redisVersion and redisVersionNum are what redis.REDIS_VERSION(_NUM) report.
const (
	redisVersion    = "7.0.15"
	redisVersionNum = 7<<16 | 0<<8 | 15
)

// redisLib builds the redis table (Redis's luaRegisterRedisAPI).
func (st *state) redisLib() *lua.LTable {
	L := st.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return st.call(L, true) },
		"pcall":              func(L *lua.LState) int { return st.call(L, false) },
		"sha1hex":            sha1hexLua,
		"error_reply":        errorReply,
		"status_reply":       statusReply,
		"log":                st.log,
		"setresp":            st.setresp,
		"set_repl":           setRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd":      st.aclCheckCmd,
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{
		"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
		"REDIS_VERSION_NUM": redisVersionNum,
	} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	return t
}

// errorTable is what Redis's luaPushError pushes: {err="CODE message"}. A text without a
// leading '-' gets the ERR code; a leading '-' is dropped and the first word is the code.
func errorTable(L *lua.LState, text string) *lua.LTable {
	var code, msg string
	if rest, ok := strings.CutPrefix(text, "-"); ok {
		if c, m, found := strings.Cut(rest, " "); found {
			code, msg = c, m
		} else {
			code, msg = "ERR", rest
		}
	} else {
		code, msg = "ERR", text
	}
	msg = strings.TrimRight(strings.TrimLeft(msg, "\r\n"), "\r\n")
	t := L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// call is redis.call (raise=true) and redis.pcall (raise=false): luaRedisGenericCommand.
func (st *state) call(L *lua.LState, raise bool) int {
	fail := func(text string) int {
		t := errorTable(L, text)
		if raise {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	argc := L.GetTop()
	if argc == 0 {
		return fail("Please specify at least one argument for this redis lib call")
	}
	args := make([][]byte, argc)
	for i := 1; i <= argc; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = []byte(v)
		case lua.LNumber:
			// Not Lua's "%.14g": Redis formats numbers with "%.17g" to keep their precision.
			args[i-1] = strconv.AppendFloat(nil, float64(v), 'g', 17, 64)
		default:
			return fail("Lua redis lib command arguments must be strings or integers")
		}
	}
	if st.run == nil || st.run.host == nil {
		return fail("redis.call is not available in this context")
	}
	raw, err := st.run.host.Call(args, st.run.resp)
	if err != nil {
		return fail(err.Error())
	}
	lv, perr := st.parseReply(raw)
	if perr != nil {
		return fail("internal error: unparsable reply from command: " + perr.Error())
	}
	if t, ok := lv.(*lua.LTable); ok && raise && len(raw) > 0 && (raw[0] == '-' || raw[0] == '!') {
		L.Error(t, 0)
	}
	L.Push(lv)
	return 1
}

func sha1hexLua(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "wrong number of arguments")
	}
	L.Push(lua.LString(SHA1Hex([]byte(L.ToString(1)))))
	return 1
}

// SHA1Hex is the lower-case hex SHA1 that names a script.
func SHA1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// errorReply is redis.error_reply: it adds the '-' when missing, then builds the table as
// luaPushError does (so "My Error" has the code "My").
func errorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	s := L.ToString(1)
	if !strings.HasPrefix(s, "-") {
		s = "-" + s
	}
	L.Push(errorTable(L, s))
	return 1
}

func statusReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", L.Get(1))
	L.Push(t)
	return 1
}

// log is redis.log(level, message...): the message parts are joined with spaces and logged to
// slog at the matching level.
func (st *state) log(L *lua.LState) int {
	argc := L.GetTop()
	if argc < 2 {
		raise(L, "redis.log() requires two arguments or more.")
	}
	if L.Get(1).Type() != lua.LTNumber {
		raise(L, "First argument must be a number (log level).")
	}
	level := int(L.ToNumber(1))
	if level < LogDebug || level > LogWarning {
		raise(L, "Invalid debug level.")
	}
	parts := make([]string, 0, argc-1)
	for i := 2; i <= argc; i++ {
		if s, ok := luaStringOf(L.Get(i)); ok {
			parts = append(parts, s)
		}
	}
	if st.logger != nil {
		lv := [...]slog.Level{slog.LevelDebug, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn}[level]
		st.logger.Log(context.Background(), lv, strings.Join(parts, " "), "source", "script")
	}
	return 0
}

// luaStringOf is lua_tolstring: strings and numbers have a text, other values none.
func luaStringOf(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return formatNumber(float64(v)), true
	}
	return "", false
}

func (st *state) setresp(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.setresp() requires one argument.")
	}
	n := int(toNumberOrZero(L.Get(1)))
	if n != 2 && n != 3 {
		raise(L, "RESP version must be 2 or 3.")
	}
	if st.run != nil {
		st.run.resp = n
	}
	return 0
}

// setRepl is redis.set_repl: Concord always replicates a script as the effects it produced,
// so the flags are checked as Redis checks them and otherwise have no effect.
func setRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.set_repl() requires two arguments.")
	}
	flags := L.CheckInt(1)
	if flags&^3 != 0 {
		raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// aclCheckCmd is redis.acl_check_cmd: Concord has only the default user, who may run every
// command; an unknown command is an error as in Redis.
func (st *state) aclCheckCmd(L *lua.LState) int {
	argc := L.GetTop()
	if argc == 0 {
		raise(L, "Please specify at least one argument for this redis lib call")
	}
	if st.run == nil || st.run.host == nil || !st.run.host.Known([]byte(L.ToString(1))) {
		raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	L.Push(lua.LTrue)
	return 1
}

// raise raises {err="ERR <msg>"} from a redis.* function, as Redis's luaPushError followed by
// luaError does: the message carries no "user_script:1:" prefix, the handler adds the position.
func raise(L *lua.LState, msg string) {
	L.Error(errorTable(L, msg), 0)
}
