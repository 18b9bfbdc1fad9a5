package replication

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/oplog"
	"github.com/concord-db/concord/internal/peerwire"
)

// A full resync's state is exported in the background (engine/export.go): Handshake starts the
// export under the engine lock, Frames finishes it without the lock, a link that closes first
// aborts it, and while another export runs (a BGSAVE's) the state is exported under the lock
// as before.

// loadKeys sets n keys k0000000.. on e, a thousand per batch.
func loadKeys(e *engine.Engine, n int) {
	for i := 0; i < n; i += 1000 {
		e.Lock()
		for j := i; j < min(n, i+1000); j++ {
			e.Emit(effect.Op{Kind: effect.StringSet, Key: fmt.Sprintf("k%07d", j), Value: []byte("initial")})
		}
		e.Unlock()
	}
}

// exportSource is member 1's engine with n keys and a backlog of size bytes that no longer
// holds the first of them: a new peer gets a full resync.
func exportSource(t *testing.T, n int, size int64) (*engine.Engine, *oplog.Backlog) {
	t.Helper()
	e := engine.New(engine.Config{Member: 1, KeepTombstones: true})
	bl := oplog.New(size)
	e.AddSink(func(b *effect.Effect) { bl.Append(b) })
	loadKeys(e, n)
	if _, ok := bl.Since(nil); ok {
		t.Fatal("the backlog still holds every batch: make the state larger")
	}
	return e, bl
}

func valueOf(e *engine.Engine, key string) string {
	e.Lock()
	defer e.Unlock()
	ent := e.Lookup(0, key)
	if ent == nil {
		return ""
	}
	v, _ := ent.Value.(*register.Value).Bytes()
	return string(v)
}

func keysOf(e *engine.Engine) int {
	e.Lock()
	defer e.Unlock()
	return e.Store().DB(0).Entries()
}

func vectorOf(e *engine.Engine) clock.Vector {
	e.Lock()
	defer e.Unlock()
	return e.Vector()
}

// exportRunning reports whether an export runs on e: StartExport refuses to start another
// (one it does start is aborted in the same lock hold, so nobody sees it).
func exportRunning(e *engine.Engine) bool {
	e.Lock()
	defer e.Unlock()
	if x := e.StartExport(); x != nil {
		x.AbortLocked()
		return false
	}
	return true
}

// handleFrames hands a resync's frames to l, but the Mode frame (read before the link starts,
// pull.go).
func handleFrames(t *testing.T, l *Link, frames []peerwire.Frame) {
	t.Helper()
	for _, f := range frames {
		if f.Type == peerwire.Mode {
			continue
		}
		if _, err := l.Handle(f); err != nil {
			t.Fatalf("%s frame: %v", f.Type, err)
		}
	}
}

// collectFrames iterates rs.Frames, keeping a copy of every frame.
func collectFrames(rs *Resync) []peerwire.Frame {
	var out []peerwire.Frame
	for f := range rs.Frames(chunkSize, peerwire.MaxFrame/2) {
		out = append(out, peerwire.Frame{Type: f.Type, Payload: bytes.Clone(f.Payload)})
	}
	return out
}

