package command

import (
	"math"
	"slices"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/crdt/zset"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/redisnum"
	"github.com/concord-db/concord/internal/store"
)

// Sorted sets (semantics.md §4), ported from Redis 7.0's t_zset.c: argument parsing, error
// texts and reply shapes are Redis's. ZADD writes scores as bases (ZsetSet), ZINCRBY and ZADD
// INCR set this member's cumulative contribution (ZsetAdd) chosen so that the local score is
// exactly Redis's double arithmetic (zset.IncrTotal), removals are observed-removes
// (ZsetRemove, or a whole-key Delete when they empty the set, so that the TTL goes with it as in
// Redis). This file holds the single-member writes and reads and the helpers other commands
// (GEO*, BZPOP*) build on; zsets_range.go the range commands, zsets_store.go the set algebra,
// zsets_pop.go pops, ZRANDMEMBER and ZSCAN.
func init() {
	define(
		&Command{Name: "zadd", Arity: -4, Flags: Write | Fast, Run: zaddCommand},
		&Command{Name: "zincrby", Arity: 4, Flags: Write | Fast, Run: zincrbyCommand},
		&Command{Name: "zrem", Arity: -3, Flags: Write | Fast, Run: zremCommand},
		&Command{Name: "zscore", Arity: 3, Flags: ReadOnly | Fast, Run: zscoreCommand},
		&Command{Name: "zmscore", Arity: -3, Flags: ReadOnly | Fast, Run: zmscoreCommand},
		&Command{Name: "zcard", Arity: 2, Flags: ReadOnly | Fast, Run: zcardCommand},
		&Command{Name: "zrank", Arity: 3, Flags: ReadOnly | Fast, Run: zrankCommand},
		&Command{Name: "zrevrank", Arity: 3, Flags: ReadOnly | Fast, Run: zrankCommand},
	)
	valueCopiers[crdt.TypeZSet] = copyZset
	valueEncodings[crdt.TypeZSet] = func(c *Ctx, ent *store.Entry) string {
		if zsetListpack(c, zsetOf(ent)) {
			return "listpack"
		}
		return "skiplist"
	}
	valueDigests[crdt.TypeZSet] = zsetDigest
}

// Error texts of t_zset.c.
const (
	errZsetNaN         Error = "ERR resulting score is not a number (NaN)"
	errZaddXXNX        Error = "ERR XX and NX options at the same time are not compatible"
	errZaddGTLTNX      Error = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZaddIncrPair    Error = "ERR INCR option supports a single increment-element pair"
	errZsetMinMaxFloat Error = "ERR min or max is not a float"
	errZsetMinMaxLex   Error = "ERR min or max not valid string range item"
)

func zsetOf(ent *store.Entry) *zset.ZSet { return ent.Value.(*zset.ZSet) }

// readZset looks a sorted set up for a read command: nil when the key does not exist.
func (c *Ctx) readZset(key string) (*zset.ZSet, error) {
	ent, err := c.Read(key, crdt.TypeZSet)
	if err != nil || ent == nil {
		return nil, err
	}
	return zsetOf(ent), nil
}

// zsetState returns key's sorted set in database db even when it is not live (a tombstone keeps
// the counters and offsets of removed members), for the offsets a write carries; nil when none.
func (c *Ctx) zsetState(db int, key string) *zset.ZSet {
	if ent := c.E.Store().DB(db).Get(key); ent != nil {
		if z, ok := ent.Value.(*zset.ZSet); ok {
			return z
		}
	}
	return nil
}

// zsetLen is the number of members of key now (0 when it does not exist).
func (c *Ctx) zsetLen(db int, key string) int {
	ent := c.E.Store().DB(db).Get(key)
	if ent == nil || !ent.IsLive() {
		return 0
	}
	if z, ok := ent.Value.(*zset.ZSet); ok {
		return z.Len()
	}
	return 0
}

// zsetLimits are zset-max-listpack-entries and zset-max-listpack-value.
func (c *Ctx) zsetLimits() (entries, value int64) {
	return c.Env.Config.Int("zset-max-listpack-entries"), c.Env.Config.Int("zset-max-listpack-value")
}

