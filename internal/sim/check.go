package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/store"
)

// check runs after quiescence: convergence of digests and reads, empty buffers, tombstone
// collection down to its floor, and the reference model.
func (w *World) check() {
	ms := w.members[1:]
	for _, m := range ms {
		if !m.gate.Open() {
			w.failf("member %d: its startup gate is still closed", m.id)
		}
		if n, size := m.recv.Pending(); n > 0 {
			w.failf("member %d: %d batches (%d bytes) left in its causal buffer", m.id, n, size)
		}
	}
	// The clocks stop while the checks read: a key that expires between two reads would
	// make members differ for a moment.
	w.frozen = epoch + w.now
	w.setClocks()
	defer func() { w.frozen = 0 }()
	// A first pass lets lazy expiry act; the reads compared are the second pass's.
	for _, m := range ms {
		w.reads(m)
	}
	w.quiesceAgain()
	before := w.vectors()
	ref := w.reads(ms[0])
	for _, m := range ms[1:] {
		got := w.reads(m)
		// Differing types make differing numbers of lines: the digest, then the reads up to
		// the first difference.
		for i := range min(len(ref), len(got)) {
			if got[i] != ref[i] {
				w.failf("divergence: member %d %s, member 1 %s", m.id, got[i], ref[i])
				if i > 0 {
					break
				}
			}
		}
		if len(got) != len(ref) {
			w.failf("divergence: member %d gave %d read lines, member 1 %d", m.id, len(got), len(ref))
		}
	}
	if after := w.vectors(); !slices.Equal(before, after) {
		w.failf("reads committed batches: vector clocks %v -> %v", before, after)
	}
	w.checkModel(ms[0])
	w.checkTombstones()
}

// quiesceAgain delivers what the first read pass may have committed (lazy expiry).
func (w *World) quiesceAgain() {
	for range 2000 {
		w.step()
		if w.idle() {
			w.collect()
			if w.idle() {
				return
			}
		}
	}
	w.failf("did not quiesce after the read pass")
}

// reads returns m's replies to every read the checks compare, one line each.
func (w *World) reads(m *member) []string {
	out := []string{"DIGEST " + w.do(m, "DEBUG", "DIGEST")}
	for _, k := range allKeys() {
		typ := w.do(m, "TYPE", k)
		out = append(out, k+" TYPE "+typ)
		switch strings.TrimSpace(typ) {
		case "+string":
			out = append(out, k+" GET "+w.do(m, "GET", k))
		case "+hash":
			out = append(out, k+" HGETALL "+sortedPairs(w.do(m, "HGETALL", k)))
		case "+set":
			out = append(out, k+" SMEMBERS "+sortedArray(w.do(m, "SMEMBERS", k)))
		case "+zset":
			out = append(out, k+" ZRANGE "+w.do(m, "ZRANGE", k, "0", "-1", "WITHSCORES"))
		case "+list":
			out = append(out, k+" LRANGE "+w.do(m, "LRANGE", k, "0", "-1"))
		}
		if strings.HasPrefix(k, "p") {
			out = append(out, k+" PFCOUNT "+w.do(m, "PFCOUNT", k))
		}
		out = append(out, k+" PTTL "+ttlClass(w.do(m, "PTTL", k)))
	}
	for i := range out {
		out[i] = strconv.Quote(out[i])
	}
	return out
}

// ttlClass is -2 (no key), -1 (no expiry) or "expiring".
func ttlClass(reply string) string {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(reply, ":")), 10, 64)
	if err != nil || n < 0 {
		return reply
	}
	return "expiring"
}

// parseArray parses a flat RESP array of bulk strings (nil for anything else).
func parseArray(reply string) []string {
	if !strings.HasPrefix(reply, "*") {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(reply, "\r\n"), "\r\n")
	var out []string
	for i := 1; i+1 < len(lines); i += 2 {
		out = append(out, lines[i+1])
	}
	return out
}

func sortedArray(reply string) string {
	a := parseArray(reply)
	if a == nil {
		return reply
	}
	slices.Sort(a)
	return fmt.Sprint(a)
}

// pairsOf returns the field=value pairs of a flat array reply (HGETALL, ZRANGE WITHSCORES),
// sorted; nil for an empty array.
func pairsOf(reply string) []string {
	a := parseArray(reply)
	var pairs []string
	for i := 0; i+1 < len(a); i += 2 {
		pairs = append(pairs, a[i]+"="+a[i+1])
	}
	slices.Sort(pairs)
	return pairs
}

func sortedPairs(reply string) string {
	a := parseArray(reply)
	if a == nil {
		return reply
	}
	var pairs []string
	for i := 0; i+1 < len(a); i += 2 {
		pairs = append(pairs, a[i]+"="+a[i+1])
	}
	slices.Sort(pairs)
	return fmt.Sprint(pairs)
}

