package list

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// check verifies the tree's invariants: counts, separators, leaf chain, key order.
// tb is what check needs of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func (l *List) check(t tb) {
	t.Helper()
	var leaves []*leaf
	var walk func(nd node, lo []byte) int
	walk = func(nd node, lo []byte) int {
		switch x := nd.(type) {
		case *leaf:
			leaves = append(leaves, x)
			x.checkLayout(t)
			if lo != nil && x.n() > 0 && bytes.Compare(x.key(0), lo) < 0 {
				t.Fatalf("leaf key below its separator")
			}
			return x.n()
		case *inner:
			total := 0
			if len(x.kids) == 0 {
				t.Fatalf("empty inner node")
			}
			for i, k := range x.kids {
				b := lo
				if i > 0 {
					b = x.sep[i]
				}
				c := walk(k, b)
				if c != x.cnt[i] {
					t.Fatalf("count %d, want %d", x.cnt[i], c)
				}
				total += c
			}
			return total
		}
		return 0
	}
	if n := walk(l.t.root, nil); n != l.t.n {
		t.Fatalf("n=%d, tree holds %d", l.t.n, n)
	}
	if l.t.first != leaves[0] || l.t.last != leaves[len(leaves)-1] {
		t.Fatalf("first/last leaf")
	}
	var prev []byte
	for i, lf := range leaves {
		if i > 0 && (lf.prev != leaves[i-1] || leaves[i-1].next != lf) {
			t.Fatalf("leaf chain")
		}
		for j := range lf.n() {
			k := lf.key(j)
			if prev != nil && bytes.Compare(prev, k) >= 0 {
				t.Fatalf("keys out of order")
			}
			prev = k
		}
	}
}

func (l *List) values() []string {
	var out []string
	l.Each(func(v []byte) bool { out = append(out, string(v)); return true })
	return out
}

// smallNodes makes tiny tree nodes for the rest of the test, so that small lists exercise
// splits, merges and several inner levels.
func smallNodes(t testing.TB) {
	lm, ln, im, bm := leafMax, leafMin, innerMax, bulkRemoveMin
	leafMax, leafMin, innerMax, bulkRemoveMin = 96, 24, 4, 3
	t.Cleanup(func() { leafMax, leafMin, innerMax, bulkRemoveMin = lm, ln, im, bm })
}

// TestModel drives one list with local operations (inserts at any place through Between,
// removals and LSETs by key) and compares it with a slice.
func TestModel(t *testing.T) {
	smallNodes(t)
	rapid.Check(t, func(t *rapid.T) {
		l := New()
		var model []string
		var hlc clock.HLC = 100
		for step := range rapid.IntRange(1, 400).Draw(t, "steps") {
			hlc++
			s := clock.Stamp{HLC: hlc, Member: 1}
			dot := clock.Dot{Member: 1, Seq: uint64(step + 1)}
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case op < 6 || len(model) == 0:
				var at int
				switch rapid.IntRange(0, 2).Draw(t, "where") {
				case 0:
					at = 0
				case 1:
					at = len(model)
				default:
					at = rapid.IntRange(0, len(model)).Draw(t, "at")
				}
				var left, right []byte
				if at > 0 {
					left = bytes.Clone(l.KeyAt(at - 1))
				}
				if at < len(model) {
					right = bytes.Clone(l.KeyAt(at))
				}
				p := Between(left, right)
				v := fmt.Sprint("v", step, string(bytes.Repeat([]byte{'x'}, rapid.IntRange(0, 120).Draw(t, "vlen"))))
				if !l.Insert(p, []byte(v), dot, s) {
					t.Fatalf("insert refused")
				}
				model = slices.Insert(model, at, v)
				if pos, ok := l.Position(Key(p, s)); !ok || pos != at {
					t.Fatalf("inserted at %d, want %d", pos, at)
				}
			case op < 9:
				at := rapid.IntRange(0, len(model)-1).Draw(t, "at")
				n := min(rapid.IntRange(1, 30).Draw(t, "n"), len(model)-at)
				if rapid.IntRange(0, 4).Draw(t, "bulk") == 0 { // LTRIM-like: many keys at once
					n = len(model) - at
					if at == 0 && n > 1 {
						n--
					}
					var keys [][]byte
					for i := range n {
						keys = append(keys, bytes.Clone(l.KeyAt(at+i)))
					}
					keys = append(keys, Key(Between(nil, nil), clock.Stamp{HLC: 1, Member: 9})) // absent
					l.RemoveKeys(keys)
					model = slices.Delete(model, at, at+n)
					break
				}
				var keys [][]byte
				for i := range n {
					keys = append(keys, bytes.Clone(l.KeyAt(at+i)))
				}
				for _, k := range keys {
					if !l.Remove(k) {
						t.Fatalf("remove refused")
					}
				}
				model = slices.Delete(model, at, at+n)
			default:
				at := rapid.IntRange(0, len(model)-1).Draw(t, "at")
				v := fmt.Sprint("set", step)
				l.Set(bytes.Clone(l.KeyAt(at)), []byte(v), s)
				model[at] = v
			}
			l.check(t)
			if got := l.values(); !slices.Equal(got, model) && !(len(got) == 0 && len(model) == 0) {
				t.Fatalf("list %q, want %q", got, model)
			}
			for i := range model {
				if string(l.Index(i)) != model[i] {
					t.Fatalf("Index(%d)=%q want %q", i, l.Index(i), model[i])
				}
			}
		}
	})
}

