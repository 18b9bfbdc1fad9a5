package command

import (
	"bytes"
	"math"
	"strings"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/glob"
	"github.com/concord-db/concord/internal/store"
)

// The type-agnostic keyspace commands (Redis's db.c). Deletions are observed-removes; RENAME,
// COPY, MOVE and SWAPDB create the destination with a detached copy of the source's current
// content (copyValue) and its TTL, as new identities (semantics.md §7).

func init() {
	define(
		&Command{Name: "del", Arity: -2, Flags: Write, Run: delCommand},
		&Command{Name: "unlink", Arity: -2, Flags: Write | Fast, Run: delCommand},
		&Command{Name: "exists", Arity: -2, Flags: ReadOnly | Fast, Run: existsCommand},
		&Command{Name: "type", Arity: 2, Flags: ReadOnly | Fast, Run: typeCommand},
		&Command{Name: "keys", Arity: 2, Flags: ReadOnly, Run: keysCommand},
		&Command{Name: "scan", Arity: -2, Flags: ReadOnly, Run: scanCommand},
		&Command{Name: "randomkey", Arity: 1, Flags: ReadOnly, Run: randomkeyCommand},
		&Command{Name: "rename", Arity: 3, Flags: Write, Run: renameCommand},
		&Command{Name: "renamenx", Arity: 3, Flags: Write | Fast, Run: renamenxCommand},
		&Command{Name: "copy", Arity: -3, Flags: Write, Run: copyCommand},
		&Command{Name: "move", Arity: 3, Flags: Write | Fast, Run: moveCommand},
		&Command{Name: "swapdb", Arity: 3, Flags: Write | Fast, Run: swapdbCommand},
		&Command{Name: "touch", Arity: -2, Flags: ReadOnly | Fast, Run: touchCommand},
	)
}

// lookupNoTouch is Redis's lookupKeyReadWithFlags(LOOKUP_NOTOUCH) (stats) or
// lookupKeyReadWithFlags(LOOKUP_NOTOUCH|LOOKUP_NOSTATS) (!stats): a read lookup in which an
// expired key is missing (and deleted by its expiry owner) that leaves the key's access time
// and access counter (OBJECT IDLETIME, OBJECT FREQ) as they were.
func (c *Ctx) lookupNoTouch(db int, key string, stats bool) *store.Entry {
	ent := c.E.Peek(db, key)
	if stats {
		if ent == nil {
			c.E.Stats.KeyspaceMisses++
		} else {
			c.E.Stats.KeyspaceHits++
		}
	}
	return ent
}

// errIndexRange is getIntFromObjectOrReply's reply for an integer outside the C int range.
const errIndexRange Error = "ERR value is out of range, value must between -2147483648 and 2147483647"

// dbIndex parses argument i as a database number as Redis's getIntFromObjectOrReply and
// selectDb do.
func (c *Ctx) dbIndex(i int) (int, error) {
	n, err := c.Int(i)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, errIndexRange
	}
	if n < 0 || n >= int64(c.E.Store().Len()) {
		return 0, ErrDBIndex
	}
	return int(n), nil
}

// copyValue returns the operations that create a detached copy of a live entry's current
// content, with the entry's TTL, on a key that does not exist (any previous value was deleted
// first). DB and Key of the operations are filled in by emitCopy. The copy gets new identities:
// later effects on the source do not reach it.
//
// This is the one place to extend when new data types arrive.
func copyValue(ent *store.Entry) ([]effect.Op, error) {
	if cp := valueCopiers[ent.Type()]; cp != nil {
		return cp(ent), nil
	}
	return nil, Error("ERR unknown type object")
}

// valueCopiers build, per data type, the operations that create a new value with the current
// content of ent (new identities: RENAME, COPY, MOVE, SWAPDB). The operations carry no DB or
// key (emitCopy sets them); a copier that creates a collection first deletes nothing: the
// destination is always deleted before or absent. Each type's file registers its copier.
var valueCopiers = map[crdt.Type]func(ent *store.Entry) []effect.Op{
	crdt.TypeString: func(ent *store.Entry) []effect.Op {
		return []effect.Op{{Kind: effect.StringSet, Value: bytes.Clone(StringValue(ent)), At: ent.ExpireAt}}
	},
}

// emitCopy emits the operations of copyValue on key of database db.
func (c *Ctx) emitCopy(ops []effect.Op, db int, key string) {
	for _, op := range ops {
		op.DB, op.Key = db, key
		op.Created = c.E.Stamp() // the copy is a new value
		if op.Kind == effect.StringSet {
			op.Offsets = engine.Offsets(c.E.Store().DB(db).Get(key))
		}
		c.E.Emit(op)
	}
}

