// Package replication links a member to its peers (active-active replication,
// /work/shared/spec/replication.md and docs/design/replication.md): it authenticates peer
// links, keeps the replication backlog (every batch applied here, local or relayed), streams to
// each peer what it lacks, resyncs a reconnecting peer from the backlog (partial) or by state
// merge (full), applies what peers send in causal order, and exchanges vector clocks (OVCs) to
// drive tombstone garbage collection. A member that starts refuses writes until it has its own
// earlier batches back from its peers (the startup gate, startup.go).
//
// Each member dials every peer and pulls: the dialing side (the receiver) sends its vector
// clock, the listening side (the sender) streams the batches the receiver lacks and keeps
// streaming new ones; the receiver acknowledges with its vector clock every OVC interval. So
// every pair of members has two connections, one per direction of data.
//
// Locks: the engine lock is taken before Replicator.mu, never after it, and no goroutine
// holds either while doing network I/O (docs/design/concurrency.md).
package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
)

// Peer is one configured peer.
type Peer struct {
	ID   clock.MemberID
	Addr string // host:port of its peer port
}

// Config sets up replication.
type Config struct {
	Member clock.MemberID
	Name   string
	Secret string
	Listen string // host:port to accept peer links on; "" accepts none
	Peers  []Peer
	// WrapListener, when set, wraps the peer port's listener and Dial, when set, opens the
	// connections to peers (plain TCP otherwise): TLS, tls-replication (package tlsconfig,
	// set by package node). The shared secret's handshake runs on top either way.
	WrapListener func(net.Listener) net.Listener
	Dial         func(ctx context.Context, addr string) (net.Conn, error)
	// BacklogSize bounds the backlog in bytes (crdt-backlog-size).
	BacklogSize int64
	// PendingLimit bounds, in bytes, the batches a link holds while waiting for their
	// dependencies; past it the link drops them and resyncs (crdt-causal-buffer-size).
	PendingLimit int64
	// OVCInterval is how often a receiver sends its vector clock to the sender (and so how
	// fresh lag and GC information are); GCInterval how often tombstones are collected.
	OVCInterval, GCInterval time.Duration
	// Compress enables compression of data frames above peerwire.CompressMin bytes, at
	// CompressionLevel (1..22; 0: 1): S2 at level 1, zstd at that level above
	// (peerwire.Writer.SetCompression).
	Compress         bool
	CompressionLevel int
	// MaxBandwidth caps, in bytes per second, what each link sends (0: no cap).
	MaxBandwidth int64
	// BatchMaxBytes is the size of the data frames a link gathers (0: 64 KiB); FlushInterval
	// the longest it keeps gathered data while more keeps coming (0: 1 ms).
	BatchMaxBytes int
	FlushInterval time.Duration
	// StartupSyncTimeout bounds how long a starting member waits for peers that neither
	// answer nor fail before it accepts writes (startup.go); 0: DefaultStartupSyncTimeout,
	// negative: no wait.
	StartupSyncTimeout time.Duration
	// Durable, when set, returns the vector clock of what the member's disk holds
	// (persist.Persister.DurableVector; nil: a restart would start empty). The member
	// advertises for tombstone collection no more than it (gc.go).
	Durable func() clock.Vector
	Log     *slog.Logger
}

// stateEngine is what full resync and garbage collection use of the engine (engine/state.go);
// an interface so that tests can see the sender refuse a full resync it cannot serve.
type stateEngine interface {
	StateSource // full resync (sender.go)
	MergeState(state []byte, theirs clock.Vector) (int, error)
	CollectGarbage(ovcs []clock.Vector) (attempted, collected int)
	PendingTombstones() int
}

var _ stateEngine = (*engine.Engine)(nil)

