package command

import (
	"strconv"
	"time"

	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/store"
)

// Server commands of Redis's server group that are not INFO, CONFIG, DEBUG or COMMAND.
//
// SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE and SHUTDOWN's saving go to the member's persistence
// layer (package persist, installed by node with SetPersistence); without one (an Env built by
// tests) they reply errNoPersistence and LASTSAVE is the start time.

func init() {
	define(
		&Command{Name: "dbsize", Arity: 1, Flags: ReadOnly | Fast, Run: dbsizeCommand},
		&Command{Name: "time", Arity: 1, Flags: Fast, Run: timeCommand},
		&Command{Name: "lastsave", Arity: 1, Flags: Fast, Run: lastsaveCommand},
		&Command{Name: "flushdb", Arity: -1, Flags: Write, Run: flushdbCommand},
		&Command{Name: "flushall", Arity: -1, Flags: Write, Run: flushallCommand},
		&Command{Name: "shutdown", Arity: -1, Flags: Admin, Run: shutdownCommand},
		&Command{Name: "save", Arity: 1, Flags: Admin, Run: saveCommand},
		&Command{Name: "bgsave", Arity: -1, Flags: Admin, Run: bgsaveCommand},
		&Command{Name: "bgrewriteaof", Arity: 1, Flags: Admin, Run: bgrewriteaofCommand},
		&Command{Name: "monitor", Arity: 1, Flags: Admin, Run: monitorCommand},
		&Command{Name: "role", Arity: 1, Flags: Fast, Run: roleCommand},
		&Command{Name: "readonly", Arity: 1, Flags: Fast, Run: clusterOnlyCommand},
		&Command{Name: "readwrite", Arity: 1, Flags: Fast, Run: clusterOnlyCommand},
		&Command{Name: "lolwut", Arity: -1, Flags: ReadOnly | Fast, Run: lolwutCommand},
	)
}

// errNoPersistence is the reply of the commands that need persistence when there is none.
const errNoPersistence Error = "ERR persistence is not configured on this member"

// Persistence is what the command layer needs from package persist. Methods other than
// WaitDurable are called with the engine lock held. Their errors are replies (Redis's text).
type Persistence interface {
	Save() error
	BGSave(schedule bool) (string, error)
	BGRewriteAOF() (string, error)
	LastSave() int64
	// ShutdownSave saves for SHUTDOWN; an error means the member must not stop.
	ShutdownSave(save, nosave bool) error
	// WriteDenied is the MISCONF error write commands get while data cannot be persisted.
	WriteDenied() error
	// WaitDurable returns once the writes made so far are durable as appendfsync requires; it
	// is called after the engine lock is released and before replies are sent.
	WaitDurable()
	// Info is INFO persistence's fields, in order.
	Info() [][2]string
}

// SetPersistence installs (or, with nil, removes) the persistence layer of env.
func (env *Env) SetPersistence(p Persistence) {
	if p == nil {
		env.persist.Store(nil)
		return
	}
	env.persist.Store(&p)
}

// persistence is env's persistence layer, nil without one. It is read on every write
// command and batch, hence a field and not a lookup.
func (env *Env) persistence() Persistence {
	if p := env.persist.Load(); p != nil {
		return *p
	}
	return nil
}

// persistWait is called after the engine lock is released and before replies are sent (by
// ExecuteAll, and by Woken for a blocked client served by another's write): with appendfsync
// always it returns once what was written is fsynced. Not under the lock.
func (env *Env) persistWait() {
	if p := env.persistence(); p != nil {
		p.WaitDurable()
	}
}

// writeDenied is the MISCONF refusal of write commands (dispatch, engine lock).
func (env *Env) writeDenied() error {
	if p := env.persistence(); p != nil {
		if err := p.WriteDenied(); err != nil {
			return Error(err.Error())
		}
	}
	return nil
}

// replyErr turns a persistence error (Redis's reply text) into a reply error.
func replyErr(err error) error {
	if err == nil {
		return nil
	}
	return Error(err.Error())
}

func dbsizeCommand(c *Ctx) error {
	c.W.Int(int64(c.E.Store().DB(c.DB()).Size()))
	return nil
}

func timeCommand(c *Ctx) error {
	now := time.Now()
	c.W.ArrayLen(2)
	c.W.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.W.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
	return nil
}

// lastsaveCommand replies the time of the last successful save; before any, the start time (as
// Redis's lastsave starts).
func lastsaveCommand(c *Ctx) error {
	if p := c.Env.persistence(); p != nil {
		c.W.Int(p.LastSave())
		return nil
	}
	c.W.Int(c.Env.Started.Unix())
	return nil
}

// flushArgs checks FLUSHDB's and FLUSHALL's optional SYNC|ASYNC (Concord frees memory the same
// way in both cases).
func flushArgs(c *Ctx) error {
	if len(c.Args) == 2 && (c.Is(1, "SYNC") || c.Is(1, "ASYNC")) {
		return nil
	}
	if len(c.Args) != 1 {
		return ErrSyntax
	}
	return nil
}

