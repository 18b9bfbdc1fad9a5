package zset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/concord-db/concord/internal/clock"
)

// ErrCorrupt is wrapped by every DecodeState error.
var ErrCorrupt = errors.New("zset: corrupt state")

const stateVersion = 1

// memberState is one member's whole conflict-free state, detached from the index.
type memberState struct {
	name string
	e    extra
}

func (n *node) state() memberState {
	if n.ext == nil {
		return memberState{name: n.name, e: extra{cands: []candidate{{dot: unpack(n.dot), hlc: n.hlc, score: n.score}}}}
	}
	return memberState{name: n.name, e: extra{
		cands:    slices.Clone(n.ext.cands),
		counters: slices.Clone(n.ext.counters),
		offsets:  slices.Clone(n.ext.offsets),
	}}
}

// states returns every member's state (live and kept aside), sorted by name.
func (z *ZSet) states() []memberState {
	out := make([]memberState, 0, z.n+len(z.dead))
	for _, ch := range z.chunks {
		for _, n := range ch {
			out = append(out, n.state())
		}
	}
	for _, n := range z.dead {
		out = append(out, n.state())
	}
	slices.SortFunc(out, func(a, b memberState) int { return strings.Compare(a.name, b.name) })
	return out
}

// rebuild replaces z's content by the members of ms.
func (z *ZSet) rebuild(ms []memberState) {
	enc, pend, pl := z.skiplistEnc, z.pending, z.pendLen
	*z = *New()
	for _, m := range ms {
		e := m.e
		n := z.fresh(m.name, &e)
		z.refresh(n, false)
	}
	if z.n > 0 {
		z.skiplistEnc = enc
		z.pending, z.pendLen = pend || z.pending, max(pl, z.pendLen)
	}
}

// AppendState appends the set's whole conflict-free state to dst (format: package comment).
// The encoding is canonical: equal states give equal bytes.
func (z *ZSet) AppendState(dst []byte) []byte {
	ms := z.states()
	dst = append(dst, stateVersion)
	dst = binary.AppendUvarint(dst, uint64(len(ms)))
	for _, m := range ms {
		dst = binary.AppendUvarint(dst, uint64(len(m.name)))
		dst = append(dst, m.name...)
		dst = binary.AppendUvarint(dst, uint64(len(m.e.cands)))
		for _, c := range m.e.cands {
			dst = append(dst, byte(c.dot.Member))
			dst = binary.AppendUvarint(dst, c.dot.Seq)
			dst = binary.AppendUvarint(dst, uint64(c.hlc))
			dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(c.score))
		}
		for _, cs := range [][]Counter{m.e.counters, m.e.offsets} {
			dst = binary.AppendUvarint(dst, uint64(len(cs)))
			for _, c := range cs {
				dst = append(dst, byte(c.Member))
				dst = binary.AppendUvarint(dst, c.Seq)
				dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(c.Total))
			}
		}
	}
	return dst
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || n != uvarintLen(v) {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(d.b))
	d.b = d.b[8:]
	if math.IsNaN(f) {
		d.fail("NaN score")
	}
	return f
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// count reads a count of items of at least min bytes each, bounded by what is left.
func (d *decoder) count(minSize int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/minSize) {
		d.fail("count %d too large", n)
		return 0
	}
	return int(n)
}

func (d *decoder) member() clock.MemberID {
	m := clock.MemberID(d.byte1())
	if d.err == nil && !m.Valid() {
		d.fail("invalid member id %d", m)
	}
	return m
}

func (d *decoder) counters() []Counter {
	k := d.count(10)
	var cs []Counter
	for i := 0; i < k && d.err == nil; i++ {
		c := Counter{Member: d.member(), Seq: d.uvarint(), Total: d.float()}
		if len(cs) > 0 && c.Member <= cs[len(cs)-1].Member {
			d.fail("counters out of order")
		}
		if d.err == nil && c.Seq == 0 {
			d.fail("zero sequence number")
		}
		cs = append(cs, c)
	}
	return cs
}

