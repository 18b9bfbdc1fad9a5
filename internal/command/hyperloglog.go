package command

import (
	"fmt"
	"strings"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/hll"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/store"
)

// HyperLogLog commands (semantics.md §6), with Redis 7.0's algorithms, replies and errors
// (hyperloglog.c; the algorithms are in package crdt/hll). A HyperLogLog key has its own
// conflict-free type (crdt.TypeHLL: register-wise maximum, deletion wins) that TYPE reports as
// "string", and reads as a string: GET returns the Redis encoding (sparse or dense as Redis
// would hold it, with the cardinality cached as valid), so GET + SET copies it, and the string
// commands read it (a string write turns the key into a plain string, as in Redis the result is
// a plain string). PFADD, PFCOUNT and PFMERGE also read a plain string holding a valid Redis
// HyperLogLog; a write turns such a key into the HyperLogLog type (a Delete of the string and
// an HLLAdd of all its registers, keeping its TTL).
//
// Where Concord differs from Redis: GET shows the cached cardinality as valid and current
// (Redis shows the last single-key PFCOUNT, marked stale after a change: those 8 header bytes,
// and so DEBUG DIGEST-VALUE, differ while Redis's cache is stale); PFCOUNT of a plain string
// does not rewrite its cache, and neither PFCOUNT nor a PFMERGE that raises no register touches
// the key (WATCH); PFADD, PFMERGE and PFDEBUG refuse a corrupted sparse string (INVALIDOBJ)
// where Redis may still update the registers it can reach; sparse strings are canonical (Redis
// may split a run of 5 or more equal registers differently), and the sparse/dense choice is
// made on the final registers of each command (Redis checks each register update).
func init() {
	define(
		&Command{Name: "pfadd", Arity: -2, Flags: Write | Fast, Run: pfaddCommand},
		&Command{Name: "pfcount", Arity: -2, Flags: ReadOnly, Run: pfcountCommand},
		&Command{Name: "pfmerge", Arity: -2, Flags: Write, Run: pfmergeCommand},
		&Command{Name: "pfdebug", Arity: 3, Flags: Write | Admin, Run: pfdebugCommand},
		&Command{Name: "pfselftest", Arity: 1, Flags: Admin, Run: pfselftestCommand},
	)
	valueCopiers[crdt.TypeHLL] = func(ent *store.Entry) []effect.Op {
		v := hllOf(ent)
		u := hll.Update{Regs: *v.Registers(), Promote: v.Dense()} // read only: shares storage
		return []effect.Op{{Kind: effect.HLLAdd, Value: u.Append(nil)}, {Kind: effect.Expire, At: ent.ExpireAt}}
	}
	// Redis creates HyperLogLogs as raw strings, and every PF write keeps them raw.
	valueEncodings[crdt.TypeHLL] = func(*Ctx, *store.Entry) string { return "raw" }
	valueDigests[crdt.TypeHLL] = func(d *[20]byte, ent *store.Entry) { mixDigest(d, hllString(ent)) }
}

// Error replies of hyperloglog.c.
const (
	errNotHLL     Error = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errInvalidHLL Error = "INVALIDOBJ Corrupted HLL object detected"
)

func hllOf(ent *store.Entry) *hll.Value { return ent.Value.(*hll.Value) }

// hllString is the string Redis would hold for a HyperLogLog key (GET, digests, copies).
func hllString(ent *store.Entry) []byte { return hllOf(ent).AppendRedis(nil) }

// hllInput is what a PF command reads from a key: the registers of a HyperLogLog key or of a
// plain string holding a valid Redis HyperLogLog.
type hllInput struct {
	ent    *store.Entry
	regs   *hll.Registers
	dense  bool
	plain  bool   // a plain string key
	str    []byte // its value
	parsed bool   // regs were parsed from str
}

