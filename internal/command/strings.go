package command

import (
	"math"
	"math/big"
	"strings"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/redisnum"
	"github.com/concord-db/concord/internal/store"
)

func init() {
	define(
		&Command{Name: "get", Arity: 2, Flags: ReadOnly | Fast, Run: getCommand},
		&Command{Name: "set", Arity: -3, Flags: Write, Run: setCommand},
		&Command{Name: "setnx", Arity: 3, Flags: Write | Fast, Run: setnxCommand},
		&Command{Name: "setex", Arity: 4, Flags: Write, Run: setexCommand},
		&Command{Name: "psetex", Arity: 4, Flags: Write, Run: psetexCommand},
		&Command{Name: "getset", Arity: 3, Flags: Write | Fast, Run: getsetCommand},
		&Command{Name: "getdel", Arity: 2, Flags: Write | Fast, Run: getdelCommand},
		&Command{Name: "mget", Arity: -2, Flags: ReadOnly | Fast, Run: mgetCommand},
		&Command{Name: "mset", Arity: -3, Flags: Write, Run: msetCommand},
		&Command{Name: "msetnx", Arity: -3, Flags: Write, Run: msetnxCommand},
		&Command{Name: "incr", Arity: 2, Flags: Write | Fast, Run: incrCommand},
		&Command{Name: "decr", Arity: 2, Flags: Write | Fast, Run: decrCommand},
		&Command{Name: "incrby", Arity: 3, Flags: Write | Fast, Run: incrbyCommand},
		&Command{Name: "decrby", Arity: 3, Flags: Write | Fast, Run: decrbyCommand},
		&Command{Name: "incrbyfloat", Arity: 3, Flags: Write | Fast, Run: incrbyfloatCommand},
	)
}

// maxTTL is the largest absolute expiry time accepted (semantics.md §8).
const maxTTL = 1 << 49

// StringValue returns the resolved value of a live string entry.
func StringValue(ent *store.Entry) []byte {
	if ent.Type() == crdt.TypeHLL {
		return hllString(ent)
	}
	b, _ := ent.Value.(*register.Value).Bytes()
	return b
}

// readString returns a string key's value, nil when the key does not exist.
func (c *Ctx) readString(key string) ([]byte, bool, error) {
	ent, err := c.Read(key, crdt.TypeString)
	if err != nil || ent == nil {
		return nil, false, err
	}
	return StringValue(ent), true, nil
}

// SetString writes a whole new string value: at is the absolute expiry (0: none) unless keepTTL.
func (c *Ctx) SetString(db int, key string, val []byte, at int64, keepTTL bool) {
	prev := c.E.Store().DB(db).Get(key)
	c.E.Emit(effect.Op{Kind: effect.StringSet, DB: db, Key: key, Value: val, At: at,
		KeepTTL: keepTTL, Offsets: engine.Offsets(prev)})
}

func getCommand(c *Ctx) error { return getCommandFor(c, c.Key(1)) }

// setFlags are SET's options, parsed as Redis's parseExtendedStringArgumentsOrReply does.
type setFlags uint16

const (
	setNX setFlags = 1 << iota
	setXX
	setGet
	setKeepTTL
	setPersist
	setEX
	setPX
	setEXAT
	setPXAT
)

const anyExpire = setEX | setPX | setEXAT | setPXAT

// parseStringOptions parses the options of SET (from index 3) or GETEX (from index 2) and
// returns the flags and the index of the expire argument (0: none).
func parseStringOptions(c *Ctx, from int, isSet bool) (setFlags, int, error) {
	var f setFlags
	expireArg := 0
	for j := from; j < len(c.Args); j++ {
		opt := strings.ToUpper(string(c.Args[j]))
		hasNext := j < len(c.Args)-1
		switch {
		case opt == "NX" && f&setXX == 0 && isSet:
			f |= setNX
		case opt == "XX" && f&setNX == 0 && isSet:
			f |= setXX
		case opt == "GET" && isSet:
			f |= setGet
		case opt == "KEEPTTL" && f&(setPersist|anyExpire) == 0 && isSet:
			f |= setKeepTTL
		case opt == "PERSIST" && !isSet && f&(anyExpire|setKeepTTL) == 0:
			f |= setPersist
		case opt == "EX" && f&(setKeepTTL|setPersist|setEXAT|setPX|setPXAT) == 0 && hasNext:
			f |= setEX
			expireArg = j + 1
			j++
		case opt == "PX" && f&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0 && hasNext:
			f |= setPX
			expireArg = j + 1
			j++
		case opt == "EXAT" && f&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0 && hasNext:
			f |= setEXAT
			expireArg = j + 1
			j++
		case opt == "PXAT" && f&(setKeepTTL|setPersist|setEX|setEXAT|setPX) == 0 && hasNext:
			f |= setPXAT
			expireArg = j + 1
			j++
		default:
			return 0, 0, ErrSyntax
		}
	}
	return f, expireArg, nil
}

