package replication

import (
	"errors"
	"iter"
	"sync/atomic"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
)

// The sending side of a link as a step-driven core without I/O, goroutines or clock reads:
// serve.go drives it from a socket (waiting for the sink's wake-ups, writing frames, reading
// acks) and the simulator (internal/sim) drives the same code from its network. Every
// decision about what a peer is sent lives here: partial or full resync and the sync point
// (Handshake), which origins are relayed to the peer, the rewind when a member leaves the
// peer's direct set, where the backlog cursor goes, and how records are cut into Data frames
// that end at record boundaries and are shared between links (Next, with fanout.go).

// ErrNoFullResync is returned by Handshake when the peer needs a full resync and the engine
// cannot export its state.
var ErrNoFullResync = errors.New("full resync needed but the engine cannot export its state")

// Sender is the sending state of one link: this member streams to peer.
//
// Handshake and Next must be called with the engine lock held (they read the backlog, which
// the engine sink appends to under that lock). Ack, PeerVC and Direct may be called from any
// goroutine: production reads acks on another goroutine than the one that streams.
type Sender struct {
	self, peer clock.MemberID
	backlog    *oplog.Backlog
	cursor     uint64 // backlog position of the next batch to consider

	peerVC atomic.Pointer[clock.Vector] // what the peer has acknowledged (its Sync, then acks)
	// direct is the set of members the peer pulls from directly (oplog.Origins bits), from its
	// acks: their batches reach it without this member relaying them. When a member leaves the
	// set, rewind makes the next step send what the peer lacks of it from the backlog.
	direct atomic.Uint64
	rewind atomic.Bool

	out  []byte // the records of the last step (reused)
	info oplog.ReadInfo
}

// NewSender returns the sending state of a link from member self to peer over backlog.
func NewSender(self, peer clock.MemberID, backlog *oplog.Backlog) *Sender {
	return &Sender{self: self, peer: peer, backlog: backlog}
}

// Resync is what a sender answers a peer's Sync with: the batches the peer lacks (Partial)
// or the whole state, then the sync point.
type Resync struct {
	Partial bool
	Held    [][]byte     // Partial: the encoded batches the peer lacks, in apply order
	StateVC clock.Vector // full: the state's vector clock
	State   []byte       // full: the exported state
	// SyncVC is the sync point: this member's vector clock when the resync was chosen, what
	// the peer has once it is received (a restarting peer learns from it how far its own
	// batches go here, startup.go).
	SyncVC clock.Vector
}

// Handshake answers the peer's Sync (its vector clock vc). now is this member's vector
// clock, export exports the engine's state (nil when it cannot: the error is then
// ErrNoFullResync if a full resync is needed). Choosing partial or full resync and where
// streaming starts happens at once, under the engine lock the caller holds, so that nothing
// is sent twice or missed between the resync and the stream.
func (s *Sender) Handshake(vc, now clock.Vector, export func() (clock.Vector, []byte)) (Resync, error) {
	s.peerVC.Store(&vc)
	held, ok := s.backlog.Since(vc)
	s.cursor = s.backlog.End()
	rs := Resync{Partial: ok, Held: held, SyncVC: now}
	if ok {
		return rs, nil
	}
	if export == nil {
		return rs, ErrNoFullResync
	}
	rs.StateVC, rs.State = export()
	return rs, nil
}

// Frames are the frames of a resync, in order: the Mode frame; the batches as records packed
// into Data frames of dataChunk bytes (a record may span frames), or the state as StateBegin,
// StateChunk frames of at most stateChunk bytes and StateEnd; then the sync point (a Ping
// carrying SyncVC). A frame's payload is valid only until the next one is yielded.
func (rs *Resync) Frames(dataChunk, stateChunk int) iter.Seq[peerwire.Frame] {
	return func(yield func(peerwire.Frame) bool) {
		if rs.Partial {
			if !yield(peerwire.Frame{Type: peerwire.Mode, Payload: []byte{peerwire.ModePartial}}) {
				return
			}
			var buf []byte
			for _, rec := range rs.Held {
				buf = peerwire.AppendRecord(buf, rec)
				for len(buf) >= dataChunk {
					if !yield(peerwire.Frame{Type: peerwire.Data, Payload: buf[:dataChunk]}) {
						return
					}
					buf = append(buf[:0], buf[dataChunk:]...)
				}
			}
			if len(buf) > 0 && !yield(peerwire.Frame{Type: peerwire.Data, Payload: buf}) {
				return
			}
		} else {
			if !yield(peerwire.Frame{Type: peerwire.Mode, Payload: []byte{peerwire.ModeFull}}) {
				return
			}
			begin := appendUvarint(peerwire.AppendVector(nil, rs.StateVC), uint64(len(rs.State)))
			if !yield(peerwire.Frame{Type: peerwire.StateBegin, Payload: begin}) {
				return
			}
			for state := rs.State; len(state) > 0; {
				n := min(len(state), stateChunk)
				if !yield(peerwire.Frame{Type: peerwire.StateChunk, Payload: state[:n]}) {
					return
				}
				state = state[n:]
			}
			if !yield(peerwire.Frame{Type: peerwire.StateEnd}) {
				return
			}
		}
		yield(peerwire.Frame{Type: peerwire.Ping, Payload: peerwire.AppendVector(nil, rs.SyncVC)})
	}
}

// Ack records the peer's ack: its vector clock and the members it pulls from directly. It
// reports whether the stepping side must be woken: a member left the direct set, so what
// the peer lacks of it may have been skipped and the next step rewinds.
func (s *Sender) Ack(vc clock.Vector, direct uint64) (kick bool) {
	s.peerVC.Store(&vc)
	if old := s.direct.Swap(direct); old&^direct != 0 {
		s.rewind.Store(true)
		return true
	}
	return false
}

