package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/list"
	"github.com/concord-db/concord/internal/effect"
)

// The list write paths below mirror what the command layer (internal/command/lists.go) emits.

// listEnt returns the live list at key (nil when none) and false when the key holds another
// type.
func (m *member) listEnt(key string) (*list.List, clock.Stamp, bool) {
	ent := m.e.LookupWrite(0, key)
	if ent == nil {
		return nil, m.setCreated(key, nil), true
	}
	if ent.Type() != crdt.TypeList {
		return nil, clock.Stamp{}, false
	}
	return ent.Value.(*list.List), ent.Created, true
}

// push is LPUSH (left) or RPUSH.
func (m *member) push(key string, left bool, vals ...string) {
	m.e.Lock()
	defer m.e.Unlock()
	l, created, ok := m.listEnt(key)
	if !ok {
		return
	}
	var end []byte
	if l != nil {
		if left {
			end = bytes.Clone(l.KeyAt(0))
		} else {
			end = bytes.Clone(l.KeyAt(l.Len() - 1))
		}
	}
	stamp := m.e.Stamp()
	var paths [][]byte
	for range vals {
		var p []byte
		if left {
			p = list.Between(nil, end)
		} else {
			p = list.Between(end, nil)
		}
		paths = append(paths, p)
		end = list.Key(p, stamp)
	}
	m.e.Emit(effect.Op{Kind: effect.ListInsert, Key: key, Created: created, Elems: paths, Values: byteElems(vals)})
}

// pop is LPOP/RPOP: the value popped ("" when none).
func (m *member) pop(key string, left bool) string {
	m.e.Lock()
	defer m.e.Unlock()
	l, created, ok := m.listEnt(key)
	if !ok || l == nil {
		return ""
	}
	i := l.Len() - 1
	if left {
		i = 0
	}
	v := string(l.Index(i))
	m.e.Emit(effect.Op{Kind: effect.ListRemove, Key: key, Created: created, Elems: [][]byte{bytes.Clone(l.KeyAt(i))}})
	return v
}

// linsert is LINSERT key AFTER|BEFORE pivot v.
func (m *member) linsert(key string, after bool, pivot, v string) {
	m.e.Lock()
	defer m.e.Unlock()
	l, created, ok := m.listEnt(key)
	if !ok || l == nil {
		return
	}
	for i := range l.Len() {
		if string(l.Index(i)) != pivot {
			continue
		}
		var left, right []byte
		if after {
			left = bytes.Clone(l.KeyAt(i))
			if i+1 < l.Len() {
				right = bytes.Clone(l.KeyAt(i + 1))
			}
		} else {
			right = bytes.Clone(l.KeyAt(i))
			if i > 0 {
				left = bytes.Clone(l.KeyAt(i - 1))
			}
		}
		m.e.Emit(effect.Op{Kind: effect.ListInsert, Key: key, Created: created, Elems: [][]byte{list.Between(left, right)}, Values: byteElems([]string{v})})
		return
	}
}

// lset is LSET key i v.
func (m *member) lset(key string, i int, v string) {
	m.e.Lock()
	defer m.e.Unlock()
	l, created, ok := m.listEnt(key)
	if !ok || l == nil || i >= l.Len() {
		return
	}
	m.e.Emit(effect.Op{Kind: effect.ListSet, Key: key, Created: created, Elems: [][]byte{bytes.Clone(l.KeyAt(i))}, Values: byteElems([]string{v})})
}

// lrem is LREM key 0 v.
func (m *member) lrem(key, v string) {
	m.e.Lock()
	defer m.e.Unlock()
	l, created, ok := m.listEnt(key)
	if !ok || l == nil {
		return
	}
	var keys [][]byte
	for it := l.First(); it.Valid(); it.Next() {
		if string(it.Value()) == v {
			keys = append(keys, bytes.Clone(it.Key()))
		}
	}
	if keys != nil {
		m.e.Emit(effect.Op{Kind: effect.ListRemove, Key: key, Created: created, Elems: keys})
	}
}

// lrange renders the list at key.
func (m *member) lrange(key string) string {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.Lookup(0, key)
	if ent == nil {
		return "(none)"
	}
	l, ok := ent.Value.(*list.List)
	if !ok {
		return "type " + ent.Type().Name()
	}
	var out []string
	l.Each(func(v []byte) bool { out = append(out, string(v)); return true })
	return "[" + strings.Join(out, " ") + "]"
}

