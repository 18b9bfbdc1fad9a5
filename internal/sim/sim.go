// Package sim is a deterministic simulator of an active-active Concord database: several
// members exchanging effect batches over a simulated network, driven by one seed so that a
// failing run replays exactly (CONCORD_SIM_SEED=<n> go test ./internal/sim -run TestSimulation).
//
// What is real and what is modelled. Each member is a real command.Env over a real
// engine.Engine: commands go through the real command layer, CRDTs and appliers; committed
// batches are encoded by the real codec (effect.Encode) into a real oplog.Backlog, travel as
// bytes, are decoded by effect.Decode and applied with engine.Apply; full resyncs use the real
// ExportState/MergeState and tombstone collection the real CollectGarbage. The link protocol
// (handshake, partial or full resync, streaming, relaying, buffering of batches that arrive
// before their dependencies, OVC exchange) is modelled here, step by step in one goroutine,
// following replication.md and what internal/replication does: the socket code in
// internal/replication is goroutine and net.Conn based and not step-driven yet, so it is not
// what runs here. Time is simulated: every member has a clock.Manual set to the simulated time
// plus its own skew, which jumps backwards and forwards.
//
// A member that crashes restarts with an empty state (there is no persistence in the
// simulation) and a full resync from the live member that knows most of its own effects. Its
// effects that no other member had applied are lost with it; they are purged from the network
// and from the history, so that the member can reuse their sequence numbers without two
// different batches sharing a dot.
package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
)

// Config describes one simulation run.
type Config struct {
	Seed              uint64
	Members           int   // 2..8
	Ops               int   // client commands before the final heal
	Backlog           int64 // backlog bytes per member (small values force full resyncs)
	BufferMax         int   // not-ready batches a member buffers before it falls back to resync
	Crashes           bool  // members crash and restart empty
	Partitions        bool  // links are cut, partitions made and healed
	Verbose           bool  // trace the keys a failing apply changed (slower)
	RepeatKeysInMulti bool  // transactions may write a key several times (docs/testing.md bug 1)
}

// epoch is the simulated time's origin (ms since the Unix epoch): 2026-01-01.
const epoch = 1_767_225_600_000

type msgKind uint8

const (
	msgBatch msgKind = iota
	msgState
	msgOVC
)

type message struct {
	kind msgKind
	at   int64 // simulated delivery time
	data []byte
	dot  clock.Dot         // msgBatch: the batch's dot (for purges after a crash)
	vc   clock.Vector      // msgState, msgOVC
	desc map[string]string // msgState: the sender's envelopes, for traces
}

type link struct {
	up    bool
	queue []message // FIFO, as on a TCP connection
	last  int64     // delivery time of the last queued message
}

type member struct {
	id      clock.MemberID
	up      bool
	skew    int64
	clk     *clock.Manual
	e       *engine.Engine
	env     *command.Env
	cl      *command.Client
	backlog *oplog.Backlog
	buffer  []*effect.Effect // batches not yet ready
	ovc     []clock.Vector   // latest OVC heard from each member (index = id)
	// local is the latest local batch committed (dot and HLC) while a command ran.
	local struct {
		dot     clock.Dot
		hlc     clock.HLC
		commits int // local batches committed, ever (across restarts)
	}
}

// World is one simulation.
type World struct {
	cfg     Config
	rng     *rand.Rand
	now     int64 // simulated ms since epoch
	members []*member
	links   [][]*link // links[from][to]
	hist    *history
	trace   []string
	errs    []string // invariant violations and panics
	logs    *errLog
	// counters are the keys a counter write (INCRBY, HINCRBY, ZINCRBY, ...) reached, directly
	// or through RENAME: their tombstones may keep counter totals for ever.
	counters map[string]bool
	// highSeq is, per member, the highest sequence number it ever committed (a member that
	// lost effects in a crash reuses lower ones).
	highSeq map[clock.MemberID]uint64
	frozen  int64 // when not 0, every member's physical clock reads this (the final checks)

	Stats Stats
}

// Stats are what a run did.
type Stats struct {
	Commands, Effects, Delivered, Duplicates, Dropped  int
	Partial, Full, Overflows, Crashes, Cuts, GCDropped int
	Buffered, ModelWrites                              int // batches that arrived early; writes of model keys
	GCUnchecked                                        int // runs whose tombstone check was skipped (checkTombstones)
}

// errLog is a slog handler recording error records (the command layer logs recovered panics).
type errLog struct{ msgs []string }

