package engine

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// A full resync records the conflicts it resolves as applying the effects would have: the
// members write concurrently, then each merges the other's state (both exported first).
func TestMergeStateRecordsConflicts(t *testing.T) {
	tests := []struct {
		name         string
		before       func(a *member) // sequential writes on a, delivered to b before write
		write        func(a, b *member)
		wantA, wantB []string
	}{
		{
			name:  "SET ∥ SET: lww",
			write: func(a, b *member) { a.set("k", "va"); b.set("k", "vb") },
			wantA: []string{"string lww k 2>1 va"},
			wantB: []string{"string lww k 2>1 va"},
		},
		{
			name:   "sequential SET: no conflict",
			before: func(a *member) { a.set("k", "v1") },
			write:  func(a, b *member) { b.set("k", "v2") },
		},
		{
			name:   "SET ∥ SET over a value both had",
			before: func(a *member) { a.set("k", "v0") },
			write:  func(a, b *member) { a.set("k", "va"); b.set("k", "vb") },
			wantA:  []string{"string lww k 2>1 va"},
			wantB:  []string{"string lww k 2>1 va"},
		},
		{
			name:  "HSET ∥ HSET of one field",
			write: func(a, b *member) { a.hset("h", "f", "va", "g", "x"); b.hset("h", "f", "vb") },
			wantA: []string{"hash lww h/f 2>1 va"},
			wantB: []string{"hash lww h/f 2>1 va"},
		},
		{
			name:  "HSET ∥ HSET of different fields: no conflict",
			write: func(a, b *member) { a.hset("h", "f", "va"); b.hset("h", "g", "vb") },
		},
		{
			name:  "SET ∥ SADD: type conflict",
			write: func(a, b *member) { a.sadd("k", "x"); b.set("k", "v") },
			wantA: []string{"string type-conflict k 2>1 set"},
			wantB: []string{"string type-conflict k 2>1 set"},
		},
		{
			name:   "DEL then SADD: no type conflict",
			before: func(a *member) { a.set("k", "v") },
			write:  func(a, b *member) { b.del("k"); b.sadd("k", "x") },
		},
		{
			name:   "EXPIRE ∥ EXPIRE",
			before: func(a *member) { a.set("k", "v") },
			write:  func(a, b *member) { a.expire("k", 5_000_000); b.expire("k", 2_000_000) },
			wantA:  []string{"string expiry k 1>2 2000000"},
			wantB:  []string{"string expiry k 1>2 2000000"},
		},
		{
			name:   "EXPIRE ∥ EXPIRE of the same time: no contest",
			before: func(a *member) { a.set("k", "v") },
			write:  func(a, b *member) { a.expire("k", 5_000_000); b.expire("k", 5_000_000) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newMember(1, true), newMember(2, true)
			b.src.Millis++
			if tt.before != nil {
				tt.before(a)
				deliver(b, a)
			}
			tt.write(a, b)
			avc, ast := export(a)
			bvc, bst := export(b)
			mergeInto(t, a, bvc, bst)
			mergeInto(t, b, avc, ast)
			wantConflicts(t, "a", a, tt.wantA...)
			wantConflicts(t, "b", b, tt.wantB...)
			// merging again resolves nothing new
			avc, ast = export(a)
			mergeInto(t, b, avc, ast)
			wantConflicts(t, "b after a second merge", b, tt.wantB...)
		})
	}
}

// An add-wins conflict shows in a state when the removed dot is still held by the side whose
// concurrent add survives: C adds x without having seen A's add, which B removed.
func TestMergeStateRecordsAddWins(t *testing.T) {
	a, b, c := newMember(1, true), newMember(2, true), newMember(3, true)
	a.sadd("s", "x", "y")
	a.hset("h", "f", "v0", "g", "v0")
	deliver(b, a)
	b.srem("s", "x")
	b.hdel("h", "f")
	c.sadd("s", "x")
	c.hset("h", "f", "vc")
	deliver(a, c)
	bvc, bst := export(b)
	mergeInto(t, a, bvc, bst)
	// newest first; the lww is A applying C's HSET, before the merge
	wantConflicts(t, "a", a, "set add-wins s/x 3>0 ", "hash add-wins h/f 3>0 ", "hash lww h/f 1>3 vc")
	if got := dump(a); !strings.Contains(got, "x") {
		t.Fatalf("x lost:\n%s", got)
	}
}

// Merging with the conflict log off (a member replaying its files) records nothing.
func TestMergeStateConflictLogOff(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	a.set("k", "va")
	b.set("k", "vb")
	a.e.Lock()
	a.e.SetConflictLog(false)
	a.e.Unlock()
	bvc, bst := export(b)
	mergeInto(t, a, bvc, bst)
	wantConflicts(t, "a", a)
}

// Merges report a conflict only where there was concurrency: members writing one after the
// other, with full resyncs in between, never record one.
func TestMergeStateNoConflictWithoutConcurrency(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ms := []*member{newMember(1, true), newMember(2, true)}
		for range rapid.IntRange(1, 30).Draw(rt, "steps") {
			i := rapid.IntRange(0, 1).Draw(rt, "who")
			m := ms[i]
			key := rapid.SampledFrom([]string{"k", "s", "h"}).Draw(rt, "key")
			switch rapid.IntRange(0, 4).Draw(rt, "op") {
			case 0:
				m.del(key)
			case 1:
				m.set(key, "v")
			case 2:
				m.sadd(key, "x")
			case 3:
				m.hset(key, "f", "v")
			case 4:
				m.expire(key, rapid.Int64Range(1, 3).Draw(rt, "at")*1_000_000)
			}
			// the other member merges the writer's state before writing anything
			vc, st := export(m)
			other := ms[1-i]
			other.e.Lock()
			if _, err := other.e.MergeState(st, vc); err != nil {
				rt.Fatal(err)
			}
			other.e.Unlock()
		}
		for _, m := range ms {
			if got := m.conflicts(); len(got) > 0 {
				rt.Fatalf("member %d recorded %v", m.e.Member(), got)
			}
		}
	})
}