// checkModel compares member m's replies on the model keys with the reference model.
func (w *World) checkModel(m *member) {
	for _, k := range append(append([]string(nil), counterKeys...), registerKeys...) {
		got := w.do(m, "GET", k)
		want := "$-1\r\n"
		if v, ok := w.hist.register(k); ok {
			want = fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
		}
		if got != want {
			w.failf("model: GET %s = %q, the specification says %q", k, got, want)
			w.traceEvents(k)
		}
	}
	for _, k := range expiryKeys {
		got := w.do(m, "GET", k)
		want := "$-1\r\n"
		if v, ok := w.hist.register(k); ok {
			want = fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
		}
		if got != want {
			w.failf("model: GET %s = %q, the specification says %q", k, got, want)
			w.traceEvents(k)
		}
		got = w.do(m, "PEXPIRETIME", k)
		if want := fmt.Sprintf(":%d\r\n", w.hist.expiry(k)); got != want {
			w.failf("model: PEXPIRETIME %s = %q, the specification says %q", k, got, want)
			w.traceEvents(k)
		}
	}
	for _, k := range modelHashKeys {
		var want []string
		for f, v := range w.hist.fields(k) {
			want = append(want, f+"="+formatNumber(v))
		}
		slices.Sort(want)
		if got := w.do(m, "HGETALL", k); !slices.Equal(pairsOf(got), want) {
			w.failf("model: HGETALL %s = %q, the specification says %v", k, got, want)
			w.traceEvents(k)
		}
	}
	for _, k := range modelZsetKeys {
		var want []string
		for e, v := range w.hist.fields(k) {
			want = append(want, e+"="+formatNumber(v))
		}
		slices.Sort(want)
		if got := w.do(m, "ZRANGE", k, "0", "-1", "WITHSCORES"); !slices.Equal(pairsOf(got), want) {
			w.failf("model: ZRANGE %s WITHSCORES = %q, the specification says %v", k, got, want)
			w.traceEvents(k)
		}
	}
	for _, k := range modelSetKeys {
		got := parseArray(w.do(m, "SMEMBERS", k))
		slices.Sort(got)
		if want := w.hist.set(k); !slices.Equal(got, want) {
			w.failf("model: SMEMBERS %s = %v, the specification says %v", k, got, want)
			w.traceEvents(k)
		}
	}
}

func (w *World) traceEvents(k string) {
	for _, e := range w.hist.events {
		if e.key == k || e.kind == evFlush {
			w.tracef("  event %s", e)
		}
	}
}

// checkTombstones: after collection only tombstones holding counter totals may stay
// (replication.md §4 and engine/state.go): every tombstone left must be a key that a counter
// write reached (w.counters).
//
// A member that lost effects in a crash restarts with a lower sequence number than the one its
// peers last saw in its OVC; their collections wait until it makes that many effects again
// (docs/testing.md, finding 2), so the check is skipped when a member ends below its highest
// sequence number.
func (w *World) checkTombstones() {
	for _, m := range w.members[1:] {
		if seq := w.vector(int(m.id)).Get(m.id); seq < w.highSeq[m.id] {
			w.Stats.GCUnchecked++
			w.tracef("tombstone check skipped: member %d ends at sequence %d, below the %d it reached before a crash", m.id, seq, w.highSeq[m.id])
			return
		}
	}
	for _, m := range w.members[1:] {
		w.locked(m, "tombstones", func() {
			st := m.e.Store()
			for i := range st.Len() {
				for _, ent := range entriesOf(st.DB(i)) {
					if !ent.Live() && !w.counters[ent.Name] {
						w.failf("member %d: tombstone %q (db %d) not collected (pending %d)", m.id, ent.Name, i, m.e.PendingTombstones())
					}
				}
			}
		})
	}
}

// entriesOf returns every entry of db, live or dead.
func entriesOf(db *store.DB) []*store.Entry {
	var out []*store.Entry
	db.EachEntry(func(e *store.Entry) bool {
		out = append(out, e)
		return true
	})
	return out
}

// errEnvelope is the base error of envelope round trips.
var errEnvelope = errors.New("envelope")

// checkEnvelopes round-trips the envelope of every key of m through its state encoding, so
// that a key whose state cannot be merged elsewhere is caught at the write that made it.
func (w *World) checkEnvelopes(m *member, after string) bool {
	w.locked(m, "envelopes", func() {
		st := m.e.Store()
		for i := range st.Len() {
			for _, ent := range entriesOf(st.DB(i)) {
				data := ent.Key.AppendState(nil)
				r := crdt.NewReader(data, errEnvelope)
				var k crdt.Key
				k.ReadState(r)
				if at, _ := ent.Expiry.At(); ent.Live() && at != ent.ExpireAt {
					w.failf("member %d: after %s, key %q expires at %d by its expiry writes but the store has %d",
						m.id, after, ent.Name, at, ent.ExpireAt)
				}
				if r.Err() != nil {
					w.failf("member %d: after %s, key %q's state does not decode: %v (created %v, live %v)",
						m.id, after, ent.Name, r.Err(), ent.Created, ent.Live())
				}
			}
		}
	})
	return true
}

// describeEnvelope renders a key's envelope state (crdt/keystate.go's format) for traces.
func describeEnvelope(ent *store.Entry) string {
	r := crdt.NewReader(ent.Key.AppendState(nil), errEnvelope)
	var b strings.Builder
	fmt.Fprintf(&b, "type=%d live=%v created=%v beaten=%v", ent.Type(), ent.Live(), r.Stamp("c"), r.Stamp("b"))
	n := r.Count(3, "incs")
	for range n {
		fmt.Fprintf(&b, " inc{%v seen=%v}", r.Stamp("i"), r.Vector("v"))
	}
	n = r.Count(3, "expiry")
	for range n {
		fmt.Fprintf(&b, " expiry{%v at=%d}", r.Dot("d"), r.Varint("at"))
	}
	return b.String()
}

// describeKey renders key name on m (every database 0 entry of that name).
func (w *World) describeKey(m *member, name string) string {
	var out string
	w.locked(m, "describe", func() {
		if ent := m.e.Store().DB(0).Get(name); ent != nil {
			out = describeEnvelope(ent)
		} else {
			out = "absent"
		}
	})
	return out
}
