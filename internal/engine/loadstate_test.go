package engine

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
)

// loadBoth loads state into two fresh engines of member id: one with LoadState's shortcut, one
// with MergeState (the reference).
func loadBoth(t *testing.T, id clock.MemberID, keep bool, state []byte) (fast, merged *member) {
	t.Helper()
	fast, merged = newMember(id, keep), newMember(id, keep)
	fast.e.Lock()
	n1, err := fast.e.LoadState(state)
	fast.e.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	// Again with every database decoded in two halves at once.
	defer func(n int) { parallelKeys = n }(parallelKeys)
	parallelKeys = 2
	halves := newMember(id, keep)
	halves.e.Lock()
	n3, err := halves.e.LoadState(state)
	halves.e.Unlock()
	if err != nil || n3 != n1 {
		t.Fatalf("decoded in halves: %d keys, %v", n3, err)
	}
	sameMember(t, "decoded in halves", halves, fast)
	merged.e.Lock()
	n2, err := merged.e.MergeState(state, nil)
	merged.e.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if n1 != n2 {
		t.Fatalf("LoadState loaded %d keys, MergeState %d", n1, n2)
	}
	return fast, merged
}

func sameMember(t *testing.T, what string, a, b *member) {
	t.Helper()
	_, sa := export(a)
	_, sb := export(b)
	if !bytes.Equal(sa, sb) {
		t.Fatalf("%s: exported states differ (%d and %d bytes)", what, len(sa), len(sb))
	}
	if da, db := dumpAll(a), dumpAll(b); da != db {
		t.Fatalf("%s: contents differ:\n%s\nvs\n%s", what, da, db)
	}
	for _, m := range []*member{a, b} {
		m.e.Lock()
	}
	defer a.e.Unlock()
	defer b.e.Unlock()
	if a.e.Seq() != b.e.Seq() || !a.e.Vector().Equal(b.e.Vector()) || a.e.clock.Last() != b.e.clock.Last() {
		t.Fatalf("%s: seq %d/%d, vc %v/%v, hlc %d/%d", what, a.e.Seq(), b.e.Seq(), a.e.Vector(), b.e.Vector(),
			a.e.clock.Last(), b.e.clock.Last())
	}
	for i := range a.e.Store().Len() {
		da, db := a.e.Store().DB(i), b.e.Store().DB(i)
		if da.Size() != db.Size() || da.Expires() != db.Expires() || da.Tombstones() != db.Tombstones() {
			t.Fatalf("%s: db %d: indexes differ", what, i)
		}
	}
	if len(a.e.gc.noted) != len(b.e.gc.noted) {
		t.Fatalf("%s: %d and %d keys noted for collection", what, len(a.e.gc.noted), len(b.e.gc.noted))
	}
}

// A state loaded into an empty engine by LoadState's shortcut is the state MergeState makes of
// it: equal exports, contents, clocks and indexes, on random histories of every type (type
// contests, counters, expiry, tombstones with and without keeping them). Then both receive the
// effects their peers made meanwhile and make the same local writes, and must still agree: the
// metadata the shortcut skips building (counter history, contest records) would show there.
func TestLoadStateEqualsMerge(t *testing.T) {
	for seed := range uint64(seedCount(150)) {
		r := rand.New(rand.NewPCG(seed, 77))
		keep := seed%4 != 3
		ms := []*member{newMember(1, keep), newMember(2, keep), newMember(3, keep)}
		allTypesOps(r, ms, 60)
		if seed%5 == 0 {
			ms[0].expire("k1", 2_000_000)
		}
		_, state := export(ms[0])
		fast, merged := loadBoth(t, 1, keep, state)
		sameMember(t, "seed "+strconv.Itoa(int(seed))+" after load", fast, merged)
		allTypesOps(r, ms[1:], 30)
		for _, m := range []*member{fast, merged} {
			deliver(m, ms[1], ms...)
			deliver(m, ms[2], ms...)
			m.set("k1", "local")
			m.incr("k2", 3, nil)
			m.sadd("k3", "z")
			m.del("k2")
		}
		sameMember(t, "seed "+strconv.Itoa(int(seed))+" after more effects", fast, merged)
	}
}

// The shortcut only applies to an empty engine: into one holding anything, LoadState merges.
func TestLoadStateIntoNonEmptyMerges(t *testing.T) {
	a := newMember(2, true)
	a.set("k", "theirs")
	a.set("only-theirs", "1")
	_, state := export(a)
	b, ref := newMember(1, true), newMember(1, true)
	for _, m := range []*member{b, ref} {
		m.set("k", "mine")
		m.set("only-mine", "2")
	}
	b.e.Lock()
	if _, err := b.e.LoadState(state); err != nil {
		t.Fatal(err)
	}
	b.e.Unlock()
	mergeInto(t, ref, nil, state)
	sameMember(t, "non-empty", b, ref)
	if got := b.get("only-mine"); got != `"2" ttl=0` {
		t.Fatalf("own key after LoadState into a non-empty engine: %s", got)
	}
}

