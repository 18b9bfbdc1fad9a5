package ormap

import (
	"fmt"
	"slices"
	"strings"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

// State format (full resync and snapshots), built from package crdt's primitives and package
// register's state:
//
//	state = fields:count { name:bytes register-state }
//
// Fields are sorted by name; live fields and fields kept dead for their counter offsets are
// listed together (a register's state says whether it is live). A field is always encoded as
// a register, whatever its representation in memory, so the encoding is canonical: equal
// states give equal bytes.

// ErrCorrupt is wrapped by every DecodeState error.
var ErrCorrupt = fmt.Errorf("ormap: %w", crdt.ErrCorrupt)

type namedReg struct {
	name string
	reg  *register.Value
}

// registers returns every field, live or dead, with its register (compact fields get a new
// one), live fields first in slot order.
func (m *Map) registers() []namedReg {
	out := make([]namedReg, 0, int(m.n)+len(m.dead))
	m.eachSlot(func(s *slot) {
		out = append(out, namedReg{s.name, m.regOf(s)})
	})
	for name, reg := range m.dead {
		out = append(out, namedReg{name, reg})
	}
	return out
}

// regOf returns slot s's register, a new one for a compact slot (s is not changed).
func (m *Map) regOf(s *slot) *register.Value {
	if s.reg != nil {
		return s.reg
	}
	return register.New(bytesOf(s.val), crdt.Observed{Self: unpack(s.dot)}, s.hlc)
}

// AppendState appends the map's whole state to dst.
func (m *Map) AppendState(dst []byte) []byte {
	fields := m.registers()
	slices.SortFunc(fields, func(a, b namedReg) int { return strings.Compare(a.name, b.name) })
	dst = crdt.AppendUvarint(dst, uint64(len(fields)))
	for _, f := range fields {
		dst = crdt.AppendBytes(dst, []byte(f.name))
		dst = f.reg.AppendState(dst)
	}
	return dst
}

// DecodeState decodes what AppendState wrote, validating everything.
func DecodeState(data []byte) (*Map, error) {
	r := crdt.NewReader(data, ErrCorrupt)
	n := r.Count(4, "fields")
	m := New()
	prev := ""
	for i := range n {
		name := string(r.Bytes("field name"))
		reg := register.ReadState(r)
		if r.Err() != nil {
			return nil, r.Err()
		}
		if i > 0 && strings.Compare(prev, name) >= 0 {
			r.Fail("fields not sorted")
			return nil, r.Err()
		}
		prev = name
		if !reg.Live() && !reg.Retained() {
			r.Fail("field %q holds nothing", name)
			return nil, r.Err()
		}
		m.place(name, reg)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return m, nil
}

// place adds field name (not in m) with register reg: a live field (compact when reg is a
// single written value), or a dead one kept for its offsets, or nothing.
func (m *Map) place(name string, reg *register.Value) {
	if !reg.Live() {
		m.bury(name, reg)
		return
	}
	if val, dot, hlc, ok := reg.Single(); ok {
		if p, ok := pack(dot); ok {
			m.insert(slot{name: name, val: str(val), hlc: hlc, dot: p})
			return
		}
	}
	m.insert(slot{name: name, reg: reg})
}

// Merge joins other's state into m (full resync): mine and theirs are the vector clocks of
// the replicas m and other come from. Each field's register is merged as a string's (package
// register): what one side holds and the other side's clock covers was removed there. other
// is not modified and shares nothing with m afterwards.
func (m *Map) Merge(other *Map, mine, theirs clock.Vector) { m.MergeReported(other, mine, theirs, nil) }

// MergeReported is Merge reporting the conflicts it resolves (report may be nil): each field's,
// as a string's register reports them (register.Value.MergeReported), with the field as elem.
func (m *Map) MergeReported(other *Map, mine, theirs clock.Vector, report crdt.MergeReport) {
	fieldReport := func(string) crdt.MergeReport { return nil }
	if report != nil {
		fieldReport = func(name string) crdt.MergeReport {
			return func(_ []byte, r crdt.Resolution) { report([]byte(name), r) }
		}
	}
	theirRegs := other.registers()
	byName := make(map[string]*register.Value, len(theirRegs))
	for _, f := range theirRegs {
		byName[f.name] = f.reg
	}
	var out []namedReg
	for _, f := range m.registers() {
		reg := f.reg.Clone()
		t := byName[f.name]
		if t == nil {
			t = &register.Value{}
		}
		delete(byName, f.name)
		reg.MergeReported(t, mine, theirs, fieldReport(f.name))
		out = append(out, namedReg{f.name, reg})
	}
	for _, f := range theirRegs {
		if _, ok := byName[f.name]; !ok {
			continue // merged above
		}
		reg := &register.Value{}
		reg.MergeReported(f.reg, mine, theirs, fieldReport(f.name))
		out = append(out, namedReg{strings.Clone(f.name), reg})
	}
	hashtable := m.hashtable
	*m = Map{index: make(map[string]int32, len(out))}
	for _, f := range out {
		m.place(f.name, f.reg)
	}
	m.hashtable = hashtable && m.n > 0
}

// HoldsUnobserved reports whether m holds a written value or a live counter contribution that
// the origin of obs had not seen (what a newer creation of the hash leaves of older ones).
func (m *Map) HoldsUnobserved(obs crdt.Observed) bool {
	found := false
	m.eachSlot(func(s *slot) {
		if found {
			return
		}
		if s.reg == nil {
			found = !obs.Covers(unpack(s.dot))
		} else {
			found = s.reg.HoldsUnobserved(obs)
		}
	})
	return found
}
