package script

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"time"

	"github.com/concord-db/concord/internal/resp"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Redis 7 functions: libraries of Lua code ("#!lua name=<lib>" first line) that register
// named functions with redis.register_function when loaded. All libraries live in one
// interpreter state of their own (the callbacks are closures of it), as in Redis. The
// replicated registry of library code is the engine's (engine/functions.go); the command layer
// validates a change here first, for Redis's replies, and rebuilds the libraries from the
// registry with ReplaceLibraries when the registry changed otherwise.

// Library is a loaded library.
type Library struct {
	Name      string
	Code      string
	Functions []*Function // in registration order
}

// Function is a registered function.
type Function struct {
	Name        string
	Description string // "" = none
	HasDesc     bool
	Flags       Flags
	Library     *Library
	callback    *lua.LFunction
}

// FlagNames lists a function's flags by their Redis names, in Redis's order.
func (f *Function) FlagNames() []string {
	var out []string
	for _, n := range []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"} {
		if f.Flags&flagNames[n] != 0 {
			out = append(out, n)
		}
	}
	return out
}

// loadTimeout bounds how long library code may run at FUNCTION LOAD (Redis's 500 ms).
const loadTimeout = 500 * time.Millisecond

// functionChunk is the chunk name of library code ("@user_function" in positions).
const functionChunk = "user_function"

// functions is the library registry and its interpreter state.
type functions struct {
	st        *state
	libs      []*Library // in load order
	byName    map[string]*Function
	loadRedis *lua.LTable // the redis table scripts see while a library loads
	runRedis  *lua.LTable
	loading   *Library // the library being loaded (redis.register_function adds to it)
	synced    uint64   // the registry version the libraries mirror (SetFunctionsVersion)
}

func (r *Runner) fns() *functions {
	if r.functions == nil {
		st := r.newState()
		f := &functions{st: st, byName: map[string]*Function{}}
		f.runRedis = st.globals.RawGetString("redis").(*lua.LTable)
		f.loadRedis = f.loadAPI()
		r.functions = f
	}
	return r.functions
}

// loadAPI is the redis table of load time: register_function, log and the constants; reading
// anything else (redis.call) is an error, as Redis words it.
func (f *functions) loadAPI() *lua.LTable {
	L := f.st.L
	t := L.NewTable()
	t.RawSetString("register_function", L.NewFunction(f.register))
	t.RawSetString("log", L.NewFunction(f.st.log))
	for _, name := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		t.RawSetString(name, f.runRedis.RawGetString(name))
	}
	proxy := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		v := t.RawGet(L.Get(2))
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToStringMeta(L.Get(2)).String())
		}
		L.Push(v)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(proxy, mt)
	f.st.proxied[proxy] = t
	return proxy
}

// validName is Redis's check for library and function names.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errBadName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// libraryMetadata reads the "#!lua name=<lib>" line.
func libraryMetadata(code []byte) (string, error) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", Error("ERR Missing library metadata")
	}
	first, _, _ := bytes.Cut(code, []byte("\n"))
	parts := strings.Fields(string(first[2:]))
	if len(parts) == 0 || parts[0] != "lua" {
		engine := ""
		if len(parts) > 0 {
			engine = parts[0]
		}
		return "", Error("ERR Engine '" + engine + "' not found")
	}
	name := ""
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", Error("ERR Invalid metadata value given: " + p)
		}
		name = v
	}
	if name == "" {
		return "", Error("ERR Library name was not given")
	}
	if !validName(name) {
		return "", Error("ERR " + errBadName)
	}
	return name, nil
}

