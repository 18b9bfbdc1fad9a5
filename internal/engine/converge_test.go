package engine

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
)

// member is an engine plus the batches it committed, for the tests.
type member struct {
	e   *Engine
	src *clock.Manual
	log []*effect.Effect
}

func newMember(id clock.MemberID, keep bool) *member {
	src := &clock.Manual{Millis: 1_000_000}
	m := &member{src: src}
	m.e = New(Config{Member: id, Databases: 2, Clock: src, KeepTombstones: keep})
	m.e.AddSink(func(b *effect.Effect) {
		if b.Origin == id {
			m.log = append(m.log, b.Clone())
		}
	})
	return m
}

// The write paths below mirror what the command layer emits for SET, INCRBY, INCRBYFLOAT, DEL,
// EXPIRE and PERSIST.
func (m *member) set(key, val string) {
	m.e.Lock()
	prev := m.e.Store().DB(0).Get(key)
	m.e.Emit(effect.Op{Kind: effect.StringSet, Key: key, Value: []byte(val), Offsets: Offsets(prev)})
	m.e.Unlock()
}

func (m *member) incr(key string, n int64, f *big.Rat) {
	m.e.Lock()
	created := m.e.Stamp()
	if ent := m.e.LookupWrite(0, key); ent != nil {
		created = ent.Created
	}
	m.e.Emit(effect.Op{Kind: effect.StringAdd, Key: key, Created: created, Int: n, Float: f})
	m.e.Unlock()
}

func (m *member) del(key string) {
	m.e.Lock()
	if ent := m.e.LookupWrite(0, key); ent != nil {
		m.e.Emit(DeleteOp(0, ent))
	}
	m.e.Unlock()
}

func (m *member) expire(key string, at int64) {
	m.e.Lock()
	if ent := m.e.LookupWrite(0, key); ent != nil {
		m.e.Emit(effect.Op{Kind: effect.Expire, Key: key, At: at})
	}
	m.e.Unlock()
}

func (m *member) get(key string) string {
	m.e.Lock()
	defer m.e.Unlock()
	ent := m.e.Lookup(0, key)
	if ent == nil {
		return "(nil)"
	}
	b, _ := ent.Value.(*register.Value).Bytes()
	at, _ := ent.Expiry.At()
	return fmt.Sprintf("%q ttl=%d", b, at)
}

// deliver gives to every batch that from has applied (relaying other origins' batches too), in
// a causal order.
func deliver(to, from *member, all ...*member) {
	if len(all) == 0 {
		all = []*member{from}
	}
	from.e.Lock()
	seen := from.e.Vector()
	from.e.Unlock()
	to.e.Lock()
	defer to.e.Unlock()
	for progressed := true; progressed; {
		progressed = false
		for _, m := range all {
			for _, b := range m.log {
				if !seen.Covers(b.Dot()) || to.e.Vector().Covers(b.Dot()) || !to.e.Ready(b) {
					continue
				}
				if err := to.e.Apply(b); err != nil {
					panic(err)
				}
				progressed = true
			}
		}
	}
}

func TestDocumentedTimelines(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	sync := func() { deliver(a, b); deliver(b, a) }

	a.incr("c", 7, nil)
	b.incr("c", 3, nil)
	sync()
	if got := a.get("c"); got != `"10" ttl=0` || b.get("c") != got {
		t.Fatalf("concurrent INCRBY: a=%s b=%s", got, b.get("c"))
	}
	a.incr("c", -3, nil)
	b.incr("c", 6, nil)
	sync()
	if got := a.get("c"); got != `"13" ttl=0` {
		t.Fatalf("second round: %s", got)
	}

	// SET ∥ INCR: concurrent increments are added to the winning SET.
	a.set("s", "5")
	sync()
	a.src.Millis += 10
	a.set("s", "10")
	b.incr("s", 1, nil)
	sync()
	if got, other := a.get("s"), b.get("s"); got != `"11" ttl=0` || other != got {
		t.Fatalf("SET ∥ INCR: a=%s b=%s", got, other)
	}

	// DEL ∥ INCRBY: only the unobserved increment survives.
	a.set("d", "4")
	sync()
	a.del("d")
	b.incr("d", 2, nil)
	sync()
	if got, other := a.get("d"), b.get("d"); got != `"2" ttl=0` || other != got {
		t.Fatalf("DEL ∥ INCRBY: a=%s b=%s", got, other)
	}

	// Non-numeric base hides concurrent contributions.
	a.set("h", "hello")
	b.incr("h", 1, nil)
	sync()
	if got := a.get("h"); got != `"hello" ttl=0` || b.get("h") != got {
		t.Fatalf("hello ∥ INCR: a=%s b=%s", got, b.get("h"))
	}

	// Expiry: longest TTL wins; PERSIST beats every TTL.
	a.set("e", "v")
	sync()
	a.expire("e", 2_000_000)
	b.expire("e", 5_000_000)
	sync()
	if got := a.get("e"); got != `"v" ttl=5000000` || b.get("e") != got {
		t.Fatalf("EXPIRE ∥ EXPIRE: a=%s b=%s", got, b.get("e"))
	}
	a.expire("e", 3_000_000) // causally later: replaces
	sync()
	if got := b.get("e"); got != `"v" ttl=3000000` {
		t.Fatalf("later EXPIRE: %s", got)
	}
	a.expire("e", 4_000_000)
	b.expire("e", 0)
	sync()
	if got := a.get("e"); got != `"v" ttl=0` || b.get("e") != got {
		t.Fatalf("EXPIRE ∥ PERSIST: a=%s b=%s", got, b.get("e"))
	}

	// Exact HLC tie: the smaller member id wins.
	a.src.Millis, b.src.Millis = 9_000_000, 9_000_000
	a.set("tie", "from-a")
	b.set("tie", "from-b")
	sync()
	if got := b.get("tie"); got != `"from-a" ttl=0` || a.get("tie") != got {
		t.Fatalf("tie: a=%s b=%s", a.get("tie"), got)
	}
}

