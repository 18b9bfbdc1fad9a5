package replication

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/concord-db/concord/internal/cputime"
	"github.com/concord-db/concord/test/testserver"
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

func us(d time.Duration, n int) float64 { return float64(d.Microseconds()) / float64(n) }

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

// TestMeasureIssue4 prints the two figures issue 4 asks for, with three members on loopback.
//
// Propagation delay under load: a separate client paces background SETs on A at bgRate per
// second (a schedule fixed from the start time, so a late tick catches up rather than lowering
// the rate; the achieved rate over the sampling window is measured from the acknowledged SETs and
// reported). Meanwhile a probe client SETs a unique value on A and another client polls GET on B
// in a tight loop until it returns that value; one sample is the time from sending the SET until
// that GET. The figure therefore includes A's SET round trip and is quantised by one GET round trip
// on B (tens of microseconds on loopback); it is an upper bound on the replication delay proper.
//
// Throughput ratio: the same binary as a lone member (no peers) and as member A of a
// three-member mesh get the same workload, throughputClients clients each sending its share of
// throughputSETs SETs in pipelines of throughputDepth; the rate is acknowledged SETs per second on
// that member. After one unmeasured run on each, runs alternate standalone/replicated
// throughputRuns times and the medians are compared. The CPU time each member used (from /proc)
// is reported too: the writing member's CPU per SET, standalone against replicated, is what
// separate hosts would see, apart from the CPU its peers take from it here; so is this test
// process's (the clients'). B and C run on the same machine and compete with A for the CPU, so
// on a small machine the ratio is pessimistic compared to members on separate hosts.
//
// The members dial each other directly (startDirectCluster): the proxies other tests put on
// the links to cut them would relay every frame through this process, CPU a deployment does
// not spend.
//
// Run it with CONCORD_REPL_MEASURE=1 go test -v -run TestMeasureIssue4 ./test/replication
func TestMeasureIssue4(t *testing.T) {
	if os.Getenv("CONCORD_REPL_MEASURE") == "" {
		t.Skip("set CONCORD_REPL_MEASURE=1 to measure")
	}
	const (
		bgRate            = 10000
		samples           = 1000
		throughputSETs    = 200000
		throughputClients = 8
		throughputDepth   = 100
		throughputRuns    = 5
	)
	// No snapshots, as redis-server in the reference below (--save ''): a background save
	// landing in one run but not in another would weigh on whichever it hit.
	noSave := slices.Concat(common, []string{"--save", ""})
	c := startDirectCluster(t, 3, noSave)
	a, b := c.members[0], c.members[1]
	c.waitConverged()
	time.Sleep(300 * time.Millisecond) // let the first acks settle who pulls from whom

	// (1) propagation delay while A carries bgRate background SETs per second.
	var acked atomic.Int64
	var bgErr atomic.Value
	stop := make(chan struct{})
	bgDone := make(chan struct{})
	bgStart := time.Now()
	go func() {
		defer close(bgDone)
		cl := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", a.port), MaxRetries: -1})
		defer cl.Close()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		start, sent := time.Now(), int64(0)
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			due := int64(time.Since(start).Seconds()*bgRate) - sent
			if due <= 0 {
				continue
			}
			due = min(due, 2000) // bound one pipeline; the rest goes with the next tick
			p := cl.Pipeline()
			for j := sent; j < sent+due; j++ {
				p.Set(ctx, "bg:"+strconv.FormatInt(j%100000, 10), fmt.Sprintf("value-%010d", j), 0)
			}
			if _, err := p.Exec(ctx); err != nil {
				bgErr.Store(err)
				return
			}
			sent += due
			acked.Store(sent)
		}
	}()
	time.Sleep(time.Second) // warm up under load
	probeA := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", a.port), MaxRetries: -1, PoolSize: 1})
	defer probeA.Close()
	probeB := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", b.port), MaxRetries: -1, PoolSize: 1})
	defer probeB.Close()
	windowStart, ackedStart := time.Now(), acked.Load()
	var d []time.Duration
	var polls int
	for i := range samples {
		val := fmt.Sprintf("probe-%d-%d", i, time.Now().UnixNano())
		start := time.Now()
		if err := probeA.Set(ctx, "probe", val, 0).Err(); err != nil {
			t.Fatal(err)
		}
		for {
			polls++
			got, err := probeB.Get(ctx, "probe").Result()
			if err != nil && err != redis.Nil {
				t.Fatal(err)
			}
			if got == val {
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("sample %d: not visible on B after 10s", i)
			}
		}
		d = append(d, time.Since(start))
		time.Sleep(2 * time.Millisecond) // spread the samples over a few seconds of load
	}
	window, ackedWindow := time.Since(windowStart), acked.Load()-ackedStart
	close(stop)
	<-bgDone
	overall := float64(acked.Load()) / time.Since(bgStart).Seconds()
	if err := bgErr.Load(); err != nil {
		t.Fatalf("background writer: %v", err)
	}
	achieved := float64(ackedWindow) / window.Seconds()
	slices.Sort(d)
	t.Logf("propagation delay A→B (SET on A until GET on B returns it, %d samples, %.1f GETs on B per sample) with %d background SETs/s on A (achieved %.0f/s over the %v sampling window, %.0f/s including warm-up): p50=%v p99=%v max=%v",
		samples, float64(polls)/samples, bgRate, achieved, window.Round(time.Millisecond), overall, d[len(d)/2], d[len(d)*99/100], d[len(d)-1])
	if achieved < 0.95*bgRate {
		t.Errorf("background load reached only %.0f SETs/s, below 95%% of %d: the delay above was not measured under the requested load", achieved, bgRate)
	}
	c.waitConverged()

	// (2) write throughput of A with two peers against the same binary standalone.
	solo := startDirectCluster(t, 1, noSave).members[0]
	pid := func(m *member) int { return m.cmd.Process.Pid }
	run := func(m *member) float64 {
		return setThroughput(t, fmt.Sprintf("127.0.0.1:%d", m.port), throughputSETs, throughputClients, throughputDepth)
	}
	// One unmeasured run on each first: it fills the keyspace (the measured runs overwrite
	// the same keys), whose growth otherwise makes whichever run comes first the slowest.
	run(solo)
	run(a)
	c.waitConverged()
	measure := func(phase string) {
		var soloRates, replRates, soloCPU, replCPU []float64
		for r := range throughputRuns {
			cs, ct := processCPU(t, pid(solo)), processCPU(t, os.Getpid())
			s := run(solo)
			cs, ct = processCPU(t, pid(solo))-cs, processCPU(t, os.Getpid())-ct
			ca, cb, cc, ct2 := processCPU(t, pid(a)), processCPU(t, pid(c.members[1])), processCPU(t, pid(c.members[2])), processCPU(t, os.Getpid())
			start := time.Now()
			x := run(a)
			ca, ct2 = processCPU(t, pid(a))-ca, processCPU(t, os.Getpid())-ct2
			c.waitConverged() // the backlog must not spill into the next run
			conv := time.Since(start)
			cb, cc = processCPU(t, pid(c.members[1]))-cb, processCPU(t, pid(c.members[2]))-cc
			soloRates = append(soloRates, s)
			replRates = append(replRates, x)
			soloCPU = append(soloCPU, us(cs, throughputSETs))
			replCPU = append(replCPU, us(ca, throughputSETs))
			t.Logf("%s, run %d: standalone %.0f SETs/s (%.2fµs CPU/SET; clients %.2fµs), replicated %.0f SETs/s (A %.2fµs CPU/SET while writing, clients %.2fµs; B %.2fµs and C %.2fµs CPU/SET until all three converged %v after the run started)",
				phase, r+1, s, us(cs, throughputSETs), us(ct, throughputSETs), x, us(ca, throughputSETs), us(ct2, throughputSETs), us(cb, throughputSETs), us(cc, throughputSETs), conv.Round(time.Millisecond))
		}
		ms, mr := median(soloRates), median(replRates)
		t.Logf("%s: write throughput (%d SETs, %d clients, pipelines of %d, median of %d alternating runs): standalone %.0f/s, member with 2 peers %.0f/s, ratio %.2f (issue 4 target ≥ 0.70)",
			phase, throughputSETs, throughputClients, throughputDepth, throughputRuns, ms, mr, mr/ms)
		// What the member itself costs, apart from the CPU its peers take on this machine:
		// the throughput ratio members on separate hosts would approach if CPU-bound.
		cs, cr := median(soloCPU), median(replCPU)
		t.Logf("%s: CPU per SET on the writing member (median): standalone %.2fµs, with 2 peers %.2fµs; standalone/replicated %.2f",
			phase, cs, cr, cs/cr)
	}
	// First while the members' backlogs fill: a fresh member's first crdt-backlog-size
	// (64 MiB) of writes grow its memory, and the first touch of each new page costs the
	// kernel several microseconds here. Then once every backlog is full and reuses its
	// evicted segments, as in a member that has run for a while: the steady state.
	measure("backlogs filling")
	for i := 0; !backlogsFull(t, c.members); i++ {
		if i == 50 { // 10 million SETs: far more than a 64 MiB backlog takes
			t.Fatal("the backlogs did not fill")
		}
		run(a)
		c.waitConverged()
	}
	measure("steady state")

	// (3) The same workload on redis-server as a reference for what this machine allows: a
	// master with two replicas (replicaof) against a lone redis-server, alternating the same
	// way. Its replicas apply every write too, on the same two cores, so its ratio shows how
	// much of the gap above is the machine rather than Concord.
	if _, err := exec.LookPath("redis-server"); err == nil {
		rsolo := testserver.StartRedis(t)
		master := testserver.StartRedis(t)
		replicas := []*testserver.Server{
			testserver.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port())),
			testserver.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port())),
		}
		mrdb := redis.NewClient(&redis.Options{Addr: master.Addr(), MaxRetries: -1})
		defer mrdb.Close()
		synced := func() bool { return redisReplicasSynced(t, mrdb, len(replicas)) }
		waitFor(t, 20*time.Second, "redis replicas online and in sync", synced)
		rrun := func(s *testserver.Server) float64 {
			return setThroughput(t, s.Addr(), throughputSETs, throughputClients, throughputDepth)
		}
		rrun(rsolo)
		rrun(master)
		waitFor(t, 20*time.Second, "redis replicas in sync", synced)
		var rsoloRates, rmasterRates, rsoloCPU, rmasterCPU, rreplicaCPU []float64
		for range throughputRuns {
			cs := processCPU(t, rsolo.Pid())
			rsoloRates = append(rsoloRates, rrun(rsolo))
			rsoloCPU = append(rsoloCPU, us(processCPU(t, rsolo.Pid())-cs, throughputSETs))
			cm, c1 := processCPU(t, master.Pid()), processCPU(t, replicas[0].Pid())
			rmasterRates = append(rmasterRates, rrun(master))
			rmasterCPU = append(rmasterCPU, us(processCPU(t, master.Pid())-cm, throughputSETs))
			waitFor(t, 20*time.Second, "redis replicas in sync", synced)
			rreplicaCPU = append(rreplicaCPU, us(processCPU(t, replicas[0].Pid())-c1, throughputSETs))
		}
		rs, rm := median(rsoloRates), median(rmasterRates)
		t.Logf("redis-server for reference, same workload and alternation: standalone %.0f/s, master with 2 replicas %.0f/s, ratio %.2f; CPU per SET standalone %.2fµs, master %.2fµs, a replica %.2fµs",
			rs, rm, rm/rs, median(rsoloCPU), median(rmasterCPU), median(rreplicaCPU))
	} else {
		t.Logf("redis-server not found: no reference measurement")
	}

	// The same runs with B and C at the lowest CPU priority (nice 19, every thread): on this
	// machine the three members share the cores, where in a deployment each region's member
	// has its own host. Deprioritised, the peers apply with what A and the clients leave
	// (they still take some: the kernel gives nice 19 a small share, and caches are shared),
	// which approximates A's throughput with peers elsewhere. Reported beside the ratio
	// above, not instead of it.
	for _, m := range c.members[1:] {
		renice(t, m.cmd.Process.Pid, 19)
	}
	var soloRates2, nicedRates []float64
	for range throughputRuns {
		soloRates2 = append(soloRates2, run(solo))
		nicedRates = append(nicedRates, run(a))
		c.waitConverged()
	}
	ms2, mn := median(soloRates2), median(nicedRates)
	t.Logf("the same with B and C at nice 19 (peers yielding the CPU, as on their own hosts), median of %d alternating runs: standalone %.0f/s, member with 2 peers %.0f/s, ratio %.2f",
		throughputRuns, ms2, mn, mn/ms2)
}

