package crdt

import (
	"testing"

	"github.com/concord-db/concord/internal/clock"
)

// A creation of the value's type and a losing creation of another type with one stamp are two
// operations of one batch, the first one earlier (HINCRBY then PSETEX in one MULTI, applied
// onto a later hash: docs/testing.md bug 8). The string beats the hash creation made before it
// in the batch, so its elements are hidden; a creation of the hash at that stamp recorded after
// the beat (a later operation of the batch) is accepted and stays.
func TestBeatHidesSameBatchCreation(t *testing.T) {
	later := clock.Stamp{HLC: 200, Member: 1}
	batch := clock.Stamp{HLC: 100, Member: 2}
	self := clock.Dot{Member: 2, Seq: 70}
	var k Key
	k.Value, k.Created = fakeValue(TypeHash), later
	if !k.Accepts(TypeHash, batch) {
		t.Fatal("the batch's hash creation was refused")
	}
	k.Target(batch, self) // what the engine records for an earlier creation of the value's type
	if k.Accepts(TypeString, batch) {
		t.Fatal("the batch's string creation beat the later hash")
	}
	hide := k.TakeHidden()
	if !hide.Covers(self) {
		t.Fatalf("hidden %v, want the batch's hash elements (%v) hidden", hide, self)
	}
	if !k.Accepts(TypeHash, batch) {
		t.Fatal("a hash creation later in the batch was refused")
	}
	k.Target(batch, self)
	if h := k.TakeHidden(); h != nil {
		t.Fatalf("hidden %v after the later creation", h)
	}
}