// While a full resync's state is encoded, the engine lock is free: another goroutine commits
// writes in the meantime (changing keys the export has not reached, and adding keys). The
// state is the one at the handshake, and those writes reach the peer by the stream that
// follows: the peer ends with exactly the sender's data, nothing missing and nothing twice.
func TestFullResyncExportsWithoutHoldingTheLock(t *testing.T) {
	const n = 200_000
	src, bl := exportSource(t, n, 1<<20)
	snd := NewSender(1, 2, bl)
	src.Lock()
	atHandshake := src.Vector()
	rs, err := snd.Handshake(nil, src.Vector(), src)
	src.Unlock()
	if bg, _, _ := rs.Background(); err != nil || rs.Partial || !bg || rs.State != nil {
		t.Fatalf("handshake: err=%v partial=%v background=%v state exported=%v", err, rs.Partial, bg, rs.State != nil)
	}

	done := make(chan []peerwire.Frame)
	go func() { done <- collectFrames(&rs) }()
	// Commit while the resync's export still runs (the probe, under the same lock hold, sees
	// it running): impossible if the state were encoded under the lock throughout.
	during, last := 0, ""
	for {
		src.Lock()
		if x := src.StartExport(); x != nil {
			x.AbortLocked() // the resync's export has ended
			src.Unlock()
			break
		}
		if during < 2000 { // what the backlog holds easily
			last = fmt.Sprintf("during-%d", during)
			src.Emit(effect.Op{Kind: effect.StringSet, Key: fmt.Sprintf("k%07d", (during*7919)%n), Value: []byte(last)})
			src.Emit(effect.Op{Kind: effect.StringSet, Key: fmt.Sprintf("new%d", during), Value: []byte("x")})
			src.Emit(effect.Op{Kind: effect.StringSet, Key: "hot", Value: []byte(last)})
			during++
		}
		src.Unlock() // commits the batch
		time.Sleep(200 * time.Microsecond)
	}
	frames := <-done
	_, slices, longest := rs.Background()
	t.Logf("%d commits while the state was exported; %d lock slices, longest %v; %d state bytes",
		during, slices, longest, rs.StateLen())
	if during == 0 {
		t.Fatal("no commit while the resync's state was exported: the lock was held throughout")
	}
	if slices < 2 {
		t.Fatalf("the export took the lock %d times", slices)
	}
	if !rs.StateVC.Equal(atHandshake) {
		t.Fatalf("state labelled %v, want the vector clock at the handshake %v", rs.StateVC, atHandshake)
	}

	// The peer takes the resync, then the stream from the cursor fixed at the handshake.
	h := newHost(2)
	l := NewLink(NewReceiver(h, 1<<30), h.e)
	var kinds []peerwire.Type
	for _, f := range frames {
		kinds = append(kinds, f.Type)
	}
	handleFrames(t, l, frames)
	if kinds[0] != peerwire.Mode || kinds[1] != peerwire.StateBegin || kinds[len(kinds)-1] != peerwire.Ping {
		t.Fatalf("frames %v", kinds)
	}
	if got := vectorOf(h.e); !got.Equal(atHandshake) {
		t.Fatalf("after the state the peer has %v, want %v", got, atHandshake)
	}
	streamed := 0
	for {
		src.Lock()
		st := snd.Next(chunkSize, nil)
		src.Unlock()
		switch st.Kind {
		case StepBehind:
			t.Fatal("the stream fell behind the backlog")
		case StepBuild, StepRecords:
			for p := range RecordFrames(st.Records, chunkSize) {
				if _, err := l.Handle(peerwire.Frame{Type: peerwire.Data, Payload: p}); err != nil {
					t.Fatal(err)
				}
			}
			streamed++
		}
		if st.CaughtUp {
			break
		}
	}
	if want := vectorOf(src); !vectorOf(h.e).Equal(want) || want.Get(1) != atHandshake.Get(1)+uint64(during) {
		t.Fatalf("peer at %v, sender at %v (%d commits after the handshake)", vectorOf(h.e), want, during)
	}
	if got, want := keysOf(h.e), keysOf(src); got != want || want != n+during+1 {
		t.Fatalf("peer has %d keys, sender %d, want %d", got, want, n+during+1)
	}
	if got := valueOf(h.e, "hot"); got != last {
		t.Fatalf("hot = %q on the peer, want %q", got, last)
	}
	for i := range during {
		key := fmt.Sprintf("k%07d", (i*7919)%n)
		if got, want := valueOf(h.e, key), valueOf(src, key); got != want {
			t.Fatalf("%s = %q on the peer, %q on the sender", key, got, want)
		}
	}
	if exportRunning(src) {
		t.Fatal("an export still runs after the resync")
	}
}

// A full resync given up before its state is sent (the link closed) aborts its export, before
// Frames runs or while it runs: Frames yields nothing and the next export (a BGSAVE's) starts.
func TestAbortedFullResyncLeavesNoExportRunning(t *testing.T) {
	src, bl := exportSource(t, 200_000, 1<<20)
	handshake := func() Resync {
		t.Helper()
		src.Lock()
		defer src.Unlock()
		rs, err := NewSender(1, 2, bl).Handshake(nil, src.Vector(), src)
		if bg, _, _ := rs.Background(); err != nil || !bg {
			t.Fatalf("handshake: err=%v background=%v", err, bg)
		}
		return rs
	}

	t.Run("before the frames", func(t *testing.T) {
		rs := handshake()
		if !exportRunning(src) {
			t.Fatal("no export running after the handshake")
		}
		rs.Abort()
		if exportRunning(src) {
			t.Fatal("the aborted resync's export still runs")
		}
		if frames := collectFrames(&rs); len(frames) != 0 {
			t.Fatalf("an aborted resync yielded %d frames", len(frames))
		}
		rs.Abort() // twice: nothing to do
	})

	t.Run("while the state is exported", func(t *testing.T) {
		rs := handshake()
		// Frames waits for the lock held here; Abort, called meanwhile from another goroutine,
		// takes it within a slice or two of the export, which needs many more.
		src.Lock()
		done := make(chan []peerwire.Frame)
		go func() { done <- collectFrames(&rs) }()
		time.Sleep(5 * time.Millisecond)
		aborted := make(chan struct{})
		go func() {
			defer close(aborted)
			rs.Abort()
		}()
		time.Sleep(5 * time.Millisecond)
		src.Unlock()
		<-aborted
		if frames := <-done; len(frames) != 0 {
			t.Fatalf("a resync aborted while its state was exported yielded %d frames", len(frames))
		}
		if exportRunning(src) {
			t.Fatal("the aborted resync's export still runs")
		}
		// Given up, not finished for nobody: far fewer lock slices than a whole export takes.
		_, slices, _ := rs.Background()
		src.Lock()
		whole := src.StartExport()
		src.Unlock()
		whole.Finish()
		if slices*2 >= whole.Slices {
			t.Fatalf("the aborted export took %d lock slices, a whole one %d: it was not cut short", slices, whole.Slices)
		}
	})
}

