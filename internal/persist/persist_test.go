package persist

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/engine"
)

const t0 = 1704067200000

// A member restarted after kill -9 (no Close) has its whole state back, bit for bit, with
// every fsync policy; with always, even after a power loss.
func TestRestartAfterKill(t *testing.T) {
	for _, policy := range []string{"always", "everysec", "no"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			fs := NewFaultFS()
			cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", policy)
			m := mustStart(t, fs, cfg, t0)
			m.run(workload)
			want, digest := m.state(), m.digest()
			// kill -9: nothing is closed; the page cache (FaultFS live content) survives.
			m2 := mustStart(t, fs, cfg, t0+1000)
			if got := m2.state(); !bytes.Equal(got, want) {
				t.Fatalf("state after restart differs (%d vs %d bytes)", len(got), len(want))
			}
			if d := m2.digest(); d != digest {
				t.Fatalf("digest %q, want %q", d, digest)
			}
			if policy == "always" {
				fs.PowerLoss()
				m3 := mustStart(t, fs, cfg, t0+2000)
				if d := m3.digest(); d != digest {
					t.Fatalf("after power loss: digest %q, want %q", d, digest)
				}
			}
		})
	}
}

// After a restart the member never reuses a sequence number nor goes back in time, even when
// its clock is behind the files (loaded from a snapshot and from the AOF).
func TestRestartRestoresSequenceAndClock(t *testing.T) {
	for _, viaSnapshot := range []bool{false, true} {
		t.Run(fmt.Sprint("snapshot=", viaSnapshot), func(t *testing.T) {
			dir := t.TempDir()
			fs := NewFaultFS()
			cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
			m := mustStart(t, fs, cfg, t0)
			m.run(workload)
			if viaSnapshot {
				m.run([][]string{{"SAVE"}, {"BGREWRITEAOF"}})
				m.p.waitJob()
			}
			seq, last := m.e.Seq(), m.e.Vector()
			m.e.Lock()
			m.e.Emit(setOp("probe"))
			hlc := m.e.Stamp().HLC
			m.e.Unlock()
			m2 := mustStart(t, fs, cfg, t0-60_000) // the clock went back a minute
			if m2.e.Seq() != seq+1 || !m2.e.Vector().Equal(last.Set(1, seq+1)) {
				t.Fatalf("seq %d vector %v, want %d", m2.e.Seq(), m2.e.Vector(), seq+1)
			}
			m2.e.Lock()
			m2.e.Emit(setOp("after"))
			st := m2.e.Stamp()
			m2.e.Unlock()
			if st.HLC <= hlc || m2.e.Seq() != seq+2 {
				t.Fatalf("after restart: hlc %v (before %v), seq %d", st.HLC, hlc, m2.e.Seq())
			}
		})
	}
}

// A crash at every step of a snapshot (BGSAVE) and of a rewrite (BGREWRITEAOF), followed by a
// power loss, restarts with everything acknowledged before it.
func TestCrashAtEveryStep(t *testing.T) {
	for _, cmd := range []string{"BGSAVE", "BGREWRITEAOF", "SAVE"} {
		t.Run(cmd, func(t *testing.T) {
			for k := 0; ; k++ {
				dir := t.TempDir()
				fs := NewFaultFS()
				cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
				m := mustStart(t, fs, cfg, t0)
				m.run(workload[:12])
				m.run([][]string{{"BGREWRITEAOF"}}) // an earlier generation and snapshot exist
				m.p.waitJob()
				m.run(workload[12:])
				digest := m.digest()
				fs.CrashAt = fs.Ops() + k + 1
				m.do(cmd)
				m.p.waitJob()
				crashed := fs.Ops() >= fs.CrashAt
				fs.PowerLoss()
				m2, err := start(t, fs, cfg, t0+1000)
				if err != nil {
					t.Fatalf("crash at step %d: restart failed: %v", k, err)
				}
				if d := m2.digest(); d != digest {
					t.Fatalf("crash at step %d: digest %q, want %q", k, d, digest)
				}
				// The restarted member goes on writing and restarts again.
				m2.run([][]string{{"SET", "later", "1"}})
				digest2 := m2.digest()
				fs.PowerLoss()
				if d := mustStart(t, fs, cfg, t0+2000).digest(); d != digest2 {
					t.Fatalf("crash at step %d, second restart: digest %q, want %q", k, d, digest2)
				}
				if !crashed {
					t.Logf("%s: %d crash points", cmd, k)
					if k < 3 {
						t.Fatalf("%s finished after %d steps: the crash points were not exercised", cmd, k)
					}
					return
				}
			}
		})
	}
}