// expireMillis turns an EX/PX/EXAT/PXAT argument into an absolute time in ms, as Redis's
// getExpireMillisecondsOrReply does (plus Concord's 2^49 ms limit).
func expireMillis(c *Ctx, arg []byte, f setFlags) (int64, error) {
	ms, ok := redisnum.ParseInt(arg)
	if !ok {
		return 0, ErrNotInteger
	}
	seconds := f&(setEX|setEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, invalidExpire(c)
	}
	if seconds {
		ms *= 1000
	}
	if f&(setEX|setPX) != 0 {
		if ms > math.MaxInt64-c.E.Now() {
			return 0, invalidExpire(c)
		}
		ms += c.E.Now()
	}
	if ms <= 0 || ms > maxTTL {
		return 0, invalidExpire(c)
	}
	return ms, nil
}

func invalidExpire(c *Ctx) error { return errorf(string(ErrInvalidExpire), c.Cmd.Name) }

// setGeneric is Redis's setGenericCommand.
func setGeneric(c *Ctx, f setFlags, key string, valArg int, expireArg int, okReply, abortReply func()) error {
	var at int64
	if expireArg > 0 {
		var err error
		if at, err = expireMillis(c, c.Args[expireArg], f); err != nil {
			return err
		}
	}
	if f&setGet != 0 {
		if err := getCommandFor(c, key); err != nil {
			return err
		}
	}
	found := c.E.LookupWrite(c.DB(), key) != nil
	if (f&setNX != 0 && found) || (f&setXX != 0 && !found) {
		if f&setGet == 0 {
			if abortReply != nil {
				abortReply()
			} else {
				c.W.Null()
			}
		}
		return nil
	}
	c.SetString(c.DB(), key, c.Value(valArg), at, f&setKeepTTL != 0)
	if f&setGet == 0 {
		if okReply != nil {
			okReply()
		} else {
			c.W.Simple("OK")
		}
	}
	return nil
}

// getCommandFor replies with a string key's value (nil when missing), or fails with WRONGTYPE.
func getCommandFor(c *Ctx, key string) error {
	v, ok, err := c.readString(key)
	if err != nil {
		return err
	}
	if !ok {
		c.W.Null()
	} else {
		c.W.Bulk(v)
	}
	return nil
}

func setCommand(c *Ctx) error {
	f, expireArg, err := parseStringOptions(c, 3, true)
	if err != nil {
		return err
	}
	return setGeneric(c, f, c.Key(1), 2, expireArg, nil, nil)
}

func setnxCommand(c *Ctx) error {
	return setGeneric(c, setNX, c.Key(1), 2, 0, func() { c.W.Int(1) }, func() { c.W.Int(0) })
}

func setexCommand(c *Ctx) error { return setGeneric(c, setEX, c.Key(1), 3, 2, nil, nil) }

func psetexCommand(c *Ctx) error { return setGeneric(c, setPX, c.Key(1), 3, 2, nil, nil) }

func getsetCommand(c *Ctx) error {
	if err := getCommandFor(c, c.Key(1)); err != nil {
		return err
	}
	c.SetString(c.DB(), c.Key(1), c.Value(2), 0, false)
	return nil
}

func getdelCommand(c *Ctx) error {
	key := c.Key(1)
	if err := getCommandFor(c, key); err != nil {
		return err
	}
	c.Delete(c.DB(), key) // no-op when the key was missing
	return nil
}

func mgetCommand(c *Ctx) error {
	c.W.ArrayLen(len(c.Args) - 1)
	for i := 1; i < len(c.Args); i++ {
		ent := c.E.Read(c.DB(), c.Key(i))
		if ent == nil || !typeMatches(ent.Type(), crdt.TypeString) {
			c.W.Null()
			continue
		}
		c.W.Bulk(StringValue(ent))
	}
	return nil
}

func msetCommand(c *Ctx) error {
	if len(c.Args)%2 == 0 {
		return errorf("ERR wrong number of arguments for '%s' command", c.Cmd.Name)
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.SetString(c.DB(), c.Key(i), c.Value(i+1), 0, false)
	}
	c.W.Simple("OK")
	return nil
}

