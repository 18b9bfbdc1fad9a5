package orset

import (
	"fmt"
	"slices"
	"strings"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// State format (full resync and snapshots), built from package crdt's primitives:
//
//	state = members:count { name:bytes dots:count { dot } }
//
// Members are sorted by name and each member's dots by (member id, seq), so the encoding is
// canonical: equal states give equal bytes.

// ErrCorrupt is wrapped by every DecodeState error.
var ErrCorrupt = fmt.Errorf("orset: %w", crdt.ErrCorrupt)

// AppendState appends the set's whole state to dst.
func (s *Set) AppendState(dst []byte) []byte {
	names := make([]string, 0, s.n)
	s.Each(func(m string) bool {
		names = append(names, m)
		return true
	})
	slices.Sort(names)
	dst = crdt.AppendUvarint(dst, uint64(len(names)))
	for _, m := range names {
		dst = crdt.AppendBytes(dst, []byte(m))
		ds := s.sortedDots(m)
		dst = crdt.AppendUvarint(dst, uint64(len(ds)))
		for _, d := range ds {
			dst = crdt.AppendDot(dst, d)
		}
	}
	return dst
}

func (s *Set) sortedDots(m string) []clock.Dot {
	ds := s.Dots(m)
	slices.SortFunc(ds, cmpDot)
	return ds
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

// DecodeState decodes what AppendState wrote, validating everything.
func DecodeState(data []byte) (*Set, error) {
	r := crdt.NewReader(data, ErrCorrupt)
	n := r.Count(2, "members")
	s := New()
	prev := ""
	for i := range n {
		name := string(r.Bytes("member"))
		k := r.Count(2, "dots")
		if r.Err() != nil {
			return nil, r.Err()
		}
		if i > 0 && strings.Compare(prev, name) >= 0 {
			r.Fail("members not sorted")
			return nil, r.Err()
		}
		if k == 0 {
			r.Fail("member %q without dots", name)
			return nil, r.Err()
		}
		prev = name
		ds := make([]clock.Dot, k)
		for j := range ds {
			ds[j] = r.Dot("dot")
			if r.Err() == nil && j > 0 && cmpDot(ds[j-1], ds[j]) >= 0 {
				r.Fail("dots of %q not sorted", name)
			}
		}
		if r.Err() != nil {
			return nil, r.Err()
		}
		s.put(name, ds)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return s, nil
}

// put adds member name, which is not in s, with the given dots (at least one).
func (s *Set) put(name string, ds []clock.Dot) {
	if s.index == nil {
		s.index = make(map[string]uint32)
	}
	s.index[name] = uint32(s.n)
	s.push(elem{name: name, seq: ds[0].Seq, member: ds[0].Member})
	s.peak = max(s.peak, s.n)
	if len(ds) > 1 {
		s.setMore(s.slot(s.n-1), slices.Clone(ds[1:]))
	}
}

// Merge joins other's state into s (full resync): mine and theirs are the vector clocks of the
// replicas s and other come from. A dot present on one side only was removed by the other side
// if that side's clock covers it, and is kept otherwise. other is not modified.
func (s *Set) Merge(other *Set, mine, theirs clock.Vector) { s.MergeReported(other, mine, theirs, nil) }

// MergeReported is Merge reporting the conflicts it resolves (report may be nil): an add-wins
// conflict for each member that one side had removed (it had seen dots of the member that it no
// longer holds) and that survives with a dot that side had not seen. The winner is that dot.
func (s *Set) MergeReported(other *Set, mine, theirs clock.Vector, report crdt.MergeReport) {
	type member struct {
		name string
		dots []clock.Dot
	}
	var out []member
	// addWins reports a member that survives with kept after the side whose clock is vc removed
	// it (dropped), when one of kept is a dot that side had not seen.
	addWins := func(name string, kept []clock.Dot, dropped bool, vc clock.Vector) {
		if report == nil || !dropped {
			return
		}
		for _, d := range kept {
			if !vc.Covers(d) {
				report([]byte(name), crdt.Resolution{Rule: crdt.RuleAddWins, Winner: crdt.Write{Dot: d}})
				return
			}
		}
	}
	s.Each(func(m string) bool {
		var kept []clock.Dot
		theirDots := other.Dots(m)
		dropped := false
		for _, d := range s.Dots(m) {
			if slices.Contains(theirDots, d) || !theirs.Covers(d) {
				kept = append(kept, d)
			} else {
				dropped = true
			}
		}
		for _, d := range theirDots {
			if !slices.Contains(kept, d) && !mine.Covers(d) {
				kept = append(kept, d)
			}
		}
		if len(kept) > 0 {
			out = append(out, member{m, kept})
			// theirs removed the member (a side still holding it re-added it instead)
			addWins(m, kept, dropped && len(theirDots) == 0, theirs)
		}
		return true
	})
	other.Each(func(m string) bool {
		if s.Contains(m) {
			return true
		}
		var kept []clock.Dot
		dropped := false
		for _, d := range other.Dots(m) {
			if !mine.Covers(d) {
				kept = append(kept, d)
			} else {
				dropped = true // mine removed it
			}
		}
		if len(kept) > 0 {
			out = append(out, member{strings.Clone(m), kept})
			addWins(m, kept, dropped, mine)
		}
		return true
	})
	*s = Set{}
	for _, m := range out {
		s.put(m.name, m.dots)
	}
}

// HoldsUnobserved reports whether s holds a dot that the origin of obs had not seen (what a
// newer creation of the set leaves of older ones).
func (s *Set) HoldsUnobserved(obs crdt.Observed) bool {
	for _, c := range s.chunks {
		for i := range c {
			if !obs.Covers(c[i].dot()) {
				return true
			}
		}
	}
	for _, ds := range s.more {
		for _, d := range ds {
			if !obs.Covers(d) {
				return true
			}
		}
	}
	return false
}
