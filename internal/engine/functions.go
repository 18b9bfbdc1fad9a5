package engine

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
)

// The function library registry (Redis 7 FUNCTION LOAD): library name → code, replicated with
// the effects FunctionLoad, FunctionDelete and FunctionFlush and carried by full resync and
// snapshots (state.go). It is an observed-remove multi-value register per library name:
//
//   - every load is identified by the dot of its batch and stamped with the batch's stamp;
//   - a load, a delete or a flush removes the loads of the library (of every library, for a
//     flush) its origin had seen; a load then adds itself;
//   - the library's code is that of the surviving load with the latest stamp (HLC, then the
//     smaller member id: clock.Stamp.After).
//
// So sequential writes behave as in Redis, two concurrent loads of one library resolve last
// writer wins, and a load concurrent with a delete or flush survives it (add-wins, as for the
// other collections). The losers of concurrent loads are kept until a later write that saw
// them removes them, which makes the state a join: a full-state merge keeps a load held by
// both sides, and one held by one side only unless the other side's vector clock covers it
// (then the other side removed it). The registry holds no tombstones: the vector clocks are
// the removal record.
//
// Which libraries the interpreter actually loads is decided from the registry by the command
// layer (Libraries gives them in stamp order): when two libraries register the same function
// name, the one with the later stamp wins and the other is not loaded, the same on every
// member.

// libLoad is one load of a library.
type libLoad struct {
	dot   clock.Dot
	stamp clock.Stamp
	code  []byte
}

// libRegistry is the engine's library registry.
type libRegistry struct {
	loads   map[string][]libLoad // by library name, the loads not removed yet, sorted by dot
	version uint64               // incremented by every change
}

// Library is a library of the registry: its name, its code and the stamp of the load that
// wrote the code.
type Library struct {
	Name  string
	Code  []byte
	Stamp clock.Stamp
}

// Libraries returns the registry's libraries, oldest stamp first. The caller holds the lock
// and does not modify the codes.
func (e *Engine) Libraries() []Library {
	out := make([]Library, 0, len(e.libs.loads))
	for name, loads := range e.libs.loads {
		best := loads[0]
		for _, l := range loads[1:] {
			if l.stamp.After(best.stamp) {
				best = l
			}
		}
		out = append(out, Library{Name: name, Code: best.code, Stamp: best.stamp})
	}
	slices.SortFunc(out, func(a, b Library) int {
		switch {
		case a.Stamp == b.Stamp:
			return cmp.Compare(a.Name, b.Name) // loaded by one batch (FUNCTION RESTORE)
		case b.Stamp.After(a.Stamp):
			return -1
		}
		return 1
	})
	return out
}

// FunctionsVersion changes whenever the registry does: the command layer rebuilds the
// interpreter's libraries when it differs from the version it last built from. The caller
// holds the lock.
func (e *Engine) FunctionsVersion() uint64 { return e.libs.version }

// applyFunction applies a FunctionLoad, FunctionDelete or FunctionFlush operation.
func (e *Engine) applyFunction(b *effect.Effect, op *effect.Op) {
	obs := b.Observed()
	switch op.Kind {
	case effect.FunctionLoad:
		loads := removeObserved(e.libs.loads[op.Key], obs)
		loads = append(loads, libLoad{dot: b.Dot(), stamp: b.Stamp(), code: bytes.Clone(op.Value)})
		slices.SortFunc(loads, func(x, y libLoad) int { return compareDots(x.dot, y.dot) })
		if e.libs.loads == nil {
			e.libs.loads = make(map[string][]libLoad)
		}
		e.libs.loads[op.Key] = loads
	case effect.FunctionDelete:
		e.libs.set(op.Key, removeObserved(e.libs.loads[op.Key], obs))
	case effect.FunctionFlush:
		for name, loads := range e.libs.loads {
			e.libs.set(name, removeObserved(loads, obs))
		}
	}
	e.libs.version++
}

// set stores a library's loads, forgetting the library when none is left.
func (r *libRegistry) set(name string, loads []libLoad) {
	if len(loads) == 0 {
		delete(r.loads, name)
		return
	}
	r.loads[name] = loads
}

// removeObserved returns loads without those obs covers.
func removeObserved(loads []libLoad, obs crdt.Observed) []libLoad {
	return slices.DeleteFunc(slices.Clone(loads), func(l libLoad) bool { return obs.Covers(l.dot) })
}

func compareDots(a, b clock.Dot) int {
	if c := cmp.Compare(a.Member, b.Member); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// merge joins theirs, the registry of a member whose vector clock is vt, into this member's,
// whose vector clock is vm: a load both hold stays, one only this member holds stays unless vt
// covers it (the sender removed it), one only the sender holds is added unless vm covers it
// (this member removed it). The version changes (the command layer then compares the
// libraries, which is cheap next to a full resync).
func (r *libRegistry) merge(theirs map[string][]libLoad, vm, vt clock.Vector) {
	names := make(map[string]bool, len(r.loads)+len(theirs))
	for n := range r.loads {
		names[n] = true
	}
	for n := range theirs {
		names[n] = true
	}
	for name := range names {
		mine, other := r.loads[name], theirs[name]
		var out []libLoad
		for _, l := range mine {
			if slices.ContainsFunc(other, func(o libLoad) bool { return o.dot == l.dot }) || !vt.Covers(l.dot) {
				out = append(out, l)
			}
		}
		for _, o := range other {
			if !slices.ContainsFunc(mine, func(l libLoad) bool { return l.dot == o.dot }) && !vm.Covers(o.dot) {
				out = append(out, o)
			}
		}
		slices.SortFunc(out, func(x, y libLoad) int { return compareDots(x.dot, y.dot) })
		if len(out) == 0 {
			delete(r.loads, name)
			continue
		}
		if r.loads == nil {
			r.loads = make(map[string][]libLoad)
		}
		r.loads[name] = out
	}
	r.version++
}

// appendState appends the registry in the state format (state.go): every load, sorted by
// library name then dot.
//
//	libraries = count { name:bytes dot stamp code:bytes }
func (r *libRegistry) appendState(dst []byte) []byte {
	names := make([]string, 0, len(r.loads))
	n := 0
	for name, loads := range r.loads {
		names = append(names, name)
		n += len(loads)
	}
	slices.Sort(names)
	dst = crdt.AppendUvarint(dst, uint64(n))
	for _, name := range names {
		for _, l := range r.loads[name] {
			dst = crdt.AppendBytes(dst, []byte(name))
			dst = crdt.AppendDot(dst, l.dot)
			dst = crdt.AppendStamp(dst, l.stamp)
			dst = crdt.AppendBytes(dst, l.code)
		}
	}
	return dst
}

// readLibraries reads what appendState wrote, checking the order.
func readLibraries(r *crdt.Reader) map[string][]libLoad {
	n := r.Count(4, "libraries")
	out := make(map[string][]libLoad)
	var prevName string
	var prevDot clock.Dot
	for i := range n {
		name := string(r.Bytes("library name"))
		l := libLoad{dot: r.Dot("library dot"), stamp: r.Stamp("library stamp"), code: bytes.Clone(r.Bytes("library code"))}
		if r.Err() != nil {
			return nil
		}
		if i > 0 && (name < prevName || name == prevName && compareDots(l.dot, prevDot) <= 0) {
			r.Fail("libraries not sorted")
			return nil
		}
		prevName, prevDot = name, l.dot
		out[name] = append(out[name], l)
	}
	return out
}
