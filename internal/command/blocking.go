package command

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) as
// Redis 7.0 runs them. This file is the framework; blocking_*.go are the commands.
//
// A blocking command that finds a key able to serve it runs like its non-blocking form. When
// none can, it replies nil at once inside MULTI/EXEC or a script; otherwise the client is
// parked: the command is registered on each of its keys, after the clients already waiting
// there, and the dispatcher stops executing the client's pipelined commands. The emptiness
// check and the registration happen under one acquisition of the engine lock, so no write can
// fall between them.
//
// Every applied operation — of a local command, of an EXEC, of a batch applied from a peer —
// reports its key through engine.OnTouch; a key somebody waits on is queued as ready. Ready
// keys are served after each command (ExecuteAll) and whenever the engine lock is released
// (engine.OnRelease, which covers batches applied from peers), in the order they became ready.
// For each, the clients waiting on it are tried oldest first (Redis's fairness), each re-running
// its command's pop on that key under the lock, until the key cannot serve any more. A served
// client is removed from all its keys, its reply is queued and its connection goroutine woken.
// A write that leaves the key with another type than the waiters want wakes nobody: they stay
// parked, as in Redis 7.0.
//
// A parked client's connection goroutine (internal/server) waits on its socket with a read
// deadline: the block's timeout, or an immediate one set by Client.Interrupt when the client is
// served or unblocked (CLIENT UNBLOCK); see ArmPark for how a wake-up can neither be missed nor
// break a later read. Bytes the client sends meanwhile are kept for later, as Redis keeps them
// in the query buffer; EOF (or CLIENT KILL, which closes the socket) disconnects the client,
// which removes it from the registry. No goroutine is started per blocked client.

import (
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/redisnum"
)

var (
	errTimeoutNotFloat = Error("ERR timeout is not a float or out of range")
	errTimeoutNegative = Error("ERR timeout is negative")
	errUnblocked       = Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
)

type blockKey struct {
	db  int
	key string
}

// blockServe completes a parked command from key, which was just written and holds a value of
// the awaited type. It replies and returns true (err, if not nil, is the reply), or returns
// false, having replied nothing and changed nothing, when key cannot serve it.
type blockServe func(c *Ctx, key string) (served bool, err error)

// blockState is the command a client is parked on.
type blockState struct {
	db       int
	keys     []string // without duplicates, in argument order
	want     crdt.Type
	deadline int64 // Unix ms on the engine's clock, 0 = none
	serve    blockServe
	args     [][]byte // the command's arguments, copied (they alias the read buffer)
	cmd      *Command
}

// blockRegistry is the server-wide state of blocking: who waits on which key, and the keys
// written since they were last served. Engine lock.
type blockRegistry struct {
	waiters map[blockKey][]*Client // oldest first
	ready   []blockKey
	queued  map[blockKey]bool // in ready
	blocked int               // parked clients (INFO blocked_clients)
	timed   int               // of which with a timeout (INFO clients_in_timeout_table)
}

// blockers is the Env's blocking registry. It is created, and hooked into the engine, the first
// time a client parks (under the engine lock, so no write can be missed).
func (env *Env) blockers() *blockRegistry {
	if env.block != nil {
		return env.block
	}
	r := &blockRegistry{waiters: make(map[blockKey][]*Client), queued: make(map[blockKey]bool)}
	env.block = r
	e := env.Engine
	touch, release := e.OnTouch, e.OnRelease
	e.OnTouch = func(db int, key string) {
		if touch != nil {
			touch(db, key)
		}
		r.touch(db, key)
	}
	e.OnRelease = func() {
		if release != nil {
			release()
		}
		env.serveBlocked()
	}
	return r
}

// peekBlockers is the registry if one was created.
func (env *Env) peekBlockers() *blockRegistry { return env.block }

// touch queues a written key that clients wait on (engine.OnTouch).
func (r *blockRegistry) touch(db int, key string) {
	if r.blocked == 0 {
		return
	}
	k := blockKey{db, key}
	if r.queued[k] || len(r.waiters[k]) == 0 {
		return
	}
	r.queued[k] = true
	r.ready = append(r.ready, k)
}

// BlockedClients is INFO's blocked_clients and clients_in_timeout_table. Engine lock.
func (env *Env) BlockedClients() (blocked, withTimeout int) {
	if r := env.peekBlockers(); r != nil {
		return r.blocked, r.timed
	}
	return 0, 0
}

