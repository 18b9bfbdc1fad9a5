package script

import (
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Error is a script's error reply: the text of the RESP error, without the leading '-'.
type Error string

func (e Error) Error() string { return string(e) }

// chunkName is the name Redis gives every script chunk ("@user_script"); gopher-lua prints
// the name as is in positions, so the '@' is left out here and added back where Redis shows
// the source ("on @user_script:1.").
const chunkName = "user_script"

// compileError words a syntax error as Redis does: "Error compiling script (new function):
// user_script:1: <message> near '<token>'". The messages are gopher-lua's parser's, mapped
// to Lua 5.1's wording where they correspond ("syntax error" is Lua's "unexpected symbol").
func compileError(err error, body []byte) Error {
	return Error("ERR Error compiling script (new function): " + syntaxErrorText(err, body, chunkName))
}

// syntaxErrorText is Lua 5.1's text of a syntax error in the chunk named id:
// "<id>:<line>: <message> near '<token>'".
func syntaxErrorText(err error, body []byte, id string) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		msg := pe.Message
		switch msg {
		case "syntax error":
			msg = "unexpected symbol"
		case "unterminated string":
			msg = "unfinished string"
		}
		tok := pe.Token
		line := pe.Pos.Line
		if line == parse.EOF || tok == "" {
			tok = "<eof>"
		}
		if line <= 0 {
			line = 1 + strings.Count(string(body), "\n")
		}
		return fmt.Sprintf("%s:%d: %s near '%s'", id, line, msg, tok)
	}
	return strings.TrimSpace(err.Error())
}

// runtimeError formats the error value a script raised (after errHandler completed it) as
// Redis's luaCallFunction does: "<err> script: <sha>, on <source>:<line>." when the position
// is known.
func runtimeError(obj lua.LValue, name string) Error {
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := "execution failure"
		if s, ok := luaStringOf(obj); ok {
			msg = s
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		return Error(fmt.Sprintf("ERR Error running script %s, %s", name, msg))
	}
	msg, ok := luaStringOf(t.RawGetString("err"))
	if !ok {
		msg = "(null)"
	}
	source, sok := luaStringOf(t.RawGetString("source"))
	line, lok := luaStringOf(t.RawGetString("line"))
	if sok && lok {
		msg += " script: " + name + ", on " + source + ":" + line + "."
	}
	return Error(msg)
}

// errHandler is Redis's __redis__err__handler: it turns a non-table error into
// {err="ERR <text>"} and records where the error was raised (the Lua caller when a Go function
// raised it).
func (st *state) errHandler(L *lua.LState) int {
	errv := L.Get(1)
	var where *lua.Debug
	for level := 1; level <= 2; level++ {
		d, ok := L.GetStack(level)
		if !ok {
			break
		}
		fn, err := L.GetInfo("Slf", d, lua.LNil)
		if err != nil {
			break
		}
		if f, ok := fn.(*lua.LFunction); ok && f.IsG {
			continue
		}
		where = d
		break
	}
	if s, ok := errv.(lua.LString); ok {
		errv = lua.LString(translateError(L, string(s), 1))
	}
	t, ok := errv.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+L.ToStringMeta(errv).String()))
	}
	if where != nil && where.CurrentLine > 0 {
		t.RawSetString("source", lua.LString(st.sourceOf(where.Source)))
		t.RawSetString("line", lua.LNumber(where.CurrentLine))
	}
	L.Push(t)
	return 1
}

// pcallHandler is the message handler of the scripts' pcall: it words runtime errors as Lua
// 5.1 does while the failing frame is still on the stack.
func pcallHandler(L *lua.LState) int {
	v := L.Get(1)
	if s, ok := v.(lua.LString); ok {
		v = lua.LString(translateError(L, string(s), 1))
	}
	L.Push(v)
	return 1
}

// positionedError is the error table errHandler would have made of text, with the position
// taken from the text's "user_script:<line>: " prefix.
func positionedError(L *lua.LState, text string) lua.LValue {
	t := L.NewTable()
	t.RawSetString("err", lua.LString("ERR "+text))
	if m := rePositionLine.FindStringSubmatch(text); m != nil {
		t.RawSetString("source", lua.LString("@"+m[1]))
		t.RawSetString("line", lua.LString(m[2]))
	}
	return t
}

// sourceOf is the source name Redis shows for a chunk gopher-lua names id: the name the chunk
// was loaded with ("@user_script", or loadstring's text).
func (st *state) sourceOf(id string) string {
	if src, ok := st.sources[id]; ok {
		return src
	}
	return "@" + id
}