// fullResyncPair returns members 1 and 2, peers of each other; b's backlog is too small to
// serve a partial resync and its log goes to logs.
func fullResyncPair(t *testing.T) (a, b *member, logs *syncBuffer) {
	a, b, logs = newMember(t, 1, "s", 2), newMember(t, 2, "s", 1), &syncBuffer{}
	b.r.log = slog.New(slog.NewTextHandler(logs, nil))
	b.e.Lock()
	b.r.backlog = newSmallBacklog()
	b.e.Unlock()
	return a, b, logs
}

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// busy keeps taking e's lock for 5 ms at a time until the returned stop is called: a member
// whose clients keep it busy, so that a background export takes a while.
func busy(e *engine.Engine) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			e.Lock()
			time.Sleep(5 * time.Millisecond)
			e.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()
	return func() { close(quit); <-done }
}

// Over a real link (serve.go): a peer that goes away while the sender exports its state for
// it has the export aborted (logged as abandoned; the next export can start), and the next
// full resync of that peer is served in the background and completes.
func TestFullResyncLinkClosedWhileExportingAbortsTheExport(t *testing.T) {
	const n = 100_000
	a, b, logs := fullResyncPair(t)
	loadKeys(b.e, n)

	stop := busy(b.e)
	pa, pb := net.Pipe()
	go b.r.ServeConn(pb)
	errc := make(chan error, 1)
	go func() { errc <- a.r.PullConn(t.Context(), 2, pa) }()
	waitFor(t, "the resync's export to start", func() bool { return exportRunning(b.e) })
	pa.Close() // the peer goes away
	<-errc
	waitFor(t, "the export to be aborted", func() bool { return !exportRunning(b.e) })
	waitFor(t, "the abandoned resync's log line", func() bool {
		return strings.Contains(logs.String(), "peer full resync abandoned")
	})
	stop()
	if strings.Contains(logs.String(), "peer full resync finished") {
		t.Fatalf("the resync was sent to a closed link:\n%s", logs.String())
	}

	link(t, a, b)
	waitFor(t, "the next full resync", func() bool { return a.vector().Get(2) == b.vector().Get(2) })
	if got := keysOf(a.e); got != n {
		t.Fatalf("the peer has %d keys, want %d", got, n)
	}
	if !strings.Contains(logs.String(), "background_export=true lock_slices=") {
		t.Fatalf("the second resync was not exported in the background:\n%s", logs.String())
	}
	// The first export was given up, not finished for nobody: far fewer lock slices than the
	// second, whole one.
	abandoned := regexp.MustCompile(`abandoned.* lock_slices=(\d+)`).FindStringSubmatch(logs.String())
	finished := regexp.MustCompile(`resync finished.* lock_slices=(\d+)`).FindStringSubmatch(logs.String())
	if abandoned == nil || finished == nil {
		t.Fatalf("no lock_slices in the resync log lines:\n%s", logs.String())
	}
	if a, f := atoi(t, abandoned[1]), atoi(t, finished[1]); a*2 >= f {
		t.Fatalf("the abandoned export took %d lock slices, the whole one %d: it was not cut short", a, f)
	}
	if exportRunning(b.e) {
		t.Fatal("an export still runs after the resync")
	}
}

