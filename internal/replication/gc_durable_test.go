package replication

import (
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

// A persisting member's OVC is bounded by its disk's vector clock (docs/testing.md, bug 7);
// with nothing on disk (nil) or no persister it is what it applied.
func TestDurableOVC(t *testing.T) {
	applied := clock.Vector{0, 5, 7, 3}
	cases := []struct {
		name    string
		durable func() clock.Vector
		want    clock.Vector
	}{
		{"no persister", nil, applied},
		{"nothing on disk", func() clock.Vector { return nil }, applied},
		{"disk behind", func() clock.Vector { return clock.Vector{0, 5, 4, 3} }, clock.Vector{0, 5, 4, 3}},
		{"disk empty", func() clock.Vector { return clock.Vector{} }, clock.Vector{}},
		{"disk shorter", func() clock.Vector { return clock.Vector{0, 2} }, clock.Vector{0, 2}},
		{"disk caught up", func() clock.Vector { return clock.Vector{0, 5, 7, 3} }, applied},
	}
	for _, c := range cases {
		got := DurableOVC(applied.Clone(), c.durable)
		if !got.Equal(c.want) {
			t.Errorf("%s: DurableOVC = %v, want %v", c.name, got, c.want)
		}
		for i := range got {
			if got[i] > applied.Get(clock.MemberID(i)) {
				t.Errorf("%s: DurableOVC %v exceeds the applied %v", c.name, got, applied)
			}
		}
	}
}