// A crash in the middle of an append leaves a torn last record: it is cut off with a warning
// and the member starts with everything before it.
func TestTruncatedTail(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
	m := mustStart(t, fs, cfg, t0)
	m.run(workload)
	digest := m.digest()
	fs.CrashAt = fs.Ops() + 1 // the next write is torn
	m.do("SET", "torn", "never acknowledged")
	if m.fatals.count() == 0 {
		t.Fatal("a failed write with appendfsync always did not stop the member")
	}
	fs.Restart()
	path := dir + "/appendonly.aof.1"
	before := len(fs.Bytes(path))
	m2 := mustStart(t, fs, cfg, t0+1000)
	if d := m2.digest(); d != digest {
		t.Fatalf("digest %q, want %q", d, digest)
	}
	if after := len(fs.Bytes(path)); after >= before {
		t.Fatalf("torn record not cut: %d bytes, before %d", after, before)
	}
	if r := CheckAOF(fs.Bytes(path)); r.Problem != nil {
		t.Fatalf("after the restart the file is not clean: %v", r.Problem)
	}
}

// A corrupt record in the middle stops the start with an error that names the file, the offset
// and check-aof; nothing is silently dropped.
func TestCorruptMiddle(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "yes")
	m := mustStart(t, fs, cfg, t0)
	m.run(workload)
	path := dir + "/appendonly.aof.1"
	data := fs.Bytes(path)
	var offs []int64
	if _, err := ScanAOF(data, func(off int64, _ []byte) error { offs = append(offs, off); return nil }); err != nil {
		t.Fatal(err)
	}
	bad := offs[len(offs)/2]
	data[bad+frameLen+2] ^= 0x40
	fs.SetBytes(path, data)
	_, err := start(t, fs, cfg, t0)
	if err == nil {
		t.Fatal("a corrupt AOF loaded")
	}
	for _, want := range []string{path, fmt.Sprintf("offset %d", bad), "concord check-aof --fix " + path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	res := CheckAOF(data)
	if res.Good != bad || res.Records != len(offs)/2 || !errors.Is(res.Problem, ErrCorruptAOF) {
		t.Fatalf("CheckAOF: %+v", res)
	}
}