// TestBetweenOrders checks Between on random pairs of keys made by earlier inserts, with tags
// of every kind: the new key is strictly between its neighbours whatever its tag.
func TestBetweenOrders(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := [][]byte{}
		for range rapid.IntRange(1, 200).Draw(t, "n") {
			at := rapid.IntRange(0, len(keys)).Draw(t, "at")
			var left, right []byte
			if at > 0 {
				left = keys[at-1]
			}
			if at < len(keys) {
				right = keys[at]
			}
			p := Between(left, right)
			for _, s := range []clock.Stamp{{HLC: 0, Member: 1}, {HLC: ^clock.HLC(0), Member: 64}, {HLC: clock.HLC(rapid.Uint64().Draw(t, "hlc")), Member: 2}} {
				k := Key(p, s)
				if left != nil && bytes.Compare(left, k) >= 0 || right != nil && bytes.Compare(k, right) >= 0 {
					t.Fatalf("%x not between %x and %x", k, left, right)
				}
			}
			k := Key(p, clock.Stamp{HLC: clock.HLC(rapid.Uint64().Draw(t, "hlc2")), Member: clock.MemberID(rapid.IntRange(1, 64).Draw(t, "m"))})
			keys = slices.Insert(keys, at, k)
		}
	})
}

// TestIdentifierGrowth measures key length under the common patterns.
func TestIdentifierGrowth(t *testing.T) {
	const n = 200_000
	s := clock.Stamp{HLC: 1 << 40, Member: 3}
	rnd := uint64(1)
	patterns := []struct {
		name string
		max  int
		next func(l *List) (left, right []byte, pop bool)
	}{
		{"rpush", 14, func(l *List) ([]byte, []byte, bool) { return l.KeyAt(l.Len() - 1), nil, false }},
		{"lpush", 14, func(l *List) ([]byte, []byte, bool) { return nil, l.KeyAt(0), false }},
		{"queue lpush+rpop", 14, func(l *List) ([]byte, []byte, bool) { return nil, l.KeyAt(0), l.Len() > 100 }},
		{"linsert after pivot", 30, func(l *List) ([]byte, []byte, bool) {
			if l.Len() < 2 {
				return l.KeyAt(l.Len() - 1), nil, false
			}
			return l.KeyAt(0), l.KeyAt(1), false
		}},
		{"random middle inserts", 80, func(l *List) ([]byte, []byte, bool) {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			at := int(rnd>>33) % l.Len()
			if at == l.Len()-1 {
				return l.KeyAt(at), nil, false
			}
			return l.KeyAt(at), l.KeyAt(at + 1), false
		}},
		{"linsert before pivot", 30, func(l *List) ([]byte, []byte, bool) {
			if l.Len() < 2 {
				return l.KeyAt(l.Len() - 1), nil, false
			}
			return l.KeyAt(l.Len() - 2), l.KeyAt(l.Len() - 1), false
		}},
	}
	for _, p := range patterns {
		t.Run(p.name, func(t *testing.T) {
			l := New()
			longest := 0
			for i := range n {
				s.HLC++
				var left, right []byte
				pop := false
				if l.Len() > 0 {
					left, right, pop = p.next(l)
					left, right = bytes.Clone(left), bytes.Clone(right)
				}
				path := Between(left, right)
				k := Key(path, s)
				longest = max(longest, len(k))
				l.Insert(path, []byte("v"), clock.Dot{Member: 3, Seq: uint64(i + 1)}, s)
				if pop {
					l.Remove(bytes.Clone(l.KeyAt(l.Len() - 1)))
				}
			}
			t.Logf("%s: longest key after %d inserts: %d bytes", p.name, n, longest)
			if longest > p.max {
				t.Fatalf("key length %d > %d", longest, p.max)
			}
		})
	}
}

