package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/ormap"
	"github.com/concord-db/concord/internal/crdt/orset"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// dump renders what every read command would see, without touching the keyspace: each live
// key of each database with its type, content (sorted) and TTL. Equal dumps are what DEBUG
// DIGEST compares.
func dump(m *member) string {
	m.e.Lock()
	defer m.e.Unlock()
	var lines []string
	for i := range m.e.Store().Len() {
		m.e.Store().DB(i).Each(func(ent *store.Entry) bool {
			at, _ := ent.Expiry.At()
			var content string
			switch v := ent.Value.(type) {
			case *register.Value:
				b, _ := v.Bytes()
				content = fmt.Sprintf("string %q", b)
			case *orset.Set:
				var ms []string
				v.Each(func(x string) bool { ms = append(ms, x); return true })
				slices.Sort(ms)
				content = "set{" + strings.Join(ms, ",") + "}"
			case *ormap.Map:
				var fs []string
				v.Each(func(f string, val []byte) bool { fs = append(fs, f+"="+string(val)); return true })
				slices.Sort(fs)
				content = "hash{" + strings.Join(fs, ",") + "}"
			default:
				content = fmt.Sprintf("%T", v)
			}
			lines = append(lines, fmt.Sprintf("%d/%s %s ttl=%d", i, ent.Name, content, at))
			return true
		})
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// flushall is FLUSHALL as the command layer emits it.
func (m *member) flushall() {
	m.e.Lock()
	defer m.e.Unlock()
	var ops []effect.Op
	for i := range m.e.Store().Len() {
		m.e.Store().DB(i).Each(func(ent *store.Entry) bool {
			if op := DeleteOp(i, ent); HasRemovalContext(&op) {
				ops = append(ops, op)
			}
			return true
		})
	}
	for _, op := range ops {
		m.e.Emit(op)
	}
	m.e.Emit(effect.Op{Kind: effect.Flush, DB: -1})
}

// incrString is INCRBY/INCRBYFLOAT: nothing when the key holds another type (WRONGTYPE).
func (m *member) incrString(key string, n int64, f *big.Rat) {
	m.e.Lock()
	ent := m.e.LookupWrite(0, key)
	m.e.Unlock()
	if ent != nil && ent.Type() != crdt.TypeString {
		return
	}
	m.incr(key, n, f)
}

// randomOps makes n random writes of every kind on a few shared keys (so that types contest)
// with occasional partial exchanges between members.
func randomOps(r *rand.Rand, ms []*member, n int, keys ...string) {
	if len(keys) == 0 {
		keys = []string{"k1", "k2", "k3"}
	}
	fields := []string{"a", "b"}
	for range n {
		m := ms[r.IntN(len(ms))]
		m.src.Millis += int64(r.IntN(3))
		k := keys[r.IntN(len(keys))]
		f := fields[r.IntN(len(fields))]
		switch r.IntN(16) {
		case 0:
			m.set(k, fmt.Sprint(r.IntN(9)))
		case 1:
			m.incrString(k, int64(r.IntN(7)-3), nil)
		case 2:
			m.incrString(k, 0, big.NewRat(int64(r.IntN(5)-2), 4))
		case 3, 4:
			m.sadd(k, fields[r.IntN(2)], "z")
		case 5:
			m.srem(k, f)
		case 6, 7:
			m.hset(k, f, fmt.Sprint(r.IntN(9)))
		case 8:
			m.hincr(k, f, int64(r.IntN(5)-2), nil)
		case 9:
			m.hdel(k, f)
		case 10:
			m.del(k)
		case 11:
			m.expire(k, 2_000_000+int64(r.IntN(3))*1000)
		case 12:
			m.expire(k, 0)
		case 13:
			if r.IntN(4) == 0 {
				m.flushall()
			}
		default:
			if o := ms[r.IntN(len(ms))]; o != m {
				deliver(m, o, ms...)
			}
		}
	}
}

// applied returns every batch of ms's logs that one of has applied.
func applied(ms []*member, has ...*member) []*effect.Effect {
	var out []*effect.Effect
	for _, m := range ms {
		for _, b := range m.log {
			for _, h := range has {
				h.e.Lock()
				ok := h.e.Vector().Covers(b.Dot())
				h.e.Unlock()
				if ok {
					out = append(out, b)
					break
				}
			}
		}
	}
	return out
}

func export(m *member) (clock.Vector, []byte) {
	m.e.Lock()
	defer m.e.Unlock()
	return m.e.ExportState()
}

func mergeInto(t *testing.T, m *member, vc clock.Vector, state []byte) {
	t.Helper()
	m.e.Lock()
	defer m.e.Unlock()
	if _, err := m.e.MergeState(state, vc); err != nil {
		t.Fatal(err)
	}
}

func syncAll(ms []*member) {
	for range 2 {
		for _, a := range ms {
			for _, b := range ms {
				if a != b {
					deliver(a, b, ms...)
				}
			}
		}
	}
}

// A state merge gives what delivering the missing effects gives: members diverge with random
// histories of every type (contests included), then A merges B's state and B merges A's (both
// exported before either merged); each must show what a fresh replica that applied the union
// of their histories shows. Then everybody keeps writing and exchanging effects, and in the end
// every member (merged ones included) agrees with a replica that applied every effect: the
// merged metadata resolves later effects as applied effects would have.
func TestMergeStateEqualsEffects(t *testing.T) {
	for seed := range uint64(120) {
		r := rand.New(rand.NewPCG(seed, 41))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		randomOps(r, ms, 50)
		a, b := ms[0], ms[1]
		want := dump(replay(t, r, 20, applied(ms, a, b)))
		vcA, stA := export(a)
		vcB, stB := export(b)
		switch seed % 3 {
		case 0: // both ways
			mergeInto(t, a, vcB, stB)
			mergeInto(t, b, vcA, stA)
			if got := dump(a); got != want {
				t.Fatalf("seed %d: A after merge:\n%s\nunion of histories:\n%s", seed, got, want)
			}
			if got := dump(b); got != want {
				t.Fatalf("seed %d: B after merge:\n%s\nunion of histories:\n%s", seed, got, want)
			}
		case 1: // one way
			mergeInto(t, a, vcB, stB)
			if got := dump(a); got != want {
				t.Fatalf("seed %d: A after merge:\n%s\nunion of histories:\n%s", seed, got, want)
			}
		case 2: // the other way, twice (idempotent)
			mergeInto(t, b, vcA, stA)
			mergeInto(t, b, vcA, stA)
			if got := dump(b); got != want {
				t.Fatalf("seed %d: B after merge:\n%s\nunion of histories:\n%s", seed, got, want)
			}
		}
		randomOps(r, ms, 30)
		syncAll(ms)
		final := dump(replay(t, r, 21, applied(ms, ms...)))
		for i, m := range ms {
			if got := dump(m); got != final {
				t.Fatalf("seed %d: member %d after more effects:\n%s\nreplay of everything:\n%s", seed, i+1, got, final)
			}
		}
	}
}

// The receiver's own writes that the sender never saw survive a merge, and its clock ends at
// the maximum of both.
func TestMergeStateKeepsUnreplicatedWrites(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	a.set("s", "from-a")
	a.sadd("set", "x")
	deliver(b, a)
	b.srem("set", "x") // b removes what it saw...
	a.sadd("set", "y") // ...while a adds concurrently (unreplicated)
	a.incr("c", 5, nil)
	b.incr("c", 2, nil)
	b.hset("h", "f", "v")
	vc, st := export(b)
	mergeInto(t, a, vc, st)
	want := "0/c string \"7\" ttl=0\n0/h hash{f=v} ttl=0\n0/s string \"from-a\" ttl=0\n0/set set{y} ttl=0"
	if got := dump(a); got != want {
		t.Fatalf("after merge:\n%s\nwant:\n%s", got, want)
	}
	a.e.Lock()
	v := a.e.Vector()
	a.e.Unlock()
	if v.Get(1) != 4 || v.Get(2) != 3 {
		t.Fatalf("vector clock %v", v)
	}
	// b later receives a's unreplicated effects as effects: the same state.
	deliver(b, a)
	if dump(b) != want {
		t.Fatalf("b after effects:\n%s", dump(b))
	}
	if a.e.Stats.FullSyncs != 1 || a.e.Stats.MergedKeys != 4 {
		t.Fatalf("stats %+v", a.e.Stats)
	}
}

// Merging a member's own state, or a state already merged, changes nothing.
func TestMergeStateIdempotent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	ms := []*member{newMember(1, true), newMember(2, true)}
	randomOps(r, ms, 60)
	a := ms[0]
	vc, st := export(a)
	mergeInto(t, a, vc, st)
	if _, again := export(a); !bytes.Equal(again, st) {
		t.Fatal("merging its own state changed the member")
	}
}

// A truncated or corrupt state is refused and changes nothing.
func TestMergeStateRefusesDamage(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	ms := []*member{newMember(1, true), newMember(2, true)}
	randomOps(r, ms, 40)
	vc, st := export(ms[1])
	a := ms[0]
	_, before := export(a)
	a.e.Lock()
	defer a.e.Unlock()
	for i := range st {
		if _, err := a.e.MergeState(st[:i], nil); !errors.Is(err, ErrBadState) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
		bad := slices.Clone(st)
		bad[i] ^= 0x20
		if _, err := a.e.MergeState(bad, nil); err == nil {
			t.Fatalf("flipped byte %d accepted", i)
		}
	}
	if _, err := a.e.MergeState(st, vc.Clone().Set(9, 1)); !errors.Is(err, ErrBadState) {
		t.Fatalf("wrong vector clock: %v", err)
	}
	if _, after := a.e.ExportState(); !bytes.Equal(after, before) {
		t.Fatal("a refused state changed the member")
	}
}

// Every type that can be removed (every type stored in the keyspace) has a state codec.
func TestEveryTypeHasAStateCodec(t *testing.T) {
	for typ := range valueRemovers {
		if _, ok := stateCodecs[typ]; !ok {
			t.Errorf("type %d (%s) has no state codec", typ, typ.Name())
		}
	}
}

// frame wraps body as a state with a correct header and checksum, so that fuzzing reaches the
// decoder behind the checksum.
func frame(body []byte) []byte {
	out := append([]byte(stateMagic), stateVersion, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint64(out[len(stateMagic)+1:], uint64(len(body)))
	out = append(out, body...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

func FuzzMergeState(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 5))
	ms := []*member{newMember(1, true), newMember(2, true)}
	randomOps(r, ms, 30)
	_, st := export(ms[1])
	f.Add(st)
	f.Add(st[stateHeader : len(st)-4])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newMember(1, true)
		m.set("k", "v")
		m.sadd("s", "x")
		_, before := export(m)
		for _, in := range [][]byte{data, frame(data)} {
			m.e.Lock()
			_, err := m.e.MergeState(in, nil)
			m.e.Unlock()
			if err != nil {
				if _, after := export(m); !bytes.Equal(after, before) {
					t.Fatalf("refused state changed the member: %v", err)
				}
				continue
			}
			// Accepted: the member must still work and export a state it can read back.
			m.set("k", "w")
			_, before = export(m)
			m2 := newMember(2, true)
			m2.e.Lock()
			if _, err := m2.e.MergeState(before, nil); err != nil {
				t.Fatalf("own export refused: %v", err)
			}
			m2.e.Unlock()
		}
	})
}

