package clock

import "testing"

func TestClockMonotonicWhenTimeStandsStillOrGoesBack(t *testing.T) {
	src := &Manual{Millis: 1000}
	c := NewClock(src)
	a := c.Now()
	b := c.Now()
	src.Millis = 900 // the machine clock jumps back
	d := c.Now()
	if !(a < b && b < d) {
		t.Fatalf("timestamps not increasing: %v %v %v", a, b, d)
	}
	if a.Millis() != 1000 || b.Logical() != 1 {
		t.Fatalf("unexpected parts: %v %v", a, b)
	}
	src.Millis = 2000
	if e := c.Now(); e != NewHLC(2000, 0) {
		t.Fatalf("clock did not follow physical time: %v", e)
	}
}

func TestClockObserveOrdersLaterEvents(t *testing.T) {
	c := NewClock(&Manual{Millis: 1000})
	remote := NewHLC(5000, 7)
	c.Observe(remote)
	if n := c.Now(); n <= remote {
		t.Fatalf("event after observing %v got %v", remote, n)
	}
}

func TestStampTieGoesToSmallerMember(t *testing.T) {
	tests := []struct {
		s, t  Stamp
		after bool
	}{
		{Stamp{10, 2}, Stamp{9, 1}, true},
		{Stamp{9, 1}, Stamp{10, 2}, false},
		{Stamp{10, 1}, Stamp{10, 2}, true},
		{Stamp{10, 2}, Stamp{10, 1}, false},
		{Stamp{10, 1}, Stamp{10, 1}, false},
	}
	for _, tt := range tests {
		if got := tt.s.After(tt.t); got != tt.after {
			t.Errorf("%v.After(%v) = %v, want %v", tt.s, tt.t, got, tt.after)
		}
	}
}

func TestVector(t *testing.T) {
	var v Vector
	v = v.Set(3, 5)
	if v.Get(3) != 5 || v.Get(1) != 0 || v.Get(60) != 0 {
		t.Fatalf("get/set: %v", v)
	}
	if !v.Covers(Dot{3, 5}) || v.Covers(Dot{3, 6}) || v.Covers(Dot{2, 1}) {
		t.Fatal("covers")
	}
	w := Vector(nil).Set(1, 2).Set(3, 1)
	m := v.Clone().Merge(w)
	if m.Get(1) != 2 || m.Get(3) != 5 {
		t.Fatalf("merge: %v", m)
	}
	if got := Min(m, w); got.Get(1) != 2 || got.Get(3) != 1 {
		t.Fatalf("min: %v", got)
	}
	if !Vector(nil).Set(2, 0).Equal(nil) || v.Equal(w) {
		t.Fatal("equal")
	}
	if s := m.Format([]MemberID{1, 2, 3}); s != "1:2,2:0,3:5" {
		t.Fatalf("format: %s", s)
	}
}
