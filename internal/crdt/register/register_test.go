package register

import (
	"math/big"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

func obs(m clock.MemberID, seq uint64, deps ...uint64) crdt.Observed {
	o := crdt.Observed{Self: clock.Dot{Member: m, Seq: seq}}
	for i, s := range deps {
		o.Deps = o.Deps.Set(clock.MemberID(i+1), s)
	}
	return o
}

func text(v *Value) string {
	b, ok := v.Bytes()
	if !ok {
		return "(nil)"
	}
	return string(b)
}

func TestResolution(t *testing.T) {
	tests := []struct {
		name  string
		build func() *Value
		want  string
	}{
		{"plain value is returned as written", func() *Value { return New([]byte("007"), obs(1, 1), 10) }, "007"},
		{"integer base plus contributions", func() *Value {
			v := New([]byte("5"), obs(1, 1), 10)
			v.Contribute(2, 1, 3, nil)
			v.Contribute(3, 1, -10, nil)
			return v
		}, "-2"},
		{"contributions alone (base deleted concurrently)", func() *Value {
			v := &Value{}
			v.Contribute(2, 1, 2, nil)
			return v
		}, "2"},
		{"non-numeric base hides contributions", func() *Value {
			v := New([]byte("hello"), obs(1, 1), 10)
			v.Contribute(2, 1, 1, nil)
			return v
		}, "hello"},
		{"float contributions print like INCRBYFLOAT", func() *Value {
			v := New([]byte("10.5"), obs(1, 1), 10)
			v.Contribute(1, 2, 0, big.NewRat(1, 10))
			return v
		}, "10.6"},
		{"integral float sum prints as an integer", func() *Value {
			v := New([]byte("10"), obs(1, 1), 10)
			v.Contribute(1, 2, 0, big.NewRat(1, 2))
			v.Contribute(2, 1, 0, big.NewRat(1, 2))
			return v
		}, "11"},
		{"sum beyond int64 is still exact", func() *Value {
			v := New([]byte("9223372036854775807"), obs(1, 1), 10)
			v.Contribute(2, 1, 1, nil)
			return v
		}, "9223372036854775808"},
		{"later stamp wins among concurrent bases", func() *Value {
			v := New([]byte("a"), obs(1, 1), 10)
			v.Set([]byte("b"), obs(2, 1), 20, nil)
			v.Set([]byte("c"), obs(3, 1), 15, nil)
			return v
		}, "b"},
		{"exact tie goes to the smaller member", func() *Value {
			v := New([]byte("from-2"), obs(2, 1), 10)
			v.Set([]byte("from-1"), obs(1, 1), 10, nil)
			return v
		}, "from-1"},
		{"removal of everything seen leaves nothing", func() *Value {
			v := New([]byte("a"), obs(1, 1), 10)
			v.Contribute(1, 2, 4, nil)
			v.Remove(obs(1, 3), v.Totals())
			return v
		}, "(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := text(tt.build()); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// A SET stops the contributions it saw; contributions made concurrently keep counting, and a
// later contribution from a member whose earlier ones were stopped counts only itself.
func TestOffsets(t *testing.T) {
	v := New([]byte("0"), obs(1, 1), 10)
	v.Contribute(2, 1, 4, nil) // B: +4
	seen := v.Totals()
	v.Contribute(2, 2, 2, nil) // B: +2, concurrent with the SET below
	v.Set([]byte("10"), obs(1, 2, 0, 1), 20, seen)
	if got := text(v); got != "12" {
		t.Fatalf("SET ∥ INCRBY: %s", got)
	}
	if !v.Live() || !v.Retained() {
		t.Fatal("live value with offsets must be live and retained")
	}
	if n := v.Contribution(2); n != 2 {
		t.Fatalf("B's live contribution %d", n)
	}
	v.Contribute(2, 3, 1, nil)
	if got := text(v); got != "13" {
		t.Fatalf("after another INCR: %s", got)
	}
	// Offsets are copies: changing the returned totals does not change the value.
	tot := v.Totals()
	tot[0].Int = 1000
	if got := text(v); got != "13" {
		t.Fatalf("Totals aliases state: %s", got)
	}
}

func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"1", "-1.5", "+2", ".5", "5.", "1e3", "1E-2"} {
		if _, ok := ParseDecimal([]byte(s)); !ok {
			t.Errorf("%q rejected", s)
		}
	}
	for _, s := range []string{"", "-", ".", "1/3", "0x10", "inf", "nan", " 1", "1 ", "1e", "1e99999"} {
		if _, ok := ParseDecimal([]byte(s)); ok {
			t.Errorf("%q accepted", s)
		}
	}
}
