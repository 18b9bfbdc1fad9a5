package command

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
)

// RedisVersion is the Redis version whose behaviour Concord reproduces; INFO reports it as
// redis_version because clients look at it to decide which commands they may use.
const RedisVersion = "7.0.15"

// Version is Concord's own version.
const Version = "0.1.0"

// Env is everything commands act on: the engine, the configuration and the server-wide state
// that is not keyspace (clients, watches, subscriptions, statistics).
type Env struct {
	Engine  *engine.Engine
	Config  *config.Config
	Log     *slog.Logger
	Started time.Time
	RunID   string
	// Shutdown is called by SHUTDOWN (set by the server).
	Shutdown func()

	clients map[int64]*Client
	nextID  atomic.Int64
	watch   watchers
	hub     hub
	block   *blockRegistry // clients parked by blocking commands; nil until one parks
	// writeGate is the write gate of a member syncing after a restart (SetWriteGate).
	writeGate atomic.Pointer[func() bool]
	// persist is the persistence layer (SetPersistence), nil without one.
	persist atomic.Pointer[Persistence]
	// repl is the replication layer (SetReplication), nil for a standalone member.
	repl atomic.Pointer[Replication]

	Stats Stats
}

// Stats are server-wide counters reported by INFO (changed under the engine lock, except the
// atomic ones, which the network side updates).
type Stats struct {
	Connections      uint64
	Commands         uint64
	RejectedConns    atomic.Uint64
	ErrorReplies     uint64
	NetInput         atomic.Uint64
	NetOutput        atomic.Uint64
	ErrorCodes       map[string]uint64 // INFO errorstats
	PubSubMessages   uint64
	Unexpected       uint64
	LastResetSeconds int64
	PeakMemory       uint64 // INFO used_memory_peak: the largest used_memory INFO has seen
}

// NewEnv wires the command layer to an engine and a configuration.
func NewEnv(e *engine.Engine, cfg *config.Config, log *slog.Logger) *Env {
	var id [20]byte
	_, _ = rand.Read(id[:])
	env := &Env{
		Engine:  e,
		Config:  cfg,
		Log:     log,
		Started: time.Now(),
		RunID:   hex.EncodeToString(id[:]),
		clients: make(map[int64]*Client),
	}
	env.Stats.ErrorCodes = make(map[string]uint64)
	e.OnTouch = env.watch.touch
	e.OnFlush = env.watch.touchDB
	e.OnPublish = env.hub.publish
	return env
}

// Connect registers a new client; it fails with ErrMaxClients when maxclients is reached. The
// caller holds the engine lock.
func (env *Env) Connect(cl *Client) error {
	if max := env.Config.Int("maxclients"); max > 0 && int64(len(env.clients)) >= max {
		env.Stats.RejectedConns.Add(1)
		return ErrMaxClients
	}
	if cl.ID == 0 {
		cl.ID = env.nextID.Add(1)
	}
	cl.Authed = env.Config.String("requirepass") == ""
	cl.Created = time.Now().UnixMilli()
	cl.LastCmdAt = cl.Created
	cl.LastCmd = "NULL"
	env.clients[cl.ID] = cl
	env.Stats.Connections++
	return nil
}

// NewClientID returns the next client id.
func (env *Env) NewClientID() int64 { return env.nextID.Add(1) }

// Disconnect forgets a client: its watches and subscriptions. The caller holds the engine lock.
func (env *Env) Disconnect(cl *Client) {
	env.watch.unwatchAll(cl)
	env.hub.unsubscribeAll(cl)
	delete(env.clients, cl.ID)
}

// Clients returns the connected clients sorted by id. The caller holds the engine lock.
func (env *Env) Clients() []*Client {
	out := make([]*Client, 0, len(env.clients))
	for _, cl := range env.clients {
		out = append(out, cl)
	}
	sortClients(out)
	return out
}

// ClientCount is the number of connected clients.
func (env *Env) ClientCount() int { return len(env.clients) }