// PeerVC is the peer's latest acknowledged vector clock (nil before its Sync).
func (s *Sender) PeerVC() clock.Vector {
	if p := s.peerVC.Load(); p != nil {
		return *p
	}
	return nil
}

// Direct is the set of members the peer pulls from directly (oplog.Origins bits).
func (s *Sender) Direct() uint64 { return s.direct.Load() }

// Skip is the set of origins not relayed to the peer: batches of members it pulls from
// directly (their origin sends them) and its own; this member's own batches always go.
func (s *Sender) Skip() oplog.Origins {
	skip := oplog.Origins(s.direct.Load()).With(s.peer)
	return skip &^ oplog.Origins(0).With(s.self)
}

// StepKind is what a step asks the driver to send.
type StepKind uint8

const (
	// StepNone: nothing to send.
	StepNone StepKind = iota
	// StepBuild: Records are one Data frame's payload, whole records; the driver encodes it,
	// hands the encoded frame to Frame.Finish (other links may be waiting for it) and sends it.
	StepBuild
	// StepShared: send Frame, which another link built, once it is ready.
	StepShared
	// StepRecords: Records (a rewind, or a lone record larger than a frame) go as Data frames
	// of at most the step's size each (RecordFrames); a record may span frames.
	StepRecords
	// StepBehind: the peer fell further behind than the backlog holds. The link must close:
	// the peer reconnects and resyncs (partially if its acknowledged clock allows, else by
	// state).
	StepBehind
)

// Step is what one call of Next decided.
type Step struct {
	Kind    StepKind
	Records []byte // StepBuild, StepRecords: valid until the next call of Next
	// Frame (StepBuild, StepShared) counts the link as one of its holders: a driver whose
	// frames come from the buffer pool (serve.go) calls Frame.Release once it has sent the
	// frame or given up on it; one that does not pool (the simulator) need not.
	Frame *SharedFrame
	// CaughtUp is set when the cursor reached the backlog's end: the driver flushes and waits
	// until the sink appends a batch whose origin is not in Skip (or an ack kicks a rewind).
	CaughtUp bool
	Skip     oplog.Origins
}

// FrameShare is where links publish the Data frames they build and find those of others
// (fanout.go): Replicator's ring in production, a FrameCache in the simulator. Both are
// guarded by the engine lock.
type FrameShare interface {
	SharedAt(pos uint64, skip oplog.Origins, vc clock.Vector) *SharedFrame
	Publish(f *SharedFrame)
}

// Next decides what to send next, reading whole records from the cursor on, up to size bytes
// (one Data frame). share may be nil (no frame sharing). The caller holds the engine lock.
func (s *Sender) Next(size int, share FrameShare) Step {
	if cap(s.out) > 4*size {
		s.out = nil // a rewind or a huge record: do not keep its buffer
	}
	// The rewind flag is taken before the filters are read. Ack stores the direct set before
	// the flag, so a rewind seen here is done with (at least) the direct set that asked for it.
	// The other way round, an ack landing between the two reads would have the rewind use the
	// old set, which still skips the member that left: what the peer lacks of it would never
	// be sent (docs/testing.md, bug 5).
	rewind := s.rewind.Swap(false)
	if stepHook != nil {
		stepHook()
	}
	skip := s.Skip()
	vc := s.PeerVC()
	st := Step{Skip: skip}
	s.out = s.out[:0]
	ok := true
	if rewind {
		// A member left the peer's direct set: what the peer lacks of it may have been
		// skipped. Send, in backlog order, everything it lacks but what it still gets.
		var recs [][]byte
		recs, ok = s.backlog.Rewind(vc, skip)
		s.cursor = s.backlog.End()
		for _, rec := range recs {
			s.out = peerwire.AppendRecord(s.out, rec)
		}
		st.Kind, st.Records = StepRecords, s.out
	} else if f := sharedAt(share, s.cursor, skip, vc); f != nil {
		s.cursor = f.end
		f.hold()
		st.Kind, st.Frame = StepShared, f
	} else {
		start := s.cursor
		s.out, s.cursor, ok = s.backlog.ReadRecords(s.cursor, skip, vc, size, s.out, &s.info)
		st.Kind, st.Records = StepRecords, s.out
		if ok && len(s.out) > 0 && len(s.out) <= size {
			f := &SharedFrame{start: start, end: s.cursor, skip: skip, info: s.info, raw: len(s.out),
				ready: make(chan struct{})}
			s.info = oplog.ReadInfo{} // f keeps its Min
			f.hold()
			st.Kind, st.Frame = StepBuild, f
			if share != nil && !f.info.Covered {
				share.Publish(f)
			}
		}
	}
	if !ok {
		return Step{Kind: StepBehind, Skip: skip}
	}
	if st.Kind == StepRecords && len(st.Records) == 0 {
		st.Kind, st.Records = StepNone, nil
	}
	st.CaughtUp = s.cursor == s.backlog.End()
	return st
}

// stepHook, when set (tests only), runs in Next between taking the rewind flag and reading
// the filters: where an ack from the reading goroutine may land.
var stepHook func()

func sharedAt(share FrameShare, pos uint64, skip oplog.Origins, vc clock.Vector) *SharedFrame {
	if share == nil {
		return nil
	}
	return share.SharedAt(pos, skip, vc)
}

// RecordFrames cuts records (a StepRecords step's) into Data frame payloads of at most size
// bytes; a record that does not fit spans frames (the receiver reassembles it).
func RecordFrames(records []byte, size int) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for len(records) > 0 {
			n := min(len(records), size)
			if !yield(records[:n]) {
				return
			}
			records = records[n:]
		}
	}
}
