// Package sim is a deterministic simulator of an active-active Concord database: several
// members exchanging effect batches over a simulated network, driven by one seed so that a
// failing run replays exactly (CONCORD_SIM_SEED=<n> go test ./internal/sim -run TestSimulation).
//
// What is real and what is modelled. Each member is a real command.Env over a real
// engine.Engine: commands go through the real command layer, CRDTs and appliers; committed
// batches are encoded by the real codec (effect.Encode) into a real oplog.Backlog and travel as
// peerwire frames. The receive side of every link is internal/replication's own step-driven
// core: a replication.Link per connection turns the frames (Data records, a full state's
// StateBegin/StateChunk/StateEnd, the sync point) into calls on the member's
// replication.Receiver, which applies batches in causal order with its bounded buffer, drops
// duplicates, merges states (recording the backlog's gap) and reports an overflow (every link
// then resyncs) or a merge (links to peers lacking it resync, replication.ResyncAfterMerge).
// Tombstone collection is replication.CollectRound with the OVCs the members exchange as Ack
// frames. What the simulator still models is the sending side (choosing partial or full resync
// with the real Backlog.Since and ExportState, streaming every applied batch to every connected
// peer) and connections themselves (each handshake starts a new Link; what was in flight on
// the old connection is lost), step by step in one goroutine. Time is simulated: every member
// has a clock.Manual set to the simulated time plus its own skew, which jumps backwards and
// forwards.
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
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
	"github.com/concord-db/concord/internal/replication"
)

// Config describes one simulation run.
// Config describes one simulation run.
type Config struct {
	Seed              uint64
	Members           int   // 2..8
	Ops               int   // client commands before the final heal
	Backlog           int64 // backlog bytes per member (small values force full resyncs)
	PendingLimit      int64 // causal buffer bytes per member (replication.Receiver's bound)
	Crashes           bool  // members crash and restart empty
	Partitions        bool  // links are cut, partitions made and healed
	Verbose           bool  // trace the keys a failing apply changed (slower)
	RepeatKeysInMulti bool  // transactions may write a key several times (docs/testing.md bug 1)
}

// epoch is the simulated time's origin (ms since the Unix epoch): 2026-01-01.
const epoch = 1_767_225_600_000

type msgKind uint8

const (
	msgFrames msgKind = iota // frames of the stream from -> to, handed to the receiver's Link together
	msgAck                   // an Ack frame: the sender's vector clock (its OVC)
)

type message struct {
	kind   msgKind
	at     int64 // simulated delivery time
	frames []peerwire.Frame
	dot    clock.Dot         // a batch's dot (purges after a crash), zero for other frames
	vc     clock.Vector      // msgAck; a state's clock (traces)
	desc   map[string]string // a full state: the sender's envelopes, for traces
}

type link struct {
	up    bool
	queue []message // FIFO, as on a TCP connection
	last  int64     // delivery time of the last queued message
}

type member struct {
	w       *World
	id      clock.MemberID
	up      bool
	skew    int64
	clk     *clock.Manual
	e       *engine.Engine
	env     *command.Env
	cl      *command.Client
	backlog *oplog.Backlog
	recv    *replication.Receiver
	gate    *replication.Gate   // the startup gate: writes are refused until it opens
	in      []*replication.Link // the connection pulling from each member (index = id)
	ovc     []clock.Vector      // latest vector clock heard from each member (Sync or Ack)
	// local is the latest local batch committed (dot and HLC) while a command ran.
	local struct {
		dot     clock.Dot
		hlc     clock.HLC
		commits int // local batches committed, ever (across restarts)
	}
}

// simHost is a member's engine and backlog as replication.Receiver sees them.
type simHost struct{ m *member }

