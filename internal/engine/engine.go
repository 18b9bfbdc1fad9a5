package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Config sets up an engine.
type Config struct {
	Member    clock.MemberID
	Databases int
	Clock     clock.Source // nil: the system clock
	Seed      uint64       // seeds the random choices (RANDOMKEY, expiry sampling)
	// KeepTombstones keeps dead keys until they are collected (members with peers).
	KeepTombstones bool
}

// Sink receives every committed batch, local or remote, in apply order. It must not retain the
// batch or its operations after it returns (the engine reuses them): it encodes what it needs.
type Sink func(*effect.Effect)

// Engine applies effects to a member's store.
type Engine struct {
	mu     sync.Mutex
	member clock.MemberID
	clock  *clock.Clock
	store  *store.Store
	rand   *rand.Rand

	seq  uint64       // this member's latest sequence number
	vc   clock.Vector // applied effects per origin
	deps clock.Vector // snapshot of vc shared by local batches; nil after a remote apply
	gc   gcState      // tombstone and contest-record collection (state.go)
	libs libRegistry  // function libraries (functions.go)
	exp  exportState  // the background state export running (export.go)

	batch *effect.Effect // the open local batch, nil when none
	spare *effect.Effect // a committed batch kept for reuse (sinks never retain batches)
	// encoded is the encoding of the remote batch being handed to the sinks, when its applier
	// had it (ApplyEncoded); nil otherwise.
	encoded []byte
	now     int64 // physical time read when the lock was taken (ms)
	// prefetched accumulates what Prefetch reads, so that the compiler keeps its loads.
	prefetched uintptr

	sinks []Sink
	// Hooks set by the layer above (command): keys changed (WATCH), databases flushed, pub/sub
	// messages to deliver locally (returns the number of receivers).
	OnTouch   func(db int, key string)
	OnFlush   func(db int)
	OnPublish func(channel, message []byte) int
	// OnRelease runs in Unlock, after the open batch is committed and before the lock is
	// released: the command layer serves the clients parked by blocking commands whose keys
	// were written under this acquisition, however they were written (a local command, a batch
	// applied from a peer). Its writes are committed before the lock is released.
	OnRelease func()
	// OnConflict is told of every conflict recorded (CRDT.CONFLICTS, conflicts.go), under the
	// lock; it must not retain c.
	OnConflict func(c *Conflict)
	conflicts  conflictLog

	Stats Stats
}

// Stats are counters reported by INFO.
type Stats struct {
	KeyspaceHits, KeyspaceMisses uint64
	ExpiredKeys                  uint64
	LocalEffects                 uint64 // batches made here
	RemoteEffects                uint64 // batches from peers applied (crdt_effect_reqs)
	FilteredEffects              uint64 // batches from peers dropped as already applied
	// Full resync and tombstone collection (state.go): keys merged (crdt_merge_reqs), states
	// merged (crdt_sync_full), tombstones waiting (crdt_gc_pending, as of the last collection
	// or merge), examined and dropped by collections (crdt_gc_attempted, crdt_gc_collected).
	MergedKeys, FullSyncs               uint64
	GCPending, GCAttempted, GCCollected uint64
}

// New returns an engine with an empty store.
func New(cfg Config) *Engine {
	src := cfg.Clock
	if src == nil {
		src = clock.System{}
	}
	if cfg.Databases <= 0 {
		cfg.Databases = 16
	}
	s := store.New(cfg.Databases)
	s.KeepTombstones = cfg.KeepTombstones
	e := &Engine{
		member: cfg.Member,
		clock:  clock.NewClock(src),
		store:  s,
		rand:   rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Member))),
	}
	e.vc = e.vc.Set(cfg.Member, 0)
	return e
}

// Lock acquires the engine for one command or transaction. The physical time is read once here
// and used for every expiry decision and timestamp until Unlock, as Redis does per command.
func (e *Engine) Lock() {
	e.mu.Lock()
	e.now = e.clock.PhysicalMillis()
}

// Unlock commits the open batch, if any, and releases the engine.
func (e *Engine) Unlock() {
	e.Commit()
	if e.OnRelease != nil {
		e.OnRelease()
		e.Commit()
	}
	e.mu.Unlock()
}

// AddSink registers a receiver of committed batches. Call before serving.
func (e *Engine) AddSink(s Sink) { e.sinks = append(e.sinks, s) }

// Member is this member's id.
func (e *Engine) Member() clock.MemberID { return e.member }

// Store gives read access to the keyspace. Callers hold the lock and never modify it directly.
func (e *Engine) Store() *store.Store { return e.store }

