package oplog

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

// Append encodes in place, in the newest segment: whatever the batches' sizes (around the
// 128 bytes where the length prefix takes a second byte, filling a segment to its last bytes,
// larger than a segment), mixed with AppendEncoded and through eviction, the record stream
// must be exactly the encodings of the batches appended, each batch once, in order.
func TestAppendInPlaceGivesTheRecordStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	b := New(2 * segmentBytes)
	var want []byte // the records of every batch appended, in order
	seq := uint64(0)
	for range 6000 {
		seq++
		var n int
		switch r := rng.IntN(100); {
		case r == 0 && rng.IntN(3) == 0:
			n = segmentBytes + rng.IntN(3000) // larger than a segment
		case r < 10:
			n = 1000 + rng.IntN(20000)
		default:
			n = 90 + rng.IntN(60) // around the second prefix byte
		}
		e := batch(clock.MemberID(1+rng.IntN(3)), seq, strings.Repeat("x", n))
		enc := effect.Encode(nil, e)
		if rng.IntN(4) == 0 {
			b.AppendEncoded(enc)
		} else {
			b.Append(e)
		}
		want = appendRecord(want, enc)
	}
	// The backlog holds the tail of the stream: from Start (an offset in it) to End.
	if b.End() != uint64(len(want)) {
		t.Fatalf("end %d, want %d", b.End(), len(want))
	}
	got, next, ok := b.ReadRecords(b.Start(), 0, nil, 1<<40, nil, nil)
	if !ok || next != b.End() {
		t.Fatalf("ok=%v next %d end %d", ok, next, b.End())
	}
	if !bytes.Equal(got, want[b.Start():]) {
		t.Fatalf("record stream differs (%d bytes held)", len(got))
	}
	var size int64
	for p := got; len(p) > 0; {
		body, end := recordAt(p, 0)
		if _, err := effect.Decode(p[body:end]); err != nil {
			t.Fatal(err)
		}
		size += int64(end - body)
		p = p[end:]
	}
	if size != b.Size() {
		t.Fatalf("size %d, records hold %d", b.Size(), size)
	}
}

// sized makes batches of given encoded lengths (by key, value and clock lengths found once:
// where a length prefix takes a second byte, some lengths need a longer clock).
type sized map[int]*effect.Effect

func newSized() sized {
	s := sized{}
	for hlc := clock.HLC(1); hlc < 1<<21; hlc <<= 7 {
		for kl := 1; kl <= 3; kl++ {
			for v := 0; v <= 6100; v++ {
				// Sequence number 1 for all, so that the length depends on nothing else
				// (the backlog does not mind).
				e := &effect.Effect{Origin: 1, Seq: 1, HLC: hlc, Ops: []effect.Op{{Kind: effect.StringSet,
					Key: strings.Repeat("k", kl), Value: bytes.Repeat([]byte("v"), v)}}}
				if n := len(effect.Encode(nil, e)); s[n] == nil {
					s[n] = e
				}
			}
		}
	}
	return s
}

// batch returns a batch whose encoding is exactly n bytes.
func (s sized) batch(t *testing.T, n int) *effect.Effect {
	t.Helper()
	if s[n] == nil {
		t.Fatalf("no batch of %d bytes", n)
	}
	return s[n]
}

// The end of a segment: a batch whose record fills the space left exactly, or misses it by a
// byte or two, with one and two bytes of length prefix, goes in place or to a new segment,
// and the stream holds it whole either way.
func TestAppendAtTheEndOfASegment(t *testing.T) {
	sz := newSized()
	for free := 100; free <= 160; free++ {
		for _, n := range []int{free - 3, free - 2, free - 1, free, free + 1} {
			b := New(1 << 30)
			var want []byte
			add := func(e *effect.Effect) {
				b.Append(e)
				want = appendRecord(want, effect.Encode(nil, e))
			}
			// Fill the first segment until exactly free bytes are left in it.
			for segmentBytes-len(want)-free > 4000 {
				add(sz.batch(t, 2000))
			}
			rest := segmentBytes - len(want) - free // the last filler's record: prefix and body
			add(sz.batch(t, rest-uvarintLen(uint64(rest))))
			if left := cap(b.segs[0].data) - len(b.segs[0].data); left != free || len(b.segs) != 1 {
				t.Fatalf("%d bytes left in %d segments, want %d in 1", left, len(b.segs), free)
			}
			add(sz.batch(t, n))
			got, _, ok := b.ReadRecords(b.Start(), 0, nil, 1<<40, nil, nil)
			if !ok || !bytes.Equal(got, want) {
				t.Fatalf("free %d, batch of %d bytes: record stream differs", free, n)
			}
			if inPlace := uvarintLen(uint64(n))+n <= free; inPlace != (len(b.segs) == 1) {
				t.Fatalf("free %d, batch of %d bytes: %d segments", free, n, len(b.segs))
			}
		}
	}
}