func msetnxCommand(c *Ctx) error {
	if len(c.Args)%2 == 0 {
		return errorf("ERR wrong number of arguments for '%s' command", c.Cmd.Name)
	}
	for i := 1; i < len(c.Args); i += 2 {
		if c.E.LookupWrite(c.DB(), c.Key(i)) != nil {
			c.W.Int(0)
			return nil
		}
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.SetString(c.DB(), c.Key(i), c.Value(i+1), 0, false)
	}
	c.W.Int(1)
	return nil
}

// maxContribution bounds one member's live counter contribution (semantics.md §1.1: 59-bit
// signed range), so that the sum of every member's contributions cannot overflow.
const maxContribution = 1<<58 - 1

// incrBy is Redis's incrDecrCommand on the register + counter.
func incrBy(c *Ctx, key string, delta int64) error {
	ent, err := c.LookupWrite(key, crdt.TypeString)
	if err != nil {
		return err
	}
	var cur int64
	var created = c.E.Stamp()
	if ent != nil {
		reg, isReg := ent.Value.(*register.Value) // a HyperLogLog ("HYLL...") is no integer
		if !isReg {
			return ErrNotInteger
		}
		n, ok := reg.Int()
		if !ok {
			return ErrNotInteger
		}
		cur, created = n, ent.Created
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return ErrOverflow
	}
	if prev := c.E.Store().DB(c.DB()).Get(key); prev != nil {
		if reg, ok := prev.Value.(*register.Value); ok {
			own := reg.Contribution(c.E.Member())
			if (delta > 0 && own > maxContribution-delta) || (delta < 0 && own < -maxContribution-delta) {
				return ErrOverflow
			}
		}
	} else if delta > maxContribution || delta < -maxContribution {
		return ErrOverflow
	}
	c.E.Emit(effect.Op{Kind: effect.StringAdd, DB: c.DB(), Key: key, Created: created, Int: delta})
	c.W.Int(cur + delta)
	return nil
}

func incrCommand(c *Ctx) error { return incrBy(c, c.Key(1), 1) }
func decrCommand(c *Ctx) error { return incrBy(c, c.Key(1), -1) }

func incrbyCommand(c *Ctx) error {
	n, err := c.Int(2)
	if err != nil {
		return err
	}
	return incrBy(c, c.Key(1), n)
}

func decrbyCommand(c *Ctx) error {
	n, err := c.Int(2)
	if err != nil {
		return err
	}
	if n == math.MinInt64 {
		return Error("ERR decrement would overflow")
	}
	return incrBy(c, c.Key(1), -n)
}

// incrbyfloatCommand computes the new value exactly as Redis does (80-bit long double, printed
// with "%.17Lf") and records the difference from the current exact value as this member's
// floating contribution, so that a single member replies byte for byte like Redis while
// concurrent increments on other members still add up.
func incrbyfloatCommand(c *Ctx) error {
	key := c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeString)
	if err != nil {
		return err
	}
	curText := []byte("0")
	var reg *register.Value
	created := c.E.Stamp()
	if ent != nil {
		reg, _ = ent.Value.(*register.Value) // nil for a HyperLogLog: not a float either
		curText = StringValue(ent)
		created = ent.Created
	}
	cur, ok := redisnum.ParseLongDouble(curText)
	if !ok {
		return ErrNotFloat
	}
	incr, ok := redisnum.ParseLongDouble(c.Args[2])
	if !ok {
		return ErrNotFloat
	}
	sum := cur.Add(incr)
	if sum.IsInf() || sum.IsNaN() {
		return ErrNaNOrInf
	}
	text := redisnum.FormatLongDouble(sum, redisnum.LDStrHuman)
	newExact, ok := register.ParseDecimal([]byte(text))
	var curExact *big.Rat = new(big.Rat)
	if reg != nil {
		curExact = reg.Exact()
	}
	if !ok || curExact == nil {
		// A current value that strtold reads but that is no plain decimal (hex, huge
		// exponents): fall back to writing the whole value, keeping the TTL.
		c.SetString(c.DB(), key, []byte(text), 0, true)
	} else {
		delta := new(big.Rat).Sub(newExact, curExact)
		c.E.Emit(effect.Op{Kind: effect.StringAdd, DB: c.DB(), Key: key, Created: created, Float: delta})
	}
	c.W.BulkString(text)
	return nil
}
