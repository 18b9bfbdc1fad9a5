package crdt

import "github.com/concord-db/concord/internal/clock"

// Observed is what the origin of an effect batch had seen when it made the batch: its own
// earlier effects up to and including the batch itself, and Deps for every other member.
type Observed struct {
	Self clock.Dot    // the batch's own dot
	Deps clock.Vector // what the origin had applied from each member
}

// Covers reports whether the origin had seen the write identified by d.
func (o Observed) Covers(d clock.Dot) bool {
	if d.Member == o.Self.Member {
		return d.Seq <= o.Self.Seq
	}
	return o.Deps.Covers(d)
}