// TestListTimelines runs the timelines of /work/shared/spec/scenarios/lists.scn.
func TestListTimelines(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	sync := func() { deliver(a, b); deliver(b, a) }
	same := func(t *testing.T, key, want string) {
		t.Helper()
		if ga, gb := a.lrange(key), b.lrange(key); ga != want || gb != want {
			t.Fatalf("%s: a=%s b=%s, want %s", key, ga, gb, want)
		}
	}

	t.Run("LPUSH after seeing the list goes in front", func(t *testing.T) {
		a.push("mylist", true, "hello")
		sync()
		b.push("mylist", true, "world")
		sync()
		same(t, "mylist", "[world hello]")
	})
	t.Run("concurrent inserts at the same place are all kept", func(t *testing.T) {
		a.push("L", true, "x")
		sync()
		a.src.Millis += 5
		a.linsert("L", true, "x", "y1")
		b.linsert("L", true, "x", "y2")
		if a.lrange("L") != "[x y1]" || b.lrange("L") != "[x y2]" {
			t.Fatalf("before sync: a=%s b=%s", a.lrange("L"), b.lrange("L"))
		}
		sync()
		// The later timestamp first (a's clock is ahead).
		same(t, "L", "[x y1 y2]")
	})
	t.Run("DEL ∥ LPUSH: the new element survives", func(t *testing.T) {
		a.push("L2", true, "x")
		sync()
		a.push("L2", true, "y")
		b.del("L2")
		sync()
		same(t, "L2", "[y]")
	})
	t.Run("concurrent pops of the same element", func(t *testing.T) {
		a.push("L3", true, "x", "y", "z")
		sync()
		if v := b.pop("L3", false); v != "x" {
			t.Fatalf("RPOP: %q", v)
		}
		sync()
		if v := a.pop("L3", false); v != "y" {
			t.Fatalf("RPOP: %q", v)
		}
		sync()
		if va, vb := a.pop("L3", false), b.pop("L3", false); va != "z" || vb != "z" {
			t.Fatalf("concurrent RPOP: %q %q", va, vb)
		}
		sync()
		same(t, "L3", "(none)")
	})
	t.Run("LSET ∥ LSET: last writer wins", func(t *testing.T) {
		a.push("L4", false, "p", "q")
		sync()
		a.lset("L4", 0, "from-a")
		b.src.Millis += 50
		b.lset("L4", 0, "from-b")
		sync()
		same(t, "L4", "[from-b q]")
	})
	t.Run("LSET ∥ LREM: removed", func(t *testing.T) {
		a.push("L5", false, "p", "q")
		sync()
		a.lset("L5", 0, "new")
		b.lrem("L5", "p")
		sync()
		same(t, "L5", "[q]")
	})
	t.Run("LINSERT relative to the pivot's identity", func(t *testing.T) {
		a.push("L6", false, "p", "q", "r")
		sync()
		a.linsert("L6", false, "q", "before-q")
		b.pop("L6", true)
		sync()
		same(t, "L6", "[before-q q r]")
	})
}

// TestListAnyCausalOrderConverges: random list writes on three members with partial exchanges;
// fresh replicas applying every batch in different causal orders end equal.
func TestListAnyCausalOrderConverges(t *testing.T) {
	keys := []string{"l1", "l2"}
	vals := []string{"a", "b", "c"}
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 11))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		for range 50 {
			m := ms[r.IntN(len(ms))]
			m.src.Millis += int64(r.IntN(2))
			k := keys[r.IntN(len(keys))]
			v := vals[r.IntN(len(vals))]
			switch r.IntN(9) {
			case 0, 1:
				m.push(k, r.IntN(2) == 0, v, vals[r.IntN(len(vals))])
			case 2:
				m.pop(k, r.IntN(2) == 0)
			case 3:
				m.linsert(k, r.IntN(2) == 0, v, fmt.Sprint(v, seed))
			case 4:
				m.lset(k, r.IntN(2), v+"!")
			case 5:
				m.lrem(k, v)
			case 6:
				if r.IntN(3) == 0 {
					m.del(k)
				}
			default:
				if other := ms[r.IntN(len(ms))]; other != m {
					deliver(m, other, ms...)
				}
			}
		}
		var all []*effect.Effect
		for _, m := range ms {
			all = append(all, m.log...)
		}
		var want []string
		for replica := range 3 {
			rep := replay(t, r, clock.MemberID(10+replica), all)
			var got []string
			for _, k := range keys {
				got = append(got, rep.lrange(k))
			}
			if want == nil {
				want = got
			} else if !slices.Equal(got, want) {
				t.Fatalf("seed %d: replica %d has %v, replica 0 %v", seed, replica, got, want)
			}
		}
	}
}

// TestListStateCodec: the registered state codec round-trips and merges.
func TestListStateCodec(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	a.push("k", false, "x", "y")
	deliver(b, a)
	a.push("k", false, "from-a")
	b.pop("k", true)
	codec := stateCodecs[crdt.TypeList]
	get := func(m *member) (crdt.Value, clock.Vector) {
		m.e.Lock()
		defer m.e.Unlock()
		v, err := codec.Decode(codec.Append(m.e.Lookup(0, "k").Value, nil))
		if err != nil {
			t.Fatal(err)
		}
		return v, m.e.Vector()
	}
	va, vca := get(a)
	vb, vcb := get(b)
	codec.Merge(va, vb, vca, vcb)
	var out []string
	va.(*list.List).Each(func(v []byte) bool { out = append(out, string(v)); return true })
	if !slices.Equal(out, []string{"y", "from-a"}) {
		t.Fatalf("merged: %q", out)
	}
}
