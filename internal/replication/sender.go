package replication

import (
	"errors"
	"iter"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/engine"
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

// StateSource exports the engine's state for a full resync: *engine.Engine.
type StateSource interface {
	// StartExport starts a copy-on-write export of the state as it is now (the caller holds
	// the engine lock), finished later without it; nil while another export (a BGSAVE's)
	// runs. engine/export.go.
	StartExport() *engine.Export
	// ExportState exports the state at once, under the lock throughout.
	ExportState() (clock.Vector, []byte)
}

// Resync is what a sender answers a peer's Sync with: the batches the peer lacks (Partial)
// or the whole state, then the sync point.
//
// A full resync's state is normally exported in the background: Handshake starts the export
// under the engine lock and Frames finishes it without the lock (the engine lock is taken in
// slices of about a millisecond, so the member's clients keep running while a large keyspace is
// encoded). A Resync whose Frames will not run to its end must be given up with Abort.
type Resync struct {
	Partial bool
	Held    [][]byte // Partial: the encoded batches the peer lacks, in apply order
	// Full: the state's vector clock and the state, in pieces. Set by Handshake when it had to
	// export under the lock (another export was running), else by Frames once the export is
	// finished (before it yields the first frame).
	StateVC clock.Vector
	State   [][]byte
	bg      *bgExport // full, exported in the background: what Frames finishes
	// SyncVC is the sync point: this member's vector clock when the resync was chosen, what
	// the peer has once it is received (a restarting peer learns from it how far its own
	// batches go here, startup.go).
	SyncVC clock.Vector
}

// bgExport is a full resync's background export, shared by the copies of its Resync (Abort
// may be called from another goroutine than the one iterating Frames).
type bgExport struct {
	x       *engine.Export
	aborted atomic.Bool
}

// Handshake answers the peer's Sync (its vector clock vc). now is this member's vector
// clock, src exports the engine's state for a full resync (nil when it cannot: the error is
// then ErrNoFullResync if a full resync is needed). The caller holds the engine lock.
//
// Choosing partial or full resync, where streaming starts and the state exported happen at
// once, in this one lock hold, so that nothing is sent twice or missed between the resync and
// the stream: the state is the engine's as of now, labelled with its vector clock now, and
// the stream starts with the batches committed after it. A full resync's export is started
// here and finished by Frames, without the lock (or done here, under the lock, while another
// export runs).
func (s *Sender) Handshake(vc, now clock.Vector, src StateSource) (Resync, error) {
	s.peerVC.Store(&vc)
	held, ok := s.backlog.Since(vc)
	s.cursor = s.backlog.End()
	rs := Resync{Partial: ok, Held: held, SyncVC: now}
	if ok {
		return rs, nil
	}
	if src == nil {
		return rs, ErrNoFullResync
	}
	if x := src.StartExport(); x != nil {
		rs.bg = &bgExport{x: x}
		return rs, nil
	}
	var state []byte
	rs.StateVC, state = src.ExportState()
	rs.State = [][]byte{state}
	return rs, nil
}

// Abort gives up the resync's background export if Frames has not finished it: every started
// export must be finished or aborted, or writers keep copies for it and no other export (the
// next BGSAVE) can start. A link that fails or closes before its resync is sent calls it. It
// may be called from any goroutine, more than once, also while Frames runs (Frames then
// yields nothing, unless the export had already finished: then Abort does nothing), but not
// with the engine lock held. It does nothing for a partial resync or a state exported under
// the lock.
func (rs *Resync) Abort() {
	if rs.bg != nil && !rs.bg.aborted.Swap(true) {
		rs.bg.x.Abort() // nothing left to do if Frames finished the export meanwhile
	}
}

// Frames are the frames of a resync, in order: the Mode frame; the batches as records packed
// into Data frames of dataChunk bytes (a record may span frames), or the state as StateBegin,
// StateChunk frames of at most stateChunk bytes and StateEnd; then the sync point (a Ping
// carrying SyncVC). A frame's payload is valid only until the next one is yielded.
//
// A full resync exported in the background is finished first, before the Mode frame (the peer
// waits longer for that frame than for the following ones): iterate Frames without the engine
// lock. If the resync is aborted before its export is finished, Frames yields nothing.
func (rs *Resync) Frames(dataChunk, stateChunk int) iter.Seq[peerwire.Frame] {
	return func(yield func(peerwire.Frame) bool) {
		if rs.bg != nil && rs.State == nil {
			if rs.bg.aborted.Load() {
				return
			}
			vc, state := rs.bg.x.FinishChunks()
			// An abort that ended the export first leaves a truncated state: check after.
			if rs.bg.aborted.Load() {
				return
			}
			rs.StateVC, rs.State = vc, state
		}
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
			begin := appendUvarint(peerwire.AppendVector(nil, rs.StateVC), uint64(rs.StateLen()))
			if !yield(peerwire.Frame{Type: peerwire.StateBegin, Payload: begin}) {
				return
			}
			for _, state := range rs.State {
				for len(state) > 0 {
					n := min(len(state), stateChunk)
					if !yield(peerwire.Frame{Type: peerwire.StateChunk, Payload: state[:n]}) {
						return
					}
					state = state[n:]
				}
			}
			if !yield(peerwire.Frame{Type: peerwire.StateEnd}) {
				return
			}
		}
		yield(peerwire.Frame{Type: peerwire.Ping, Payload: peerwire.AppendVector(nil, rs.SyncVC)})
	}
}

// StateLen is the size of a full resync's state in bytes (0 until it is exported).
func (rs *Resync) StateLen() int {
	n := 0
	for _, c := range rs.State {
		n += len(c)
	}
	return n
}

// Background reports whether a full resync's state is exported in the background and, once
// Frames has finished that export, how many times it took the engine lock and the longest
// hold (for the logs).
func (rs *Resync) Background() (bg bool, slices int, longest time.Duration) {
	if rs.bg == nil {
		return false, 0, 0
	}
	return true, rs.bg.x.Slices, rs.bg.x.MaxHold
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
