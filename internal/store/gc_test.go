package store

import "testing"

// Tombstones join the open generation when they change; a sealed generation drops those that
// did not change since, are still dead, and that keep does not hold.
func TestTombstoneGenerations(t *testing.T) {
	s := New(1)
	s.KeepTombstones = true
	d := s.DB(0)
	a, b, c := setKey(s, d, "a", 1), setKey(s, d, "b", 2), setKey(s, d, "c", 3)
	delKey(s, d, a, 4)
	delKey(s, d, b, 5)
	delKey(s, d, c, 6)
	if s.Tombstones() != 3 {
		t.Fatalf("tombstones %d", s.Tombstones())
	}
	id, n := s.Seal()
	if n != 3 {
		t.Fatalf("sealed %d changes", n)
	}
	if _, n := s.Seal(); n != 0 {
		t.Fatal("an empty generation was sealed")
	}
	setKey(s, d, "a", 7) // back to life
	delKey(s, d, b, 8)   // changed again: belongs to the open generation
	attempted, collected := s.Collect(id, func(e *Entry) bool { return e.Name == "keep" })
	if attempted != 1 || collected != 1 || d.Get("c") != nil || d.Get("b") == nil || d.Get("a") == nil {
		t.Fatalf("attempted %d collected %d", attempted, collected)
	}
	id2, _ := s.Seal()
	if _, collected := s.Collect(id2, func(*Entry) bool { return true }); collected != 0 || d.Get("b") == nil {
		t.Fatal("a kept tombstone was dropped")
	}
	if s.Tombstones() != 1 {
		t.Fatalf("tombstones %d", s.Tombstones())
	}
}