// hllCheck is Redis's isHLLObjectOrReply for a live entry: the HyperLogLog key itself, or a
// string whose header is valid (its registers are parsed later, by hllRegisters).
func hllCheck(ent *store.Entry) (*hllInput, error) {
	switch ent.Type() {
	case crdt.TypeHLL:
		v := hllOf(ent)
		return &hllInput{ent: ent, regs: v.Registers(), dense: v.Dense()}, nil
	case crdt.TypeString:
		s := StringValue(ent)
		dense, err := hll.CheckRedis(s)
		if err != nil {
			return nil, errNotHLL
		}
		return &hllInput{ent: ent, plain: true, str: s, dense: dense}, nil
	}
	return nil, ErrWrongType
}

// registers parses a plain string's registers (INVALIDOBJ when its sparse opcodes are
// corrupted).
func (in *hllInput) registers() (*hll.Registers, error) {
	if in.plain && !in.parsed {
		r, _, err := hll.ParseRedis(in.str)
		if err != nil {
			return nil, errInvalidHLL
		}
		in.regs, in.parsed = &r, true
	}
	return in.regs, nil
}

// maxSparse is hll-sparse-max-bytes.
func maxSparse(c *Ctx) int { return int(c.Env.Config.Int("hll-sparse-max-bytes")) }

// emitHLL writes update u to the HyperLogLog at key. ent is the key's live entry (nil: the
// write creates the key); a plain string key is replaced by a HyperLogLog holding all its
// registers (base) with its TTL.
func (c *Ctx) emitHLL(db int, key string, in *hllInput, u *hll.Update) {
	switch {
	case in == nil:
		created := c.setCreation(db, key, nil)
		c.E.Emit(effect.Op{Kind: effect.HLLAdd, DB: db, Key: key, Created: created, Value: u.Append(nil)})
	case in.plain:
		at := in.ent.ExpireAt
		c.E.Emit(engine.DeleteOp(db, in.ent))
		full := hll.Update{Regs: in.regs.Clone(), Promote: in.dense || u.Promote}
		full.Regs.MaxWith(&u.Regs)
		c.E.Emit(effect.Op{Kind: effect.HLLAdd, DB: db, Key: key, Created: c.E.Stamp(), Value: full.Append(nil)})
		if at != 0 {
			c.E.Emit(effect.Op{Kind: effect.Expire, DB: db, Key: key, At: at})
		}
	default:
		c.E.Emit(effect.Op{Kind: effect.HLLAdd, DB: db, Key: key, Created: in.ent.Created, Value: u.Append(nil)})
	}
}

var noRegisters hll.Registers

func pfaddCommand(c *Ctx) error {
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeNone)
	if err != nil {
		return err
	}
	var in *hllInput
	base, dense := &noRegisters, false
	if ent != nil {
		if in, err = hllCheck(ent); err != nil {
			return err
		}
		if len(c.Args) == 2 {
			c.W.Int(0) // nothing to add to an existing HyperLogLog
			return nil
		}
		if base, err = in.registers(); err != nil {
			return err
		}
		dense = in.dense
	}
	u, changed := hll.AddElements(base, dense, c.Args[2:], maxSparse(c))
	if ent != nil && !changed {
		c.W.Int(0)
		return nil
	}
	c.emitHLL(db, key, in, u)
	c.W.Int(1)
	return nil
}

func pfcountCommand(c *Ctx) error {
	if len(c.Args) == 2 {
		ent, _ := c.Read(c.Key(1), crdt.TypeNone)
		if ent == nil {
			c.W.Int(0)
			return nil
		}
		in, err := hllCheck(ent)
		if err != nil {
			return err
		}
		if !in.plain {
			c.W.Int(int64(hllOf(ent).Count()))
			return nil
		}
		// Redis trusts a valid cached cardinality (it would then store a recomputed one: a
		// read in Concord leaves the string as it is).
		if n, ok := hll.CachedCount(in.str); ok {
			c.W.Int(int64(n))
			return nil
		}
		r, err := in.registers()
		if err != nil {
			return err
		}
		c.W.Int(int64(r.Count()))
		return nil
	}
	var union hll.Registers
	for i := 1; i < len(c.Args); i++ {
		ent, _ := c.Read(c.Key(i), crdt.TypeNone)
		if ent == nil {
			continue
		}
		in, err := hllCheck(ent)
		if err != nil {
			return err
		}
		r, err := in.registers()
		if err != nil {
			return err
		}
		union.MaxWith(r)
	}
	c.W.Int(int64(union.Count()))
	return nil
}

