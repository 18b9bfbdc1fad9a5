package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/persist"
)

// Persistence in the simulation. Every member has its own disk, a persist.FaultFS (in memory),
// and runs production's persist.Persister on it, step by step in the simulation's goroutine:
// persist.Open loads the disk at every start (the snapshot, then the append-only generations,
// with production's framing, checksums and torn-tail cutting), the engine sink appends every
// applied batch, WaitDurable fsyncs after each command with appendfsync always (the command
// layer calls it, as for a client), Tick runs at every simulated 100 ms (everysec fsyncs, the
// snapshot after a full resync) with Options.Now the simulated time, and RewriteNow/Save take
// snapshots at quiet steps. No save points and auto-aof-rewrite-percentage 0: no background
// job (a goroutine) ever starts. A crash is a power loss (persist.FaultFS.PowerLoss): what was
// not fsynced is gone, except, sometimes, a prefix of it that reached the disk anyway, which may
// end inside a record (a torn write the load cuts off with a warning).

// policies are the appendfsync policies a member may get; "off" is appendonly no (the member
// restarts empty and resyncs in full).
var policies = []string{"always", "everysec", "no", "off"}

// choosePolicy gives m its persistence policy: Config.Persistence, or one chosen by the seed.
func (w *World) choosePolicy(m *member) {
	m.policy = w.cfg.Persistence
	if m.policy == "" {
		m.policy = policies[w.drng.IntN(len(policies))]
	}
	m.disk = persist.NewFaultFS()
	// The data directory is the configuration's default (the working directory, which the
	// configuration checks exists), a path on the in-memory disk only.
	m.dir = config.Default().String("dir")
}

// memberConfig is the configuration of m's command layer and persistence.
// readOnly loads the disk without appending to it (appendonly no).
func memberConfig(policy string, readOnly bool) *config.Config {
	cfg := config.Default()
	aof := "yes"
	if policy == "off" {
		aof, policy = "no", "everysec"
	}
	if readOnly {
		aof = "no"
	}
	if err := cfg.Load("", [][]string{{"enable-debug-command", "yes"}, {"save", ""},
		{"appendonly", aof}, {"appendfsync", policy},
		{"auto-aof-rewrite-percentage", "0"}}); err != nil {
		panic(err)
	}
	return cfg
}

// openDisk loads m's disk into its empty engine and starts persisting, as node.New does.
func (w *World) openDisk(m *member, cfg *config.Config) {
	m.e.SetConflictLog(false)
	p, err := persist.Open(m.e, cfg, slog.New(w.logs), persist.Options{
		FS:  m.disk,
		Now: w.wall,
		Fatal: func(msg string, err error) {
			w.failf("member %d: persistence: %s: %v", m.id, msg, err)
		},
	})
	m.e.SetConflictLog(true)
	if err != nil {
		w.failf("member %d: loading its disk: %v", m.id, err)
		return
	}
	m.p = p
}

// powerLoss is m's disk at a crash: what was not fsynced is lost. Sometimes a prefix of the
// unsynced tail of a file reached the disk anyway (the page cache wrote it back before the
// power went), cut anywhere: inside a record, which loading must cut off.
func (w *World) powerLoss(m *member) {
	names, _ := m.disk.List(m.dir)
	live := map[string][]byte{}
	for _, n := range names {
		live[n] = m.disk.Bytes(filepath.Join(m.dir, n))
	}
	m.disk.PowerLoss()
	if w.drng.IntN(2) == 0 {
		return
	}
	after, _ := m.disk.List(m.dir)
	for _, n := range after {
		path := filepath.Join(m.dir, n)
		was, kept := live[n], m.disk.Bytes(path)
		if len(was) <= len(kept) || string(was[:len(kept)]) != string(kept) {
			continue
		}
		k := len(kept) + w.drng.IntN(len(was)-len(kept)+1)
		if k > len(kept) {
			m.disk.SetBytes(path, was[:k])
			w.Stats.TornTails++
			w.tracef("member %d: %d of %d unsynced bytes of %s reached the disk", m.id, k-len(kept), len(was)-len(kept), n)
		}
	}
}

// readOnlyFS lets the simulator look at a disk with persist's load code without changing it
// (loading cuts a torn tail off the file).
type readOnlyFS struct{ persist.FS }

var errReadOnly = errors.New("sim: read-only look at a disk")

func (readOnlyFS) Truncate(string, int64) error        { return nil }
func (readOnlyFS) Append(string) (persist.File, error) { return nil, errReadOnly }
func (readOnlyFS) Create(string) (persist.File, error) { return nil, errReadOnly }
func (readOnlyFS) Rename(string, string) error         { return errReadOnly }
func (readOnlyFS) Remove(string) error                 { return errReadOnly }
func (readOnlyFS) SyncDir(string) error                { return errReadOnly }

// onDisk is the vector clock of what m's disk holds: what a restart will load (the effects
// that survive the crash on m).
func (w *World) onDisk(m *member) clock.Vector {
	if m.policy == "off" {
		return clock.Vector{}
	}
	clk := &clock.Manual{Millis: epoch + w.now + m.skew}
	e := engine.New(engine.Config{Member: m.id, Databases: 16, Clock: clk, Seed: 1, KeepTombstones: true})
	cfg := memberConfig(m.policy, true)
	if _, err := persist.Open(e, cfg, slog.New(w.logs), persist.Options{FS: readOnlyFS{m.disk}, Now: w.wall}); err != nil {
		w.failf("member %d: its disk does not load after the crash: %v", m.id, err)
		return clock.Vector{}
	}
	return e.Vector()
}

// persistTick is the persister's periodic work (node's persistence loop) at a simulated 100 ms.
func (w *World) persistTick(m *member) {
	if m.p == nil {
		return
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				w.failf("member %d: panic in persistence Tick: %v", m.id, r)
			}
		}()
		m.p.Tick()
	}()
	w.checkNoJob(m)
}

// checkNoJob fails the run if a background job (a goroutine) started: the stepped path must
// stay deterministic.
func (w *World) checkNoJob(m *member) {
	m.e.Lock()
	info := m.p.Info()
	m.e.Unlock()
	for _, kv := range info {
		if (kv[0] == "rdb_bgsave_in_progress" || kv[0] == "aof_rewrite_in_progress") && kv[1] != "0" {
			w.failf("member %d: a background persistence job started (%s)", m.id, kv[0])
		}
	}
}

// snapshot takes a snapshot of m at a quiet step, now and then: SAVE (the append-only file
// goes on; loading drops the batches the snapshot covers) or a foreground rewrite (a new
// generation, older ones removed).
func (w *World) snapshot(m *member) {
	if m.p == nil || m.policy == "off" {
		return
	}
	rewrite := w.drng.IntN(2) == 0
	var err error
	w.locked(m, "snapshot", func() {
		if rewrite {
			err = m.p.RewriteNow()
		} else {
			err = m.p.Save()
		}
	})
	if err != nil {
		w.failf("member %d: snapshot (rewrite %v): %v", m.id, rewrite, err)
		return
	}
	w.Stats.Snapshots++
	w.tracef("member %d: snapshot (rewrite %v)", m.id, rewrite)
}

// describeDisk is a trace line about what m's disk holds.
func describeDisk(m *member, v clock.Vector) string {
	return fmt.Sprintf("member %d (appendfsync %s): disk holds %v", m.id, m.policy, v)
}
