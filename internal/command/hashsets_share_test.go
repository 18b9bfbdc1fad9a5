package command

import (
	"testing"
	"unsafe"

	"github.com/concord-db/concord/internal/crdt/ormap"
	"github.com/concord-db/concord/internal/crdt/orset"
	"github.com/concord-db/concord/internal/effect"
)

// TestHSETSharesStoredBytes checks what HSET's operations carry for existing fields: the stored
// name, and the stored value when the same bytes are written again (no copies), while the
// replies and the content stay Redis's, including for the empty field name.
func TestHSETSharesStoredBytes(t *testing.T) {
	h := newHashEnv(t)
	h.must(":2\r\n", "HSET", "h", "f", "v", "", "e")
	stored := func(f string) (name, val []byte) {
		m := h.env.Engine.Store().DB(0).Get("h").Value.(*ormap.Map)
		name, _ = m.Name([]byte(f))
		val, _ = m.Get([]byte(f))
		return name, val
	}
	name, val := stored("f")
	from := len(h.batches)
	h.must(":0\r\n", "HSET", "h", "f", "v")
	op := h.ops(from)[0]
	if unsafe.SliceData(op.Elems[0]) != unsafe.SliceData(name) || unsafe.SliceData(op.Values[0]) != unsafe.SliceData(val) {
		t.Fatal("an overwrite with the same value copied the stored name or value")
	}
	from = len(h.batches)
	h.must(":0\r\n", "HSET", "h", "f", "w")
	op = h.ops(from)[0]
	if unsafe.SliceData(op.Elems[0]) != unsafe.SliceData(name) || string(op.Values[0]) != "w" {
		t.Fatalf("overwrite with a new value: %q=%q", op.Elems[0], op.Values[0])
	}
	h.must("$1\r\nw\r\n", "HGET", "h", "f")
	// The empty field exists: not counted as created again.
	h.must(":0\r\n", "HSET", "h", "", "e")
	h.must(":1\r\n", "HSET", "h", "", "x", "g", "1", "g", "2")
	h.must("$1\r\nx\r\n", "HGET", "h", "")
	h.must("$1\r\n2\r\n", "HGET", "h", "g")
	// A field holding counters: the write carries its totals whatever path it takes.
	h.must(":5\r\n", "HINCRBY", "h", "c", "5")
	from = len(h.batches)
	h.must(":0\r\n", "HSET", "h", "c", "5")
	if op := h.ops(from)[0]; len(op.ElemOffsets) != 1 || len(op.ElemOffsets[0]) != 1 || op.ElemOffsets[0][0].Int != 5 {
		t.Fatalf("HSET of a counter field carries offsets %+v", op.ElemOffsets)
	}
	h.must("$1\r\n5\r\n", "HGET", "h", "c")
	h.must(":1\r\n", "HINCRBY", "h", "c", "-4")
}

// TestSADDSharesStoredMember checks that re-adding a member emits an operation naming it by the
// set's own string, and that the reply counts only new members.
func TestSADDSharesStoredMember(t *testing.T) {
	s := newSetsEnv(t)
	if got := s.do("SADD", "s", "a", ""); got != ":2\r\n" {
		t.Fatalf("SADD: %q", got)
	}
	set := s.env.Engine.Store().DB(0).Get("s").Value.(*orset.Set)
	name, _ := set.Stored([]byte("a"))
	var first *byte // the bytes the next SADD's first element points to
	s.env.Engine.AddSink(func(b *effect.Effect) {
		if len(b.Ops) > 0 && len(b.Ops[0].Elems) > 0 {
			first = unsafe.SliceData(b.Ops[0].Elems[0])
		}
	})
	if got := s.do("SADD", "s", "a", "", "b", "b"); got != ":1\r\n" {
		t.Fatalf("SADD: %q", got)
	}
	if first != unsafe.StringData(name) {
		t.Fatal("re-adding a member copied it")
	}
	if got := s.do("SCARD", "s"); got != ":3\r\n" {
		t.Fatalf("SCARD: %q", got)
	}
	if again, _ := set.Stored([]byte("a")); unsafe.StringData(again) != unsafe.StringData(name) {
		t.Fatal("re-adding replaced the stored member")
	}
}
