package script

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/concord-db/concord/internal/resp"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Host runs the commands a script calls. The command package implements it on top of its
// dispatcher; the caller of Run holds the engine lock for the whole script.
type Host interface {
	// Call runs one command and returns its raw RESP reply, encoded in protocol proto (2 or
	// 3). An error is a refusal before the command ran ("Unknown Redis command called from
	// script", ...); its text becomes the Lua error table.
	Call(args [][]byte, proto int) ([]byte, error)
	// Known reports whether name is a command (redis.acl_check_cmd).
	Known(name []byte) bool
}

// Flags are a script's shebang flags (#!lua flags=...).
type Flags uint8

// The shebang flags Redis 7.0 knows.
const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagCompat marks a script without a shebang (Redis's SCRIPT_FLAG_EVAL_COMPAT_MODE).
	FlagCompat
)

var flagNames = map[string]Flags{
	"no-writes": FlagNoWrites, "allow-oom": FlagAllowOOM, "allow-stale": FlagAllowStale,
	"no-cluster": FlagNoCluster, "allow-cross-slot-keys": FlagAllowCrossSlot,
}

// Script is a compiled script, cached by its SHA1.
type Script struct {
	SHA   string
	Body  []byte
	Flags Flags
	proto *lua.FunctionProto
}

// Runner owns the script cache and the pool of interpreter states.
type Runner struct {
	mu        sync.Mutex
	cache     map[string]*Script
	pool      []*state
	rand      rand48 // one generator for every state: Redis has one Lua state
	logger    *slog.Logger
	functions *functions // FUNCTION libraries, created on first use
	// cancel stops the running script (SCRIPT KILL); nil when none runs. Guarded by mu.
	cancel context.CancelFunc
}

// maxCalls is gopher-lua's call stack size: Lua 5.1's LUAI_MAXCALLS, less the frames Redis
// has below a script (checked against redis-server 7.0.15: a script function recursing 19998
// deep returns, 19999 deep overflows).
const maxCalls = 19999

// maxPooled bounds the idle states kept. Scripts run under the engine lock, so one state is
// normally enough; more appear only if scripts run from several goroutines.
const maxPooled = 4

// New returns a Runner with an empty cache.
func New(logger *slog.Logger) *Runner {
	r := &Runner{cache: map[string]*Script{}, logger: logger}
	r.rand.x = rand48Initial
	return r
}

// state is one sandboxed interpreter.
type state struct {
	L       *lua.LState
	globals *lua.LTable // the real globals behind the read-only proxy
	rand    *rand48
	logger  *slog.Logger
	handler *lua.LFunction
	// proxied maps each read-only proxy to the table it shows.
	proxied map[*lua.LTable]*lua.LTable
	run     *run // the script being run, nil between runs
	// sources maps the chunk names of loadstring's chunks, as gopher-lua prints them (Lua
	// 5.1's chunk ids), to the names they were loaded with, which error positions show.
	sources map[string]string
}

// run is what the redis.* functions need to know about the script being run.
type run struct {
	host Host
	resp int // redis.setresp
	ro   bool
}

func (r *Runner) newState() *state {
	L := lua.NewState(lua.Options{
		SkipOpenLibs: true,
		// Lua 5.1 allows 20000 nested calls (LUAI_MAXCALLS) before "stack overflow". (A
		// fixed stack, 1.6 MB: gopher-lua's growing one panics with another text when full.)
		CallStackSize:   maxCalls,
		RegistrySize:    1024 * 4,
		RegistryMaxSize: 1024 * 1024 * 4,
	})
	st := &state{L: L, rand: &r.rand, logger: r.logger, proxied: map[*lua.LTable]*lua.LTable{},
		sources: map[string]string{}}
	st.globals = st.sandbox()
	st.handler = L.NewFunction(st.errHandler)
	return st
}

func (r *Runner) get() *state {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.pool); n > 0 {
		st := r.pool[n-1]
		r.pool = r.pool[:n-1]
		return st
	}
	return r.newState()
}

func (r *Runner) put(st *state) {
	st.run = nil
	st.L.SetTop(0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pool) < maxPooled {
		r.pool = append(r.pool, st)
	} else {
		st.L.Close()
	}
}

// Load compiles body and caches it by SHA1 (SCRIPT LOAD, EVAL); a cached script is not
// compiled again. The error is the reply to give.
func (r *Runner) Load(body []byte) (*Script, error) {
	sha := SHA1Hex(body)
	r.mu.Lock()
	s := r.cache[sha]
	r.mu.Unlock()
	if s != nil {
		return s, nil
	}
	flags, code, err := shebang(body)
	if err != nil {
		return nil, err
	}
	proto, err := Compile(code)
	if err != nil {
		return nil, err
	}
	s = &Script{SHA: sha, Body: bytes.Clone(body), Flags: flags, proto: proto}
	r.mu.Lock()
	r.cache[sha] = s
	r.mu.Unlock()
	return s, nil
}

// Compile compiles Lua source as the chunk "user_script".
func Compile(code []byte) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(code), chunkName)
	if err != nil {
		return nil, compileError(err, code)
	}
	proto, err := lua.Compile(chunk, chunkName)
	if err != nil {
		return nil, compileError(err, code)
	}
	return proto, nil
}

