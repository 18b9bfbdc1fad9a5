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
// frames. The sending side is internal/replication's too: a replication.Sender per connection
// chooses partial or full resync (and the sync point) on the receiver's Sync, and streams as
// production does, woken by the engine sink only for batches of origins it relays, skipping
// the peer's own batches and those of members it pulls from directly (the Ack frames carry
// that set), rewinding when a member leaves that set, reading whole records into Data frames
// that end at record boundaries and sharing frames between links (a replication.FrameCache
// per member). What the simulator still models is connections and scheduling: each handshake
// starts a new Link and a new Sender (what was in flight on the old connection is lost), a
// woken writer runs at the next step or later, and nothing is compressed; all of it step by
// step in one goroutine. Time is simulated: every member has a clock.Manual set to the
// simulated time plus its own skew, which jumps backwards and forwards.
//
// Every member persists on its own in-memory disk with production's persist.Persister, step by
// step (disk.go), with an appendfsync policy chosen by the seed (always, everysec, no, or
// appendonly off). A crash is a power loss: the member restarts from what its disk kept (the
// snapshot and append-only files loaded by production's code: its sequence number and HLC
// restored), then passes the real startup gate and resyncs from the live member that knows
// most of its own effects. Effects that neither a live member applied nor the disk of a member
// that is down holds are lost; they are purged from the history (and a link still carrying any
// reconnects, dropping what is in flight), so that the member can reuse their sequence
// numbers without two different batches sharing a dot.
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
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
	"github.com/concord-db/concord/internal/persist"
	"github.com/concord-db/concord/internal/replication"
)

// Config describes one simulation run.
type Config struct {
	Seed              uint64
	Members           int   // 2..8
	Ops               int   // client commands before the final heal
	Backlog           int64 // backlog bytes per member (small values force full resyncs)
	PendingLimit      int64 // causal buffer bytes per member (replication.Receiver's bound)
	Crashes           bool  // members crash (a power loss) and restart from their disks
	Partitions        bool  // links are cut, partitions made and healed
	Verbose           bool  // trace the keys a failing apply changed (slower)
	RepeatKeysInMulti bool  // transactions may write a key several times (docs/testing.md bug 1)
	// WritesDuringExport runs a few client commands on the sender between a full resync's
	// handshake, which starts its export, and its frames, which finish it, as production's
	// clients do meanwhile: the export must copy what they change on write.
	WritesDuringExport bool
	// FrameSize is the Data frame size of the sending side (production's link-batch-max,
	// 64 KiB by default); small values make records span frames.
	FrameSize int
	// Persistence is every member's appendfsync policy: "always", "everysec", "no", or "off"
	// (appendonly no: a member restarts empty and resyncs in full). Empty: each member gets
	// one chosen by the seed (disk.go).
	Persistence string
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
	dots   []clock.Dot       // the batches the frames carry (purges after a crash, traces)
	vc     clock.Vector      // a state's clock (traces)
	desc   map[string]string // a full state: the sender's envelopes, for traces
	gen    int               // msgAck: the connection (sender generation) it answers
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
	gate    *replication.Gate       // the startup gate: writes are refused until it opens
	in      []*replication.Link     // the connection pulling from each member (index = id)
	out     []*sender               // the connection streaming to each member (index = id)
	shares  *replication.FrameCache // the Data frames its sending links share
	// applying is set while the Receiver applies a batch (the sink then sees a remote batch).
	applying bool
	ovc      []clock.Vector // latest OVC heard from each member (its Acks)
	peerVC   []clock.Vector // latest vector clock heard from each member (Sync or Ack)
	// Persistence (disk.go): the appendfsync policy, the member's own disk (it survives
	// crashes, minus what was not fsynced), its persister while up, and while down what its
	// disk holds (the vector clock a restart loads).
	policy string
	dir    string // the data directory on disk
	disk   *persist.FaultFS
	p      *persist.Persister
	onDisk clock.Vector
	// local is the latest local batch committed (dot and HLC) while a command ran.
	local struct {
		dot     clock.Dot
		hlc     clock.HLC
		commits int // local batches committed, ever (across restarts)
	}
}

// sender is the sending side of one connection: production's replication.Sender, driven as
// serve.go drives it (woken by the sink for a batch it sends, or by an ack that rewinds).
type sender struct {
	s       *replication.Sender
	gen     int           // the connection's generation: acks of older connections are ignored
	waiting bool          // caught up, waiting for a batch whose origin is not in skip
	skip    oplog.Origins // what it skips while waiting
	due     bool          // woken: the writer has work (it runs at the next pump)
}