func (l *errLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return a.Key != "panic"
	})
	l.msgs = append(l.msgs, b.String())
	return nil
}
func (l *errLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errLog) WithGroup(string) slog.Handler      { return l }

// New builds the members of a run.
func New(cfg Config) *World {
	if cfg.Members < 2 {
		cfg.Members = 2
	}
	if cfg.BufferMax <= 0 {
		cfg.BufferMax = 16
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = 1 << 20
	}
	w := &World{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), logs: &errLog{}, hist: newHistory(), counters: map[string]bool{}, highSeq: map[clock.MemberID]uint64{}}
	w.members = make([]*member, cfg.Members+1)
	w.links = make([][]*link, cfg.Members+1)
	for i := 1; i <= cfg.Members; i++ {
		w.links[i] = make([]*link, cfg.Members+1)
		for j := 1; j <= cfg.Members; j++ {
			if i != j {
				w.links[i][j] = &link{up: true}
			}
		}
	}
	for i := 1; i <= cfg.Members; i++ {
		m := &member{id: clock.MemberID(i), skew: int64(w.rng.IntN(10_000)) - 5_000}
		w.members[i] = m
		w.start(m)
	}
	return w
}

func (w *World) tracef(format string, args ...any) {
	w.trace = append(w.trace, fmt.Sprintf("t=%d ", w.now)+fmt.Sprintf(format, args...))
}

func (w *World) failf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.errs = append(w.errs, msg)
	w.tracef("FAIL %s", msg)
}

// start gives m a fresh, empty engine and command layer.
func (w *World) start(m *member) {
	m.clk = &clock.Manual{Millis: epoch + w.now + m.skew}
	m.e = engine.New(engine.Config{Member: m.id, Databases: 16, Clock: m.clk, Seed: w.rng.Uint64(), KeepTombstones: true})
	cfg := config.Default()
	if err := cfg.Load("", [][]string{{"enable-debug-command", "yes"}, {"save", ""}}); err != nil {
		panic(err)
	}
	m.env = command.NewEnv(m.e, cfg, slog.New(w.logs))
	m.cl = command.NewClient(0)
	m.e.Lock()
	if err := m.env.Connect(m.cl); err != nil {
		panic(err)
	}
	m.e.Unlock()
	m.backlog = oplog.New(w.cfg.Backlog)
	m.buffer = nil
	m.ovc = make([]clock.Vector, w.cfg.Members+1)
	m.up = true
	m.e.AddSink(func(b *effect.Effect) { w.sink(m, b) })
}

// sink is every member's engine sink: backlog, then streaming to every connected peer (relaying
// batches of every origin, as replication.md §1 requires).
func (w *World) sink(m *member, b *effect.Effect) {
	m.backlog.Append(b)
	if b.Origin == m.id {
		m.local.dot, m.local.hlc = b.Dot(), b.HLC
		m.local.commits++
		w.highSeq[m.id] = max(w.highSeq[m.id], b.Seq)
		w.Stats.Effects++
	}
	data := effect.Encode(nil, b)
	for to := 1; to <= w.cfg.Members; to++ {
		if to == int(m.id) || !w.connected(int(m.id), to) {
			continue
		}
		if w.rng.IntN(40) == 0 {
			// Overtaken: this batch arrives after later ones (as after a rewound stream), so
			// the receiver must buffer those until their dependencies arrive.
			w.sendLate(int(m.id), to, message{kind: msgBatch, data: data, dot: b.Dot()})
			continue
		}
		w.send(int(m.id), to, message{kind: msgBatch, data: data, dot: b.Dot()})
		if w.rng.IntN(50) == 0 { // a resent batch
			w.Stats.Duplicates++
			w.send(int(m.id), to, message{kind: msgBatch, data: data, dot: b.Dot()})
		}
	}
}

func (w *World) connected(a, b int) bool {
	return w.links[a][b].up && w.members[a].up && w.members[b].up
}

// send queues msg on the link with a delay and jitter; delivery stays in order per link.
func (w *World) send(from, to int, msg message) {
	l := w.links[from][to]
	delay := int64(5 + (from*7+to*13)%40 + w.rng.IntN(30))
	msg.at = max(w.now+delay, l.last)
	l.last = msg.at
	insertByTime(l, msg)
}

// insertByTime queues msg after every message due no later than it.
func insertByTime(l *link, msg message) {
	i := len(l.queue)
	for i > 0 && l.queue[i-1].at > msg.at {
		i--
	}
	l.queue = slices.Insert(l.queue, i, msg)
}