// While another export runs (a BGSAVE's), a full resync exports its state under the lock at
// the handshake, as ExportState does, and leaves that export alone: it still finishes, with
// the same bytes as the resync's state (both are the state at the same instant).
func TestFullResyncFallsBackToExportStateWhileAnotherExportRuns(t *testing.T) {
	src, bl := exportSource(t, 5000, 1<<10)
	src.Lock()
	bgsave := src.StartExport()
	if bgsave == nil {
		src.Unlock()
		t.Fatal("StartExport refused with no export running")
	}
	rs, err := NewSender(1, 2, bl).Handshake(nil, src.Vector(), src)
	vc := src.Vector()
	src.Unlock()
	if bg, _, _ := rs.Background(); err != nil || rs.Partial || bg {
		t.Fatalf("handshake: err=%v partial=%v background=%v", err, rs.Partial, bg)
	}
	if rs.StateLen() == 0 || !rs.StateVC.Equal(vc) {
		t.Fatalf("state not exported at the handshake: %d bytes, vc %v (want %v)", rs.StateLen(), rs.StateVC, vc)
	}
	// A write after the handshake: in neither state (the BGSAVE's export preserves the key).
	src.Lock()
	src.Emit(effect.Op{Kind: effect.StringSet, Key: "k0000000", Value: []byte("later")})
	src.Unlock()

	frames := collectFrames(&rs)
	rs.Abort() // nothing of the resync's to abort; the BGSAVE's export is not its own
	if !exportRunning(src) {
		t.Fatal("the resync aborted the BGSAVE's export")
	}
	var state []byte
	for _, f := range frames {
		if f.Type == peerwire.StateChunk {
			state = append(state, f.Payload...)
		}
	}
	svc, saved := bgsave.Finish()
	if !svc.Equal(vc) || !bytes.Equal(saved, state) {
		t.Fatalf("the BGSAVE's export (%d bytes, vc %v) differs from the resync's state (%d bytes, vc %v)",
			len(saved), svc, len(state), vc)
	}
	h := newHost(2)
	handleFrames(t, NewLink(NewReceiver(h, 1<<30), h.e), frames)
	if got := valueOf(h.e, "k0000000"); got != "initial" || keysOf(h.e) != 5000 {
		t.Fatalf("peer: k0000000 = %q, %d keys", got, keysOf(h.e))
	}
	if exportRunning(src) {
		t.Fatal("an export still runs")
	}
}

// Over a real link: while a BGSAVE's export runs, a peer's full resync falls back to exporting
// under the lock, and both complete.
func TestFullResyncOverALinkWhileABGSAVEExportRuns(t *testing.T) {
	a, b, logs := fullResyncPair(t)
	loadKeys(b.e, 3000)
	b.e.Lock()
	bgsave := b.e.StartExport()
	b.e.Unlock()
	if bgsave == nil {
		t.Fatal("StartExport refused with no export running")
	}
	link(t, a, b)
	waitFor(t, "the full resync", func() bool { return keysOf(a.e) == 3000 && a.vector().Get(2) == b.vector().Get(2) })
	if !strings.Contains(logs.String(), "background_export=false") {
		t.Fatalf("the resync did not fall back:\n%s", logs.String())
	}
	if _, state := bgsave.Finish(); len(state) == 0 {
		t.Fatal("the BGSAVE's export produced nothing")
	}
	if exportRunning(b.e) {
		t.Fatal("an export still runs")
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A full resync's peer sends no ack while it waits for the state (Mode comes once the export
// is finished) nor while it merges it (its acks need its engine lock): the sending side waits
// for its acks as long as the peer waits for Mode, not the idle timeout, from the handshake
// on and again once the state is sent; in the stream that follows, the usual deadline.
func TestFullResyncWaitsForAcksAsLongAsThePeerWaitsForMode(t *testing.T) {
	a, b, _ := fullResyncPair(t)
	loadKeys(b.e, 3000)
	link(t, a, b)
	waitFor(t, "the full resync", func() bool { return a.vector().Get(2) == b.vector().Get(2) })
	b.r.mu.Lock()
	s := b.r.serving[1]
	b.r.mu.Unlock()
	if s == nil {
		t.Fatal("no sending session to member 1")
	}
	now := time.Now()
	if got := s.ackDeadline(now); got.Sub(now) < modeTimeout-time.Minute {
		t.Fatalf("after a full resync was sent, acks are awaited only %v", got.Sub(now))
	}
	s.patientUntil.Store(0)
	if got := s.ackDeadline(now); got.Sub(now) != max(idleTimeout, 3*b.r.cfg.OVCInterval) {
		t.Fatalf("in the stream, acks are awaited %v", got.Sub(now))
	}
}

// After a partial resync the peer acks as usual at once: the sending side waits for its acks
// only the usual time (a long wait would hide a dead peer).
func TestPartialResyncWaitsForAcksTheUsualTime(t *testing.T) {
	a, b := newMember(t, 1, "s", 2), newMember(t, 2, "s", 1)
	link(t, a, b)
	var s *session
	waitFor(t, "the sending session", func() bool {
		b.r.mu.Lock()
		defer b.r.mu.Unlock()
		s = b.r.serving[1]
		return s != nil
	})
	waitFor(t, "the partial resync sent", func() bool { return s.patientUntil.Load() == 0 })
	now := time.Now()
	if got := s.ackDeadline(now); got.Sub(now) != max(idleTimeout, 3*b.r.cfg.OVCInterval) {
		t.Fatalf("after a partial resync, acks are awaited %v", got.Sub(now))
	}
}