// simHost is a member's engine and backlog as replication.Receiver sees them.
type simHost struct{ m *member }

func (h simHost) Apply(b *effect.Effect, enc []byte) error {
	h.m.applying = true
	defer func() { h.m.applying = false }()
	return h.m.e.ApplyEncoded(b, enc)
}
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
	drng    *rand.Rand // persistence choices (disk.go), apart so that they shift nothing else
	xrng    *rand.Rand // the commands run during exports (WritesDuringExport), apart likewise
	work    *workload  // Run's, for the commands run during exports
	now     int64      // simulated ms since epoch
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
	conns     int // connections made (sender generations)

	Stats Stats
}

// Stats are what a run did.
type Stats struct {
	Commands, Effects, Delivered, Duplicates, Dropped  int
	Partial, Full, Overflows, Crashes, Cuts, GCDropped int
	Buffered, ModelWrites                              int // batches that arrived early; writes of model keys
	GCUnchecked                                        int // runs whose tombstone check was skipped (checkTombstones)
	Refused, Nudges                                    int // commands refused while syncing (startup gate); stall nudges
	Frames, SharedFrames, Rewinds, Behind              int // streamed Data frames; of them taken from another link; rewinds; links behind the backlog
	Snapshots, TornTails, FromDisk, DiskKept           int // snapshots at quiet steps; crashes leaving a partial unsynced tail; restarts that loaded batches or a snapshot; crashes after which the disk held effects no live member had
	ExportWrites                                       int // commands run on a sender while its full resync's state was being exported
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
	w := &World{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), drng: rand.New(rand.NewPCG(cfg.Seed, 0xd15c)),
		xrng: rand.New(rand.NewPCG(cfg.Seed, 0xe4b0)),
		logs: &errLog{}, hist: newHistory(), counters: map[string]bool{}, highSeq: map[clock.MemberID]uint64{}}
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
		w.choosePolicy(m)
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