// With always, a failed fsync stops the member before the reply (the write is applied and
// cannot be acknowledged); with everysec, a failed write makes writes refused with MISCONF until
// a retry succeeds, and nothing acknowledged is lost.
func TestWriteFaults(t *testing.T) {
	t.Run("always fsync", func(t *testing.T) {
		dir := t.TempDir()
		fs := NewFaultFS()
		cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
		m := mustStart(t, fs, cfg, t0)
		m.run(workload)
		digest := m.digest()
		fs.FailSyncs = 1
		m.do("SET", "unacked", "1")
		if m.fatals.count() != 1 {
			t.Fatalf("fatal called %d times, want 1", m.fatals.count())
		}
		fs.PowerLoss()
		if d := mustStart(t, fs, cfg, t0).digest(); d != digest {
			t.Fatalf("digest %q, want %q", d, digest)
		}
	})
	t.Run("everysec short write", func(t *testing.T) {
		dir := t.TempDir()
		fs := NewFaultFS()
		cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "everysec")
		m := mustStart(t, fs, cfg, t0)
		m.run(workload)
		fs.ShortWrites = 1
		if r := m.do("SET", "k", "v"); r != "+OK\r\n" {
			t.Fatalf("SET: %q", r)
		}
		if r := m.do("SET", "k2", "v"); !strings.HasPrefix(r, "-MISCONF Errors writing to the AOF file: ") {
			t.Fatalf("write while the AOF is failing: %q", r)
		}
		if r := m.do("PING"); !strings.HasPrefix(r, "-MISCONF") { // as Redis
			t.Fatalf("PING while the AOF is failing: %q", r)
		}
		if r := m.do("GET", "k"); r != "$1\r\nv\r\n" {
			t.Fatalf("read while the AOF is failing: %q", r)
		}
		if info := m.do("INFO", "persistence"); !strings.Contains(info, "aof_last_write_status:err") {
			t.Fatalf("INFO: %s", info)
		}
		m.p.Tick() // retries the write
		if r := m.do("SET", "k2", "v"); r != "+OK\r\n" {
			t.Fatalf("SET after the retry: %q", r)
		}
		digest := m.digest()
		if d := mustStart(t, fs, cfg, t0).digest(); d != digest {
			t.Fatalf("digest %q, want %q", d, digest)
		}
	})
	t.Run("bgsave failure", func(t *testing.T) {
		dir := t.TempDir()
		fs := NewFaultFS()
		cfg := testConfig(t, dir, "save", "3600 1")
		m := mustStart(t, fs, cfg, t0)
		m.run(workload[:3])
		fs.FailSyncs = 1
		if r := m.do("BGSAVE"); r != "+Background saving started\r\n" {
			t.Fatal(r)
		}
		m.p.waitJob()
		if r := m.do("SET", "x", "1"); !strings.HasPrefix(r, "-MISCONF Redis is configured to save RDB snapshots") {
			t.Fatalf("write after a failed bgsave: %q", r)
		}
		if r := m.do("SAVE"); r != "+OK\r\n" {
			t.Fatal(r)
		}
		if r := m.do("SET", "x", "1"); r != "+OK\r\n" {
			t.Fatalf("write after a good save: %q", r)
		}
	})
}

// BGSAVE, BGREWRITEAOF, LASTSAVE and INFO persistence as Redis replies them.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "yes")
	m := mustStart(t, fs, cfg, t0)
	m.run(workload)
	if info := m.do("INFO", "persistence"); !strings.Contains(info, "rdb_changes_since_last_save:") ||
		strings.Contains(info, "rdb_changes_since_last_save:0\r") || !strings.Contains(info, "aof_enabled:1") {
		t.Fatalf("INFO: %s", info)
	}
	m.clk.Millis += 5000
	// Hold the job in progress: the snapshot's first fsync waits on the FaultFS lock.
	fs.mu.Lock()
	if r := m.do("BGSAVE"); r != "+Background saving started\r\n" {
		fs.mu.Unlock()
		t.Fatal(r)
	}
	replies := []string{m.do("BGSAVE"), m.do("BGREWRITEAOF"), m.do("INFO", "persistence")}
	fs.mu.Unlock()
	if replies[0] != "-ERR Background save already in progress\r\n" ||
		replies[1] != "+Background append only file rewriting scheduled\r\n" ||
		!strings.Contains(replies[2], "rdb_bgsave_in_progress:1") || !strings.Contains(replies[2], "aof_rewrite_scheduled:1") {
		t.Fatalf("replies during a bgsave: %q", replies)
	}
	m.p.waitJob()
	if r := m.do("LASTSAVE"); r != fmt.Sprintf(":%d\r\n", (t0+5000)/1000) {
		t.Fatalf("LASTSAVE %q", r)
	}
	m.p.Tick() // starts the scheduled rewrite
	m.p.waitJob()
	info := m.do("INFO", "persistence")
	for _, want := range []string{"rdb_changes_since_last_save:0", "rdb_saves:1", "aof_rewrites:1",
		"rdb_last_bgsave_status:ok", "aof_last_bgrewrite_status:ok", "aof_rewrite_in_progress:0"} {
		if !strings.Contains(info, want+"\r\n") {
			t.Errorf("INFO lacks %s:\n%s", want, info)
		}
	}
	names, _ := fs.List(dir)
	if strings.Join(names, " ") != "appendonly.aof.2 dump.rdb" {
		t.Fatalf("files after the rewrite: %q", names)
	}
}

