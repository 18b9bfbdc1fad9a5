package command

import (
	"math"
	"math/big"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/ormap"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/redisnum"
	"github.com/concord-db/concord/internal/store"
)

// Hashes (semantics.md §2), ported from Redis 7.0's t_hash.c: argument parsing, error texts and
// reply shapes are Redis's; each field is a string register (HSET writes it, HINCRBY and
// HINCRBYFLOAT add counter contributions, HDEL removes what this member had seen of it).
func init() {
	define(
		&Command{Name: "hset", Arity: -4, Flags: Write | Fast, Run: hsetCommand},
		&Command{Name: "hmset", Arity: -4, Flags: Write | Fast, Run: hsetCommand},
		&Command{Name: "hsetnx", Arity: 4, Flags: Write | Fast, Run: hsetnxCommand},
		&Command{Name: "hget", Arity: 3, Flags: ReadOnly | Fast, Run: hgetCommand},
		&Command{Name: "hmget", Arity: -3, Flags: ReadOnly | Fast, Run: hmgetCommand},
		&Command{Name: "hgetall", Arity: 2, Flags: ReadOnly, Run: hgetallCommand},
		&Command{Name: "hkeys", Arity: 2, Flags: ReadOnly, Run: hkeysCommand},
		&Command{Name: "hvals", Arity: 2, Flags: ReadOnly, Run: hvalsCommand},
		&Command{Name: "hdel", Arity: -3, Flags: Write | Fast, Run: hdelCommand},
		&Command{Name: "hexists", Arity: 3, Flags: ReadOnly | Fast, Run: hexistsCommand},
		&Command{Name: "hlen", Arity: 2, Flags: ReadOnly | Fast, Run: hlenCommand},
		&Command{Name: "hstrlen", Arity: 3, Flags: ReadOnly | Fast, Run: hstrlenCommand},
		&Command{Name: "hincrby", Arity: 4, Flags: Write | Fast, Run: hincrbyCommand},
		&Command{Name: "hincrbyfloat", Arity: 4, Flags: Write | Fast, Run: hincrbyfloatCommand},
		&Command{Name: "hrandfield", Arity: -2, Flags: ReadOnly, Run: hrandfieldCommand},
		&Command{Name: "hscan", Arity: -3, Flags: ReadOnly, Run: hscanCommand},
	)
	valueCopiers[crdt.TypeHash] = copyHash
	valueEncodings[crdt.TypeHash] = hashEncoding
	valueDigests[crdt.TypeHash] = hashDigest
}

// Error texts of t_hash.c.
const (
	errHashNotInteger Error = "ERR hash value is not an integer"
	errHashNotFloat   Error = redisnum.ErrHashValueNotFloat
	errValueNaNOrInf  Error = redisnum.ErrValueNaNOrInf
	errRandCountRange Error = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errValueRange     Error = "ERR value is out of range"
)

// hashOf returns the map of a live hash entry.
func hashOf(ent *store.Entry) *ormap.Map { return ent.Value.(*ormap.Map) }

// hashState returns key's map in database db even when the hash is not live (a tombstone keeps
// the counter totals of removed fields), for the offsets a write must carry; nil when none.
func (c *Ctx) hashState(db int, key string) *ormap.Map {
	if ent := c.E.Store().DB(db).Get(key); ent != nil {
		if m, ok := ent.Value.(*ormap.Map); ok {
			return m
		}
	}
	return nil
}

// readHash looks a hash up for reading: nil when missing, ErrWrongType for another type.
func (c *Ctx) readHash(key string) (*ormap.Map, error) {
	ent, err := c.Read(key, crdt.TypeHash)
	if err != nil || ent == nil {
		return nil, err
	}
	return hashOf(ent), nil
}

// writeHash looks a hash up for writing: its map (nil when missing) and the creation stamp the
// command's operations carry (the existing value's, or a new one).
func (c *Ctx) writeHash(key string) (*ormap.Map, clock.Stamp, error) {
	ent, err := c.LookupWrite(key, crdt.TypeHash)
	if err != nil {
		return nil, clock.Stamp{}, err
	}
	if ent == nil {
		return nil, c.E.Stamp(), nil
	}
	return hashOf(ent), ent.Created, nil
}