// sendLate queues msg out of order, 50 to 300 ms late.
func (w *World) sendLate(from, to int, msg message) {
	l := w.links[from][to]
	msg.at = w.now + 50 + int64(w.rng.IntN(250))
	insertByTime(l, msg)
}

// setClocks moves every member's physical clock to the simulated time plus its skew.
func (w *World) setClocks() {
	for _, m := range w.members[1:] {
		m.clk.Millis = epoch + w.now + m.skew
		if w.frozen != 0 {
			m.clk.Millis = w.frozen
		}
	}
}

// do runs one command on m and returns its RESP reply.
func (w *World) do(m *member, args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	m.env.Execute(m.cl, argv)
	var out bytes.Buffer
	if _, err := m.cl.Out.WriteTo(&out); err != nil {
		w.failf("member %d: reading the reply of %q: %v", m.id, args, err)
	}
	return out.String()
}

// locked runs fn under m's engine lock, turning a panic into a failure.
func (w *World) locked(m *member, what string, fn func()) {
	m.e.Lock()
	defer func() {
		if r := recover(); r != nil {
			w.failf("member %d: panic in %s: %v", m.id, what, r)
		}
		m.e.Unlock()
	}()
	fn()
}

// handshake is receiver `to` connecting to sender `from`: it sends its vector clock and from
// answers with the batches it lacks (partial resync) or its whole state (full resync).
func (w *World) handshake(from, to int) {
	s, r := w.members[from], w.members[to]
	if !w.connected(from, to) {
		return
	}
	var vc clock.Vector
	w.locked(r, "handshake", func() { vc = r.e.Vector() })
	w.locked(s, "serve", func() {
		held, ok := s.backlog.Since(vc)
		if ok {
			w.Stats.Partial++
			for _, data := range held {
				b, err := effect.Decode(data)
				if err != nil {
					w.failf("member %d: its own backlog does not decode: %v", from, err)
					return
				}
				w.send(from, to, message{kind: msgBatch, data: data, dot: b.Dot()})
			}
			w.tracef("resync %d->%d partial %d batches", from, to, len(held))
			return
		}
		w.Stats.Full++
		svc, state := s.e.ExportState()
		w.send(from, to, message{kind: msgState, data: state, vc: svc, desc: describeDB0(s)})
		w.tracef("resync %d->%d full %d bytes vc=%v", from, to, len(state), svc)
	})
}

// deliver hands msg, which travelled from -> to, to its receiver.
func (w *World) deliver(from, to int, msg message) {
	r := w.members[to]
	w.Stats.Delivered++
	switch msg.kind {
	case msgOVC:
		r.ovc[from] = msg.vc
	case msgState:
		pre := w.describeAll(r)
		w.locked(r, "MergeState", func() {
			if _, err := r.e.MergeState(msg.data, msg.vc); err != nil {
				w.failf("member %d: MergeState from %d: %v", to, from, err)
				return
			}
			r.backlog.Gap(msg.vc)
		})
		n := len(w.errs)
		w.checkEnvelopes(r, fmt.Sprintf("merging the state of %d", from))
		if len(w.errs) > n {
			post := w.describeAll(r)
			for _, k := range sortedKeys(post) {
				if pre[k] != post[k] || msg.desc[k] != post[k] {
					w.tracef("  key %s: receiver %d before: %s", k, to, pre[k])
					w.tracef("  key %s: sender %d state: %s (vc %v)", k, from, msg.desc[k], msg.vc)
					w.tracef("  key %s: receiver %d after: %s", k, to, post[k])
				}
			}
		}
		w.tracef("merged state of %d into %d", from, to)
		// As internal/replication does: links streaming to peers that lack what the merge
		// brought in are reset, and those peers resync.
		for p := 1; p <= w.cfg.Members; p++ {
			if p != to && p != from && w.connected(to, p) && !covers(w.vector(p), msg.vc) {
				w.handshake(to, p)
			}
		}
		w.drain(r)
	case msgBatch:
		b, err := effect.Decode(msg.data)
		if err != nil {
			w.failf("member %d: batch %v from %d does not decode: %v", to, msg.dot, from, err)
			return
		}
		var pre map[string]string
		if w.cfg.Verbose {
			pre = w.describeAll(r)
		}
		var applyErr error
		w.locked(r, "Apply", func() { applyErr = r.e.Apply(b) })
		switch {
		case errors.Is(applyErr, engine.ErrNotReady):
			w.Stats.Buffered++
			if !slices.ContainsFunc(r.buffer, func(x *effect.Effect) bool { return x.Dot() == b.Dot() }) {
				r.buffer = append(r.buffer, b)
			}
			if len(r.buffer) > w.cfg.BufferMax {
				// Past the bound the link falls back to resync (replication.md §2).
				w.Stats.Overflows++
				w.tracef("member %d: buffer overflow, resync from %d", to, from)
				r.buffer = nil
				w.handshake(from, to)
			}
		case applyErr != nil:
			w.failf("member %d: Apply %v from %d: %v", to, b.Dot(), from, applyErr)
		default:
			w.drain(r)
			n := len(w.errs)
			w.checkEnvelopes(r, fmt.Sprintf("applying %v from %d", b.Dot(), from))
			if len(w.errs) > n && pre != nil {
				for i, op := range b.Ops {
					w.tracef("  op %d: %+v", i, op)
				}
				post := w.describeAll(r)
				for _, k := range sortedKeys(post) {
					if pre[k] != post[k] {
						w.tracef("  key %s before: %s", k, pre[k])
						w.tracef("  key %s after:  %s", k, post[k])
					}
				}
			}
		}
	}
}

