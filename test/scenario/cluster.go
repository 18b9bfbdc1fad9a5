package scenario

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/concord-db/concord/internal/resp"
	"github.com/concord-db/concord/internal/wanproxy"
	"github.com/concord-db/concord/test/testserver"
)

// ClusterOptions configure the processes and links of a Cluster.
type ClusterOptions struct {
	Binary  string // concord binary
	BaseDir string // each member gets BaseDir/<name> as --dir
	Secret  string // --peer-secret
	// Latency and Jitter shape every peer link (wanproxy.Options); 0 by default, since paused
	// links already make the scenario's writes concurrent.
	Latency, Jitter time.Duration
	// SyncTimeout bounds a sync (and the initial connection of the links).
	SyncTimeout time.Duration
	// CommandTimeout bounds one command's reply.
	CommandTimeout time.Duration
}

// Cluster is one active-active database of concord processes on loopback whose peer links all
// go through wanproxy proxies: member i dials member j through the proxy of link i→j.
type Cluster struct {
	opts    ClusterOptions
	members []*member
	byName  map[string]*member
	// proxies[i][j] carries the connections member i opens to member j (nil when i == j).
	proxies [][]*wanproxy.Proxy
	// cut[i][j] (== cut[j][i]) is set by "cut" until "heal".
	cut [][]bool
}

type member struct {
	name     string
	id       int // 1-based, the order of the members line
	port     int
	peerPort int
	dir      string
	argv     []string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
	out  *tail

	conn net.Conn
	r    *bufio.Reader
}

// StartCluster starts one member per name, fully meshed through proxies, waits until every
// link is connected, and leaves the links paused (see the package documentation).
func StartCluster(names []string, opts ClusterOptions) (*Cluster, error) {
	var last error
	for range 4 {
		c, err := startCluster(names, opts)
		if err == nil {
			return c, nil
		}
		last = err
		// Ports are picked free then handed to the processes; another test may take one in
		// between. Only that is worth another attempt.
		if !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
	}
	return nil, last
}

func startCluster(names []string, opts ClusterOptions) (_ *Cluster, err error) {
	n := len(names)
	c := &Cluster{opts: opts, byName: map[string]*member{}}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	for i, name := range names {
		m := &member{name: name, id: i + 1, dir: filepath.Join(opts.BaseDir, name)}
		if m.port, err = testserver.FreePort(); err != nil {
			return nil, err
		}
		if m.peerPort, err = testserver.FreePort(); err != nil {
			return nil, err
		}
		c.members = append(c.members, m)
		c.byName[name] = m
	}
	c.proxies = make([][]*wanproxy.Proxy, n)
	c.cut = make([][]bool, n)
	for i := range n {
		c.proxies[i] = make([]*wanproxy.Proxy, n)
		c.cut[i] = make([]bool, n)
		for j := range n {
			if i == j {
				continue
			}
			target := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.members[j].peerPort))
			p, err := wanproxy.Listen("127.0.0.1:0", target, wanproxy.Options{Latency: opts.Latency, Jitter: opts.Jitter})
			if err != nil {
				return nil, err
			}
			c.proxies[i][j] = p
		}
	}
	for i, m := range c.members {
		m.argv = []string{opts.Binary, "start", "--bind", "127.0.0.1", "--port", strconv.Itoa(m.port),
			"--dir", m.dir, "--member-id", strconv.Itoa(m.id), "--member-name", m.name,
			"--peer-port", strconv.Itoa(m.peerPort), "--peer-secret", opts.Secret}
		for j := range c.members {
			if j != i {
				m.argv = append(m.argv, "--peer", fmt.Sprintf("%d=%s", j+1, c.proxies[i][j].Addr()))
			}
		}
		// A fresh directory: a previous attempt (ports taken) may have left files there.
		os.RemoveAll(m.dir)
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return nil, err
		}
		if err := m.start(); err != nil {
			return nil, err
		}
	}
	for _, m := range c.members {
		if err := m.waitReady(); err != nil {
			return nil, err
		}
	}
	if err := c.waitLinks(); err != nil {
		return nil, err
	}
	c.pauseAll()
	return c, nil
}

