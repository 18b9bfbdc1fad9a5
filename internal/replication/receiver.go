package replication

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/peerwire"
)

// The receive side of replication as a step-driven core without I/O, goroutines or clock
// reads: a Receiver (one per member) applies the batches and states its links bring, in causal
// order, and a Link (one per connection pulling from a peer) turns that connection's frames
// into those calls. pull.go drives them from sockets; internal/sim drives the same code from
// its simulated network, so what the simulator checks is what production runs.

// Host is what a Receiver acts on: the member's engine and backlog. Every method is called with
// the engine lock held.
type Host interface {
	// Apply applies a remote batch (engine.ApplyEncoded): nil when applied or already
	// applied, engine.ErrNotReady when a dependency is missing. enc is b's encoding as
	// received (nil when not known), valid only during the call: the backlog stores it as is
	// instead of encoding b again.
	Apply(b *effect.Effect, enc []byte) error
	// MergeState merges a peer's full state (engine.MergeState) and does the member's own
	// bookkeeping of a merge; it returns the keys merged.
	MergeState(state []byte, theirs clock.Vector) (int, error)
	// Gap tells the backlog that it cannot serve the batches a merge brought in (oplog.Gap).
	Gap(theirs clock.Vector)
}

// ErrOverflow is returned when the causal buffer passed its bound: it was dropped, and every
// link pulling into this member must resync (what was dropped came from any of them).
var ErrOverflow = errors.New("causal buffer full: dropping it and resyncing")

// ReceiverStats count what a Receiver did.
type ReceiverStats struct {
	Applied    uint64 // batches applied (directly or from the buffer)
	Duplicates uint64 // batches already applied, or already waiting in the buffer, when received
	Buffered   uint64 // batches that arrived before their dependencies
	Overflows  uint64 // times the buffer passed its bound and was dropped
	Merges     uint64 // full states merged
}

// Receiver is the causal delivery of one member, shared by all its links: a batch whose
// dependencies are missing waits in the causal buffer (it may wait for one arriving on another
// link, so every apply and merge drains the buffer), bounded by limit bytes of encoded batches.
// It is guarded by the engine lock: every method is called with it held.
type Receiver struct {
	host         Host
	limit        int64
	pending      []pendingBatch
	pendingBytes int64
	Stats        ReceiverStats
}

// pendingBatch is a buffered batch and its encoding (whose size the bound counts).
type pendingBatch struct {
	b   *effect.Effect
	enc []byte
}

// NewReceiver returns the receive side of a member acting on host, with a causal buffer of at
// most limit bytes.
func NewReceiver(host Host, limit int64) *Receiver {
	return &Receiver{host: host, limit: limit}
}

// Pending returns the number of buffered batches and their encoded size.
func (rc *Receiver) Pending() (batches int, bytes int64) { return len(rc.pending), rc.pendingBytes }

// Reset drops the buffer (the member's state is gone, as after a crash).
func (rc *Receiver) Reset() {
	clear(rc.pending)
	rc.pending, rc.pendingBytes = rc.pending[:0], 0
}

// Batch applies b, or buffers it until its dependencies are applied; a batch already applied
// or already buffered is dropped (links resend after a resync, and a batch may come from
// several members). Past the buffer's bound the buffer is dropped and ErrOverflow returned.
// enc is b's encoding as received (nil: not known), only read during the call.
func (rc *Receiver) Batch(b *effect.Effect, enc []byte) error {
	_, err := rc.batch(b, enc)
	return err
}

// batch is Batch, also reporting whether b was kept in the buffer (the caller must then not
// reuse it).
func (rc *Receiver) batch(b *effect.Effect, enc []byte) (kept bool, err error) {
	err = rc.host.Apply(b, enc)
	switch {
	case err == nil: // applied (tested first: errors.Is is a call, on every batch)
		rc.Stats.Applied++
		return false, rc.Drain()
	case errors.Is(err, engine.ErrNotReady):
		if slices.ContainsFunc(rc.pending, func(pb pendingBatch) bool { return pb.b.Dot() == b.Dot() }) {
			rc.Stats.Duplicates++
			return false, nil
		}
		rc.Stats.Buffered++
		if enc == nil {
			enc = effect.Encode(nil, b)
		} else {
			enc = slices.Clone(enc) // the caller's bytes are only valid during the call
		}
		rc.pending = append(rc.pending, pendingBatch{b, enc})
		rc.pendingBytes += int64(len(enc))
		if rc.pendingBytes > rc.limit {
			rc.Reset()
			rc.Stats.Overflows++
			return false, ErrOverflow
		}
		return true, nil
	default:
		return false, err
	}
}