// settleZset records, after a local write that Redis checks for conversion, whether Redis would
// now hold the set as a skiplist (see zset.ZSet.Settle).
func (c *Ctx) settleZset(db int, key string) {
	entries, value := c.zsetLimits()
	c.settleZsetLen(db, key, entries, value)
}

// settleZsetLen is settleZset with the listpack limits read (entries, value) followed by zsetLen,
// from one lookup (ZADD, where each lookup counts).
func (c *Ctx) settleZsetLen(db int, key string, entries, value int64) int {
	ent := c.E.Store().DB(db).Get(key)
	if ent == nil {
		return 0
	}
	z, ok := ent.Value.(*zset.ZSet)
	if !ok {
		return 0
	}
	z.Settle(entries, value)
	if !ent.IsLive() {
		return 0
	}
	return z.Len()
}

// zsetListpack reports whether Redis 7.0 would hold z as a listpack.
func zsetListpack(c *Ctx, z *zset.ZSet) bool { return !z.Skiplist(c.zsetLimits()) }

// zsetVisible is the score Redis replies for a member of z: a listpack stores scores as text
// and reads "-0" back as the integer 0.
func zsetVisible(c *Ctx, z *zset.ZSet, s float64) float64 {
	// Whether z is a listpack matters only for -0, which is rare: test that first.
	return zsetVisibleLP(s, s == 0 && math.Signbit(s) && zsetListpack(c, z))
}

// zsetVisibleLP is zsetVisible for a set known to be held as a listpack (lp) or not.
func zsetVisibleLP(s float64, lp bool) float64 {
	if lp && s == 0 && math.Signbit(s) {
		return 0
	}
	return s
}

// zsetStored is the score Redis keeps when it writes s to a set held as a listpack (lp): the
// listpack holds "-0" as the integer 0, which stays 0 if the set is converted later.
func zsetStored(s float64, lp bool) float64 {
	if lp && s == 0 {
		return 0
	}
	return s
}

// zsetListpackAfterAdd reports whether Redis holds key's set (z, nil when missing) as a listpack
// after adding member (when it is not one yet) as zsetAdd does.
func zsetListpackAfterAdd(c *Ctx, z *zset.ZSet, member []byte) bool {
	entries, value := c.zsetLimits()
	if z != nil && !zsetListpack(c, z) {
		return false
	}
	if z.Has(member) {
		return true
	}
	return int64(z.Len()+1) <= entries && int64(len(member)) <= value
}

// zsetName returns the bytes an operation about member arg carries: the stored name when it is
// a member (shared, immutable), a copy of the argument otherwise.
func zsetName(z *zset.ZSet, arg []byte) []byte {
	if name, ok := z.Name(arg); ok {
		return name
	}
	return hclone(arg)
}

// zsetWrite writes scores[i] as the score of members[i] of the sorted set key in database db,
// exactly as ZADD does for members it adds or updates (a fresh add of each member: it wins over
// concurrent removals and stops the counters this member has seen), creating the key when it
// does not exist, and returns the number of members added. The caller has checked that key
// holds a sorted set or nothing (WRONGTYPE) and applied its own conditions (NX, XX, ...).
// GEOADD uses it.
func zsetWrite(c *Ctx, db int, key string, members [][]byte, scores []float64) int {
	return zsetWriteOwned(c, db, key, slices.Clone(members), slices.Clone(scores))
}

// zsetWriteOwned is zsetWrite for slices that the operation may keep: members' elements are
// replaced by the names the operation carries.
func zsetWriteOwned(c *Ctx, db int, key string, members [][]byte, scores []float64) int {
	entries, value := c.zsetLimits()
	return zsetWriteAt(c, db, key, c.E.LookupWrite(db, key), members, scores, entries, value)
}

