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
// Concord has no persistence yet: SAVE, BGSAVE and BGREWRITEAOF check their arguments and reply
// errNoPersistence, LASTSAVE is the start time, and SHUTDOWN SAVE is refused.

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
		&Command{Name: "bgrewriteaof", Arity: 1, Flags: Admin, Run: saveCommand},
		&Command{Name: "monitor", Arity: 1, Flags: Admin, Run: monitorCommand},
		&Command{Name: "role", Arity: 1, Flags: Fast, Run: roleCommand},
		&Command{Name: "readonly", Arity: 1, Flags: Fast, Run: clusterOnlyCommand},
		&Command{Name: "readwrite", Arity: 1, Flags: Fast, Run: clusterOnlyCommand},
		&Command{Name: "lolwut", Arity: -1, Flags: ReadOnly | Fast, Run: lolwutCommand},
	)
}

// errNoPersistence is the reply of the commands that need persistence.
const errNoPersistence Error = "ERR persistence is not implemented yet in Concord"

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

// lastsaveCommand replies the start time: nothing was ever saved, and Redis's rdb_save_time_last
// starts at the start time too.
func lastsaveCommand(c *Ctx) error {
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
	if save {
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

func saveCommand(c *Ctx) error { return errNoPersistence }

func bgsaveCommand(c *Ctx) error {
	if len(c.Args) > 1 && (len(c.Args) != 2 || !c.Is(1, "SCHEDULE")) {
		return ErrSyntax
	}
	return errNoPersistence
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
