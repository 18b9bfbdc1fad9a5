package script

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/concord-db/concord/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

var errBadReply = errors.New("malformed reply")

// parseReply converts one RESP reply (what a command called by the script wrote) into a Lua
// value, as Redis's redisProtocolToLuaType does: integers become numbers, bulk strings strings,
// a RESP2 null false, arrays tables, a status {ok=...}, an error {err=...}; and for RESP3
// (redis.setresp(3)) a map {map={k=v}}, a set {set={m=true}}, a null nil, a double
// {double=n}, a boolean a boolean, a big number {big_number=s} and a verbatim string
// {verbatim_string={format=f, string=s}}. Attributes are skipped.
func (st *state) parseReply(raw []byte) (lua.LValue, error) {
	v, rest, err := st.parseOne(raw, 0)
	if err != nil {
		return lua.LNil, err
	}
	if len(rest) != 0 {
		return lua.LNil, errBadReply
	}
	return v, nil
}

func line(b []byte) (string, []byte, error) {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return string(b[:i]), b[i+2:], nil
		}
	}
	return "", nil, errBadReply
}

func (st *state) parseOne(b []byte, depth int) (lua.LValue, []byte, error) {
	if len(b) == 0 || depth > 1000 {
		return lua.LNil, nil, errBadReply
	}
	L := st.L
	kind := b[0]
	text, rest, err := line(b[1:])
	if err != nil {
		return lua.LNil, nil, err
	}
	switch kind {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(text))
		return t, rest, nil
	case '-':
		t := errorTable(L, "-"+text)
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		return t, rest, nil
	case ':':
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return lua.LNil, nil, errBadReply
		}
		return lua.LNumber(n), rest, nil
	case '_':
		return lua.LNil, rest, nil
	case '#':
		return lua.LBool(text == "t"), rest, nil
	case ',':
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			switch text {
			case "inf":
				f = math.Inf(1)
			case "-inf":
				f = math.Inf(-1)
			case "nan":
				f = math.NaN()
			default:
				return lua.LNil, nil, errBadReply
			}
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, rest, nil
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(text))
		return t, rest, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(text)
		if err != nil || n < -1 {
			return lua.LNil, nil, errBadReply
		}
		if n == -1 {
			return lua.LFalse, rest, nil
		}
		if len(rest) < n+2 {
			return lua.LNil, nil, errBadReply
		}
		s := string(rest[:n])
		rest = rest[n+2:]
		switch kind {
		case '=':
			format, body, _ := strings.Cut(s, ":")
			vt := L.NewTable()
			vt.RawSetString("format", lua.LString(format))
			vt.RawSetString("string", lua.LString(body))
			t := L.NewTable()
			t.RawSetString("verbatim_string", vt)
			return t, rest, nil
		case '!':
			t := errorTable(L, "-"+s)
			t.RawSetString("ignore_error_stats_update", lua.LTrue)
			return t, rest, nil
		}
		return lua.LString(s), rest, nil
	case '*', '%', '~', '|', '>':
		n, err := strconv.Atoi(text)
		if err != nil || n < -1 {
			return lua.LNil, nil, errBadReply
		}
		if n == -1 {
			return lua.LFalse, rest, nil
		}
		pairs := kind == '%' || kind == '|'
		count := n
		if pairs {
			count = 2 * n
		}
		elems := make([]lua.LValue, count)
		for i := range elems {
			if elems[i], rest, err = st.parseOne(rest, depth+1); err != nil {
				return lua.LNil, nil, err
			}
		}
		switch kind {
		case '|': // an attribute annotates the next reply, which is the value
			return st.parseOne(rest, depth)
		case '%':
			m := L.CreateTable(0, n)
			for i := 0; i < count; i += 2 {
				if elems[i] != lua.LNil {
					m.RawSet(elems[i], elems[i+1])
				}
			}
			t := L.NewTable()
			t.RawSetString("map", m)
			return t, rest, nil
		case '~':
			s := L.CreateTable(0, n)
			for _, e := range elems {
				if e != lua.LNil {
					s.RawSet(e, lua.LTrue)
				}
			}
			t := L.NewTable()
			t.RawSetString("set", s)
			return t, rest, nil
		}
		t := L.CreateTable(n, 0)
		for i, e := range elems {
			t.RawSetInt(i+1, e)
		}
		return t, rest, nil
	}
	return lua.LNil, nil, errBadReply
}

// maxReplyDepth bounds the nesting of a reply built from Lua tables (a table that contains
// itself would otherwise recurse forever); Redis stops at its Lua stack limit the same way.
const maxReplyDepth = 1000

// writeReply converts the value a script returned into a reply, as Redis's
// luaReplyToRedisReply does. scriptResp is the protocol the script chose with redis.setresp.
func writeReply(w *resp.Writer, v lua.LValue, scriptResp, depth int) {
	if depth > maxReplyDepth {
		w.Error("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if scriptResp == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(v))
		}
	case lua.LNumber:
		w.Int(toInteger(float64(v)))
	case *lua.LTable:
		writeTable(w, v, scriptResp, depth)
	default:
		w.Null()
	}
}

// toInteger is C's (long long) cast on x86-64: out of range and NaN give the minimum.
func toInteger(f float64) int64 {
	if math.IsNaN(f) || f >= 9223372036854775807.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

func writeTable(w *resp.Writer, t *lua.LTable, scriptResp, depth int) {
	if msg, ok := t.RawGetString("err").(lua.LString); ok {
		w.Error(string(msg))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(noNewlines(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		w.BigNumber(noNewlines(string(s)))
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		var keys, vals []lua.LValue
		for k, v := m.Next(lua.LNil); k != lua.LNil; k, v = m.Next(k) {
			keys, vals = append(keys, k), append(vals, v)
		}
		w.MapLen(len(keys))
		for i := range keys {
			writeReply(w, keys[i], scriptResp, depth+1)
			writeReply(w, vals[i], scriptResp, depth+1)
		}
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		var keys []lua.LValue
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			keys = append(keys, k)
		}
		w.SetLen(len(keys))
		for _, k := range keys {
			writeReply(w, k, scriptResp, depth+1)
		}
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		format, fok := vt.RawGetString("format").(lua.LString)
		str, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			w.Verbatim(string(format), string(str))
			return
		}
	}
	// An array: elements 1, 2, ... up to the first nil (false is a null element).
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.ArrayLen(n)
	for i := 1; i <= n; i++ {
		writeReply(w, t.RawGetInt(i), scriptResp, depth+1)
	}
}

func noNewlines(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
