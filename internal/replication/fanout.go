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

// sharedFrames is how many recently published frames are kept (guarded by the engine lock).
const sharedFrames = 16

// sharedFrame is one Data frame over the backlog positions [start, end).
type sharedFrame struct {
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

// sharedAt returns a published frame starting at pos that a link with these filters can
// send, or nil. The caller holds the engine lock.
func (r *Replicator) sharedAt(pos uint64, skip oplog.Origins, vc clock.Vector) *sharedFrame {
	for _, f := range r.shared {
		if f != nil && f.start == pos && f.fits(skip, vc) {
			return f
		}
	}
	return nil
}

// publish keeps f for the other links. The caller holds the engine lock.
func (r *Replicator) publish(f *sharedFrame) {
	r.shared[r.sharedNext] = f
	r.sharedNext = (r.sharedNext + 1) % sharedFrames
}