// setThroughput sends sets SETs to addr from clients connections, each its share in pipelines
// of depth, and returns the acknowledged SETs per second.
func setThroughput(t *testing.T, addr string, sets, clients, depth int) float64 {
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	per := sets / clients
	start := time.Now()
	for k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 1})
			defer cl.Close()
			for i := k * per; i < (k+1)*per; i += depth {
				p := cl.Pipeline()
				for j := i; j < min(i+depth, (k+1)*per); j++ {
					p.Set(ctx, "key:"+strconv.Itoa(j), fmt.Sprintf("value-%010d", j), 0)
				}
				if _, err := p.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatalf("%s: %v", addr, err)
	}
	return float64(per*clients) / el.Seconds()
}

// processCPU is the CPU time process pid has used (cputime.OfProcess); the test is skipped
// where it cannot be read.
func processCPU(t *testing.T, pid int) time.Duration {
	d, err := cputime.OfProcess(pid)
	if err != nil {
		t.Skipf("no CPU time: %v", err)
	}
	return d
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// backlogsFull reports whether every member's backlog holds at least 95 % of its budget
// (crdt-backlog-size) in INFO crdt's crdt_backlog:size: from then on it evicts as much as it
// appends.
func backlogsFull(t *testing.T, ms []*member) bool {
	for _, m := range ms {
		budget, err := m.rdb.ConfigGet(ctx, "crdt-backlog-size").Result()
		if err != nil {
			t.Fatalf("member %d: CONFIG GET crdt-backlog-size: %v", m.id, err)
		}
		limit, err := strconv.ParseInt(budget["crdt-backlog-size"], 10, 64)
		if err != nil {
			t.Fatalf("member %d: crdt-backlog-size %q", m.id, budget["crdt-backlog-size"])
		}
		g := regexp.MustCompile(`size=(\d+)`).FindStringSubmatch(m.info()["crdt_backlog"])
		if g == nil {
			t.Fatalf("member %d: no backlog size in INFO crdt", m.id)
		}
		if n, _ := strconv.ParseInt(g[1], 10, 64); n < limit*95/100 {
			return false
		}
	}
	return true
}

// redisReplicasSynced reports whether redis-server's INFO replication shows n replicas online
// at the master's replication offset.
func redisReplicasSynced(t *testing.T, master *redis.Client, n int) bool {
	text, err := master.Info(ctx, "replication").Result()
	if err != nil {
		t.Fatalf("redis master INFO replication: %v", err)
	}
	offset := regexp.MustCompile(`master_repl_offset:(\d+)`).FindStringSubmatch(text)
	replicas := regexp.MustCompile(`slave\d+:.*state=online,offset=(\d+)`).FindAllStringSubmatch(text, -1)
	if offset == nil || len(replicas) != n {
		return false
	}
	for _, r := range replicas {
		if r[1] != offset[1] {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// renice sets the scheduling priority of every thread of process pid (Linux's nice value is
// per thread; threads created later inherit it from their creator).
func renice(t *testing.T, pid, nice int) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
			t.Fatalf("setpriority %d: %v", tid, err)
		}
	}
}
