package ormap

import (
	"bytes"
	"strconv"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt/register"
)

func TestForWrite(t *testing.T) {
	var none *Map
	if w := none.ForWrite([]byte("f")); w.Live || w.Name != nil || w.Value != nil || w.Totals != nil {
		t.Fatalf("nil map: %+v", w)
	}
	m := New()
	m.Set([]byte("plain"), []byte("v"), obs(1, 1), 1, nil)
	m.Contribute([]byte("counter"), 1, 2, 5, nil)
	m.Contribute([]byte("gone"), 1, 3, 7, nil)
	m.Remove([]byte("gone"), obs(2, 1), []register.Total{{Member: 1, Int: 3}}) // 4 left, not seen by 2
	m.Remove([]byte("gone"), obs(2, 2), m.Totals([]byte("gone")))              // all seen: dead, kept
	if w := m.ForWrite([]byte("plain")); !w.Live || string(w.Name) != "plain" || string(w.Value) != "v" || w.Totals != nil {
		t.Fatalf("compact field: %+v", w)
	}
	if w := m.ForWrite([]byte("counter")); !w.Live || string(w.Name) != "counter" || w.Value != nil ||
		len(w.Totals) != 1 || w.Totals[0].Int != 5 {
		t.Fatalf("counter field: %+v", w)
	}
	if m.Has([]byte("gone")) {
		t.Fatal("gone is live")
	}
	if w := m.ForWrite([]byte("gone")); w.Live || w.Name != nil || len(w.Totals) != 1 || w.Totals[0].Int != 7 {
		t.Fatalf("dead field: %+v", w)
	}
	if w := m.ForWrite([]byte("unknown")); w.Live || w.Name != nil || w.Totals != nil {
		t.Fatalf("unknown field: %+v", w)
	}
}

// TestForWriteHintStale checks that a write naming a field by the Name ForWrite returned does
// the right thing whatever happened to the hinted slot in between.
func TestForWriteHintStale(t *testing.T) {
	m := New()
	seq := uint64(0)
	set := func(f []byte, v string) {
		seq++
		m.Set(f, []byte(v), obs(1, seq), clock.HLC(seq), nil)
	}
	remove := func(f string) {
		seq++
		m.Remove([]byte(f), obs(1, seq), nil)
	}
	for i := range 10 {
		set(strconv.AppendInt([]byte("f"), int64(i), 10), "v")
	}
	name := m.ForWrite([]byte("f3")).Name // slot 3
	remove("f3")                          // f4..f9 move down: slot 3 is f4
	set(name, "again")
	if get(m, "f3") != "again" || get(m, "f4") != "v" || m.Len() != 10 {
		t.Fatalf("content %s", m.content())
	}
	name = m.ForWrite([]byte("f9")).Name
	for i := range 9 {
		remove("f" + strconv.Itoa(i))
	}
	set(name, "last") // the hinted slot is beyond the end now
	if get(m, "f9") != "last" || m.Len() != 1 {
		t.Fatalf("content %s", m.content())
	}
}

// slotWithoutIndex returns what slotOf finds for field while the index has no entry for it, so
// that only the hint can find it.
func slotWithoutIndex(m *Map, field []byte) (int32, bool) {
	key := string(field)
	i, had := m.index[key]
	delete(m.index, key)
	defer func() {
		if had {
			m.index[key] = i
		}
	}()
	return m.slotOf(field)
}

// TestForWriteHintHit checks that the Set following ForWrite, naming the field by the returned
// Name, takes the hinted slot: with the field's index entry taken away, a Set that looked the
// field up by its name would insert it a second time.
func TestForWriteHintHit(t *testing.T) {
	m := New()
	for i := range 10 {
		m.Set(strconv.AppendInt([]byte("f"), int64(i), 10), []byte("v"), obs(1, uint64(i+1)), clock.HLC(i+1), nil)
	}
	w := m.ForWrite([]byte("f3"))
	if !w.Live || m.hint != 3 {
		t.Fatalf("ForWrite: %+v, hint %d", w, m.hint)
	}
	delete(m.index, "f3")
	m.Set(w.Name, []byte("new"), obs(1, 11, 10), 11, w.Totals)
	if m.Len() != 10 {
		t.Fatalf("the Set missed the hint and inserted the field again: %d fields", m.Len())
	}
	m.index["f3"] = 3
	if get(m, "f3") != "new" || get(m, "f4") != "v" {
		t.Fatalf("content %s", m.content())
	}
}

// TestForWriteProperty applies the same random operations to two maps, one naming fields by the
// argument's bytes and one as HSET does (by the Name ForWrite returned, when the field is live):
// the hint must not change the result.
func TestForWriteProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		plain, hinted := New(), New()
		seq := uint64(0)
		for range rapid.IntRange(1, 300).Draw(t, "steps") {
			arg := []byte("f" + strconv.Itoa(rapid.IntRange(0, 20).Draw(t, "field")))
			seq++
			member := clock.MemberID(rapid.IntRange(1, 2).Draw(t, "member"))
			o := obs(member, seq)
			if rapid.Bool().Draw(t, "sees") {
				o = obs(member, seq, seq, seq)
			}
			val := []byte(strconv.Itoa(rapid.IntRange(0, 3).Draw(t, "value")))
			switch rapid.IntRange(0, 4).Draw(t, "kind") {
			case 0, 1:
				plain.Set(bytes.Clone(arg), val, o, clock.HLC(seq), plain.Totals(arg))
				w := hinted.ForWrite(arg)
				f, v := bytes.Clone(arg), val
				if w.Live {
					// The Set below must find the field through the hint, not the index.
					if i, ok := slotWithoutIndex(hinted, w.Name); !ok || hinted.at(i).name != string(arg) {
						t.Fatalf("%s: the hint of ForWrite does not find the field (%d, %v)", arg, i, ok)
					}
					f = w.Name
					if string(w.Value) == string(val) && w.Value != nil {
						v = w.Value
					}
				}
				hinted.Set(f, v, o, clock.HLC(seq), w.Totals)
			case 2:
				plain.Contribute(bytes.Clone(arg), member, seq, 1, nil)
				hinted.ForWrite(arg) // a hint left behind by a lookup not followed by a Set
				hinted.Contribute(bytes.Clone(arg), member, seq, 1, nil)
			default:
				totals := plain.Totals(arg)
				plain.Remove(arg, o, totals)
				hinted.Remove(arg, o, totals)
			}
			if p, h := plain.content(), hinted.content(); p != h {
				t.Fatalf("contents differ: %s vs %s", p, h)
			}
			for f := range 21 {
				name := []byte("f" + strconv.Itoa(f))
				pw, pok := plain.FieldWrite(name)
				hw, hok := hinted.FieldWrite(name)
				if pw != hw || pok != hok {
					t.Fatalf("%s: writes differ: %v vs %v", name, pw, hw)
				}
			}
		}
	})
}