// start gives m a fresh engine loaded from its disk, a command layer and a receive side.
func (w *World) start(m *member) {
	m.clk = &clock.Manual{Millis: epoch + w.now + m.skew}
	m.e = engine.New(engine.Config{Member: m.id, Databases: 16, Clock: m.clk, Seed: w.rng.Uint64(), KeepTombstones: true})
	cfg := memberConfig(m.policy, false)
	if m.env != nil {
		m.env.SetWriteGate(nil)
		m.env.SetPersistence(nil)
	}
	w.openDisk(m, cfg)
	m.env = command.NewEnv(m.e, cfg, slog.New(w.logs))
	if m.p != nil {
		m.env.SetPersistence(m.p)
	}
	m.cl = command.NewClient(0)
	m.e.Lock()
	if err := m.env.Connect(m.cl); err != nil {
		panic(err)
	}
	m.e.Unlock()
	m.backlog = oplog.New(w.cfg.Backlog)
	// As replication.New: what the disk restored never went through the sink, so the backlog
	// cannot serve it; a peer lacking any of it gets a full resync.
	m.backlog.Gap(m.e.Vector())
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
	// As startup.go: the gate starts from the sequence number the disk restored.
	m.gate, notes = replication.NewGate(m.id, peers, m.e.Seq(), w.wall(), false)
	m.env.SetWriteGate(func() bool { return !m.gate.Open() })
	m.in = make([]*replication.Link, w.cfg.Members+1)
	m.out = make([]*sender, w.cfg.Members+1)
	m.shares = &replication.FrameCache{}
	m.ovc = make([]clock.Vector, w.cfg.Members+1)
	m.peerVC = make([]clock.Vector, w.cfg.Members+1)
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

// sink is every member's engine sink, as production's (replication.go): the backlog, then
// wake-ups for the sending links waiting for a batch of this origin.
func (w *World) sink(m *member, b *effect.Effect) {
	if enc := m.e.Encoded(); enc != nil {
		m.backlog.AppendEncoded(enc) // a peer's batch: the bytes received, as production does
	} else {
		m.backlog.Append(b)
	}
	if b.Origin == m.id && !m.applying && !m.gate.Open() {
		// Production makes no local batch while syncing (the write gate, and node.cron does
		// not expire keys): its sequence number may not have caught up, so the dot may be
		// one a peer holds with other contents.
		w.failf("member %d: local batch %v committed while its startup gate is closed", m.id, b.Dot())
	}
	if b.Origin == m.id {
		w.gateNotes(m, m.gate.Own(b.Seq, w.wall()))
		m.local.dot, m.local.hlc = b.Dot(), b.HLC
		m.local.commits++
		w.highSeq[m.id] = max(w.highSeq[m.id], b.Seq)
		w.Stats.Effects++
	}
	for _, snd := range m.out {
		if snd != nil && snd.waiting && !snd.skip.Has(b.Origin) {
			snd.waiting, snd.due = false, true
		}
	}
}

// frameSize is the Data frame size of the sending links.
func (w *World) frameSize() int {
	if w.cfg.FrameSize > 0 {
		return w.cfg.FrameSize
	}
	return 64 << 10
}

// pump runs the writer of every link that was woken, as serve.go's loop does: it steps its
// Sender until caught up and sends each Data frame. A woken writer may run a step late, so
// that frames gather several batches and links read at different times.
func (w *World) pump() {
	for from := 1; from <= w.cfg.Members; from++ {
		m := w.members[from]
		for to := 1; to <= w.cfg.Members; to++ {
			snd := m.out[to]
			if snd == nil || !snd.due || !w.connected(from, to) || w.rng.IntN(4) == 0 {
				continue
			}
			w.write(from, to, snd)
		}
	}
}

// write steps the Sender of the link from -> to until it has caught up with the backlog.
func (w *World) write(from, to int, snd *sender) {
	m := w.members[from]
	snd.due = false
	size := w.frameSize()
	for {
		var st replication.Step
		w.locked(m, "Sender.Next", func() {
			st = snd.s.Next(size, m.shares)
			snd.waiting = st.Kind != replication.StepBehind && st.CaughtUp
			snd.skip = st.Skip
		})
		switch st.Kind {
		case replication.StepBehind:
			// serve.go closes the link; the peer redials and resyncs.
			w.Stats.Behind++
			w.tracef("link %d->%d fell behind the backlog: reconnect", from, to)
			w.handshake(from, to)
			return
		case replication.StepBuild:
			payload := slices.Clone(st.Records)
			st.Frame.Finish(payload) // the simulator does not compress: the frame is its payload
			w.sendData(from, to, payload)
		case replication.StepShared:
			payload, _ := st.Frame.Wire()
			w.Stats.SharedFrames++
			w.sendData(from, to, payload)
		case replication.StepRecords:
			// A rewind, or a lone record larger than a frame: records may span frames, so
			// these frames travel together, in order.
			msg := message{kind: msgFrames, dots: recordDots(st.Records)}
			for p := range replication.RecordFrames(st.Records, size) {
				msg.frames = append(msg.frames, peerwire.Frame{Type: peerwire.Data, Payload: slices.Clone(p)})
			}
			w.Stats.Frames += len(msg.frames)
			if snd.skip != 0 && len(msg.dots) > 0 {
				w.tracef("link %d->%d sends %d batches (rewind or large record)", from, to, len(msg.dots))
			}
			w.send(from, to, msg)
		}
		if st.CaughtUp || len(w.errs) > 0 {
			return
		}
	}
}

// sendData sends one Data frame of whole records. Beyond what TCP does, a frame may be
// overtaken by later ones or duplicated: batches reach a member over several links (relays,
// rewinds), so the receiver must buffer early batches and drop duplicates.
func (w *World) sendData(from, to int, payload []byte) {
	w.Stats.Frames++
	msg := message{kind: msgFrames, frames: []peerwire.Frame{{Type: peerwire.Data, Payload: payload}}, dots: recordDots(payload)}
	if w.rng.IntN(40) == 0 {
		w.sendLate(from, to, msg)
		return
	}
	w.send(from, to, msg)
	if w.rng.IntN(50) == 0 {
		w.Stats.Duplicates++
		w.send(from, to, msg)
	}
}

// recordDots returns the dots of the batches whose records are in p (whole records).
func recordDots(p []byte) []clock.Dot {
	var rs peerwire.Records
	var out []clock.Dot
	_ = rs.Feed(p, func(rec []byte) error {
		if b, err := effect.Decode(rec); err == nil {
			out = append(out, b.Dot())
		}
		return nil
	})
	return out
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
// (which the sender records as that peer's OVC, as production's Sync does), and the sender's
// new replication.Sender answers with the batches it lacks (partial resync) or its whole
// state (full resync), then the sync point; its stream starts at once.
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
	// The Sync: the sender's record of what the peer has (PeerVC) and a report to its startup
	// gate, not the peer's OVC, which stays the last Ack's (production's syncReported).
	s.peerVC[to] = vc
	w.gateNotes(s, s.gate.Reported(r.id, vc, w.wall()))
	w.conns++
	snd := &sender{s: replication.NewSender(s.id, r.id, s.backlog), gen: w.conns, due: true}
	s.out[to] = snd
	// Production's order (serve.go): the handshake under the sender's lock, which starts a full
	// resync's export, then the frames without it, which finish the export.
	var rs replication.Resync
	var desc map[string]string
	ok := false
	w.locked(s, "serve", func() {
		var err error
		rs, err = snd.s.Handshake(vc, s.e.Vector(), s.e)
		if err != nil {
			w.failf("member %d: resync of %d: %v", from, to, err)
			return
		}
		if !rs.Partial {
			desc = describeDB0(s) // the state exported: the sender's as of the handshake
		}
		ok = true
	})
	if !ok {
		return
	}
	if bg, _, _ := rs.Background(); bg && w.cfg.WritesDuringExport && w.work != nil && s.gate.Open() {
		// Commands drawn from their own generator state, so that the workload's sequence
		// elsewhere stays as it was.
		saved := w.rng
		w.rng = w.xrng
		for range w.xrng.IntN(4) {
			w.work.run(s)
			w.Stats.ExportWrites++
		}
		w.rng = saved
	}
	msg := message{kind: msgFrames}
	func() {
		defer func() {
			if r := recover(); r != nil {
				ok = false
				w.failf("member %d: panic in the resync of %d: %v", from, to, r)
			}
		}()
		for f := range rs.Frames(w.frameSize(), 4<<10) { // small state chunks: a state spans several frames
			msg.frames = append(msg.frames, peerwire.Frame{Type: f.Type, Payload: slices.Clone(f.Payload)})
		}
	}()
	if !ok {
		rs.Abort()
		return
	}
	if rs.Partial {
		w.Stats.Partial++
		for _, data := range rs.Held {
			b, err := effect.Decode(data)
			if err != nil {
				w.failf("member %d: its own backlog does not decode: %v", from, err)
				return
			}
			msg.dots = append(msg.dots, b.Dot())
		}
		w.tracef("resync %d->%d partial %d batches", from, to, len(rs.Held))
	} else {
		w.Stats.Full++
		msg.vc, msg.desc = rs.StateVC, desc
		w.tracef("resync %d->%d full %d bytes vc=%v", from, to, rs.StateLen(), rs.StateVC)
	}
	w.send(from, to, msg)
}

// deliver hands msg, which travelled from -> to, to its receiver.
func (w *World) deliver(from, to int, msg message) {
	r := w.members[to]
	w.Stats.Delivered++
	if msg.kind == msgAck {
		vc, direct, ovc, err := peerwire.ParseAck(msg.frames[0].Payload)
		if err != nil {
			w.failf("member %d: ack from %d: %v", to, from, err)
			return
		}
		r.ovc[from], r.peerVC[from] = ovc, vc
		// The sending link's reader (serve.go's readAcks): a member leaving the peer's
		// direct set kicks a rewind.
		if snd := r.out[from]; snd != nil && snd.gen == msg.gen && snd.s.Ack(vc, direct) {
			w.Stats.Rewinds++
			w.tracef("link %d->%d: peer %d's direct set is now %b: rewind", to, from, from, direct)
			snd.due = true
		}
		w.gateNotes(r, r.gate.Reported(clock.MemberID(from), vc, w.wall()))
		return
	}
	var pre map[string]string
	if msg.desc != nil || w.cfg.Verbose {
		pre = w.describeAll(r)
	}
	n := len(w.errs)
	for _, f := range msg.frames {
		if f.Type == peerwire.Mode { // read by the puller before its Link starts (pull.go)
			if len(f.Payload) != 1 || (f.Payload[0] != peerwire.ModePartial && f.Payload[0] != peerwire.ModeFull) {
				w.failf("member %d: bad mode frame from %d", to, from)
				break
			}
			continue
		}
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
	case len(msg.dots) > 0:
		w.checkEnvelopes(r, fmt.Sprintf("applying %v from %d", msg.dots, from))
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
				peers[clock.MemberID(p)] = r.peerVC[p]
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
		// As pull.go's acks: the vector clock and the members this one pulls from directly.
		var direct oplog.Origins
		for j := 1; j <= w.cfg.Members; j++ {
			if j != i && w.connected(j, i) && w.members[i].in[j] != nil {
				direct = direct.With(clock.MemberID(j))
			}
		}
		var vc, ovc clock.Vector
		w.locked(w.members[i], "Vector", func() { vc, ovc = w.members[i].e.Vector(), ovcOf(w.members[i]) })
		ack := peerwire.Frame{Type: peerwire.Ack, Payload: peerwire.AppendAck(nil, vc, uint64(direct), ovc)}
		for j := 1; j <= w.cfg.Members; j++ {
			if j != i && w.connected(i, j) {
				msg := message{kind: msgAck, frames: []peerwire.Frame{ack}}
				if snd := w.members[j].out[i]; snd != nil {
					msg.gen = snd.gen
				}
				w.send(i, j, msg)
			}
		}
	}
}

// ovcOf is m's OVC, as gc.go's: its vector clock bounded by what its disk holds (the engine
// lock held).
func ovcOf(m *member) clock.Vector {
	var durable func() clock.Vector
	if m.p != nil {
		durable = m.p.DurableVector
	}
	return replication.DurableOVC(m.e.Vector(), durable)
}

// gcRound runs a tombstone collection cycle (replication.CollectRound, as gc.go does) on every
// member, with its own vector clock and the latest OVC of every peer (nil when never heard).
func (w *World) gcRound() {
	for _, m := range w.members[1:] {
		if !m.up {
			continue
		}
		w.locked(m, "CollectGarbage", func() {
			ovcs := []clock.Vector{ovcOf(m)}
			for j := 1; j <= w.cfg.Members; j++ {
				if j != int(m.id) {
					ovcs = append(ovcs, m.ovc[j].Clone())
				}
			}
			w.Stats.GCDropped += replication.CollectRound(m.e, ovcs).Collected
		})
	}
}

// crash stops m (a power loss): its memory, buffers and links are gone, its disk keeps what
// was fsynced (disk.go). The batches that neither a live member has applied nor the disk of a
// member that is down (m or one that crashed before) holds are lost (see the package doc):
// they are purged from the history (a link still carrying any reconnects), and live members
// drop their causal buffers (which may hold some) and resync.
func (w *World) crash(m *member) {
	w.Stats.Crashes++
	m.up = false
	m.env.SetPersistence(nil)
	m.p = nil
	w.powerLoss(m)
	m.onDisk = w.onDisk(m)
	w.tracef("crash %s", describeDisk(m, m.onDisk))
	for j := 1; j <= w.cfg.Members; j++ {
		if j == int(m.id) {
			continue
		}
		for _, l := range []*link{w.links[m.id][j], w.links[j][m.id]} {
			w.Stats.Dropped += len(l.queue)
			l.queue = nil
		}
	}
	kept := false
	for _, o := range w.members[1:] {
		// Effects of any origin may be lost: those of a member that is down, and those of a
		// member that restarted and had not got them back (only the crashed member had them).
		var known, live uint64
		for _, x := range w.members[1:] {
			if x.up {
				live = max(live, w.vector(int(x.id)).Get(o.id))
			} else {
				known = max(known, x.onDisk.Get(o.id))
			}
		}
		if m.onDisk.Get(o.id) > live {
			kept = true // m's disk holds effects no live member has: persistence kept them
		}
		known = max(known, live)
		lost := func(x message) bool {
			return slices.ContainsFunc(x.dots, func(d clock.Dot) bool { return d.Member == o.id && d.Seq > known })
		}
		for f := 1; f <= w.cfg.Members; f++ {
			for t := 1; t <= w.cfg.Members; t++ {
				if l := w.links[f][t]; l != nil && slices.ContainsFunc(l.queue, lost) {
					// Frames carry several batches and a record may span frames: the
					// connection resets instead (the handshake drops what is in flight).
					w.tracef("link %d->%d carried lost batches of %d: reconnect", f, t, o.id)
					w.handshake(f, t)
				}
			}
		}
		if known >= w.highSeq[o.id] {
			continue
		}
		n := w.hist.forget(o.id, known)
		w.tracef("crash member %d: member %d's effects up to %d survive (%d model writes lost)", m.id, o.id, known, n)
	}
	if kept {
		w.Stats.DiskKept++
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

// restart starts m from its disk and syncing (its startup gate closed) and connects it to every
// peer it reaches. It stays down while the live member that knows most of its own effects is
// unreachable (as an operator would wait): otherwise its gate would time out, it would reuse
// sequence numbers that member already applied, and the gate would report lost own batches
// once the link heals (a failure here). It also waits for a member that is down and holds
// more of its effects on its disk. Two members that are down cannot wait for each other: a
// disk is a prefix of its member's apply order, which is causal, so if m1's disk holds an
// effect of m2 that m2's disk lost, m2's disk cannot hold a later effect of m1 that m1's lost.
func (w *World) restart(m *member) bool {
	best, bestSeq, ok := w.restartable(m)
	if !ok {
		return false
	}
	w.boot(m, best, bestSeq)
	w.connect(m)
	return true
}

// restartable reports whether m can restart, and the live member that knows most of its
// effects.
func (w *World) restartable(m *member) (*member, uint64, bool) {
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
		return nil, 0, false
	}
	// The best source, or m's own disk, must know every own effect of m that survived the
	// crash: one that only an unreachable member has, or the disk of a member that is down,
	// would come back after m reused its sequence number.
	own := m.onDisk.Get(m.id)
	for _, o := range w.members[1:] {
		if o == m {
			continue
		}
		if o.up && w.vector(int(o.id)).Get(m.id) > max(bestSeq, own) {
			return nil, 0, false
		}
		if !o.up && o.onDisk.Get(m.id) > max(bestSeq, own) {
			return nil, 0, false
		}
	}
	return best, bestSeq, true
}

// boot starts m from its disk (empty when it has none), syncing.
func (w *World) boot(m *member, best *member, bestSeq uint64) {
	own := m.onDisk.Get(m.id)
	w.start(m)
	if m.e.Seq() != own {
		w.failf("member %d: restarted at own sequence %d, its disk held %d", m.id, m.e.Seq(), own)
	}
	if slices.ContainsFunc(m.onDisk, func(s uint64) bool { return s > 0 }) {
		w.Stats.FromDisk++
	}
	w.tracef("restart member %d from its disk at own seq %d (%d knows its effects up to %d)", m.id, own, best.id, bestSeq)
}

// connect dials every peer of a member that just started: its startup gate opens once each has
// reported (or is down) and its own batches are back.
func (w *World) connect(m *member) {
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
	w.pump()
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
				w.persistTick(m) // node's persistence loop
			}
		}
		if m := w.members[1+w.drng.IntN(w.cfg.Members)]; m.up && w.drng.IntN(40) == 0 {
			w.snapshot(m) // a quiet step: no command is running
		}
		for _, m := range w.members[1:] {
			// As node.cron: expiring makes local batches, which wait while the member syncs
			// (a restarting member would reuse sequence numbers its peers hold).
			if m.up && m.gate.Open() {
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
	w.work = gen
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
		w.relays(gen)
	}
	if len(w.errs) == 0 {
		w.quiesce()
	}
	if len(w.errs) == 0 {
		w.check()
	}
	for _, m := range w.members[1:] {
		w.addRecvStats(m.recv.Stats)
		m.recv.Stats = replication.ReceiverStats{}
		m.env.SetWriteGate(nil)
		m.env.SetPersistence(nil)
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
	for _, m := range w.members[1:] {
		if !m.up {
			w.failf("member %d cannot restart", m.id)
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

// relays cuts one link for good (with three members or more) and keeps writing: every batch
// must still reach both ends of the cut, through the other members, with no heal and no
// resync. The senders relay batches of every origin but those of members a peer pulls from
// directly, so this needs the rewind: once the peer's acks say it lost its direct link,
// the others send it what they had skipped.
func (w *World) relays(gen *workload) {
	n := w.cfg.Members
	if n < 3 {
		return
	}
	a := 1 + w.rng.IntN(n)
	b := (a+w.rng.IntN(n-1))%n + 1
	w.cut(a, b)
	w.Stats.Cuts++
	w.tracef("relay check: cut %d-%d for good", a, b)
	for range 30 {
		w.step()
		gen.run(w.members[1+w.rng.IntN(n)])
	}
	for round := 0; round < 5_000 && len(w.errs) == 0; round++ {
		w.step()
		if round%50 == 49 && w.idle() {
			w.tracef("relay check: converged around the cut")
			return
		}
	}
	if len(w.errs) == 0 {
		w.failf("relay check: members did not converge around the cut link %d-%d: vector clocks %v", a, b, w.vectors())
	}
}

// collect runs OVC exchanges and collections after everything settled, enough for the
// two-phase collection to complete. The first rounds span more than a second: members
// advertise only what their disks hold, which the persistence loops fsync once a second
// (persist.Persister.DurableVector).
func (w *World) collect() {
	for range 8 {
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
		for t, snd := range w.members[f].out {
			if snd != nil && snd.due && w.connected(f, t) {
				return false
			}
		}
	}
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
