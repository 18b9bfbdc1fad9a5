package replication

import (
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
}

// sharedFrame is SharedFrame under its name inside the package.
type sharedFrame = SharedFrame

// Finish sets the encoded frame (nil when encoding failed) and releases the links waiting
// for it. The link that built the frame calls it once, without the engine lock.
func (f *SharedFrame) Finish(wire []byte) {
	f.wire = wire
	close(f.ready)
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
	r.shared[r.sharedNext] = f
	r.sharedNext = (r.sharedNext + 1) % sharedFrames
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
func (c *FrameCache) Publish(f *SharedFrame) {
	c.frames[c.next] = f
	c.next = (c.next + 1) % sharedFrames
}
