package persist

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/concord-db/concord/internal/config"
)

// startOSFS starts a member whose persister uses the operating system's files in the
// directory cfg names.
func startOSFS(t *testing.T, cfg *config.Config, millis int64) *member {
	t.Helper()
	m, err := startWith(t, nil, nil, cfg, millis)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// With appendfsync always on real files, fsync rounds go through heldSync's raw fdatasync
// (heldsync_linux.go), which the FaultFS tests never reach: writers committing from several
// goroutines and waiting for durability all get their records on disk, and a restart loads
// every acknowledged one.
func TestAlwaysOnOSFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "appendonly", "yes", "appendfsync", "always")
	m := startOSFS(t, cfg, t0)
	a := m.p.aof()
	if a == nil {
		t.Fatal("no append-only file")
	}
	a.syncMu.Lock()
	_, isOS := a.file.(*os.File)
	a.syncMu.Unlock()
	if !isOS {
		t.Fatal("the append-only file is not an operating-system file: heldSync would not be used")
	}

	const writers, each = 4, 25
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("w%d:%d", w, i)
				m.commit(key)
				m.p.WaitDurable() // acknowledged from here on
				mu.Lock()
				acked = append(acked, key)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n := m.fatals.count(); n != 0 {
		t.Fatalf("%d fatal errors: %v", n, m.fatals.msgs)
	}
	if err := a.syncErr.Load(); err != nil {
		t.Fatalf("fsync error: %v", *err)
	}
	if err := m.p.Close(false); err != nil {
		t.Fatal(err)
	}

	m2 := startOSFS(t, cfg, t0+1000)
	defer m2.p.Close(false)
	if len(acked) != writers*each {
		t.Fatalf("%d acknowledged records, want %d", len(acked), writers*each)
	}
	for _, key := range acked {
		if r := m2.do("GET", key); r != "$1\r\nv\r\n" {
			t.Fatalf("GET %s after restart: %q", key, r)
		}
	}
	if r := m2.do("DBSIZE"); r != fmt.Sprintf(":%d\r\n", writers*each) {
		t.Fatalf("DBSIZE after restart: %q", r)
	}
}