// Replicator is the replication layer of one member.
type Replicator struct {
	cfg Config
	e   *engine.Engine
	se  stateEngine // nil: full resync unavailable (tests only)
	log *slog.Logger

	// Guarded by the engine lock (the sink runs under it).
	backlog *oplog.Backlog
	// waiters are the sending links that have sent everything and wait for a batch they
	// would send: the sink wakes only those (a batch of an origin a link skips wakes nobody).
	waiters []waiter
	// shared are the Data frames published by sending links for the others (fanout.go).
	shared     [sharedFrames]*sharedFrame
	sharedNext int
	// framesBuilt counts the Data frames sending links encoded from the backlog, framesShared
	// those they took from another link instead.
	framesBuilt, framesShared atomic.Uint64

	lag lagTracker
	// recv is the causal delivery of every pulling link (receiver.go), made at first use.
	recv *Receiver

	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex // after the engine lock
	peers     map[clock.MemberID]*peer
	order     []clock.MemberID
	forgotten map[clock.MemberID]bool
	serving   map[clock.MemberID]*session
	onceKeys  map[string]bool
	gvcMin    clock.Vector
	forgets   uint64

	syncFull, partialOK, partialErr, mergeReqs atomic.Uint64
	gcAttempted, gcCollected                   atomic.Uint64
	gcPending                                  atomic.Int64
	// link holds the WAN settings of the sending links (LinkOptions), read by every link at
	// each batch so that SetLinkOptions applies to live links.
	link atomic.Pointer[LinkOptions]

	st startupState // the startup gate (startup.go)
}

// peer is the state kept about one configured peer.
type peer struct {
	id       clock.MemberID
	addr     string
	name     string       // from its Hello (mu)
	state    string       // of the link pulling from it: connecting, connected, down (mu)
	ovc      clock.Vector // the latest vector clock it acknowledged (mu)
	reason   string       // why the link is down, logged once (mu)
	cancel   context.CancelFunc
	pullConn net.Conn // the connection pulling from it, nil when none (mu)
	bytesIn  atomic.Uint64
	bytesOut atomic.Uint64
	// raw and wire count the data payload bytes sent to it before and after compression.
	raw, wire atomic.Uint64
}

// Link states (INFO crdt).
const (
	StateConnecting = "connecting"
	StateConnected  = "connected"
	StateDown       = "down"
)

// New builds the replication layer of e and registers its sink; it binds the peer port at once
// so that a port in use is reported at startup. Call before the engine serves commands.
func New(e *engine.Engine, cfg Config) (*Replicator, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.BacklogSize <= 0 {
		cfg.BacklogSize = 64 << 20
	}
	if cfg.PendingLimit <= 0 {
		cfg.PendingLimit = 16 << 20
	}
	if cfg.OVCInterval <= 0 {
		cfg.OVCInterval = 100 * time.Millisecond
	}
	if cfg.GCInterval <= 0 {
		cfg.GCInterval = time.Second
	}
	r := &Replicator{
		cfg:       cfg,
		e:         e,
		log:       cfg.Log.With("component", "replication"),
		backlog:   oplog.New(cfg.BacklogSize),
		peers:     map[clock.MemberID]*peer{},
		forgotten: map[clock.MemberID]bool{},
		serving:   map[clock.MemberID]*session{},
		onceKeys:  map[string]bool{},
	}
	r.se = e
	r.SetLinkOptions(LinkOptions{Compress: cfg.Compress, CompressionLevel: cfg.CompressionLevel,
		MaxBandwidth: cfg.MaxBandwidth, BatchMaxBytes: cfg.BatchMaxBytes, FlushInterval: cfg.FlushInterval})
	for _, p := range cfg.Peers {
		if p.ID == cfg.Member {
			return nil, fmt.Errorf("replication: peer %d has this member's own id", p.ID)
		}
		if r.peers[p.ID] != nil {
			return nil, fmt.Errorf("replication: duplicate peer id %d", p.ID)
		}
		r.peers[p.ID] = &peer{id: p.ID, addr: p.Addr, state: StateConnecting}
		r.order = append(r.order, p.ID)
	}
	slices.Sort(r.order)
	if cfg.Secret == "" {
		r.log.Warn("peer-secret is empty: peer links authenticate with an empty key; set peer-secret on every member")
	}
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("replication: peer port: %w", err)
		}
		if cfg.WrapListener != nil {
			ln = cfg.WrapListener(ln)
		}
		r.ln = ln
	}
	// State the engine already holds (loaded from files) never went through the sink: the
	// backlog cannot serve it, so a peer lacking any of it gets a full resync.
	e.Lock()
	r.backlog.Gap(e.Vector())
	e.Unlock()
	e.AddSink(r.sink)
	r.initStartup()
	return r, nil
}

