package main

// concord demo: a local active-active database in one process, for trying Concord out.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/concord-db/concord/internal/node"
	"github.com/concord-db/concord/internal/wanproxy"
)

const demoUsage = `Usage: concord demo [--members N] [--port BASE] [--latency D] [--jitter D] [--dir DIR] [--log-level LEVEL]

Starts a local active-active database of N members (default 3) in this process, on client
ports BASE, BASE+1, ... (default 7001), with a simulated WAN between them: every peer link
goes through a proxy that delays each byte by --latency one way (default 80ms) plus up to
--jitter. Data lives in a temporary directory removed on exit, unless --dir is given.
Ctrl-C (or SHUTDOWN on any member) stops everything.
`

// demoNames are the members' names, as regions; members past them are m7, m8, ...
var demoNames = []string{"us", "eu", "asia", "au", "sa", "af"}

// demoMember is one in-process member of the demo.
type demoMember struct {
	name     string
	id       int
	port     int
	peerPort int
	node     *node.Node
}

func demo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("concord demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, demoUsage) }
	members := fs.Int("members", 3, "number of members (2..64)")
	base := fs.Int("port", 7001, "client port of the first member; the others follow")
	latency := fs.Duration("latency", 80*time.Millisecond, "one-way latency of every peer link")
	jitter := fs.Duration("jitter", 0, "random extra one-way delay of every peer link, up to this")
	dir := fs.String("dir", "", "data directory (default: a temporary one, removed on exit)")
	logLevel := fs.String("log-level", "warning", "members' log level: debug, verbose, notice, warning")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "concord demo: unexpected argument %q\n\n%s", fs.Arg(0), demoUsage)
		return 2
	case *members < 2 || *members > 64:
		fmt.Fprintln(stderr, "concord demo: --members must be between 2 and 64")
		return 2
	case *base < 1 || *base+*members-1 > 65535:
		fmt.Fprintln(stderr, "concord demo: --port must leave room for one port per member below 65536")
		return 2
	case *latency < 0 || *jitter < 0:
		fmt.Fprintln(stderr, "concord demo: --latency and --jitter cannot be negative")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := newDemo(*members, *base, *latency, *jitter, *dir, *logLevel, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "concord demo: %v\n", err)
		return 1
	}
	err = d.run(ctx, func() { d.printWelcome(stdout) })
	fmt.Fprintln(stdout, "\nStopped.")
	if err != nil {
		fmt.Fprintf(stderr, "concord demo: %v\n", err)
		return 1
	}
	return 0
}

type demoDB struct {
	members []*demoMember
	proxies []*wanproxy.Proxy
	dir     string
	tempDir bool
	latency time.Duration
	jitter  time.Duration
}

// newDemo builds every member and proxy; on error it releases what it built.
func newDemo(n, base int, latency, jitter time.Duration, dir, logLevel string, stderr io.Writer) (_ *demoDB, err error) {
	d := &demoDB{dir: dir, latency: latency, jitter: jitter}
	defer func() {
		if err != nil {
			d.release()
			d.close()
		}
	}()
	if d.dir == "" {
		if d.dir, err = os.MkdirTemp("", "concord-demo-"); err != nil {
			return nil, err
		}
		d.tempDir = true
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	for i := range n {
		m := &demoMember{id: i + 1, port: base + i, name: fmt.Sprintf("m%d", i+1)}
		if i < len(demoNames) {
			m.name = demoNames[i]
		}
		if m.peerPort, err = freePort(); err != nil {
			return nil, fmt.Errorf("no free port for the peer links: %w", err)
		}
		d.members = append(d.members, m)
	}
	// Member i reaches member j through its own proxy, so each direction of each link is
	// delayed separately, as on a real network.
	peers := make([][]string, n)
	for i := range d.members {
		for j, to := range d.members {
			if i == j {
				continue
			}
			p, err := wanproxy.Listen("127.0.0.1:0", net.JoinHostPort("127.0.0.1", strconv.Itoa(to.peerPort)),
				wanproxy.Options{Latency: latency, Jitter: jitter})
			if err != nil {
				return nil, err
			}
			d.proxies = append(d.proxies, p)
			peers[i] = append(peers[i], fmt.Sprintf("%d=%s", to.id, p.Addr()))
		}
	}
	for i, m := range d.members {
		args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(m.port),
			"--dir", filepath.Join(d.dir, m.name), "--log-level", logLevel,
			"--member-id", strconv.Itoa(m.id), "--member-name", m.name,
			"--peer-port", strconv.Itoa(m.peerPort), "--peer-secret", hex.EncodeToString(secret),
			"--peer"}
		args = append(args, peers[i]...)
		cfg, err := loadConfig(args)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", m.name, err)
		}
		log, err := newLogger(cfg, stderr)
		if err != nil {
			return nil, err
		}
		if m.node, err = node.New(cfg, log.With("member", m.name)); err != nil {
			return nil, fmt.Errorf("member %s on port %d: %w (choose other ports with --port)", m.name, m.port, err)
		}
	}
	return d, nil
}

