package persist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// Options are what tests change; the zero value is the real thing.
type Options struct {
	FS FS // nil: the operating system's
	// Fatal is called when the member cannot go on without acknowledging a write that is not
	// durable (appendfsync always and a failed write or fsync). nil: log and exit(1).
	Fatal func(msg string, err error)
	// Now is the wall clock (nil: time.Now).
	Now func() time.Time
}

// Replies and errors of the persistence commands, as Redis 7.0 words them.
var (
	ErrSaveInProgress    = errors.New("ERR Background save already in progress")
	ErrRewriteInProgress = errors.New("ERR Background append only file rewriting already in progress")
	ErrChildActive       = errors.New("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
	ErrRewriteFailed     = errors.New("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
	ErrSaveFailed        = errors.New("ERR")
	errMisconfRDB        = errors.New("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.")
)

const (
	jobNone = iota
	jobSave
	jobRewrite
)

// bgsaveRetryDelay is CONFIG_BGSAVE_RETRY_DELAY: after a failed background save, the save
// schedule waits this long before trying again.
const bgsaveRetryDelay = 5 * time.Second

// Persister keeps one member's data on disk: the append-only file of every applied batch and
// the snapshots. Methods documented "engine lock" are called with the engine lock held.
type Persister struct {
	e     *engine.Engine
	cfg   *config.Config
	fs    FS
	log   *slog.Logger
	now   func() time.Time
	fatal func(msg string, err error)
	// aofp is the append-only file's writer, nil when appendonly is no. It changes only under the
	// engine lock (CONFIG SET appendonly); WaitDurable reads it without.
	aofp atomic.Pointer[aofWriter]

	dirty     atomic.Int64 // changes since the last successful save
	fullSyncs uint64       // engine.Stats.FullSyncs last seen (engine lock)
	bgFailed  atomic.Bool  // the last background save failed
	// shutdown is set by SHUTDOWN, which decided about saving: Close does not save again.
	shutdown atomic.Bool

	mu                                sync.Mutex // the fields below; taken after the engine lock
	job                               int
	jobStart                          time.Time
	jobDone                           chan struct{}
	bgsaveScheduled, rewriteScheduled bool
	lastSave, lastBgTry               time.Time
	lastBgSecs, lastRewriteSecs       int64
	rdbSaves, rewrites, rewriteFails  int64
	rewriteFailed                     bool
	loadedKeys, loadedBatches         int
	// aofBase is the append-only file's size after the last rewrite (or at start), from which
	// auto-aof-rewrite-percentage measures growth; rewritten is set when a rewrite finished
	// and the sizes must be taken again (under the engine lock, by Tick).
	aofBase      int64
	rewritten    bool
	lastSyncTick time.Time

	dur durability // the durable vector clock (durable.go)
}

// Open loads the member's files into e (which must be empty and have no sinks yet) and, when
// appendonly is yes, starts appending every batch e applies from now on. Files live in the
// configured dir: the snapshot is dbfilename, the append-only generations appendfilename.N.
func Open(e *engine.Engine, cfg *config.Config, log *slog.Logger, opts Options) (*Persister, error) {
	p := &Persister{e: e, cfg: cfg, fs: opts.FS, log: log, now: opts.Now, fatal: opts.Fatal,
		lastBgSecs: -1, lastRewriteSecs: -1}
	if p.fs == nil {
		p.fs = OSFS{}
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.fatal == nil {
		p.fatal = func(msg string, err error) {
			log.Error(msg+": exiting", "err", err)
			os.Exit(1)
		}
	}
	dir, base := cfg.String("dir"), cfg.String("appendfilename")
	names, err := p.fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	// Append-only generations are loaded even when appendonly is no (unlike Redis): they are this
	// member's own history, and starting without batches they hold would reuse their sequence
	// numbers, which peers that applied them would drop as duplicates.
	gens := aofGenerations(names, base)
	aofOn := cfg.Bool("appendonly")
	if !aofOn && len(gens) > 0 {
		log.Warn("appendonly is no but append-only files exist: they are loaded, not appended to",
			"dir", dir, "generations", len(gens))
	}
	start := p.now()
	e.Lock()
	res, err := load(e, p.fs, p.snapPath(), dir, base, gens, log)
	// Loading is not traffic: counters start from zero, as after Redis loads its files.
	e.Stats = engine.Stats{GCPending: e.Stats.GCPending}
	e.Unlock()
	if err != nil {
		return nil, err
	}
	if res.snapshotKeys > 0 || res.batches > 0 {
		log.Info("data loaded from disk", "keys_from_snapshot", res.snapshotKeys,
			"batches_from_aof", res.batches, "seconds", p.now().Sub(start).Seconds())
	}
	p.loadedKeys, p.loadedBatches = res.snapshotKeys, res.batches
	p.lastSave = p.now()
	// What was loaded is on disk; with the append-only file on, whatever comes next will be.
	if loaded := e.Vector(); aofOn || !zeroVector(loaded) {
		p.dur.advance(loaded)
	}
	if aofOn {
		a := &aofWriter{fs: p.fs, dir: dir, base: base, fatal: p.fatal, dur: &p.dur}
		a.policy.Store(fsyncPolicy(cfg.String("appendfsync")))
		if res.lastGen > 0 && res.lastGenSize >= aofHeaderLen {
			path := join(dir, aofName(base, res.lastGen))
			f, err := p.fs.Append(path)
			if err != nil {
				return nil, fmt.Errorf("open %s: %w", path, err)
			}
			a.setFile(f, res.lastGen, res.lastGenSize)
			a.older = res.aofBytes - res.lastGenSize
		} else {
			gen := max(res.lastGen, 1)
			f, err := a.create(gen)
			if err != nil {
				return nil, err
			}
			a.setFile(f, gen, aofHeaderLen)
		}
		p.aofp.Store(a)
		p.aofBase = a.older + a.size.Load()
	}
	cfg.OnChange(func(name, value string) {
		if a := p.aof(); a != nil && name == "appendfsync" {
			a.policy.Store(fsyncPolicy(value))
		}
	})
	cfg.OnApply("appendonly", p.setAppendOnly)
	e.AddSink(p.sink)
	return p, nil
}

// setAppendOnly applies CONFIG SET appendonly (engine lock: CONFIG SET is a command). Turning it
// on starts a new generation and a rewrite, whose snapshot covers everything before it (as Redis
// starts with a rewrite); turning it off writes out, fsyncs and closes the file.
func (p *Persister) setAppendOnly(v string) error {
	on := v == "yes"
	if cur := p.aof(); !on && cur != nil {
		p.waitJobLocked()
		err := cur.close()
		p.aofp.Store(nil)
		p.dur.dropMarks()
		if err != nil {
			p.log.Error("closing the append-only file", "err", err)
		}
		return nil
	} else if !on || cur != nil {
		return nil
	}
	p.waitJobLocked()
	dir, base := p.cfg.String("dir"), p.cfg.String("appendfilename")
	names, err := p.fs.List(dir)
	if err != nil {
		p.log.Error("cannot turn on the append-only file", "err", err)
		return errors.New("Unable to turn on AOF. Check server logs.")
	}
	var gen uint64 = 1
	if gens := aofGenerations(names, base); len(gens) > 0 {
		gen = gens[len(gens)-1] + 1
	}
	a := &aofWriter{fs: p.fs, dir: dir, base: base, fatal: p.fatal, dur: &p.dur}
	a.policy.Store(fsyncPolicy(p.cfg.String("appendfsync")))
	f, err := a.create(gen)
	if err != nil {
		p.log.Error("cannot turn on the append-only file", "err", err)
		return errors.New("Unable to turn on AOF. Check server logs.")
	}
	a.setFile(f, gen, aofHeaderLen)
	p.aofp.Store(a)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startJob(jobRewrite)
	return nil
}

func (p *Persister) snapPath() string {
	return join(p.cfg.String("dir"), p.cfg.String("dbfilename"))
}

// changes is how much a batch adds to rdb_changes_since_last_save: one per element written,
// the way Redis counts each member SADD adds.
func changes(b *effect.Effect) int64 {
	var n int64
	for i := range b.Ops {
		n += int64(max(1, len(b.Ops[i].Elems)))
	}
	return n
}

// sink receives every applied batch (engine lock). Its record is written before the engine
// lock is released, except with appendfsync always while an fsync round runs: that round writes
// it, outside the engine lock, with every other record appended meanwhile (aofWriter.append).
func (p *Persister) sink(b *effect.Effect) {
	p.dirty.Add(changes(b))
	if fs := p.e.Stats.FullSyncs; fs != p.fullSyncs {
		p.fullSyncs = fs
		p.afterFullSync()
	}
	if a := p.aof(); a != nil {
		pos := a.append(b)
		// The mark is the position after the batch's record: it becomes durable only once an
		// fsync covers that position, whenever the record is written.
		if a.file != nil {
			p.dur.written(pos, p.e.Vector())
		}
	}
}

// afterFullSync runs when the engine merged a peer's whole state (engine lock). A merge is not
// an effect stream, so the append-only file alone no longer describes the data: a snapshot is
// written at once (and the append-only file restarted after it) before anything later is
// appended.
func (p *Persister) afterFullSync() {
	p.waitJobLocked()
	if p.aof() == nil && len(parseSavePoints(p.cfg.String("save"))) == 0 {
		return
	}
	if err := p.rewriteNow(); err != nil {
		p.dur.breakMerge()
		p.log.Error("cannot write the snapshot after a full resync", "err", err)
	}
}

// waitJobLocked is waitJob for a caller holding the engine lock: the job's export, which takes
// the lock in slices, is completed first (engine.CompleteExport), so that the job can finish.
func (p *Persister) waitJobLocked() {
	p.e.CompleteExport()
	p.waitJob()
}

// waitJob waits for the background job, if any, to finish. Called without the engine lock
// (holding it, use waitJobLocked).
func (p *Persister) waitJob() {
	p.mu.Lock()
	done := p.jobDone
	p.mu.Unlock()
	if done != nil {
		<-done
	}
}

// rewriteNow snapshots and restarts the append-only file in the foreground (engine lock).
func (p *Persister) rewriteNow() error {
	epoch := p.dur.currentEpoch()
	vc, state := p.e.ExportState()
	var keepFrom uint64
	a := p.aof()
	if a != nil {
		if err := a.rotate(); err != nil {
			return err
		}
		keepFrom = a.gen
	}
	err := writeSnapshot(p.fs, p.snapPath(), [][]byte{state}, p.now().UnixMilli())
	if err == nil {
		p.dur.snapshotDone(vc, epoch)
	}
	if err == nil && keepFrom > 0 {
		err = p.removeGensBefore(a.dir, a.base, keepFrom)
	}
	return err
}

// WaitDurable returns once everything appended so far is on disk when appendfsync is always;
// it is called after the engine lock is released and before replies are sent, so one write and
// one fsync cover every client that wrote meanwhile.
func (p *Persister) WaitDurable() {
	if a := p.aof(); a != nil {
		a.waitDurable()
	}
}

// WriteDenied is the MISCONF error write commands get while the data cannot be persisted
// (engine lock): the last background save failed (stop-writes-on-bgsave-error) or the last
// write or fsync of the append-only file failed.
func (p *Persister) WriteDenied() error {
	if p.bgFailed.Load() && p.cfg.Bool("stop-writes-on-bgsave-error") &&
		len(parseSavePoints(p.cfg.String("save"))) > 0 {
		return errMisconfRDB
	}
	if a := p.aof(); a != nil {
		if err := a.lastWriteErr(); err != nil {
			return fmt.Errorf("MISCONF Errors writing to the AOF file: %v", err)
		}
		if e := a.syncErr.Load(); e != nil {
			return fmt.Errorf("MISCONF Errors writing to the AOF file: %v", *e)
		}
	}
	return nil
}

// LastSave is the Unix time of the last successful save (LASTSAVE).
func (p *Persister) LastSave() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastSave.Unix()
}

// Save writes a snapshot in the foreground (SAVE; engine lock).
func (p *Persister) Save() error {
	p.mu.Lock()
	busy := p.job != jobNone
	p.mu.Unlock()
	if busy {
		return ErrSaveInProgress
	}
	epoch := p.dur.currentEpoch()
	vc, state := p.e.ExportState()
	dirty := p.dirty.Load()
	if err := writeSnapshot(p.fs, p.snapPath(), [][]byte{state}, p.now().UnixMilli()); err != nil {
		p.log.Error("snapshot failed", "err", err)
		return ErrSaveFailed
	}
	p.dur.snapshotDone(vc, epoch)
	p.dirty.Add(-dirty)
	p.mu.Lock()
	p.lastSave = p.now()
	p.rdbSaves++
	p.mu.Unlock()
	p.bgFailed.Store(false)
	p.log.Info("DB saved on disk", "file", p.snapPath())
	return nil
}

// BGSave starts a background snapshot (BGSAVE [SCHEDULE]; engine lock) and returns the status
// reply.
func (p *Persister) BGSave(schedule bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.job {
	case jobSave:
		return "", ErrSaveInProgress
	case jobRewrite:
		if schedule {
			p.bgsaveScheduled = true
			return "Background saving scheduled", nil
		}
		return "", ErrChildActive
	}
	p.startJob(jobSave)
	return "Background saving started", nil
}

// BGRewriteAOF starts a snapshot after which the append-only file restarts empty
// (BGREWRITEAOF; engine lock).
func (p *Persister) BGRewriteAOF() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.job {
	case jobRewrite:
		return "", ErrRewriteInProgress
	case jobSave:
		p.rewriteScheduled = true
		return "Background append only file rewriting scheduled", nil
	}
	if !p.startJob(jobRewrite) {
		return "", ErrRewriteFailed
	}
	return "Background append only file rewriting started", nil
}

// startJob exports the state and writes it in a goroutine (engine lock and p.mu held). For a
// rewrite, the append-only file moves to a new generation in the same critical section, so the
// new generation holds exactly the batches after the snapshot; the older generations are removed
// once the snapshot is durable. A crash at any step leaves files that load to everything.
func (p *Persister) startJob(kind int) bool {
	now := p.now()
	if kind == jobSave {
		p.lastBgTry = now
	}
	// The export is taken here, as of now, and encoded by the goroutine below, which holds the
	// engine lock only in short slices while writers preserve the keys they change first
	// (engine/export.go). ExportState, which holds the lock throughout, only when another
	// export is running (a peer's full resync).
	var state [][]byte
	var vc clock.Vector
	epoch := p.dur.currentEpoch()
	x := p.e.StartExport()
	if x == nil {
		exportStart := time.Now()
		var s []byte
		vc, s = p.e.ExportState()
		state = [][]byte{s}
		p.log.Info("state exported for a snapshot under the lock", "bytes", len(s), "ms", time.Since(exportStart).Milliseconds())
	}
	var keepFrom uint64
	var dir, base string
	if a := p.aof(); kind == jobRewrite && a != nil {
		dir, base = a.dir, a.base
		if err := a.rotate(); err != nil {
			if x != nil {
				x.AbortLocked()
			}
			p.log.Error("cannot start an append-only file rewrite", "err", err)
			p.rewriteFailed = true
			p.rewriteFails++
			return false
		}
		keepFrom = a.gen
	}
	dirty := p.dirty.Load()
	path := p.snapPath()
	done := make(chan struct{})
	p.job, p.jobStart, p.jobDone = kind, now, done
	go func() {
		defer close(done)
		if x != nil {
			start := time.Now()
			vc, state = x.FinishChunks()
			n := 0
			for _, c := range state {
				n += len(c)
			}
			p.log.Info("state exported for a snapshot", "bytes", n, "ms", time.Since(start).Milliseconds(),
				"lock_slices", x.Slices, "longest_lock_hold_ms", x.MaxHold.Milliseconds())
		}
		err := writeSnapshot(p.fs, path, state, now.UnixMilli())
		if err == nil {
			p.dur.snapshotDone(vc, epoch)
		}
		if err == nil && keepFrom > 0 {
			err = p.removeGensBefore(dir, base, keepFrom)
		}
		p.finishJob(kind, now, dirty, err)
	}()
	return true
}

func (p *Persister) finishJob(kind int, started time.Time, dirty int64, err error) {
	end := p.now()
	secs := int64(end.Sub(started).Seconds())
	p.mu.Lock()
	defer p.mu.Unlock()
	p.job, p.jobDone = jobNone, nil
	if err != nil {
		if kind == jobSave {
			p.bgFailed.Store(true)
			p.log.Error("background saving error", "err", err)
		} else {
			p.rewriteFailed = true
			p.rewriteFails++
			p.log.Error("background append-only file rewrite failed", "err", err)
		}
		return
	}
	// A snapshot covers everything up to when it was taken, whichever command made it.
	p.dirty.Add(-dirty)
	p.lastSave = end
	p.bgFailed.Store(false)
	if kind == jobSave {
		p.lastBgSecs = secs
		p.rdbSaves++
		p.log.Info("background saving terminated with success", "file", p.snapPath())
	} else {
		p.lastRewriteSecs = secs
		p.rewriteFailed = false
		p.rewrites++
		p.rewriteFails = 0
		p.rewritten = true
		p.log.Info("background append-only file rewrite terminated with success")
	}
}

// removeGensBefore removes the append-only generations older than gen (covered by a durable
// snapshot).
func (p *Persister) removeGensBefore(dir, base string, gen uint64) error {
	names, err := p.fs.List(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, g := range aofGenerations(names, base) {
		if g < gen {
			if err := p.fs.Remove(join(dir, aofName(base, g))); err != nil {
				return err
			}
			removed = true
		}
	}
	if removed {
		return p.fs.SyncDir(dir)
	}
	return nil
}

// ShutdownSave is SHUTDOWN's saving part (engine lock): a snapshot when save points are
// configured (or SAVE is given) unless NOSAVE, and the append-only file written out and
// fsynced. The error means the member must not stop.
func (p *Persister) ShutdownSave(save, nosave bool) (err error) {
	defer func() { p.shutdown.Store(err == nil) }()
	p.waitJobLocked()
	if !nosave && (save || len(parseSavePoints(p.cfg.String("save"))) > 0) {
		if err := p.Save(); err != nil {
			return err
		}
	}
	if p.aof() != nil {
		p.aof().flush()
		if err := p.aof().sync(); err != nil {
			return err
		}
	}
	return nil
}

// Run does the periodic work until ctx ends: everysec fsyncs, retries of failed writes,
// scheduled rewrites and saves, and the save points.
func (p *Persister) Run(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.Tick()
		}
	}
}