// shebang reads the "#!lua flags=a,b" first line as Redis's evalExtractShebangFlags does and
// returns the code to compile: the shebang line becomes a comment, so line numbers stay.
func shebang(body []byte) (Flags, []byte, error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return FlagCompat, body, nil
	}
	first, _, _ := bytes.Cut(body, []byte("\n"))
	parts := strings.Fields(string(first))
	if len(parts) == 0 || parts[0] != "#!lua" {
		engine := string(first)
		if len(parts) > 0 {
			engine = parts[0]
		}
		return 0, nil, Error("ERR Unexpected engine in script shebang: " + engine)
	}
	var flags Flags
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, nil, Error("ERR Unknown lua shebang option: " + p)
		}
		for _, name := range strings.Split(list, ",") {
			if name == "" {
				continue
			}
			f, ok := flagNames[name]
			if !ok {
				return 0, nil, Error("ERR Unexpected flag in script shebang: " + name)
			}
			flags |= f
		}
	}
	code := append([]byte("--"), body[2:]...)
	return flags, code, nil
}

// Lookup returns the cached script with this SHA1 (any case), or nil.
func (r *Runner) Lookup(sha string) *Script {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cache[strings.ToLower(sha)]
}

// Flush empties the cache (SCRIPT FLUSH) and drops the pooled states, as Redis recreates its
// Lua state (its random generator lives outside Lua and keeps going).
func (r *Runner) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache = map[string]*Script{}
	for _, st := range r.pool {
		st.L.Close()
	}
	r.pool = nil
}

// Len is the number of cached scripts.
func (r *Runner) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cache)
}

// RunOptions are the per-call settings of a script.
type RunOptions struct {
	ReadOnly bool // EVAL_RO / EVALSHA_RO, or a no-writes script
}

// Run runs s with KEYS and ARGV and writes its reply to w. A script whose result is an error
// (raised, or returned as {err=...}) writes nothing and returns the error reply instead, for
// the caller to count as Redis counts error replies.
func (r *Runner) Run(s *Script, keys, argv [][]byte, host Host, w *resp.Writer, opt RunOptions) (err error) {
	st := r.get()
	defer func() {
		if p := recover(); p != nil {
			// A bug in gopher-lua or in a library must not take the server down; the state
			// may be inconsistent, so it is dropped.
			st.L.Close()
			err = Error(fmt.Sprintf("ERR internal error running script: %v", p))
			return
		}
		r.put(st)
	}()
	L := st.L
	st.globals.RawSetString("KEYS", argTable(L, keys))
	st.globals.RawSetString("ARGV", argTable(L, argv))
	L.Push(L.NewFunctionFromProto(s.proto))
	return r.execute(st, 0, s.SHA, host, w, opt)
}

// execute calls the function on top of the stack (below its nargs arguments) and writes its
// reply; name is what errors call it (the SHA of a script, the name of a function).
func (r *Runner) execute(st *state, nargs int, name string, host Host, w *resp.Writer, opt RunOptions) error {
	st.run = &run{host: host, resp: 2, ro: opt.ReadOnly}
	defer func() { st.run = nil }()
	L := st.L
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	L.SetContext(ctx)
	defer func() {
		r.mu.Lock()
		r.cancel = nil
		r.mu.Unlock()
		cancel()
		L.RemoveContext()
	}()
	if perr := L.PCall(nargs, 1, st.handler); perr != nil {
		var obj lua.LValue = lua.LString(perr.Error())
		if ae, ok := perr.(*lua.ApiError); ok && ae.Object != nil {
			obj = ae.Object
		}
		if ctx.Err() != nil {
			obj = killedError(L, obj)
		} else if s, ok := obj.(lua.LString); ok {
			// The message handler itself failed (a stack overflow leaves it no room to run):
			// complete the error as it would have, from the position in the text.
			obj = positionedError(L, string(s))
		}
		return runtimeError(obj, name)
	}
	ret := L.Get(-1)
	L.Pop(1)
	if t, ok := ret.(*lua.LTable); ok {
		if msg, ok := t.RawGetString("err").(lua.LString); ok {
			return Error(string(msg))
		}
	}
	writeReply(w, ret, st.run.resp, 0)
	return nil
}

func argTable(L *lua.LState, args [][]byte) *lua.LTable {
	t := L.CreateTable(len(args), 0)
	for i, a := range args {
		t.RawSetInt(i+1, lua.LString(a))
	}
	return t
}

// Kill stops the running script, if any, at its next Lua instruction (SCRIPT KILL); it
// reports whether one was running. It may be called from any goroutine.
func (r *Runner) Kill() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel == nil {
		return false
	}
	r.cancel()
	return true
}

// killedError replaces the error of a killed script by Redis's text, keeping its position.
func killedError(L *lua.LState, obj lua.LValue) lua.LValue {
	t, ok := obj.(*lua.LTable)
	if !ok {
		t = L.NewTable()
	}
	t.RawSetString("err", lua.LString("ERR Script killed by user with SCRIPT KILL..."))
	return t
}
