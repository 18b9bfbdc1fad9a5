package command

import (
	"cmp"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/concord-db/concord/internal/resp"
)

// Client is the state of one connection. Its fields are read and changed under the engine lock
// (every command holds it), except the output queue, which has its own mutex.
type Client struct {
	ID        int64
	Addr      string // remote address
	LocalAddr string
	FD        int
	Created   int64 // Unix ms
	LastCmdAt int64 // Unix ms of the latest command
	LastCmd   string
	Name      string
	DB        int
	Proto     int
	Authed    bool
	NoEvict   bool
	NoTouch   bool

	// W encodes replies into Out.
	W   *resp.Writer
	Out *Output
	// savedW is the reply writer put aside while CLIENT REPLY OFF sends replies nowhere.
	savedW *resp.Writer

	// MULTI state
	InMulti  bool
	MultiErr bool
	Queue    [][][]byte
	// WATCH state
	Watched   []watchedKey
	WatchDirt bool

	// subscriptions
	Channels map[string]struct{}
	Patterns map[string]struct{}

	// CloseAfterReply is set by QUIT and CLIENT KILL of oneself.
	CloseAfterReply bool
	ctx             Ctx      // reused by every command of this client
	lastCmd         *Command // the top-level command last looked up (lookup)
	inCall          bool     // ctx is in use (EXEC's queued commands get their own)

	// Kill closes the connection from another goroutine (set by the server).
	Kill   func()
	killed atomic.Bool

	// NoBlock makes blocking commands act as their non-blocking forms (set while a script
	// runs; EXEC needs no flag). See blocking.go.
	NoBlock bool
	// block is the blocking command the client is parked on, nil when none (engine lock).
	block *blockState
	// park is how the connection goroutine waits for a parked client without the engine lock.
	park parking
	// Interrupt makes the connection goroutine's pending socket read return at once, to wake a
	// parked client (set by the server; called with park.mu held, see ArmPark).
	Interrupt func()
}

// lookup is Lookup that remembers the client's last command: a pipeline mostly repeats one
// command, and comparing its name is cheaper than hashing it into the table.
func (cl *Client) lookup(name []byte) *Command {
	if c := cl.lastCmd; c != nil && equalFoldASCII(name, c.Name) {
		return c
	}
	c := Lookup(name)
	if c != nil {
		cl.lastCmd = c
	}
	return c
}

// equalFoldASCII reports whether b is lower, a lower-case ASCII name, in any case (the case
// folding Lookup does).
func equalFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// NewClient returns a client whose replies are queued in a new Output.
func NewClient(id int64) *Client {
	out := &Output{}
	return &Client{ID: id, Proto: 2, Out: out, W: resp.NewWriter(out)}
}

func sortClients(cls []*Client) {
	slices.SortFunc(cls, func(a, b *Client) int { return cmp.Compare(a.ID, b.ID) })
}

// Subscriptions is the number of channels and patterns subscribed.
func (cl *Client) Subscriptions() int { return len(cl.Channels) + len(cl.Patterns) }

// Subscribed reports whether the client is in RESP2 subscribed mode.
func (cl *Client) subscribedRESP2() bool { return cl.Proto == 2 && cl.Subscriptions() > 0 }

// MarkKilled records that the client was killed; it reports false if it already was.
func (cl *Client) MarkKilled() bool { return cl.killed.CompareAndSwap(false, true) }

// Output is a client's queue of encoded replies and pushed messages. The connection's goroutine
// moves it to the socket; once the client subscribes, a dedicated goroutine does, so that
// messages published by other clients reach it while its own goroutine waits for input. Writers
// (the client's own commands and publishers) only append, under the mutex, and never touch the
// socket, so a slow subscriber can never stall the engine.
type Output struct {
	mu      sync.Mutex
	buf     []byte
	spare   []byte
	push    bool          // a pusher goroutine owns the socket side
	wake    chan struct{} // signals the pusher
	Limit   int64         // pushed bytes allowed to wait (pub/sub hard limit), 0 = none
	Overrun bool          // the limit was passed; the client is to be closed
}

// Write appends encoded bytes (io.Writer for resp.Writer).
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf = append(o.buf, p...)
	if o.Limit > 0 && int64(len(o.buf)) > o.Limit {
		o.Overrun = true
	}
	o.mu.Unlock()
	return len(p), nil
}

// Pending is the number of bytes waiting.
func (o *Output) Pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf)
}

// WriteTo moves everything waiting to w.
func (o *Output) WriteTo(w io.Writer) (int64, error) {
	o.mu.Lock()
	o.buf, o.spare = o.spare[:0], o.buf
	out := o.spare
	o.mu.Unlock()
	if len(out) == 0 {
		return 0, nil
	}
	n, err := w.Write(out)
	if cap(out) > 1<<20 { // don't keep a huge buffer after a large reply
		o.mu.Lock()
		o.spare = nil
		o.mu.Unlock()
	}
	return int64(n), err
}

// StartPush switches the output to a pusher goroutine and returns the channel that wakes it;
// ok is false if it was already switched.
func (o *Output) StartPush() (wake chan struct{}, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.push {
		return o.wake, false
	}
	o.push = true
	o.wake = make(chan struct{}, 1)
	return o.wake, true
}

// Pushing reports whether a pusher goroutine owns the socket side.
func (o *Output) Pushing() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.push
}

// Wake signals the pusher that bytes are waiting.
func (o *Output) Wake() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.wake != nil {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
}

// StopPush ends the pusher (the connection is closing).
func (o *Output) StopPush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.wake != nil {
		close(o.wake)
		o.wake = nil
	}
}
