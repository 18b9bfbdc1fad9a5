package command

import (
	"bytes"
	"runtime/debug"
	"strings"

	"github.com/concord-db/concord/internal/metrics/latency"
)

// Execute runs one command sent by cl, writing its reply to cl.W. It follows Redis 7.0's
// processCommand: QUIT, lookup, arity, authentication, subscribed-mode restrictions, MULTI
// queuing, then the call under the engine lock.
func (env *Env) Execute(cl *Client, args [][]byte) {
	_ = env.ExecuteAll(cl, args, nil)
}

// maxBatch bounds how many pipelined commands run under one acquisition of the engine lock, so
// that one client's long pipeline cannot hold others up for long.
const maxBatch = 256

// ExecuteAll runs args and then, under the same acquisition of the engine lock, the commands
// next returns (the pipelined commands already buffered), until next returns nil, the batch is
// full, or the client's state changed in a way that matters to how its input is read
// (authentication, subscriptions, closing). Each command is still its own effect batch. The
// error is next's (a protocol error), for the caller to reply to after these replies.
func (env *Env) ExecuteAll(cl *Client, args [][]byte, next func() ([][]byte, error)) (err error) {
	if env.scriptBusy(cl, args) { // a script holds the lock for too long: BUSY (scripting.go)
		return nil
	}
	e := env.Engine
	e.Lock()
	defer func() {
		if r := recover(); r != nil {
			// A bug in one command must not take the member down with every client on it.
			env.Log.Error("panic while executing a command", "cmd", string(args[0]), "panic", r,
				"stack", string(debug.Stack()))
			cl.inCall = false
			cl.W.Error("ERR internal error while executing the command (logged)")
		}
		// Replies move to the output queue before the lock is released: a client's Writer is
		// only ever used under the engine lock, which lets publishers write to it directly.
		_ = cl.W.Flush()
		e.Unlock()
		env.persistWait() // appendfsync always: no reply leaves before its fsync (server_cmds.go)
	}()
	authed, subs := cl.Authed, cl.Subscriptions()
	for n := 1; ; n++ {
		env.execute(cl, args)
		e.Commit()
		env.serveBlocked() // clients parked on keys this command wrote (blocking.go)
		// A client parked by a blocking command executes nothing more until it is woken.
		if next == nil || n >= maxBatch || cl.CloseAfterReply || cl.Authed != authed ||
			cl.Subscriptions() != subs || cl.W.Buffered() > 64<<10 || cl.block != nil {
			return nil
		}
		if args, err = next(); err != nil || args == nil {
			return err
		}
	}
}

func (env *Env) execute(cl *Client, args [][]byte) {
	cl.LastCmdAt = env.Engine.Now()
	if len(args[0]) == 4 && strings.EqualFold(string(args[0]), "quit") {
		cl.LastCmd = "quit"
		cl.W.Simple("OK")
		cl.CloseAfterReply = true
		return
	}
	cmd, err := resolveWith(cl.lookup(args[0]), args)
	cl.LastCmd = ""
	if cmd != nil {
		cl.LastCmd = cmd.Name
	}
	if err != nil {
		if cmd != nil {
			cmd.RejectedCalls++
		}
		env.reject(cl, err)
		return
	}
	if cmd.Flags&Protected != 0 && !allowProtected(env.Config.String("enable-debug-command"), cl) {
		env.rejectCmd(cl, cmd, errDebugNotAllowed)
		return
	}
	if !cl.Authed && cmd.Flags&NoAuth == 0 {
		env.rejectCmd(cl, cmd, ErrNoAuth)
		return
	}
	if cl.subscribedRESP2() && cmd.Flags&PubSub == 0 {
		env.rejectCmd(cl, cmd, errorf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.Name))
		return
	}
	if cmd.Flags&Write != 0 || cmd.Name == "ping" { // Redis refuses PING too
		if err := env.writeDenied(); err != nil { // MISCONF (server_cmds.go)
			env.rejectCmd(cl, cmd, err)
			return
		}
	}
	if env.syncGated(cl, cmd) {
		env.rejectCmd(cl, cmd, ErrLoading)
		return
	}
	if cl.InMulti && cmd.Flags&TxControl == 0 {
		cl.Queue = append(cl.Queue, cloneArgs(args))
		cl.W.Simple("QUEUED")
		return
	}
	env.call(cl, cmd, args)
}

// resolve finds the command (or subcommand) for args and checks its arity; on an arity error
// it returns the command too (for its rejected_calls).
func resolve(args [][]byte) (*Command, error) {
	return resolveWith(Lookup(args[0]), args)
}

// resolveWith is resolve for the command cmd that args[0] names (nil: none).
func resolveWith(cmd *Command, args [][]byte) (*Command, error) {
	if cmd == nil {
		return nil, unknownCommand(args)
	}
	if cmd.Subcommands != nil && len(args) >= 2 {
		sub := cmd.Subcommands[strings.ToLower(string(args[1]))]
		if sub == nil {
			return nil, errorf("ERR unknown subcommand '%.128s'. Try %s HELP.", cBytes(args[1]), strings.ToUpper(string(args[0])))
		}
		cmd = sub
	}
	if !arityOK(cmd.Arity, len(args)) {
		return cmd, errorf("ERR wrong number of arguments for '%s' command", cmd.Name)
	}
	return cmd, nil
}

