package engine

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

// oneAtATime makes Finish (and step) encode one entry per lock acquisition.
func oneAtATime(t *testing.T) {
	slice, every := exportSlice, exportEvery
	exportSlice, exportEvery = time.Nanosecond, 1
	t.Cleanup(func() { exportSlice, exportEvery = slice, every })
}

// startBoth starts an export of m and takes ExportState under the same lock: what the export
// must return whatever happens afterwards.
func startBoth(t *testing.T, m *member) (*Export, clock.Vector, []byte) {
	t.Helper()
	m.e.Lock()
	defer m.e.Unlock()
	x := m.e.StartExport()
	if x == nil {
		t.Fatal("StartExport refused with no export running")
	}
	vc, want := m.e.ExportState()
	return x, vc, want
}

// step encodes one more entry of x, as one of Finish's slices does.
func step(m *member, x *Export) {
	m.e.Lock()
	defer m.e.Unlock()
	if m.e.exp.running == x {
		x.encode(time.Now().Add(-time.Second))
	}
}

// Whatever changes while a background export runs, in between its steps (local writes of every
// type, deletions that drop keys, remote effects, FLUSHALL, tombstone collection, a full-state
// merge, new keys), it returns exactly what ExportState returned when it started, labelled
// with the same vector clock; and the state loads.
func TestExportIsStateAtStart(t *testing.T) {
	oneAtATime(t)
	for seed := range uint64(seedCount(120)) {
		r := rand.New(rand.NewPCG(seed, 99))
		keep := seed%3 != 2
		ms := []*member{newMember(1, keep), newMember(2, keep), newMember(3, keep)}
		allTypesOps(r, ms, 40)
		for i := range 20 {
			ms[0].set("plain:"+strconv.Itoa(i), "v")
		}
		syncAll(ms[:2])
		x, vc, want := startBoth(t, ms[0])
		for i := range 30 {
			switch r.IntN(12) {
			case 0:
				if seed%5 == 0 {
					ms[0].flushall()
				}
			case 1:
				ovcs := []clock.Vector{}
				for _, m := range ms {
					m.e.Lock()
					ovcs = append(ovcs, m.e.Vector())
					m.e.Unlock()
				}
				ms[0].e.Lock()
				ms[0].e.CollectGarbage(ovcs)
				ms[0].e.Unlock()
			case 2:
				if seed%7 == 0 {
					ovc, st := export(ms[2])
					mergeInto(t, ms[0], ovc, st)
				}
			case 3:
				deliver(ms[0], ms[1], ms...)
			case 4:
				ms[0].del("plain:" + strconv.Itoa(r.IntN(25)))
			case 5:
				ms[0].set("plain:"+strconv.Itoa(r.IntN(25)), "w"+strconv.Itoa(i))
			default:
				allTypesOps(r, ms, 2)
			}
			step(ms[0], x)
		}
		gotVC, got := x.Finish()
		if !gotVC.Equal(vc) {
			t.Fatalf("seed %d: export labelled %v, state was at %v", seed, gotVC, vc)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: export differs from the state at its start (%d and %d bytes)", seed, len(got), len(want))
		}
		m := newMember(1, keep)
		m.e.Lock()
		if _, err := m.e.LoadState(got); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		m.e.Unlock()
		// Nothing is preserved any more, and a new export can start.
		ms[0].set("plain:1", "after")
		ms[0].e.Lock()
		if ms[0].e.exp.running != nil || x.early != nil {
			t.Fatal("export still running after Finish")
		}
		ms[0].e.Unlock()
	}
}

// The same with Finish running in its own goroutine (listing and encoding) while writers keep
// changing keys, deleting them and collecting tombstones (run the tests with -race: the
// encoding happens only under the lock).
func TestExportConcurrentWriters(t *testing.T) {
	oneAtATime(t)
	for round := range 12 {
		m := newMember(1, round%2 == 0)
		for i := range 300 {
			m.set("k"+strconv.Itoa(i), strconv.Itoa(i))
			if i%3 == 0 {
				m.sadd("s"+strconv.Itoa(i), "a", "b")
			}
			if i%4 == 0 {
				m.del("k" + strconv.Itoa(i))
			}
		}
		x, _, want := startBoth(t, m)
		var got []byte
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, got = x.Finish()
		}()
		for i := round; ; i++ {
			select {
			case <-done:
				if !bytes.Equal(got, want) {
					t.Fatalf("round %d: export differs from the state at its start after %d writes", round, i)
				}
			default:
				k := strconv.Itoa(i * 7 % 400)
				switch i % 5 {
				case 0:
					m.set("k"+k, "x"+strconv.Itoa(i))
				case 1:
					m.del("k" + k)
				case 2:
					m.sadd("s"+k, "c")
				case 3:
					m.e.Lock()
					m.e.CollectGarbage([]clock.Vector{m.e.Vector()})
					m.e.Unlock()
				default:
					m.incr("n"+k, 1, nil)
				}
				continue
			}
			break
		}
	}
}

// A lock holder that waits for an export's consumer (a background save waited for under the
// lock) completes the export first; Finish, blocked on the lock, then returns without it.
func TestExportCompletedUnderLock(t *testing.T) {
	oneAtATime(t)
	m := newMember(1, true)
	for i := range 100 {
		m.set("k"+strconv.Itoa(i), "v")
	}
	x, _, want := startBoth(t, m)
	m.e.Lock()
	var got []byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, got = x.Finish()
	}()
	time.Sleep(20 * time.Millisecond) // Finish is waiting for the lock
	m.e.Emit(DeleteOp(0, m.e.Store().DB(0).Get("k5")))
	m.e.CompleteExport()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Finish did not return while the lock was held after CompleteExport")
	}
	m.e.Unlock()
	if !bytes.Equal(got, want) {
		t.Fatal("export differs from the state at its start")
	}
}

// One export at a time; an aborted export stops preserving.
func TestExportOneAtATimeAndAbort(t *testing.T) {
	m := newMember(1, true)
	m.set("a", "1")
	m.e.Lock()
	x := m.e.StartExport()
	if y := m.e.StartExport(); y != nil || x == nil {
		t.Fatalf("second StartExport: %v (first %v)", y, x)
	}
	m.e.Unlock()
	m.set("a", "2")
	x.Abort()
	m.set("a", "3")
	m.e.Lock()
	if m.e.exp.running != nil {
		t.Fatal("aborted export still running")
	}
	y := m.e.StartExport()
	m.e.Unlock()
	_, got := y.Finish()
	_, want := export(m)
	if !bytes.Equal(got, want) {
		t.Fatal("export after an aborted one differs")
	}
}

// Finish holds the lock in short slices: the export of 50,000 keys takes many, none longer
// than 200 ms (a slice is 1 ms; the bound is loose for loaded machines, where the process can
// be descheduled in the middle of one).
func TestExportShortLockHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	m := newMember(1, false)
	m.e.Lock()
	for i := range 50_000 {
		m.e.Emit(effect.Op{Kind: effect.StringSet, Key: "key:" + strconv.Itoa(i), Value: []byte("val:" + strconv.Itoa(i))})
		m.e.Commit()
	}
	x := m.e.StartExport()
	m.e.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		x.Finish()
	}()
	wg.Wait()
	// 50,000 keys take several 1 ms slices; how many depends on the machine's speed (8 were
	// seen on a fast one), so only "more than one" is required: the lock was released between.
	if x.Slices < 2 || x.MaxHold > 200*time.Millisecond {
		t.Fatalf("%d slices, longest %v", x.Slices, x.MaxHold)
	}
}
