package replication

import (
	"sync"
	"sync/atomic"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/oplog"
)

// Shared frames. Every sending link reads the same backlog, and when peers are in step they
// send the same records: the batches made on this member go to every peer. So a link that
// reads a run of records publishes the Data frame it encodes (compression, framing, CRC) for
// the others: a link whose cursor is at the start of a published frame and whose filters
// would select exactly the same records writes that frame as it is. Links that read at the
// same wake-up stay in step (the second one finds the frame of the first, and continues where
// it ends), so a member's own batches are compressed once, whatever the number of peers.
//
// A Sender (sender.go) finds and publishes frames through a FrameShare: the Replicator's ring
// in production (replShares), a FrameCache in the simulator, which does the same bookkeeping
// with uncompressed frames.
//
// Buffers. serve.go encodes a frame into a buffer from wirePool (FinishPooled) and the buffer
// goes back to the pool once nothing uses it any more: a frame counts its holders (the link
// that built it, each link that took it, the ring while the frame is in it) and the last
// Release recycles the buffer. A new buffer per frame was fresh memory for as long as the heap
// grew (which it does while the backlog fills), and a fresh page costs a page fault: about
// 0.1 µs per replicated SET on the writing member, for the first write into each frame.

// sharedFrames is how many recently published frames are kept (guarded by the engine lock).
const sharedFrames = 16

// SharedFrame is one Data frame over the backlog positions [start, end), built by one link
// (a StepBuild step) and possibly sent by others (StepShared).
type SharedFrame struct {
	start, end uint64
	// What the link that built it read: skip was its skip set, info what its read saw
	// (origins passed, lowest sequence number sent per origin).
	skip oplog.Origins
	info oplog.ReadInfo
	raw  int    // payload length before compression
	wire []byte // the encoded frame, set before ready is closed
	// ready is closed once wire is set (by the link that built it, outside the engine lock).
	ready chan struct{}
	// refs counts the frame's holders; pooled says wire goes back to wirePool when the last
	// one releases it.
	refs   atomic.Int32
	pooled bool
}

// sharedFrame is SharedFrame under its name inside the package.
type sharedFrame = SharedFrame

// Finish sets the encoded frame (nil when encoding failed) and releases the links waiting
// for it. The link that built the frame calls it once, without the engine lock.
func (f *SharedFrame) Finish(wire []byte) {
	f.wire = wire
	close(f.ready)
}

// FinishPooled is Finish for a frame encoded into a buffer from getWire: the buffer returns
// to the pool once every holder has called Release.
func (f *SharedFrame) FinishPooled(wire []byte) {
	f.pooled = true
	f.Finish(wire)
}

// hold counts one more holder: the ring that keeps the frame, or a link that takes it (under
// the engine lock, while the ring still holds it).
func (f *SharedFrame) hold() { f.refs.Add(1) }

// Release says that a holder is done with the frame: the link that built it or took it,
// after writing it (the bytes are copied or sent by then), or the ring evicting it. The
// last release of a pooled frame recycles its buffer. A holder that never releases (a link
// that stops) only keeps the buffer from being recycled.
func (f *SharedFrame) Release() {
	if f.refs.Add(-1) == 0 && f.pooled {
		w := f.wire
		f.wire = nil
		putWire(w)
	}
}

// wirePool holds encoded-frame buffers for reuse (*[]byte, length 0).
var wirePool sync.Pool

// getWire returns an empty buffer for an encoded frame, with at least n bytes of capacity.
func getWire(n int) []byte {
	if p, _ := wirePool.Get().(*[]byte); p != nil && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]byte, 0, max(n, 4<<10))
}

// putWire puts an encoded frame's buffer back (not huge ones: they would be kept for little).
func putWire(b []byte) {
	if b == nil || cap(b) > 2*1<<20 {
		return
	}
	b = b[:0]
	wirePool.Put(&b)
}

// Ready is closed once Finish was called.
func (f *SharedFrame) Ready() <-chan struct{} { return f.ready }

// Wire is the encoded frame (once Ready) and the length of its payload before compression;
// nil when the builder could not encode it.
func (f *SharedFrame) Wire() ([]byte, int) { return f.wire, f.raw }

// fits reports whether a link with skip set skip and peer clock vc reading from f.start would
// have read exactly f's records.
func (f *sharedFrame) fits(skip oplog.Origins, vc clock.Vector) bool {
	if f.info.Covered || skip&f.info.Seen != f.skip&f.info.Seen {
		return false
	}
	for m, low := range f.info.Min {
		if low != 0 && vc.Get(clock.MemberID(m)) >= low {
			return false // the peer has some of them: the builder's read was not its read
		}
	}
	return true
}

// sharedIn returns a frame of frames starting at pos that a link with these filters can
// send, or nil.
func sharedIn(frames []*SharedFrame, pos uint64, skip oplog.Origins, vc clock.Vector) *SharedFrame {
	for _, f := range frames {
		if f != nil && f.start == pos && f.fits(skip, vc) {
			return f
		}
	}
	return nil
}

// sharedAt returns a published frame starting at pos that a link with these filters can
// send, or nil. The caller holds the engine lock.
func (r *Replicator) sharedAt(pos uint64, skip oplog.Origins, vc clock.Vector) *sharedFrame {
	return sharedIn(r.shared[:], pos, skip, vc)
}

// publish keeps f for the other links. The caller holds the engine lock.
func (r *Replicator) publish(f *sharedFrame) {
	publishIn(r.shared[:], &r.sharedNext, f)
}

// publishIn puts f in the ring frames at *next, releasing the frame it replaces.
func publishIn(frames []*SharedFrame, next *int, f *SharedFrame) {
	if old := frames[*next]; old != nil {
		old.Release()
	}
	f.hold()
	frames[*next] = f
	*next = (*next + 1) % len(frames)
}

// replShares is a Replicator's ring of published frames as a Sender's FrameShare.
type replShares struct{ r *Replicator }

func (s replShares) SharedAt(pos uint64, skip oplog.Origins, vc clock.Vector) *SharedFrame {
	return s.r.sharedAt(pos, skip, vc)
}
func (s replShares) Publish(f *SharedFrame) { s.r.publish(f) }

// FrameCache is a ring of recently published frames, as a FrameShare for a driver other than
// Replicator (the simulator: one per member, guarded by its engine lock).
type FrameCache struct {
	frames [sharedFrames]*SharedFrame
	next   int
}

// SharedAt returns a published frame starting at pos that a link with these filters can send.
func (c *FrameCache) SharedAt(pos uint64, skip oplog.Origins, vc clock.Vector) *SharedFrame {
	return sharedIn(c.frames[:], pos, skip, vc)
}

// Publish keeps f for the other links.
func (c *FrameCache) Publish(f *SharedFrame) { publishIn(c.frames[:], &c.next, f) }
