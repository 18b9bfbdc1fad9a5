// Package hll implements the value of a HyperLogLog key (semantics.md §6) and Redis 7.0's
// HyperLogLog algorithms (hyperloglog.c): MurmurHash64A with seed 0xadc83b19, 16384 6-bit
// registers (P = 14), the register histogram estimator of hllCount, and the dense and sparse
// string encodings that GET shows and PFADD/PFCOUNT/PFMERGE read from plain strings. Equal
// registers give Redis's count exactly.
//
// Conflict rules. Adds (PFADD, PFMERGE, copies) merge registers by register-wise maximum, which
// is commutative, so concurrent adds converge to the union. Deletion wins (Redis Enterprise's
// rule): a DEL or FLUSH clears the value (Delete, Clear), and an add whose batch had not
// observed a deletion of the key is concurrent with it and is discarded. With causal delivery
// every add already applied when a deletion arrives was made before or concurrently with it,
// so clearing everything is exactly "the deletion wins over concurrent adds and removes
// observed ones", and the registers are the maximum of the adds that observed every deletion,
// whatever the order. The deletions are remembered by the key's envelope, not by the value
// (crdt/deletions.go): the key may hold another type, or nothing, when a deletion or a
// concurrent add arrives; the engine discards the adds (crdt.Key.ObservesDeletions) and the
// envelope's state merge clears a value that lost to a deletion (Value implements
// crdt.DeletionWins).
//
// Encoding choice. Redis keeps a HyperLogLog sparse until an update would make it longer than
// hll-sparse-max-bytes or needs a register above 32, then dense for good. The member that makes
// an add decides that promotion against its local value (as Redis would) and sends it with the
// add; the value is dense while any surviving add promoted it, so every member shows the same
// string. Sparse strings are produced canonically from the registers (see Registers.sparse).
//
// HLLAdd operation value (effect.Op.Value), written by Update.Append:
//
//	update = flags:byte regs
//	flags  = bit 0: promote (the value uses Redis's dense encoding from now on); others zero
//	regs   = 0x00 n:uvarint { index:2 bytes big-endian value:byte }  (strictly ascending
//	                                                                   indices, values 1..63)
//	       | 0x01 packed:12288 bytes                                  (Redis's dense layout)
//
// State (AppendState, for full resynchronisation and snapshots), with the primitives of
// package crdt (uvarints, dots, stamps, vector clocks, length-prefixed bytes):
//
//	state = version:byte(=2) nparts:uvarint { part }
//	part  = created:stamp lo:vector hi:vector flags:uvarint(bit 0: dense) regs:bytes
//
// (Version 1 also listed deletion dots, which the key's envelope now keeps.) The parts are in
// ascending creation order; lo
// and hi are, per member, the lowest and highest sequence numbers of the part's adds; regs
// (the form above without flags) uses pairs exactly when at most 4096 registers are non-zero.
// The encoding is canonical: equal states have equal bytes, and DecodeState refuses others.
//
// Everything here is pure: no clock reads, no I/O, no goroutines.
package hll

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
)

// Value is a HyperLogLog key's conflict-free state. The zero Value is a deleted (not live)
// HyperLogLog.
//
// The registers are kept per creation of the key the adds targeted (effect.Op.Created): a key
// created concurrently on two members mixes two creations, and when a value of another type
// created between them wins a type contest against the older one (semantics.md §7), the engine
// removes the older creation's adds with a covered removal (Delete with an Observed whose Self
// is zero). Nearly every key has one part.
type Value struct {
	parts []part
	both  Registers // the maximum over parts, kept only while there are several
	// The cardinality of the registers, computed on demand (Redis caches it in the header).
	card   uint64
	cardOK bool
}

// part is the registers of the adds that targeted one creation of the key.
type part struct {
	created clock.Stamp
	lo, hi  clock.Vector // per member, the lowest and highest sequence number of its adds
	regs    Registers
	dense   bool // an add promoted the value to Redis's dense encoding
}

func (p *part) clone() part {
	c := *p
	c.lo, c.hi, c.regs = p.lo.Clone(), p.hi.Clone(), p.regs.Clone()
	return c
}

