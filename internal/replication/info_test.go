package replication

import "testing"

// INFO crdt's crdt_syncing follows the startup gate: a restarted member reports it syncing
// until its peer gave its own batches back.
func TestInfoReportsSyncing(t *testing.T) {
	a := newMember(t, 1, "s", 2)
	b := newMember(t, 2, "s", 1)
	replicateOwn(t, a, b, 2)

	a2 := newMember(t, 1, "s", 2)
	syncing := func() bool {
		a2.e.Lock()
		defer a2.e.Unlock()
		return a2.r.Info().Syncing
	}
	if !syncing() {
		t.Fatal("Info().Syncing of a restarted member with peers is false")
	}
	link(t, a2, b)
	waitFor(t, "Info().Syncing turns false", func() bool { return !syncing() })
	if a2.syncing() {
		t.Fatal("Info says synced while the gate is closed")
	}
}