// LoadLibrary is FUNCTION LOAD: it compiles and runs the library code, which must register
// at least one function; with replace an existing library of that name is replaced. It
// returns the library name.
func (r *Runner) LoadLibrary(code []byte, replace bool) (string, error) {
	name, err := libraryMetadata(code)
	if err != nil {
		return "", err
	}
	f := r.fns()
	old := f.library(name)
	if old != nil && !replace {
		return "", Error(fmt.Sprintf("ERR Library '%s' already exists", name))
	}
	src := append([]byte("--"), code[2:]...)
	chunk, perr := parse.Parse(bytes.NewReader(src), functionChunk)
	var proto *lua.FunctionProto
	if perr == nil {
		proto, perr = lua.Compile(chunk, functionChunk)
	}
	if perr != nil {
		ce := compileError(perr, src)
		msg := strings.Replace(string(ce), "Error compiling script (new function): user_script:", "Error compiling function: "+functionChunk+":", 1)
		return "", Error(msg)
	}
	lib := &Library{Name: name, Code: string(code)}
	L := f.st.L
	f.loading = lib
	f.st.globals.RawSetString("redis", f.loadRedis)
	L.Push(L.NewFunctionFromProto(proto))
	// Loading may not take longer than Redis allows (it runs under the engine lock and cannot
	// be killed).
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	L.SetContext(ctx)
	cerr := L.PCall(0, 0, f.st.handler)
	timedOut := ctx.Err() != nil
	L.RemoveContext()
	cancel()
	f.st.globals.RawSetString("redis", f.runRedis)
	f.loading = nil
	L.SetTop(0)
	if cerr != nil {
		msg := cerr.Error()
		if timedOut {
			return "", Error("ERR Error registering functions: ERR FUNCTION LOAD timeout")
		}
		if ae, ok := cerr.(*lua.ApiError); ok {
			if t, ok := ae.Object.(*lua.LTable); ok {
				msg, _ = luaStringOf(t.RawGetString("err"))
			}
		}
		return "", Error("ERR Error registering functions: " + msg)
	}
	if len(lib.Functions) == 0 {
		return "", Error("ERR No functions registered")
	}
	for _, fn := range lib.Functions {
		if other := f.byName[fn.Name]; other != nil && other.Library != old {
			return "", Error(fmt.Sprintf("ERR Function %s already exists", fn.Name))
		}
	}
	if old != nil {
		f.remove(old)
	}
	f.libs = append(f.libs, lib)
	for _, fn := range lib.Functions {
		f.byName[fn.Name] = fn
	}
	return name, nil
}

func (f *functions) library(name string) *Library {
	for _, l := range f.libs {
		if l.Name == name {
			return l
		}
	}
	return nil
}

func (f *functions) remove(lib *Library) {
	f.libs = slices.DeleteFunc(f.libs, func(l *Library) bool { return l == lib })
	for _, fn := range lib.Functions {
		if f.byName[fn.Name] == fn {
			delete(f.byName, fn.Name)
		}
	}
}

// register is redis.register_function(name, callback) or
// redis.register_function{function_name=, callback=, flags=, description=}.
func (f *functions) register(L *lua.LState) int {
	lib := f.loading
	if lib == nil {
		raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	fn := &Function{Library: lib}
	var cb lua.LValue
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
			key, _ := k.(lua.LString)
			switch key {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					raise(L, "function_name argument given to redis.register_function must be a string")
				}
				fn.Name = string(s)
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					raise(L, "description argument given to redis.register_function must be a string")
				}
				fn.Description, fn.HasDesc = string(s), true
			case "callback":
				cb = v
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					raise(L, "flags argument to redis.register_function must be a table representing function flags")
				}
				for i := 1; ft.RawGetInt(i) != lua.LNil; i++ {
					s, _ := ft.RawGetInt(i).(lua.LString)
					fl, ok := flagNames[string(s)]
					if !ok {
						raise(L, "unknown flag given")
					}
					fn.Flags |= fl
				}
			default:
				raise(L, "unknown argument given to redis.register_function")
			}
		}
		if fn.Name == "" {
			raise(L, "redis.register_function must get a function name argument")
		}
		if cb == nil {
			raise(L, "redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := L.Get(1).(lua.LString)
		if !ok {
			raise(L, "function_name argument given to redis.register_function must be a string")
		}
		fn.Name, cb = string(s), L.Get(2)
	default:
		raise(L, "wrong number of arguments to redis.register_function")
	}
	c, ok := cb.(*lua.LFunction)
	if !ok {
		raise(L, "callback argument given to redis.register_function must be a function")
	}
	fn.callback = c
	if !validName(fn.Name) {
		raise(L, errBadName)
	}
	for _, other := range lib.Functions {
		if other.Name == fn.Name {
			raise(L, "Function already exists in the library")
		}
	}
	lib.Functions = append(lib.Functions, fn)
	return 0
}

// LookupFunction returns a registered function, or nil.
func (r *Runner) LookupFunction(name string) *Function { return r.fns().byName[name] }

// Libraries returns the loaded libraries in load order.
func (r *Runner) Libraries() []*Library { return r.fns().libs }

// DeleteLibrary is FUNCTION DELETE; it reports whether the library existed.
func (r *Runner) DeleteLibrary(name string) bool {
	f := r.fns()
	lib := f.library(name)
	if lib == nil {
		return false
	}
	f.remove(lib)
	return true
}

