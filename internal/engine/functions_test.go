package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
)

// The write paths below mirror what the command layer emits for FUNCTION LOAD, DELETE, FLUSH
// and RESTORE.
func (m *member) fnLoad(name, code string) {
	m.e.Lock()
	m.e.Emit(effect.Op{Kind: effect.FunctionLoad, Key: name, Value: []byte(code)})
	m.e.Unlock()
}

func (m *member) fnDelete(name string) {
	m.e.Lock()
	m.e.Emit(effect.Op{Kind: effect.FunctionDelete, Key: name})
	m.e.Unlock()
}

func (m *member) fnFlush() {
	m.e.Lock()
	m.e.Emit(effect.Op{Kind: effect.FunctionFlush})
	m.e.Unlock()
}

// fnRestore is FUNCTION RESTORE ... FLUSH: one batch.
func (m *member) fnRestore(libs ...string) {
	m.e.Lock()
	m.e.Emit(effect.Op{Kind: effect.FunctionFlush})
	for i := 0; i+1 < len(libs); i += 2 {
		m.e.Emit(effect.Op{Kind: effect.FunctionLoad, Key: libs[i], Value: []byte(libs[i+1])})
	}
	m.e.Unlock()
}

// libs renders the registry as FUNCTION LIST would list it: name=code, oldest stamp first.
func libs(m *member) string {
	m.e.Lock()
	defer m.e.Unlock()
	var out []string
	for _, l := range m.e.Libraries() {
		out = append(out, l.Name+"="+string(l.Code))
	}
	return strings.Join(out, " ")
}

// The rules of engine/functions.go on small timelines.
func TestFunctionTimelines(t *testing.T) {
	t.Run("sequential writes behave as in Redis", func(t *testing.T) {
		a, b := newMember(1, true), newMember(2, true)
		a.fnLoad("x", "x1")
		a.fnLoad("y", "y1")
		deliver(b, a)
		b.src.Millis++
		b.fnLoad("x", "x2") // FUNCTION LOAD REPLACE
		deliver(a, b)
		if got := libs(a); got != "y=y1 x=x2" {
			t.Fatalf("after replace: %q", got)
		}
		a.fnDelete("y")
		deliver(b, a)
		if got, want := libs(b), "x=x2"; got != want || libs(a) != want {
			t.Fatalf("after delete: %q and %q, want %q", libs(a), got, want)
		}
		b.fnFlush()
		deliver(a, b)
		if libs(a) != "" || libs(b) != "" {
			t.Fatalf("after flush: %q and %q", libs(a), libs(b))
		}
	})
	t.Run("concurrent loads: the later stamp wins", func(t *testing.T) {
		a, b := newMember(1, true), newMember(2, true)
		b.src.Millis += 5
		a.fnLoad("x", "from-a")
		b.fnLoad("x", "from-b")
		deliver(a, b)
		deliver(b, a)
		if got := libs(a); got != "x=from-b" || libs(b) != got {
			t.Fatalf("got %q and %q, want x=from-b on both", got, libs(b))
		}
	})
	t.Run("equal times: the smaller member id wins", func(t *testing.T) {
		a, b := newMember(1, true), newMember(2, true)
		b.fnLoad("x", "from-b")
		a.fnLoad("x", "from-a")
		deliver(a, b)
		deliver(b, a)
		if got := libs(a); got != "x=from-a" || libs(b) != got {
			t.Fatalf("got %q and %q, want x=from-a on both", got, libs(b))
		}
	})
	t.Run("a load concurrent with a delete or flush survives", func(t *testing.T) {
		a, b := newMember(1, true), newMember(2, true)
		a.fnLoad("x", "x1")
		a.fnLoad("y", "y1")
		deliver(b, a)
		b.src.Millis += 10 // the removals are later, and still lose
		a.fnLoad("x", "x2")
		a.fnLoad("z", "z1")
		b.fnDelete("x")
		b.fnFlush()
		deliver(a, b)
		deliver(b, a)
		if got := libs(a); got != "x=x2 z=z1" || libs(b) != got {
			t.Fatalf("got %q and %q, want x=x2 z=z1 on both", got, libs(b))
		}
	})
	t.Run("a delete removes the concurrent losers it saw", func(t *testing.T) {
		a, b, c := newMember(1, true), newMember(2, true), newMember(3, true)
		a.fnLoad("x", "from-a")
		b.src.Millis++
		b.fnLoad("x", "from-b")
		deliver(c, a)
		deliver(c, b)
		c.fnDelete("x")
		for _, m := range []*member{a, b} {
			deliver(m, a, a, b, c)
			deliver(m, b, a, b, c)
			deliver(m, c, a, b, c)
		}
		if libs(a) != "" || libs(b) != "" || libs(c) != "" {
			t.Fatalf("got %q, %q, %q; want none", libs(a), libs(b), libs(c))
		}
	})
	t.Run("restore with flush is one batch", func(t *testing.T) {
		a := newMember(1, true)
		a.fnLoad("old", "o")
		a.fnRestore("b", "b1", "a", "a1")
		// One stamp: listed by name.
		if got := libs(a); got != "a=a1 b=b1" {
			t.Fatalf("got %q", got)
		}
	})
}

// randomFunctionOps makes n random library writes on ms, with partial exchanges between them.
func randomFunctionOps(r *rand.Rand, ms []*member, n int) {
	names := []string{"a", "b", "c"}
	for range n {
		m := ms[r.IntN(len(ms))]
		m.src.Millis += int64(r.IntN(3))
		name := names[r.IntN(len(names))]
		switch r.IntN(8) {
		case 0, 1, 2:
			m.fnLoad(name, fmt.Sprintf("%s-%d", name, r.IntN(100)))
		case 3:
			m.fnDelete(name)
		case 4:
			m.fnFlush()
		case 5:
			m.fnRestore(name, fmt.Sprintf("r%d", r.IntN(100)), names[(r.IntN(2)+1+len(name))%3], "r")
		default:
			if other := ms[r.IntN(len(ms))]; other != m {
				deliver(m, other, ms...)
			}
		}
	}
}