// mayBlock reports whether the running command may park its client: not inside EXEC (whose
// queued commands run with a Ctx of their own) nor a script.
func (c *Ctx) mayBlock() bool {
	return c == &c.Client.ctx && !c.Client.NoBlock
}

// blockTimeout parses argument i as Redis 7.0.15's getTimeoutFromObjectOrReply in seconds: a
// long double, times 1000 rounded up to whole milliseconds; a result that does not fit a long
// long converts to its minimum, hence "negative" for inf and huge values, as on x86-64. It
// returns the deadline in Unix ms on the engine's clock, 0 for none.
func (c *Ctx) blockTimeout(i int) (int64, error) {
	x, ok := redisnum.ParseLongDouble(c.Args[i])
	if !ok {
		return 0, errTimeoutNotFloat
	}
	if x.IsInf() {
		return 0, errTimeoutNegative
	}
	// The exact long double (64-bit mantissa), for the product to round as the x87 FPU rounds
	// it: "-0.001" is slightly above -0.001, so its -0.99999... ms round up to 0 (no timeout).
	f, _, err := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Parse(string(c.Args[i]), 0)
	if err != nil {
		f = new(big.Float).SetPrec(64).SetFloat64(x.Float64())
	}
	ms := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Mul(f, big.NewFloat(1000))
	n, acc := ms.Int64() // truncated toward zero; out of range: (MinInt64, Above), (MaxInt64, Below)
	switch {
	case acc == big.Below && n == 1<<63-1, acc == big.Above && n == -1<<63:
		// out of long long range (a 64-bit mantissa leaves no fraction there): the conversion
		// gives LLONG_MIN
		return 0, errTimeoutNegative
	case acc == big.Below && ms.Sign() > 0:
		n++ // rounded up: a positive timeout never means "none"
	}
	if n < 0 {
		return 0, errTimeoutNegative
	}
	if n == 0 {
		return 0, nil
	}
	now := c.E.Now()
	if n > 1<<63-1-now {
		return 0, nil // Redis's deadline overflows and never comes
	}
	return now + n, nil
}

// park registers the running command as waiting on keys, none of which can serve it now.
// serve is called when one of them is written; deadline is from blockTimeout.
func (c *Ctx) park(keys []string, want crdt.Type, deadline int64, serve blockServe) {
	cl := c.Client
	r := c.Env.blockers()
	st := &blockState{db: c.DB(), want: want, deadline: deadline, serve: serve, args: cloneArgs(c.Args), cmd: c.Cmd}
	for _, k := range keys {
		if !slices.Contains(st.keys, k) { // BLPOP k k waits once on k, as Redis's dict of keys
			st.keys = append(st.keys, k)
		}
	}
	for _, k := range st.keys {
		bk := blockKey{st.db, k}
		r.waiters[bk] = append(r.waiters[bk], cl)
	}
	cl.block = st
	r.blocked++
	if deadline != 0 {
		r.timed++
	}
	cl.park.mu.Lock()
	cl.park.parked, cl.park.woken, cl.park.deadline = true, false, deadline
	cl.park.mu.Unlock()
}

// unpark removes a parked client from the registry, moves what was replied to its output and
// wakes its connection goroutine. Engine lock.
func (env *Env) unpark(cl *Client) {
	st := cl.block
	if st == nil {
		return
	}
	r := env.blockers()
	for _, k := range st.keys {
		bk := blockKey{st.db, k}
		list := r.waiters[bk]
		if i := slices.Index(list, cl); i >= 0 {
			list = slices.Delete(list, i, i+1)
		}
		if len(list) == 0 {
			delete(r.waiters, bk)
		} else {
			r.waiters[bk] = list
		}
	}
	cl.block = nil
	r.blocked--
	if st.deadline != 0 {
		r.timed--
	}
	_ = cl.W.Flush()
	cl.park.mu.Lock()
	cl.park.parked, cl.park.woken = false, true
	if cl.park.armed && cl.Interrupt != nil {
		cl.Interrupt()
	}
	cl.park.mu.Unlock()
}