// zsetWriteAt is zsetWriteOwned for a caller that has looked the key up for writing (ent: the
// live entry or nil, as Engine.LookupWrite returned it, nothing emitted since) and read the
// listpack limits (entries, value): ZADD, where each lookup counts.
func zsetWriteAt(c *Ctx, db int, key string, ent *store.Entry, members [][]byte, scores []float64, entries, value int64) int {
	if len(members) == 0 {
		return 0
	}
	var z *zset.ZSet
	if ent != nil {
		z = zsetOf(ent)
	}
	before := z.Len()
	created := c.setCreation(db, key, ent)
	op := effect.Op{Kind: effect.ZsetSet, DB: db, Key: key, Created: created,
		Elems: members, Scores: scores}
	// The state the counters come from: the live set, or what a removed one left.
	state := z
	if state == nil {
		state = c.zsetState(db, key)
	}
	for i, m := range members {
		var t []zset.Counter
		if z != nil {
			// One lookup for both (state is z).
			var name []byte
			if name, t = z.Written(m); name == nil {
				name = hclone(m)
			}
			op.Elems[i] = name
		} else {
			op.Elems[i], t = hclone(m), state.Totals(m)
		}
		if t != nil {
			if op.ElemOffsets == nil {
				op.ElemOffsets = make([][]register.Total, len(members))
			}
			op.ElemOffsets[i] = zset.ToTotals(t)
		}
	}
	c.E.Emit(op)
	return c.settleZsetLen(db, key, entries, value) - before
}

// zsetIncr adds incr to the score of member of the sorted set key in database db as ZINCRBY
// does and returns the new score (NaN: nothing was written, the caller replies errZsetNaN).
func zsetIncr(c *Ctx, db int, key string, member []byte, incr float64) float64 {
	ent := c.E.LookupWrite(db, key)
	var z *zset.ZSet
	if ent != nil {
		z = zsetOf(ent)
	}
	if cur, ok := z.ScoreBytes(member); ok && math.IsNaN(cur+incr) {
		return math.NaN()
	}
	created := c.setCreation(db, key, ent)
	c.E.Stamp() // opens the batch: Seq is the one the contribution carries
	state := c.zsetState(db, key)
	total, target, ok := state.IncrTotal(member, c.E.Member(), c.E.Seq(), incr)
	name := zsetName(z, member)
	stored := target
	if target == 0 && math.Signbit(target) && zsetListpackAfterAdd(c, z, member) {
		stored, ok = 0, false // Redis replies -0 but its listpack keeps 0
	}
	if ok {
		c.E.Emit(effect.Op{Kind: effect.ZsetAdd, DB: db, Key: key, Created: created,
			Elems: [][]byte{name}, Scores: []float64{total}})
	} else {
		// No contribution gives Redis's exact result here: write it as a base.
		op := effect.Op{Kind: effect.ZsetSet, DB: db, Key: key, Created: created,
			Elems: [][]byte{name}, Scores: []float64{stored}}
		if t := state.Totals(member); t != nil {
			op.ElemOffsets = [][]register.Total{zset.ToTotals(t)}
		}
		c.E.Emit(op)
	}
	c.settleZset(db, key)
	return target
}

// zsetRemove removes members (present in the live set of ent) as ZREM does: an observed-remove
// carrying the counters this member has seen, or the deletion of the key when they are all of
// its members.
func zsetRemove(c *Ctx, db int, ent *store.Entry, members [][]byte) {
	z := zsetOf(ent)
	if len(members) == 0 {
		return
	}
	if len(members) >= z.Len() {
		distinct := make(map[string]struct{}, len(members))
		for _, m := range members {
			distinct[string(m)] = struct{}{}
		}
		if len(distinct) == z.Len() {
			c.E.Emit(engine.DeleteOp(db, ent))
			return
		}
	}
	op := effect.Op{Kind: effect.ZsetRemove, DB: db, Key: ent.Name, Created: ent.Created,
		Elems: make([][]byte, len(members))}
	for i, m := range members {
		op.Elems[i] = zsetName(z, m)
		if t := z.Totals(m); t != nil {
			if op.ElemOffsets == nil {
				op.ElemOffsets = make([][]register.Total, len(members))
			}
			op.ElemOffsets[i] = zset.ToTotals(t)
		}
	}
	c.E.Emit(op)
	z.Settled()
}

// zaddCommand is Redis's zaddGenericCommand (ZADD, and ZINCRBY through zincrbyCommand).
func zaddCommand(c *Ctx) error { return zaddGeneric(c, false) }

func zincrbyCommand(c *Ctx) error { return zaddGeneric(c, true) }

