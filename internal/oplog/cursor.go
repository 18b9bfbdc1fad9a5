package oplog

import "github.com/concord-db/concord/internal/clock"

// Streaming reads. A link streaming to a peer keeps a cursor: the position (absolute byte
// offset in the stream of records ever appended) of the next batch to send. Reading by
// position costs only what is read, unlike Since, which scans the whole backlog.

// End is the position one past the newest batch: a cursor there has read everything.
func (b *Backlog) End() uint64 { return b.end }

// Start is the position of the oldest batch held.
func (b *Backlog) Start() uint64 { return b.start }

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

// Read appends to out copies of the encoded batches from position pos on, skipping those whose
// origin is in skip or that peer covers, until about maxBytes are gathered. It returns them,
// the position to read from next, and false when batches from pos on were evicted (the reader
// fell behind by more than the backlog holds and its peer needs a resync).
func (b *Backlog) Read(pos uint64, skip Origins, peer clock.Vector, maxBytes int, out [][]byte) ([][]byte, uint64, bool) {
	if pos < b.start {
		return out, pos, false
	}
	size := 0
	b.scan(pos, func(batch []byte, next uint64) bool {
		pos = next
		if d := dotOf(batch); !skip.Has(d.Member) && !peer.Covers(d) {
			out = append(out, append([]byte(nil), batch...))
			size += len(batch)
		}
		return size < maxBytes
	})
	return out, pos, true
}

// ReadRecords appends to dst, as records of the peer links' record stream (len:uvarint
// batch, peerwire.AppendRecord), the batches from position pos on that Read would give: runs
// of consecutive batches that are not skipped cost one copy, as the backlog holds them as
// records already. It appends whole records while dst stays within maxLen bytes (a record
// longer than maxLen is appended alone when dst is empty), and returns dst, the position to
// read from next (End when everything was read) and false when batches from pos on were
// evicted.
//
// When info is not nil it is filled with what the read saw (ReadInfo), so that a caller can
// tell whether another reader with other filters would have read the same records.
func (b *Backlog) ReadRecords(pos uint64, skip Origins, peer clock.Vector, maxLen int, dst []byte, info *ReadInfo) ([]byte, uint64, bool) {
	if info != nil {
		*info = ReadInfo{Min: info.Min[:0]}
	}
	if pos < b.start {
		return dst, pos, false
	}
	if pos >= b.end {
		return dst, pos, true
	}
	n := len(dst) // length of dst once the current run is appended
	for k := b.locate(pos); k < len(b.segs); k++ {
		seg := b.segs[k]
		run := -1 // where the current run of records to send starts in seg.data
		off := int(pos - seg.first)
		full := false
		for off < len(seg.data) {
			body, end := recordAt(seg.data, off)
			d := dotOf(seg.data[body:end])
			if info != nil {
				info.Seen = info.Seen.With(d.Member)
			}
			if skip.Has(d.Member) || peer.Covers(d) {
				if info != nil && !skip.Has(d.Member) {
					info.Covered = true
				}
				if run >= 0 {
					dst = append(dst, seg.data[run:off]...)
					run = -1
				}
			} else {
				if n+end-off > maxLen && n > 0 {
					full = true
					break
				}
				if run < 0 {
					run = off
				}
				n += end - off
				if info != nil && info.Min.Get(d.Member) == 0 {
					info.Min = info.Min.Set(d.Member, d.Seq)
				}
			}
			off = end
		}
		if run >= 0 {
			dst = append(dst, seg.data[run:off]...)
		}
		pos = seg.first + uint64(off)
		if full {
			break
		}
	}
	return dst, pos, true
}

// ReadInfo describes a ReadRecords read: Seen has the origin of every batch it went past
// (sent or skipped), Covered is set when a batch was left out only because the peer's clock
// covered it, and Min holds, per origin sent, the lowest sequence number sent.
type ReadInfo struct {
	Seen    Origins
	Covered bool
	Min     clock.Vector
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

// Rewind is Since restricted to origins not in skip: copies of what a peer whose vector clock
// is vc lacks of those origins, in apply order, and false when part of it was evicted.
func (b *Backlog) Rewind(vc clock.Vector, skip Origins) ([][]byte, bool) {
	for m := range b.evicted {
		if !skip.Has(clock.MemberID(m)) && vc.Get(clock.MemberID(m)) < b.evicted[m] {
			return nil, false
		}
	}
	return b.collect(func(d clock.Dot) bool { return !skip.Has(d.Member) && !vc.Covers(d) }), true
}
