package command

import (
	"bytes"
	"errors"
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
	function atomic.Bool // the running script is a function (FCALL): FUNCTION KILL stops it
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
	st.scriptStarted(false)
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
// running when SCRIPT KILL gets to run.
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
// longer than the threshold is answered at once, without the lock: BUSY for every command but
// SCRIPT KILL, which stops the script at its next Lua instruction unless it already wrote
// (UNKILLABLE). A command arriving earlier waits for the script to end or to pass the
// threshold. Only the client's own Writer is touched here, never shared state; a client with
// subscriptions (whose Writer publishers use under the lock) just waits.

// scriptsRunning counts the scripts running in any Env, so that the dispatcher's check costs
// one atomic load when none runs.
var scriptsRunning atomic.Int32

const (
	errBusy        Error = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFn      Error = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errUnkillable  Error = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	busyPollPeriod       = 5 * time.Millisecond
)

// scriptStarted and scriptEnded bracket a script's run (the caller holds the engine lock).
func (st *scriptState) scriptStarted(function bool) {
	st.function.Store(function)
	st.wrote.Store(false)
	st.started.Store(time.Now().UnixNano())
	scriptsRunning.Add(1)
}

func (st *scriptState) scriptEnded() {
	st.started.Store(0)
	scriptsRunning.Add(-1)
}

// scriptBusy is called by the dispatcher before it takes the engine lock. It reports whether
// it answered the command itself because a script has been running for too long.
func (env *Env) scriptBusy(cl *Client, args [][]byte) bool {
	if scriptsRunning.Load() == 0 || cl.Subscriptions() > 0 {
		return false
	}
	st := env.scripts()
	for {
		start := st.started.Load()
		if start == 0 {
			return false
		}
		threshold := time.Duration(env.Config.Int("busy-reply-threshold")) * time.Millisecond
		if wait := threshold - time.Since(time.Unix(0, start)); wait > 0 {
			time.Sleep(min(wait, busyPollPeriod))
			continue
		}
		break
	}
	switch {
	case len(args) == 2 && strings.EqualFold(string(args[1]), "kill") &&
		strings.EqualFold(string(args[0]), map[bool]string{false: "script", true: "function"}[st.function.Load()]):
		if st.wrote.Load() {
			cl.W.Error(string(errUnkillable))
		} else if st.runner.Kill() {
			cl.W.Simple("OK")
		} else {
			cl.W.Error(string(errNotBusy))
		}
	default:
		if cl.InMulti {
			cl.MultiErr = true
		}
		if st.function.Load() {
			cl.W.Error(string(errBusyFn))
		} else {
			cl.W.Error(string(errBusy))
		}
	}
	_ = cl.W.Flush()
	return true
}
