package crdt

import (
	"slices"

	"github.com/concord-db/concord/internal/clock"
)

// Deletions that win (semantics.md §6, HyperLogLog: "DEL ∥ PFADD → the key is gone
// everywhere"). An observed-remove leaves concurrent adds alone; a HyperLogLog deletion instead
// removes every add concurrent with it. With causal delivery, every add already applied when
// the deletion arrives was made before or concurrently with it, so the deletion clears the
// value (DeletionWins.Clear); an add arriving later is discarded unless its batch had observed
// the deletion. So the key remembers the deletion: per member, the dot of the latest one (an
// add that observed a member's latest deletion observed its earlier ones).
//
// The memory belongs to the key, not to the value: the key may hold another type, or nothing,
// while a deletion or a concurrent add arrives (a SET replacing the deleted HyperLogLog, a
// HyperLogLog created concurrently later winning the type contest), and the rule must hold
// whatever the order. Which deletions win is decided by the deleting member, from what it saw
// (a DEL of a key it saw as a HyperLogLog, a FLUSH that removed a live HyperLogLog), so every
// member records the same ones; the engine records them (NoteDeletion). A key that never held
// a HyperLogLog never records one, and pays nothing: the memory lives in the contest record,
// allocated only when needed.
//
// A deletion is needed until no add concurrent with it can still arrive; the engine forgets it
// then (Stabilize, with tombstone collection's two-phase rule).

// DeletionWins is implemented by values whose deletions win over concurrent adds (HyperLogLog).
type DeletionWins interface {
	Value
	// Clear removes everything the value holds: every add it holds was made before or
	// concurrently with a deletion that wins.
	Clear()
}

// NoteDeletion records a deletion that wins over the concurrent adds of values implementing
// DeletionWins, made by the batch of dot d.
func (k *Key) NoteDeletion(d clock.Dot) {
	if d.IsZero() {
		return
	}
	c := k.contest
	if c == nil {
		c = &contest{}
		k.contest = c
	}
	dels, changed := addDeletion(c.dels, d)
	if changed {
		c.dels = dels
		c.gen = 0
	}
}

// addDeletion returns dels with d (the latest per member, ascending member), and whether it
// changed.
func addDeletion(dels []clock.Dot, d clock.Dot) ([]clock.Dot, bool) {
	i, ok := slices.BinarySearchFunc(dels, d.Member, func(x clock.Dot, m clock.MemberID) int {
		return int(x.Member) - int(m)
	})
	if ok {
		if dels[i].Seq >= d.Seq {
			return dels, false
		}
		dels[i].Seq = d.Seq
		return dels, true
	}
	return slices.Insert(dels, i, d), true
}

// Deletions returns the remembered deletions (ascending member), in a new slice.
func (k *Key) Deletions() []clock.Dot {
	if k.contest == nil {
		return nil
	}
	return slices.Clone(k.contest.dels)
}

// ObservesDeletions reports whether the batch of obs had observed every remembered deletion;
// an add of a DeletionWins value made by a batch that had not is concurrent with one of them
// and must be discarded.
func (k *Key) ObservesDeletions(obs Observed) bool {
	if k.contest == nil {
		return true
	}
	for _, d := range k.contest.dels {
		if !obs.Covers(d) {
			return false
		}
	}
	return true
}

// ForgetDeletions drops the remembered deletions that stable covers: the caller knows that
// every add concurrent with them has been applied.
func (k *Key) ForgetDeletions(stable clock.Vector) {
	c := k.contest
	if c == nil || len(c.dels) == 0 {
		return
	}
	c.dels = slices.DeleteFunc(c.dels, stable.Covers)
	if len(c.dels) == 0 {
		c.dels = nil
	}
	k.compact()
}

// coversAllDots reports whether vc covers every dot of dels.
func coversAllDots(vc clock.Vector, dels []clock.Dot) bool {
	for _, d := range dels {
		if !vc.Covers(d) {
			return false
		}
	}
	return true
}

// mergeDeletions prepares the merge of o into k (full resync) for deletions that win: a side's
// DeletionWins value is cleared when the other side remembers a deletion this side had not
// seen (every add it holds was made before or concurrently with it), exactly as applying that
// deletion would have done. It returns the union of both sides' deletions.
func (k *Key) mergeDeletions(o *Key, mine, theirs clock.Vector) []clock.Dot {
	kd, od := k.Deletions(), o.Deletions()
	if v, ok := k.Value.(DeletionWins); ok && !coversAllDots(mine, od) {
		v.Clear()
	}
	if v, ok := o.Value.(DeletionWins); ok && !coversAllDots(theirs, kd) {
		v.Clear()
	}
	for _, d := range od {
		kd, _ = addDeletion(kd, d)
	}
	return kd
}

// setDeletions replaces the remembered deletions (the result of mergeDeletions).
func (k *Key) setDeletions(dels []clock.Dot) {
	if len(dels) == 0 {
		if k.contest != nil {
			k.contest.dels = nil
			k.compact()
		}
		return
	}
	if k.contest == nil {
		k.contest = &contest{}
	}
	if !slices.Equal(k.contest.dels, dels) {
		k.contest.gen = 0
	}
	k.contest.dels = dels
}
