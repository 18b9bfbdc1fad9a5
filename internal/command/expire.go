package command

import (
	"math"

	"github.com/concord-db/concord/internal/effect"
)

// The expiry commands (Redis's expire.c). TTLs are written as absolute times (effect.Expire);
// a time already past deletes the key, as Redis does (semantics.md §8).

func init() {
	define(
		&Command{Name: "expire", Arity: -3, Flags: Write | Fast, Run: expireCommand},
		&Command{Name: "pexpire", Arity: -3, Flags: Write | Fast, Run: pexpireCommand},
		&Command{Name: "expireat", Arity: -3, Flags: Write | Fast, Run: expireatCommand},
		&Command{Name: "pexpireat", Arity: -3, Flags: Write | Fast, Run: pexpireatCommand},
		&Command{Name: "ttl", Arity: 2, Flags: ReadOnly | Fast, Run: ttlCommand},
		&Command{Name: "pttl", Arity: 2, Flags: ReadOnly | Fast, Run: pttlCommand},
		&Command{Name: "expiretime", Arity: 2, Flags: ReadOnly | Fast, Run: expiretimeCommand},
		&Command{Name: "pexpiretime", Arity: 2, Flags: ReadOnly | Fast, Run: pexpiretimeCommand},
		&Command{Name: "persist", Arity: 2, Flags: Write | Fast, Run: persistCommand},
	)
}

// expireFlags are the NX XX GT LT options of the EXPIRE family.
type expireFlags uint8

const (
	expireNX expireFlags = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags is Redis's parseExtendedExpireArgumentsOrReply.
func parseExpireFlags(c *Ctx) (expireFlags, error) {
	var f expireFlags
	for j := 3; j < len(c.Args); j++ {
		switch {
		case c.Is(j, "nx"):
			f |= expireNX
		case c.Is(j, "xx"):
			f |= expireXX
		case c.Is(j, "gt"):
			f |= expireGT
		case c.Is(j, "lt"):
			f |= expireLT
		default:
			return 0, errorf("ERR Unsupported option %s", cString(c.Args[j]))
		}
	}
	if f&expireNX != 0 && f&(expireXX|expireGT|expireLT) != 0 {
		return 0, Error("ERR NX and XX, GT or LT options at the same time are not compatible")
	}
	if f&expireGT != 0 && f&expireLT != 0 {
		return 0, Error("ERR GT and LT options at the same time are not compatible")
	}
	return f, nil
}

func expireCommand(c *Ctx) error    { return expireGeneric(c, c.E.Now(), true) }
func pexpireCommand(c *Ctx) error   { return expireGeneric(c, c.E.Now(), false) }
func expireatCommand(c *Ctx) error  { return expireGeneric(c, 0, true) }
func pexpireatCommand(c *Ctx) error { return expireGeneric(c, 0, false) }

// expireGeneric is Redis's expireGenericCommand; basetime is 0 for the *AT variants and the
// current time otherwise. Concord also refuses a resulting time beyond maxTTL (2^49 ms), at the
// point where it would set it, so that every reply Redis gives before that point is the same.
func expireGeneric(c *Ctx, basetime int64, seconds bool) error {
	f, err := parseExpireFlags(c)
	if err != nil {
		return err
	}
	when, err := c.Int(2)
	if err != nil {
		return err
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return invalidExpire(c)
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		return invalidExpire(c)
	}
	when += basetime

	db, key := c.DB(), c.Key(1)
	ent := c.E.LookupWrite(db, key)
	if ent == nil {
		c.W.Int(0)
		return nil
	}
	if f != 0 {
		current := ent.ExpireAt // 0: no TTL (Redis's -1)
		switch {
		case f&expireNX != 0 && current != 0,
			f&expireXX != 0 && current == 0,
			f&expireGT != 0 && (current == 0 || when <= current),
			f&expireLT != 0 && current != 0 && when >= current:
			c.W.Int(0)
			return nil
		}
	}
	if when <= c.E.Now() {
		c.deleteEntry(db, ent)
		c.W.Int(1)
		return nil
	}
	if when > maxTTL {
		return invalidExpire(c)
	}
	c.E.Emit(effect.Op{Kind: effect.Expire, DB: db, Key: key, At: when})
	c.W.Int(1)
	return nil
}

func ttlCommand(c *Ctx) error         { return ttlGeneric(c, false, false) }
func pttlCommand(c *Ctx) error        { return ttlGeneric(c, true, false) }
func expiretimeCommand(c *Ctx) error  { return ttlGeneric(c, false, true) }
func pexpiretimeCommand(c *Ctx) error { return ttlGeneric(c, true, true) }

// ttlGeneric is Redis's ttlGenericCommand: -2 for a missing key, -1 without a TTL, otherwise
// the remaining time (or the absolute time), never negative, seconds rounded to nearest.
func ttlGeneric(c *Ctx, millis, absolute bool) error {
	ent := c.lookupNoTouch(c.DB(), c.Key(1), true)
	if ent == nil {
		c.W.Int(-2)
		return nil
	}
	if ent.ExpireAt == 0 {
		c.W.Int(-1)
		return nil
	}
	ttl := ent.ExpireAt
	if !absolute {
		ttl -= c.E.Now()
	}
	ttl = max(ttl, 0)
	if !millis {
		ttl = (ttl + 500) / 1000
	}
	c.W.Int(ttl)
	return nil
}

// persistCommand writes "no TTL" (At 0) when the key has a TTL.
func persistCommand(c *Ctx) error {
	db, key := c.DB(), c.Key(1)
	ent := c.E.LookupWrite(db, key)
	if ent == nil || ent.ExpireAt == 0 {
		c.W.Int(0)
		return nil
	}
	c.E.Emit(effect.Op{Kind: effect.Expire, DB: db, Key: key, At: 0})
	c.W.Int(1)
	return nil
}
