package crdttest

import (
	"fmt"
	"testing"
)

type recorder struct{ failed []string }

func (r *recorder) Fatal(args ...any) { r.failed = append(r.failed, fmt.Sprint(args...)) }

// TestMergeLawsCatchesBrokenMerges: max passes; subtraction (not commutative) and addition
// (not idempotent) are caught.
func TestMergeLawsCatchesBrokenMerges(t *testing.T) {
	str := func(x int) string { return fmt.Sprint(x) }
	for _, c := range []struct {
		name  string
		merge func(x, y int) int
		want  string
	}{
		{"max", func(x, y int) int { return max(x, y) }, ""},
		{"sub", func(x, y int) int { return x - y }, "merge is not commutative"},
		{"add", func(x, y int) int { return x + y }, "merge is not idempotent"},
	} {
		var r recorder
		MergeLaws(&r, 1, 2, 3, c.merge, str)
		got := ""
		if len(r.failed) > 0 {
			got = r.failed[0]
		}
		if got != c.want {
			t.Errorf("%s: first failure %q, want %q", c.name, got, c.want)
		}
	}
}