func unknownCommand(args [][]byte) error {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		a = cBytes(a)
		n := min(len(a), 128-b.Len())
		b.WriteByte('\'')
		b.Write(a[:n])
		b.WriteString("' ")
	}
	name := cBytes(args[0])
	if len(name) > 128 {
		name = name[:128]
	}
	return errorf("ERR unknown command '%s', with args beginning with: %s", name, b.String())
}

// call runs a resolved command and keeps its statistics. While latency-tracking is on, every
// call is timed (two clock reads, see latency.go for their cost) for INFO commandstats and the
// command's latency histogram, as Redis's call() does; while it is off, one call in
// durationSample is, for commandstats only.
func (env *Env) call(cl *Client, cmd *Command, args [][]byte) {
	c := &cl.ctx
	nested := cl.inCall
	if nested { // EXEC runs its queued commands from inside its own call
		c = new(Ctx)
	}
	cl.inCall = true
	*c = Ctx{Env: env, Client: cl, E: env.Engine, W: cl.W, Args: args, Cmd: cmd}
	var err error
	if track := env.Config.BoolID(latencyTracking); track || cmd.Calls%durationSample == 0 {
		start := latency.Start()
		err = cmd.Run(c)
		cmd.observe(track, latency.Elapsed(start))
	} else {
		err = cmd.Run(c)
	}
	cmd.Calls++ // counted after the call, as Redis does (INFO does not count itself)
	env.Stats.Commands++
	c.Args = nil // don't keep the read buffer reachable
	cl.inCall = nested
	if err != nil {
		cmd.FailedCalls++
		env.replyError(cl, err)
	}
}

// reject replies to a command refused before it ran (it makes a surrounding MULTI fail).
// A refused EXEC discards the transaction and says why, as Redis's execCommandAbort does.
func (env *Env) reject(cl *Client, err error) {
	if cl.InMulti {
		cl.MultiErr = true
	}
	if cl.LastCmd == "exec" {
		cl.InMulti, cl.MultiErr, cl.Queue = false, false, nil
		env.watch.unwatchAll(cl)
		text := strings.TrimPrefix(replyText(err), "ERR ")
		err = errorf("EXECABORT Transaction discarded because of: %s", text)
	}
	env.replyError(cl, err)
}

func (env *Env) rejectCmd(cl *Client, cmd *Command, err error) {
	cmd.RejectedCalls++
	env.reject(cl, err)
}

func (env *Env) replyError(cl *Client, err error) {
	text := replyText(err)
	env.Stats.ErrorReplies++
	code, _, _ := strings.Cut(text, " ")
	env.Stats.ErrorCodes[code]++
	cl.W.Error(text)
}

// cBytes is what C's "%s" prints of b: everything before the first NUL byte.
func cBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func cloneArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = bytes.Clone(a)
	}
	return out
}

// The write gate of a member that is syncing its own effects back from its peers after a
// restart (replication/startup.go, docs/design/replication.md "Restarts"): until it has, a new
// local batch could reuse a sequence number its peers already applied. Every command that can
// make a local batch is refused with Redis's LOADING error, which clients treat as "retry
// later" (go-redis retries it, redis-py raises BusyLoadingError, a ConnectionError): write
// commands, PUBLISH (a replicated batch), EVAL/EVALSHA/FCALL (scripts may write), an EXEC whose
// queue holds a write, and PING, as Redis refuses PING while loading (health checks then wait
// for the member to be ready). Reads are served.

// ErrLoading is the reply to commands refused while the member is syncing.
var ErrLoading = Error("LOADING Redis is loading the dataset in memory")

// SetWriteGate installs (or, with nil, removes) the function that reports whether env must
// refuse writes. It is called under the engine lock for candidate commands only.
func (env *Env) SetWriteGate(syncing func() bool) {
	if syncing == nil {
		env.writeGate.Store(nil)
		return
	}
	env.writeGate.Store(&syncing)
}

func (env *Env) syncGated(cl *Client, cmd *Command) bool {
	switch {
	case cmd.Flags&Write != 0:
	case cmd.Name == "ping", mayWrite(cmd):
	case cmd.Name == "exec" && cl.InMulti && queuedWrite(cl.Queue):
	default:
		return false
	}
	g := env.writeGate.Load()
	return g != nil && (*g)()
}

// queuedWrite reports whether a MULTI queue holds a command that may write: one queued before
// the gate closed again (a peer reported own batches this member lacks).
func queuedWrite(queue [][][]byte) bool {
	for _, args := range queue {
		if cmd, err := resolve(args); err == nil && (cmd.Flags&Write != 0 || mayWrite(cmd)) {
			return true
		}
	}
	return false
}

// mayWrite reports whether a command not flagged Write can make a local batch: PUBLISH (a
// replicated message) and scripts, which may call write commands.
func mayWrite(cmd *Command) bool {
	switch cmd.Name {
	case "publish", "eval", "evalsha", "fcall":
		return true
	}
	return false
}
