package crdt

import "github.com/concord-db/concord/internal/clock"

// Expiry is a key's expiry register (semantics.md §8). Each write of an expiry (EXPIRE sets an
// absolute time, PERSIST and TTL-resetting writes set "no TTL") removes the expiry writes its
// origin had seen and adds its own. Writes that survive are concurrent; among them no-TTL beats
// every TTL and otherwise the longest TTL wins. The first candidate is kept inline because one is
// by far the most common case.
type Expiry struct {
	first expiryWrite
	more  []expiryWrite
}

type expiryWrite struct {
	dot clock.Dot // zero: no write
	at  int64     // absolute Unix time in ms; 0 means no TTL
}

// Write records an expiry write made by the batch of obs: at is an absolute time in ms, 0 for
// no TTL. A write the origin had not seen that survives with another time is a contest
// (RuleExpiry): the result names the winner and the loser and the loser's time. Concurrent
// writes of the same time are no contest.
func (e *Expiry) Write(at int64, obs Observed) Resolution {
	e.Remove(obs)
	w := expiryWrite{dot: obs.Self, at: at}
	if e.first.dot.IsZero() {
		e.first = w
		return Resolution{}
	}
	prev := e.first
	for _, o := range e.more {
		if better(o, prev) {
			prev = o
		}
	}
	e.more = append(e.more, w)
	if prev.at == at {
		return Resolution{}
	}
	winner, loser := prev, w
	if better(w, prev) {
		winner, loser = w, prev
	}
	return Resolution{Rule: RuleExpiry, Winner: Write{Dot: winner.dot}, Loser: Write{Dot: loser.dot}, LoserAt: loser.at}
}

// Remove drops every expiry write the origin of obs had seen.
func (e *Expiry) Remove(obs Observed) {
	if !e.first.dot.IsZero() && obs.Covers(e.first.dot) {
		e.first = expiryWrite{}
	}
	kept := e.more[:0]
	for _, w := range e.more {
		if !obs.Covers(w.dot) {
			kept = append(kept, w)
		}
	}
	clear(e.more[len(kept):])
	e.more = kept
	if e.first.dot.IsZero() && len(e.more) > 0 {
		e.first, e.more = e.more[0], e.more[1:]
	}
	if len(e.more) == 0 {
		e.more = nil
	}
}

// At returns the winning expiry time (0: no TTL) and the member whose write won, the key's
// expiry owner (0 when nothing was ever written).
func (e *Expiry) At() (at int64, owner clock.MemberID) {
	if e.first.dot.IsZero() {
		return 0, 0
	}
	best := e.first
	for _, w := range e.more {
		if better(w, best) {
			best = w
		}
	}
	return best.at, best.dot.Member
}

// better orders concurrent expiry writes: no TTL beats any TTL, a longer TTL beats a shorter
// one, and an exact tie goes to the smaller member id so that the owner is the same everywhere.
func better(a, b expiryWrite) bool {
	switch {
	case a.at == 0 && b.at != 0:
		return true
	case b.at == 0 && a.at != 0:
		return false
	case a.at != b.at:
		return a.at > b.at
	case a.dot.Member != b.dot.Member:
		return a.dot.Member < b.dot.Member
	default:
		return a.dot.Seq > b.dot.Seq
	}
}

// Written reports whether any expiry write is recorded (also a no-TTL one).
func (e *Expiry) Written() bool { return !e.first.dot.IsZero() }

// Clone returns an independent copy.
func (e Expiry) Clone() Expiry {
	e.more = append([]expiryWrite(nil), e.more...)
	if len(e.more) == 0 {
		e.more = nil
	}
	return e
}