// fieldArg returns the bytes an operation about field arg carries: the stored name when the
// field exists (shared, immutable), a copy of the argument otherwise.
func fieldArg(m *ormap.Map, arg []byte) []byte {
	if name, ok := m.Name(arg); ok {
		return name
	}
	return hclone(arg)
}

// hclone copies an argument for an operation.
func hclone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

// hsetCommand is HSET and HMSET (Redis's hsetCommand): the reply is the number of fields
// created, or OK for HMSET.
func hsetCommand(c *Ctx) error {
	if len(c.Args)%2 == 1 {
		return errorf("ERR wrong number of arguments for '%s' command", c.Cmd.Name)
	}
	key := c.Key(1)
	m, stamp, err := c.writeHash(key)
	if err != nil {
		return err
	}
	state := m // the map even when the hash is not live, for the counter totals
	if state == nil {
		state = c.hashState(c.DB(), key)
	}
	n := (len(c.Args) - 2) / 2
	ev := make([][]byte, 2*n) // Elems and Values share one allocation
	op := effect.Op{Kind: effect.HashSet, DB: c.DB(), Key: key, Created: stamp,
		Elems: ev[:n:n], Values: ev[n:]}
	var fresh map[string]struct{} // fields created by this command so far
	created := int64(0)
	for i := range n {
		f, v := c.Args[2+2*i], c.Args[3+2*i]
		w := state.ForWrite(f) // one lookup for the name, value and totals
		if m != nil && w.Live {
			// An existing field: the operation shares its stored name, and its stored value
			// when the same bytes are written again (both are immutable).
			op.Elems[i] = w.Name
			if w.Value != nil && string(w.Value) == string(v) {
				op.Values[i] = w.Value
			} else {
				op.Values[i] = hclone(v)
			}
		} else {
			// A new field: its name and value share one allocation.
			buf := make([]byte, len(f)+len(v))
			copy(buf, f)
			copy(buf[len(f):], v)
			op.Elems[i], op.Values[i] = buf[:len(f):len(f)], buf[len(f):]
			if n == 1 {
				created++
			} else if _, dup := fresh[string(f)]; !dup {
				if fresh == nil {
					fresh = make(map[string]struct{}, n)
				}
				fresh[string(f)] = struct{}{}
				created++
			}
		}
		if w.Totals != nil {
			if op.ElemOffsets == nil {
				op.ElemOffsets = make([][]register.Total, n)
			}
			op.ElemOffsets[i] = w.Totals
		}
	}
	c.E.Emit(op)
	if m != nil {
		c.settleMap(m) // the write went to m: a live hash keeps its map
	} else {
		c.settleHash(key)
	}
	if c.Cmd.Name == "hmset" {
		c.W.Simple("OK")
	} else {
		c.W.Int(created)
	}
	return nil
}

func hsetnxCommand(c *Ctx) error {
	key := c.Key(1)
	m, created, err := c.writeHash(key)
	if err != nil {
		return err
	}
	state := m // the map even when the hash is not live, for the counter totals
	if state == nil {
		state = c.hashState(c.DB(), key)
	}
	w := state.ForWrite(c.Args[2])
	if m != nil && w.Live {
		c.W.Int(0)
		return nil
	}
	op := effect.Op{Kind: effect.HashSet, DB: c.DB(), Key: key, Created: created,
		Elems: [][]byte{c.Value(2)}, Values: [][]byte{c.Value(3)}}
	if w.Totals != nil {
		op.ElemOffsets = [][]register.Total{w.Totals}
	}
	c.E.Emit(op)
	if m != nil {
		c.settleMap(m)
	} else {
		c.settleHash(key)
	}
	c.W.Int(1)
	return nil
}

func hgetCommand(c *Ctx) error {
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	if v, ok := m.Get(c.Args[2]); ok {
		c.W.Bulk(v)
	} else {
		c.W.Null()
	}
	return nil
}

func hmgetCommand(c *Ctx) error {
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for _, f := range c.Args[2:] {
		if v, ok := m.Get(f); ok {
			c.W.Bulk(v)
		} else {
			c.W.Null()
		}
	}
	return nil
}

// hashGetAll is Redis's genericHgetallCommand: a map for fields and values (HGETALL), a flat
// array otherwise.
func hashGetAll(c *Ctx, keys, vals bool) error {
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	n := m.Len()
	if keys && vals {
		c.W.MapLen(n)
	} else {
		c.W.ArrayLen(n)
	}
	if m == nil {
		return nil
	}
	m.Each(func(name string, val []byte) bool {
		if keys {
			c.W.BulkString(name)
		}
		if vals {
			c.W.Bulk(val)
		}
		return true
	})
	return nil
}