// Concurrent effects applied in any causal order give the same state: each member makes random
// writes with occasional partial exchanges, then every member applies every batch, each in a
// different random causal order, and all must end equal.
func TestAnyCausalOrderConverges(t *testing.T) {
	keys := []string{"k1", "k2", "k3"}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 7))
		ms := []*member{newMember(1, true), newMember(2, true), newMember(3, true)}
		for range 60 {
			m := ms[r.IntN(len(ms))]
			m.src.Millis += int64(r.IntN(3))
			k := keys[r.IntN(len(keys))]
			switch r.IntN(7) {
			case 0, 1:
				m.set(k, fmt.Sprint(r.IntN(20)))
			case 2:
				m.incr(k, int64(r.IntN(11)-5), nil)
			case 3:
				m.incr(k, 0, big.NewRat(int64(r.IntN(7)-3), 4))
			case 4:
				m.del(k)
			case 5:
				m.expire(k, 2_000_000+int64(r.IntN(3))*1000)
			case 6:
				other := ms[r.IntN(len(ms))]
				if other != m {
					deliver(m, other, ms...) // a partial exchange creates causal dependencies
				}
			}
		}
		// Fresh replicas apply everything in random causal orders.
		var all []*effect.Effect
		for _, m := range ms {
			all = append(all, m.log...)
		}
		var want map[string]string
		for replica := range 4 {
			rep := replay(t, r, clock.MemberID(10+replica), all)
			got := map[string]string{}
			for _, k := range keys {
				got[k] = rep.get(k)
			}
			if want == nil {
				want = got
				continue
			}
			for _, k := range keys {
				if got[k] != want[k] {
					t.Fatalf("seed %d: replica %d has %s=%s, replica 0 has %s", seed, replica, k, got[k], want[k])
				}
			}
		}
	}
}

func TestApplyIsIdempotentAndCausal(t *testing.T) {
	a, b := newMember(1, true), newMember(2, true)
	a.set("x", "1")
	a.set("x", "2")
	b.e.Lock()
	defer b.e.Unlock()
	if err := b.e.Apply(a.log[1]); err != ErrNotReady {
		t.Fatalf("out-of-order batch: %v", err)
	}
	for _, eff := range a.log {
		if err := b.e.Apply(eff); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.e.Apply(a.log[0]); err != nil || b.e.Stats.FilteredEffects != 1 {
		t.Fatalf("duplicate: err %v filtered %d", err, b.e.Stats.FilteredEffects)
	}
	if got := b.e.Vector().Get(1); got != 2 {
		t.Fatalf("vector clock %d", got)
	}
	_ = crdt.TypeString
}

// replay applies every batch to a fresh member with the given id, in a random causal order
// drawn from r (delivery is causal: a batch waits for those it depends on).
func replay(t *testing.T, r *rand.Rand, id clock.MemberID, batches []*effect.Effect) *member {
	t.Helper()
	rep := newMember(id, true)
	pending := slices.Clone(batches)
	r.Shuffle(len(pending), func(i, j int) { pending[i], pending[j] = pending[j], pending[i] })
	rep.e.Lock()
	defer rep.e.Unlock()
	for len(pending) > 0 {
		i := slices.IndexFunc(pending, rep.e.Ready)
		if i < 0 {
			t.Fatalf("%d batches can never be applied", len(pending))
		}
		if err := rep.e.Apply(pending[i]); err != nil {
			t.Fatal(err)
		}
		pending = slices.Delete(pending, i, i+1)
	}
	return rep
}