// drain applies the buffered batches that became ready.
func (w *World) drain(r *member) {
	for progressed := true; progressed; {
		progressed = false
		kept := r.buffer[:0]
		for _, b := range r.buffer {
			var err error
			done := false
			w.locked(r, "Apply", func() {
				if r.e.Vector().Covers(b.Dot()) {
					done = true
					return
				}
				if r.e.Ready(b) {
					err = r.e.Apply(b)
					done = true
				}
			})
			if err != nil {
				w.failf("member %d: Apply buffered %v: %v", r.id, b.Dot(), err)
			}
			if done {
				progressed = true
				continue
			}
			kept = append(kept, b)
		}
		clear(r.buffer[len(kept):])
		r.buffer = kept
	}
}

func (w *World) vector(id int) clock.Vector {
	m := w.members[id]
	var v clock.Vector
	w.locked(m, "Vector", func() { v = m.e.Vector() })
	return v
}

// describeAll renders the envelope of every key of database 0 of m.
func (w *World) describeAll(m *member) (out map[string]string) {
	w.locked(m, "describe", func() { out = describeDB0(m) })
	return out
}

// describeDB0 is describeAll for a caller holding m's lock.
func describeDB0(m *member) map[string]string {
	out := map[string]string{}
	for _, ent := range entriesOf(m.e.Store().DB(0)) {
		out[ent.Name] = describeEnvelope(ent)
	}
	return out
}

func covers(v, x clock.Vector) bool {
	for i, s := range x {
		if v.Get(clock.MemberID(i)) < s {
			return false
		}
	}
	return true
}

// network delivers every message due by now, earliest first (ties by link).
func (w *World) network() {
	for {
		bf, bt := 0, 0
		var best int64
		for f := 1; f <= w.cfg.Members; f++ {
			for t := 1; t <= w.cfg.Members; t++ {
				if f == t {
					continue
				}
				l := w.links[f][t]
				if len(l.queue) > 0 && l.queue[0].at <= w.now && (bf == 0 || l.queue[0].at < best) {
					bf, bt, best = f, t, l.queue[0].at
				}
			}
		}
		if bf == 0 {
			return
		}
		l := w.links[bf][bt]
		msg := l.queue[0]
		l.queue = l.queue[1:]
		if w.connected(bf, bt) {
			w.deliver(bf, bt, msg)
		}
	}
}

// cut takes the link a-b down; what was in flight is lost.
func (w *World) cut(a, b int) {
	for _, l := range []*link{w.links[a][b], w.links[b][a]} {
		w.Stats.Dropped += len(l.queue)
		l.up, l.queue = false, nil
	}
}

// heal brings the link a-b up; both sides resync.
func (w *World) heal(a, b int) {
	w.links[a][b].up, w.links[b][a].up = true, true
	w.handshake(a, b)
	w.handshake(b, a)
}

// ovcRound sends every member's vector clock to its connected peers.
func (w *World) ovcRound() {
	for i := 1; i <= w.cfg.Members; i++ {
		if !w.members[i].up {
			continue
		}
		v := w.vector(i)
		w.members[i].ovc[i] = v
		for j := 1; j <= w.cfg.Members; j++ {
			if j != i && w.connected(i, j) {
				w.send(i, j, message{kind: msgOVC, vc: v})
			}
		}
	}
}