func hgetallCommand(c *Ctx) error { return hashGetAll(c, true, true) }
func hkeysCommand(c *Ctx) error   { return hashGetAll(c, true, false) }
func hvalsCommand(c *Ctx) error   { return hashGetAll(c, false, true) }

// hdelCommand removes what this member had seen of the fields named. When that removes every
// field, the hash is deleted as a whole (as DEL would), so that its TTL goes with it as in Redis.
func hdelCommand(c *Ctx) error {
	key := c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeHash)
	if err != nil {
		return err
	}
	if ent == nil {
		c.W.Int(0)
		return nil
	}
	m := hashOf(ent)
	op := effect.Op{Kind: effect.HashDelete, DB: c.DB(), Key: key, Created: ent.Created}
	var named map[string]struct{}
	for _, f := range c.Args[2:] {
		if !m.Has(f) {
			continue
		}
		if len(c.Args) > 3 {
			if _, dup := named[string(f)]; dup {
				continue
			}
			if named == nil {
				named = make(map[string]struct{})
			}
			named[string(f)] = struct{}{}
		}
		if t := m.Totals(f); t != nil {
			if op.ElemOffsets == nil {
				op.ElemOffsets = make([][]register.Total, len(op.Elems), len(c.Args)-2)
			}
			op.ElemOffsets = append(op.ElemOffsets, t)
		} else if op.ElemOffsets != nil {
			op.ElemOffsets = append(op.ElemOffsets, nil)
		}
		op.Elems = append(op.Elems, fieldArg(m, f))
	}
	switch {
	case len(op.Elems) == 0:
	case len(op.Elems) == m.Len():
		c.E.Emit(engine.DeleteOp(c.DB(), ent))
	default:
		c.E.Emit(op)
		m.Settled()
	}
	c.W.Int(int64(len(op.Elems)))
	return nil
}