// Addr is the address peer links are accepted on (nil when none).
func (r *Replicator) Addr() net.Addr {
	if r.ln == nil {
		return nil
	}
	return r.ln.Addr()
}

// Start runs the links: the listener, one puller per peer, and the GC cycle.
func (r *Replicator) Start(ctx context.Context) {
	r.ctx, r.cancel = context.WithCancel(ctx)
	if r.ln != nil {
		r.wg.Add(1)
		go r.acceptLoop()
	}
	r.mu.Lock()
	for _, id := range r.order {
		p := r.peers[id]
		pctx, cancel := context.WithCancel(r.ctx)
		p.cancel = cancel
		r.wg.Add(1)
		go r.runPeer(pctx, p)
	}
	r.mu.Unlock()
	r.wg.Add(1)
	go r.gcLoop()
	r.wg.Add(1)
	go r.startupLoop()
}

// Close stops every link and waits for the goroutines to end.
func (r *Replicator) Close() {
	if r.cancel != nil {
		r.cancel()
	}
	if r.ln != nil {
		r.ln.Close()
	}
	r.mu.Lock()
	for _, s := range r.serving {
		s.close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// sink receives every batch applied here, local or remote, under the engine lock: it goes
// into the backlog (so it is relayed) and wakes the streaming links.
func (r *Replicator) sink(b *effect.Effect) {
	if enc := r.e.Encoded(); enc != nil {
		r.backlog.AppendEncoded(enc) // a peer's batch: store the bytes received
	} else {
		r.backlog.Append(b)
	}
	if b.Origin == r.cfg.Member {
		r.lag.record(b.Seq, r.e.Now()) // the time read when the lock was taken: no clock read here
		r.noteOwn(b.Seq)
	}
	for i := 0; i < len(r.waiters); {
		w := r.waiters[i]
		if w.skip.Has(b.Origin) {
			i++
			continue
		}
		select {
		case w.s.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
		w.s.waiting = false
		last := len(r.waiters) - 1
		r.waiters[i], r.waiters[last] = r.waiters[last], waiter{}
		r.waiters = r.waiters[:last]
	}
}

// waiter is a sending link waiting for a batch whose origin is not in skip.
type waiter struct {
	s    *session
	skip oplog.Origins
}

// wait registers s to be woken (on s.wake) by the next batch whose origin is not in skip.
// The caller holds the engine lock.
func (r *Replicator) wait(s *session, skip oplog.Origins) {
	if s.waiting {
		for i := range r.waiters {
			if r.waiters[i].s == s {
				r.waiters[i].skip = skip
			}
		}
		return
	}
	s.waiting = true
	r.waiters = append(r.waiters, waiter{s, skip})
}

// unwait removes s from the waiters. The caller holds the engine lock.
func (r *Replicator) unwait(s *session) {
	if !s.waiting {
		return
	}
	s.waiting = false
	r.waiters = slices.DeleteFunc(r.waiters, func(w waiter) bool { return w.s == s })
}

// once reports whether key has not been logged yet since the last reset, and marks it.
func (r *Replicator) once(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.onceKeys[key] {
		return false
	}
	r.onceKeys[key] = true
	return true
}

func (r *Replicator) resetOnce(prefix string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.onceKeys {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			delete(r.onceKeys, k)
		}
	}
}

// ErrForgotten is the reason given to a forgotten member that reconnects.
var ErrForgotten = errors.New("member was forgotten (CRDT.FORGET)")

// Forget removes member id for good: its links close, it is refused if it reconnects, and GC
// no longer waits for it.
func (r *Replicator) Forget(id clock.MemberID) error {
	if id == r.cfg.Member {
		return errors.New("a member cannot forget itself")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forgotten[id] {
		return nil
	}
	r.forgotten[id] = true
	r.forgets++
	if p := r.peers[id]; p != nil {
		if p.cancel != nil {
			p.cancel()
		}
		p.state = StateDown
	}
	if s := r.serving[id]; s != nil {
		s.close()
	}
	r.log.Warn("member forgotten: its links are closed and it will be refused", "member", id)
	return nil
}
