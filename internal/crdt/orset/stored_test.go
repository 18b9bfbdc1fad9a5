package orset

import (
	"bytes"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

func TestStored(t *testing.T) {
	var s Set
	if _, ok := s.Stored([]byte("a")); ok {
		t.Fatal("Stored found a member of an empty set")
	}
	a := "a" + strconv.Itoa(1) // its own bytes, as the engine passes them
	s.Add(a, obs(1, 1))
	name, ok := s.Stored([]byte("a1"))
	if !ok || name != "a1" {
		t.Fatalf("Stored = %q, %v", name, ok)
	}
}

// TestStoredHintStale checks that an add naming a member by the string Stored returned does the
// right thing whatever happened to the hinted slot in between: the member removed (its slot taken
// by another), re-added with other bytes, or the set shrunk below the slot.
func TestStoredHintStale(t *testing.T) {
	var s Set
	seq := uint64(0)
	add := func(m string) {
		seq++
		s.Add(m, obs(1, seq))
	}
	remove := func(m string) {
		seq++
		s.Remove(m, obs(1, seq))
	}
	for i := range 10 {
		add(string(strconv.AppendInt([]byte("m"), int64(i), 10)))
	}
	name, _ := s.Stored([]byte("m0")) // slot 0
	remove("m0")                      // m9 moves into slot 0
	add(name)                         // must add m0 back, not touch m9
	if !s.Contains("m0") || !s.Contains("m9") || s.Len() != 10 {
		t.Fatalf("members %v", members(&s))
	}
	name, _ = s.Stored([]byte("m5"))
	for i := range 10 {
		remove(string(strconv.AppendInt([]byte("m"), int64(i), 10)))
	}
	if s.Len() != 0 {
		t.Fatalf("members %v", members(&s))
	}
	add("x")
	if s.Add(name, obs(1, seq+1)) != true || !s.Contains("m5") || s.Len() != 2 {
		t.Fatalf("members %v", members(&s))
	}
}

// slotWithoutIndex returns what slotOf finds for m while the index has no entry for it, so that
// only the hint can find it.
func slotWithoutIndex(s *Set, m string) (uint32, bool) {
	i, had := s.index[m]
	delete(s.index, m)
	defer func() {
		if had {
			s.index[m] = i
		}
	}()
	return s.slotOf(m)
}

// TestStoredHintHit checks that the Add following Stored, naming the member by the returned
// string, takes the hinted slot: with the member's index entry taken away, an Add that looked the
// member up by its name would add it a second time.
func TestStoredHintHit(t *testing.T) {
	var s Set
	for i := range 10 {
		s.Add(string(strconv.AppendInt([]byte("m"), int64(i), 10)), obs(1, uint64(i+1)))
	}
	name, ok := s.Stored([]byte("m3"))
	if !ok || s.hint != s.index["m3"] {
		t.Fatalf("Stored = %q, %v; hint %d", name, ok, s.hint)
	}
	slot := s.index["m3"]
	delete(s.index, "m3")
	if s.Add(name, obs(1, 11, 10)) || s.Len() != 10 {
		t.Fatalf("the Add missed the hint and added the member again: %d members", s.Len())
	}
	s.index["m3"] = slot
	if d := s.Dots("m3"); len(d) != 1 || d[0] != (clock.Dot{Member: 1, Seq: 11}) {
		t.Fatalf("dots of m3: %v", d)
	}
}

// TestStoredProperty applies the same random operations to two sets, one naming members by the
// argument's bytes and one as SADD does (by the string Stored returned, when it is a member): the
// hint must not change the result.
func TestStoredProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var plain, hinted Set
		seq := uint64(0)
		for range rapid.IntRange(1, 300).Draw(t, "steps") {
			arg := []byte("m" + strconv.Itoa(rapid.IntRange(0, 20).Draw(t, "member")))
			seq++
			o := obs(1, seq)
			if rapid.IntRange(0, 5).Draw(t, "other") == 0 { // a concurrent add: an extra dot
				o = crdt.Observed{Self: clock.Dot{Member: 2, Seq: seq}}
			}
			switch rapid.IntRange(0, 3).Draw(t, "kind") {
			case 0, 1:
				plain.Add(string(bytes.Clone(arg)), o)
				m := string(bytes.Clone(arg))
				if name, ok := hinted.Stored(arg); ok {
					// The Add below must find the member through the hint, not the index.
					if i, ok := slotWithoutIndex(&hinted, name); !ok || hinted.slot(int(i)).name != string(arg) {
						t.Fatalf("%s: the hint of Stored does not find the member (%d, %v)", arg, i, ok)
					}
					m = name
				}
				hinted.Add(m, o)
			case 2:
				plain.Remove(string(arg), o)
				hinted.Stored(arg) // a hint left behind by a lookup that was not followed by an add
				hinted.Remove(string(arg), o)
			default:
				all := crdt.Observed{Self: clock.Dot{Member: 1, Seq: seq}, Deps: clock.Vector{0, seq, seq}}
				if rapid.Bool().Draw(t, "all") {
					plain.RemoveAll(all)
					hinted.RemoveAll(all)
				} else {
					plain.Remove(string(arg), all)
					hinted.Remove(string(arg), all)
				}
			}
			if !sameState(state(&plain), state(&hinted)) {
				t.Fatalf("states differ: %v vs %v", state(&plain), state(&hinted))
			}
		}
	})
}