// Tombstone collection never changes what members show: random histories with collections at
// random points (with up-to-date or stale observed vector clocks), then a full exchange; every
// member must agree with a replica that applied every effect and never collected.
func TestGCNeverChangesResults(t *testing.T) {
	collected := 0
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 77))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		ovcs := make([]clock.Vector, len(ms)) // what each member last reported
		for round := range 8 {
			randomOps(r, ms, 12, "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8")
			for i, m := range ms {
				if r.IntN(2) == 0 {
					m.e.Lock()
					ovcs[i] = m.e.Vector()
					m.e.Unlock()
				}
			}
			for i, m := range ms {
				if r.IntN(3) == 0 {
					continue
				}
				m.e.Lock()
				report := slices.Clone(ovcs)
				report[i] = m.e.Vector()
				_, c := m.e.CollectGarbage(report)
				collected += c
				m.e.Unlock()
			}
			if round == 4 {
				syncAll(ms)
			}
		}
		// Everybody up to date: what can be collected is, then more writes follow.
		syncAll(ms)
		for range 3 {
			for i, m := range ms {
				m.e.Lock()
				ovcs[i] = m.e.Vector()
				m.e.Unlock()
			}
			for _, m := range ms {
				m.e.Lock()
				_, c := m.e.CollectGarbage(ovcs)
				collected += c
				m.e.Unlock()
			}
		}
		randomOps(r, ms, 20, "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8")
		syncAll(ms)
		want := dump(replay(t, r, 30, applied(ms, ms...)))
		for i, m := range ms {
			if got := dump(m); got != want {
				t.Fatalf("seed %d: member %d:\n%s\nwithout collection:\n%s", seed, i+1, got, want)
			}
		}
	}
	if collected < 100 {
		t.Fatalf("only %d tombstones collected: the test proves little", collected)
	}
	t.Logf("%d tombstones collected", collected)
}