// gcRound runs tombstone collection on every member that has heard from every member.
func (w *World) gcRound() {
	for _, m := range w.members[1:] {
		if !m.up {
			continue
		}
		ovcs := make([]clock.Vector, 0, w.cfg.Members)
		for j := 1; j <= w.cfg.Members; j++ {
			if m.ovc[j] == nil {
				ovcs = nil
				break
			}
			ovcs = append(ovcs, m.ovc[j])
		}
		if ovcs == nil {
			continue
		}
		w.locked(m, "CollectGarbage", func() {
			_, c := m.e.CollectGarbage(ovcs)
			w.Stats.GCDropped += c
		})
	}
}

// crash stops m: its state, buffers and links are gone. The batches of a member that is down
// (m or one that crashed before) that no live member has applied are lost with it (see the
// package doc): they are purged from the network and from the history.
func (w *World) crash(m *member) {
	w.Stats.Crashes++
	m.up = false
	for j := 1; j <= w.cfg.Members; j++ {
		if j == int(m.id) {
			continue
		}
		for _, l := range []*link{w.links[m.id][j], w.links[j][m.id]} {
			w.Stats.Dropped += len(l.queue)
			l.queue = nil
		}
	}
	for _, o := range w.members[1:] {
		if o.up {
			continue
		}
		var known uint64
		for _, x := range w.members[1:] {
			if x.up {
				known = max(known, w.vector(int(x.id)).Get(o.id))
			}
		}
		lost := func(d clock.Dot) bool { return d.Member == o.id && d.Seq > known }
		for f := 1; f <= w.cfg.Members; f++ {
			for t := 1; t <= w.cfg.Members; t++ {
				if l := w.links[f][t]; l != nil {
					l.queue = slices.DeleteFunc(l.queue, func(x message) bool { return x.kind == msgBatch && lost(x.dot) })
				}
			}
		}
		for _, x := range w.members[1:] {
			x.buffer = slices.DeleteFunc(x.buffer, func(b *effect.Effect) bool { return lost(b.Dot()) })
		}
		n := w.hist.forget(o.id, known)
		w.tracef("crash member %d: member %d's effects up to %d survive (%d model writes lost)", m.id, o.id, known, n)
	}
}

// restart starts m empty and merges the state of the live member that knows most of its own
// effects; it stays down while that member is unreachable.
func (w *World) restart(m *member) bool {
	var best *member
	var bestSeq uint64
	for _, o := range w.members[1:] {
		if o != m && o.up && w.links[m.id][o.id].up {
			if s := w.vector(int(o.id)).Get(m.id); best == nil || s > bestSeq {
				best, bestSeq = o, s
			}
		}
	}
	if best == nil {
		return false
	}
	// The best source must know every own effect of m that survived the crash.
	for _, o := range w.members[1:] {
		if o != m && o.up && w.vector(int(o.id)).Get(m.id) > bestSeq {
			return false
		}
	}
	w.start(m)
	var svc clock.Vector
	var state []byte
	w.locked(best, "ExportState", func() { svc, state = best.e.ExportState() })
	w.locked(m, "MergeState", func() {
		if _, err := m.e.MergeState(state, svc); err != nil {
			w.failf("member %d: restart merge: %v", m.id, err)
		}
		m.backlog.Gap(svc)
	})
	w.Stats.Full++
	w.tracef("restart member %d from member %d's state vc=%v", m.id, best.id, svc)
	for j := 1; j <= w.cfg.Members; j++ {
		if j != int(m.id) && w.connected(int(m.id), j) {
			w.handshake(int(m.id), j)
			w.handshake(j, int(m.id))
		}
	}
	return true
}

// step advances simulated time and runs the network, faults and periodic tasks.
func (w *World) step() {
	dt := int64(1 + w.rng.IntN(15))
	for t := w.now + 1; t <= w.now+dt; t++ {
		if t%200 == 0 {
			w.ovcRound()
		}
		if t%500 == 0 {
			w.gcRound()
		}
	}
	w.now += dt
	w.setClocks()
	w.network()
	if w.now/100 != (w.now-dt)/100 {
		for _, m := range w.members[1:] {
			if m.up {
				w.locked(m, "ActiveExpire", func() { m.e.ActiveExpire(1) })
			}
		}
	}
}