func hexistsCommand(c *Ctx) error {
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	if m.Has(c.Args[2]) {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
	return nil
}

func hlenCommand(c *Ctx) error {
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	c.W.Int(int64(m.Len()))
	return nil
}

func hstrlenCommand(c *Ctx) error {
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	v, _ := m.Get(c.Args[2])
	c.W.Int(int64(len(v)))
	return nil
}

// hincrbyCommand is Redis's hincrbyCommand on a field's counter, with the 59-bit limit of
// string counters on this member's contribution (see incrBy).
func hincrbyCommand(c *Ctx) error {
	delta, err := c.Int(3)
	if err != nil {
		return err
	}
	key := c.Key(1)
	m, created, err := c.writeHash(key)
	if err != nil {
		return err
	}
	f := c.Args[2]
	var cur, own int64
	if reg := m.Register(f); reg != nil {
		own = reg.Contribution(c.E.Member())
		// A counter: its integer value without printing it (the same as parsing what it prints).
		n, ok := reg.Int()
		if !ok {
			return errHashNotInteger
		}
		cur = n
	} else if v, ok := m.Get(f); ok {
		n, ok := redisnum.ParseInt(v)
		if !ok {
			return errHashNotInteger
		}
		cur = n
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return ErrOverflow
	}
	// This member's live contribution (a field that is not live has none) stays within 59 bits.
	if (delta > 0 && own > maxContribution-delta) || (delta < 0 && own < -maxContribution-delta) {
		return ErrOverflow
	}
	c.E.Emit(effect.Op{Kind: effect.HashAdd, DB: c.DB(), Key: key, Created: created,
		Elems: [][]byte{fieldArg(m, f)}, Int: delta})
	c.settleHash(key)
	c.W.Int(cur + delta)
	return nil
}

// hincrbyfloatCommand computes the new value exactly as Redis does (long double, "%.17Lf") and
// records the difference from the field's current exact value as this member's floating
// contribution, as INCRBYFLOAT does for strings.
func hincrbyfloatCommand(c *Ctx) error {
	incr, ok := redisnum.ParseLongDouble(c.Args[3])
	if !ok {
		return ErrNotFloat
	}
	if incr.IsNaN() || incr.IsInf() {
		return errValueNaNOrInf
	}
	key := c.Key(1)
	m, created, err := c.writeHash(key)
	if err != nil {
		return err
	}
	f := c.Args[2]
	cur := redisnum.LongDoubleFromInt64(0)
	curExact := new(big.Rat)
	if v, ok := m.Get(f); ok {
		if cur, ok = redisnum.ParseLongDouble(v); !ok {
			return errHashNotFloat
		}
		curExact = m.Exact(f)
	}
	sum := cur.Add(incr)
	if sum.IsInf() || sum.IsNaN() {
		return ErrNaNOrInf
	}
	text := redisnum.FormatLongDouble(sum, redisnum.LDStrHuman)
	newExact, ok := register.ParseDecimal([]byte(text))
	name := fieldArg(m, f)
	if !ok || curExact == nil {
		// A current value that strtold reads but that is no plain decimal (hex, huge
		// exponents): write the whole value instead.
		op := effect.Op{Kind: effect.HashSet, DB: c.DB(), Key: key, Created: created,
			Elems: [][]byte{name}, Values: [][]byte{[]byte(text)}}
		if state := c.hashState(c.DB(), key); state != nil {
			if t := state.Totals(f); t != nil {
				op.ElemOffsets = [][]register.Total{t}
			}
		}
		c.E.Emit(op)
	} else {
		c.E.Emit(effect.Op{Kind: effect.HashAdd, DB: c.DB(), Key: key, Created: created,
			Elems: [][]byte{name}, Float: new(big.Rat).Sub(newExact, curExact)})
	}
	c.settleHash(key)
	c.W.BulkString(text)
	return nil
}

// parseRandCount reads HRANDFIELD's and ZRANDMEMBER's "count [WITH...]" arguments with Redis
// 7.0's checks: a count pairing every pick with its value or score must leave room to double.
func parseRandCount(c *Ctx, with string) (count int64, withValues bool, err error) {
	count, err = c.Int(2)
	if err != nil {
		return 0, false, err
	}
	if count < -math.MaxInt64 {
		return 0, false, errRandCountRange
	}
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.Is(3, with)) {
		return 0, false, ErrSyntax
	}
	if len(c.Args) == 4 {
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			return 0, false, errValueRange
		}
		withValues = true
	}
	return count, withValues, nil
}

// hrandfieldCommand is Redis 7.0's hrandfieldCommand.
func hrandfieldCommand(c *Ctx) error {
	if len(c.Args) >= 3 {
		l, withValues, err := parseRandCount(c, "withvalues")
		if err != nil {
			return err
		}
		return hrandfieldWithCount(c, l, withValues)
	}
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	if m == nil {
		c.W.Null()
		return nil
	}
	name, _ := m.At(c.E.Rand().IntN(m.Len()))
	c.W.BulkString(name)
	return nil
}

// hrandfieldWithCount is Redis's hrandfieldWithCountCommand: a negative count picks with
// repetitions, a positive one distinct fields (the whole hash when count >= its size).
func hrandfieldWithCount(c *Ctx, l int64, withValues bool) error {
	m, err := c.readHash(c.Key(1))
	if err != nil {
		return err
	}
	if m == nil || l == 0 {
		c.W.ArrayLen(0)
		return nil
	}
	resp3 := c.W.Protocol() == 3
	reply := func(i int) {
		name, val := m.At(i)
		if withValues && resp3 {
			c.W.ArrayLen(2)
		}
		c.W.BulkString(name)
		if withValues {
			c.W.Bulk(val)
		}
	}
	header := func(n int64) {
		if withValues && !resp3 {
			n *= 2
		}
		c.W.ArrayLen(int(n))
	}
	size := int64(m.Len())
	r := c.E.Rand()
	if l < 0 || l == 1 {
		count := l
		if l < 0 {
			count = -l
		}
		header(count)
		for ; count > 0; count-- {
			reply(r.IntN(int(size)))
		}
		return nil
	}
	count := l
	if count >= size {
		header(size)
		for i := range int(size) {
			reply(i)
		}
		return nil
	}
	header(count)
	if count*3 > size {
		// Many of the fields: a partial shuffle of all the slots.
		perm := make([]int32, size)
		for i := range perm {
			perm[i] = int32(i)
		}
		for i := range int(count) {
			j := i + r.IntN(int(size)-i)
			perm[i], perm[j] = perm[j], perm[i]
			reply(int(perm[i]))
		}
		return nil
	}
	picked := make(map[int]struct{}, count)
	for int64(len(picked)) < count {
		i := r.IntN(int(size))
		if _, dup := picked[i]; dup {
			continue
		}
		picked[i] = struct{}{}
		reply(i)
	}
	return nil
}

