package store

import "testing"

// Find finds what Get finds, without making it the last looked-up entry.
func TestFindLeavesLastAlone(t *testing.T) {
	d := New(1).DB(0)
	a, b := d.GetOrCreate("a"), d.GetOrCreate("b")
	if d.Get("a") != a || d.last != a {
		t.Fatal("Get did not find a")
	}
	if d.Find("b") != b || d.Find("c") != nil {
		t.Fatal("Find did not find what Get finds")
	}
	if d.last != a {
		t.Fatalf("Find changed the last looked-up entry to %v", d.last.Name)
	}
}
