package register

import (
	"fmt"
	"slices"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// State format (full resync and snapshots), built from package crdt's primitives:
//
//	state     = candidates:count { dot hlc:uvarint value:bytes }   sorted by dot
//	            counters:totals offsets:totals
//	totals    = count { member:uvarint seq:uvarint int:varint float:rat }   sorted by member
//
// The encoding is canonical: equal states give equal bytes.

// ErrCorrupt is wrapped by every DecodeState error.
var ErrCorrupt = fmt.Errorf("register: %w", crdt.ErrCorrupt)

// AppendState appends the value's whole state to dst.
func (v *Value) AppendState(dst []byte) []byte {
	cands := v.candidates()
	slices.SortFunc(cands, func(a, b candidate) int { return cmpDot(a.dot, b.dot) })
	dst = crdt.AppendUvarint(dst, uint64(len(cands)))
	for _, c := range cands {
		dst = crdt.AppendDot(dst, c.dot)
		dst = crdt.AppendUvarint(dst, uint64(c.hlc))
		dst = crdt.AppendBytes(dst, c.val)
	}
	dst = appendTotals(dst, v.counters)
	return appendTotals(dst, v.offsets)
}

func appendTotals(dst []byte, ts []Total) []byte {
	dst = crdt.AppendUvarint(dst, uint64(len(ts)))
	for _, t := range ts {
		dst = crdt.AppendUvarint(dst, uint64(t.Member))
		dst = crdt.AppendUvarint(dst, t.Seq)
		dst = crdt.AppendVarint(dst, t.Int)
		dst = crdt.AppendRat(dst, t.Float)
	}
	return dst
}

func cmpDot(a, b clock.Dot) int {
	if a.Member != b.Member {
		return int(a.Member) - int(b.Member)
	}
	switch {
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// candidates returns every candidate (base first), in a new slice.
func (v *Value) candidates() []candidate {
	var out []candidate
	if !v.base.dot.IsZero() {
		out = append(out, v.base)
	}
	return append(out, v.more...)
}

// DecodeState decodes what AppendState wrote, validating everything.
func DecodeState(data []byte) (*Value, error) {
	r := crdt.NewReader(data, ErrCorrupt)
	v := ReadState(r)
	if err := r.Done(); err != nil {
		return nil, err
	}
	return v, nil
}

// ReadState reads one value's state from r (for types that embed registers); on error it
// returns nil and r.Err() says why.
func ReadState(r *crdt.Reader) *Value {
	v := &Value{}
	n := r.Count(4, "candidates")
	var prev clock.Dot
	for i := range n {
		c := candidate{dot: r.Dot("candidate")}
		c.hlc = clock.HLC(r.Uvarint(1<<64-1, "candidate hlc"))
		c.val = r.Bytes("candidate value")
		if r.Err() != nil {
			return nil
		}
		if i > 0 && cmpDot(prev, c.dot) >= 0 {
			r.Fail("candidates not sorted")
			return nil
		}
		prev = c.dot
		if i == 0 {
			v.base = c
		} else {
			v.more = append(v.more, c)
		}
	}
	v.promote()
	v.counters = readTotals(r, "counters")
	v.offsets = readTotals(r, "offsets")
	if r.Err() != nil {
		return nil
	}
	return v
}

func readTotals(r *crdt.Reader, what string) []Total {
	n := r.Count(4, what)
	if n == 0 {
		return nil
	}
	out := make([]Total, 0, n)
	for range n {
		t := Total{Member: r.Member(what + " member")}
		t.Seq = r.Uvarint(1<<64-1, what+" seq")
		t.Int = r.Varint(what + " int")
		t.Float = r.Rat(what + " float")
		if r.Err() != nil {
			return nil
		}
		if t.Seq == 0 {
			r.Fail("%s seq 0", what)
			return nil
		}
		if len(out) > 0 && out[len(out)-1].Member >= t.Member {
			r.Fail("%s not sorted", what)
			return nil
		}
		out = append(out, t)
	}
	return out
}

// Merge joins other's state into v (full resync): mine and theirs are the vector clocks of
// the replicas v and other come from. A base candidate present on one side only was
// overwritten or deleted by the other side if that side's clock covers its dot, and is kept
// otherwise; per-member counter totals and offsets take the entry with the higher sequence
// number (both are cumulative). other is not modified and shares nothing with v afterwards.
func (v *Value) Merge(other *Value, mine, theirs clock.Vector) {
	v.MergeReported(other, mine, theirs, nil)
}

// MergeReported is Merge reporting the conflicts it resolves (report may be nil): a
// last-writer-wins conflict between the winning base and each other surviving candidate when
// one of the two came from other (the candidates both sides already held were reported when
// they met), and an add-wins conflict when a side holding no candidate had removed some of the
// other side's while a candidate it had not seen survives (a deleted hash field written
// concurrently). The elem of the reports is nil.
func (v *Value) MergeReported(other *Value, mine, theirs clock.Vector, report crdt.MergeReport) {
	a, b := v.candidates(), other.candidates()
	var kept []candidate
	droppedA, droppedB := false, false
	for _, c := range a {
		if slices.ContainsFunc(b, func(o candidate) bool { return o.dot == c.dot }) || !theirs.Covers(c.dot) {
			kept = append(kept, c)
		} else {
			droppedA = true
		}
	}
	fromA := len(kept) // kept[fromA:] came from other only
	for _, c := range b {
		if slices.ContainsFunc(a, func(o candidate) bool { return o.dot == c.dot }) {
			continue
		}
		if mine.Covers(c.dot) {
			droppedB = true
			continue
		}
		c.val = slices.Clone(c.val)
		kept = append(kept, c)
	}
	if report != nil && len(kept) > 0 {
		reportMerge(report, kept, fromA, (len(b) == 0 && droppedA) || (len(a) == 0 && droppedB))
	}
	v.base, v.more = candidate{}, nil
	for i, c := range kept {
		if i == 0 {
			v.base = c
		} else {
			v.more = append(v.more, c)
		}
	}
	v.promote()
	v.counters = mergeTotals(v.counters, other.counters)
	v.offsets = mergeTotals(v.offsets, other.offsets)
}

// reportMerge reports what a merge that keeps the candidates kept resolved (kept[fromA:] are
// new to the receiving side); removed says that a side without candidates had removed some of
// the other's, so the survivors won over that removal.
func reportMerge(report crdt.MergeReport, kept []candidate, fromA int, removed bool) {
	w := 0
	for i := range kept {
		if later(kept[i], kept[w]) {
			w = i
		}
	}
	winner := kept[w]
	if removed {
		report(nil, crdt.Resolution{Rule: crdt.RuleAddWins, Winner: crdt.Write{Dot: winner.dot, HLC: winner.hlc}})
	}
	for i, c := range kept {
		if i != w && (i >= fromA || w >= fromA) {
			report(nil, lww(winner, c))
		}
	}
}

// mergeTotals returns, per member, the total with the higher sequence number.
func mergeTotals(a, b []Total) []Total {
	if len(b) == 0 {
		return a
	}
	out := make([]Total, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Member < b[j].Member):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].Member < a[i].Member:
			out = append(out, b[j].clone())
			j++
		default:
			if b[j].Seq > a[i].Seq {
				out = append(out, b[j].clone())
			} else {
				out = append(out, a[i])
			}
			i++
			j++
		}
	}
	return out
}

