package replication

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/concord-db/concord/internal/wanproxy"
	"github.com/concord-db/concord/test/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// newProxy forwards one directed peer link (a dialer to a listener) through a wanproxy that the
// test can cut and heal.
func newProxy(t *testing.T, target string) *wanproxy.Proxy {
	p, err := wanproxy.Listen("127.0.0.1:0", target, wanproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// member is one member process.
type member struct {
	t        *testing.T
	id       int
	name     string
	port     int
	peerPort int
	dir      string
	args     []string
	cmd      *exec.Cmd
	done     chan struct{}
	log      *logBuffer
	rdb      *redis.Client
}

type logBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// cluster is n fully meshed members; links[i][j] is the proxy member i dials to reach j.
type cluster struct {
	t       *testing.T
	members []*member
	links   map[[2]int]*wanproxy.Proxy
}

func freePort(t *testing.T) int {
	p, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startCluster starts n members; extra[i] are more flags for member i (nil for none).
func startCluster(t *testing.T, n int, common []string, extra map[int][]string) *cluster {
	t.Helper()
	return newCluster(t, n, common, extra, true)
}

// startDirectCluster is startCluster with members dialing each other's peer ports directly, as
// in a deployment: no proxy in this process relays their links (so none can cut them either).
// For measurements, where relaying would be CPU a deployment does not spend.
func startDirectCluster(t *testing.T, n int, common []string) *cluster {
	t.Helper()
	return newCluster(t, n, common, nil, false)
}

func newCluster(t *testing.T, n int, common []string, extra map[int][]string, proxied bool) *cluster {
	t.Helper()
	c := &cluster{t: t, links: map[[2]int]*wanproxy.Proxy{}}
	for i := 1; i <= n; i++ {
		c.members = append(c.members, &member{t: t, id: i, name: "m" + strconv.Itoa(i),
			port: freePort(t), peerPort: freePort(t), dir: t.TempDir(), log: &logBuffer{}})
	}
	for _, a := range c.members {
		for _, b := range c.members {
			if a != b && proxied {
				c.links[[2]int{a.id, b.id}] = newProxy(t, fmt.Sprintf("127.0.0.1:%d", b.peerPort))
			}
		}
	}
	for _, m := range c.members {
		m.args = []string{"start", "--bind", "127.0.0.1", "--port", strconv.Itoa(m.port), "--dir", m.dir,
			"--member-id", strconv.Itoa(m.id), "--member-name", m.name,
			"--peer-port", strconv.Itoa(m.peerPort), "--peer-secret", "S"}
		for _, o := range c.members {
			if o == m {
				continue
			}
			addr := fmt.Sprintf("127.0.0.1:%d", o.peerPort)
			if proxied {
				addr = c.links[[2]int{m.id, o.id}].Addr()
			}
			m.args = append(m.args, "--peer", fmt.Sprintf("%d=%s", o.id, addr))
		}
		m.args = append(m.args, common...)
		m.args = append(m.args, extra[m.id]...)
		m.start()
	}
	return c
}

func (m *member) start() {
	t := m.t
	t.Helper()
	m.cmd = exec.Command(testserver.ConcordBinary(t), m.args...)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(m.cmd, m.done)
	t.Cleanup(func() {
		m.kill()
		if strings.Contains(m.log.String(), "WARNING: DATA RACE") {
			t.Errorf("member %d: data race (binary built with -race)", m.id)
		}
		if t.Failed() {
			t.Logf("member %d log:\n%s", m.id, m.log.String())
		}
	})
	m.rdb = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", m.port), MaxRetries: -1})
	t.Cleanup(func() { m.rdb.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for m.rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("member %d did not start:\n%s", m.id, m.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *member) kill() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		<-m.done
	}
}

var ctx = context.Background()

func (m *member) do(args ...any) *redis.Cmd {
	return m.rdb.Do(ctx, args...)
}

// info returns INFO crdt as a map.
func (m *member) info() map[string]string {
	text, err := m.rdb.Info(ctx, "crdt").Result()
	if err != nil {
		m.t.Fatalf("member %d INFO crdt: %v", m.id, err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(text, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

func (m *member) infoInt(field string) int64 {
	n, _ := strconv.ParseInt(m.info()[field], 10, 64)
	return n
}

// converged reports whether the members' crdt_ovc lines are equal and cover every one's
// crdt_clock (replication.md §5).
func converged(ms []*member) bool {
	var ovc string
	for i, m := range ms {
		in := m.info()
		if i == 0 {
			ovc = in["crdt_ovc"]
		} else if in["crdt_ovc"] != ovc {
			return false
		}
	}
	for _, m := range ms {
		clk := m.info()["crdt_clock"]
		if !regexp.MustCompile(`(^|,)` + strconv.Itoa(m.id) + `:` + clk + `(,|$)`).MatchString(ovc) {
			return false
		}
	}
	return true
}

func (c *cluster) waitConverged(ms ...*member) {
	c.t.Helper()
	if len(ms) == 0 {
		ms = c.members
	}
	deadline := time.Now().Add(20 * time.Second)
	for !converged(ms) {
		if time.Now().After(deadline) {
			for _, m := range ms {
				c.t.Logf("member %d: ovc=%s clock=%s", m.id, m.info()["crdt_ovc"], m.info()["crdt_clock"])
			}
			c.t.Fatal("members did not converge")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cut cuts or heals the links between members a and b, both directions.
func (c *cluster) cut(a, b int, cut bool) {
	for _, p := range []*wanproxy.Proxy{c.links[[2]int{a, b}], c.links[[2]int{b, a}]} {
		if cut {
			p.Cut()
		} else {
			p.Heal()
		}
	}
}

func (c *cluster) digests() []string {
	var out []string
	for _, m := range c.members {
		d, err := m.do("DEBUG", "DIGEST").Text()
		if err != nil {
			c.t.Fatalf("DEBUG DIGEST: %v", err)
		}
		out = append(out, d)
	}
	return out
}

func allEqual(s []string) bool {
	for _, x := range s[1:] {
		if x != s[0] {
			return false
		}
	}
	return true
}