// deleteEntry removes a live entry found by a write lookup (observed-remove).
func (c *Ctx) deleteEntry(db int, ent *store.Entry) {
	c.E.Emit(engine.DeleteOp(db, ent))
}

// delCommand is DEL and UNLINK (Concord frees memory the same way for both).
func delCommand(c *Ctx) error {
	n := int64(0)
	for i := 1; i < len(c.Args); i++ {
		if c.Delete(c.DB(), c.Key(i)) {
			n++
		}
	}
	c.W.Int(n)
	return nil
}

func existsCommand(c *Ctx) error {
	n := int64(0)
	for i := 1; i < len(c.Args); i++ {
		if c.lookupNoTouch(c.DB(), c.Key(i), true) != nil {
			n++
		}
	}
	c.W.Int(n)
	return nil
}

func typeCommand(c *Ctx) error {
	ent := c.lookupNoTouch(c.DB(), c.Key(1), true)
	c.W.Simple(engine.Type(ent).Name())
	return nil
}

func touchCommand(c *Ctx) error {
	n := int64(0)
	for i := 1; i < len(c.Args); i++ {
		if c.E.Read(c.DB(), c.Key(i)) != nil {
			n++
		}
	}
	c.W.Int(n)
	return nil
}

func keysCommand(c *Ctx) error {
	pattern := c.Args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	var names []string
	c.E.Store().DB(c.DB()).Each(func(ent *store.Entry) bool {
		if (all || glob.Match(pattern, []byte(ent.Name), false)) && !c.E.Expired(ent) {
			names = append(names, ent.Name)
		}
		return true
	})
	c.W.ArrayLen(len(names))
	for _, k := range names {
		c.W.BulkString(k)
	}
	return nil
}

// scanCommand is SCAN with Concord's cursors (see package store): COUNT is the number of
// slots visited, and MATCH, TYPE and expiry filter what was visited, as in Redis.
func scanCommand(c *Ctx) error {
	cursor, ok := parseScanCursor(c.Args[1])
	if !ok {
		return ErrInvalidCursor
	}
	opt, err := parseScanOptions(c, 2, true)
	if err != nil {
		return err
	}
	db := c.DB()
	var names []string
	next := c.E.Store().DB(db).Scan(cursor, opt.count, func(ent *store.Entry) {
		names = append(names, ent.Name)
	})
	keep := names[:0]
	for _, k := range names {
		if !opt.matches([]byte(k)) {
			continue
		}
		if opt.typeName != nil {
			ent := c.lookupNoTouch(db, k, true)
			if !strings.EqualFold(cString(opt.typeName), engine.Type(ent).Name()) {
				continue
			}
		}
		if c.lookupNoTouch(db, k, false) == nil {
			continue // expired (and deleted by its expiry owner)
		}
		keep = append(keep, k)
	}
	replyScanHeader(c, next, len(keep))
	for _, k := range keep {
		c.W.BulkString(k)
	}
	return nil
}

// cString is an argument as C code sees it: up to its first NUL byte.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// randomTries is how many random picks RANDOMKEY makes before it falls back to listing the
// unexpired keys (Redis's dbRandomKey gives up after 100 tries on replicas).
const randomTries = 100

// randomkeyCommand is Redis's dbRandomKey: an expired key picked is deleted by its expiry owner
// and another one is picked. A member cannot delete expired keys that another member owns, so
// instead of looping forever it falls back, after randomTries picks, to choosing among the
// unexpired keys (nil when every key is expired).
func randomkeyCommand(c *Ctx) error {
	db := c.DB()
	d := c.E.Store().DB(db)
	for range randomTries {
		ent := d.Random(c.E.Rand())
		if ent == nil {
			c.W.Null()
			return nil
		}
		if !c.E.Expired(ent) {
			c.W.BulkString(ent.Name)
			return nil
		}
		c.lookupNoTouch(db, ent.Name, false) // its owner deletes it
	}
	var live []string
	d.Each(func(ent *store.Entry) bool {
		if !c.E.Expired(ent) {
			live = append(live, ent.Name)
		}
		return true
	})
	if len(live) == 0 {
		c.W.Null()
		return nil
	}
	c.W.BulkString(live[c.E.Rand().IntN(len(live))])
	return nil
}

func renameCommand(c *Ctx) error   { return renameGeneric(c, false) }
func renamenxCommand(c *Ctx) error { return renameGeneric(c, true) }

