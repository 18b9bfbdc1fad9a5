package replication

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Function libraries are stored with the dataset and replicated (engine/functions.go): a
// library loaded on one member is callable on the others, a member restored by a full resync
// gets it back, and two libraries loaded concurrently that register the same function name
// resolve the same way on every member.

const (
	replLibA = "#!lua name=liba\nredis.register_function('fa', function(keys, args) return redis.call('incr', keys[1]) end)"
	replLibX = "#!lua name=libx\nredis.register_function('f', function() return 'x' end)"
	replLibY = "#!lua name=liby\nredis.register_function('f', function() return 'y' end)"
)

func functionList(t *testing.T, m *member) string {
	t.Helper()
	v, err := m.do("FUNCTION", "LIST", "WITHCODE").Result()
	if err != nil {
		t.Fatalf("member %d FUNCTION LIST: %v", m.id, err)
	}
	return fmt.Sprint(v)
}

func TestFunctionLoadReplicates(t *testing.T) {
	c := startCluster(t, 2, append(common, "--crdt-backlog-size", "16kb"), nil)
	m1, m2 := c.members[0], c.members[1]
	if got, err := m1.do("FUNCTION", "LOAD", replLibA).Text(); err != nil || got != "liba" {
		t.Fatalf("FUNCTION LOAD: %q %v", got, err)
	}
	c.waitConverged()
	if n, err := m2.do("FCALL", "fa", 1, "n").Int(); err != nil || n != 1 {
		t.Fatalf("FCALL on member 2: %d %v", n, err)
	}
	c.waitConverged()
	if n, err := m1.do("FCALL", "fa", 1, "n").Int(); err != nil || n != 2 {
		t.Fatalf("FCALL on member 1 after member 2's call: %d %v", n, err)
	}
	if l1, l2 := functionList(t, m1), functionList(t, m2); l1 != l2 || !strings.Contains(l1, "liba") {
		t.Fatalf("FUNCTION LIST differs:\n%s\n%s", l1, l2)
	}

	// A member that comes back empty gets the library with the full resync (the backlog is
	// too small to replay).
	val := strings.Repeat("v", 200)
	for i := range 200 {
		m1.do("SET", "key"+strconv.Itoa(i), val)
	}
	c.waitConverged()
	start := time.Now()
	m2.kill()
	m2.wipe()
	m2.start()
	t.Logf("restarted: %v", time.Since(start))
	c.waitConverged()
	t.Logf("converged: %v", time.Since(start))
	if full := m1.infoInt("crdt_sync_full"); full == 0 {
		t.Errorf("no full resync: crdt_sync_full=%d", full)
	}
	if n, err := m2.do("FCALL", "fa", 1, "n").Int(); err != nil || n != 3 {
		t.Fatalf("FCALL on the restored member: %d %v", n, err)
	}

	// Deletion replicates.
	if err := m2.do("FUNCTION", "DELETE", "liba").Err(); err != nil {
		t.Fatal(err)
	}
	c.waitConverged()
	if err := m1.do("FCALL", "fa", 1, "n").Err(); err == nil || err.Error() != "ERR Function not found" {
		t.Fatalf("FCALL after a replicated delete: %v", err)
	}
}

func TestConcurrentFunctionNameConflict(t *testing.T) {
	c := startCluster(t, 2, common, nil)
	m1, m2 := c.members[0], c.members[1]
	c.waitConverged()
	c.cut(1, 2, true)
	if err := m1.do("FUNCTION", "LOAD", replLibX).Err(); err != nil {
		t.Fatal(err)
	}
	if err := m2.do("FUNCTION", "LOAD", replLibY).Err(); err != nil {
		t.Fatal(err)
	}
	c.cut(1, 2, false)
	c.waitConverged()
	r1, err1 := m1.do("FCALL", "f", 0).Text()
	r2, err2 := m2.do("FCALL", "f", 0).Text()
	if err1 != nil || err2 != nil || r1 != r2 {
		t.Fatalf("FCALL f: member 1 %q %v, member 2 %q %v", r1, err1, r2, err2)
	}
	l1, l2 := functionList(t, m1), functionList(t, m2)
	if l1 != l2 || strings.Contains(l1, "libx") == strings.Contains(l1, "liby") {
		t.Fatalf("FUNCTION LIST: want the same single winner on both:\n%s\n%s", l1, l2)
	}
}