// The save points: "seconds changes" pairs, each met when that many changes happened and that
// much time passed since the last save.
func TestSavePoints(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "save", "100 5 10 1000")
	m := mustStart(t, fs, cfg, t0)
	m.run([][]string{{"SET", "a", "1"}, {"SADD", "s", "1", "2", "3"}})
	m.clk.Millis += 101_000
	m.p.Tick()
	m.p.waitJob()
	if fs.Bytes(dir+"/dump.rdb") != nil {
		t.Fatal("saved after 4 changes; the save point asks for 5")
	}
	m.run([][]string{{"SET", "b", "1"}})
	m.p.Tick()
	m.p.waitJob()
	if fs.Bytes(dir+"/dump.rdb") == nil {
		t.Fatal("not saved after 5 changes and 101 s")
	}
	if r := m.do("INFO", "persistence"); !strings.Contains(r, "rdb_changes_since_last_save:0\r\n") {
		t.Fatal(r)
	}
	m.run([][]string{{"SET", "c", "1"}})
	m.clk.Millis += 11_000
	m.p.Tick()
	m.p.waitJob()
	if r := m.do("INFO", "persistence"); !strings.Contains(r, "rdb_saves:1\r\n") {
		t.Fatalf("saved again too early: %s", r)
	}
	// Without appendonly, the snapshot alone brings the data back.
	digest := m.digest()
	m.run([][]string{{"SAVE"}})
	if d := mustStart(t, fs, cfg, t0).digest(); d != digest {
		t.Fatalf("digest %q, want %q", d, digest)
	}
}

// Group commit: with always, many clients waiting at once share fsyncs.
func TestGroupCommit(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
	m := mustStart(t, fs, cfg, t0)
	a := m.p.aof()
	// Ten writes land before anyone waits: one fsync makes all of them durable.
	m.e.Lock()
	for i := range 10 {
		m.e.Emit(setOp(fmt.Sprint("k", i)))
		m.e.Commit()
	}
	m.e.Unlock()
	ops := fs.Ops()
	done := make(chan struct{})
	for range 10 {
		go func() { m.p.WaitDurable(); done <- struct{}{} }()
	}
	for range 10 {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("WaitDurable hangs")
		}
	}
	if n := fs.Ops() - ops; n != 1 {
		t.Fatalf("%d fsyncs for 10 waiters, want 1", n)
	}
	if a.durable.Load() != a.written.Load() {
		t.Fatal("not durable")
	}
}

// CONFIG SET appendonly yes starts the append-only file with a rewrite (the snapshot covers what
// came before); no closes it.
func TestConfigSetAppendOnly(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "no", "appendfsync", "always")
	m := mustStart(t, fs, cfg, t0)
	m.run(workload[:10])
	if r := m.do("CONFIG", "SET", "appendonly", "yes"); r != "+OK\r\n" {
		t.Fatal(r)
	}
	m.p.waitJob()
	m.run(workload[10:])
	if info := m.do("INFO", "persistence"); !strings.Contains(info, "aof_enabled:1\r\n") {
		t.Fatal(info)
	}
	digest := m.digest()
	cfgOn := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
	fs.PowerLoss()
	if d := mustStart(t, fs, cfgOn, t0).digest(); d != digest {
		t.Fatalf("digest %q, want %q", d, digest)
	}
	if r := m.do("CONFIG", "SET", "appendonly", "no"); r != "+OK\r\n" {
		t.Fatal(r)
	}
	if info := m.do("INFO", "persistence"); !strings.Contains(info, "aof_enabled:0\r\n") {
		t.Fatal(info)
	}
}

