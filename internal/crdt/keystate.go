package crdt

import (
	"slices"

	"github.com/concord-db/concord/internal/clock"
)

// Envelope state format (the key's value is encoded by its type, see package engine):
//
//	envelope = created:stamp beaten:stamp
//	           incs:count { created:stamp seen:vector }      oldest first
//	           expiry:count { dot at:varint }                sorted by dot
//	           deletions:count { dot }                       ascending member, one per member
//
// deletions are the deletions that win over concurrent HyperLogLog adds (deletions.go).
// The encoding is canonical: equal envelopes give equal bytes.

// AppendState appends the envelope's state (everything but the value) to dst.
func (k *Key) AppendState(dst []byte) []byte {
	dst = AppendStamp(dst, k.Created)
	var c contest
	if k.contest != nil {
		c = *k.contest
	}
	dst = AppendStamp(dst, c.beaten)
	dst = AppendUvarint(dst, uint64(len(c.incs)))
	for _, in := range c.incs {
		dst = AppendStamp(dst, in.created)
		dst = AppendVector(dst, in.seen)
	}
	ws := k.Expiry.writes()
	dst = AppendUvarint(dst, uint64(len(ws)))
	for _, w := range ws {
		dst = AppendDot(dst, w.dot)
		dst = AppendVarint(dst, w.at)
	}
	dst = AppendUvarint(dst, uint64(len(c.dels)))
	for _, d := range c.dels {
		dst = AppendDot(dst, d)
	}
	return dst
}

// ReadState reads what AppendState wrote into k (whose value is left alone), validating it;
// on error r.Err() says why and k is unspecified.
func (k *Key) ReadState(r *Reader) {
	k.Created = r.Stamp("created")
	c := &contest{beaten: r.Stamp("beaten")}
	n := r.Count(3, "creations")
	for i := range n {
		in := incarnation{created: r.Stamp("creation"), seen: r.Vector("creation clock")}
		if r.Err() != nil {
			return
		}
		if (i > 0 && !in.created.After(c.incs[i-1].created)) || c.beaten.After(in.created) ||
			!k.Created.After(in.created) {
			r.Fail("creations out of order")
			return
		}
		c.incs = append(c.incs, in)
	}
	if c.beaten.After(k.Created) {
		r.Fail("beaten creation after the value's")
		return
	}
	n = r.Count(3, "expiry writes")
	k.Expiry = Expiry{}
	for i := range n {
		w := expiryWrite{dot: r.Dot("expiry dot"), at: r.Varint("expiry time")}
		if r.Err() != nil {
			return
		}
		if i > 0 && !dotLess(k.Expiry.last(), w.dot) {
			r.Fail("expiry writes not sorted")
			return
		}
		k.Expiry.add(w)
	}
	n = r.Count(2, "deletions")
	for range n {
		d := r.Dot("deletion")
		if r.Err() != nil {
			return
		}
		if len(c.dels) > 0 && d.Member <= c.dels[len(c.dels)-1].Member {
			r.Fail("deletions out of order")
			return
		}
		c.dels = append(c.dels, d)
	}
	k.contest = c
	k.compact()
}

func dotLess(a, b clock.Dot) bool {
	if a.Member != b.Member {
		return a.Member < b.Member
	}
	return a.Seq < b.Seq
}

// writes returns the expiry writes sorted by dot, in a new slice.
func (e *Expiry) writes() []expiryWrite {
	var out []expiryWrite
	if !e.first.dot.IsZero() {
		out = append(out, e.first)
	}
	out = append(out, e.more...)
	slices.SortFunc(out, func(a, b expiryWrite) int {
		if dotLess(a.dot, b.dot) {
			return -1
		}
		if a.dot == b.dot {
			return 0
		}
		return 1
	})
	return out
}

func (e *Expiry) add(w expiryWrite) {
	if e.first.dot.IsZero() {
		e.first = w
	} else {
		e.more = append(e.more, w)
	}
}

func (e *Expiry) last() clock.Dot {
	if len(e.more) > 0 {
		return e.more[len(e.more)-1].dot
	}
	return e.first.dot
}

// Merge joins o's expiry writes into e (full resync): a write present on one side only was
// replaced or removed by the other side if that side's clock covers its dot, and is kept
// otherwise. This is what applying the writes and removals of both sides gives: each write
// removes the writes its origin had seen, so a write survives exactly when no applied write
// or removal had seen it.
func (e *Expiry) Merge(o *Expiry, mine, theirs clock.Vector) { e.merge(o, mine, theirs, nil) }