// note records the dot of an add the part holds.
func (p *part) note(d clock.Dot) {
	if lo := p.lo.Get(d.Member); lo == 0 || d.Seq < lo {
		p.lo = p.lo.Set(d.Member, d.Seq)
	}
	if d.Seq > p.hi.Get(d.Member) {
		p.hi = p.hi.Set(d.Member, d.Seq)
	}
}

var noRegisters Registers

var _ crdt.DeletionWins = (*Value)(nil)

// New returns an empty, not yet live value.
func New() *Value { return &Value{} }

// Type implements crdt.Value.
func (v *Value) Type() crdt.Type { return crdt.TypeHLL }

// Live implements crdt.Value: the key exists once an add survived (PFADD without elements
// creates an empty HyperLogLog).
func (v *Value) Live() bool { return len(v.parts) > 0 }

// Dense reports whether Redis would hold the value in its dense encoding.
func (v *Value) Dense() bool {
	for i := range v.parts {
		if v.parts[i].dense {
			return true
		}
	}
	return false
}

// Registers gives read access to the registers; callers must not modify them.
func (v *Value) Registers() *Registers {
	switch len(v.parts) {
	case 0:
		return &noRegisters
	case 1:
		return &v.parts[0].regs
	}
	return &v.both
}

// Count is the cardinality estimate (PFCOUNT), cached until the registers change.
func (v *Value) Count() uint64 {
	if !v.cardOK {
		v.card, v.cardOK = v.Registers().Count(), true
	}
	return v.card
}

// Update is the content of an HLLAdd operation: registers to merge, and whether the value
// becomes dense.
type Update struct {
	Regs    Registers
	Promote bool
}

// findPart returns the index of the part of creation created, or where to insert it.
func (v *Value) findPart(created clock.Stamp) (int, bool) {
	return slices.BinarySearchFunc(v.parts, created, func(p part, c clock.Stamp) int {
		switch {
		case c.After(p.created):
			return -1
		case p.created.After(c):
			return 1
		}
		return 0
	})
}

// Add applies an HLLAdd made by the batch of obs that targeted the key's creation at created.
// The caller has checked that the batch observed every deletion of the key (an add that had
// not is discarded: the deletion wins).
func (v *Value) Add(u *Update, obs crdt.Observed, created clock.Stamp) {
	i, found := v.findPart(created)
	if !found {
		v.parts = slices.Insert(v.parts, i, part{created: created})
	}
	p := &v.parts[i]
	p.note(obs.Self)
	p.dense = p.dense || u.Promote
	changed := p.regs.MaxWith(&u.Regs)
	switch {
	case !found && len(v.parts) > 1:
		v.rebuild()
	case len(v.parts) > 1:
		v.both.MaxWith(&u.Regs)
	}
	if changed || !found {
		v.cardOK = false
	}
}

// rebuild recomputes the maximum over the parts.
func (v *Value) rebuild() {
	v.both.Clear()
	if len(v.parts) > 1 {
		for i := range v.parts {
			v.both.MaxWith(&v.parts[i].regs)
		}
	}
	v.cardOK = false
}

// Delete applies a removal made by the batch of obs. A DEL or FLUSH removes everything, adds
// made concurrently included (deletion wins; the key remembers it). A covered removal
// (obs.Self zero: the engine's type-contest bookkeeping and full resync) removes the parts
// holding adds that obs.Deps covers.
func (v *Value) Delete(obs crdt.Observed) {
	if obs.Self.IsZero() {
		v.parts = slices.DeleteFunc(v.parts, func(p part) bool {
			for m, lo := range p.lo {
				if lo != 0 && obs.Deps.Covers(clock.Dot{Member: clock.MemberID(m), Seq: lo}) {
					return true
				}
			}
			return false
		})
		if len(v.parts) == 0 {
			v.parts = nil
		}
		v.rebuild()
		return
	}
	v.Clear()
}

// Clear removes every add (crdt.DeletionWins): a deletion that wins over them.
func (v *Value) Clear() {
	v.parts = nil
	v.both.Clear()
	v.card, v.cardOK = 0, true
}

// HoldsUnobserved reports whether the value holds an add that the origin of obs had not seen
// (crdt.Unobserved).
func (v *Value) HoldsUnobserved(obs crdt.Observed) bool {
	for i := range v.parts {
		for m, hi := range v.parts[i].hi {
			if hi != 0 && !obs.Covers(clock.Dot{Member: clock.MemberID(m), Seq: hi}) {
				return true
			}
		}
	}
	return false
}

