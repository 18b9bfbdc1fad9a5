// Package crdttest holds the checks that every CRDT package's tests share.
package crdttest

// Fataler is what the checks need of a test: *testing.T and *rapid.T both have it.
type Fataler interface{ Fatal(args ...any) }

// MergeLaws fails t unless merge is commutative, associative and idempotent on a, b and c, as
// seen through state (a canonical encoding of a replica). merge must not change its arguments.
func MergeLaws[R any](t Fataler, a, b, c R, merge func(x, y R) R, state func(R) string) {
	if state(merge(a, b)) != state(merge(b, a)) {
		t.Fatal("merge is not commutative")
	}
	if state(merge(merge(a, b), c)) != state(merge(a, merge(b, c))) {
		t.Fatal("merge is not associative")
	}
	if state(merge(a, a)) != state(a) {
		t.Fatal("merge is not idempotent")
	}
}