// renameGeneric is Redis's renameGenericCommand: observed-remove of src + creation of dst with
// src's content and TTL (after deleting dst, unless NX).
func renameGeneric(c *Ctx, nx bool) error {
	db, src, dst := c.DB(), c.Key(1), c.Key(2)
	ent := c.E.LookupWrite(db, src)
	if ent == nil {
		return ErrNoSuchKey
	}
	if src == dst {
		if nx {
			c.W.Int(0)
		} else {
			c.W.Simple("OK")
		}
		return nil
	}
	ops, err := copyValue(ent)
	if err != nil {
		return err
	}
	if old := c.E.LookupWrite(db, dst); old != nil {
		if nx {
			c.W.Int(0)
			return nil
		}
		c.deleteEntry(db, old)
	}
	c.emitCopy(ops, db, dst)
	c.deleteEntry(db, ent)
	if nx {
		c.W.Int(1)
	} else {
		c.W.Simple("OK")
	}
	return nil
}

// copyCommand is COPY source destination [DB destination-db] [REPLACE].
func copyCommand(c *Ctx) error {
	srcDB := c.DB()
	dstDB := srcDB
	replace := false
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch {
		case c.Is(j, "replace"):
			replace = true
		case c.Is(j, "db") && more >= 1:
			n, err := c.dbIndex(j + 1)
			if err != nil {
				return err
			}
			dstDB = n
			j++
		default:
			return ErrSyntax
		}
	}
	src, dst := c.Key(1), c.Key(2)
	if srcDB == dstDB && src == dst {
		return ErrSameObject
	}
	ent := c.E.Read(srcDB, src)
	if ent == nil {
		c.W.Int(0)
		return nil
	}
	ops, err := copyValue(ent)
	if err != nil {
		return err
	}
	if old := c.E.LookupWrite(dstDB, dst); old != nil {
		if !replace {
			c.W.Int(0)
			return nil
		}
		c.deleteEntry(dstDB, old)
	}
	c.emitCopy(ops, dstDB, dst)
	c.W.Int(1)
	return nil
}

// moveCommand is MOVE key db: creation in the target database (0 if the key exists there) +
// observed-remove from the source.
func moveCommand(c *Ctx) error {
	srcDB := c.DB()
	dstDB, err := c.dbIndex(2)
	if err != nil {
		return err
	}
	if srcDB == dstDB {
		return ErrSameObject
	}
	key := c.Key(1)
	ent := c.E.LookupWrite(srcDB, key)
	if ent == nil {
		c.W.Int(0)
		return nil
	}
	if c.E.LookupWrite(dstDB, key) != nil {
		c.W.Int(0)
		return nil
	}
	ops, err := copyValue(ent)
	if err != nil {
		return err
	}
	c.emitCopy(ops, dstDB, key)
	c.deleteEntry(srcDB, ent)
	c.W.Int(1)
	return nil
}

// swapdbCommand is SWAPDB a b. Redis swaps two hash tables; Concord cannot do that locally
// without making members diverge, so it moves every (unexpired) key of each database to the
// other one, as observed-removes and creations in one effect batch: the result is the same
// on every member, and keys written concurrently elsewhere stay where they were written (as
// with RENAME). It costs time and memory proportional to the two databases.
func swapdbCommand(c *Ctx) error {
	n1, err := c.Int(1)
	if err != nil || n1 < math.MinInt32 || n1 > math.MaxInt32 {
		return Error("ERR invalid first DB index")
	}
	n2, err := c.Int(2)
	if err != nil || n2 < math.MinInt32 || n2 > math.MaxInt32 {
		return Error("ERR invalid second DB index")
	}
	dbs := int64(c.E.Store().Len())
	if n1 < 0 || n1 >= dbs || n2 < 0 || n2 >= dbs {
		return ErrDBIndex
	}
	if n1 == n2 {
		c.W.Simple("OK")
		return nil
	}
	type moved struct {
		name string
		ent  *store.Entry
		ops  []effect.Op
	}
	collect := func(db int) ([]moved, error) {
		var names []string
		c.E.Store().DB(db).Each(func(ent *store.Entry) bool {
			names = append(names, ent.Name)
			return true
		})
		out := make([]moved, 0, len(names))
		for _, k := range names {
			ent := c.E.LookupWrite(db, k) // expired keys are deleted, not moved
			if ent == nil {
				continue
			}
			ops, err := copyValue(ent)
			if err != nil {
				return nil, err
			}
			out = append(out, moved{k, ent, ops})
		}
		return out, nil
	}
	a, b := int(n1), int(n2)
	inA, err := collect(a)
	if err != nil {
		return err
	}
	inB, err := collect(b)
	if err != nil {
		return err
	}
	for _, m := range inA {
		c.deleteEntry(a, m.ent)
	}
	for _, m := range inB {
		c.deleteEntry(b, m.ent)
	}
	for _, m := range inA {
		c.emitCopy(m.ops, b, m.name)
	}
	for _, m := range inB {
		c.emitCopy(m.ops, a, m.name)
	}
	c.W.Simple("OK")
	return nil
}
