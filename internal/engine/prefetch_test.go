package engine

import (
	"fmt"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Prefetch changes nothing, whatever the operations name (unknown keys, databases out of
// range, operations without a key), and the batches apply afterwards as they would without it.
func TestPrefetchChangesNothing(t *testing.T) {
	batches := func() []*effect.Effect {
		return []*effect.Effect{
			{Origin: 2, Seq: 1, HLC: clock.HLC(1 << 16), Ops: []effect.Op{
				{Kind: effect.StringSet, Key: "a", Value: []byte("1")},
				{Kind: effect.StringSet, DB: 99, Key: "b", Value: []byte("2")},
				{Kind: effect.Flush, DB: -1},
			}},
			{Origin: 2, Seq: 2, HLC: clock.HLC(2 << 16), Deps: clock.Vector{}.Set(2, 1), Ops: []effect.Op{
				{Kind: effect.StringSet, Key: "a", Value: []byte("3")},
				{Kind: effect.StringSet, Key: "c", Value: []byte("4")},
				{Kind: effect.Publish, Key: "ch", Value: []byte("m")},
			}},
		}
	}
	dump := func(e *Engine) map[string]string {
		out := map[string]string{}
		e.Store().DB(0).EachEntry(func(ent *store.Entry) bool {
			out[ent.Name] = describe(ent)
			return true
		})
		return out
	}
	plain, warmed := New(Config{Member: 1}), New(Config{Member: 1})
	for _, e := range []*Engine{plain, warmed} {
		e.Lock()
		e.Emit(effect.Op{Kind: effect.StringSet, Key: "a", Value: []byte("0")})
		e.Unlock()
	}
	warmed.Lock()
	before := dump(warmed)
	bs := batches()
	warmed.Prefetch(bs)
	if after := dump(warmed); len(after) != len(before) || after["a"] != before["a"] {
		t.Fatalf("Prefetch changed the store: %v, then %v", before, after)
	}
	for _, b := range bs {
		if err := warmed.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	warmed.Unlock()
	plain.Lock()
	for _, b := range batches() {
		if err := plain.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	plain.Unlock()
	p, w := dump(plain), dump(warmed)
	if len(p) != len(w) || len(p) == 0 {
		t.Fatalf("stores differ: %v and %v", p, w)
	}
	for k, v := range p {
		if w[k] != v {
			t.Fatalf("key %s: %s without Prefetch, %s with it", k, v, w[k])
		}
	}
}

// describe is what a test compares of an entry: its type, creation stamp, expiry and, for a
// string, the winning write and its bytes.
func describe(ent *store.Entry) string {
	at, owner := ent.Expiry.At()
	s := fmt.Sprintf("%v created=%v ttl=%d/%d live=%v", ent.Type(), ent.Created, at, owner, ent.IsLive())
	if reg, ok := ent.Value.(*register.Value); ok {
		w, v := reg.Base()
		s += fmt.Sprintf(" base=%v %q", w, v)
	}
	return s
}
