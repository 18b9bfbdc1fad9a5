package replication

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
)

func sbatch(m clock.MemberID, seq uint64, val string) *effect.Effect {
	return &effect.Effect{Origin: m, Seq: seq, HLC: clock.HLC(seq),
		Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte(val)}}}
}

// dotsOf returns the dots of the whole records in p.
func dotsOf(t *testing.T, p []byte) []clock.Dot {
	t.Helper()
	var rs peerwire.Records
	var out []clock.Dot
	if err := rs.Feed(p, func(rec []byte) error {
		b, err := effect.Decode(rec)
		if err != nil {
			return err
		}
		out = append(out, b.Dot())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rs.Pending() != 0 {
		t.Fatalf("frame does not end at a record boundary (%d bytes pending)", rs.Pending())
	}
	return out
}

func dots(ds ...[2]uint64) []clock.Dot {
	out := []clock.Dot{}
	for _, d := range ds {
		out = append(out, clock.Dot{Member: clock.MemberID(d[0]), Seq: d[1]})
	}
	return out
}

func sameDots(t *testing.T, what string, got, want []clock.Dot) {
	t.Helper()
	if len(got) == 0 {
		got = []clock.Dot{}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

// A handshake serves what the peer lacks from the backlog and the sync point; streaming then
// sends new batches of every origin but the peer's own, in one frame ending at a record
// boundary.
func TestSenderPartialResyncThenStream(t *testing.T) {
	bl := oplog.New(1 << 20)
	bl.Append(sbatch(1, 1, "a"))
	bl.Append(sbatch(2, 1, "b"))
	bl.Append(sbatch(3, 1, "c"))
	s := NewSender(1, 2, bl)
	now := clock.Vector(nil).Set(1, 1).Set(2, 1).Set(3, 1)
	rs, err := s.Handshake(clock.Vector(nil).Set(2, 1), now, nil)
	if err != nil || !rs.Partial || len(rs.Held) != 2 {
		t.Fatalf("partial=%v held=%d err=%v", rs.Partial, len(rs.Held), err)
	}
	var types []peerwire.Type
	var data []byte
	var sync clock.Vector
	for f := range rs.Frames(chunkSize, peerwire.MaxFrame/2) {
		types = append(types, f.Type)
		switch f.Type {
		case peerwire.Data:
			data = append(data, f.Payload...)
		case peerwire.Ping:
			sync, err = peerwire.ParseWholeVector(f.Payload)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(types) != 3 || types[0] != peerwire.Mode || types[1] != peerwire.Data || types[2] != peerwire.Ping {
		t.Fatalf("frames %v", types)
	}
	sameDots(t, "resync", dotsOf(t, data), dots([2]uint64{1, 1}, [2]uint64{3, 1}))
	if !sync.Equal(now) {
		t.Fatalf("sync point %v, want %v", sync, now)
	}
	if st := s.Next(chunkSize, nil); st.Kind != StepNone || !st.CaughtUp {
		t.Fatalf("after the resync: %+v", st)
	}
	bl.Append(sbatch(1, 2, "d"))
	bl.Append(sbatch(2, 2, "e")) // the peer's own: never sent back
	bl.Append(sbatch(3, 2, "f"))
	st := s.Next(chunkSize, nil)
	if st.Kind != StepBuild || !st.CaughtUp || st.Frame == nil {
		t.Fatalf("stream step %+v", st)
	}
	sameDots(t, "stream", dotsOf(t, st.Records), dots([2]uint64{1, 2}, [2]uint64{3, 2}))
	if !st.Skip.Has(2) || st.Skip.Has(1) || st.Skip.Has(3) {
		t.Fatalf("skip %b", st.Skip)
	}
}

// A frame holds whole records up to the frame size; a record larger than a frame goes alone,
// spanning frames.
func TestSenderFramesEndAtRecordBoundaries(t *testing.T) {
	bl := oplog.New(1 << 20)
	s := NewSender(1, 2, bl)
	if _, err := s.Handshake(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		bl.Append(sbatch(1, uint64(i+1), "v"))
	}
	big := strings.Repeat("x", 500)
	bl.Append(sbatch(1, 11, big))
	var got []clock.Dot
	var records []byte
	for range 20 {
		st := s.Next(120, nil)
		switch st.Kind {
		case StepBuild:
			if len(st.Records) > 120 {
				t.Fatalf("frame of %d bytes", len(st.Records))
			}
			got = append(got, dotsOf(t, st.Records)...)
		case StepRecords:
			n := 0
			for p := range RecordFrames(st.Records, 120) {
				if len(p) > 120 {
					t.Fatalf("frame of %d bytes", len(p))
				}
				records = append(records, p...)
				n++
			}
			if n < 2 {
				t.Fatalf("a %d-byte record in %d frames", len(st.Records), n)
			}
			got = append(got, dotsOf(t, records)...)
		default:
			t.Fatalf("step %+v", st)
		}
		if st.CaughtUp {
			break
		}
	}
	if len(got) != 11 || got[10] != (clock.Dot{Member: 1, Seq: 11}) {
		t.Fatalf("sent %v", got)
	}
}

// Batches of members the peer pulls from directly are not relayed; when one leaves the
// peer's direct set (its ack), the next step rewinds: what the peer lacks of it, from the
// backlog.
func TestSenderSkipsDirectOriginsAndRewinds(t *testing.T) {
	bl := oplog.New(1 << 20)
	s := NewSender(1, 2, bl)
	if _, err := s.Handshake(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	direct := uint64(oplog.Origins(0).With(3))
	if s.Ack(nil, direct) {
		t.Fatal("a member joining the direct set kicked a rewind")
	}
	bl.Append(sbatch(3, 1, "a"))
	bl.Append(sbatch(1, 1, "b"))
	bl.Append(sbatch(3, 2, "c"))
	st := s.Next(chunkSize, nil)
	sameDots(t, "while 3 is direct", dotsOf(t, st.Records), dots([2]uint64{1, 1}))
	if !st.Skip.Has(3) || !st.CaughtUp {
		t.Fatalf("step %+v", st)
	}
	// The peer got 3:1 from 3 before losing that link.
	if !s.Ack(clock.Vector(nil).Set(3, 1).Set(1, 1), 0) {
		t.Fatal("a member leaving the direct set did not kick a rewind")
	}
	st = s.Next(chunkSize, nil)
	if st.Kind != StepRecords || !st.CaughtUp {
		t.Fatalf("rewind step %+v", st)
	}
	sameDots(t, "rewind", dotsOf(t, st.Records), dots([2]uint64{3, 2}))
	bl.Append(sbatch(3, 3, "d"))
	st = s.Next(chunkSize, nil)
	sameDots(t, "after the rewind", dotsOf(t, st.Records), dots([2]uint64{3, 3}))
}

// fixedState is a StateSource that cannot start a background export (as while a BGSAVE's
// runs): its state is exported under the lock, at the handshake.
type fixedState struct {
	vc    clock.Vector
	state []byte
}

func (f fixedState) StartExport() *engine.Export         { return nil }
func (f fixedState) ExportState() (clock.Vector, []byte) { return f.vc, f.state }

// A peer further behind than the backlog holds: a full resync at the handshake (or an error
// when the engine cannot export), and StepBehind while streaming.
func TestSenderFullResyncAndBehind(t *testing.T) {
	bl := oplog.New(200)
	for i := range 20 {
		bl.Append(sbatch(1, uint64(i+1), "v"))
	}
	s := NewSender(1, 2, bl)
	if _, err := s.Handshake(nil, nil, nil); !errors.Is(err, ErrNoFullResync) {
		t.Fatalf("err %v", err)
	}
	state := bytes.Repeat([]byte("s"), 10)
	rs, err := s.Handshake(nil, nil, fixedState{clock.Vector(nil).Set(1, 20), state})
	if err != nil || rs.Partial {
		t.Fatalf("partial=%v err=%v", rs.Partial, err)
	}
	if bg, _, _ := rs.Background(); bg || rs.StateLen() != len(state) {
		t.Fatalf("background %v, %d bytes exported at the handshake", bg, rs.StateLen())
	}
	var types []peerwire.Type
	var got []byte
	for f := range rs.Frames(chunkSize, 4) {
		types = append(types, f.Type)
		if f.Type == peerwire.StateChunk {
			got = append(got, f.Payload...)
		}
	}
	want := []peerwire.Type{peerwire.Mode, peerwire.StateBegin, peerwire.StateChunk, peerwire.StateChunk,
		peerwire.StateChunk, peerwire.StateEnd, peerwire.Ping}
	if len(types) != len(want) || !bytes.Equal(got, state) {
		t.Fatalf("frames %v, state %q", types, got)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("frames %v", types)
		}
	}
	// Streaming from a cursor the backlog evicted.
	s2 := NewSender(1, 3, bl)
	if _, err := s2.Handshake(clock.Vector(nil).Set(1, 20), nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		bl.Append(sbatch(1, uint64(21+i), "v"))
	}
	if st := s2.Next(chunkSize, nil); st.Kind != StepBehind {
		t.Fatalf("step %+v", st)
	}
}

// Links in step share the frame one of them built; a link whose peer already has some of its
// records, or that skips other origins, reads for itself.
func TestSenderSharesFramesOnlyWhenTheReadWouldBeTheSame(t *testing.T) {
	bl := oplog.New(1 << 20)
	var cache FrameCache
	to2, to3, to4 := NewSender(1, 2, bl), NewSender(1, 3, bl), NewSender(1, 4, bl)
	for _, s := range []*Sender{to2, to3, to4} {
		if _, err := s.Handshake(nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	bl.Append(sbatch(1, 1, "a"))
	bl.Append(sbatch(5, 1, "b"))
	to4.Ack(clock.Vector(nil).Set(5, 1), 0) // peer 4 has 5:1 already
	a := to2.Next(chunkSize, &cache)
	if a.Kind != StepBuild {
		t.Fatalf("first link: %+v", a)
	}
	a.Frame.Finish([]byte("wire"))
	b := to3.Next(chunkSize, &cache)
	if b.Kind != StepShared || b.Frame != a.Frame {
		t.Fatalf("second link: %+v", b)
	}
	if w, raw := b.Frame.Wire(); string(w) != "wire" || raw != len(a.Records) {
		t.Fatalf("wire %q raw %d", w, raw)
	}
	c := to4.Next(chunkSize, &cache)
	if c.Kind != StepBuild {
		t.Fatalf("third link: %+v", c)
	}
	sameDots(t, "third link", dotsOf(t, c.Records), dots([2]uint64{1, 1}))
}

// An ack that lands while a step is reading its filters (production reads acks on another
// goroutine, without the engine lock) must not make the rewind it asks for use the old
// direct set: the batches of the member that left it would never be sent (bug 5 of
// docs/testing.md).
func TestSenderRewindRacingAnAckUsesTheNewDirectSet(t *testing.T) {
	bl := oplog.New(1 << 20)
	s := NewSender(1, 2, bl)
	if _, err := s.Handshake(nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	s.Ack(nil, uint64(oplog.Origins(0).With(3)))
	bl.Append(sbatch(3, 1, "a")) // skipped: the peer gets it from 3
	if st := s.Next(chunkSize, nil); st.Kind != StepNone || !st.CaughtUp {
		t.Fatalf("step %+v", st)
	}
	// The peer loses its link to 3 before getting 3:1; its ack arrives during the next step.
	stepHook = func() { s.Ack(nil, 0) }
	defer func() { stepHook = nil }()
	var sent []clock.Dot
	for range 3 {
		st := s.Next(chunkSize, nil)
		stepHook = nil
		sent = append(sent, dotsOf(t, st.Records)...)
	}
	sameDots(t, "sent", sent, dots([2]uint64{3, 1}))
}