// merge is Merge, appending to res the expiry contests it resolves: between the winning write
// and each surviving write of another time, when one of the two came from o.
func (e *Expiry) merge(o *Expiry, mine, theirs clock.Vector, res []Resolution) []Resolution {
	a, b := e.writes(), o.writes()
	*e = Expiry{}
	for _, w := range a {
		if slices.ContainsFunc(b, func(x expiryWrite) bool { return x.dot == w.dot }) || !theirs.Covers(w.dot) {
			e.add(w)
		}
	}
	var fresh []expiryWrite
	for _, w := range b {
		if !slices.ContainsFunc(a, func(x expiryWrite) bool { return x.dot == w.dot }) && !mine.Covers(w.dot) {
			e.add(w)
			fresh = append(fresh, w)
		}
	}
	if len(fresh) == 0 || len(e.more) == 0 {
		return res
	}
	all := e.writes()
	best := all[0]
	for _, w := range all[1:] {
		if better(w, best) {
			best = w
		}
	}
	isFresh := func(w expiryWrite) bool { return slices.Contains(fresh, w) }
	for _, w := range all {
		if w != best && w.at != best.at && (isFresh(w) || isFresh(best)) {
			res = append(res, Resolution{Rule: RuleExpiry, Winner: Write{Dot: best.dot},
				Loser: Write{Dot: w.dot}, LoserAt: w.at})
		}
	}
	return res
}

// Merge joins o, the same key on another replica, into k (full resync): mine and theirs are
// the vector clocks of the replicas k and o come from. o is consumed (its values may be taken
// as they are). mergeValues merges src into dst, two values of the same type coming from
// replicas whose clocks are dstVC and srcVC (the type's state merge). The contest records
// merge as applying both sides' effects would have built them: the value of the latest
// creation wins, the earlier creations that a creation of another type beat lose their
// elements, and values kept aside for their counters (see contest.go) merge by type (into the
// value when it has their type).
//
// Merge returns a vector clock covering the dots that must still be removed from k's value
// (nil when none), which the caller removes as an observed-remove with that context does: the
// elements of beaten creations, and the elements a side holds while the other side holds no
// value at all but has seen them (it removed them). Values kept aside must have every element
// removed by the caller too (Lost). Deletions that win over concurrent adds (deletions.go)
// are joined too: a side's value that loses to them is cleared when the other side remembers
// one it had not seen.
func (k *Key) Merge(o *Key, mine, theirs clock.Vector, mergeValues func(dst, src Value, dstVC, srcVC clock.Vector)) clock.Vector {
	return k.MergeReported(o, mine, theirs, mergeValues, nil)
}

// MergeReported is Merge reporting the key-level conflicts it resolves (report may be nil),
// once the key is merged: the expiry contests (Expiry.merge) and a type conflict when the
// creation that loses the contest held a live value with writes the winning side had not seen
// (a creation that had seen the value it replaced is no conflict: a DEL and a new write of
// another type). The conflicts inside values are mergeValues's to report.
func (k *Key) MergeReported(o *Key, mine, theirs clock.Vector, mergeValues func(dst, src Value, dstVC, srcVC clock.Vector), report MergeReport) clock.Vector {
	var res []Resolution
	if report != nil {
		res = k.Expiry.merge(&o.Expiry, mine, theirs, nil)
	} else {
		k.Expiry.Merge(&o.Expiry, mine, theirs)
	}
	dels := k.mergeDeletions(o, mine, theirs)
	type aside struct {
		v  Value
		vc clock.Vector
	}
	var asides []aside
	for _, v := range k.Lost() {
		asides = append(asides, aside{v, mine})
	}
	for _, v := range o.Lost() {
		asides = append(asides, aside{v, theirs})
	}
	k.SetLost(nil)
	o.SetLost(nil)
	both := mine.Clone().Merge(theirs)
	var remove clock.Vector
	switch {
	case o.Value == nil:
		if k.Value == nil {
			if o.Created.After(k.Created) {
				k.Created = o.Created
			}
			if o.Beaten().After(k.Beaten()) {
				k.beat(o.Beaten(), false)
			}
		} else {
			remove = theirs.Clone()
		}
	case k.Value == nil:
		k.Value, k.Created, k.contest = o.Value, o.Created, o.contest
		remove = mine.Clone()
	case k.Value.Type() == o.Value.Type():
		mergeValues(k.Value, o.Value, mine, theirs)
		k.mergeSameType(o, mine, theirs)
	case o.Created.After(k.Created):
		prev := k.Created
		if report != nil && heldUnseen(k.Value, theirs) {
			res = append(res, typeConflict(o.Created, prev, k.Value.Type()))
		}
		asides = append(asides, aside{k.Value, mine})
		k.Value, k.Created, k.contest = o.Value, o.Created, o.contest
		k.beat(prev, false)
	default:
		if report != nil && heldUnseen(o.Value, mine) {
			res = append(res, typeConflict(k.Created, o.Created, o.Value.Type()))
		}
		asides = append(asides, aside{o.Value, theirs})
		k.beat(o.Created, false)
	}
	var lost []Value
	var lostVC []clock.Vector
	for _, a := range asides {
		if k.Value != nil && a.v.Type() == k.Value.Type() {
			mergeValues(k.Value, a.v, both, a.vc)
			continue
		}
		i := slices.IndexFunc(lost, func(v Value) bool { return v.Type() == a.v.Type() })
		if i < 0 {
			lost, lostVC = append(lost, a.v), append(lostVC, a.vc)
			continue
		}
		mergeValues(lost[i], a.v, lostVC[i], a.vc)
		lostVC[i] = lostVC[i].Clone().Merge(a.vc)
	}
	slices.SortFunc(lost, func(a, b Value) int { return int(a.Type()) - int(b.Type()) })
	k.SetLost(lost)
	k.setDeletions(dels)
	if h := k.TakeHidden(); h != nil {
		remove = remove.Merge(h)
	}
	for _, r := range res {
		report(nil, r)
	}
	return remove
}

