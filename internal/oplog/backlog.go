// Package oplog keeps the replication backlog: the most recent effect batches applied on this
// member, local and relayed, encoded (effect.Encode) in apply order, up to a byte budget
// (repl-backlog-size). A peer that reconnects with vector clock V is sent every held batch that V
// does not cover (partial resync), provided the backlog still holds everything V lacks; when a
// batch V lacks has been evicted, the peer needs a full resync.
//
// Because batches are held in apply order, which is a causal order, sending them in that order
// (filtered) is itself causal.
//
// Layout. Each batch is encoded once, when it is appended, directly in the form the peer links
// send it: a record of the record stream (peerwire.AppendRecord: len:uvarint
// effect.Encode(batch)), written in place at the end of the newest segment (Append encodes
// into the segment, not into a buffer copied there). Records lie back to back in segments of
// segmentBytes (a larger batch gets a segment of its own). There is no per-batch index: a
// batch's origin and sequence number are read from its encoding (effect.Encode starts with
// version, origin, seq), and a position is an absolute byte offset in the stream of every
// record ever appended, so a streaming reader's cursor survives eviction, and appending a
// batch touches only its bytes.
// Readers copy what they get out (ReadRecords copies runs of consecutive records with one copy
// each; Read, Since and Rewind return copies), so no slice of a segment outlives the owner's
// lock and an evicted segment is reused for new batches instead of allocating fresh memory.
package oplog