// hscanCommand is HSCAN with Redis's argument handling. A hash that Redis would keep as a
// listpack is returned whole with cursor 0, as Redis does; larger ones are scanned with
// Concord's cursors (see package ormap), COUNT being the number of fields visited.
func hscanCommand(c *Ctx) error {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		return ErrInvalidCursor
	}
	ent, err := c.Read(c.Key(1), crdt.TypeHash)
	if err != nil {
		return err
	}
	if ent == nil {
		replyScanHeader(c, 0, 0)
		return nil
	}
	opt, err := parseScanOptions(c, 3, false)
	if err != nil {
		return err
	}
	m := hashOf(ent)
	type pair struct {
		name string
		val  []byte
	}
	var out []pair
	visit := func(name string, val []byte) {
		if !opt.matches([]byte(name)) {
			return
		}
		out = append(out, pair{name, val})
	}
	next := uint64(0)
	if hashEncoding(c, ent) == "listpack" {
		m.Each(func(name string, val []byte) bool {
			visit(name, val)
			return true
		})
	} else {
		next = m.Scan(cursor, opt.count, visit)
	}
	replyScanHeader(c, next, 2*len(out))
	for _, p := range out {
		c.W.BulkString(p.name)
		c.W.Bulk(p.val)
	}
	return nil
}

// copyHash creates a new hash with the current fields and values (RENAME, COPY, MOVE): one
// HashSet operation, and the TTL.
func copyHash(ent *store.Entry) []effect.Op {
	m := hashOf(ent)
	op := effect.Op{Kind: effect.HashSet, Elems: make([][]byte, 0, m.Len()), Values: make([][]byte, 0, m.Len())}
	m.Each(func(name string, val []byte) bool {
		buf := make([]byte, len(name)+len(val))
		copy(buf, name)
		copy(buf[len(name):], val)
		op.Elems = append(op.Elems, buf[:len(name):len(name)])
		op.Values = append(op.Values, buf[len(name):])
		return true
	})
	ops := []effect.Op{op}
	if ent.ExpireAt != 0 {
		ops = append(ops, effect.Op{Kind: effect.Expire, At: ent.ExpireAt})
	}
	return ops
}

// hashLimits are hash-max-listpack-entries and hash-max-listpack-value.
func (c *Ctx) hashLimits() (entries, value int64) {
	return c.Env.Config.Int("hash-max-listpack-entries"), c.Env.Config.Int("hash-max-listpack-value")
}

// settleHash records, after a local write of key that Redis checks for conversion, whether Redis
// would now hold the hash as a hashtable (see ormap.Map.Settle).
func (c *Ctx) settleHash(key string) {
	if ent := c.E.Store().DB(c.DB()).Get(key); ent != nil {
		if m, ok := ent.Value.(*ormap.Map); ok {
			c.settleMap(m)
		}
	}
}

// settleMap is settleHash for the map of the written hash.
func (c *Ctx) settleMap(m *ormap.Map) {
	if m.Converted() {
		m.Settled() // converted for good: the limits no longer matter
		return
	}
	m.Settle(c.hashLimits())
}

// hashEncoding is what OBJECT ENCODING says in Redis 7.0: a hash starts as a listpack and
// becomes a hashtable for good (until it is emptied) when a write leaves it with more than
// hash-max-listpack-entries fields or writes a field or value longer than
// hash-max-listpack-value.
func hashEncoding(c *Ctx, ent *store.Entry) string {
	if hashOf(ent).Hashtable(c.hashLimits()) {
		return "hashtable"
	}
	return "listpack"
}

// hashDigest is Redis 7.0's xorObjectDigest for OBJ_HASH: the xor over the fields of
// SHA1-mix(field, value).
func hashDigest(d *[20]byte, ent *store.Entry) {
	hashOf(ent).Each(func(name string, val []byte) bool {
		var e [20]byte
		mixDigest(&e, []byte(name))
		mixDigest(&e, val)
		xorDigest(d, e[:])
		return true
	})
}
