// Package node builds one Concord member from its configuration: the engine, the command
// environment, the client server, replication (when peers are configured) and the background
// cycles (active expiry). It is what main runs and what tests start in-process; several
// members can run in one process (Start, Close).
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/metrics"
	"github.com/concord-db/concord/internal/persist"
	"github.com/concord-db/concord/internal/replication"
	"github.com/concord-db/concord/internal/server"
)

// Node is one running member.
type Node struct {
	Config *config.Config
	Engine *engine.Engine
	Env    *command.Env
	Server *server.Server
	// Replication is nil for a standalone member (no peers).
	Replication *replication.Replicator
	log         *slog.Logger
	cancel      context.CancelFunc
	done        chan struct{} // closed when Run returns (Start)

	// Persist keeps the data on disk (package persist).
	Persist *persist.Persister
	// Metrics serves /metrics when metrics-port is set (nil otherwise).
	Metrics *metrics.Server
}

// New builds a member from cfg and binds its client port.
func New(cfg *config.Config, log *slog.Logger) (*Node, error) {
	member := clock.MemberID(cfg.Int("member-id"))
	peers := cfg.Peers()
	e := engine.New(engine.Config{
		Member:    member,
		Databases: int(cfg.Int("databases")),
		Seed:      uint64(time.Now().UnixNano()),
		// Removals must be remembered until every member has seen them (GC).
		KeepTombstones: len(peers) > 0,
	})
	// io-threads is how many threads run Go code at once (GOMAXPROCS). Redis's default of 1
	// is also Concord's: on a small machine shared with its clients one thread is fastest, as
	// for Redis; give more to serve many connections on many cores.
	runtime.GOMAXPROCS(int(max(1, cfg.Int("io-threads"))))
	// Persistence: load the files into the empty engine before anything else can apply to it.
	// Conflicts the files replay were recorded when they were first resolved.
	e.SetConflictLog(false)
	p, err := persist.Open(e, cfg, log, persist.Options{})
	e.SetConflictLog(true)
	if err != nil {
		return nil, err
	}
	env := command.NewEnv(e, cfg, log)
	env.SetPersistence(p)
	srv := server.New(env, log)
	tlsSt, err := listenClients(cfg, srv, log) // port and tls-port (tls.go)
	if err != nil {
		_ = p.Close(false)
		return nil, err
	}
	tlsSt.register(srv)
	cfg.OnApply("port", func(v string) error {
		port, _ := strconv.Atoi(v)
		bind := strings.Fields(cfg.String("bind"))
		if port == 0 && cfg.Int("tls-port") > 0 { // TLS only, as in Redis
			srv.ClosePlain()
			return nil
		}
		if err := srv.Rebind(bind, port, bind, int(cfg.Int("port"))); err != nil {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
	cfg.OnApply("bind", func(v string) error {
		port, old := int(cfg.Int("port")), strings.Fields(cfg.String("bind"))
		plain := port != 0 || cfg.Int("tls-port") == 0 // port 0 beside a tls-port: no plain port
		if plain {
			if err := srv.Rebind(strings.Fields(v), port, old, port); err != nil {
				return errors.New("Failed to bind to specified addresses.")
			}
		}
		if err := tlsSt.rebindTLS(srv, strings.Fields(v)); err != nil {
			_ = tlsSt.rebindTLS(srv, old)
			if plain {
				_ = srv.Rebind(old, port, old, port)
			}
			return errors.New("Failed to bind to specified addresses.")
		}
		return nil
	})
	n := &Node{Config: cfg, Engine: e, Env: env, Server: srv, Persist: p, log: log}
	if len(peers) > 0 {
		r, err := newReplication(cfg, e, peers, tlsSt, log, p.DurableVector)
		if err != nil {
			srv.Close()
			_ = p.Close(false)
			return nil, err
		}
		n.Replication = r
		env.SetReplication(r)
		for _, name := range linkParams {
			cfg.OnApply(name, func(v string) error {
				o := r.LinkOptions() // holds the parameters set before this one in one CONFIG SET
				setLinkOption(&o, name, v)
				r.SetLinkOptions(o)
				return nil
			})
		}
		// Until it has its own earlier batches back from its peers, the member refuses writes
		// (replication/startup.go).
		env.SetWriteGate(r.Syncing)
	}
	if port := cfg.Int("metrics-port"); port > 0 {
		var repl command.Replication
		if n.Replication != nil {
			repl = n.Replication
		}
		// Bound like the client port: on every bind address ("*": every interface).
		var addrs []string
		for _, h := range strings.Fields(cfg.String("bind")) {
			opt := ""
			if strings.HasPrefix(h, "-") {
				opt, h = "-", h[1:]
			}
			if h == "*" || h == "::*" {
				h = ""
			}
			addrs = append(addrs, opt+net.JoinHostPort(h, strconv.FormatInt(port, 10)))
		}
		m, err := metrics.Listen(addrs, metrics.NewCollector(env, repl), log)
		if err != nil {
			srv.Close()
			_ = p.Close(false)
			if n.Replication != nil {
				n.Replication.Close()
			}
			return nil, err
		}
		n.Metrics = m
	}
	return n, nil
}

// linkParams are the WAN settings of the peer links, which CONFIG SET changes on live links.
var linkParams = []string{"crdt-compression", "crdt-compression-level", "crdt-link-max-bandwidth",
	"crdt-batch-max-bytes", "crdt-flush-interval"}

// setLinkOption sets the field of o that parameter name holds to v (as CONFIG GET prints it:
// yes/no, a number of bytes or ms), already validated by the configuration.
func setLinkOption(o *replication.LinkOptions, name, v string) {
	n, _ := strconv.ParseInt(v, 10, 64)
	switch name {
	case "crdt-compression":
		o.Compress = v == "yes"
	case "crdt-compression-level":
		o.CompressionLevel = int(n)
	case "crdt-link-max-bandwidth":
		o.MaxBandwidth = n
	case "crdt-batch-max-bytes":
		o.BatchMaxBytes = int(n)
	case "crdt-flush-interval":
		o.FlushInterval = time.Duration(n) * time.Millisecond
	}
}

// newReplication builds the replication layer from the member's configuration. The peer port
// listens on the first bind address (every interface for "*").
// durable is the persister's DurableVector: the member advertises for tombstone collection
// only what its disk holds (docs/testing.md, bug 7).
func newReplication(cfg *config.Config, e *engine.Engine, peers []config.Peer, tlsSt *tlsState, log *slog.Logger, durable func() clock.Vector) (*replication.Replicator, error) {
	rc := replication.Config{
		Member:       clock.MemberID(cfg.Int("member-id")),
		Name:         cfg.String("member-name"),
		Secret:       cfg.String("peer-secret"),
		BacklogSize:  cfg.Int("crdt-backlog-size"),
		PendingLimit: cfg.Int("crdt-causal-buffer-size"),
		OVCInterval:  time.Duration(cfg.Int("crdt-ovc-interval")) * time.Millisecond,
		GCInterval:   time.Duration(cfg.Int("crdt-gc-interval")) * time.Millisecond,
		Durable:      durable,
		Log:          log,
	}
	tlsSt.peerTLS(&rc.WrapListener, &rc.Dial) // tls-replication
	var o replication.LinkOptions
	for _, name := range linkParams {
		setLinkOption(&o, name, cfg.String(name))
	}
	rc.Compress, rc.CompressionLevel, rc.MaxBandwidth = o.Compress, o.CompressionLevel, o.MaxBandwidth
	rc.BatchMaxBytes, rc.FlushInterval = o.BatchMaxBytes, o.FlushInterval
	rc.StartupSyncTimeout = time.Duration(cfg.Int("crdt-startup-sync-timeout")) * time.Millisecond
	if rc.StartupSyncTimeout == 0 {
		rc.StartupSyncTimeout = -1 // 0 in the configuration: no startup wait
	}
	for _, p := range peers {
		rc.Peers = append(rc.Peers, replication.Peer{ID: clock.MemberID(p.ID), Addr: p.Addr})
	}
	if port := cfg.Int("peer-port"); port > 0 {
		host := ""
		if bind := strings.Fields(cfg.String("bind")); len(bind) > 0 {
			host = strings.TrimPrefix(bind[0], "-")
			if host == "*" || host == "::*" {
				host = ""
			}
		}
		rc.Listen = net.JoinHostPort(host, strconv.FormatInt(port, 10))
	} else {
		log.Warn("peer-port is 0: peers cannot pull this member's writes; set peer-port")
	}
	return replication.New(e, rc)
}

// Start builds a member and runs it in the background; Close stops it.
func Start(cfg *config.Config, log *slog.Logger) (*Node, error) {
	n, err := New(cfg, log)
	if err != nil {
		return nil, err
	}
	n.done = make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(n.done)
		n.run(context.Background(), ready)
	}()
	<-ready
	return n, nil
}

// Close stops a member started with Start and waits until it has stopped.
func (n *Node) Close() {
	n.Stop()
	if n.done != nil {
		<-n.done
	}
}

// Run serves until ctx is done or SHUTDOWN is called.
func (n *Node) Run(ctx context.Context) error { return n.run(ctx, nil) }

func (n *Node) run(ctx context.Context, ready chan struct{}) error {
	ctx, n.cancel = context.WithCancel(ctx)
	n.Env.Shutdown = n.cancel
	if ready != nil {
		close(ready)
	}
	go n.cron(ctx)
	go n.Persist.Run(ctx)
	// A member stopped by its own process (Run: a signal) saves when save points are configured,
	// as Redis does; members started in-process (Start) don't.
	defer func() {
		if err := n.Persist.Close(ready == nil); err != nil {
			n.log.Error("closing the data files", "err", err)
		}
	}()
	if r := n.Replication; r != nil {
		r.Start(ctx)
		defer func() {
			r.Close()
			n.Env.SetReplication(nil)
			n.Env.SetWriteGate(nil)
		}()
		n.log.Info("replication started", "peer_addr", addrString(r.Addr()), "peers", len(n.Config.Peers()))
	}
	if n.Metrics != nil {
		n.log.Info("serving metrics", "addr", n.Metrics.Addr().String())
	}
	if a := n.Server.TLSAddr(); a != nil {
		n.log.Info("accepting TLS connections", "tls_addr", a.String())
	}
	n.log.Info("ready to accept connections", "addr", n.Server.Addr().String(),
		"member_id", n.Config.Int("member-id"), "member_name", n.Config.String("member-name"))
	err := n.Server.Serve(ctx)
	if n.Metrics != nil {
		_ = n.Metrics.Close()
	}
	n.log.Info("member stopped")
	return err
}

// Stop ends Run.
func (n *Node) Stop() {
	if n.cancel != nil {
		n.cancel()
	}
	n.Server.Close()
}

// cron runs the periodic work, hz times a second like Redis's serverCron.
func (n *Node) cron(ctx context.Context) {
	for {
		hz := n.Config.Int("hz")
		if hz < 1 {
			hz = 1
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second / time.Duration(hz)):
		}
		n.Engine.Lock()
		// Expiring makes local batches, which wait while the member syncs (startup.go).
		if n.Replication == nil || !n.Replication.Syncing() {
			// Redis's slow cycle spends up to 25% of a cycle period expiring keys.
			n.Engine.ActiveExpire(max(1, 1000/hz/4))
		}
		n.Engine.Unlock()
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// PeerAddr is the address the member accepts peer links on ("" when none).
func (n *Node) PeerAddr() string {
	if n.Replication == nil {
		return ""
	}
	return addrString(n.Replication.Addr())
}

// String describes the member for logs.
func (n *Node) String() string {
	return fmt.Sprintf("member %d (%s)", n.Config.Int("member-id"), n.Config.String("member-name"))
}
