package oplog

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/cputime"
	"github.com/concord-db/concord/internal/effect"
)

// appendRecord is the record framing of the peer links (peerwire.AppendRecord), restated here
// so that the test does not depend on peerwire.
func appendRecord(dst, rec []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rec)))
	return append(dst, rec...)
}

// ReadRecords, called repeatedly until End, must give exactly the record stream of what Read
// gives, whatever the skips, the peer's clock, the length limits, segment boundaries and
// eviction; each call stays within its limit but for a lone record longer than it.
func TestReadRecordsMatchesRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := New(3 * segmentBytes)
	seqs := map[clock.MemberID]uint64{}
	var readers [4]uint64
	for round := range 1500 {
		for range rng.IntN(40) {
			m := clock.MemberID(1 + rng.IntN(3))
			seqs[m]++
			val := strings.Repeat("v", rng.IntN(200))
			if rng.IntN(500) == 0 {
				val = strings.Repeat("L", segmentBytes+rng.IntN(1000)) // larger than a segment
			}
			b.Append(batch(m, seqs[m], val))
		}
		for k := range readers {
			skip := Origins(rng.Uint64() & 7)
			peer := clock.Vector(nil).Set(1, uint64(rng.IntN(int(seqs[1]+1))))
			recs, next, ok := b.Read(readers[k], skip, peer, 1<<62, nil)
			if !ok {
				if _, _, ok2 := b.ReadRecords(readers[k], skip, peer, 100, nil, nil); ok2 {
					t.Fatalf("round %d: ReadRecords served an evicted position", round)
				}
				readers[k] = b.Start()
				continue
			}
			if next != b.End() {
				t.Fatalf("round %d: Read stopped at %d, end %d", round, next, b.End())
			}
			var want []byte
			for _, r := range recs {
				if _, err := effect.Decode(r); err != nil {
					t.Fatal(err)
				}
				want = appendRecord(want, r)
			}
			var got []byte
			var info ReadInfo
			pos := readers[k]
			for pos != b.End() {
				maxLen := 1 + rng.IntN(4096)
				prefix := rng.IntN(2) // sometimes start with a non-empty dst
				chunk, p2, ok := b.ReadRecords(pos, skip, peer, maxLen, make([]byte, prefix, 64), &info)
				if ok && p2 == pos && prefix > 0 {
					continue // nothing fits after dst's bytes: the caller sends them first
				}
				if !ok || p2 <= pos {
					t.Fatalf("round %d: ReadRecords from %d: ok=%v next %d", round, pos, ok, p2)
				}
				chunk = chunk[prefix:]
				checkInfo(t, b, pos, p2, skip, peer, chunk, &info)
				if len(chunk)+prefix > maxLen && (prefix > 0 || !oneRecord(chunk)) {
					t.Fatalf("round %d: %d bytes past a limit of %d", round, len(chunk)+prefix, maxLen)
				}
				got = append(got, chunk...)
				pos = p2
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("round %d reader %d: record streams differ (%d vs %d bytes)", round, k, len(got), len(want))
			}
			readers[k] = pos
		}
	}
	if len(b.segs) > 6 {
		t.Fatalf("%d segments held for %d bytes", len(b.segs), b.Size())
	}
}

// checkInfo checks what ReadRecords reported about its read of [pos, next).
func checkInfo(t *testing.T, b *Backlog, pos, next uint64, skip Origins, peer clock.Vector, chunk []byte, info *ReadInfo) {
	t.Helper()
	min := clock.Vector(nil)
	for p := chunk; len(p) > 0; {
		n, k := binary.Uvarint(p)
		d := dotOf(p[k : k+int(n)])
		if min.Get(d.Member) == 0 {
			min = min.Set(d.Member, d.Seq)
		}
		if !info.Seen.Has(d.Member) {
			t.Fatalf("origin %d sent but not seen", d.Member)
		}
		p = p[k+int(n):]
	}
	for m := clock.MemberID(1); m <= 3; m++ {
		if min.Get(m) != info.Min.Get(m) {
			t.Fatalf("min of %d: %d, reported %d", m, min.Get(m), info.Min.Get(m))
		}
	}
	// Without the peer's clock the same range gives the same records exactly when nothing was
	// left out because of it.
	var again []byte
	for p2 := pos; p2 < next; {
		one, p3, _ := b.ReadRecords(p2, skip, nil, 1, nil, nil) // one record at a time
		if p3 > next {
			break // only skipped batches were left before next
		}
		again, p2 = append(again, one...), p3
	}
	if bytes.Equal(again, chunk) == info.Covered {
		t.Fatalf("covered=%v but reading without the peer's clock gives the same records: %v", info.Covered, !info.Covered)
	}
}

