package command

import (
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/zset"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/redisnum"
)

// Range commands of sorted sets (t_zset.c's zrangeGenericCommand and friends): ranges by rank,
// score and lex, forwards and reversed, with LIMIT; ZRANGESTORE; the counts; ZREMRANGEBY*.
func init() {
	define(
		&Command{Name: "zrange", Arity: -4, Flags: ReadOnly, Run: zrangeCommand},
		&Command{Name: "zrangestore", Arity: -5, Flags: Write, Run: zrangestoreCommand},
		&Command{Name: "zrevrange", Arity: -4, Flags: ReadOnly, Run: zrangeCommand},
		&Command{Name: "zrangebyscore", Arity: -4, Flags: ReadOnly, Run: zrangeCommand},
		&Command{Name: "zrevrangebyscore", Arity: -4, Flags: ReadOnly, Run: zrangeCommand},
		&Command{Name: "zrangebylex", Arity: -4, Flags: ReadOnly, Run: zrangeCommand},
		&Command{Name: "zrevrangebylex", Arity: -4, Flags: ReadOnly, Run: zrangeCommand},
		&Command{Name: "zcount", Arity: 4, Flags: ReadOnly | Fast, Run: zcountCommand},
		&Command{Name: "zlexcount", Arity: 4, Flags: ReadOnly | Fast, Run: zlexcountCommand},
		&Command{Name: "zremrangebyrank", Arity: 4, Flags: Write, Run: zremrangeCommand},
		&Command{Name: "zremrangebyscore", Arity: 4, Flags: Write, Run: zremrangeCommand},
		&Command{Name: "zremrangebylex", Arity: 4, Flags: Write, Run: zremrangeCommand},
	)
}

type zrangeType int

const (
	zrangeAuto zrangeType = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// parseScoreRange is zslParseRange: "(" makes a bound exclusive.
func parseScoreRange(minArg, maxArg []byte) (zset.ScoreRange, bool) {
	var r zset.ScoreRange
	var ok bool
	if r.Min, r.MinEx, ok = parseScoreBound(minArg); !ok {
		return r, false
	}
	if r.Max, r.MaxEx, ok = parseScoreBound(maxArg); !ok {
		return r, false
	}
	return r, true
}

func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := false
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	f, ok := redisnum.ParseRangeFloat(b)
	return f, ex, ok
}

// parseLexRange is zslParseLexRange.
func parseLexRange(minArg, maxArg []byte) (zset.LexRange, bool) {
	var r zset.LexRange
	var ok bool
	if r.Min, ok = parseLexBound(minArg); !ok {
		return r, false
	}
	if r.Max, ok = parseLexBound(maxArg); !ok {
		return r, false
	}
	return r, true
}

func parseLexBound(b []byte) (zset.LexBound, bool) {
	if len(b) == 0 {
		return zset.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 { // a C string ends at its first NUL
			return zset.LexBound{}, false
		}
		if b[0] == '+' {
			return zset.LexBound{PosInf: true, Excl: true}, true
		}
		return zset.LexBound{NegInf: true, Excl: true}, true
	case '(':
		return zset.LexBound{Excl: true, Value: string(b[1:])}, true
	case '[':
		return zset.LexBound{Value: string(b[1:])}, true
	}
	return zset.LexBound{}, false
}

// zrangeCommand is ZRANGE and its older forms.
func zrangeCommand(c *Ctx) error {
	rt, rev := zrangeAuto, false
	switch c.Cmd.Name {
	case "zrevrange":
		rt, rev = zrangeRank, true
	case "zrangebyscore":
		rt = zrangeScore
	case "zrevrangebyscore":
		rt, rev = zrangeScore, true
	case "zrangebylex":
		rt = zrangeLex
	case "zrevrangebylex":
		rt, rev = zrangeLex, true
	}
	return zrangeGeneric(c, 1, "", rt, rev, c.Cmd.Name == "zrange")
}

func zrangestoreCommand(c *Ctx) error {
	return zrangeGeneric(c, 2, c.Key(1), zrangeAuto, false, true)
}

