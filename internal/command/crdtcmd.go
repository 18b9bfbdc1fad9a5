package command

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/glob"
)

// Concord's own CRDT.* commands and the hook through which the replication layer (package
// replication, wired by node) reports to INFO crdt. CRDT.* commands are not Redis 7.0 commands,
// so the COMMAND views do not describe them (commandcmd.go).

func init() {
	define(&Command{Name: "crdt.forget", Arity: 2, Flags: Admin, Run: crdtForgetCommand})
	define(&Command{Name: "crdt.conflicts", Arity: -1, Flags: Admin, Run: crdtConflictsCommand})
}

// Replication is what the command layer needs from the replication layer. Its methods are
// called with the engine lock held: they must not take it.
type Replication interface {
	// Info returns INFO crdt's replication fields.
	Info() ReplInfo
	// Forget removes a member from the membership for good (CRDT.FORGET).
	Forget(id clock.MemberID) error
}

// ReplInfo is the replication part of INFO crdt (replication.md §5).
type ReplInfo struct {
	ConfigVersion                 uint64
	Syncing                       bool // writes refused until own effects are synced back (crdt_syncing)
	MergeReqs, SyncFull           uint64
	SyncPartialOK, SyncPartialErr uint64
	GCPending                     int
	GCAttempted, GCCollected      uint64
	GVCMin                        clock.Vector
	BacklogSize                   int64
	BacklogFirst                  clock.Vector
	Forgotten                     []clock.MemberID
	Peers                         []PeerInfo
}

// PeerInfo is one crdt_peer<i> line.
type PeerInfo struct {
	ID                   clock.MemberID
	Name, Addr, State    string
	LagMS                int64
	MaxOpsLag, MinOpsLag uint64
	BytesIn, BytesOut    uint64
	// DataRaw and DataWire are the data payload bytes sent to the peer before and after
	// compression (compression_ratio).
	DataRaw, DataWire uint64
}

// SetReplication installs (or, with nil, removes) the replication layer of env.
func (env *Env) SetReplication(r Replication) {
	if r == nil {
		env.repl.Store(nil)
		return
	}
	env.repl.Store(&r)
	// Conflicts arise only from peers' effects: while a member has peers, each one its engine
	// resolves is also published to this member's subscribers of ConflictChannel.
	env.Engine.Lock()
	env.Engine.OnConflict = env.publishConflict
	env.Engine.Unlock()
}

func (env *Env) replication() Replication {
	if r := env.repl.Load(); r != nil {
		return *r
	}
	return nil
}

// CRDT.FORGET <member-id>: remove a member that is gone for good. Its links are closed, it is
// refused if it reconnects, and garbage collection stops waiting for it.
func crdtForgetCommand(c *Ctx) error {
	id, err := strconv.Atoi(string(c.Args[1]))
	if err != nil || id < 1 || id > clock.MaxMembers {
		return Error("ERR invalid member id, must be between 1 and 64")
	}
	r := c.Env.replication()
	if r == nil {
		return Error("ERR this member has no peers (replication is not configured)")
	}
	if err := r.Forget(clock.MemberID(id)); err != nil {
		return Error("ERR " + err.Error())
	}
	c.W.Simple("OK")
	return nil
}

// ConflictChannel is the pub/sub channel on which a member publishes, to its own subscribers
// only (the message is not replicated), every conflict its engine resolves, as a JSON object
// with the fields of a CRDT.CONFLICTS entry.
const ConflictChannel = "__crdt__:conflicts"

// conflictJSON is a conflict as published on ConflictChannel.
type conflictJSON struct {
	Time       int64     `json:"time"`
	DB         int       `json:"db"`
	Key        string    `json:"key"`
	Type       string    `json:"type"`
	Rule       string    `json:"rule"`
	Element    string    `json:"element,omitempty"`
	Winner     writeJSON `json:"winner"`
	Loser      writeJSON `json:"loser"`
	LoserValue *string   `json:"loser_value,omitempty"`
}

type writeJSON struct {
	Member clock.MemberID `json:"member"`
	Seq    uint64         `json:"seq"`
	Time   int64          `json:"time"` // ms of the write's timestamp, 0 when not kept
}

func toWriteJSON(w crdt.Write) writeJSON {
	return writeJSON{Member: w.Dot.Member, Seq: w.Dot.Seq, Time: w.HLC.Millis()}
}

// publishConflict is the engine's OnConflict hook (under the engine lock, like OnPublish).
func (env *Env) publishConflict(c *engine.Conflict) {
	if len(env.hub.channels[ConflictChannel]) == 0 && len(env.hub.patterns) == 0 {
		return
	}
	m := conflictJSON{Time: c.Time, DB: c.DB, Key: c.Key, Type: engine.TypeName(c.Type),
		Rule: c.Rule.String(), Element: c.Element, Winner: toWriteJSON(c.Winner), Loser: toWriteJSON(c.Loser)}
	if c.LoserValue != nil {
		v := string(c.LoserValue)
		m.LoserValue = &v
	}
	msg, err := json.Marshal(m)
	if err != nil {
		return // cannot happen: plain fields
	}
	env.hub.publish([]byte(ConflictChannel), msg)
}

// CRDT.CONFLICTS [COUNT n] [KEY pattern]: the latest conflicts this member resolved (at most n,
// default 10; those whose key matches the glob pattern), newest first. Each is a map of time
// (ms), db, key, type, rule, element (field or member, "" for the key), winner-member,
// winner-seq, winner-time, loser-member, loser-seq, loser-time (ms of the write's timestamp, 0
// when the value does not keep it) and loser-value (nil when there is none).
func crdtConflictsCommand(c *Ctx) error {
	count := int64(10)
	var pattern []byte
	for i := 1; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			return ErrSyntax
		}
		switch strings.ToLower(string(c.Args[i])) {
		case "count":
			n, err := strconv.ParseInt(string(c.Args[i+1]), 10, 64)
			if err != nil || n < 0 {
				return Error("ERR value is out of range, must be positive")
			}
			count = n
		case "key":
			pattern = c.Args[i+1]
		default:
			return ErrSyntax
		}
	}
	var match func(string) bool
	if pattern != nil {
		match = func(k string) bool { return glob.MatchString(string(pattern), k, false) }
	}
	list := c.Env.Engine.Conflicts(int(min(count, engine.ConflictLogSize)), match)
	c.W.ArrayLen(len(list))
	for i := range list {
		cf := &list[i]
		c.W.MapLen(13)
		c.W.BulkString("time")
		c.W.Int(cf.Time)
		c.W.BulkString("db")
		c.W.Int(int64(cf.DB))
		c.W.BulkString("key")
		c.W.BulkString(cf.Key)
		c.W.BulkString("type")
		c.W.BulkString(engine.TypeName(cf.Type))
		c.W.BulkString("rule")
		c.W.BulkString(cf.Rule.String())
		c.W.BulkString("element")
		c.W.BulkString(cf.Element)
		for _, side := range [2]struct {
			name string
			w    crdt.Write
		}{{"winner", cf.Winner}, {"loser", cf.Loser}} {
			c.W.BulkString(side.name + "-member")
			c.W.Int(int64(side.w.Dot.Member))
			c.W.BulkString(side.name + "-seq")
			c.W.Int(int64(side.w.Dot.Seq))
			c.W.BulkString(side.name + "-time")
			c.W.Int(side.w.HLC.Millis())
		}
		c.W.BulkString("loser-value")
		if cf.LoserValue == nil {
			c.W.Null()
		} else {
			c.W.Bulk(cf.LoserValue)
		}
	}
	return nil
}