func pfmergeCommand(c *Ctx) error {
	db := c.DB()
	var union hll.Registers
	toDense := false
	for i := 1; i < len(c.Args); i++ {
		ent, _ := c.Read(c.Key(i), crdt.TypeNone)
		if ent == nil {
			continue
		}
		in, err := hllCheck(ent)
		if err != nil {
			return err
		}
		r, err := in.registers()
		if err != nil {
			return err
		}
		toDense = toDense || in.dense
		union.MaxWith(r)
	}
	key := c.Key(1)
	var in *hllInput
	base, dense := &noRegisters, false
	if ent := c.E.LookupWrite(db, key); ent != nil {
		// Checked as a source above. Redis rewrites the destination (its cache at least) even
		// when no register rises; a plain string becomes a HyperLogLog then.
		var err error
		if in, err = hllCheck(ent); err != nil {
			return err
		}
		if base, err = in.registers(); err != nil {
			return err
		}
		dense = in.dense
	}
	u, changed := hll.MergeRegisters(base, dense, &union, toDense, maxSparse(c))
	if in == nil || in.plain || changed || u.Promote {
		c.emitHLL(db, key, in, u)
	}
	c.W.Simple("OK")
	return nil
}

func pfdebugCommand(c *Ctx) error {
	db, key := c.DB(), c.Key(2)
	ent := c.E.LookupWrite(db, key)
	if ent == nil {
		return Error("ERR The specified key does not exist")
	}
	in, err := hllCheck(ent)
	if err != nil {
		return err
	}
	// toDense is the conversion GETREG and TODENSE make (a write, as in Redis).
	toDense := func() error {
		if _, err := in.registers(); err != nil {
			return err
		}
		if !in.dense {
			c.emitHLL(db, key, in, &hll.Update{Promote: true})
		}
		return nil
	}
	switch sub := strings.ToLower(string(c.Args[1])); sub {
	case "getreg":
		if err := toDense(); err != nil {
			return err
		}
		c.W.ArrayLen(hll.NumRegisters)
		for i := range hll.NumRegisters {
			c.W.Int(int64(in.regs.Get(i)))
		}
	case "decode":
		if in.dense {
			return Error("ERR HLL encoding is not sparse")
		}
		s := in.str
		if !in.plain {
			s = hllString(ent)
		}
		c.W.BulkString(decodeSparse(s[hll.HeaderSize:]))
	case "encoding":
		if in.dense {
			c.W.Simple("dense")
		} else {
			c.W.Simple("sparse")
		}
	case "todense":
		conv := !in.dense
		if err := toDense(); err != nil {
			return err
		}
		if conv {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	default:
		return errorf("ERR Unknown PFDEBUG subcommand '%s'", c.Args[1])
	}
	return nil
}

// decodeSparse is PFDEBUG DECODE's text of sparse opcodes (read as Redis does, unvalidated).
func decodeSparse(p []byte) string {
	var b strings.Builder
	for len(p) > 0 {
		op := p[0]
		switch {
		case op&0xc0 == 0:
			fmt.Fprintf(&b, "z:%d ", int(op&0x3f)+1)
			p = p[1:]
		case op&0xc0 == 0x40:
			y := 0
			if len(p) > 1 {
				y = int(p[1])
				p = p[2:]
			} else {
				p = p[1:]
			}
			fmt.Fprintf(&b, "Z:%d ", (int(op&0x3f)<<8|y)+1)
		default:
			fmt.Fprintf(&b, "v:%d,%d ", int(op>>2&0x1f)+1, int(op&3)+1)
			p = p[1:]
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// pfselftestCommand runs package hll's self test (Redis's PFSELFTEST checks: register access,
// and the estimate's error and the agreement of the storage forms up to 10 million elements).
func pfselftestCommand(c *Ctx) error {
	if err := hll.SelfTest(maxSparse(c)); err != nil {
		return Error("ERR TESTFAILED " + err.Error())
	}
	c.W.Simple("OK")
	return nil
}