func TestRemoveAllObserved(t *testing.T) {
	l := New()
	s := clock.Stamp{HLC: 10, Member: 1}
	l.Insert(Between(nil, nil), []byte("x"), clock.Dot{Member: 1, Seq: 1}, s)
	k2 := Between(nil, l.KeyAt(0))
	l.Insert(k2, []byte("y"), clock.Dot{Member: 2, Seq: 1}, clock.Stamp{HLC: 11, Member: 2})
	l.RemoveAll(crdt.Observed{Self: clock.Dot{Member: 1, Seq: 2}})
	if got := l.values(); !slices.Equal(got, []string{"y"}) {
		t.Fatalf("got %q", got)
	}
}

// TestCounters: incrementing, decrementing and taking midpoints keep the byte order, across
// class boundaries too.
func TestCounters(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := byte(rapid.IntRange(0x7c, 0x83).Draw(t, "h"))
		digits := make([]byte, counterLen(h))
		for i := range digits {
			digits[i] = byte(rapid.SampledFrom([]int{0, 1, 0x7f, 0xf0, 0xfe, 0xff}).Draw(t, "d"))
		}
		a := append([]byte{h}, digits...)
		d := byte(rapid.SampledFrom([]int{1, step}).Draw(t, "step"))
		up, down := incCounter(a, d), decCounter(a, d)
		if bytes.Compare(up, a) <= 0 || bytes.Compare(down, a) >= 0 || len(up) != 1+counterLen(up[0]) || len(down) != 1+counterLen(down[0]) {
			t.Fatalf("inc/dec of %x: %x %x", a, up, down)
		}
		for _, b := range [][]byte{up, incCounter(up, step), incCounter(incCounter(up, step), step)} {
			m := midCounter(a, b)
			if m == nil {
				if !bytes.Equal(incCounter(a, 1), b) && a[0] == b[0] {
					t.Fatalf("no midpoint between %x and %x", a, b)
				}
				continue
			}
			if bytes.Compare(a, m) >= 0 || bytes.Compare(m, b) >= 0 || len(m) != 1+counterLen(m[0]) {
				t.Fatalf("mid(%x, %x) = %x", a, b, m)
			}
		}
	})
}

// checkLayout verifies a leaf's double-ended layout: the entries fill mem[lo:hi] exactly, in
// order, each one well formed, and the offsets lie within their array.
func (l *leaf) checkLayout(t tb) {
	t.Helper()
	if l.lo < 0 || l.lo > l.hi || l.hi > len(l.mem) || len(l.mem) != cap(l.mem) {
		t.Fatalf("leaf bytes [%d,%d) of %d (cap %d)", l.lo, l.hi, len(l.mem), cap(l.mem))
	}
	if l.ol < 0 || l.ol > l.oh || l.oh > len(l.offs) || len(l.offs) != cap(l.offs) {
		t.Fatalf("leaf offsets [%d,%d) of %d (cap %d)", l.ol, l.oh, len(l.offs), cap(l.offs))
	}
	at := l.lo
	for i := range l.n() {
		if l.off(i) != at {
			t.Fatalf("entry %d at %d, want %d", i, l.off(i), at)
		}
		m, err := checkEntry(l.mem[at:l.hi])
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		at += m
	}
	if at != l.hi {
		t.Fatalf("entries end at %d, leaf at %d", at, l.hi)
	}
}