// faults injects the network and clock faults of one step.
func (w *World) faults() {
	n := w.cfg.Members
	a, b := 1+w.rng.IntN(n), 1+w.rng.IntN(n)
	switch r := w.rng.IntN(1000); {
	case r < 15 && w.cfg.Partitions && a != b && w.links[a][b].up:
		w.Stats.Cuts++
		w.cut(a, b)
		w.tracef("cut %d-%d", a, b)
	case r < 50 && a != b && !w.links[a][b].up:
		w.heal(a, b)
		w.tracef("heal %d-%d", a, b)
	case r < 55 && w.cfg.Partitions:
		var side []bool
		for i := 0; i <= n; i++ {
			side = append(side, w.rng.IntN(2) == 0)
		}
		for i := 1; i <= n; i++ {
			for j := i + 1; j <= n; j++ {
				if side[i] != side[j] && w.links[i][j].up {
					w.cut(i, j)
				}
			}
		}
		w.Stats.Cuts++
		w.tracef("partition %v", side[1:])
	case r < 65:
		w.healAll()
	case r < 80:
		m := w.members[a]
		m.skew = min(10_000, max(-10_000, m.skew+int64(w.rng.IntN(6_000))-3_000))
		w.tracef("clock of %d jumps to skew %d ms", a, m.skew)
	case r < 85 && w.cfg.Crashes:
		up := 0
		for _, m := range w.members[1:] {
			if m.up {
				up++
			}
		}
		if m := w.members[a]; m.up && up > 2 {
			w.crash(m)
		}
	case r < 110 && w.cfg.Crashes:
		if m := w.members[a]; !m.up {
			w.restart(m)
		}
	}
}

func (w *World) healAll() {
	for i := 1; i <= w.cfg.Members; i++ {
		for j := i + 1; j <= w.cfg.Members; j++ {
			if !w.links[i][j].up {
				w.heal(i, j)
			}
		}
	}
	w.tracef("heal all")
}

// Run runs the workload, heals everything, waits for quiescence and checks the result. It
// returns the violations found (none when the run is clean).
func (w *World) Run() []string {
	gen := newWorkload(w)
	for range w.cfg.Ops {
		w.step()
		w.faults()
		if m := w.members[1+w.rng.IntN(w.cfg.Members)]; m.up {
			gen.run(m)
		}
		if len(w.errs) > 0 {
			return w.errs
		}
	}
	w.quiesce()
	if len(w.errs) == 0 {
		w.check()
	}
	for _, l := range w.logs.msgs {
		w.errs = append(w.errs, "logged error: "+l)
	}
	return w.errs
}

// quiesce restarts every member, heals every link and runs the network, OVC exchange and
// collection until every member has everything and nothing is in flight.
func (w *World) quiesce() {
	for _, m := range w.members[1:] {
		m.skew = 0 // clocks agree again, so expiry decisions agree
	}
	for range 100 {
		w.healAll()
		for _, m := range w.members[1:] {
			if !m.up {
				w.restart(m)
			}
		}
		allUp := true
		for _, m := range w.members[1:] {
			allUp = allUp && m.up
		}
		if allUp {
			break
		}
	}
	for round := 0; round < 20_000 && len(w.errs) == 0; round++ {
		w.step()
		if round%100 == 99 && w.idle() {
			w.collect()
			if w.idle() {
				return
			}
		}
	}
	if len(w.errs) == 0 {
		w.failf("did not quiesce: vector clocks %v", w.vectors())
	}
}

// collect runs OVC exchanges and collections after everything settled, enough for the
// two-phase collection to complete.
func (w *World) collect() {
	for range 4 {
		w.ovcRound()
		for range 30 {
			w.step()
		}
		w.gcRound()
	}
}

func (w *World) vectors() []string {
	var out []string
	for i := 1; i <= w.cfg.Members; i++ {
		out = append(out, fmt.Sprint(w.vector(i)))
	}
	return out
}

// idle reports whether nothing is in flight and every member has the same vector clock.
func (w *World) idle() bool {
	for f := 1; f <= w.cfg.Members; f++ {
		for t := 1; t <= w.cfg.Members; t++ {
			if l := w.links[f][t]; l != nil && len(l.queue) > 0 {
				return false
			}
		}
	}
	v := w.vector(1)
	for i := 2; i <= w.cfg.Members; i++ {
		if !w.vector(i).Equal(v) {
			return false
		}
	}
	return true
}

// sortedKeys returns the keys of set m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
