package persist

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/config"
)

// gatedFS is a FaultFS whose file fsyncs can be held: while gate is set, each Sync of a file
// opened through it first announces itself on entered, then waits for a value on gate.
type gatedFS struct {
	*FaultFS
	gate    chan struct{}
	entered chan struct{}
}

type gatedFile struct {
	File
	fs *gatedFS
}

func (f gatedFile) Sync() error {
	if g := f.fs.gate; g != nil {
		f.fs.entered <- struct{}{}
		<-g
	}
	return f.File.Sync()
}

func (g *gatedFS) Append(name string) (File, error) {
	f, err := g.FaultFS.Append(name)
	if err != nil {
		return nil, err
	}
	return gatedFile{f, g}, nil
}

func (g *gatedFS) Create(name string) (File, error) {
	f, err := g.FaultFS.Create(name)
	if err != nil {
		return nil, err
	}
	return gatedFile{f, g}, nil
}

// startGated starts a member with appendfsync always on a new gatedFS (not gated yet).
func startGated(t *testing.T) (*member, *gatedFS) {
	t.Helper()
	gfs := &gatedFS{FaultFS: NewFaultFS()}
	cfg := testConfig(t, t.TempDir(), "appendonly", "yes", "appendfsync", "always")
	return startOn(t, gfs, cfg), gfs
}

