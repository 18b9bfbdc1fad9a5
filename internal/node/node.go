// Package node builds one Concord member from its configuration: the engine, the command
// environment, the client server and the background cycles (active expiry). It is what main
// runs and what tests start in-process.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/server"
)

// Node is one running member.
type Node struct {
	Config *config.Config
	Engine *engine.Engine
	Env    *command.Env
	Server *server.Server
	log    *slog.Logger
	cancel context.CancelFunc
}

// New builds a member from cfg and binds its client port.
func New(cfg *config.Config, log *slog.Logger) (*Node, error) {
	member := clock.MemberID(cfg.Int("member-id"))
	e := engine.New(engine.Config{
		Member:    member,
		Databases: int(cfg.Int("databases")),
		Seed:      uint64(time.Now().UnixNano()),
	})
	// io-threads is how many threads run Go code at once (GOMAXPROCS). Redis's default of 1
	// is also Concord's: on a small machine shared with its clients one thread is fastest, as
	// for Redis; give more to serve many connections on many cores.
	runtime.GOMAXPROCS(int(max(1, cfg.Int("io-threads"))))
	env := command.NewEnv(e, cfg, log)
	srv := server.New(env, log)
	if err := srv.Listen(strings.Fields(cfg.String("bind")), int(cfg.Int("port"))); err != nil {
		return nil, err
	}
	cfg.OnApply("port", func(v string) error {
		port, _ := strconv.Atoi(v)
		bind := strings.Fields(cfg.String("bind"))
		if err := srv.Rebind(bind, port, bind, int(cfg.Int("port"))); err != nil {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
	cfg.OnApply("bind", func(v string) error {
		port := int(cfg.Int("port"))
		if err := srv.Rebind(strings.Fields(v), port, strings.Fields(cfg.String("bind")), port); err != nil {
			return errors.New("Failed to bind to specified addresses.")
		}
		return nil
	})
	n := &Node{Config: cfg, Engine: e, Env: env, Server: srv, log: log}
	return n, nil
}

// Run serves until ctx is done or SHUTDOWN is called.
func (n *Node) Run(ctx context.Context) error {
	ctx, n.cancel = context.WithCancel(ctx)
	n.Env.Shutdown = n.cancel
	go n.cron(ctx)
	n.log.Info("ready to accept connections", "addr", n.Server.Addr().String(),
		"member_id", n.Config.Int("member-id"), "member_name", n.Config.String("member-name"))
	err := n.Server.Serve(ctx)
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
		// Redis's slow cycle spends up to 25% of a cycle period expiring keys.
		n.Engine.ActiveExpire(max(1, 1000/hz/4))
		n.Engine.Unlock()
	}
}

// Addr is the client address the member listens on.
func (n *Node) Addr() string { return n.Server.Addr().String() }

// String describes the member for logs.
func (n *Node) String() string {
	return fmt.Sprintf("member %d (%s)", n.Config.Int("member-id"), n.Config.String("member-name"))
}
