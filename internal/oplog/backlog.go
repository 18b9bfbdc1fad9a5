// Package oplog keeps the replication backlog: the most recent effect batches applied on this
// member, local and relayed, encoded (effect.Encode) in apply order, up to a byte budget
// (repl-backlog-size). A peer that reconnects with vector clock V is sent every held batch that V
// does not cover (partial resync), provided the backlog still holds everything V lacks; when a
// batch V lacks has been evicted, the peer needs a full resync.
//
// Because batches are held in apply order, which is a causal order, sending them in that order
// (filtered) is itself causal.
package oplog

import (
	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

// Backlog is the replication backlog. It is not safe for concurrent use; its owner (the engine
// lock's holder) serialises access.
type Backlog struct {
	limit   int64
	size    int64
	entries []entry // entries[head:] are held, oldest first
	head    int
	// base is the absolute position of entries[0]: positions count every batch ever appended,
	// so a streaming reader's cursor survives eviction and compaction (cursor.go).
	base uint64
	// evicted is, per origin, the highest sequence number evicted: a peer whose vector clock
	// is below it for some origin cannot be served from the backlog.
	evicted clock.Vector
	// applied is, per origin, the highest sequence number appended.
	applied clock.Vector
}

type entry struct {
	dot  clock.Dot
	data []byte
}

// New returns a backlog holding at most limit bytes of encoded batches (at least the newest
// batch is always held).
func New(limit int64) *Backlog { return &Backlog{limit: limit} }

// Append adds a committed batch (an engine sink: it must not keep b).
func (b *Backlog) Append(e *effect.Effect) {
	data := effect.Encode(make([]byte, 0, 64), e)
	b.entries = append(b.entries, entry{dot: e.Dot(), data: data})
	b.size += int64(len(data))
	b.applied = b.applied.Set(e.Origin, max(b.applied.Get(e.Origin), e.Seq))
	for b.size > b.limit && len(b.entries)-b.head > 1 {
		old := b.entries[b.head]
		b.entries[b.head] = entry{}
		b.head++
		b.size -= int64(len(old.data))
		if old.dot.Seq > b.evicted.Get(old.dot.Member) {
			b.evicted = b.evicted.Set(old.dot.Member, old.dot.Seq)
		}
	}
	if b.head > len(b.entries)/2 && b.head > 1024 { // compact the dropped prefix
		b.entries = append(b.entries[:0:0], b.entries[b.head:]...)
		b.base += uint64(b.head)
		b.head = 0
	}
}

// Since returns, in apply order, the encoded batches that a peer whose vector clock is vc
// lacks, and false when some batch it lacks is no longer held (it needs a full resync).
func (b *Backlog) Since(vc clock.Vector) ([][]byte, bool) {
	for m := range b.evicted {
		if vc.Get(clock.MemberID(m)) < b.evicted[m] {
			return nil, false
		}
	}
	var out [][]byte
	for _, en := range b.entries[b.head:] {
		if !vc.Covers(en.dot) {
			out = append(out, en.data)
		}
	}
	return out, true
}

// Size is the number of bytes held.
func (b *Backlog) Size() int64 { return b.size }

// Len is the number of batches held.
func (b *Backlog) Len() int { return len(b.entries) - b.head }

// First returns, per origin in ids, the first sequence number the backlog can still serve: one
// past what it evicted (INFO crdt's crdt_backlog first=).
func (b *Backlog) First(ids []clock.MemberID) clock.Vector {
	var v clock.Vector
	for _, m := range ids {
		v = v.Set(m, b.evicted.Get(m)+1)
	}
	return v
}
