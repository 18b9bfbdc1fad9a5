package register

import (
	"math/big"
	"slices"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// Value is a string key's conflict-free state. The zero Value does not exist.
type Value struct {
	base     candidate
	more     []candidate // concurrent bases not yet overwritten
	counters []Total     // cumulative contributions, one per member, sorted by member
	offsets  []Total     // totals observed by SET and DEL, one per member, sorted by member
	// first backs counters while a single member contributes (the common case): kept inside
	// the value so that reading a counter touches one allocation fewer.
	first [1]Total
}

type candidate struct {
	dot clock.Dot // zero: no candidate
	hlc clock.HLC
	val []byte
}

// Total is one member's cumulative counter contributions as of the contribution with sequence
// number Seq. Float is nil when the member never used a floating increment.
type Total struct {
	Member clock.MemberID
	Seq    uint64
	Int    int64
	Float  *big.Rat
}

// New returns a value holding val as written by the batch of obs at hlc.
func New(val []byte, obs crdt.Observed, hlc clock.HLC) *Value {
	return &Value{base: candidate{dot: obs.Self, hlc: hlc, val: val}}
}

// Type implements crdt.Value.
func (v *Value) Type() crdt.Type { return crdt.TypeString }

// Live implements crdt.Value.
func (v *Value) Live() bool {
	if !v.base.dot.IsZero() {
		return true
	}
	for i := range v.counters {
		if v.liveContribution(i) {
			return true
		}
	}
	return false
}

// Retained reports whether the value must be kept after it stops being live: counter offsets
// must outlive the value, or a contribution made concurrently with its deletion would come back
// whole instead of as its unobserved part.
func (v *Value) Retained() bool { return len(v.offsets) > 0 }

// Set makes val the base, written by the batch of obs at hlc; offsets are the counter totals the
// origin had seen (from Observed on the origin), which stop counting. When a base the origin
// had not seen survives the removal, the two writes were concurrent: the result says which
// one last-writer-wins kept.
func (v *Value) Set(val []byte, obs crdt.Observed, hlc clock.HLC, offsets []Total) crdt.Resolution {
	v.Remove(obs, offsets)
	c := candidate{dot: obs.Self, hlc: hlc, val: val}
	if v.base.dot.IsZero() {
		v.base = c
		return crdt.Resolution{}
	}
	prev := v.base
	v.more = append(v.more, c)
	v.promote()
	if later(c, prev) {
		return lww(c, prev)
	}
	return lww(prev, c)
}

func lww(winner, loser candidate) crdt.Resolution {
	return crdt.Resolution{
		Rule:       crdt.RuleLWW,
		Winner:     crdt.Write{Dot: winner.dot, HLC: winner.hlc},
		Loser:      crdt.Write{Dot: loser.dot, HLC: loser.hlc},
		LoserValue: loser.val,
	}
}

// Base returns the winning base write and its value (a zero dot when there is none).
func (v *Value) Base() (crdt.Write, []byte) {
	return crdt.Write{Dot: v.base.dot, HLC: v.base.hlc}, v.base.val
}

// Remove deletes the base candidates the origin of obs had seen and the counter totals in
// offsets (DEL).
func (v *Value) Remove(obs crdt.Observed, offsets []Total) {
	if !v.base.dot.IsZero() && obs.Covers(v.base.dot) {
		v.base = candidate{}
	}
	if len(v.more) > 0 {
		v.more = slices.DeleteFunc(v.more, func(c candidate) bool { return obs.Covers(c.dot) })
		if len(v.more) == 0 {
			v.more = nil
		}
	}
	v.promote()
	for _, o := range offsets {
		i, found := slices.BinarySearchFunc(v.offsets, o.Member, byMember)
		if found {
			if o.Seq > v.offsets[i].Seq {
				v.offsets[i] = o.clone()
			}
			continue
		}
		v.offsets = slices.Insert(v.offsets, i, o.clone())
	}
}

// promote keeps the winning candidate in base, so that reads look at one place.
func (v *Value) promote() {
	for i, c := range v.more {
		if v.base.dot.IsZero() || later(c, v.base) {
			v.base, v.more[i] = c, v.base
		}
	}
	if len(v.more) > 0 {
		v.more = slices.DeleteFunc(v.more, func(c candidate) bool { return c.dot.IsZero() })
		if len(v.more) == 0 {
			v.more = nil
		}
	}
}

func later(a, b candidate) bool {
	return clock.Stamp{HLC: a.hlc, Member: a.dot.Member}.After(clock.Stamp{HLC: b.hlc, Member: b.dot.Member})
}

// Contribute adds a counter contribution made by member m in its batch seq: n to the integer
// part, f (if not nil) to the floating part. Each contribution is applied exactly once, in its
// origin's order (causal delivery).
func (v *Value) Contribute(m clock.MemberID, seq uint64, n int64, f *big.Rat) {
	i, found := slices.BinarySearchFunc(v.counters, m, byMember)
	if !found {
		if v.counters == nil {
			v.counters = v.first[:0:1]
		}
		v.counters = slices.Insert(v.counters, i, Total{Member: m})
	}
	t := &v.counters[i]
	t.Seq = seq
	t.Int += n // wrapping: see the package comment
	if f != nil {
		// A new Rat each time: totals are shared with offsets recorded in effects.
		if t.Float == nil {
			t.Float = new(big.Rat).Set(f)
		} else {
			t.Float = new(big.Rat).Add(t.Float, f)
		}
	}
}

// Totals returns a copy of the counter totals, for the offsets of a SET or DEL made on this
// member (nil when there are none).
func (v *Value) Totals() []Total {
	if len(v.counters) == 0 {
		return nil
	}
	out := make([]Total, len(v.counters))
	for i, t := range v.counters {
		out[i] = t.clone()
	}
	return out
}

func byMember(t Total, m clock.MemberID) int { return int(t.Member) - int(m) }

func (t Total) clone() Total {
	if t.Float != nil {
		t.Float = new(big.Rat).Set(t.Float)
	}
	return t
}

func (v *Value) offset(m clock.MemberID) *Total {
	i, found := slices.BinarySearchFunc(v.offsets, m, byMember)
	if !found {
		return nil
	}
	return &v.offsets[i]
}

func (v *Value) liveContribution(i int) bool {
	c := &v.counters[i]
	o := v.offset(c.Member)
	return o == nil || c.Seq > o.Seq
}

// Contribution returns member i's live contribution: its total minus its offset.
func (v *Value) contribution(i int) (n int64, f *big.Rat, live bool) {
	c := &v.counters[i]
	o := v.offset(c.Member)
	if o != nil && c.Seq <= o.Seq {
		return 0, nil, false
	}
	n, f = c.Int, c.Float
	if o != nil {
		n -= o.Int
		if o.Float != nil {
			if f == nil {
				f = new(big.Rat)
			}
			f = new(big.Rat).Sub(f, o.Float)
		}
	}
	return n, f, true
}

// Contribution returns member m's live contribution (0 when it has none), for the 59-bit check.
func (v *Value) Contribution(m clock.MemberID) int64 {
	i, found := slices.BinarySearchFunc(v.counters, m, byMember)
	if !found {
		return 0
	}
	n, _, _ := v.contribution(i)
	return n
}

// Clone returns an independent copy (COPY, RENAME build new values from the resolved bytes
// instead; Clone is for snapshots and tests).
func (v *Value) Clone() *Value {
	w := &Value{base: v.base}
	w.base.val = slices.Clone(v.base.val)
	for _, c := range v.more {
		c.val = slices.Clone(c.val)
		w.more = append(w.more, c)
	}
	for _, t := range v.counters {
		w.counters = append(w.counters, t.clone())
	}
	for _, t := range v.offsets {
		w.offsets = append(w.offsets, t.clone())
	}
	return w
}
