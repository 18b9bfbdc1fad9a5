package replication

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestMeasure prints replication figures between two members on loopback: propagation delay
// (PUBLISH on one member until a subscriber on the other has it), replicated effects per
// second and bytes per effect on the wire with and without compression. It is a measurement,
// not a check: run it with CONCORD_REPL_MEASURE=1 go test -v -run TestMeasure ./test/replication
func TestMeasure(t *testing.T) {
	if os.Getenv("CONCORD_REPL_MEASURE") == "" {
		t.Skip("set CONCORD_REPL_MEASURE=1 to measure")
	}
	for _, compress := range []string{"yes", "no"} {
		c := startCluster(t, 2, append(common, "--crdt-compression", compress), nil)
		a, b := c.members[0], c.members[1]
		c.waitConverged()
		if compress == "yes" {
			sub := b.rdb.Subscribe(ctx, "lat")
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			ch := sub.Channel()
			var d []time.Duration
			for i := range 2000 {
				start := time.Now()
				a.do("PUBLISH", "lat", strconv.Itoa(i))
				<-ch
				d = append(d, time.Since(start))
			}
			sub.Close()
			slices.Sort(d)
			t.Logf("propagation delay A→B (PUBLISH to subscriber message, 2000 samples): p50=%v p99=%v max=%v",
				d[len(d)/2], d[len(d)*99/100], d[len(d)-1])
		}
		before := peerBytesIn(t, b)
		const n = 200000
		start := time.Now()
		for i := 0; i < n; i += 1000 {
			p := a.rdb.Pipeline()
			for j := i; j < i+1000; j++ {
				p.Set(ctx, "key:"+strconv.Itoa(j), fmt.Sprintf("value-%010d", j), 0)
			}
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		written := time.Since(start)
		c.waitConverged()
		done := time.Since(start)
		bytes := peerBytesIn(t, b) - before
		t.Logf("compression=%s: %d SETs (16-byte values) written to A in %v (%.0f/s), replicated to B after %v (%.0f effects/s); %.1f bytes/effect on the wire",
			compress, n, written, n/written.Seconds(), done, n/done.Seconds(), float64(bytes)/n)
		a.kill()
		b.kill()
	}
}

// TestMeasureThreeMembers prints what a member of a healthy three-member mesh receives per
// effect written on another member: batches are not relayed to members that pull from the
// origin directly, so the figure should match the two-member one and few batches arrive twice.
func TestMeasureThreeMembers(t *testing.T) {
	if os.Getenv("CONCORD_REPL_MEASURE") == "" {
		t.Skip("set CONCORD_REPL_MEASURE=1 to measure")
	}
	c := startCluster(t, 3, common, nil)
	a, b := c.members[0], c.members[1]
	c.waitConverged()
	time.Sleep(300 * time.Millisecond) // the first acks tell senders who pulls from whom
	in0, in1 := peerBytesIn(t, b), peerBytesInLine(t, b, "crdt_peer1")
	filtered := b.infoInt("crdt_ovc_filtered_effect_reqs")
	const n = 100000
	start := time.Now()
	for i := 0; i < n; i += 1000 {
		p := a.rdb.Pipeline()
		for j := i; j < i+1000; j++ {
			p.Set(ctx, "key:"+strconv.Itoa(j), fmt.Sprintf("value-%010d", j), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c.waitConverged()
	done := time.Since(start)
	bytes := peerBytesIn(t, b) - in0 + peerBytesInLine(t, b, "crdt_peer1") - in1
	t.Logf("3 members: %d SETs on A replicated everywhere after %v (%.0f effects/s); B received %.1f bytes/effect from both peers, %d duplicate batches",
		n, done, n/done.Seconds(), float64(bytes)/n, b.infoInt("crdt_ovc_filtered_effect_reqs")-filtered)
}

func peerBytesIn(t *testing.T, m *member) int64 {
	line := m.info()["crdt_peer0"]
	g := regexp.MustCompile(`bytes_in=(\d+)`).FindStringSubmatch(line)
	if g == nil {
		t.Fatalf("peer line: %s", line)
	}
	n, _ := strconv.ParseInt(g[1], 10, 64)
	return n
}

func peerBytesInLine(t *testing.T, m *member, field string) int64 {
	g := regexp.MustCompile(`bytes_in=(\d+)`).FindStringSubmatch(m.info()[field])
	if g == nil {
		t.Fatalf("peer line: %s", m.info()[field])
	}
	n, _ := strconv.ParseInt(g[1], 10, 64)
	return n
}