// Close kills every member and closes every proxy.
func (c *Cluster) Close() {
	for _, m := range c.members {
		m.kill()
	}
	for _, row := range c.proxies {
		for _, p := range row {
			if p != nil {
				p.Close()
			}
		}
	}
}

// Names lists the members in order.
func (c *Cluster) Names() []string {
	names := make([]string, len(c.members))
	for i, m := range c.members {
		names[i] = m.name
	}
	return names
}

// Output returns the last lines of every member's log, for failure reports.
func (c *Cluster) Output(lines int) string {
	var b strings.Builder
	for _, m := range c.members {
		fmt.Fprintf(&b, "--- %s (member %d, %s):\n%s\n", m.name, m.id, strings.Join(m.argv, " "), m.out.last(lines))
	}
	return b.String()
}

// Do runs one command on a member and returns its reply.
func (c *Cluster) Do(name string, args ...string) (*testserver.Reply, error) {
	m := c.byName[name]
	if m == nil {
		return nil, fmt.Errorf("no member %q", name)
	}
	rep, err := m.do(c.opts.CommandTimeout, args...)
	if err != nil && m.exited() {
		err = fmt.Errorf("%w (the process has exited: %v)", err, m.err)
	}
	return rep, err
}

// Sync lets the named members (all when names is empty) exchange everything over the links
// among them, waits until they are converged, then pauses every link again. Links cut by Cut
// stay cut: the members must converge through the others (relaying).
func (c *Cluster) Sync(names ...string) error {
	in := make([]bool, len(c.members))
	var set []*member
	for _, m := range c.members {
		if len(names) == 0 || slices.Contains(names, m.name) {
			in[m.id-1] = true
			set = append(set, m)
		}
	}
	for i := range c.members {
		for j := range c.members {
			if p := c.proxies[i][j]; p != nil {
				if in[i] && in[j] {
					p.Resume()
				} else {
					p.Pause()
				}
			}
		}
	}
	defer c.pauseAll()
	deadline := time.Now().Add(c.opts.SyncTimeout)
	for {
		infos, err := c.infos(set)
		if err != nil {
			return err
		}
		ids := make([]int, len(set))
		for i, m := range set {
			ids[i] = m.id
		}
		if converged(ids, infos) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not converged after %v:\n%s", c.opts.SyncTimeout, describe(set, infos))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Cut closes the links between two members (both directions) until Heal.
func (c *Cluster) Cut(a, b string) {
	i, j := c.byName[a].id-1, c.byName[b].id-1
	c.cut[i][j], c.cut[j][i] = true, true
	c.proxies[i][j].Cut()
	c.proxies[j][i].Cut()
}

// Heal restores every cut link. The links stay paused until the next Sync.
func (c *Cluster) Heal() {
	for i, row := range c.proxies {
		for j, p := range row {
			if p != nil {
				c.cut[i][j] = false
				p.Heal()
			}
		}
	}
}

// Restart kills a member with SIGKILL and starts it again on the same ports and data
// directory.
func (c *Cluster) Restart(name string) error {
	m := c.byName[name]
	m.kill()
	var err error
	for range 20 {
		if err = m.start(); err == nil {
			if err = m.waitReady(); err == nil {
				return nil
			}
		}
		if !strings.Contains(err.Error(), "address already in use") {
			return err
		}
		// The killed process's ports may take a moment to be released.
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

func (c *Cluster) pauseAll() {
	for _, row := range c.proxies {
		for _, p := range row {
			if p != nil {
				p.Pause()
			}
		}
	}
}

// noPeersGrace is how long members may list no peer at all in INFO crdt before the runner
// concludes that they do not replicate (rather than waiting the whole SyncTimeout).
const noPeersGrace = 5 * time.Second

// waitLinks waits until every member reports every peer link connected, so that the scenario
// starts with established links rather than with dials in their retry backoff.
func (c *Cluster) waitLinks() error {
	start := time.Now()
	for {
		infos, err := c.infos(c.members)
		if err != nil {
			return err
		}
		ok, anyPeer := true, false
		for i, in := range infos {
			anyPeer = anyPeer || len(in.peers) > 0
			for _, o := range c.members {
				if o.id != c.members[i].id && in.peers[o.id] != "connected" {
					ok = false
				}
			}
		}
		if ok {
			return nil
		}
		if !anyPeer && time.Since(start) > noPeersGrace {
			return fmt.Errorf("no member lists a peer link in INFO crdt after %v: replication is not running\n%s",
				noPeersGrace, describe(c.members, infos))
		}
		if time.Since(start) > c.opts.SyncTimeout {
			return fmt.Errorf("peer links not all connected after %v:\n%s", c.opts.SyncTimeout, describe(c.members, infos))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) infos(set []*member) ([]*crdtInfo, error) {
	infos := make([]*crdtInfo, len(set))
	for i, m := range set {
		rep, err := c.Do(m.name, "INFO", "crdt")
		if err != nil {
			return nil, fmt.Errorf("INFO crdt on %s: %w", m.name, err)
		}
		if rep.Type != '$' || rep.Null {
			return nil, fmt.Errorf("INFO crdt on %s replied %s", m.name, Render(rep))
		}
		if infos[i], err = parseCRDTInfo(rep.Str); err != nil {
			return nil, fmt.Errorf("INFO crdt on %s: %w", m.name, err)
		}
	}
	return infos, nil
}

// describe shows the replication state of members for a timeout message.
func describe(set []*member, infos []*crdtInfo) string {
	var b strings.Builder
	for i, m := range set {
		in := infos[i]
		fmt.Fprintf(&b, "  %s (id %d): crdt_clock:%s crdt_ovc:%s", m.name, m.id, in.raw["crdt_clock"], in.raw["crdt_ovc"])
		var peers []string
		for k, v := range in.raw {
			if strings.HasPrefix(k, "crdt_peer") {
				peers = append(peers, k+":"+v)
			}
		}
		slices.Sort(peers)
		for _, p := range peers {
			b.WriteString("\n    " + p)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ---- one member process

func (m *member) start() error {
	if m.out == nil {
		m.out = &tail{max: 256 << 10}
	} else {
		// A restart: keep the log of the run before it.
		fmt.Fprintf(m.out, "----- restart of %s -----\n", m.name)
	}
	m.done = make(chan struct{})
	m.cmd = exec.Command(m.argv[0], m.argv[1:]...)
	m.cmd.Dir = m.dir
	m.cmd.Stdout = m.out
	m.cmd.Stderr = m.out
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", m.name, err)
	}
	done := m.done
	cmd := m.cmd
	go func() {
		err := cmd.Wait()
		m.err = err
		close(done)
	}()
	return nil
}

func (m *member) exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// waitReady waits for the member to answer PING and keeps that connection for commands.
func (m *member) waitReady() error {
	deadline := time.Now().Add(testserver.StartTimeout)
	for time.Now().Before(deadline) {
		if m.exited() {
			return fmt.Errorf("member %s exited before answering PING: %v\n%s", m.name, m.err, m.out.last(20))
		}
		nc, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)), time.Second)
		if err == nil {
			m.conn, m.r = nc, bufio.NewReader(nc)
			rep, err := m.do(2*time.Second, "PING")
			if err == nil && !(rep.IsError() && strings.HasPrefix(rep.Str, "LOADING")) {
				return nil
			}
			nc.Close()
			m.conn = nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("member %s did not answer PING within %v\n%s", m.name, testserver.StartTimeout, m.out.last(20))
}

func (m *member) do(timeout time.Duration, args ...string) (*testserver.Reply, error) {
	if m.conn == nil {
		return nil, errors.New("not connected")
	}
	m.conn.SetDeadline(time.Now().Add(timeout))
	if _, err := m.conn.Write(resp.AppendCommand(nil, args...)); err != nil {
		return nil, err
	}
	raw, err := resp.ReadRawReply(m.r)
	if err != nil {
		return nil, err
	}
	return testserver.ParseReply(raw)
}

// kill stops the process with SIGKILL (as a crash would) and waits for it to exit.
func (m *member) kill() {
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
	}
}

// tail keeps the last max bytes written to it (a member's log).
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// last returns the last n lines.
func (t *tail) last(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