// FunctionsVersion is the registry version last recorded by SetFunctionsVersion; it starts
// at 0, and goes back to 0 when the libraries are flushed.
func (r *Runner) FunctionsVersion() uint64 {
	if r.functions == nil {
		return 0
	}
	return r.functions.synced
}

// SetFunctionsVersion records that the libraries mirror version v of the registry.
func (r *Runner) SetFunctionsVersion(v uint64) { r.fns().synced = v }

// ReplaceLibraries replaces every library with those of codes, given from the highest
// precedence to the lowest: a library that fails to load, or registers a function name that
// one of higher precedence registered, is not loaded, and its error is returned. The libraries
// are then listed (Libraries, FUNCTION LIST, DUMP) lowest precedence first. The same codes
// give the same libraries on every member.
func (r *Runner) ReplaceLibraries(codes [][]byte) (skipped []error) {
	r.FlushFunctions()
	for _, code := range codes {
		if _, err := r.LoadLibrary(code, false); err != nil {
			skipped = append(skipped, err)
		}
	}
	slices.Reverse(r.fns().libs)
	return skipped
}

// FlushFunctions is FUNCTION FLUSH: every library goes, and the state with them.
func (r *Runner) FlushFunctions() {
	if r.functions != nil {
		r.functions.st.L.Close()
		r.functions = nil
	}
}

// Call runs a function (FCALL) with its keys and arguments, as Run runs a script.
func (r *Runner) Call(fn *Function, keys, argv [][]byte, host Host, w *resp.Writer, opt RunOptions) (err error) {
	st := r.fns().st
	defer func() {
		if p := recover(); p != nil {
			r.FlushFunctions() // the state may be inconsistent; the command layer reloads the libraries from the registry (FunctionsVersion is back to 0)
			err = Error(fmt.Sprintf("ERR internal error running function: %v", p))
		}
	}()
	L := st.L
	L.Push(fn.callback)
	L.Push(argTable(L, keys))
	L.Push(argTable(L, argv))
	return r.execute(st, 2, fn.Name, host, w, opt)
}

// The FUNCTION DUMP payload (Concord's own format, not Redis's RDB one): the magic "CFN1",
// then for each library in load order its code as a uvarint length and the bytes, then the
// CRC-32 (IEEE, big-endian) of everything before it.

var dumpMagic = []byte("CFN1")

// errBadPayload is Redis's reply to a payload it cannot restore.
const errBadPayload = Error("ERR payload version or checksum are wrong")

// DumpFunctions is FUNCTION DUMP.
func (r *Runner) DumpFunctions() []byte {
	b := bytes.Clone(dumpMagic)
	for _, l := range r.fns().libs {
		b = binary.AppendUvarint(b, uint64(len(l.Code)))
		b = append(b, l.Code...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// RestoreFunctions is FUNCTION RESTORE with policy "FLUSH", "APPEND" or "REPLACE". It is
// all or nothing: on an error the libraries are as they were. It returns the libraries it
// loaded, in payload order.
func (r *Runner) RestoreFunctions(payload []byte, policy string) ([]*Library, error) {
	if len(payload) < len(dumpMagic)+4 || !bytes.HasPrefix(payload, dumpMagic) {
		return nil, errBadPayload
	}
	body, sum := payload[:len(payload)-4], payload[len(payload)-4:]
	if crc32.ChecksumIEEE(body) != binary.BigEndian.Uint32(sum) {
		return nil, errBadPayload
	}
	var codes [][]byte
	for rest := body[len(dumpMagic):]; len(rest) > 0; {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return nil, errBadPayload
		}
		codes = append(codes, rest[k:k+int(n)])
		rest = rest[k+int(n):]
	}
	var before [][]byte
	for _, l := range r.fns().libs {
		before = append(before, []byte(l.Code))
	}
	if policy == "FLUSH" {
		r.FlushFunctions()
	}
	synced := r.FunctionsVersion()
	var loaded []*Library
	for _, code := range codes {
		name, err := r.LoadLibrary(code, policy == "REPLACE")
		if err != nil {
			r.FlushFunctions()
			for _, c := range before {
				_, _ = r.LoadLibrary(c, false) // they loaded before, they load again
			}
			r.SetFunctionsVersion(synced)
			return nil, err
		}
		loaded = append(loaded, r.fns().library(name))
	}
	return loaded, nil
}