// DecodeState decodes what AppendState wrote, validating everything.
func DecodeState(data []byte) (*ZSet, error) {
	d := &decoder{b: data}
	if v := d.byte1(); d.err == nil && v != stateVersion {
		d.fail("unknown version %d", v)
	}
	k := d.count(4)
	ms := make([]memberState, 0, k)
	for i := 0; i < k && d.err == nil; i++ {
		l := d.uvarint()
		if d.err == nil && l > uint64(len(d.b)) {
			d.fail("truncated name")
		}
		if d.err != nil {
			break
		}
		m := memberState{name: string(d.b[:l])}
		d.b = d.b[l:]
		if len(ms) > 0 && m.name <= ms[len(ms)-1].name {
			d.fail("members out of order")
		}
		nc := d.count(11)
		for j := 0; j < nc && d.err == nil; j++ {
			c := candidate{dot: clock.Dot{Member: d.member(), Seq: d.uvarint()}, hlc: clock.HLC(d.uvarint()), score: d.float()}
			if d.err == nil && c.dot.Seq == 0 {
				d.fail("zero sequence number")
			}
			if len(m.e.cands) > 0 && cmpDot(m.e.cands[len(m.e.cands)-1].dot, c.dot) >= 0 {
				d.fail("candidates out of order")
			}
			m.e.cands = append(m.e.cands, c)
		}
		m.e.counters = d.counters()
		m.e.offsets = d.counters()
		if d.err == nil {
			if _, live := m.e.eval(0, nil); !live && len(m.e.offsets) == 0 {
				d.fail("member %q holds nothing", m.name)
			}
		}
		ms = append(ms, m)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	z := New()
	z.rebuild(ms)
	return z, nil
}

// Merge joins other's state into z (full resync); mine and theirs are the vector clocks of the
// replicas z and other come from. A candidate present on one side only was removed by the other
// side if that side's clock covers its dot, and is kept otherwise; counters and offsets take the
// entry with the higher sequence number.
func (z *ZSet) Merge(other *ZSet, mine, theirs clock.Vector) {
	a, b := z.states(), other.states()
	out := make([]memberState, 0, max(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].name < b[j].name):
			out = append(out, mergeMember(a[i], memberState{name: a[i].name}, theirs, mine))
			i++
		case i == len(a) || b[j].name < a[i].name:
			out = append(out, mergeMember(memberState{name: b[j].name}, b[j], theirs, mine))
			j++
		default:
			out = append(out, mergeMember(a[i], b[j], theirs, mine))
			i++
			j++
		}
	}
	kept := out[:0]
	for _, m := range out {
		if _, live := m.e.eval(0, nil); live || len(m.e.offsets) > 0 {
			kept = append(kept, m)
		}
	}
	z.rebuild(kept)
}

// mergeMember joins x (from the replica with clock xClock's peer...) see Merge: x's candidates
// missing from y survive unless yClock covers them, and the reverse.
func mergeMember(x, y memberState, yClock, xClock clock.Vector) memberState {
	m := memberState{name: x.name}
	has := func(cs []candidate, d clock.Dot) bool {
		_, found := slices.BinarySearchFunc(cs, d, func(c candidate, d clock.Dot) int { return cmpDot(c.dot, d) })
		return found
	}
	for _, c := range x.e.cands {
		if has(y.e.cands, c.dot) || !yClock.Covers(c.dot) {
			m.e.cands = append(m.e.cands, c)
		}
	}
	for _, c := range y.e.cands {
		if !has(x.e.cands, c.dot) && !xClock.Covers(c.dot) {
			m.e.cands = append(m.e.cands, c)
		}
	}
	slices.SortFunc(m.e.cands, func(p, q candidate) int { return cmpDot(p.dot, q.dot) })
	m.e.counters = mergeCounters(slices.Clone(x.e.counters), y.e.counters)
	m.e.offsets = mergeCounters(slices.Clone(x.e.offsets), y.e.offsets)
	return m
}

// Clone returns an independent copy (snapshots and tests).
func (z *ZSet) Clone() *ZSet {
	w := New()
	w.rebuild(z.states())
	w.skiplistEnc, w.pending, w.pendLen = z.skiplistEnc, z.pending, z.pendLen
	return w
}