func (h simHost) Apply(b *effect.Effect) error { return h.m.e.Apply(b) }
func (h simHost) MergeState(state []byte, theirs clock.Vector) (int, error) {
	n, err := h.m.e.MergeState(state, theirs)
	if err == nil {
		h.m.w.gateNotes(h.m, h.m.gate.Own(h.m.e.Seq(), h.m.w.wall())) // the merge restores own batches
	}
	return n, err
}
func (h simHost) Gap(theirs clock.Vector) { h.m.backlog.Gap(theirs) }

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
	// recvStats adds up the stats of the receivers of members that crashed.
	recvStats replication.ReceiverStats

	Stats Stats
}

// Stats are what a run did.
type Stats struct {
	Commands, Effects, Delivered, Duplicates, Dropped  int
	Partial, Full, Overflows, Crashes, Cuts, GCDropped int
	Buffered, ModelWrites                              int // batches that arrived early; writes of model keys
	GCUnchecked                                        int // runs whose tombstone check was skipped (checkTombstones)
	Refused, Nudges                                    int // commands refused while syncing (startup gate); stall nudges
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
	if cfg.PendingLimit <= 0 {
		cfg.PendingLimit = 4 << 10
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
		m := &member{w: w, id: clock.MemberID(i), skew: int64(w.rng.IntN(10_000)) - 5_000}
		w.members[i] = m
		w.start(m)
	}
	// Every member starts syncing (the startup gate): the first handshakes open the gates.
	for i := 1; i <= cfg.Members; i++ {
		for j := 1; j <= cfg.Members; j++ {
			if i != j {
				w.handshake(i, j)
			}
		}
	}
	return w
}

// startupTimeout is how long a restarting member waits for peers that neither answer nor
// fail (replication.DefaultStartupSyncTimeout), in simulated time.
const startupTimeout = replication.DefaultStartupSyncTimeout

// wall is the simulated monotonic time the startup gates measure their waits with.
func (w *World) wall() time.Time { return time.UnixMilli(epoch + w.now) }

// gateNotes acts on what m's startup gate reports, as startup.go does.
func (w *World) gateNotes(m *member, notes []replication.GateNote) {
	for _, n := range notes {
		switch n.Kind {
		case replication.NoteOpened:
			w.tracef("member %d: startup gate open at own seq %d after %v", m.id, n.Own, n.Synced)
		case replication.NoteProceeding:
			w.tracef("member %d: startup gate proceeds without %v", m.id, n.Members)
		case replication.NotePeerDown:
			w.tracef("member %d: startup gate: peer %d down", m.id, n.Member)
		case replication.NoteLostOwn:
			// Restarts wait for the live members that know the member's effects (restart),
			// and effects no live member had are purged: no peer can know later ones.
			w.failf("member %d: peer %d reports own seq %d above this member's %d", m.id, n.Member, n.Seq, n.Own)
		case replication.NoteGone:
			w.tracef("member %d: startup gate: own batches up to %d are gone, waiting for %d", m.id, n.Want, n.Seq)
		case replication.NoteNudge:
			w.Stats.Nudges++
			w.tracef("member %d: startup gate: own batches up to %d not arriving; resync from %v", m.id, n.Want, n.Members)
			for _, p := range n.Members {
				w.handshake(int(p), int(m.id))
			}
		}
	}
}

func (w *World) tracef(format string, args ...any) {
	w.trace = append(w.trace, fmt.Sprintf("t=%d ", w.now)+fmt.Sprintf(format, args...))
}

func (w *World) failf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.errs = append(w.errs, msg)
	w.tracef("FAIL %s", msg)
}