func flushdbCommand(c *Ctx) error {
	if err := flushArgs(c); err != nil {
		return err
	}
	c.flush(c.DB())
	c.W.Simple("OK")
	return nil
}

func flushallCommand(c *Ctx) error {
	if err := flushArgs(c); err != nil {
		return err
	}
	c.flush(-1)
	c.W.Simple("OK")
	return nil
}

// flush emits the removal of database db (every database when db < 0): one Flush operation,
// preceded in the same batch by a Delete for each key holding counters, whose totals the Flush
// cannot carry (effect.Flush).
func (c *Ctx) flush(db int) {
	s := c.E.Store()
	var ops []effect.Op
	for i := range s.Len() {
		if db >= 0 && i != db {
			continue
		}
		s.DB(i).Each(func(ent *store.Entry) bool {
			if op := engine.DeleteOp(i, ent); engine.HasRemovalContext(&op) {
				ops = append(ops, op)
			}
			return true
		})
	}
	for _, op := range ops {
		c.E.Emit(op)
	}
	c.E.Emit(effect.Op{Kind: effect.Flush, DB: db})
}

// shutdownCommand parses Redis 7.0's options. Without persistence there is nothing to save:
// SHUTDOWN and SHUTDOWN NOSAVE stop the member (and, like Redis, close the connection without a
// reply); SHUTDOWN SAVE is refused.
func shutdownCommand(c *Ctx) error {
	var nosave, save, abort, other bool
	for i := 1; i < len(c.Args); i++ {
		switch {
		case c.Is(i, "NOSAVE"):
			nosave = true
		case c.Is(i, "SAVE"):
			save = true
		case c.Is(i, "NOW"), c.Is(i, "FORCE"):
			other = true
		case c.Is(i, "ABORT"):
			abort = true
		default:
			return ErrSyntax
		}
	}
	if (abort && (nosave || save || other)) || (nosave && save) {
		return ErrSyntax
	}
	if abort {
		return Error("ERR No shutdown in progress.")
	}
	if p := c.Env.persistence(); p != nil {
		if err := p.ShutdownSave(save, nosave); err != nil && !hasArg(c, "FORCE") {
			if c.Env.Log != nil {
				c.Env.Log.Warn("errors trying to shut down the server: not stopping", "err", err)
			}
			return Error("ERR Errors trying to SHUTDOWN. Check logs.")
		}
	} else if save {
		return errNoPersistence
	}
	if c.Env.Shutdown == nil {
		return Error("ERR Errors trying to SHUTDOWN. Check logs.")
	}
	if c.Env.Log != nil {
		c.Env.Log.Warn("user requested shutdown", "client", c.Client.Addr)
	}
	c.Client.CloseAfterReply = true
	c.Env.Shutdown()
	return nil
}

// hasArg reports whether one of the command's arguments is word (case-insensitive).
func hasArg(c *Ctx, word string) bool {
	for i := 1; i < len(c.Args); i++ {
		if c.Is(i, word) {
			return true
		}
	}
	return false
}

func saveCommand(c *Ctx) error {
	p := c.Env.persistence()
	if p == nil {
		return errNoPersistence
	}
	if err := p.Save(); err != nil {
		return replyErr(err)
	}
	c.W.Simple("OK")
	return nil
}

func bgsaveCommand(c *Ctx) error {
	if len(c.Args) > 1 && (len(c.Args) != 2 || !c.Is(1, "SCHEDULE")) {
		return ErrSyntax
	}
	p := c.Env.persistence()
	if p == nil {
		return errNoPersistence
	}
	status, err := p.BGSave(len(c.Args) == 2)
	if err != nil {
		return replyErr(err)
	}
	c.W.Simple(status)
	return nil
}

func bgrewriteaofCommand(c *Ctx) error {
	p := c.Env.persistence()
	if p == nil {
		return errNoPersistence
	}
	status, err := p.BGRewriteAOF()
	if err != nil {
		return replyErr(err)
	}
	c.W.Simple(status)
	return nil
}

func monitorCommand(c *Ctx) error {
	return Error("ERR MONITOR is not supported by Concord yet")
}

// roleCommand replies the master form: Concord members are never Redis replicas (yet).
func roleCommand(c *Ctx) error {
	c.W.ArrayLen(3)
	c.W.BulkString("master")
	c.W.Int(0)
	c.W.ArrayLen(0)
	return nil
}

func clusterOnlyCommand(c *Ctx) error {
	return Error("ERR This instance has cluster support disabled")
}

// lolwutCommand replies what Redis 7.0 replies for its own version (versions 5 and 6 draw
// pictures there; here every version gets the text).
func lolwutCommand(c *Ctx) error {
	if len(c.Args) >= 3 && c.Is(1, "VERSION") {
		if _, err := c.Int(2); err != nil {
			return err
		}
	}
	c.W.Verbatim("txt", "Redis ver. "+RedisVersion+"\n")
	return nil
}