// Rand is the engine's random source (deterministic under a seed). Callers hold the lock.
func (e *Engine) Rand() *rand.Rand { return e.rand }

// Now is the physical time in ms used for expiry (read when the lock was taken).
func (e *Engine) Now() int64 { return e.now }

// Refresh re-reads the physical time (for long operations under one lock: DEBUG SLEEP).
func (e *Engine) Refresh() { e.now = e.clock.PhysicalMillis() }

// Seq is this member's latest sequence number.
func (e *Engine) Seq() uint64 { return e.seq }

// Vector returns a copy of the vector clock.
func (e *Engine) Vector() clock.Vector { return e.vc.Clone() }

// Emit stamps op into the open batch (opening one if needed), applies it and returns the result
// of applying it (the number of local receivers for Publish, 0 otherwise).
func (e *Engine) Emit(op effect.Op) int {
	e.open()
	e.batch.Ops = append(e.batch.Ops, op)
	return e.applyOp(e.batch, &e.batch.Ops[len(e.batch.Ops)-1])
}

// Stamp returns the stamp of the open batch, opening one if needed; commands use it as the
// creation stamp of values they create.
func (e *Engine) Stamp() clock.Stamp {
	e.open()
	return e.batch.Stamp()
}

func (e *Engine) open() {
	if e.batch != nil {
		return
	}
	if e.deps == nil {
		e.deps = e.vc.Clone()
	}
	e.seq++
	e.vc = e.vc.Set(e.member, e.seq)
	b := e.spare
	if b == nil {
		b = &effect.Effect{Ops: make([]effect.Op, 0, 1)}
	}
	e.spare = nil
	b.Origin, b.Seq, b.HLC, b.Deps = e.member, e.seq, e.clock.NowAt(e.now), e.deps
	e.batch = b
}

// recycle keeps a committed local batch for the next one.
func (e *Engine) recycle(b *effect.Effect) {
	clear(b.Ops) // drop references to values
	b.Ops = b.Ops[:0]
	if cap(b.Ops) > 64 {
		b.Ops = nil
	}
	b.Deps = nil
	e.spare = b
}

// Commit ends the open batch and hands it to the sinks. A batch without operations gives back
// its sequence number.
func (e *Engine) Commit() {
	b := e.batch
	if b == nil {
		return
	}
	e.batch = nil
	if len(b.Ops) == 0 {
		e.seq--
		e.vc = e.vc.Set(e.member, e.seq)
		e.recycle(b)
		return
	}
	e.Stats.LocalEffects++
	for _, s := range e.sinks {
		s(b)
	}
	e.recycle(b)
}

// ErrNotReady means a remote batch arrived before one it depends on.
var ErrNotReady = errors.New("engine: effect depends on effects not yet applied")

// Ready reports whether every batch b depends on has been applied.
func (e *Engine) Ready(b *effect.Effect) bool {
	if b.Seq != e.vc.Get(b.Origin)+1 {
		return false
	}
	for m, seq := range b.Deps {
		if clock.MemberID(m) != b.Origin && seq > e.vc.Get(clock.MemberID(m)) {
			return false
		}
	}
	return true
}

// Apply applies a batch made by another member (or replayed from a file). A batch already
// applied is dropped and counted; one that arrives before its dependencies is refused with
// ErrNotReady. The caller holds the lock.
func (e *Engine) Apply(b *effect.Effect) error { return e.ApplyEncoded(b, nil) }

// applyRemote is Apply; enc, when not nil, is b's encoding, which sinks get from Encoded.
func (e *Engine) applyRemote(b *effect.Effect, enc []byte) error {
	if b.Origin == 0 || int(b.Origin) > clock.MaxMembers {
		return fmt.Errorf("engine: effect from invalid member %d", b.Origin)
	}
	if b.Seq <= e.vc.Get(b.Origin) {
		e.Stats.FilteredEffects++
		return nil
	}
	if !e.Ready(b) {
		return ErrNotReady
	}
	e.Commit() // never interleave a remote batch with an open local one
	e.clock.Observe(b.HLC)
	for i := range b.Ops {
		e.applyOp(b, &b.Ops[i])
	}
	e.vc = e.vc.Set(b.Origin, b.Seq)
	if b.Origin == e.member && b.Seq > e.seq {
		e.seq = b.Seq // replaying our own file
	}
	e.deps = nil
	e.Stats.RemoteEffects++
	e.encoded = enc
	for _, s := range e.sinks {
		s(b)
	}
	e.encoded = nil
	return nil
}
