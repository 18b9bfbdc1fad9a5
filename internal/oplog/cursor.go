package oplog

import "github.com/concord-db/concord/internal/clock"

// Streaming reads. A link streaming to a peer keeps a cursor: the absolute position (count of
// batches ever appended before it) of the next batch to send. Reading by position costs only
// what is read, unlike Since, which scans the whole backlog.

// End is the position one past the newest batch: a cursor there has read everything.
func (b *Backlog) End() uint64 { return b.base + uint64(len(b.entries)) }

// Start is the position of the oldest batch held.
func (b *Backlog) Start() uint64 { return b.base + uint64(b.head) }

// Origins is a set of member ids, bit m-1 for member m.
type Origins uint64

// Has reports whether m is in the set.
func (o Origins) Has(m clock.MemberID) bool { return m >= 1 && m <= 64 && o&(1<<(m-1)) != 0 }

// With returns the set with m added.
func (o Origins) With(m clock.MemberID) Origins {
	if m < 1 || m > 64 {
		return o
	}
	return o | 1<<(m-1)
}

// Read appends to out the encoded batches from position pos on, skipping those whose origin is
// in skip or that peer covers, until about maxBytes are gathered. It returns them, the position
// to read from next, and false when batches from pos on were evicted (the reader fell behind
// by more than the backlog holds and its peer needs a resync).
func (b *Backlog) Read(pos uint64, skip Origins, peer clock.Vector, maxBytes int, out [][]byte) ([][]byte, uint64, bool) {
	if pos < b.Start() {
		return out, pos, false
	}
	size := 0
	for pos < b.End() && size < maxBytes {
		en := b.entries[pos-b.base]
		pos++
		if skip.Has(en.dot.Member) || peer.Covers(en.dot) {
			continue
		}
		out = append(out, en.data)
		size += len(en.data)
	}
	return out, pos, true
}

// Gap records that this member's state now includes batches the backlog never held (a full
// resync merged a peer's state covering vc): a peer that lacks any of them cannot be served
// from the backlog any more, exactly as if they had been evicted.
func (b *Backlog) Gap(vc clock.Vector) {
	b.evicted = b.evicted.Merge(vc)
	for m := range b.evicted {
		b.applied = b.applied.Set(clock.MemberID(m), max(b.applied.Get(clock.MemberID(m)), b.evicted[m]))
	}
}

// Rewind is Since restricted to origins not in skip: what a peer whose vector clock is vc lacks
// of those origins, in apply order, and false when part of it was evicted.
func (b *Backlog) Rewind(vc clock.Vector, skip Origins) ([][]byte, bool) {
	for m := range b.evicted {
		if !skip.Has(clock.MemberID(m)) && vc.Get(clock.MemberID(m)) < b.evicted[m] {
			return nil, false
		}
	}
	var out [][]byte
	for _, en := range b.entries[b.head:] {
		if !skip.Has(en.dot.Member) && !vc.Covers(en.dot) {
			out = append(out, en.data)
		}
	}
	return out, true
}