// Drain applies the buffered batches that became ready, until none does; those applied
// meanwhile by other means (a merge) are dropped.
func (rc *Receiver) Drain() error {
	for progress := true; progress && len(rc.pending) > 0; {
		progress = false
		kept := rc.pending[:0]
		var failed error
		for _, pb := range rc.pending {
			if failed != nil {
				kept = append(kept, pb)
				continue
			}
			err := rc.host.Apply(pb.b, pb.enc)
			if errors.Is(err, engine.ErrNotReady) {
				kept = append(kept, pb)
				continue
			}
			rc.pendingBytes -= int64(len(pb.enc))
			if err != nil {
				failed = err
				continue
			}
			rc.Stats.Applied++
			progress = true
		}
		clear(rc.pending[len(kept):])
		rc.pending = kept
		if failed != nil {
			return failed
		}
	}
	return nil
}

// MergeState merges a peer's full state, records the backlog's gap and drains the buffer
// (buffered batches may have become ready, or been brought in by the merge).
func (rc *Receiver) MergeState(state []byte, theirs clock.Vector) (int, error) {
	n, err := rc.host.MergeState(state, theirs)
	if err != nil {
		return 0, err
	}
	rc.host.Gap(theirs)
	rc.Stats.Merges++
	return n, rc.Drain()
}

// EventKind is what a frame did that the driver of a link must act on.
type EventKind uint8

const (
	EventNone EventKind = iota
	// EventMerged: a full state was merged (Event.VC is the sender's clock with it). Links
	// streaming to peers that lack what it brought must resync them (ResyncAfterMerge).
	EventMerged
	// EventSyncPoint: the sender finished a resync; Event.VC is its vector clock at that
	// point (the startup gate, startup.go).
	EventSyncPoint
)

// Event is the outcome of one frame.
type Event struct {
	Kind  EventKind
	VC    clock.Vector
	Keys  int // EventMerged: keys merged
	Bytes int // EventMerged: size of the state
}

// Link is the receive state of one connection pulling from a peer: the record stream (a record
// may span frames) and a full state being received. A new connection starts a new Link.
type Link struct {
	rc      *Receiver
	lock    sync.Locker
	records peerwire.Records
	// The records of the Data frame being handled: decoded into batch (structs reused from
	// frame to frame, except those the causal buffer keeps), their bytes copied back to back
	// into encs (a record completed from an earlier frame's bytes lives in the Records'
	// buffer only during Feed) and delimited by ends.
	batch []*effect.Effect
	encs  []byte
	ends  []int

	inState  bool
	stateVC  clock.Vector
	stateLen uint64
	state    []byte
}

// NewLink returns the receive state of a new connection feeding rc; lock is the engine lock,
// taken around what touches the engine (never while a state is only being received).
func NewLink(rc *Receiver, lock sync.Locker) *Link { return &Link{rc: rc, lock: lock} }

