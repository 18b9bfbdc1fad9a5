package script

import (
	"fmt"
	"math"
	"runtime/metrics"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The Lua globals Redis 7.0.15 leaves to scripts (checked against redis-server: print,
// dofile, loadfile, require, module, getfenv, setfenv, newproxy, os, io, package and debug
// are not there and reading them is an error).
var allowedBase = []string{
	"assert", "collectgarbage", "error", "gcinfo", "getmetatable", "ipairs", "load", "loadstring",
	"next", "pairs", "pcall", "rawequal", "rawget", "rawset", "select", "setmetatable", "tonumber",
	"type", "unpack", "xpcall", "_VERSION",
}

// Library tables scripts see; each is exposed read-only.
var allowedLibs = []string{"string", "table", "math", "coroutine"}

// errReadonly is what Redis 7.0.15 raises on any write to a protected table.
const errReadonly = "Attempt to modify a readonly table"

// sandbox builds the globals of a new state as Redis's scriptingInit does, and returns the
// real globals table (where KEYS and ARGV are set; scripts reach it only through the proxy).
//
// gopher-lua has no read-only tables, so _G and every library table are proxies: empty tables
// whose metatable reads from the real table and refuses every write. Scripts therefore cannot
// change what the next script (run on the same pooled state) sees. The price is that pairs()
// over _G or a library table yields nothing, where Redis lists the entries.
func (st *state) sandbox() *lua.LTable {
	L := st.L
	// The standard libraries are opened into a scratch globals table, then copied selectively.
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	scratch := L.G.Global
	real := L.NewTable()
	for _, name := range allowedBase {
		real.RawSetString(name, scratch.RawGetString(name))
	}
	real.RawSetString("tostring", L.NewFunction(luaToString))
	real.RawSetString("error", L.NewFunction(luaErrorFunc))
	pcallHandler := L.NewFunction(pcallHandler)
	real.RawSetString("pcall", L.NewFunction(func(L *lua.LState) int { return luaPCall(L, pcallHandler) }))
	real.RawSetString("gcinfo", L.NewFunction(luaGCInfo))
	real.RawSetString("unpack", L.NewFunction(luaUnpack))
	real.RawSetString("tonumber", L.NewFunction(luaToNumber))
	real.RawSetString("select", L.NewFunction(luaSelect))
	real.RawSetString("xpcall", L.NewFunction(luaXPCall))
	real.RawSetString("loadstring", L.NewFunction(st.loadstring))
	mathLib := scratch.RawGetString("math").(*lua.LTable)
	mathLib.RawSetString("random", L.NewFunction(st.rand.random))
	mathLib.RawSetString("randomseed", L.NewFunction(st.rand.randomseed))
	strLib := scratch.RawGetString("string").(*lua.LTable)
	strLib.RawSetString("rep", L.NewFunction(strRep))
	strLib.RawSetString("char", L.NewFunction(strChar))
	strLib.RawSetString("format", L.NewFunction(strFormat))
	mathLib.RawSetString("max", L.NewFunction(mathMinMax(true)))
	mathLib.RawSetString("min", L.NewFunction(mathMinMax(false)))
	for _, name := range allowedLibs {
		real.RawSetString(name, st.readonly(scratch.RawGetString(name).(*lua.LTable)))
	}
	real.RawSetString("redis", st.readonly(st.redisLib()))
	real.RawSetString("cjson", st.readonly(openCjson(L, L.NewUserData())))
	real.RawSetString("bit", st.readonly(openBit(L)))
	real.RawSetString("struct", st.readonly(openStruct(L)))
	real.RawSetString("cmsgpack", st.readonly(openCmsgpack(L)))

	// The proxy that scripts see as their globals.
	proxy := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 2 {
			L.RaiseError("Wrong number of arguments to luaProtectedTableError")
		}
		v := real.RawGet(L.Get(2))
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToStringMeta(L.Get(2)).String())
		}
		L.Push(v)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(proxy, mt)
	real.RawSetString("_G", proxy)
	st.proxied[proxy] = real
	// What getmetatable(_G) shows: Redis's _G has a metatable whose __index raises the
	// nonexistent-global error; library tables have none.
	gmeta := L.NewTable()
	gmeta.RawSetString("__index", mt.RawGetString("__index"))
	st.protectRaw(real, proxy, gmeta)
	next := L.NewFunction(st.next)
	real.RawSetString("next", next)
	real.RawSetString("pairs", L.NewFunction(func(L *lua.LState) int {
		L.Push(next)
		L.Push(L.CheckTable(1))
		L.Push(lua.LNil)
		return 3
	}))
	L.G.Global = proxy
	L.Env = proxy
	return real
}

// readonly returns a proxy of t that reads through to t and refuses writes (recorded in
// st.proxied, which next() looks through).
func (st *state) readonly(t *lua.LTable) *lua.LTable {
	L := st.L
	proxy := L.NewTable()
	st.proxied[proxy] = t
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(proxy, mt)
	return proxy
}

