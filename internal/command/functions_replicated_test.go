package command

import (
	"bytes"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// fnMember is an in-process member whose own batches are kept (with their dependencies) so
// that they can be delivered to others.
type fnMember struct {
	*ktEnv
	log []*effect.Effect
}

func newFnMember(t *testing.T, id clock.MemberID) *fnMember {
	t.Helper()
	m := &fnMember{ktEnv: &ktEnv{t: t, clock: &clock.Manual{Millis: ktStart}}}
	e := engine.New(engine.Config{Member: id, Databases: 16, Clock: m.clock, Seed: 1, KeepTombstones: true})
	e.AddSink(func(b *effect.Effect) {
		if b.Origin != id {
			return
		}
		cp := b.Clone() // sinks must not retain batches
		for i := range cp.Ops {
			cp.Ops[i].Value = bytes.Clone(cp.Ops[i].Value)
		}
		m.log = append(m.log, cp)
	})
	m.env = NewEnv(e, config.Default(), nil)
	m.cl = m.client()
	return m
}

// deliverFn applies from's batches that to lacks, in order, as replication does.
func deliverFn(t *testing.T, to, from *fnMember) {
	t.Helper()
	e := to.env.Engine
	e.Lock()
	defer e.Unlock()
	for _, b := range from.log {
		if err := e.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	fnLibA = "#!lua name=a\nredis.register_function('fa', function(keys, args) return redis.call('incr', keys[1]) end)"
	fnLibX = "#!lua name=x\nredis.register_function('f', function() return 'x' end)"
	fnLibY = "#!lua name=y\nredis.register_function('f', function() return 'y' end)\nredis.register_function('g', function() return 'g' end)"
)

// Library code loaded on one member is callable on the others once its effects arrive, and
// FUNCTION LIST agrees byte for byte.
func TestFunctionsReplicate(t *testing.T) {
	m1, m2 := newFnMember(t, 1), newFnMember(t, 2)
	m1.must(ktBulk("a"), "FUNCTION", "LOAD", fnLibA)
	m2.must(ktErr("ERR Function not found"), "FCALL", "fa", "1", "n")
	deliverFn(t, m2, m1)
	m2.must(ktInt(1), "FCALL", "fa", "1", "n")
	deliverFn(t, m1, m2)
	m1.must(ktInt(2), "FCALL", "fa", "1", "n")
	if l1, l2 := m1.do("FUNCTION", "LIST", "WITHCODE"), m2.do("FUNCTION", "LIST", "WITHCODE"); l1 != l2 {
		t.Fatalf("FUNCTION LIST differs:\n%q\n%q", l1, l2)
	}
	// DELETE and FLUSH replicate too.
	m2.must(ktOK, "FUNCTION", "DELETE", "a")
	deliverFn(t, m1, m2)
	m1.must(ktErr("ERR Function not found"), "FCALL", "fa", "1", "n")
	m1.must(ktBulk("x"), "FUNCTION", "LOAD", fnLibX)
	deliverFn(t, m2, m1)
	m2.must(ktBulk("x"), "FCALL", "f", "0")
	m2.must(ktOK, "FUNCTION", "FLUSH")
	deliverFn(t, m1, m2)
	m1.must("*0\r\n", "FUNCTION", "LIST")
	// RESTORE is replicated as the loads (and flush) it makes.
	m1.must(ktBulk("a"), "FUNCTION", "LOAD", fnLibA)
	dump := m1.do("FUNCTION", "DUMP")
	payload := dump[bytes.IndexByte([]byte(dump), '\n')+1 : len(dump)-2]
	m2.must(ktOK, "FUNCTION", "RESTORE", payload, "FLUSH")
	deliverFn(t, m1, m2)
	deliverFn(t, m2, m1)
	m1.must(ktInt(3), "FCALL", "fa", "1", "n")
	if l1, l2 := m1.do("FUNCTION", "LIST", "WITHCODE"), m2.do("FUNCTION", "LIST", "WITHCODE"); l1 != l2 {
		t.Fatalf("FUNCTION LIST differs after RESTORE:\n%q\n%q", l1, l2)
	}
}

// Two libraries loaded concurrently that register the same function name: the later stamp's
// library is loaded everywhere and the other nowhere, whatever the order of arrival; deleting
// the winner brings the other back everywhere.
func TestFunctionsConcurrentNameConflict(t *testing.T) {
	m1, m2 := newFnMember(t, 1), newFnMember(t, 2)
	m1.must(ktBulk("x"), "FUNCTION", "LOAD", fnLibX)
	m2.advance(10)
	m2.must(ktBulk("y"), "FUNCTION", "LOAD", fnLibY)
	m1.must(ktBulk("x"), "FCALL", "f", "0") // before the exchange: its own
	deliverFn(t, m1, m2)
	deliverFn(t, m2, m1)
	for i, m := range []*fnMember{m1, m2} {
		m.must(ktBulk("y"), "FCALL", "f", "0")
		m.must(ktBulk("g"), "FCALL", "g", "0")
		if got := m.do("FUNCTION", "STATS"); !bytes.Contains([]byte(got), []byte("libraries_count\r\n:1\r\n")) {
			t.Fatalf("member %d: FUNCTION STATS %q, want one library", i+1, got)
		}
	}
	if l1, l2 := m1.do("FUNCTION", "LIST", "WITHCODE"), m2.do("FUNCTION", "LIST", "WITHCODE"); l1 != l2 {
		t.Fatalf("FUNCTION LIST differs:\n%q\n%q", l1, l2)
	}
	m1.must(ktOK, "FUNCTION", "DELETE", "y")
	deliverFn(t, m2, m1)
	for _, m := range []*fnMember{m1, m2} {
		m.must(ktBulk("x"), "FCALL", "f", "0")
		m.must(ktErr("ERR Function not found"), "FCALL", "g", "0")
	}
}

// A member restored by a full resync (MergeState) gets the libraries.
func TestFunctionsFullResync(t *testing.T) {
	m1, m3 := newFnMember(t, 1), newFnMember(t, 3)
	m1.must(ktBulk("a"), "FUNCTION", "LOAD", fnLibA)
	m1.must(ktBulk("y"), "FUNCTION", "LOAD", fnLibY)
	m3.must(ktErr("ERR Function not found"), "FCALL", "g", "0") // builds the interpreter first
	e1, e3 := m1.env.Engine, m3.env.Engine
	e1.Lock()
	vc, st := e1.ExportState()
	e1.Unlock()
	e3.Lock()
	_, err := e3.MergeState(st, vc)
	e3.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	m3.must(ktBulk("g"), "FCALL", "g", "0")
	if l1, l3 := m1.do("FUNCTION", "LIST", "WITHCODE"), m3.do("FUNCTION", "LIST", "WITHCODE"); l1 != l3 {
		t.Fatalf("FUNCTION LIST differs:\n%q\n%q", l1, l3)
	}
}