func zaddGeneric(c *Ctx, incr bool) error {
	var nx, xx, gt, lt, ch bool
	scoreIdx := 2
	for ; scoreIdx < len(c.Args); scoreIdx++ {
		switch {
		case c.Is(scoreIdx, "nx"):
			nx = true
		case c.Is(scoreIdx, "xx"):
			xx = true
		case c.Is(scoreIdx, "ch"):
			ch = true
		case c.Is(scoreIdx, "incr"):
			incr = true
		case c.Is(scoreIdx, "gt"):
			gt = true
		case c.Is(scoreIdx, "lt"):
			lt = true
		default:
			goto parsed
		}
	}
parsed:
	elements := len(c.Args) - scoreIdx
	if elements%2 != 0 || elements == 0 {
		return ErrSyntax
	}
	elements /= 2
	if nx && xx {
		return errZaddXXNX
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		return errZaddGTLTNX
	}
	if incr && elements > 1 {
		return errZaddIncrPair
	}
	// Small fixed buffers keep the usual one-pair ZADD's scratch space off the heap.
	var scoresBuf [4]float64
	scores := scoresBuf[:0]
	if elements > len(scoresBuf) {
		scores = make([]float64, 0, elements)
	}
	scores = scores[:elements]
	for j := range scores {
		f, ok := redisnum.ParseFloat(c.Args[scoreIdx+2*j])
		if !ok {
			return ErrNotFloat
		}
		scores[j] = f
	}
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeZSet)
	if err != nil {
		return err
	}
	var z *zset.ZSet
	if ent != nil {
		z = zsetOf(ent)
	}
	if ent == nil && xx {
		if incr {
			c.W.Null()
		} else {
			c.W.Int(0)
		}
		return nil
	}
	if incr {
		member := c.Args[scoreIdx+1]
		cur, exists := z.ScoreBytes(member)
		if exists && nx || !exists && xx {
			c.W.Null()
			return nil
		}
		if exists {
			cur = zsetVisible(c, z, cur)
			s := cur + scores[0]
			if math.IsNaN(s) {
				return errZsetNaN
			}
			if (lt && s >= cur) || (gt && s <= cur) {
				c.W.Null()
				return nil
			}
		}
		s := zsetIncr(c, db, key, member, scores[0])
		c.zsetReplyScore(s)
		return nil
	}
	// Apply the pairs in order against a view of the set, then write the final score of every
	// member some pair added or updated (a re-add with the same score is still a fresh add for
	// conflict purposes: principle 5).
	type pending struct {
		member  []byte
		score   float64
		exists  bool // a member now (before the command, or added by an earlier pair)
		touched bool
	}
	// The distinct members in order of first appearance; a map finds them only when there are
	// many (ZADD usually has one pair).
	var viewBuf [4]pending
	view := viewBuf[:0]
	if elements > len(viewBuf) {
		view = make([]pending, 0, elements)
	}
	var byName map[string]int
	if elements > 16 {
		byName = make(map[string]int, elements)
	}
	find := func(member []byte) int {
		if byName != nil {
			if i, ok := byName[string(member)]; ok {
				return i
			}
			return -1
		}
		for i := range view {
			if string(view[i].member) == string(member) {
				return i
			}
		}
		return -1
	}
	added, updated := 0, 0
	// Whether Redis holds the set as a listpack as each pair is applied (a listpack stores -0
	// as 0, and a later conversion keeps that 0).
	entries, value := c.zsetLimits()
	size := z.Len()
	lpNow := z != nil && !z.Skiplist(entries, value) // as zsetListpack, before this command
	lp := lpNow || z == nil && entries != 0 && int64(len(c.Args[scoreIdx+1])) <= value
	for j := range elements {
		member := c.Args[scoreIdx+1+2*j]
		score := scores[j]
		k := find(member)
		if k < 0 {
			cur, exists := z.ScoreBytes(member)
			cur = zsetVisibleLP(cur, lpNow)
			k = len(view)
			view = append(view, pending{member: member, score: cur, exists: exists})
			if byName != nil {
				byName[string(member)] = k
			}
		}
		p := &view[k]
		if p.exists {
			if nx || (lt && score >= p.score) || (gt && score <= p.score) {
				continue
			}
			if score != p.score {
				updated++
				p.score = zsetStored(score, lp)
			}
			p.touched = true
			continue
		}
		if xx {
			continue
		}
		if lp && (int64(size+1) > entries || int64(len(member)) > value) {
			lp = false // Redis converts before inserting
		}
		size++
		added++
		p.score, p.exists, p.touched = zsetStored(score, lp), true, true
	}
	var members [][]byte
	var out []float64
	if len(view) == 1 {
		// The usual single pair: the operation's two slices in one allocation.
		one := new(struct {
			m [1][]byte
			s [1]float64
		})
		members, out = one.m[:0], one.s[:0]
	} else {
		members, out = make([][]byte, 0, len(view)), make([]float64, 0, len(view))
	}
	for _, p := range view {
		if p.touched {
			members = append(members, p.member)
			out = append(out, p.score)
		}
	}
	if len(members) > 0 {
		zsetWriteAt(c, db, key, ent, members, out, entries, value)
	}
	if ch {
		c.W.Int(int64(added + updated))
	} else {
		c.W.Int(int64(added))
	}
	return nil
}

