package command

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/commandspec"
	"github.com/concord-db/concord/internal/resp"
	"github.com/concord-db/concord/internal/script"
)

// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, on internal/script.
//
// A script runs inside the call of its EVAL, under the engine lock the dispatcher holds, and
// the commands it calls go through env.call like EXEC's queued commands: no re-locking, no
// commit in between, so every write of the script lands in the one effect batch the
// dispatcher commits after EVAL returns (the script is replicated as its effects, never as
// the script). Commands run as a client of their own (Redis's "lua client"): its database
// starts as the caller's, its replies are encoded into a buffer and converted into Lua values.

func init() {
	define(
		&Command{Name: "eval", Arity: -3, Flags: 0, Run: evalCommand},
		&Command{Name: "evalsha", Arity: -3, Flags: 0, Run: evalCommand},
		&Command{Name: "eval_ro", Arity: -3, Flags: ReadOnly, Run: evalCommand},
		&Command{Name: "evalsha_ro", Arity: -3, Flags: ReadOnly, Run: evalCommand},
		&Command{Name: "script", Arity: -2, Subcommands: subcommands("script",
			&Command{Name: "load", Arity: 3, Run: scriptLoadCommand},
			&Command{Name: "exists", Arity: -3, Run: scriptExistsCommand},
			&Command{Name: "flush", Arity: -2, Run: scriptFlushCommand},
			&Command{Name: "kill", Arity: 2, Run: scriptKillCommand},
			&Command{Name: "debug", Arity: 3, Run: scriptDebugCommand},
			&Command{Name: "help", Arity: 2, Run: helpCommand("script", scriptHelp)},
		)},
	)
}

var scriptHelp = []string{
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
}

// Script errors, as Redis 7.0 words them.
const (
	errNoScript        Error = "NOSCRIPT No matching script. Please use EVAL."
	errNegativeKeys    Error = "ERR Number of keys can't be negative"
	errTooManyKeys     Error = "ERR Number of keys can't be greater than number of args"
	errNotBusy         Error = "NOTBUSY No scripts in execution right now."
	errFlushOption     Error = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	errScriptUnknown   Error = "Unknown Redis command called from script"
	errScriptArity     Error = "Wrong number of args calling Redis command from script"
	errScriptNoScript  Error = "This Redis command is not allowed from script"
	errScriptReadOnly  Error = "Write commands are not allowed from read-only scripts."
	errScriptDebugNone Error = "ERR SCRIPT DEBUG is not supported by Concord"
)

// scripting is the per-Env scripting state. Env has no field for it (env.go is shared), so
// it hangs off this map; it is created on first use.
var scripting struct {
	mu sync.Mutex
	m  map[*Env]*scriptState
}

type scriptState struct {
	runner *script.Runner
	host   scriptHost
	// started is when the running script started (Unix ns), 0 when none runs; wrote is set
	// once it called a write command. Read without the engine lock by scriptBusy.
	started  atomic.Int64
	wrote    atomic.Bool
	function atomic.Bool                     // the running script is a function (FCALL): FUNCTION KILL stops it
	running  atomic.Pointer[runningFunction] // the function being run, for FUNCTION STATS
}

func (env *Env) scripts() *scriptState {
	scripting.mu.Lock()
	defer scripting.mu.Unlock()
	if scripting.m == nil {
		scripting.m = map[*Env]*scriptState{}
	}
	s := scripting.m[env]
	if s == nil {
		s = &scriptState{runner: script.New(env.Log)}
		cl := NewClient(0)
		cl.Authed = true
		cl.NoBlock = true // blocking commands act as their non-blocking forms
		cl.Name = "lua"
		cl.W = resp.NewWriter(&s.host.buf)
		s.host = scriptHost{env: env, st: s, cl: cl}
		cl.W = resp.NewWriter(&s.host.buf)
		scripting.m[env] = s
	}
	return s
}