// Many plain strings (the shortcut's own decoding), some with TTLs, long names, empty values
// and counters, with a few keys of other types and a tombstone among them.
func TestLoadStatePlainStrings(t *testing.T) {
	m := newMember(3, true)
	for i := range 500 {
		k := "key:" + strconv.Itoa(i)
		switch i % 7 {
		case 1:
			k += "-a-name-longer-than-twenty-four-bytes"
		case 2:
			m.set(k, "")
			continue
		case 3:
			m.incr(k, int64(i), nil)
			continue
		case 4:
			m.sadd(k, "a", "b")
			continue
		}
		m.set(k, "val:"+strconv.Itoa(i))
		if i%5 == 0 {
			m.expire(k, 5_000_000+int64(i))
		}
	}
	m.del("key:0")
	_, state := export(m)
	fast, merged := loadBoth(t, 3, true, state)
	sameMember(t, "plain strings", fast, merged)
	for _, x := range []*member{fast, merged} {
		x.set("key:14", "new")
		x.incr("key:10", 1, nil)
	}
	sameMember(t, "after writes", fast, merged)
}

// A refused state leaves the engine empty, as MergeState leaves it unchanged; and both refuse
// the same inputs.
func FuzzLoadState(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	ms := []*member{newMember(1, true), newMember(2, true)}
	allTypesOps(r, ms, 30)
	ms[1].set("plain", "v")
	ms[1].expire("plain", 9_000_000)
	_, st := export(ms[1])
	f.Add(st)
	f.Add(st[stateHeader : len(st)-4])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, in := range [][]byte{data, frame(data), frame(data)} {
			if i == 2 { // the same, decoded in two halves at once
				defer func(n int) { parallelKeys = n }(parallelKeys)
				parallelKeys = 2
			}
			fast, merged := newMember(1, true), newMember(1, true)
			fast.e.Lock()
			_, errFast := fast.e.LoadState(in)
			empty := fast.e.empty()
			fast.e.Unlock()
			merged.e.Lock()
			_, errMerge := merged.e.MergeState(in, nil)
			merged.e.Unlock()
			if (errFast == nil) != (errMerge == nil) {
				t.Fatalf("LoadState: %v, MergeState: %v", errFast, errMerge)
			}
			if errFast != nil {
				if !empty {
					t.Fatalf("refused state changed the engine: %v", errFast)
				}
				continue
			}
			sameMember(t, "accepted", fast, merged)
		}
	})
}

// plainString's decoding agrees with register.DecodeState: whatever it accepts, the register
// decodes to the same value.
func FuzzPlainString(f *testing.F) {
	f.Add(register.New([]byte("v"), crdt.Observed{Self: clock.Dot{Member: 1, Seq: 7}}, 99).AppendState(nil))
	f.Add(register.New(nil, crdt.Observed{Self: clock.Dot{Member: 3, Seq: 1 << 40}}, 1<<50).AppendState(nil))
	two := register.New([]byte("a"), crdt.Observed{Self: clock.Dot{Member: 1, Seq: 1}}, 5)
	two.Contribute(2, 3, 4, nil)
	f.Add(two.AppendState(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p plainString
		if !p.parse(data) {
			return
		}
		want, err := register.DecodeState(data)
		if err != nil {
			t.Fatalf("plain string the register refuses: %v", err)
		}
		got := p.value().(*register.Value)
		if !got.Equal(want) {
			t.Fatal("decoded differently")
		}
	})
}

// The envelope shortcut agrees with crdt.Key.ReadState on every envelope a key can have, as
// exported (TestLoadStateEqualsMerge covers them in context; this pins the usual forms).
func TestPlainEnvelope(t *testing.T) {
	m := newMember(1, true)
	m.set("a", "1")
	m.set("b", "2")
	m.expire("b", 7_000_000)
	m.e.Lock()
	m.e.Emit(effect.Op{Kind: effect.Expire, Key: "b", At: 8_000_000}) // a second write, same member: replaced
	m.e.Unlock()
	_, state := export(m)
	fast, merged := loadBoth(t, 1, true, state)
	sameMember(t, "envelopes", fast, merged)
	if got := fast.get("b"); got != `"2" ttl=8000000` {
		t.Fatalf("b: %s", got)
	}
}

// appendRegister's shortcut for plain strings writes what appendValue (the register's own
// AppendState) writes, for plain values and for every other kind of string value.
func FuzzAppendRegister(f *testing.F) {
	f.Add(uint16(1), uint64(7), uint64(99), []byte("v"), int64(0))
	f.Add(uint16(3), uint64(1<<40), uint64(1<<50), []byte{}, int64(5))
	f.Add(uint16(clock.MaxMembers), uint64(1), uint64(0), bytes.Repeat([]byte("x"), 300), int64(-1))
	f.Fuzz(func(t *testing.T, m uint16, seq, hlc uint64, val []byte, incr int64) {
		if m == 0 || int(m) > clock.MaxMembers || seq == 0 {
			return
		}
		reg := register.New(val, crdt.Observed{Self: clock.Dot{Member: clock.MemberID(m), Seq: seq}}, clock.HLC(hlc))
		if incr != 0 {
			reg.Contribute(clock.MemberID(m), seq+1, incr, nil)
		}
		var scratch []byte
		if got, want := appendRegister(nil, reg, &scratch), appendValue(nil, reg, &scratch); !bytes.Equal(got, want) {
			t.Fatalf("%x, want %x", got, want)
		}
	})
}