// start gives m a fresh, empty engine, command layer and receive side.
func (w *World) start(m *member) {
	m.clk = &clock.Manual{Millis: epoch + w.now + m.skew}
	m.e = engine.New(engine.Config{Member: m.id, Databases: 16, Clock: m.clk, Seed: w.rng.Uint64(), KeepTombstones: true})
	cfg := config.Default()
	if err := cfg.Load("", [][]string{{"enable-debug-command", "yes"}, {"save", ""}}); err != nil {
		panic(err)
	}
	if m.env != nil {
		m.env.SetWriteGate(nil)
	}
	m.env = command.NewEnv(m.e, cfg, slog.New(w.logs))
	m.cl = command.NewClient(0)
	m.e.Lock()
	if err := m.env.Connect(m.cl); err != nil {
		panic(err)
	}
	m.e.Unlock()
	m.backlog = oplog.New(w.cfg.Backlog)
	if m.recv != nil {
		w.addRecvStats(m.recv.Stats)
	}
	m.recv = replication.NewReceiver(simHost{m}, w.cfg.PendingLimit)
	var peers []clock.MemberID
	for j := 1; j <= w.cfg.Members; j++ {
		if j != int(m.id) {
			peers = append(peers, clock.MemberID(j))
		}
	}
	var notes []replication.GateNote
	m.gate, notes = replication.NewGate(m.id, peers, 0, w.wall(), false)
	m.env.SetWriteGate(func() bool { return !m.gate.Open() })
	m.in = make([]*replication.Link, w.cfg.Members+1)
	m.ovc = make([]clock.Vector, w.cfg.Members+1)
	m.up = true
	m.e.AddSink(func(b *effect.Effect) { w.sink(m, b) })
	w.gateNotes(m, notes)
}

func (w *World) addRecvStats(s replication.ReceiverStats) {
	t := &w.recvStats
	t.Applied += s.Applied
	t.Duplicates += s.Duplicates
	t.Buffered += s.Buffered
	t.Overflows += s.Overflows
	t.Merges += s.Merges
}

// dataFrame is a Data frame holding one encoded batch.
func dataFrame(rec []byte) peerwire.Frame {
	return peerwire.Frame{Type: peerwire.Data, Payload: peerwire.AppendRecord(nil, rec)}
}