// scriptHost runs the commands of the script being run (script.Host).
type scriptHost struct {
	env *Env
	st  *scriptState
	cl  *Client // the script's own client
	buf bytes.Buffer
	ro  bool // EVAL_RO, EVALSHA_RO or a no-writes script
}

// Call is Redis's scriptCall: the checks, then the command through the dispatcher's call.
func (h *scriptHost) Call(args [][]byte, proto int) ([]byte, error) {
	cmd := Lookup(args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) >= 2 {
		cmd = cmd.Subcommands[strings.ToLower(string(args[1]))]
	}
	if cmd == nil {
		return nil, errScriptUnknown
	}
	if !arityOK(cmd.Arity, len(args)) {
		return nil, errScriptArity
	}
	if noScript(cmd) {
		return nil, errScriptNoScript
	}
	if h.ro && cmd.Flags&Write != 0 {
		return nil, errScriptReadOnly
	}
	if cmd.Flags&Write != 0 {
		h.st.wrote.Store(true) // SCRIPT KILL now answers UNKILLABLE
		if err := h.env.writeDenied(); err != nil {
			return nil, Error("-" + replyText(err))
		}
	}
	h.buf.Reset()
	h.cl.Proto = proto
	h.cl.W.SetProtocol(proto)
	h.env.call(h.cl, cmd, args)
	if err := h.cl.W.Flush(); err != nil {
		return nil, err
	}
	return h.buf.Bytes(), nil
}

// Known reports whether name is a command.
func (h *scriptHost) Known(name []byte) bool { return Lookup(name) != nil }

// noScript reports whether Redis flags the command noscript (not callable from scripts).
// Concord-only commands are not in Redis's table and are allowed unless they are container
// commands of client state.
func noScript(cmd *Command) bool {
	spec := commandspec.Lookup(cmd.Name)
	return spec != nil && spec.HasFlag("noscript")
}

// evalCommand is EVAL, EVALSHA, EVAL_RO and EVALSHA_RO.
func evalCommand(c *Ctx) error {
	numkeys, err := c.Int(2)
	if err != nil {
		return err
	}
	if numkeys < 0 {
		return errNegativeKeys
	}
	if numkeys > int64(len(c.Args)-3) {
		return errTooManyKeys
	}
	st := c.Env.scripts()
	var s *script.Script
	if strings.HasPrefix(c.Cmd.Name, "evalsha") {
		if s = st.runner.Lookup(string(c.Args[1])); s == nil {
			return errNoScript
		}
	} else if s, err = st.runner.Load(c.Args[1]); err != nil {
		return scriptReplyError(err)
	}
	keys := c.Args[3 : 3+numkeys]
	argv := c.Args[3+numkeys:]
	h := &st.host
	h.ro = strings.HasSuffix(c.Cmd.Name, "_ro") || s.Flags&script.FlagNoWrites != 0
	h.cl.DB = c.Client.DB
	st.scriptStarted(nil)
	err = st.runner.Run(s, keys, argv, h, c.W, script.RunOptions{ReadOnly: h.ro})
	st.scriptEnded()
	return scriptReplyError(err)
}

func scriptLoadCommand(c *Ctx) error {
	s, err := c.Env.scripts().runner.Load(c.Args[2])
	if err != nil {
		return err
	}
	c.W.BulkString(s.SHA)
	return nil
}

