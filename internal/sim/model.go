package sim

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/concord-db/concord/internal/clock"
)

// The reference model: what semantics.md says the dedicated keys must hold after sync,
// computed from the history of their writes and the causal order between them (each write
// records the vector clock of its member right after it, which covers everything it had seen).
// Expiry keys (exp*) get SET (which also clears the TTL), EXPIRE with long TTLs and PERSIST.
// Counter keys (cnt*) get INCRBY, SET of integers and DEL; register keys (reg*) SET of unique
// values and DEL; set keys (mset*) SADD, SREM and DEL. Hash keys (mhash*) hold counter fields
// (semantics.md §2): HSET of a number sets a field's base, HINCRBY and HINCRBYFLOAT add
// contributions, HDEL and DEL remove what they saw. Sorted-set keys (mzset*) hold scores that
// are counters with an LWW base (§4): ZADD sets the base, ZINCRBY adds, ZREM and DEL remove
// what they saw. FLUSHALL is an observed-remove of every key. Nothing else writes them.
// Fractional amounts are multiples of 1/4, so float sums are exact in any order.

type evKind uint8

const (
	evSet       evKind = iota // SET key value (base of a counter, or a register value)
	evIncr                    // INCRBY key n
	evDel                     // DEL key
	evFlush                   // FLUSHALL (every key)
	evSAdd                    // SADD key elems...
	evSRem                    // SREM key elems...
	evExpire                  // EXPIRE key (n is the absolute expiry time in ms)
	evPersist                 // PERSIST key
	evFieldSet                // HSET key field n, ZADD key n elem: the base of field (elem)
	evFieldIncr               // HINCRBY(FLOAT) key field n, ZINCRBY key n elem: a contribution
	evFieldDel                // HDEL key field, ZREM key elem
)

type event struct {
	kind  evKind
	key   string
	val   string
	n     int64
	f     float64 // evFieldSet, evFieldIncr: the amount
	field string  // evFieldSet, evFieldIncr, evFieldDel: the hash field or sorted-set element
	elems []string
	dot   clock.Dot
	hlc   clock.HLC
	vc    clock.Vector // the member's vector clock right after the write
}

func (e *event) String() string {
	return fmt.Sprintf("%v %d %s %q %d %s=%g %v hlc=%v vc=%v", e.dot, e.kind, e.key, e.val, e.n, e.field, e.f, e.elems, e.hlc, e.vc)
}

type history struct{ events []*event }

func newHistory() *history { return &history{} }

func (h *history) add(e *event) { h.events = append(h.events, e) }

// forget drops m's events after seq (lost in a crash) and returns how many.
func (h *history) forget(m clock.MemberID, seq uint64) int {
	n := len(h.events)
	h.events = slices.DeleteFunc(h.events, func(e *event) bool { return e.dot.Member == m && e.dot.Seq > seq })
	return n - len(h.events)
}

// observed reports whether r had seen e.
func observed(r, e *event) bool { return r != e && r.vc.Covers(e.dot) }

// later reports whether a wins a last-writer-wins contest against b (larger HLC, then the
// smaller member id).
func later(a, b *event) bool {
	if a.hlc != b.hlc {
		return a.hlc > b.hlc
	}
	return a.dot.Member < b.dot.Member
}

// removes reports whether r removes e's write when it observed it: a SET, DEL or FLUSHALL of
// the whole key, or an SREM of one of e's elements (elem).
func removes(r, e *event, elem string) bool {
	if r.kind == evFlush {
		return observed(r, e)
	}
	if r.key != e.key {
		return false
	}
	switch r.kind {
	case evSet, evDel:
		return observed(r, e)
	case evSRem:
		return slices.Contains(r.elems, elem) && observed(r, e)
	case evFieldSet, evFieldDel:
		return r.field == elem && observed(r, e)
	}
	return false
}

func (h *history) survives(e *event, elem string) bool {
	for _, r := range h.events {
		if removes(r, e, elem) {
			return false
		}
	}
	return true
}

// register returns the value of a register or counter key: the winning surviving SET, plus
// the surviving contributions; ok is false when the key must not exist.
func (h *history) register(key string) (val string, ok bool) {
	var base *event
	var sum int64
	contributions := false
	for _, e := range h.events {
		if e.key != key || (e.kind != evSet && e.kind != evIncr) || !h.survives(e, "") {
			continue
		}
		if e.kind == evIncr {
			sum += e.n
			contributions = true
		} else if base == nil || later(e, base) {
			base = e
		}
	}
	switch {
	case base == nil && !contributions:
		return "", false
	case base == nil:
		return strconv.FormatInt(sum, 10), true
	case !contributions:
		return base.val, true
	}
	n, err := strconv.ParseInt(base.val, 10, 64)
	if err != nil {
		return base.val, true // a non-numeric base hides contributions (never written here)
	}
	return strconv.FormatInt(n+sum, 10), true
}

// set returns the sorted members of a set key.
func (h *history) set(key string) []string {
	var out []string
	for _, e := range h.events {
		if e.key != key || e.kind != evSAdd {
			continue
		}
		for _, x := range e.elems {
			if !slices.Contains(out, x) && h.survives(e, x) {
				out = append(out, x)
			}
		}
	}
	slices.Sort(out)
	return out
}

// expiry returns the absolute expiry time (ms) of an expiry key, -1 for none and -2 when the
// key must not exist: among the expiry writes (SET, EXPIRE, PERSIST) that no later expiry
// write and no FLUSHALL had seen, PERSIST (or SET) beats every TTL, and the longest TTL wins.
func (h *history) expiry(key string) int64 {
	if _, ok := h.register(key); !ok {
		return -2
	}
	isWrite := func(e *event) bool {
		return e.key == key && (e.kind == evSet || e.kind == evExpire || e.kind == evPersist)
	}
	at := int64(0)
	for _, e := range h.events {
		if !isWrite(e) {
			continue
		}
		overwritten := false
		for _, r := range h.events {
			if (isWrite(r) || r.kind == evFlush) && observed(r, e) {
				overwritten = true
				break
			}
		}
		if overwritten {
			continue
		}
		if e.kind != evExpire {
			return -1
		}
		at = max(at, e.n)
	}
	if at == 0 {
		return -1
	}
	return at
}

// fields returns the counter fields of a hash key or the scores of a sorted-set key: each
// field's winning surviving base (LWW) plus its surviving contributions; a field exists when
// either survives (a removal only discards what it saw: HDEL or ZREM ∥ an increment leaves the
// increment alone).
func (h *history) fields(key string) map[string]float64 {
	type acc struct {
		base  *event
		sum   float64
		contr bool
	}
	accs := map[string]*acc{}
	for _, e := range h.events {
		if e.key != key || (e.kind != evFieldSet && e.kind != evFieldIncr) || !h.survives(e, e.field) {
			continue
		}
		a := accs[e.field]
		if a == nil {
			a = &acc{}
			accs[e.field] = a
		}
		if e.kind == evFieldIncr {
			a.sum += e.f
			a.contr = true
		} else if a.base == nil || later(e, a.base) {
			a.base = e
		}
	}
	out := map[string]float64{}
	for f, a := range accs {
		v := a.sum
		if a.base != nil {
			v += a.base.f
		}
		out[f] = v
	}
	return out
}

// formatNumber renders a field's value as Concord (and Redis, for these values) replies it:
// integers without a fraction, others in the shortest form.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