func oneRecord(p []byte) bool {
	n, k := binary.Uvarint(p)
	return k > 0 && uint64(len(p)-k) == n
}

// Slices handed out stay valid (unchanged) after later appends and evictions.
func TestReadSlicesStayValid(t *testing.T) {
	b := New(1000)
	b.Append(batch(1, 1, "first"))
	recs, _, _ := b.Read(b.Start(), 0, nil, 1<<20, nil)
	raw, _, _ := b.ReadRecords(0, 0, nil, 1<<20, nil, nil)
	keep, keepRaw := bytes.Clone(recs[0]), bytes.Clone(raw)
	for seq := uint64(2); seq < 50_000; seq++ {
		b.Append(batch(1, seq, "later"))
	}
	if !bytes.Equal(recs[0], keep) || !bytes.Equal(raw, keepRaw) {
		t.Fatal("a slice handed out changed")
	}
}

func BenchmarkAppend(b *testing.B) {
	bl := New(64 << 20)
	e := &effect.Effect{Origin: 1, HLC: 5, Deps: clock.Vector(nil).Set(1, 3).Set(2, 5).Set(3, 7),
		Ops: []effect.Op{{Kind: effect.StringSet, Key: "key:123456", Value: []byte("value-0000000005")}}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.Seq = uint64(i + 1)
		bl.Append(e)
	}
}

func BenchmarkReadRecords(b *testing.B) {
	bl := New(64 << 20)
	for seq := uint64(1); seq <= 100_000; seq++ {
		bl.Append(batch(1, seq, "value-0000000005"))
	}
	b.ReportAllocs()
	var buf []byte
	pos := bl.Start()
	b.ResetTimer()
	cpu := cputime.Start(b)
	defer cpu.Stop()
	for i := 0; i < b.N; i++ {
		buf, pos, _ = bl.ReadRecords(pos, Origins(0).With(2), nil, 64<<10, buf[:0], nil)
		if pos == bl.End() {
			pos = bl.Start()
		}
	}
}

// A backlog fed encodings (AppendEncoded, the path of batches received from peers) must hold
// exactly what one fed the batches (Append) holds, eviction included.
func TestAppendEncodedMatchesAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	byBatch, byEncoding := New(segmentBytes), New(segmentBytes)
	seqs := map[clock.MemberID]uint64{}
	for range 20000 {
		m := clock.MemberID(1 + rng.IntN(3))
		seqs[m]++
		e := batch(m, seqs[m], strings.Repeat("v", rng.IntN(100)))
		byBatch.Append(e)
		byEncoding.AppendEncoded(effect.Encode(nil, e))
	}
	if byBatch.Size() != byEncoding.Size() || byBatch.Len() != byEncoding.Len() || byBatch.Start() != byEncoding.Start() || byBatch.End() != byEncoding.End() {
		t.Fatalf("size %d/%d len %d/%d start %d/%d end %d/%d", byBatch.Size(), byEncoding.Size(),
			byBatch.Len(), byEncoding.Len(), byBatch.Start(), byEncoding.Start(), byBatch.End(), byEncoding.End())
	}
	ids := []clock.MemberID{1, 2, 3}
	if !byBatch.First(ids).Equal(byEncoding.First(ids)) {
		t.Fatalf("first %v, want %v", byEncoding.First(ids), byBatch.First(ids))
	}
	peer := clock.Vector(nil).Set(1, seqs[1]-50).Set(2, seqs[2]-50).Set(3, seqs[3]-50)
	want, ok1 := byBatch.Since(peer)
	got, ok2 := byEncoding.Since(peer)
	if !ok1 || !ok2 || len(want) != 150 || len(got) != len(want) {
		t.Fatalf("since: %d batches (%v), want %d (%v)", len(got), ok2, len(want), ok1)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("batch %d differs", i)
		}
	}
}