import (
	"encoding/binary"
	"sort"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

// segmentBytes is the capacity of a segment's data: large enough that a segment holds
// thousands of small batches, small next to the default 64 MiB budget (which it may exceed by
// at most one segment).
const segmentBytes = 256 << 10

// Backlog is the replication backlog. It is not safe for concurrent use; its owner (the engine
// lock's holder) serialises access.
type Backlog struct {
	limit int64
	size  int64 // bytes of encoded batches held (record prefixes not counted)
	// segs[0] is the oldest segment; its bytes before start are evicted. segs[i] holds the
	// positions [first, first+len(data)), and the next segment starts where it ends.
	segs []*segment
	// start and end are the positions of the oldest held record and one past the newest.
	start, end uint64
	held       int
	// evicted is, per origin, the highest sequence number evicted: a peer whose vector clock
	// is below it for some origin cannot be served from the backlog.
	evicted clock.Vector
	// applied is, per origin, the highest sequence number appended.
	applied clock.Vector
	scratch []byte
	spare   *segment // an evicted segment kept for reuse
}

type segment struct {
	first uint64
	data  []byte // records back to back; never grows past its capacity
}

// New returns a backlog holding at most limit bytes of encoded batches (at least the newest
// batch is always held).
func New(limit int64) *Backlog { return &Backlog{limit: limit} }

// Append adds a committed batch (an engine sink: it must not keep b). The batch is encoded
// straight into the newest segment, after its record's length prefix, rather than into a
// buffer that is then copied there.
func (b *Backlog) Append(e *effect.Effect) {
	if k := len(b.segs); k > 0 {
		seg := b.segs[k-1]
		if off := len(seg.data); cap(seg.data)-off > 1 {
			// One byte of prefix is assumed (a batch under 128 bytes, such as a SET's); a
			// longer batch's body moves up by the prefix bytes it needs. dst's capacity ends
			// with the segment's: a record that fits was encoded in place.
			dst := seg.data[off+1 : off+1]
			body := effect.Encode(dst, e)
			n := len(body)
			if need := uvarintLen(uint64(n)) + n; off+need <= cap(seg.data) {
				if need > n+1 {
					copy(seg.data[off+need-n:off+need], body)
				}
				seg.data = seg.data[:off+need]
				binary.PutUvarint(seg.data[off:], uint64(n))
				b.added(e.Dot(), n)
				return
			}
			// It does not fit: Encode moved the body to a buffer of its own (past dst's
			// capacity), or its longer prefix would not fit. It goes into a new segment (add
			// does not write to this one, which lacks room for it).
			b.add(e.Dot(), body)
			return
		}
	}
	b.scratch = effect.Encode(b.scratch[:0], e)
	b.add(e.Dot(), b.scratch)
	if cap(b.scratch) > segmentBytes {
		b.scratch = nil // a huge batch: do not keep its buffer
	}
}

// AppendEncoded adds a committed batch given as its encoding (effect.Encode), as received from
// a peer: the record is the same bytes whoever holds it, so a relaying member stores what it
// received instead of encoding the decoded batch again. The encoding must be a whole, valid
// batch (one that effect.Decode accepted); AppendEncoded does not keep enc.
func (b *Backlog) AppendEncoded(enc []byte) {
	b.add(dotOf(enc), enc)
}

func (b *Backlog) add(d clock.Dot, data []byte) {
	n := len(data)
	need := uvarintLen(uint64(n)) + n
	var seg *segment
	if k := len(b.segs); k > 0 && cap(b.segs[k-1].data)-len(b.segs[k-1].data) >= need {
		seg = b.segs[k-1]
	} else {
		if b.spare != nil && cap(b.spare.data) >= need {
			seg, b.spare = b.spare, nil
			seg.first, seg.data = b.end, seg.data[:0]
		} else {
			seg = &segment{first: b.end, data: make([]byte, 0, max(segmentBytes, need))}
			prefault(seg.data[:cap(seg.data)])
		}
		b.segs = append(b.segs, seg)
	}
	seg.data = binary.AppendUvarint(seg.data, uint64(n))
	seg.data = append(seg.data, data...)
	b.added(d, n)
}

// added accounts for the record of batch d (n bytes of encoding) just written at the end of
// the newest segment, and evicts what no longer fits the budget.
func (b *Backlog) added(d clock.Dot, n int) {
	b.end += uint64(uvarintLen(uint64(n)) + n)
	b.held++
	b.size += int64(n)
	if d.Seq > b.applied.Get(d.Member) {
		b.applied = b.applied.Set(d.Member, d.Seq)
	}
	for b.size > b.limit && b.held > 1 {
		b.evictOne()
	}
}

// evictOne drops the oldest held batch.
func (b *Backlog) evictOne() {
	seg := b.segs[0]
	off := int(b.start - seg.first)
	body, end := recordAt(seg.data, off)
	d := dotOf(seg.data[body:end])
	b.size -= int64(end - body)
	if d.Seq > b.evicted.Get(d.Member) {
		b.evicted = b.evicted.Set(d.Member, d.Seq)
	}
	b.start += uint64(end - off)
	b.held--
	if end == len(seg.data) && len(b.segs) > 1 { // wholly evicted, and not the one appended to
		b.segs[0] = nil
		b.segs = b.segs[1:]
		if cap(seg.data) == segmentBytes {
			b.spare = seg
		}
	}
}

// recordAt returns where the batch of the record at off in data starts and ends.
func recordAt(data []byte, off int) (body, end int) {
	if n := data[off]; n < 0x80 { // a batch under 128 bytes: most of them
		return off + 1, off + 1 + int(n)
	}
	n, k := binary.Uvarint(data[off:])
	body = off + k
	return body, body + int(n)
}

// dotOf reads the origin and sequence number of an encoded batch (effect.Encode writes the
// version, then both as uvarints). Origins are 1..64: one byte.
func dotOf(batch []byte) clock.Dot {
	if m := batch[1]; m < 0x80 {
		seq, _ := binary.Uvarint(batch[2:])
		return clock.Dot{Member: clock.MemberID(m), Seq: seq}
	}
	m, k := binary.Uvarint(batch[1:])
	seq, _ := binary.Uvarint(batch[1+k:])
	return clock.Dot{Member: clock.MemberID(m), Seq: seq}
}

// locate returns the index of the segment holding position pos (start <= pos < end).
func (b *Backlog) locate(pos uint64) int {
	return sort.Search(len(b.segs), func(i int) bool { return b.segs[i].first > pos }) - 1
}

// scan calls fn with every held batch from position pos on, in order, with the position after
// it, until fn returns false.
func (b *Backlog) scan(pos uint64, fn func(batch []byte, next uint64) bool) {
	if pos >= b.end {
		return
	}
	for k := b.locate(pos); k < len(b.segs); k++ {
		seg := b.segs[k]
		for off := int(pos - seg.first); off < len(seg.data); {
			body, end := recordAt(seg.data, off)
			pos = seg.first + uint64(end)
			if !fn(seg.data[body:end], pos) {
				return
			}
			off = end
		}
	}
}

// collect copies the held batches that keep selects into one buffer.
func (b *Backlog) collect(keep func(clock.Dot) bool) [][]byte {
	var out [][]byte
	var buf []byte
	var spans [][2]int
	b.scan(b.start, func(batch []byte, _ uint64) bool {
		if keep(dotOf(batch)) {
			spans = append(spans, [2]int{len(buf), len(buf) + len(batch)})
			buf = append(buf, batch...)
		}
		return true
	})
	for _, s := range spans {
		out = append(out, buf[s[0]:s[1]:s[1]])
	}
	return out
}

// Since returns, in apply order, copies of the encoded batches that a peer whose vector clock
// is vc lacks, and false when some batch it lacks is no longer held (it needs a full resync).
func (b *Backlog) Since(vc clock.Vector) ([][]byte, bool) {
	for m := range b.evicted {
		if vc.Get(clock.MemberID(m)) < b.evicted[m] {
			return nil, false
		}
	}
	return b.collect(func(d clock.Dot) bool { return !vc.Covers(d) }), true
}

// Size is the number of bytes held.
func (b *Backlog) Size() int64 { return b.size }

// Len is the number of batches held.
func (b *Backlog) Len() int { return b.held }

// First returns, per origin in ids, the first sequence number the backlog can still serve: one
// past what it evicted (INFO crdt's crdt_backlog first=).
func (b *Backlog) First(ids []clock.MemberID) clock.Vector {
	var v clock.Vector
	for _, m := range ids {
		v = v.Set(m, b.evicted.Get(m)+1)
	}
	return v
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