// sink is every member's engine sink: backlog, then streaming to every connected peer (relaying
// batches of every origin, as replication.md §1 requires).
func (w *World) sink(m *member, b *effect.Effect) {
	m.backlog.Append(b)
	if b.Origin == m.id {
		w.gateNotes(m, m.gate.Own(b.Seq, w.wall()))
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
		msg := message{kind: msgFrames, frames: []peerwire.Frame{dataFrame(data)}, dot: b.Dot()}
		if w.rng.IntN(40) == 0 {
			// Overtaken: this batch arrives after later ones (as after a rewound stream), so
			// the receiver must buffer those until their dependencies arrive.
			w.sendLate(int(m.id), to, msg)
			continue
		}
		w.send(int(m.id), to, msg)
		if w.rng.IntN(50) == 0 { // a resent batch
			w.Stats.Duplicates++
			w.send(int(m.id), to, msg)
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

// handshake is receiver `to` (re)connecting to sender `from`: what was in flight on the old
// connection is lost, the receiver starts a new replication.Link and sends its vector clock
// (which the sender records as that peer's OVC, as production's Sync does), and the sender
// answers with the batches it lacks (partial resync) or its whole state (full resync), then
// the sync point.
func (w *World) handshake(from, to int) {
	s, r := w.members[from], w.members[to]
	if !w.connected(from, to) {
		return
	}
	l := w.links[from][to]
	n := len(l.queue)
	l.queue = slices.DeleteFunc(l.queue, func(x message) bool { return x.kind == msgFrames })
	w.Stats.Dropped += n - len(l.queue)
	r.in[from] = replication.NewLink(r.recv, r.e)
	var vc clock.Vector
	w.locked(r, "handshake", func() { vc = r.e.Vector() })
	s.ovc[to] = vc // the Sync: production's setOVC, and a report to the sender's startup gate
	w.gateNotes(s, s.gate.Reported(r.id, vc, w.wall()))
	w.locked(s, "serve", func() {
		held, ok := s.backlog.Since(vc)
		syncVC := s.e.Vector()
		if ok {
			w.Stats.Partial++
			for _, data := range held {
				b, err := effect.Decode(data)
				if err != nil {
					w.failf("member %d: its own backlog does not decode: %v", from, err)
					return
				}
				w.send(from, to, message{kind: msgFrames, frames: []peerwire.Frame{dataFrame(data)}, dot: b.Dot()})
			}
			w.tracef("resync %d->%d partial %d batches", from, to, len(held))
		} else {
			w.Stats.Full++
			svc, state := s.e.ExportState()
			w.send(from, to, message{kind: msgFrames, frames: stateFrames(svc, state), vc: svc, desc: describeDB0(s)})
			w.tracef("resync %d->%d full %d bytes vc=%v", from, to, len(state), svc)
		}
		w.send(from, to, message{kind: msgFrames, frames: []peerwire.Frame{{Type: peerwire.Ping, Payload: peerwire.AppendVector(nil, syncVC)}}})
	})
}

// stateFrames is a full state as the sender ships it: StateBegin, chunks, StateEnd.
func stateFrames(vc clock.Vector, state []byte) []peerwire.Frame {
	begin := binary.AppendUvarint(peerwire.AppendVector(nil, vc), uint64(len(state)))
	out := []peerwire.Frame{{Type: peerwire.StateBegin, Payload: begin}}
	for len(state) > 0 {
		n := min(len(state), 4<<10) // small chunks: a state spans several frames
		out = append(out, peerwire.Frame{Type: peerwire.StateChunk, Payload: state[:n]})
		state = state[n:]
	}
	return append(out, peerwire.Frame{Type: peerwire.StateEnd})
}

// deliver hands msg, which travelled from -> to, to its receiver.
func (w *World) deliver(from, to int, msg message) {
	r := w.members[to]
	w.Stats.Delivered++
	if msg.kind == msgAck {
		vc, _, err := peerwire.ParseAck(msg.frames[0].Payload)
		if err != nil {
			w.failf("member %d: ack from %d: %v", to, from, err)
			return
		}
		r.ovc[from] = vc
		w.gateNotes(r, r.gate.Reported(clock.MemberID(from), vc, w.wall()))
		return
	}
	var pre map[string]string
	if msg.desc != nil || w.cfg.Verbose {
		pre = w.describeAll(r)
	}
	n := len(w.errs)
	for _, f := range msg.frames {
		if !w.handle(from, to, f) {
			break
		}
	}
	switch {
	case msg.desc != nil:
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
	case msg.dot != (clock.Dot{}):
		w.checkEnvelopes(r, fmt.Sprintf("applying %v from %d", msg.dot, from))
		if len(w.errs) > n && pre != nil {
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

// handle feeds one frame to the receiver's Link for the connection from `from` and acts on
// the outcome as pull.go does; it reports whether the connection is still usable.
func (w *World) handle(from, to int, f peerwire.Frame) (ok bool) {
	r := w.members[to]
	var ev replication.Event
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		ev, err = r.in[from].Handle(f)
	}()
	switch {
	case errors.Is(err, replication.ErrOverflow):
		// The buffer holds batches from every link: every pulling link resyncs.
		w.Stats.Overflows++
		w.tracef("member %d: buffer overflow, resync from every peer", to)
		for p := 1; p <= w.cfg.Members; p++ {
			if p != to {
				w.handshake(p, to)
			}
		}
		return false
	case err != nil:
		w.failf("member %d: %s frame from %d: %v", to, f.Type, from, err)
		return false
	}
	if ev.Kind == replication.EventSyncPoint {
		w.gateNotes(r, r.gate.Reported(clock.MemberID(from), ev.VC, w.wall()))
	}
	if ev.Kind == replication.EventMerged {
		w.tracef("merged state of %d into %d", from, to)
		// As pull.go does: links streaming to peers whose acknowledged clock lacks what the
		// merge brought in are closed, and those peers resync.
		peers := map[clock.MemberID]clock.Vector{}
		for p := 1; p <= w.cfg.Members; p++ {
			if p != to && w.connected(to, p) {
				peers[clock.MemberID(p)] = r.ovc[p]
			}
		}
		for _, p := range replication.ResyncAfterMerge(clock.MemberID(from), ev.VC, peers) {
			w.handshake(to, int(p))
		}
	}
	return true
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

// ovcRound sends every member's vector clock to its connected peers as an Ack frame.
func (w *World) ovcRound() {
	for i := 1; i <= w.cfg.Members; i++ {
		if !w.members[i].up {
			continue
		}
		ack := peerwire.Frame{Type: peerwire.Ack, Payload: peerwire.AppendAck(nil, w.vector(i), 0)}
		for j := 1; j <= w.cfg.Members; j++ {
			if j != i && w.connected(i, j) {
				w.send(i, j, message{kind: msgAck, frames: []peerwire.Frame{ack}})
			}
		}
	}
}

// gcRound runs a tombstone collection cycle (replication.CollectRound, as gc.go does) on every
// member, with its own vector clock and the latest OVC of every peer (nil when never heard).
func (w *World) gcRound() {
	for _, m := range w.members[1:] {
		if !m.up {
			continue
		}
		w.locked(m, "CollectGarbage", func() {
			ovcs := []clock.Vector{m.e.Vector()}
			for j := 1; j <= w.cfg.Members; j++ {
				if j != int(m.id) {
					ovcs = append(ovcs, m.ovc[j].Clone())
				}
			}
			w.Stats.GCDropped += replication.CollectRound(m.e, ovcs).Collected
		})
	}
}

// crash stops m: its state, buffers and links are gone. The batches of a member that is down
// (m or one that crashed before) that no live member has applied are lost with it (see the
// package doc): they are purged from the network and from the history, and live members drop
// their causal buffers (which may hold some) and resync.
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
		// Effects of any origin may be lost: those of a member that is down, and those of a
		// member that restarted and had not got them back (only the crashed member had them).
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
					l.queue = slices.DeleteFunc(l.queue, func(x message) bool { return lost(x.dot) })
				}
			}
		}
		if known >= w.highSeq[o.id] {
			continue
		}
		n := w.hist.forget(o.id, known)
		w.tracef("crash member %d: member %d's effects up to %d survive (%d model writes lost)", m.id, o.id, known, n)
	}
	for _, x := range w.members[1:] {
		if n, _ := x.recv.Pending(); x.up && n > 0 {
			w.tracef("member %d: drops its causal buffer (%d batches) and resyncs", x.id, n)
			x.recv.Reset()
			for p := 1; p <= w.cfg.Members; p++ {
				if p != int(x.id) {
					w.handshake(p, int(x.id))
				}
			}
		}
	}
}

// restart starts m empty and syncing (its startup gate closed) and connects it to every peer
// it reaches. It stays down while the live member that knows most of its own effects is
// unreachable (as an operator would wait): otherwise its gate would time out, it would reuse
// sequence numbers that member already applied, and the gate would report lost own batches
// once the link heals (a failure here).
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
	// It restarts empty and syncing, and pulls from every peer it reaches: the startup gate
	// opens once each has reported (or is down) and its own batches are back.
	w.start(m)
	w.tracef("restart member %d (%d knows its effects up to %d)", m.id, best.id, bestSeq)
	for _, o := range w.members[1:] {
		if o != m && !o.up {
			// A dial to a member that is down fails at once, and the retry too.
			w.gateNotes(m, m.gate.Failed(o.id, false, false, w.wall()))
			w.gateNotes(m, m.gate.Failed(o.id, false, false, w.wall()))
		}
	}
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
	if w.now/50 != (w.now-dt)/50 {
		for _, m := range w.members[1:] {
			if m.up {
				w.gateNotes(m, m.gate.Tick(w.wall(), startupTimeout))
			}
		}
	}
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
	for _, m := range w.members[1:] {
		w.addRecvStats(m.recv.Stats)
		m.recv.Stats = replication.ReceiverStats{}
		m.env.SetWriteGate(nil) // the command layer keeps gates in a global registry
	}
	w.Stats.Buffered = int(w.recvStats.Buffered)
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
		if round%100 == 99 && w.idle() && w.gatesOpen() {
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

// gatesOpen reports whether every member accepts writes (its startup gate is open).
func (w *World) gatesOpen() bool {
	for _, m := range w.members[1:] {
		if !m.gate.Open() {
			return false
		}
	}
	return true
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