// A corrupt length field that points past the end of the file is not mistaken for a torn last
// write when complete records follow it.
func TestCorruptLengthIsNotTruncation(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "yes")
	m := mustStart(t, fs, cfg, t0)
	m.run(workload)
	path := dir + "/appendonly.aof.1"
	data := fs.Bytes(path)
	var offs []int64
	if _, err := ScanAOF(data, func(off int64, _ []byte) error { offs = append(offs, off); return nil }); err != nil {
		t.Fatal(err)
	}
	bad := offs[len(offs)/2]
	data[bad+2] = 0x7f // length now ~8 MB, past the end
	res := CheckAOF(data)
	if !errors.Is(res.Problem, ErrCorruptAOF) || res.Good != bad {
		t.Fatalf("CheckAOF: %+v", res)
	}
	// A real torn tail (a prefix of the last record) is still a truncation.
	torn := fs.Bytes(path)
	torn = torn[:len(torn)-3]
	if res := CheckAOF(torn); !errors.Is(res.Problem, ErrTruncated) || res.Good != offs[len(offs)-1] {
		t.Fatalf("CheckAOF of a torn tail: %+v", res)
	}
}

// A full resync (engine.MergeState) is not an effect stream: the member writes a snapshot and
// restarts its AOF after it, so a crash right after loses nothing it merged.
func TestFullResyncIsPersisted(t *testing.T) {
	peerEngine := engine.New(engine.Config{Member: 2, Databases: 16, Clock: &clock.Manual{Millis: t0 + 5}})
	peerEngine.Lock()
	peerEngine.Emit(setOp("from-peer"))
	peerEngine.Unlock()
	peerEngine.Lock()
	vc, state := peerEngine.ExportState()
	peerEngine.Unlock()

	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
	m := mustStart(t, fs, cfg, t0)
	m.run(workload[:5])
	m.e.Lock()
	if _, err := m.e.MergeState(state, vc); err != nil {
		t.Fatal(err)
	}
	m.e.Unlock()
	m.p.Tick()
	m.run(workload[5:])
	digest := m.digest()
	fs.PowerLoss()
	m2 := mustStart(t, fs, cfg, t0)
	if d := m2.digest(); d != digest {
		t.Fatalf("digest %q, want %q", d, digest)
	}
	if r := m2.do("GET", "from-peer"); r != "$1\r\nv\r\n" {
		t.Fatalf("merged key: %q", r)
	}
}

// auto-aof-rewrite-percentage and auto-aof-rewrite-min-size start a rewrite when the file grew
// past the minimum and by the percentage since the last rewrite.
func TestAutoRewrite(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	cfg := testConfig(t, dir, "appendonly", "yes", "auto-aof-rewrite-min-size", "1000",
		"auto-aof-rewrite-percentage", "100")
	m := mustStart(t, fs, cfg, t0)
	m.p.Tick()
	m.p.waitJob()
	for i := 0; ; i++ {
		m.run([][]string{{"SET", fmt.Sprint("k", i), "0123456789"}})
		m.p.Tick()
		m.p.waitJob()
		if strings.Contains(m.do("INFO", "persistence"), "aof_rewrites:1\r\n") {
			if i < 20 {
				t.Fatalf("rewrote after %d writes, before the file reached 1000 bytes", i)
			}
			break
		}
		if i > 200 {
			t.Fatal("no automatic rewrite")
		}
	}
	m.p.Tick() // takes the new base
	info := m.do("INFO", "persistence")
	if !strings.Contains(info, "aof_base_size:8\r\n") || !strings.Contains(info, "aof_current_size:8\r\n") {
		t.Fatalf("sizes after the rewrite: %s", info)
	}
	digest := m.digest()
	if d := mustStart(t, fs, cfg, t0).digest(); d != digest {
		t.Fatalf("digest %q, want %q", d, digest)
	}
}