// zrangeGeneric is zrangeGenericCommand: the source key is argument from, dst the destination
// of ZRANGESTORE (""); autoDir says whether REV may be given.
func zrangeGeneric(c *Ctx, from int, dst string, rt zrangeType, rev bool, autoDir bool) error {
	store := dst != ""
	withScores := false
	offset, limit := int64(0), int64(-1)
	autoType := rt == zrangeAuto
	for j := from + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case !store && c.Is(j, "withscores"):
			withScores = true
		case c.Is(j, "limit") && left >= 2:
			var err error
			if offset, err = c.Int(j + 1); err != nil {
				return err
			}
			if limit, err = c.Int(j + 2); err != nil {
				return err
			}
			j += 2
		case autoDir && !rev && c.Is(j, "rev"):
			rev = true
		case autoType && rt == zrangeAuto && c.Is(j, "bylex"):
			rt = zrangeLex
		case autoType && rt == zrangeAuto && c.Is(j, "byscore"):
			rt = zrangeScore
		default:
			return ErrSyntax
		}
	}
	if rt == zrangeAuto {
		rt = zrangeRank
	}
	if limit != -1 && rt == zrangeRank {
		return Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
	}
	if withScores && rt == zrangeLex {
		return Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
	}
	minIdx, maxIdx := from+1, from+2
	if rev && rt != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr zset.ScoreRange
	var lr zset.LexRange
	switch rt {
	case zrangeRank:
		var err error
		if start, err = c.Int(minIdx); err != nil {
			return err
		}
		if end, err = c.Int(maxIdx); err != nil {
			return err
		}
	case zrangeScore:
		var ok bool
		if sr, ok = parseScoreRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			return errZsetMinMaxFloat
		}
	case zrangeLex:
		var ok bool
		if lr, ok = parseLexRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			return errZsetMinMaxLex
		}
	}
	z, err := c.readZset(c.Key(from))
	if err != nil {
		return err
	}
	if z == nil {
		if store {
			c.storeZset(dst, nil, nil)
		} else {
			c.W.ArrayLen(0)
		}
		return nil
	}
	var first, count int
	var lo, hi int
	switch rt {
	case zrangeRank:
		first, count = rankSpan(start, end, z.Len())
	case zrangeScore:
		lo, hi = z.ScoreRank(sr)
		first, count = limitSpan(lo, hi, offset, limit, z.Len())
	case zrangeLex:
		lo, hi = z.LexRank(lr)
		first, count = limitSpan(lo, hi, offset, limit, z.Len())
	}
	// first is counted from the low end; a reversed range starts at its high end (a range by
	// score or lex: its last member, moved down by the offset).
	var it zset.Iter
	switch {
	case count == 0:
	case !rev:
		it = z.Seek(first)
	case rt == zrangeRank:
		it = z.Seek(z.Len() - 1 - first)
	default:
		it = z.Seek(hi - int(offset))
	}
	if store {
		// Redis creates the destination as a listpack unless a range by rank is known to be too
		// long, and converts it when a member is added beyond the limits.
		entries, value := c.zsetLimits()
		lp := rt != zrangeRank || int64(count) <= entries
		members := make([][]byte, 0, count)
		scores := make([]float64, 0, count)
		for ; count > 0 && it.Valid(); count-- {
			name := it.Name()
			if lp && (int64(len(members)+1) > entries || int64(len(name)) > value) {
				lp = false
			}
			members = append(members, setBytes(name))
			scores = append(scores, zsetStored(zsetVisible(c, z, it.Score()), lp))
			zrangeStep(&it, rev)
		}
		c.storeZset(dst, members, scores)
		return nil
	}
	c.zsetReplyHeader(count, withScores)
	for ; count > 0 && it.Valid(); count-- {
		c.zsetReplyItem(it.Name(), zsetVisible(c, z, it.Score()), withScores)
		zrangeStep(&it, rev)
	}
	return nil
}

func zrangeStep(it *zset.Iter, rev bool) {
	if rev {
		it.Prev()
	} else {
		it.Next()
	}
}