// Any causal order of the same library writes gives the same registry, and members that
// exchange everything agree with such a replay.
func TestFunctionsAnyCausalOrderConverges(t *testing.T) {
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 11))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		randomFunctionOps(r, ms, 40)
		all := applied(ms, ms...)
		want := libs(replay(t, r, 10, all))
		for replica := range 3 {
			if got := libs(replay(t, r, clock.MemberID(11+replica), all)); got != want {
				t.Fatalf("seed %d: replica %d has %q, replica 0 has %q", seed, replica, got, want)
			}
		}
		syncAll(ms)
		for i, m := range ms {
			if got := libs(m); got != want {
				t.Fatalf("seed %d: member %d has %q, a replay has %q", seed, i+1, got, want)
			}
		}
	}
}

// A state merge of the registry gives what delivering the missing effects gives, and later
// effects resolve against merged loads as against applied ones.
func TestFunctionsMergeStateEqualsEffects(t *testing.T) {
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 12))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		randomFunctionOps(r, ms, 40)
		a, b := ms[0], ms[1]
		want := libs(replay(t, r, 20, applied(ms, a, b)))
		vcA, stA := export(a)
		vcB, stB := export(b)
		mergeInto(t, a, vcB, stB)
		if seed%2 == 0 {
			mergeInto(t, b, vcA, stA)
			mergeInto(t, b, vcA, stA) // idempotent
			if got := libs(b); got != want {
				t.Fatalf("seed %d: B after merge %q, union of histories %q", seed, got, want)
			}
		}
		if got := libs(a); got != want {
			t.Fatalf("seed %d: A after merge %q, union of histories %q", seed, got, want)
		}
		randomFunctionOps(r, ms, 20)
		syncAll(ms)
		final := libs(replay(t, r, 21, applied(ms, ms...)))
		for i, m := range ms {
			if got := libs(m); got != final {
				t.Fatalf("seed %d: member %d after more effects %q, replay of everything %q", seed, i+1, got, final)
			}
		}
	}
}

// A fresh member restored from a state holds the same libraries, and its version changes.
func TestFunctionsStateRoundTrip(t *testing.T) {
	a := newMember(1, true)
	a.fnLoad("lib1", "#!lua name=lib1\ncode one")
	a.src.Millis++
	a.fnLoad("lib2", "#!lua name=lib2\ncode \x00 two")
	a.set("k", "v")
	vc, st := export(a)
	b := newMember(2, true)
	b.e.Lock()
	before := b.e.FunctionsVersion()
	b.e.Unlock()
	mergeInto(t, b, vc, st)
	if got, want := libs(b), libs(a); got != want || want == "" {
		t.Fatalf("restored %q, want %q", got, want)
	}
	b.e.Lock()
	after := b.e.FunctionsVersion()
	b.e.Unlock()
	if after == before {
		t.Fatal("the registry version did not change with the merge")
	}
	a.e.Lock()
	b.e.Lock()
	sa, sb := a.e.libs.appendState(nil), b.e.libs.appendState(nil)
	b.e.Unlock()
	a.e.Unlock()
	if !bytes.Equal(sa, sb) {
		t.Fatalf("libraries section differs after a restore:\n%x\n%x", sa, sb)
	}
	// A truncated libraries section is refused.
	damaged := frame(st[stateHeader : len(st)-4-3])
	c := newMember(3, true)
	c.e.Lock()
	_, err := c.e.MergeState(damaged, nil)
	c.e.Unlock()
	if err == nil {
		t.Fatal("a truncated libraries section was accepted")
	}
}

// A version 2 state (no libraries section) is still read, and merging it leaves the
// registry alone.
func TestFunctionsReadPreviousStateVersion(t *testing.T) {
	src := newMember(1, true)
	src.set("k", "v")
	_, st := export(src)
	body := st[stateHeader : len(st)-4]
	if body[len(body)-1] != 0 {
		t.Fatalf("expected an empty libraries section at the end, got %x", body[len(body)-1])
	}
	v2 := append([]byte(stateMagic), stateVersionNoLibraries, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint64(v2[len(stateMagic)+1:], uint64(len(body)-1))
	v2 = append(v2, body[:len(body)-1]...)
	v2 = binary.LittleEndian.AppendUint32(v2, crc32.Checksum(v2, castagnoli))

	dst := newMember(2, true)
	dst.fnLoad("mine", "code")
	mergeInto(t, dst, nil, v2)
	if got := libs(dst); got != "mine=code" {
		t.Fatalf("libraries after a version 2 merge: %q", got)
	}
	if got := dump(dst); !strings.Contains(got, `0/k string "v"`) {
		t.Fatalf("keys after a version 2 merge: %s", got)
	}
}

// The libraries section decodes without panicking, and what it accepts is canonical: encoding
// it again gives the same bytes.
func FuzzReadLibraries(f *testing.F) {
	m := newMember(1, true)
	m.fnLoad("b", "code b")
	m.fnRestore("a", "a1", "c", "")
	m.e.Lock()
	f.Add(m.e.libs.appendState(nil))
	m.e.Unlock()
	f.Add([]byte{0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := crdt.NewReader(data, ErrBadState)
		loads := readLibraries(r)
		if r.Done() != nil {
			return
		}
		reg := libRegistry{loads: loads}
		if out := reg.appendState(nil); !bytes.Equal(out, data) {
			t.Fatalf("re-encoding differs:\n%x\n%x", data, out)
		}
	})
}