func scriptExistsCommand(c *Ctx) error {
	r := c.Env.scripts().runner
	c.W.ArrayLen(len(c.Args) - 2)
	for _, sha := range c.Args[2:] {
		if r.Lookup(string(sha)) != nil {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
	return nil
}

func scriptFlushCommand(c *Ctx) error {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !c.Is(2, "sync") && !c.Is(2, "async")) {
		return errFlushOption
	}
	c.Env.scripts().runner.Flush()
	c.W.Simple("OK")
	return nil
}

// scriptKillCommand: a script runs to completion under the engine lock, so no script is ever
// running when SCRIPT KILL gets to run under it (while one is busy, SCRIPT KILL is answered
// without the lock by answerBusy).
func scriptKillCommand(c *Ctx) error { return errNotBusy }

func scriptDebugCommand(c *Ctx) error { return errScriptDebugNone }

// scriptReplyError makes a script's error reply an Error, whose text is replied as is: a
// script may reply any text, "-bad" included, with no ERR added.
func scriptReplyError(err error) error {
	var se script.Error
	if errors.As(err, &se) {
		return Error(se)
	}
	return err
}

// Long-running scripts (busy-reply-threshold, alias lua-time-limit).
//
// A script holds the engine lock from start to end, so other clients cannot run commands
// meanwhile. Like Redis, a client whose command arrives while a script has been running for
// longer than the threshold is answered at once, without the lock, as Redis 7.0's
// processCommand answers it: the command lookup, arity, protected-command and authentication
// errors first, then BUSY for every command not flagged allow_busy. Of the allow_busy
// commands (QUIT, MULTI, DISCARD, EXEC's abort, SCRIPT KILL, FUNCTION KILL, FUNCTION STATS,
// SHUTDOWN, HELLO, AUTH, UNWATCH, RESET, WATCH, REPLCONF), those that only touch the client's
// own state, the configuration or the running script are answered here; WATCH and REPLCONF
// (and DISCARD, EXEC, UNWATCH or RESET of a client that watches keys) need the engine (the
// watched-keys registry) and wait for the script to end. A command arriving earlier waits for the script to end or to pass the
// threshold. Only the client's own Writer and state are touched here, never shared state; a
// client with subscriptions (whose Writer publishers use under the lock) just waits. Error
// replies given here are not counted in INFO's error statistics (those need the lock).

// scriptsRunning counts the scripts running in any Env, so that the dispatcher's check costs
// one atomic load when none runs.
var scriptsRunning atomic.Int32

const (
	errBusy        Error = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFn      Error = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errUnkillable  Error = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	busyPollPeriod       = 5 * time.Millisecond
)

// runningFunction is what FUNCTION STATS shows of the function being run; it is set under
// the engine lock when FCALL starts and read without it while the function is busy.
type runningFunction struct {
	name   string
	args   [][]byte // the FCALL command
	runner *script.Runner
}

// scriptStarted and scriptEnded bracket a script's run (the caller holds the engine lock);
// fn describes a function (FCALL), nil for EVAL.
func (st *scriptState) scriptStarted(fn *runningFunction) {
	st.running.Store(fn)
	st.function.Store(fn != nil)
	st.wrote.Store(false)
	st.started.Store(time.Now().UnixNano())
	scriptsRunning.Add(1)
}

func (st *scriptState) scriptEnded() {
	st.started.Store(0)
	st.running.Store(nil)
	scriptsRunning.Add(-1)
}

// busy reports whether a script has been running for longer than busy-reply-threshold. With
// wait, a script that runs but has not reached the threshold yet is waited for, until it ends
// (false) or reaches it (true).
func (env *Env) busy(wait bool) bool {
	if scriptsRunning.Load() == 0 {
		return false
	}
	st := env.scripts()
	for {
		start := st.started.Load()
		if start == 0 {
			return false
		}
		threshold := time.Duration(env.Config.Int("busy-reply-threshold")) * time.Millisecond
		w := threshold - time.Since(time.Unix(0, start))
		if w <= 0 {
			return true
		}
		if !wait {
			return false
		}
		time.Sleep(min(w, busyPollPeriod))
	}
}

// LockUnlessScriptBusy takes the engine lock and reports true, or gives up and reports false
// once a script has been running for longer than busy-reply-threshold (then the caller answers
// the client with AnswerIfScriptBusy). The server registers new connections with it, so that a
// client connecting during a long script is answered BUSY instead of waiting for the script.
func (env *Env) LockUnlessScriptBusy() bool {
	e := env.Engine
	if scriptsRunning.Load() == 0 {
		// The common case. A script starting right now makes this wait for its end, as a
		// command arriving at the same moment would.
		e.Lock()
		return true
	}
	// The lock is taken by a helper goroutine and handed over, so that waiting for it can be
	// abandoned: the helper then releases it as soon as it gets it.
	const (
		pending = iota
		handed
		abandoned
	)
	var state atomic.Int32
	got := make(chan struct{})
	go func() {
		e.Lock()
		if !state.CompareAndSwap(pending, handed) {
			e.Unlock()
			return
		}
		close(got)
	}()
	tick := time.NewTicker(busyPollPeriod)
	defer tick.Stop()
	for {
		select {
		case <-got:
			return true
		case <-tick.C:
			if env.busy(false) && state.CompareAndSwap(pending, abandoned) {
				return false
			}
		}
	}
}

// AnswerIfScriptBusy answers args without the engine lock when a script has been running for
// longer than busy-reply-threshold, and reports whether it did (the reply is in the client's
// output queue). A script that runs but has not reached the threshold is waited for first.
func (env *Env) AnswerIfScriptBusy(cl *Client, args [][]byte) bool {
	return env.scriptBusy(cl, args)
}

// scriptBusy is called by the dispatcher before it takes the engine lock. It reports whether
// it answered the command itself because a script has been running for too long.
func (env *Env) scriptBusy(cl *Client, args [][]byte) bool {
	if scriptsRunning.Load() == 0 || cl.Subscriptions() > 0 || !env.busy(true) {
		return false
	}
	if !env.answerBusy(cl, args) {
		return false
	}
	_ = cl.W.Flush()
	return true
}

// answerBusy is processCommand's part for a busy script: false leaves the command to the
// dispatcher (it then waits for the engine lock).
func (env *Env) answerBusy(cl *Client, args [][]byte) bool {
	st := env.scripts()
	function := st.function.Load()
	busyErr := errBusy
	if function {
		busyErr = errBusyFn
	}
	if len(args[0]) == 4 && strings.EqualFold(string(args[0]), "quit") {
		cl.W.Simple("OK")
		cl.CloseAfterReply = true
		return true
	}
	cmd, err := resolve(args)
	switch {
	case err != nil:
	case cmd.Flags&Protected != 0 && !allowProtected(env.Config.String("enable-debug-command"), cl):
		err = errDebugNotAllowed
	case !cl.Authed && cmd.Flags&NoAuth == 0:
		err = ErrNoAuth
	}
	if err != nil {
		if cl.InMulti {
			cl.MultiErr = true
		}
		cl.W.Error(replyText(err))
		return true
	}
	switch cmd.Name {
	case "script|kill", "function|kill":
		switch {
		case st.wrote.Load():
			cl.W.Error(string(errUnkillable))
		case (cmd.Name == "function|kill") != function:
			// Redis refuses to kill a function with SCRIPT KILL and a script with FUNCTION KILL.
			cl.W.Error(string(busyErr))
		case st.runner.Kill():
			cl.W.Simple("OK")
		default:
			cl.W.Error(string(errNotBusy))
		}
		return true
	case "function|stats":
		fn := st.running.Load()
		if fn == nil {
			cl.W.Error(string(busyErr)) // an EVAL script is busy
			return true
		}
		writeFunctionStats(cl.W, fn, time.Since(time.Unix(0, st.started.Load())))
		return true
	case "shutdown":
		return env.busyShutdown(cl, args, busyErr)
	case "multi":
		if cl.InMulti {
			cl.W.Error(string(ErrNestedMulti))
		} else {
			cl.InMulti = true
			cl.W.Simple("OK")
		}
		return true
	case "discard":
		if !cl.InMulti {
			cl.W.Error(string(ErrDiscardNoMulti))
			return true
		}
		if len(cl.Watched) > 0 {
			return false // unwatching needs the engine
		}
		cl.InMulti, cl.MultiErr, cl.Queue = false, false, nil
		cl.W.Simple("OK")
		return true
	case "exec":
		// Rejected like any command, which for EXEC discards the transaction (Redis's
		// rejectCommand → execCommandAbort), in MULTI or not.
		if len(cl.Watched) > 0 {
			return false
		}
		cl.InMulti, cl.MultiErr, cl.Queue = false, false, nil
		cl.W.Error("EXECABORT Transaction discarded because of: " + string(busyErr))
		return true
	case "unwatch", "reset":
		if len(cl.Watched) > 0 {
			return false // unwatching needs the engine (subscribers never get here)
		}
		fallthrough
	case "hello", "auth":
		// Only the client's own state and the configuration: run as when not busy.
		if err := cmd.Run(&Ctx{Env: env, Client: cl, W: cl.W, Args: args, Cmd: cmd}); err != nil {
			cl.W.Error(replyText(err))
		}
		return true
	case "watch":
		if cl.InMulti {
			cl.W.Error(string(ErrWatchInMulti))
			return true
		}
		return false // the watched-keys registry needs the engine: WATCH waits for the script
	case "replconf":
		return false // allow_busy, but it needs the engine: it waits for the script
	}
	if cl.InMulti {
		cl.MultiErr = true
	}
	cl.W.Error(string(busyErr))
	return true
}

// writeFunctionStats is FUNCTION STATS while fn runs.
func writeFunctionStats(w *resp.Writer, fn *runningFunction, ran time.Duration) {
	w.MapLen(2)
	w.BulkString("running_script")
	w.MapLen(3)
	w.BulkString("name")
	w.BulkString(fn.name)
	w.BulkString("command")
	w.ArrayLen(len(fn.args))
	for _, a := range fn.args {
		w.Bulk(a)
	}
	w.BulkString("duration_ms")
	w.Int(ran.Milliseconds())
	w.BulkString("engines")
	w.MapLen(1)
	w.BulkString("LUA")
	w.MapLen(2)
	libs := fn.runner.Libraries()
	nfn := 0
	for _, l := range libs {
		nfn += len(l.Functions)
	}
	w.BulkString("libraries_count")
	w.Int(int64(len(libs)))
	w.BulkString("functions_count")
	w.Int(int64(nfn))
}

// exitProcess ends the process for SHUTDOWN NOSAVE during a busy script (a variable for tests).
var exitProcess = os.Exit

// busyShutdown is SHUTDOWN while a script is busy. Redis 7.0 refuses it (BUSY) unless NOSAVE
// is given; with NOSAVE it exits at once: the script never completes, so none of its writes is
// committed (they form one batch, committed when the script ends), and the append-only file,
// which holds every acknowledged write already, is flushed and fsynced first. Exiting is the
// only way out here: the graceful shutdown needs the engine lock, which the script keeps.
func (env *Env) busyShutdown(cl *Client, args [][]byte, busyErr Error) bool {
	var nosave, save, abort, other bool
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now", "force":
			other = true
		case "abort":
			abort = true
		default:
			cl.W.Error(string(ErrSyntax))
			return true
		}
	}
	switch {
	case (abort && (nosave || save || other)) || (nosave && save):
		cl.W.Error(string(ErrSyntax))
		return true
	case abort:
		cl.W.Error("ERR No shutdown in progress.")
		return true
	case !nosave:
		cl.W.Error(string(busyErr))
		return true
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Warn("user requested shutdown while a script is running: exiting without completing it", "client", cl.Addr)
	if p := env.persistence(); p != nil {
		// With nosave, ShutdownSave only flushes and fsyncs the append-only file: nothing in it
		// needs the engine lock (the script commits nothing until it ends).
		if err := p.ShutdownSave(false, true); err != nil && !hasArgBytes(args, "force") {
			log.Warn("errors trying to shut down the server: not stopping", "err", err)
			cl.W.Error("ERR Errors trying to SHUTDOWN. Check logs.")
			return true
		}
	}
	log.Warn("exiting now")
	exitProcess(0)
	return true
}

func hasArgBytes(args [][]byte, word string) bool {
	for _, a := range args[1:] {
		if strings.EqualFold(string(a), word) {
			return true
		}
	}
	return false
}