// rankSpan sanitizes ZRANGE's start and end as genericZrangebyrankCommand does and returns the
// first rank and the count.
func rankSpan(start, end int64, n int) (first, count int) {
	llen := int64(n)
	if start < 0 {
		start += llen
	}
	if end < 0 {
		end += llen
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= llen {
		return 0, 0
	}
	if end >= llen {
		end = llen - 1
	}
	return int(start), int(end - start + 1)
}

// limitSpan applies LIMIT offset count to the ranks [lo, hi] of a score or lex range, as
// genericZrangebyscoreCommand does (an offset past the set or negative gives nothing, a
// negative count means all).
func limitSpan(lo, hi int, offset, limit int64, n int) (first, count int) {
	if offset > 0 && offset >= int64(n) {
		return 0, 0
	}
	if hi < lo || offset < 0 {
		return 0, 0
	}
	avail := int64(hi-lo+1) - offset
	if avail <= 0 {
		return 0, 0
	}
	if limit >= 0 && limit < avail {
		avail = limit
	}
	return lo + int(offset), int(avail)
}

// zsetReplyHeader starts a reply of count members (with scores: pairs in RESP3, a flat array in
// RESP2).
func (c *Ctx) zsetReplyHeader(count int, withScores bool) {
	if withScores && c.W.Protocol() == 2 {
		c.W.ArrayLen(2 * count)
	} else {
		c.W.ArrayLen(count)
	}
}

// zsetReplyItem writes one member of a reply started by zsetReplyHeader.
func (c *Ctx) zsetReplyItem(name string, score float64, withScores bool) {
	if withScores && c.W.Protocol() != 2 {
		c.W.ArrayLen(2)
	}
	c.W.BulkString(name)
	if withScores {
		c.W.Double(score)
	}
}

// storeZset replaces dst by a sorted set of members with scores (ZRANGESTORE, Z*STORE) and
// replies its size: the old value is deleted (observed-remove, whatever its type), the members
// are written to a new value without a TTL. An empty result only deletes dst.
func (c *Ctx) storeZset(dst string, members [][]byte, scores []float64) {
	db := c.DB()
	if old := c.E.LookupWrite(db, dst); old != nil {
		c.E.Emit(engine.DeleteOp(db, old))
	}
	if len(members) == 0 {
		c.W.Int(0)
		return
	}
	created := c.E.Stamp()
	c.E.Emit(effect.Op{Kind: effect.ZsetSet, DB: db, Key: dst, Created: created, Elems: members, Scores: scores})
	c.E.Emit(effect.Op{Kind: effect.Expire, DB: db, Key: dst, At: 0})
	c.settleZset(db, dst)
	c.W.Int(int64(c.zsetLen(db, dst)))
}

func zcountCommand(c *Ctx) error {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		return errZsetMinMaxFloat
	}
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	lo, hi := z.ScoreRank(r)
	c.W.Int(int64(max(0, hi-lo+1)))
	return nil
}

func zlexcountCommand(c *Ctx) error {
	r, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		return errZsetMinMaxLex
	}
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	lo, hi := z.LexRank(r)
	c.W.Int(int64(max(0, hi-lo+1)))
	return nil
}

// zremrangeCommand is zremrangeGenericCommand: the observed removal of the members in the
// range.
func zremrangeCommand(c *Ctx) error {
	var start, end int64
	var sr zset.ScoreRange
	var lr zset.LexRange
	var err error
	switch c.Cmd.Name {
	case "zremrangebyrank":
		if start, err = c.Int(2); err != nil {
			return err
		}
		if end, err = c.Int(3); err != nil {
			return err
		}
	case "zremrangebyscore":
		var ok bool
		if sr, ok = parseScoreRange(c.Args[2], c.Args[3]); !ok {
			return errZsetMinMaxFloat
		}
	default:
		var ok bool
		if lr, ok = parseLexRange(c.Args[2], c.Args[3]); !ok {
			return errZsetMinMaxLex
		}
	}
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeZSet)
	if err != nil || ent == nil {
		if err == nil {
			c.W.Int(0)
		}
		return err
	}
	z := zsetOf(ent)
	var first, count int
	switch c.Cmd.Name {
	case "zremrangebyrank":
		first, count = rankSpan(start, end, z.Len())
	case "zremrangebyscore":
		lo, hi := z.ScoreRank(sr)
		first, count = lo, max(0, hi-lo+1)
	default:
		lo, hi := z.LexRank(lr)
		first, count = lo, max(0, hi-lo+1)
	}
	members := make([][]byte, 0, count)
	for it := z.Seek(first); count > 0 && it.Valid(); count-- {
		members = append(members, setBytes(it.Name()))
		it.Next()
	}
	zsetRemove(c, db, ent, members)
	c.W.Int(int64(len(members)))
	return nil
}