// zsetReplyScore replies a score as ZINCRBY and ZSCORE do.
func (c *Ctx) zsetReplyScore(s float64) { c.W.Double(s) }

func zremCommand(c *Ctx) error {
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeZSet)
	if err != nil || ent == nil {
		if err == nil {
			c.W.Int(0)
		}
		return err
	}
	z := zsetOf(ent)
	var members [][]byte
	var seen map[string]struct{}
	for _, m := range c.Args[2:] {
		if !z.Has(m) {
			continue
		}
		if len(c.Args) > 3 {
			if _, dup := seen[string(m)]; dup {
				continue
			}
			if seen == nil {
				seen = make(map[string]struct{})
			}
			seen[string(m)] = struct{}{}
		}
		members = append(members, m)
	}
	zsetRemove(c, db, ent, members)
	c.W.Int(int64(len(members)))
	return nil
}

func zscoreCommand(c *Ctx) error {
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	s, ok := z.ScoreBytes(c.Args[2])
	if !ok {
		c.W.Null()
		return nil
	}
	c.zsetReplyScore(zsetVisible(c, z, s))
	return nil
}

func zmscoreCommand(c *Ctx) error {
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if s, ok := z.ScoreBytes(m); ok {
			c.zsetReplyScore(zsetVisible(c, z, s))
		} else {
			c.W.Null()
		}
	}
	return nil
}

func zcardCommand(c *Ctx) error {
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	c.W.Int(int64(z.Len()))
	return nil
}

// zrankCommand is ZRANK and ZREVRANK.
func zrankCommand(c *Ctx) error {
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	r, _, ok := z.Rank(c.Args[2])
	if !ok {
		c.W.Null()
		return nil
	}
	if c.Cmd.Name == "zrevrank" {
		r = z.Len() - 1 - r
	}
	c.W.Int(int64(r))
	return nil
}

// copyZset creates a new sorted set with the current members and scores (RENAME, COPY, MOVE):
// one ZsetSet, and the TTL (written also when there is none, so that the copy does not pick up
// the TTL of a dead destination).
func copyZset(ent *store.Entry) []effect.Op {
	z := zsetOf(ent)
	op := effect.Op{Kind: effect.ZsetSet, Elems: make([][]byte, 0, z.Len()), Scores: make([]float64, 0, z.Len())}
	z.Each(func(name string, score float64) bool {
		op.Elems = append(op.Elems, []byte(name))
		op.Scores = append(op.Scores, score)
		return true
	})
	return []effect.Op{op, {Kind: effect.Expire, At: ent.ExpireAt}}
}

// zsetDigest is Redis 7.0's xorObjectDigest for OBJ_ZSET: the xor over the members of
// SHA1-mix(member, score as "%.17g"); a listpack reads "-0" back as 0.
func zsetDigest(d *[20]byte, ent *store.Entry) {
	z := zsetOf(ent)
	lp := z.ListpackNow()
	var buf [32]byte
	z.Each(func(name string, score float64) bool {
		if lp && score == 0 {
			score = 0 // a listpack holds "-0" as the integer 0
		}
		var e [20]byte
		mixDigest(&e, []byte(name))
		mixDigest(&e, redisnum.AppendDouble(buf[:0], score))
		xorDigest(d, e[:])
		return true
	})
}
