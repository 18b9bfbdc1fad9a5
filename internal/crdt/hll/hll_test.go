package hll

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// obsOf is the observed context of batch (m, seq) whose origin had applied deps[i] from member
// i+1.
var stamp1 = clock.Stamp{HLC: 1, Member: 1}

func obsOf(m clock.MemberID, seq uint64, deps ...uint64) crdt.Observed {
	o := crdt.Observed{Self: clock.Dot{Member: m, Seq: seq}}
	for i, s := range deps {
		o.Deps = o.Deps.Set(clock.MemberID(i+1), s)
	}
	return o
}

func TestMurmurHash64A(t *testing.T) {
	// PFADD h a b c in redis-server 7.0.15 gives the sparse registers of these (index, count).
	v := New()
	var seq uint64
	pfadd(v, &seq, [][]byte{[]byte("a"), []byte("b"), []byte("c")})
	if got := v.Count(); got != 3 {
		t.Fatalf("count %d", got)
	}
}

func regsOf(pairs ...int) *Update {
	u := &Update{}
	for i := 0; i < len(pairs); i += 2 {
		u.Regs.Max(pairs[i], uint8(pairs[i+1]))
	}
	return u
}

// A covered removal (the engine's type-contest bookkeeping) removes the adds of the creations
// it covers and keeps the others.
func TestCoveredRemoval(t *testing.T) {
	c1, c2 := clock.Stamp{HLC: 10, Member: 1}, clock.Stamp{HLC: 20, Member: 2}
	v := New()
	v.Add(regsOf(1, 5), obsOf(1, 1), c1)
	v.Add(regsOf(2, 6), obsOf(2, 1), c2)
	v.Add(regsOf(3, 7), obsOf(1, 2, 1, 1), c2)
	if v.Registers().Nonzero() != 3 || v.Count() != 3 {
		t.Fatalf("three registers: %d", v.Registers().Nonzero())
	}
	if !v.HoldsUnobserved(obsOf(3, 1, 1)) || v.HoldsUnobserved(obsOf(3, 1, 2, 1)) {
		t.Fatal("HoldsUnobserved")
	}
	v.Delete(crdt.Observed{Deps: clock.Vector{0, 1}}) // covers member 1's first add: creation c1
	if v.Registers().Get(1) != 0 || v.Registers().Get(2) != 6 || v.Registers().Get(3) != 7 || !v.Live() {
		t.Fatal("covered removal removed the wrong creation")
	}
	v.Delete(crdt.Observed{Deps: clock.Vector{0, 2, 1}})
	if v.Live() {
		t.Fatal("everything covered")
	}
}

// Corrupted or foreign strings are refused as Redis refuses them.
func TestParseRedisErrors(t *testing.T) {
	hdr := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
	for _, c := range []struct {
		s    string
		want error
	}{
		{"", ErrNotHLL},
		{"HYLL", ErrNotHLL},
		{"HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff", ErrNotHLL},
		{"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff", ErrNotHLL},
		{"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff", ErrNotHLL}, // dense, wrong size
		{hdr, ErrInvalid},                  // no registers
		{hdr + "\x7f", ErrInvalid},         // XZERO cut short: reads the NUL terminator, 16129
		{hdr + "\x7f\xfe", ErrInvalid},     // 16383 registers
		{hdr + "\x7f\xff\x80", ErrInvalid}, // one too many
		{hdr + "\x7f\xfe\x80", nil},        // 16383 zeroes and a 1
		{hdr + "\x7f\xfc\x83", ErrInvalid}, // VAL run past the end
		{hdr + "\x7f\xfb\x83", nil},        // ... that fits
		{hdr + "\x3f\x7f\xbf", nil},        // ZERO 64 + XZERO 16320
	} {
		_, _, err := ParseRedis([]byte(c.s))
		if err != c.want {
			t.Errorf("%q: %v, want %v", c.s, err, c.want)
		}
	}
}

// The canonical sparse encoding splits runs of equal values in VAL opcodes of up to 4.
func TestSparseRuns(t *testing.T) {
	var r Registers
	for i := 100; i < 109; i++ {
		r.Max(i, 3)
	}
	r.Max(109, 40)
	if ok, _ := r.SparseFits(); ok {
		t.Fatal("a register above 32 fits no sparse encoding")
	}
	var s Registers
	for i := 100; i < 109; i++ {
		s.Max(i, 3)
	}
	got := s.AppendRedis(nil, false, 9)
	// XZERO 100, VAL 3x4, VAL 3x4, VAL 3x1, XZERO 16275.
	want := "HYLL\x01\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00" + "\x40\x63" + "\x8b\x8b\x88" + "\x7f\x92"
	if string(got) != want {
		t.Fatalf("%q", got)
	}
}

// sparseFitsWith gives the length of the merged registers without building them.
func TestSparseFitsWith(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genUpdate(t), genUpdate(t)
		merged := a.Regs.Clone()
		merged.MaxWith(&b.Regs)
		ok1, n1 := merged.SparseFits()
		ok2, n2 := sparseFitsWith(&a.Regs, &b.Regs)
		if ok1 != ok2 || n1 != n2 {
			t.Fatalf("%v %d vs %v %d", ok1, n1, ok2, n2)
		}
	})
}