// The case two-phase collection exists for: every member has seen a deletion, but an effect
// concurrent with it is still on its way to C. A string (or a set) created at c1 is replaced by
// a hash (created c2, after a DEL), and the hash is deleted; meanwhile A increments the string
// (adds to the set). The increment targets a value that lost (c1 < c2) and must be ignored
// everywhere. C must keep the tombstone until the increment has arrived, or the increment would
// resurrect the string. Afterwards the tombstone goes, except where it holds counter totals
// (the increment's, kept for good).
func TestGCKeepsTombstonesForConcurrentEffects(t *testing.T) {
	for _, counter := range []bool{true, false} {
		a, b, c := newMember(1, true), newMember(2, true), newMember(3, true)
		ms := []*member{a, b, c}
		if counter {
			a.set("k", "5")
		} else {
			a.sadd("k", "x")
		}
		syncAll(ms)
		b.src.Millis += 10
		b.del("k")
		b.hset("k", "f", "v") // a hash created after the string
		if counter {
			a.incr("k", 1, nil) // concurrent: aims at the string
		} else {
			a.sadd("k", "y")
		}
		b.del("k")
		deliver(a, b)
		deliver(c, b)
		deliver(b, a) // b has a's increment; c does not
		vcs := func() []clock.Vector {
			var out []clock.Vector
			for _, m := range ms {
				m.e.Lock()
				out = append(out, m.e.Vector())
				m.e.Unlock()
			}
			return out
		}
		gc := func(m *member) (int, int) {
			report := vcs()
			m.e.Lock()
			defer m.e.Unlock()
			return m.e.CollectGarbage(report)
		}
		for range 3 { // every member has seen the deletions; c collects repeatedly
			if _, n := gc(c); n != 0 {
				t.Fatalf("counter %v: c collected %d tombstones before a concurrent effect arrived", counter, n)
			}
		}
		deliver(c, a)
		for _, m := range ms {
			if got := dump(m); got != "" {
				t.Fatalf("counter %v: member %d shows %q", counter, m.e.Member(), got)
			}
		}
		for range 3 {
			for _, m := range ms {
				gc(m)
			}
		}
		want := 0
		if counter {
			want = 1
		}
		for _, m := range ms {
			m.e.Lock()
			p := m.e.PendingTombstones()
			m.e.Unlock()
			if p != want {
				t.Fatalf("counter %v: member %d has %d tombstones, want %d", counter, m.e.Member(), p, want)
			}
		}
		if c.e.Stats.GCAttempted == 0 || (!counter && c.e.Stats.GCCollected == 0) || c.e.Stats.GCPending != uint64(want) {
			t.Fatalf("counter %v: stats %+v", counter, c.e.Stats)
		}
	}
}