// TestEndsModel drives one list with the default node sizes through pushes and pops at both
// ends (queues, stacks, LPUSH and LPOP as redis-benchmark runs them), with an occasional LSET
// of another length and insert in the middle, and compares it with a slice.
func TestEndsModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := New()
		var model []string
		var hlc clock.HLC = 100
		var seq uint64
		pushHead := rapid.IntRange(0, 100).Draw(t, "pushHead")
		popHead := rapid.IntRange(0, 100).Draw(t, "popHead")
		for range rapid.IntRange(1, 60).Draw(t, "rounds") {
			pushes := rapid.IntRange(0, 400).Draw(t, "pushes")
			for range pushes {
				hlc++
				seq++
				s := clock.Stamp{HLC: hlc, Member: 1}
				v := fmt.Sprint("v", seq, string(bytes.Repeat([]byte{'x'}, rapid.IntRange(0, 40).Draw(t, "vlen"))))
				var p []byte
				at := len(model)
				switch r := rapid.IntRange(0, 199).Draw(t, "where"); {
				case r < 2*pushHead:
					at = 0
					var right []byte
					if len(model) > 0 {
						right = bytes.Clone(l.KeyAt(0))
					}
					p = Between(nil, right)
				case r == 199 && len(model) > 1:
					at = rapid.IntRange(1, len(model)-1).Draw(t, "at")
					p = Between(bytes.Clone(l.KeyAt(at-1)), bytes.Clone(l.KeyAt(at)))
				default:
					var left []byte
					if len(model) > 0 {
						left = bytes.Clone(l.KeyAt(len(model) - 1))
					}
					p = Between(left, nil)
				}
				if !l.Insert(p, []byte(v), clock.Dot{Member: 1, Seq: seq}, s) {
					t.Fatalf("insert refused")
				}
				model = slices.Insert(model, at, v)
			}
			if len(model) > 0 && rapid.IntRange(0, 3).Draw(t, "set") == 0 {
				hlc++
				at := rapid.IntRange(0, len(model)-1).Draw(t, "setAt")
				v := fmt.Sprint("set", hlc, string(bytes.Repeat([]byte{'y'}, rapid.IntRange(0, 60).Draw(t, "setLen"))))
				l.Set(bytes.Clone(l.KeyAt(at)), []byte(v), clock.Stamp{HLC: hlc, Member: 1})
				model[at] = v
			}
			pops := rapid.IntRange(0, len(model)).Draw(t, "pops")
			for range pops {
				at := len(model) - 1
				if rapid.IntRange(0, 99).Draw(t, "popEnd") < popHead {
					at = 0
				}
				if !l.Remove(bytes.Clone(l.KeyAt(at))) {
					t.Fatalf("remove refused")
				}
				model = slices.Delete(model, at, at+1)
			}
			l.check(t)
			if got := l.values(); !slices.Equal(got, model) && !(len(got) == 0 && len(model) == 0) {
				t.Fatalf("list has %d elements, want %d (or other values)", len(got), len(model))
			}
			if len(model) > 0 {
				i := rapid.IntRange(0, len(model)-1).Draw(t, "index")
				if string(l.Index(i)) != model[i] {
					t.Fatalf("Index(%d)=%q want %q", i, l.Index(i), model[i])
				}
			}
		}
	})
}

// TestAppendBetween checks that AppendBetween appends exactly Between's path (and nothing when
// Between has none), that AppendKey is Key, and that a push's path fits in PushRoom of the end
// it is pushed next to, at counter class boundaries too.
func TestAppendBetween(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := byte(rapid.IntRange(0x7c, 0x83).Draw(t, "h"))
		digits := make([]byte, counterLen(h))
		for i := range digits {
			digits[i] = byte(rapid.SampledFrom([]int{0, 1, 0x0f, 0x10, 0xf0, 0xfe, 0xff}).Draw(t, "d"))
		}
		s := clock.Stamp{HLC: clock.HLC(rapid.Uint64().Draw(t, "hlc")), Member: 3}
		end := Key(append([]byte{h}, digits...), s)
		if rapid.Bool().Draw(t, "deep") { // a key of two levels, as LINSERT makes
			end = Key(append(bytes.Clone(end), initCounter...), s)
		}
		prefix := []byte(rapid.StringN(0, 8, -1).Draw(t, "prefix"))
		for _, lr := range [][2][]byte{{nil, end}, {end, nil}, {nil, nil}, {end[:3], nil}} {
			want := Between(lr[0], lr[1])
			got, ok := AppendBetween(bytes.Clone(prefix), lr[0], lr[1])
			if ok != (want != nil) || !bytes.Equal(got[:min(len(prefix), len(got))], prefix) || !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("AppendBetween(%x, %x) = %x, %v; Between = %x", lr[0], lr[1], got, ok, want)
			}
			if want != nil && len(want) > PushRoom(lr[0])+PushRoom(lr[1]) {
				t.Fatalf("push path %x longer than PushRoom", want)
			}
			if want != nil && !bytes.Equal(AppendKey(bytes.Clone(prefix), want, s)[len(prefix):], Key(want, s)) {
				t.Fatalf("AppendKey differs from Key")
			}
		}
		for _, p := range [][]byte{Between(nil, end), Between(end, nil)} {
			if len(p) > PushRoom(end) {
				t.Fatalf("push path %x next to %x: %d bytes, PushRoom %d", p, end, len(p), PushRoom(end))
			}
		}
	})
}
