package sim

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// configFor is the configuration of a seed: members, crash and partition settings and the
// backlog size vary with the seed, so the fixed set covers small backlogs (full resyncs) too.
func configFor(seed uint64, ops int) Config {
	return Config{
		Seed:               seed,
		Members:            2 + int(seed%4),
		Ops:                ops,
		Backlog:            []int64{512, 4 << 10, 1 << 20}[seed%3],
		PendingLimit:       []int64{100, 400, 4 << 10}[seed%3],
		Crashes:            seed%5 != 0,
		Partitions:         seed%7 != 0,
		RepeatKeysInMulti:  true,
		WritesDuringExport: true,
		FrameSize:          []int{64 << 10, 256, 2048}[(seed/3)%3],
	}
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
	}
	return def
}

// TestSimulation runs a fixed set of seeds (CONCORD_SIM_SEEDS=n for more, from
// CONCORD_SIM_FIRST) or one seed (CONCORD_SIM_SEED=n), CONCORD_SIM_OPS commands each.
func TestSimulation(t *testing.T) {
	ops := envInt("CONCORD_SIM_OPS", 300)
	first, n := uint64(envInt("CONCORD_SIM_FIRST", 1)), envInt("CONCORD_SIM_SEEDS", 50)
	verbose := false // one seed: trace what a failing apply changed
	if s := os.Getenv("CONCORD_SIM_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		first, n = seed, 1
		verbose = true
	}
	total := Stats{}
	for seed := first; seed < first+uint64(n); seed++ {
		cfg := configFor(seed, ops)
		cfg.Verbose = verbose
		w := New(cfg)
		if errs := w.Run(); len(errs) > 0 {
			t.Fatalf("seed %d failed: %s\nreplay: CONCORD_SIM_SEED=%d CONCORD_SIM_OPS=%d go test ./internal/sim -run TestSimulation\n%s",
				seed, errs[0], seed, ops, shrink(cfg))
		}
		add(&total, w.Stats)
	}
	t.Logf("%d seeds × %d commands clean: %+v", n, ops, total)
	if n >= 50 && total.ExportWrites == 0 {
		t.Error("no command ran while a full resync's state was exported: the copy on write went untested")
	}
}

func add(t *Stats, s Stats) {
	t.Commands += s.Commands
	t.Effects += s.Effects
	t.Delivered += s.Delivered
	t.Duplicates += s.Duplicates
	t.Dropped += s.Dropped
	t.Partial += s.Partial
	t.Full += s.Full
	t.Overflows += s.Overflows
	t.Crashes += s.Crashes
	t.Cuts += s.Cuts
	t.GCDropped += s.GCDropped
	t.Buffered += s.Buffered
	t.ModelWrites += s.ModelWrites
	t.GCUnchecked += s.GCUnchecked
	t.ExportWrites += s.ExportWrites
	t.Refused += s.Refused
	t.Nudges += s.Nudges
	t.Frames += s.Frames
	t.SharedFrames += s.SharedFrames
	t.Rewinds += s.Rewinds
	t.Behind += s.Behind
	t.Snapshots += s.Snapshots
	t.TornTails += s.TornTails
	t.FromDisk += s.FromDisk
	t.DiskKept += s.DiskKept
}

// shrink looks for the shortest prefix of the run (same seed) that still fails, then for a
// run with fewer members, and returns that run's trace.
func shrink(cfg Config) string {
	fails := func(c Config) (*World, bool) {
		w := New(c)
		return w, len(w.Run()) > 0
	}
	best, _ := fails(cfg)
	lo, hi := 0, cfg.Ops // hi fails
	for lo+1 < hi {
		mid := (lo + hi) / 2
		c := cfg
		c.Ops = mid
		if w, bad := fails(c); bad {
			hi, best = mid, w
		} else {
			lo = mid
		}
	}
	cfg.Ops = hi
	for cfg.Members > 2 {
		c := cfg
		c.Members--
		w, bad := fails(c)
		if !bad {
			break
		}
		cfg, best = c, w
	}
	tr := best.trace
	if path := os.Getenv("CONCORD_SIM_TRACE"); path != "" {
		_ = os.WriteFile(path, []byte(strings.Join(tr, "\n")+"\n"), 0o644)
	}
	if len(tr) > 150 {
		tr = append([]string{fmt.Sprintf("... %d earlier lines", len(tr)-150)}, tr[len(tr)-150:]...)
	}
	return fmt.Sprintf("minimal failing run: %+v (seed kept; a prefix of %d commands)\nerrors: %s\ntrace:\n%s",
		cfg, cfg.Ops, strings.Join(best.errs[:min(len(best.errs), 5)], "\n  "), strings.Join(tr, "\n"))
}

// A seed replays exactly: the same commands, replies, batches and network events.
func TestSimulationIsDeterministic(t *testing.T) {
	for _, seed := range []uint64{3, 17, 40} {
		a, b := New(configFor(seed, 200)), New(configFor(seed, 200))
		ea, eb := a.Run(), b.Run()
		if len(ea) != len(eb) {
			t.Fatalf("seed %d: %d then %d errors", seed, len(ea), len(eb))
		}
		for i := range max(len(a.trace), len(b.trace)) {
			if i >= len(a.trace) || i >= len(b.trace) || a.trace[i] != b.trace[i] {
				t.Fatalf("seed %d: traces differ at line %d:\n%s\n%s", seed, i, at(a.trace, i), at(b.trace, i))
			}
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(end)"
}