// heldUnseen reports whether v, losing a type contest, was live with writes the side whose
// clock is vc had not seen (a value that cannot tell is taken as holding some).
func heldUnseen(v Value, vc clock.Vector) bool {
	if !v.Live() {
		return false
	}
	u, ok := v.(Unobserved)
	return !ok || u.HoldsUnobserved(Observed{Deps: vc})
}

// typeConflict is the Resolution of a type contest won by the creation stamped winner; the
// sides are creation stamps (zero sequence numbers), as the effect path reports them.
func typeConflict(winner, loser clock.Stamp, lost Type) Resolution {
	return Resolution{Rule: RuleType, Winner: Write{Dot: clock.Dot{Member: winner.Member}, HLC: winner.HLC},
		Loser: Write{Dot: clock.Dot{Member: loser.Member}, HLC: loser.HLC}, LoserType: lost}
}

// mergeSameType merges the creation stamps and contest records of two keys whose values are of
// the same type (already merged).
func (k *Key) mergeSameType(o *Key, mine, theirs clock.Vector) {
	created := k.Created
	if o.Created.After(created) {
		created = o.Created
	}
	mineIncs, theirIncs := k.incs(), o.incs()
	if created.After(k.Created) {
		mineIncs = append(mineIncs, incarnation{created: k.Created, seen: mine.Clone()})
	}
	if created.After(o.Created) {
		theirIncs = append(theirIncs, incarnation{created: o.Created, seen: theirs.Clone()})
	}
	beaten := k.Beaten()
	if o.Beaten().After(beaten) {
		beaten = o.Beaten()
	}
	var stamps []clock.Stamp
	for _, in := range append(slices.Clone(mineIncs), theirIncs...) {
		stamps = append(stamps, in.created)
	}
	slices.SortFunc(stamps, func(a, b clock.Stamp) int {
		switch {
		case a == b:
			return 0
		case b.After(a):
			return -1
		}
		return 1
	})
	stamps = slices.Compact(stamps)
	c := &contest{}
	for _, s := range stamps {
		seen := seenAt(mineIncs, s).Clone().Merge(seenAt(theirIncs, s))
		c.incs = append(c.incs, incarnation{created: s, seen: seen})
	}
	k.Created, k.contest = created, c
	if beaten != (clock.Stamp{}) {
		k.beat(beaten, false)
	}
	k.compact()
}

func (k *Key) incs() []incarnation {
	if k.contest == nil {
		return nil
	}
	return slices.Clone(k.contest.incs)
}

// seenAt is the vector of the latest creation at or before s in incs (oldest first), nil when
// none.
func seenAt(incs []incarnation, s clock.Stamp) clock.Vector {
	var v clock.Vector
	for _, in := range incs {
		if in.created.After(s) {
			break
		}
		v = in.seen
	}
	return v
}
