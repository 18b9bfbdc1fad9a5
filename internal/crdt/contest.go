package crdt

import (
	"slices"

	"github.com/concord-db/concord/internal/clock"
)

// Type contests (semantics.md §7): "the value created by the write with the larger timestamp
// wins entirely; later effects that target the losing value are ignored on every member".
//
// Every effect on a key's value names the creation it targets (its type and creation stamp,
// effect.Op.Created). Creations of the same type are one value: their elements merge. A
// creation loses when the key has a creation of another type with a later stamp; it loses for
// good (the set of known creations only grows). So the visible value is made of the elements
// of the creations of the winning type (the one with the latest creation) that are later than
// every creation of another type, and an order-independent state needs, per key:
//
//   - Created: the latest creation, of the value's type;
//   - beaten: the latest creation of another type (every creation before it lost);
//   - for the elements of the value, which creation each belongs to, so that a creation of
//     another type arriving late (after beaten, before Created) hides exactly the elements of
//     the creations before it.
//
// Elements are identified by dots, and the creation a member's effects on one key target never
// goes back (a member targets its own latest view of the key, whose creation stamp only grows),
// so "the elements of creations up to c" are exactly the dots covered by a vector clock: per
// member, the highest sequence number of its effects on the key that targeted a creation at or
// before c. The key keeps such a vector for each earlier creation of the value's type that the
// value still mixes in (incs, usually none); a late creation of another type then removes the
// dots covered by the vector of the latest creation before it, as an observed-remove does.
//
// Counter contributions are cumulative per member, so hiding them takes the member's total as
// of its last effect that targeted a beaten creation: its current total when it has not
// contributed since, otherwise the total the engine recorded (History) before each of its
// contributions while the value mixed creations, and for every member when the value started
// to mix them.
//
// Every member must agree on those totals whatever the order of arrival, or the offsets a SET
// or DEL carries would mean different things on different members. So a value that loses a
// contest entirely is not dropped: its elements are removed but the value is kept aside
// ("lost") with its counter totals, and comes back as the base of the next value of its type;
// and a counter contribution aimed at a creation that lost is not ignored: it is added to its
// type's value (live or kept aside) and stopped at once (an offset equal to the new total:
// every earlier contribution of that member to the key targeted a creation no later than this
// one, so it lost too). The engine does both (it knows the types' removal contexts) and drops
// kept-aside values that hold no counters.
//
// The vectors (and the history) only serve creations of another type made concurrently with
// the value's latest creation; the engine forgets them (Stabilize) once its two-phase
// collection rule says that none can still arrive.

// contest is a key's record of type contests and of deletions that win over concurrent
// HyperLogLog adds (see deletions.go), allocated only for keys that had one of them.
type contest struct {
	beaten clock.Stamp   // the latest creation of another type than Value's (zero: none)
	incs   []incarnation // earlier creations of Value's type mixed into Value, oldest first
	hide   clock.Vector  // dots of beaten creations the engine must remove (see TakeHidden)
	lost   []Value       // values of other types that lost, kept for their counters
	// history is the engine's record of counter totals as of earlier contributions, kept
	// while incs is not empty (opaque here: see Mixed).
	history any
	// dels is, per member, the latest deletion that won over concurrent HyperLogLog adds
	// (ascending member; see deletions.go).
	dels []clock.Dot
	// gen is the engine's stabilization generation of incs and dels (0: changed since last
	// noted).
	gen uint32
}

// takeLost removes and returns the kept-aside value of type t, nil when none.
func (c *contest) takeLost(t Type) Value {
	for i, v := range c.lost {
		if v.Type() == t {
			c.lost = slices.Delete(c.lost, i, i+1)
			if len(c.lost) == 0 {
				c.lost = nil
			}
			return v
		}
	}
	return nil
}

// putLost keeps v aside (nil: nothing); a value of its type kept earlier must have been taken.
func (c *contest) putLost(v Value) {
	if v != nil {
		c.lost = append(c.lost, v)
	}
}

// Lost returns the values of other types kept aside for their counter totals (see above). The
// caller may change them but not the slice.
func (k *Key) Lost() []Value {
	if k.contest == nil {
		return nil
	}
	return k.contest.lost
}

// LostValue returns the value of type t kept aside, nil when none.
func (k *Key) LostValue(t Type) Value {
	for _, v := range k.Lost() {
		if v.Type() == t {
			return v
		}
	}
	return nil
}

// SetLost replaces the values kept aside (at most one per type, none of the value's type).
func (k *Key) SetLost(vs []Value) {
	if len(vs) == 0 {
		if k.contest != nil {
			k.contest.lost = nil
			k.compact()
		}
		return
	}
	if k.contest == nil {
		k.contest = &contest{}
	}
	k.contest.lost = vs
}

// incarnation is an earlier creation of the value's type whose elements the value holds.
type incarnation struct {
	created clock.Stamp
	// seen is, per member, the highest sequence number of its effects on the key that
	// targeted a creation at or before created.
	seen clock.Vector
}

// Mixed reports whether the value mixes elements of earlier creations of its type that a late
// creation of another type could still beat. While it does, hiding the counter contributions
// of a beaten creation takes each member's total as of its last contribution to it, which the
// engine records (History) before each contribution; the record is dropped when the value
// stops mixing.
func (k *Key) Mixed() bool { return k.contest != nil && len(k.contest.incs) > 0 }

// History returns the engine's counter history (nil when none).
func (k *Key) History() any {
	if k.contest == nil {
		return nil
	}
	return k.contest.history
}