// Equal reports whether two values hold the same state (tests and invariants).
func (v *Value) Equal(w *Value) bool {
	return string(v.AppendState(nil)) == string(w.AppendState(nil))
}

// HoldsUnobserved reports whether v holds a base candidate or a live counter contribution
// that the origin of obs had not seen (what a newer write leaves of an older value).
func (v *Value) HoldsUnobserved(obs crdt.Observed) bool {
	if !v.base.dot.IsZero() && !obs.Covers(v.base.dot) {
		return true
	}
	for _, c := range v.more {
		if !obs.Covers(c.dot) {
			return true
		}
	}
	for i, t := range v.counters {
		if v.liveContribution(i) && !obs.Covers(clock.Dot{Member: t.Member, Seq: t.Seq}) {
			return true
		}
	}
	return false
}

// Single returns the value's only base candidate when the value is nothing more (no concurrent
// candidates, no counters, no offsets): what a compact representation can hold instead.
func (v *Value) Single() (val []byte, dot clock.Dot, hlc clock.HLC, ok bool) {
	if v.base.dot.IsZero() || len(v.more) > 0 || len(v.counters) > 0 || len(v.offsets) > 0 {
		return nil, clock.Dot{}, 0, false
	}
	return v.base.val, v.base.dot, v.base.hlc, true
}