// Tick does one round of the periodic work (not under the engine lock).
func (p *Persister) Tick() {
	now := p.now()
	// With appendfsync no, and with always for the batches received from peers (only client
	// writes wait for an fsync), what was written is still fsynced once a second when some of
	// it waits for one, in this background loop, never making a client wait: tombstone
	// collection waits until what this member applied is on its disk (durable.go), which
	// without fsyncs it never would be.
	if a := p.aof(); a != nil && (a.policy.Load() == fsyncEverysec || p.dur.waiting()) &&
		now.Sub(p.lastSyncTick) >= time.Second {
		p.lastSyncTick = now
		if err := a.sync(); err != nil {
			p.log.Error("append-only file fsync failed", "err", err)
		}
	}
	p.e.Lock()
	defer p.e.Unlock()
	if a := p.aof(); a != nil && a.hasPending() {
		a.flush()
	}
	if fs := p.e.Stats.FullSyncs; fs != p.fullSyncs {
		p.fullSyncs = fs
		p.afterFullSync()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.job != jobNone {
		return
	}
	switch {
	case p.rewriteScheduled:
		p.rewriteScheduled = false
		p.startJob(jobRewrite)
		return
	case p.bgsaveScheduled:
		p.bgsaveScheduled = false
		p.startJob(jobSave)
		return
	}
	if a := p.aof(); a != nil {
		if p.rewritten { // the generations before the rewrite's are gone
			p.rewritten = false
			a.older = 0
			p.aofBase = a.size.Load()
		}
		// auto-aof-rewrite-percentage and -min-size, as Redis: rewrite when the file grew past
		// the minimum and by that percentage since the last rewrite.
		pct, minSize := p.cfg.Int("auto-aof-rewrite-percentage"), p.cfg.Int("auto-aof-rewrite-min-size")
		total, base := a.older+a.size.Load(), max(p.aofBase, 1)
		if pct > 0 && total > minSize && (total-base)*100/base >= pct {
			p.log.Info("starting an automatic append-only file rewrite", "size", total, "base", base, "growth_pct", (total-base)*100/base)
			p.startJob(jobRewrite)
			return
		}
	}
	dirty := p.dirty.Load()
	for _, sp := range parseSavePoints(p.cfg.String("save")) {
		if dirty >= sp.changes && now.Sub(p.lastSave) > time.Duration(sp.seconds)*time.Second &&
			(now.Sub(p.lastBgTry) > bgsaveRetryDelay || !p.bgFailed.Load()) {
			p.log.Info("saving: save point reached", "changes", sp.changes, "seconds", sp.seconds)
			p.startJob(jobSave)
			return
		}
	}
}

// Close waits for a background job, optionally saves (a member stopped by a signal saves when
// save points are configured, as Redis does), then writes out, fsyncs and closes the
// append-only file. Not under the engine lock.
func (p *Persister) Close(finalSave bool) error {
	p.waitJob()
	p.e.Lock()
	defer p.e.Unlock()
	var err error
	if finalSave && !p.shutdown.Load() && p.dirty.Load() > 0 && len(parseSavePoints(p.cfg.String("save"))) > 0 {
		err = p.Save()
	}
	if p.aof() != nil {
		if cerr := p.aof().close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Info returns INFO persistence's fields in Redis 7.0's order (engine lock).
func (p *Persister) Info() [][2]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	status := func(failed bool) string {
		if failed {
			return "err"
		}
		return "ok"
	}
	cur := func(kind int) string {
		if p.job == kind {
			return i(int64(now.Sub(p.jobStart).Seconds()))
		}
		return "-1"
	}
	out := [][2]string{
		{"loading", "0"}, {"async_loading", "0"},
		{"current_cow_peak", "0"}, {"current_cow_size", "0"}, {"current_cow_size_age", "0"},
		{"current_fork_perc", "0.00"},
		{"current_save_keys_processed", "0"}, {"current_save_keys_total", "0"},
		{"rdb_changes_since_last_save", i(p.dirty.Load())},
		{"rdb_bgsave_in_progress", b(p.job == jobSave)},
		{"rdb_last_save_time", i(p.lastSave.Unix())},
		{"rdb_last_bgsave_status", status(p.bgFailed.Load())},
		{"rdb_last_bgsave_time_sec", i(p.lastBgSecs)},
		{"rdb_current_bgsave_time_sec", cur(jobSave)},
		{"rdb_saves", i(p.rdbSaves)},
		{"rdb_last_cow_size", "0"},
		{"rdb_last_load_keys_expired", "0"},
		{"rdb_last_load_keys_loaded", i(int64(p.loadedKeys))},
		{"aof_enabled", b(p.aof() != nil)},
		{"aof_rewrite_in_progress", b(p.job == jobRewrite)},
		{"aof_rewrite_scheduled", b(p.rewriteScheduled)},
		{"aof_last_rewrite_time_sec", i(p.lastRewriteSecs)},
		{"aof_current_rewrite_time_sec", cur(jobRewrite)},
		{"aof_last_bgrewrite_status", status(p.rewriteFailed)},
		{"aof_rewrites", i(p.rewrites)},
		{"aof_rewrites_consecutive_failures", i(p.rewriteFails)},
	}
	writeOK := true
	if a := p.aof(); a != nil {
		writeOK = a.lastWriteErr() == nil && a.syncErr.Load() == nil
	}
	out = append(out, [2]string{"aof_last_write_status", status(!writeOK)},
		[2]string{"aof_last_cow_size", "0"}, [2]string{"module_fork_in_progress", "0"},
		[2]string{"module_fork_last_cow_size", "0"})
	if a := p.aof(); a != nil {
		out = append(out,
			[2]string{"aof_current_size", i(a.older + a.size.Load())},
			[2]string{"aof_base_size", i(p.aofBase)},
			[2]string{"aof_pending_rewrite", b(p.rewriteScheduled)},
			[2]string{"aof_buffer_length", i(int64(a.pendingLen()))},
			[2]string{"aof_pending_bio_fsync", "0"},
			[2]string{"aof_delayed_fsync", "0"})
	}
	return out
}

// aof is the append-only file's writer, nil when appendonly is no.
func (p *Persister) aof() *aofWriter { return p.aofp.Load() }
