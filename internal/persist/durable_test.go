package persist

import (
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

func (m *member) vector() clock.Vector {
	m.e.Lock()
	defer m.e.Unlock()
	return m.e.Vector()
}

// covers reports whether v has every sequence number w has.
func covers(v, w clock.Vector) bool {
	for i := range w {
		if v.Get(clock.MemberID(i)) < w[i] {
			return false
		}
	}
	return true
}

// The durable vector is what a power loss keeps: batches written but not fsynced are not in it
// (a member advertising them for tombstone collection would resurrect data after restarting
// from its older disk, docs/testing.md bug 7); the fsync of the next second brings it up to
// what was applied, appendfsync no included. After a power loss the member loads at least it.
func TestDurableVectorFollowsFsync(t *testing.T) {
	for _, policy := range []string{"no", "everysec"} {
		t.Run(policy, func(t *testing.T) {
			fs := NewFaultFS()
			cfg := testConfig(t, t.TempDir(), "appendonly", "yes", "appendfsync", policy)
			m := mustStart(t, fs, cfg, t0)
			if d := m.p.DurableVector(); d == nil || !zeroVector(d) {
				t.Fatalf("durable vector of an empty member with appendonly yes = %v, want empty, not nil", d)
			}
			m.run(workload)
			applied, d := m.vector(), m.p.DurableVector()
			if covers(d, applied) {
				t.Fatalf("durable vector %v covers the applied %v before any fsync", d, applied)
			}
			m.clk.Millis += 1000
			m.p.Tick()
			if d := m.p.DurableVector(); !d.Equal(applied) {
				t.Fatalf("durable vector after the second's fsync = %v, want %v", d, applied)
			}
			m.run([][]string{{"SET", "late", "1"}, {"DEL", "s1"}})
			d = m.p.DurableVector()
			if after := m.vector(); covers(d, after) {
				t.Fatalf("durable vector %v covers %v, not fsynced", d, after)
			}
			fs.PowerLoss()
			m2 := mustStart(t, fs, cfg, t0+2000)
			if got := m2.vector(); !covers(got, d) {
				t.Fatalf("after the power loss the member loaded %v, less than the durable %v", got, d)
			}
		})
	}
}

// Without an append-only file the durable vector is a snapshot's; nil (no bound) while a
// restart would start empty.
func TestDurableVectorSnapshot(t *testing.T) {
	fs := NewFaultFS()
	cfg := testConfig(t, t.TempDir(), "appendonly", "no")
	m := mustStart(t, fs, cfg, t0)
	m.run(workload)
	if d := m.p.DurableVector(); d != nil {
		t.Fatalf("durable vector with nothing on disk = %v, want nil", d)
	}
	if r := m.do("SAVE"); r != "+OK\r\n" {
		t.Fatalf("SAVE: %q", r)
	}
	saved := m.vector()
	m.run([][]string{{"SET", "late", "1"}})
	if d := m.p.DurableVector(); !d.Equal(saved) {
		t.Fatalf("durable vector after SAVE = %v, want the snapshot's %v", d, saved)
	}
	fs.PowerLoss()
	m2 := mustStart(t, fs, cfg, t0+1000)
	if got := m2.vector(); !got.Equal(saved) {
		t.Fatalf("loaded %v, want %v", got, saved)
	}
	if d := m2.p.DurableVector(); !d.Equal(saved) {
		t.Fatalf("durable vector after loading = %v, want %v", d, saved)
	}
}