// startOn is start with the persister on fs (the member's fs field is the FaultFS under it).
func startOn(t *testing.T, fs *gatedFS, cfg *config.Config) *member {
	t.Helper()
	m, err := startWith(t, fs, fs.FaultFS, cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// followers waits until n waiters wait for the running round.
func followers(t *testing.T, a *aofWriter, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		a.waitMu.Lock()
		got := 0
		if a.round != nil {
			got = a.round.followers
		}
		a.waitMu.Unlock()
		if got >= n {
			return
		}
	}
	t.Fatalf("fewer than %d waiters joined the round", n)
}

// commit commits one SET of key, as a command does, without waiting for durability.
func (m *member) commit(key string) {
	m.e.Lock()
	m.e.Emit(setOp(key))
	m.e.Commit()
	m.e.Unlock()
}

// waitAsync runs WaitDurable in a goroutine; the channel is closed when it returns.
func (m *member) waitAsync() chan struct{} {
	done := make(chan struct{})
	go func() { m.p.WaitDurable(); close(done) }()
	return done
}

func returned(c chan struct{}, within time.Duration) bool {
	select {
	case <-c:
		return true
	case <-time.After(within):
		return false
	}
}

// With appendfsync always, a record appended while an fsync round runs is not written by the
// committing command (the round writes it, outside the engine lock), and a waiter whose record
// came after the round's write is not released by that round: it needs an fsync of its own.
func TestAlwaysRoundDefersAndWaitsForOwnRecord(t *testing.T) {
	m, gfs := startGated(t)
	a := m.p.aof()
	path := a.dir + "/" + aofName(a.base, a.gen)
	m.commit("k1")
	if a.written.Load() != a.appended.Load() {
		t.Fatal("a record appended with no round running was not written before the lock was released")
	}
	gfs.gate, gfs.entered = make(chan struct{}), make(chan struct{}, 4)
	first := m.waitAsync() // leads a round, held in its fsync
	<-gfs.entered
	size := len(gfs.Bytes(path))
	m.commit("k2") // appended during the round's fsync
	if n := len(gfs.Bytes(path)); n != size {
		t.Fatalf("a record appended during a round was written by the command (%d bytes, was %d)", n, size)
	}
	pos := a.appended.Load()
	second := m.waitAsync() // joins the running round
	followers(t, a, 1)
	gfs.gate <- struct{}{} // the first round's fsync ends
	if !returned(first, 5*time.Second) {
		t.Fatal("the first waiter was not released by its round")
	}
	if n := len(gfs.Bytes(path)); n <= size {
		t.Fatal("the round ended without writing the record deferred to it")
	}
	if a.durable.Load() >= pos {
		t.Fatal("the first round's fsync claims to cover a record written after it")
	}
	// The second waiter's record is written but not fsynced: it leads the next round.
	select {
	case <-gfs.entered:
	case <-second:
		t.Fatal("a waiter was released by a round that did not fsync its record")
	case <-time.After(5 * time.Second):
		t.Fatal("no second round")
	}
	if returned(second, 20*time.Millisecond) {
		t.Fatal("a waiter was released before the fsync of its record")
	}
	gfs.gate <- struct{}{}
	if !returned(second, 5*time.Second) {
		t.Fatal("the second waiter hangs")
	}
	if a.durable.Load() < pos {
		t.Fatalf("durable %d after the second round, want at least %d", a.durable.Load(), pos)
	}
	gfs.gate = nil
	if m.fatals.count() != 0 {
		t.Fatalf("fatal called: %v", m.fatals.msgs)
	}
	// Both records survive a power loss.
	digest := m.digest()
	gfs.PowerLoss()
	if d := startOn(t, gfs, m.cfg).digest(); d != digest {
		t.Fatalf("after a power loss: digest %q, want %q", d, digest)
	}
}

// Records deferred to a round are written by its leader in one write, then fsynced once; a
// failed batched write with appendfsync always calls fatal exactly once (not once per waiter),
// leaves no torn record in the file, and no waiter is told its write is durable.
func TestAlwaysBatchedWrite(t *testing.T) {
	t.Run("one write", func(t *testing.T) {
		m, gfs := startGated(t)
		a := m.p.aof()
		deferring(a, true) // as while a round runs
		for i := range 5 {
			m.commit(fmt.Sprint("k", i))
		}
		deferring(a, false)
		if a.written.Load() == a.appended.Load() {
			t.Fatal("records appended during a round were written at once")
		}
		ops := gfs.Ops()
		m.p.WaitDurable()
		if n := gfs.Ops() - ops; n != 2 {
			t.Fatalf("%d operations for 5 deferred records, want 2 (one write, one fsync)", n)
		}
		if a.durable.Load() != a.appended.Load() {
			t.Fatal("not durable")
		}
	})
	t.Run("write error", func(t *testing.T) {
		m, gfs := startGated(t)
		a := m.p.aof()
		m.run(workload)
		path := a.dir + "/" + aofName(a.base, a.gen)
		m.commit("kept") // written at once: no round runs
		gfs.gate, gfs.entered = make(chan struct{}), make(chan struct{}, 4)
		leader := m.waitAsync() // a round fsyncing "kept", held
		<-gfs.entered
		size := len(gfs.Bytes(path))
		for i := range 5 {
			m.commit(fmt.Sprint("lost", i)) // deferred to the round
		}
		lost := a.appended.Load()
		var waiters []chan struct{}
		for range 4 {
			waiters = append(waiters, m.waitAsync())
		}
		followers(t, a, 4)
		gfs.ShortWrites = 1 // the round's write of the deferred records fails
		gfs.gate <- struct{}{}
		for _, w := range append(waiters, leader) {
			if !returned(w, 5*time.Second) {
				t.Fatal("a waiter hangs after a failed write")
			}
		}
		gfs.gate = nil
		if n := m.fatals.count(); n != 1 {
			t.Fatalf("fatal called %d times, want 1: %v", n, m.fatals.msgs)
		}
		if msg := m.fatals.msgs[0]; !strings.HasPrefix(msg, fatalWrite) {
			t.Fatalf("fatal message %q, want the write error's", msg)
		}
		if a.durable.Load() >= lost {
			t.Fatal("a failed write became durable")
		}
		if n := len(gfs.Bytes(path)); n != size {
			t.Fatalf("the torn batch stayed in the file: %d bytes, was %d", n, size)
		}
		if r := CheckAOF(gfs.Bytes(path)); r.Problem != nil {
			t.Fatalf("file not clean after the failed write: %v", r.Problem)
		}
		gfs.PowerLoss()
		m2 := startOn(t, gfs, m.cfg)
		if r := m2.do("EXISTS", "kept", "lost0", "lost4"); r != ":1\r\n" {
			t.Fatalf("after a power loss, EXISTS kept lost0 lost4 = %q, want 1 (kept only)", r)
		}
	})
}

// deferring sets what a running round sets: appends leave their records to the round.
func deferring(a *aofWriter, on bool) {
	a.bufMu.Lock()
	a.deferring = on
	a.bufMu.Unlock()
}