// SetHistory records the engine's counter history (ignored when the value does not mix).
func (k *Key) SetHistory(h any) {
	if k.Mixed() {
		k.contest.history = h
	}
}

// Beaten is the latest creation stamp of a value of another type that lost to the key's
// value (zero when none).
func (k *Key) Beaten() clock.Stamp {
	if k.contest == nil {
		return clock.Stamp{}
	}
	return k.contest.beaten
}

// beat records a creation at created of another type than the value's, which lost to the
// value (created is before k.Created): the creations of the value's type before it lost too.
// tie says whether a creation of the value's type at created itself lost as well: two creations
// with one stamp are operations of one batch, and the later one wins (Accepts). An effect
// applied (Accepts) passes true: a creation at created that the key already holds came from an
// earlier operation of the same batch (HINCRBY then PSETEX in one MULTI), and it lost as it did
// on the batch's origin (found by the simulator, seed 20040); one made by a later operation of
// the batch is recorded after this and stays. A merge of states passes false: there a creation
// at the beaten stamp that the value holds is one that came later in its batch and won.
func (k *Key) beat(created clock.Stamp, tie bool) {
	c := k.contest
	if c == nil {
		c = &contest{}
		k.contest = c
	}
	if !created.After(c.beaten) {
		return
	}
	c.beaten = created
	i := 0
	for i < len(c.incs) && (created.After(c.incs[i].created) || tie && c.incs[i].created == created) {
		i++
	}
	if i > 0 {
		c.hide = c.hide.Merge(c.incs[i-1].seen)
		c.incs = slices.Delete(c.incs, 0, i)
		c.gen = 0
	}
	k.compact()
}

// TakeHidden returns (and forgets) the vector clock covering the dots of the elements that
// belong to creations which lost a contest, nil when there are none: the caller removes them
// from the value, as an observed-remove with that context.
func (k *Key) TakeHidden() clock.Vector {
	c := k.contest
	if c == nil || c.hide == nil {
		return nil
	}
	h := c.hide
	c.hide = nil
	k.compact()
	return h
}

// compact frees the contest record when it holds nothing.
func (k *Key) compact() {
	if c := k.contest; c != nil && len(c.incs) == 0 && c.hide == nil {
		c.history = nil
	}
	if c := k.contest; c != nil && c.beaten == (clock.Stamp{}) && len(c.incs) == 0 && c.hide == nil && len(c.lost) == 0 &&
		len(c.dels) == 0 {
		k.contest = nil
	}
}

// Supersede records that the value's creation stamp moved from prev to a later creation of the
// same type while the value still holds elements of prev or earlier creations; applied is
// everything the member had applied before the effect that moved it (a vector covering every
// dot of those elements and of no element of the later creation).
func (k *Key) Supersede(prev clock.Stamp, applied clock.Vector) {
	c := k.contest
	if c == nil {
		c = &contest{}
		k.contest = c
	}
	c.gen = 0
	if n := len(c.incs); n > 0 && !prev.After(c.incs[n-1].created) {
		c.incs[n-1].seen = c.incs[n-1].seen.Merge(applied)
		return
	}
	c.incs = append(c.incs, incarnation{created: prev, seen: applied.Clone()})
}

// Target records that the effect with dot self, accepted by the key, targeted the creation at
// created, which is earlier than k.Created (a concurrent creation of the same type).
func (k *Key) Target(created clock.Stamp, self clock.Dot) {
	c := k.contest
	if c == nil {
		c = &contest{}
		k.contest = c
	}
	c.gen = 0
	i := 0
	for i < len(c.incs) && created.After(c.incs[i].created) {
		i++
	}
	if i == len(c.incs) || c.incs[i].created != created {
		var seen clock.Vector
		if i > 0 {
			seen = c.incs[i-1].seen.Clone()
		}
		c.incs = slices.Insert(c.incs, i, incarnation{created: created, seen: seen})
	}
	for j := i; j < len(c.incs); j++ {
		if c.incs[j].seen.Get(self.Member) < self.Seq {
			c.incs[j].seen = c.incs[j].seen.Set(self.Member, self.Seq)
		}
	}
}

// Stabilize forgets the earlier creations the value mixes in (the contest record's vectors)
// when no creation of another type can still arrive between them and Created, and the
// remembered deletions (Deletions) when no add concurrent with them can still arrive: the
// caller knows that every effect concurrent with the creations up to Created and with the
// deletions has been applied (tombstone collection's rule).
func (k *Key) Stabilize() {
	if c := k.contest; c != nil {
		c.incs = nil
		c.dels = nil
		k.compact()
	}
}

// Unstable reports whether the key holds something Stabilize would forget: earlier creations
// the value mixes in, or remembered deletions.
func (k *Key) Unstable() bool {
	return k.contest != nil && (len(k.contest.incs) > 0 || len(k.contest.dels) > 0)
}

// StabilizeGen returns the generation the engine noted the key's earlier creations and
// deletions in (see Stabilize), 0 when they changed since (or there are none).
func (k *Key) StabilizeGen() uint32 {
	if !k.Unstable() {
		return 0
	}
	return k.contest.gen
}

// SetStabilizeGen notes the generation the key's earlier creations and deletions are now
// waiting in.
func (k *Key) SetStabilizeGen(g uint32) {
	if k.Unstable() {
		k.contest.gen = g
	}
}

// Contested reports whether the key holds a contest record (for tests and statistics).
func (k *Key) Contested() bool { return k.contest != nil }