// Append-only files left by a run with appendonly yes are loaded even when the member starts
// with appendonly no: otherwise it would reuse the sequence numbers of the batches they hold.
func TestAOFLoadedWhenAppendOnlyIsOff(t *testing.T) {
	dir := t.TempDir()
	fs := NewFaultFS()
	m := mustStart(t, fs, testConfig(t, dir, "appendonly", "yes"), t0)
	m.run(workload)
	seq, digest := m.e.Seq(), m.digest()
	m2 := mustStart(t, fs, testConfig(t, dir, "appendonly", "no"), t0)
	if m2.e.Seq() != seq || m2.digest() != digest {
		t.Fatalf("seq %d (want %d), digest %q (want %q)", m2.e.Seq(), seq, m2.do("DEBUG", "DIGEST"), digest)
	}
}

// A background save exports the state as it was when BGSAVE ran, although clients keep writing
// while it is encoded (engine.StartExport: the engine lock is taken in slices); a rewrite's
// snapshot plus the new generation restart to everything, counters counted once.
func TestBackgroundSaveWhileWriting(t *testing.T) {
	for _, cmd := range []string{"BGSAVE", "BGREWRITEAOF"} {
		t.Run(cmd, func(t *testing.T) {
			dir := t.TempDir()
			fs := NewFaultFS()
			aof := "no"
			if cmd == "BGREWRITEAOF" {
				aof = "yes"
			}
			cfg := testConfig(t, dir, "appendonly", aof, "appendfsync", "always")
			m := mustStart(t, fs, cfg, t0)
			m.run(workload)
			m.e.Lock()
			for i := range 30_000 {
				m.e.Emit(setOp(fmt.Sprintf("key:%d", i)))
				m.e.Commit()
			}
			m.e.Unlock()
			if r := m.do(cmd); !strings.HasPrefix(r, "+Background") {
				t.Fatalf("%s: %q", cmd, r)
			}
			atStart, digestAtStart := m.state(), m.digest()
			writes := 0
			for done := false; !done; writes++ {
				m.p.mu.Lock()
				done = m.p.job == jobNone
				m.p.mu.Unlock()
				k := fmt.Sprintf("key:%d", writes%40_000)
				m.run([][]string{{"SET", k, "w"}, {"INCR", "n"}, {"HINCRBY", "h", "cnt", "1"}, {"DEL", fmt.Sprintf("key:%d", writes*7%30_000)}})
			}
			t.Logf("%d rounds of writes during %s", writes, cmd)
			final, digest := m.state(), m.digest()
			m2 := mustStart(t, fs, cfg, t0+1000)
			if cmd == "BGSAVE" {
				if got := m2.state(); !bytes.Equal(got, atStart) {
					t.Fatalf("snapshot is not the state when BGSAVE ran (%d vs %d bytes)", len(got), len(atStart))
				}
				if d := m2.digest(); d != digestAtStart {
					t.Fatalf("digest %q, want %q", d, digestAtStart)
				}
				return
			}
			if got := m2.state(); !bytes.Equal(got, final) {
				t.Fatalf("restart after the rewrite: state differs (%d vs %d bytes)", len(got), len(final))
			}
			if d := m2.digest(); d != digest {
				t.Fatalf("digest %q, want %q", d, digest)
			}
		})
	}
}

// A snapshot written from pieces is the file encodeSnapshot makes of their concatenation.
func TestWriteSnapshotPieces(t *testing.T) {
	fs := NewFaultFS()
	dir := t.TempDir()
	pieces := [][]byte{[]byte("CNCS"), nil, bytes.Repeat([]byte("x"), 3<<20), []byte("tail")}
	if err := writeSnapshot(fs, dir+"/dump.rdb", pieces, 42); err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(dir + "/dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	if want := encodeSnapshot(bytes.Join(pieces, nil), 42); !bytes.Equal(got, want) {
		t.Fatalf("%d bytes, want %d", len(got), len(want))
	}
}