// Merge joins other's state into v (full resync): the union of their adds. mine and theirs are
// the vector clocks of the replicas v and other come from. A side whose adds lost to a
// deletion the other side applied was cleared before (crdt.Key.Merge, which also has the
// caller remove the parts of creations a type contest hid).
func (v *Value) Merge(other *Value, _, _ clock.Vector) {
	for j := range other.parts {
		o := &other.parts[j]
		i, found := v.findPart(o.created)
		if !found {
			v.parts = slices.Insert(v.parts, i, o.clone())
			continue
		}
		p := &v.parts[i]
		for m, lo := range o.lo {
			if lo != 0 {
				p.note(clock.Dot{Member: clock.MemberID(m), Seq: lo})
			}
		}
		for m, hi := range o.hi {
			if hi != 0 {
				p.note(clock.Dot{Member: clock.MemberID(m), Seq: hi})
			}
		}
		p.dense = p.dense || o.dense
		p.regs.MaxWith(&o.regs)
	}
	v.rebuild()
}

// Clone returns an independent copy.
func (v *Value) Clone() *Value {
	c := &Value{both: v.both.Clone(), card: v.card, cardOK: v.cardOK}
	for i := range v.parts {
		c.parts = append(c.parts, v.parts[i].clone())
	}
	return c
}

// AppendRedis appends the string Redis would hold for the value (GET): the header with the
// cardinality cached as valid, then the dense or the canonical sparse registers.
func (v *Value) AppendRedis(dst []byte) []byte {
	r := v.Registers()
	dense := v.Dense()
	if !dense && r.n > 0 {
		// Registers above 32 always come with a promotion; this only guards odd states.
		if ok, _ := r.SparseFits(); !ok {
			dense = true
		}
	}
	return r.AppendRedis(dst, dense, v.Count())
}

// ---- encodings

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = fmt.Errorf("hll: %w", crdt.ErrCorrupt)

const (
	regsPairs       = 0
	regsDense       = 1
	pairsEncodedMax = denseLen / 3 // 4096: past it the packed form is shorter
	stateVersion    = 2
)

// appendRegs appends the canonical encoding of r.
func appendRegs(dst []byte, r *Registers) []byte {
	if r.n > pairsEncodedMax {
		dst = append(dst, regsDense)
		if r.dense != nil {
			return append(dst, r.dense[:denseLen]...)
		}
		start := len(dst)
		dst = append(dst, make([]byte, denseLen+1)...)
		for _, p := range r.pairs {
			denseSet(dst[start:], int(p>>8), uint8(p))
		}
		return dst[:len(dst)-1]
	}
	dst = append(dst, regsPairs)
	dst = binary.AppendUvarint(dst, uint64(r.n))
	r.Each(func(i int, val uint8) {
		dst = append(dst, byte(i>>8), byte(i), val)
	})
	return dst
}

// decodeRegs decodes registers; canonical requires the form appendRegs chooses. It returns
// the rest of data.
func decodeRegs(data []byte, canonical bool) (Registers, []byte, error) {
	var r Registers
	if len(data) == 0 {
		return r, nil, fmt.Errorf("%w: missing registers", ErrCorrupt)
	}
	switch data[0] {
	case regsPairs:
		n, k := binary.Uvarint(data[1:])
		if k <= 0 || n > NumRegisters || n > uint64(len(data)-1-k)/3 {
			return r, nil, fmt.Errorf("%w: bad register count", ErrCorrupt)
		}
		data = data[1+k:]
		if n > pairsMax {
			r.dense = make([]byte, denseLen+1)
		} else {
			r.pairs = make([]uint32, 0, n)
		}
		prev := -1
		for range n {
			i := int(data[0])<<8 | int(data[1])
			val := data[2]
			data = data[3:]
			if i <= prev || i >= NumRegisters || val == 0 || val > MaxValue {
				return Registers{}, nil, fmt.Errorf("%w: bad register pair", ErrCorrupt)
			}
			prev = i
			if r.dense != nil {
				denseSet(r.dense, i, val)
			} else {
				r.pairs = append(r.pairs, uint32(i)<<8|uint32(val))
			}
		}
		r.n = int(n)
		if canonical && r.n > pairsEncodedMax {
			return Registers{}, nil, fmt.Errorf("%w: non-canonical registers", ErrCorrupt)
		}
		return r, data, nil
	case regsDense:
		if len(data) < 1+denseLen {
			return r, nil, fmt.Errorf("%w: short dense registers", ErrCorrupt)
		}
		d := make([]byte, denseLen+1)
		copy(d, data[1:1+denseLen])
		r.dense = d
		for i := range NumRegisters {
			if denseGet(d, i) != 0 {
				r.n++
			}
		}
		if canonical && r.n <= pairsEncodedMax {
			return Registers{}, nil, fmt.Errorf("%w: non-canonical registers", ErrCorrupt)
		}
		if r.n <= pairsMax {
			r.toPairs()
		}
		return r, data[1+denseLen:], nil
	}
	return r, nil, fmt.Errorf("%w: unknown register form %d", ErrCorrupt, data[0])
}