// protectRaw replaces rawset, rawget, setmetatable and getmetatable so that they act on the
// read-only proxies as Redis's read-only tables behave: rawset and setmetatable fail ("Attempt
// to modify a readonly table", without a position: it is raised inside a C function in Redis),
// rawget reads the table behind the proxy, getmetatable shows gmeta for _G and nothing for the
// libraries.
func (st *state) protectRaw(real, globals, gmeta *lua.LTable) {
	L := st.L
	real.RawSetString("rawset", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.CheckAny(2)
		L.CheckAny(3)
		if _, ok := st.proxied[t]; ok {
			L.Error(lua.LString(errReadonly), 0)
		}
		switch k := L.Get(2).(type) {
		case *lua.LNilType:
			L.Error(lua.LString("table index is nil"), 0)
		case lua.LNumber:
			if math.IsNaN(float64(k)) {
				L.Error(lua.LString("table index is NaN"), 0)
			}
		}
		L.RawSet(t, L.Get(2), L.Get(3))
		L.SetTop(1)
		return 1
	}))
	real.RawSetString("rawget", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		L.CheckAny(2)
		if r, ok := st.proxied[t]; ok {
			t = r
		}
		L.Push(L.RawGet(t, L.Get(2)))
		return 1
	}))
	real.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		mt := L.Get(2)
		if mt.Type() != lua.LTNil && mt.Type() != lua.LTTable {
			L.ArgError(2, "nil or table expected")
		}
		if _, ok := st.proxied[t]; ok {
			L.Error(lua.LString(errReadonly), 0)
		}
		if L.GetMetaField(t, "__metatable") != lua.LNil {
			L.RaiseError("cannot change a protected metatable")
		}
		L.SetMetatable(t, mt)
		L.SetTop(1)
		return 1
	}))
	real.RawSetString("getmetatable", L.NewFunction(func(L *lua.LState) int {
		v := L.CheckAny(1)
		if t, ok := v.(*lua.LTable); ok {
			if _, ok := st.proxied[t]; ok {
				if t == globals {
					L.Push(gmeta)
				} else {
					L.Push(lua.LNil)
				}
				return 1
			}
		}
		L.Push(L.GetMetatable(v)) // the __metatable field if there is one
		return 1
	}))
}

func readonlyError(L *lua.LState) int {
	L.RaiseError(errReadonly)
	return 0
}

// luaToString is Lua 5.1's tostring: numbers print as "%.14g" (gopher-lua prints the shortest
// representation instead, which would make tostring(math.random()) differ from Redis).
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(formatNumber(float64(n))))
		return 1
	}
	L.Push(L.ToStringMeta(v))
	return 1
}

// formatNumber is LUAI_NUMFFORMAT ("%.14g") with C's spelling of infinities and NaN.
func formatNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	case f == math.Trunc(f) && math.Abs(f) < 1e14:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprintf("%.14g", f)
}

// luaPCall is pcall as Redis 7.0.15 patches it: when the error is a table with an err field
// (what redis.call raises), pcall returns that field, so scripts see the error text.
// handler words the errors as Lua 5.1 (pcallHandler).
func luaPCall(L *lua.LState, handler *lua.LFunction) int {
	v := L.CheckAny(1)
	if v.Type() != lua.LTFunction && L.GetMetaField(v, "__call").Type() != lua.LTFunction {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + v.Type().String() + " value"))
		return 2
	}
	nargs := L.GetTop() - 1
	if err := L.PCall(nargs, lua.MultRet, handler); err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if e := L.GetField(t, "err"); e != lua.LNil {
				obj = e
			}
		}
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaGCInfo is Lua 5.1's gcinfo(): the memory in use, in KB (here the Go heap's live bytes,
// as gopher-lua's objects live there).
func luaGCInfo(L *lua.LState) int {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	var kb float64
	if s[0].Value.Kind() == metrics.KindUint64 {
		kb = float64(s[0].Value.Uint64() / 1024)
	}
	L.Push(lua.LNumber(kb))
	return 1
}

// maxStringLen bounds what string.rep builds (Redis's proto-max-bulk-len default): beyond it a
// script would only exhaust memory and take the server down.
const maxStringLen = 512 << 20

// strRep is string.rep with a bound on the result.
func strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || len(s) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if int64(len(s))*int64(n) > maxStringLen {
		L.RaiseError("not enough memory")
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// next is Lua's next() seeing through read-only proxies without handing the real table out.
func (st *state) next(L *lua.LState) int {
	t := L.CheckTable(1)
	if real, ok := st.proxied[t]; ok {
		t = real
	}
	k, v := t.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

// maxUnpack is Lua 5.1's limit on the values one call may return (LUAI_MAXCSTACK).
const maxUnpack = 8000

// luaUnpack is Lua 5.1's unpack with its "too many results" check: gopher-lua's would push
// unpack({}, 1, 1e8) values one by one, holding the engine lock, out of reach of SCRIPT KILL.
func luaUnpack(L *lua.LState) int {
	t := L.CheckTable(1)
	i := L.OptInt(2, 1)
	e := L.OptInt(3, t.Len())
	if i > e {
		return 0
	}
	n := int64(e) - int64(i) + 1
	if n >= maxUnpack {
		L.RaiseError("too many results to unpack")
	}
	for k := i; k <= e; k++ {
		L.Push(t.RawGetInt(k))
	}
	return int(n)
}