// Tombstones holding counter totals are kept (a member that forgot a total would compute
// later offsets differently from the others).
func TestGCKeepsCounterTombstones(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	ms := []*member{a, b}
	a.incr("c", 3, nil)
	a.set("s", "x")
	syncAll(ms)
	a.del("c")
	a.del("s")
	syncAll(ms)
	for range 3 {
		for _, m := range ms {
			var report []clock.Vector
			for _, o := range ms {
				o.e.Lock()
				report = append(report, o.e.Vector())
				o.e.Unlock()
			}
			m.e.Lock()
			m.e.CollectGarbage(report)
			m.e.Unlock()
		}
	}
	a.e.Lock()
	defer a.e.Unlock()
	if a.e.Store().DB(0).Get("s") != nil || a.e.Store().DB(0).Get("c") == nil || a.e.PendingTombstones() != 1 {
		t.Fatalf("s=%v c=%v pending %d", a.e.Store().DB(0).Get("s"), a.e.Store().DB(0).Get("c"), a.e.PendingTombstones())
	}
}

// Random histories of every type on shared keys (so that types contest) converge in any causal
// order: the baseline the state tests compare against.
func TestMixedTypesAnyCausalOrderConverges(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 99))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		randomOps(r, ms, 60)
		all := applied(ms, ms...)
		want := dump(replay(t, r, 20, all))
		for i := range 3 {
			if got := dump(replay(t, r, clock.MemberID(21+i), all)); got != want {
				t.Fatalf("seed %d: order %d:\n%s\nfirst order:\n%s", seed, i, got, want)
			}
		}
		syncAll(ms)
		for i, m := range ms {
			if got := dump(m); got != want {
				t.Fatalf("seed %d: member %d:\n%s\nreplay:\n%s", seed, i+1, got, want)
			}
		}
	}
}