// Append appends the encoding of u (an HLLAdd operation's value).
func (u *Update) Append(dst []byte) []byte {
	var flags byte
	if u.Promote {
		flags = 1
	}
	return appendRegs(append(dst, flags), &u.Regs)
}

// DecodeUpdate decodes an HLLAdd operation's value.
func DecodeUpdate(data []byte) (*Update, error) {
	if len(data) == 0 || data[0] > 1 {
		return nil, fmt.Errorf("%w: bad update flags", ErrCorrupt)
	}
	r, rest, err := decodeRegs(data[1:], false)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	}
	return &Update{Regs: r, Promote: data[0] == 1}, nil
}

// AppendState appends the value's whole conflict-free state (format in the package doc).
func (v *Value) AppendState(dst []byte) []byte {
	dst = append(dst, stateVersion)
	dst = crdt.AppendUvarint(dst, uint64(len(v.parts)))
	var regs []byte
	for i := range v.parts {
		p := &v.parts[i]
		dst = crdt.AppendStamp(dst, p.created)
		dst = crdt.AppendVector(dst, p.lo)
		dst = crdt.AppendVector(dst, p.hi)
		flags := byte(0)
		if p.dense {
			flags = 1
		}
		dst = append(dst, flags)
		regs = appendRegs(regs[:0], &p.regs)
		dst = crdt.AppendBytes(dst, regs)
	}
	return dst
}

// DecodeState decodes what AppendState wrote, validating everything.
func DecodeState(data []byte) (*Value, error) {
	if len(data) == 0 || data[0] != stateVersion {
		return nil, fmt.Errorf("%w: bad state version", ErrCorrupt)
	}
	r := crdt.NewReader(data[1:], ErrCorrupt)
	v := &Value{}
	n := r.Count(6, "parts")
	for range n {
		var p part
		p.created = r.Stamp("created")
		p.lo, p.hi = r.Vector("lo"), r.Vector("hi")
		flags := r.Uvarint(1, "part flags")
		p.dense = flags == 1
		regs := r.Bytes("registers")
		if r.Err() != nil {
			break
		}
		if len(v.parts) > 0 && !p.created.After(v.parts[len(v.parts)-1].created) {
			r.Fail("parts out of order")
			break
		}
		if !validRange(p.lo, p.hi) {
			r.Fail("bad part dots")
			break
		}
		rg, rest, err := decodeRegs(regs, true)
		if err != nil || len(rest) != 0 {
			r.Fail("bad part registers")
			break
		}
		p.regs = rg
		v.parts = append(v.parts, p)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	v.rebuild()
	if !bytes.Equal(v.AppendState(nil), data) {
		return nil, fmt.Errorf("%w: non-canonical encoding", ErrCorrupt)
	}
	return v, nil
}

// validRange reports whether lo and hi name the same members (at least one), lo <= hi.
func validRange(lo, hi clock.Vector) bool {
	any := false
	for m := range max(len(lo), len(hi)) {
		l, h := lo.Get(clock.MemberID(m)), hi.Get(clock.MemberID(m))
		if (l == 0) != (h == 0) || l > h || (m == 0 && h != 0) {
			return false
		}
		any = any || h != 0
	}
	return any
}