// run serves until ctx ends (Ctrl-C) or a member stops (SHUTDOWN), then stops everything.
// ready runs once every member accepts writes: a member with peers refuses them (LOADING)
// until it has synced with its peers at start, and the walkthrough begins with writes.
func (d *demoDB) run(ctx context.Context, ready func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(d.members))
	var wg sync.WaitGroup
	for _, m := range d.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := m.node.Run(ctx)
			if err != nil {
				err = fmt.Errorf("member %s: %w", m.name, err)
			}
			errs <- err
			cancel() // one member stopping (SHUTDOWN) ends the demo
		}()
	}
	d.waitWritable(ctx)
	if ctx.Err() == nil {
		ready()
	}
	<-ctx.Done()
	for _, m := range d.members {
		m.node.Stop()
	}
	wg.Wait()
	d.close()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// release frees the members built but never run (an error part-way through newDemo).
func (d *demoDB) release() {
	for _, m := range d.members {
		if m.node != nil {
			m.node.Stop()
			if m.node.Replication != nil {
				m.node.Replication.Close()
			}
		}
	}
}

// close stops the proxies and removes a temporary data directory.
func (d *demoDB) close() {
	for _, p := range d.proxies {
		p.Close()
	}
	if d.tempDir {
		os.RemoveAll(d.dir)
	}
}

func (d *demoDB) printWelcome(w io.Writer) {
	a, b, c := d.members[0], d.members[1], d.members[len(d.members)-1]
	jit := ""
	if d.jitter > 0 {
		jit = fmt.Sprintf(" (+ up to %v of jitter)", d.jitter)
	}
	fmt.Fprintf(w, "Concord demo: an active-active database of %d members in this process.\n", len(d.members))
	fmt.Fprintf(w, "Every peer link goes through a simulated WAN: %v one way%s.\n\n", d.latency, jit)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range d.members {
		fmt.Fprintf(tw, "  %s\tmember %d\tredis-cli -p %d\n", m.name, m.id, m.port)
	}
	tw.Flush()
	where := d.dir
	if d.tempDir {
		where += " (removed on exit)"
	}
	fmt.Fprintf(w, "\nData: %s\n", where)
	fmt.Fprintf(w, `
Try it in another terminal:

  1. Concurrent increments on two members add up:
       redis-cli -p %[1]d INCRBY visits 5 & redis-cli -p %[2]d INCRBY visits 3; wait
       redis-cli -p %[3]d GET visits          # "8" on every member, a moment later

  2. An add wins over a concurrent remove (which removes only what it saw):
       redis-cli -p %[1]d SADD colors red
       redis-cli -p %[1]d SREM colors red & redis-cli -p %[2]d SADD colors red; wait
       redis-cli -p %[3]d SMEMBERS colors     # "red" everywhere

  3. Watch the links and the vector clocks:
       redis-cli -p %[1]d INFO crdt

Press Ctrl-C to stop.
`, a.port, b.port, c.port)
}

// freePort returns a TCP port on 127.0.0.1 free right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitWritable waits until no member is still in its startup sync, or ctx ends. The sync
// takes a fraction of a second on loopback; the bound only keeps a stuck member from hiding
// the welcome for ever.
func (d *demoDB) waitWritable(ctx context.Context) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		syncing := false
		for _, m := range d.members {
			if r := m.node.Replication; r != nil && r.Syncing() {
				syncing = true
			}
		}
		if !syncing {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