// Handle processes one frame of the stream after the Mode frame. Any malformed frame or
// protocol error is returned (the connection must close); ErrOverflow too.
func (l *Link) Handle(f peerwire.Frame) (Event, error) {
	switch f.Type {
	case peerwire.Data:
		if l.inState {
			return Event{}, fmt.Errorf("%w: data inside a state transfer", peerwire.ErrFrame)
		}
		n := 0
		l.encs, l.ends = l.encs[:0], l.ends[:0]
		err := l.records.Feed(f.Payload, func(rec []byte) error {
			if n == len(l.batch) {
				l.batch = append(l.batch, &effect.Effect{})
			}
			if err := effect.DecodeInto(l.batch[n], rec); err != nil {
				return err
			}
			n++
			l.encs = append(l.encs, rec...)
			l.ends = append(l.ends, len(l.encs))
			return nil
		})
		if err != nil {
			return Event{}, err
		}
		err = l.apply(n)
		if cap(l.encs) > maxKeptRecords {
			l.encs = nil // a huge frame's worth: not held on to
		}
		return Event{}, err
	case peerwire.Ping:
		if len(f.Payload) == 0 {
			return Event{}, nil // keepalive
		}
		vc, err := peerwire.ParseWholeVector(f.Payload)
		if err != nil {
			return Event{}, fmt.Errorf("sync point: %w", err)
		}
		return Event{Kind: EventSyncPoint, VC: vc}, nil
	case peerwire.StateBegin:
		if l.inState {
			return Event{}, fmt.Errorf("%w: nested state transfer", peerwire.ErrFrame)
		}
		vc, total, err := peerwire.ParseStateBegin(f.Payload)
		if err != nil {
			return Event{}, err
		}
		if total > maxState {
			return Event{}, fmt.Errorf("%w: state of %d bytes", peerwire.ErrFrame, total)
		}
		l.inState, l.stateVC, l.stateLen, l.state = true, vc, total, nil
		return Event{}, nil
	case peerwire.StateChunk:
		if !l.inState || uint64(len(l.state)+len(f.Payload)) > l.stateLen {
			return Event{}, fmt.Errorf("%w: unexpected state chunk", peerwire.ErrFrame)
		}
		l.state = append(l.state, f.Payload...)
		return Event{}, nil
	case peerwire.StateEnd:
		if !l.inState || uint64(len(l.state)) != l.stateLen {
			return Event{}, fmt.Errorf("%w: incomplete state transfer", peerwire.ErrFrame)
		}
		l.inState = false
		state, vc := l.state, l.stateVC
		l.state = nil
		l.lock.Lock()
		defer l.lock.Unlock()
		n, err := l.rc.MergeState(state, vc)
		if err != nil {
			return Event{}, err
		}
		return Event{Kind: EventMerged, VC: vc, Keys: n, Bytes: len(state)}, nil
	case peerwire.Error:
		return Event{}, fmt.Errorf("%w: %s", errRefused, truncate(string(f.Payload), 200))
	}
	return Event{}, fmt.Errorf("%w: unexpected %s frame", peerwire.ErrFrame, f.Type)
}

// maxKeptRecords bounds the record buffer a Link keeps between frames (a frame of the usual
// size fits).
const maxKeptRecords = 256 << 10

// apply applies the first n decoded batches under one acquisition of the engine lock. A batch
// the causal buffer keeps is replaced by a new struct for the next frames.
func (l *Link) apply(n int) error {
	if n == 0 {
		return nil
	}
	l.lock.Lock()
	defer l.lock.Unlock()
	p, _ := l.lock.(interface{ Prefetch([]*effect.Effect) })
	start := 0
	for i, b := range l.batch[:n] {
		if p != nil && i%engine.PrefetchBatches == 0 {
			p.Prefetch(l.batch[i:min(i+engine.PrefetchBatches, n)]) // the next keys looked up together (engine.Prefetch)
		}
		kept, err := l.rc.batch(b, l.encs[start:l.ends[i]])
		if kept {
			l.batch[i] = &effect.Effect{}
		}
		if err != nil {
			return err
		}
		start = l.ends[i]
	}
	return nil
}

// ResyncAfterMerge returns, in order, the peers (other than from, whose state was merged) that
// must resync after a merge of theirs: those whose acknowledged clock (peers) lacks part of
// it. The backlog cannot stream them what the merge brought in (it recorded a gap), so their
// links close and they reconnect, by state if need be.
func ResyncAfterMerge(from clock.MemberID, theirs clock.Vector, peers map[clock.MemberID]clock.Vector) []clock.MemberID {
	var out []clock.MemberID
	for id, vc := range peers {
		if id != from && !covers(vc, theirs) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// covers reports whether v includes everything w does.
func covers(v, w clock.Vector) bool {
	for m := range w {
		if w[m] > v.Get(clock.MemberID(m)) {
			return false
		}
	}
	return true
}