// serveBlocked serves the clients waiting on the keys written since the last call. Engine lock.
func (env *Env) serveBlocked() {
	r := env.peekBlockers()
	if r == nil || len(r.ready) == 0 {
		return
	}
	e := env.Engine
	for len(r.ready) > 0 {
		k := r.ready[0]
		r.ready = r.ready[1:]
		delete(r.queued, k)
		// A pop writes the key again, which may queue it again: that pass finds it empty
		// or serves the clients that were skipped.
		for _, cl := range slices.Clone(r.waiters[k]) {
			st := cl.block
			if st == nil {
				continue
			}
			ent := e.LookupWrite(k.db, k.key)
			if ent == nil {
				break
			}
			if ent.Type() != st.want {
				continue // waits for another type (BLPOP and BZPOPMIN on one key)
			}
			c := &Ctx{Env: env, Client: cl, E: e, W: cl.W, Args: st.args, Cmd: st.cmd}
			served, err := st.serve(c, k.key)
			if !served {
				break
			}
			if err != nil {
				env.replyError(cl, err)
			}
			env.unpark(cl)
			e.Commit() // each served command is its own batch, as each is its own command in Redis
		}
	}
	r.ready = r.ready[:0]
}

// BlockTimeout replies nil to a parked client whose timeout has passed, and wakes it. The
// server calls it when the read deadline of the client's socket fires.
func (env *Env) BlockTimeout(cl *Client) {
	e := env.Engine
	e.Lock()
	defer e.Unlock()
	st := cl.block
	if st == nil || st.deadline == 0 || e.Now() <= st.deadline {
		return // served meanwhile, or the clocks disagree by a millisecond: not yet
	}
	cl.W.NullArray()
	env.unpark(cl)
}

// Woken is called by the server when a parked client was woken, before its reply goes out
// (without the engine lock): with appendfsync always, the reply of a served pop waits for the
// fsync of what was written, as every reply does (ExecuteAll's persistWait).
func (env *Env) Woken() { env.persistWait() }

// ForgetBlocked removes a client that disconnects from the keys it waits on, without a reply.
// Engine lock.
func (env *Env) ForgetBlocked(cl *Client) {
	if cl.block != nil {
		env.unpark(cl)
	}
}

// unblockClient is CLIENT UNBLOCK: a parked client gets the nil reply of a timeout, or the
// UNBLOCKED error. It reports whether the client was parked.
func (env *Env) unblockClient(id int64, withError bool) bool {
	cl := env.clients[id]
	if cl == nil || cl.block == nil {
		return false
	}
	if withError {
		env.replyError(cl, errUnblocked)
	} else {
		cl.W.NullArray()
	}
	env.unpark(cl)
	return true
}

// parking is the part of a client's blocking state its connection goroutine reads without the
// engine lock. The mutex orders Interrupt against the goroutine arming and clearing its read
// deadline (see ArmPark).
type parking struct {
	mu       sync.Mutex
	parked   bool  // waiting in a blocking command
	woken    bool  // unparked since the connection goroutine last looked (ArmPark)
	armed    bool  // the goroutine reads with the block's deadline: Interrupt may be needed
	deadline int64 // Unix ms, 0 = none
}

// Parked reports whether the client waits in a blocking command, or was woken from one since
// its connection goroutine last called ArmPark: either way the goroutine must go through
// ArmPark (and send the reply) before reading the next command.
func (cl *Client) Parked() bool {
	cl.park.mu.Lock()
	defer cl.park.mu.Unlock()
	return cl.park.parked || cl.park.woken
}

// ArmPark is how the connection goroutine waits for a parked client. Under the parking mutex,
// if the client is still parked it calls arm with the time its timeout fires (zero: never) and
// returns true, for the goroutine to read its socket until that deadline; otherwise it clears
// the deadline it armed, if any (arm with the zero time), and returns false. Interrupt is only
// called with that mutex held and while a deadline is armed, so it either comes after the
// deadline was armed (the read returns at once) or not at all (the client is seen unparked) —
// never after the clearing, where it would break the next read.
func (cl *Client) ArmPark(arm func(deadline time.Time)) bool {
	cl.park.mu.Lock()
	defer cl.park.mu.Unlock()
	if !cl.park.parked {
		if cl.park.armed {
			arm(time.Time{})
			cl.park.armed = false
		}
		cl.park.woken = false
		return false
	}
	cl.park.armed = true
	var d time.Time
	if cl.park.deadline != 0 {
		// a millisecond late, so that the engine's clock, read in whole milliseconds, has
		// passed the deadline when BlockTimeout checks it
		d = time.UnixMilli(cl.park.deadline + 1)
	}
	arm(d)
	return true
}
