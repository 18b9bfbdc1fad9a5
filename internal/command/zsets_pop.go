package command

import (
	"math"
	"strconv"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/redisnum"
)

// Pops, random members and scans of sorted sets: ZPOPMIN, ZPOPMAX, ZMPOP (the blocking forms
// build on zsetPop and zsetReplyPop), ZRANDMEMBER, ZSCAN.
func init() {
	define(
		&Command{Name: "zpopmin", Arity: -2, Flags: Write | Fast, Run: zpopCommand},
		&Command{Name: "zpopmax", Arity: -2, Flags: Write | Fast, Run: zpopCommand},
		&Command{Name: "zmpop", Arity: -4, Flags: Write, Run: zmpopCommand},
		&Command{Name: "zrandmember", Arity: -2, Flags: ReadOnly, Run: zrandmemberCommand},
		&Command{Name: "zscan", Arity: -3, Flags: ReadOnly, Run: zscanCommand},
	)
}

// zsetPop pops up to count (> 0) members of the sorted set key in database db, the lowest
// scores first, or the highest when max: the effect is the observed removal of the members
// chosen (the deletion of the key when they are all of them, as Redis deletes an emptied key).
// It returns them with the scores Redis replies, in pop order; nothing when key holds no
// sorted set (the caller checks the type first). ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX and
// BZMPOP use it.
func zsetPop(c *Ctx, db int, key string, max bool, count int64) (members [][]byte, scores []float64) {
	ent := c.E.LookupWrite(db, key)
	if ent == nil || ent.Type() != crdt.TypeZSet || count <= 0 {
		return nil, nil
	}
	z := zsetOf(ent)
	n := int(min(count, int64(z.Len())))
	members = make([][]byte, 0, n)
	scores = make([]float64, 0, n)
	it := z.Seek(0)
	if max {
		it = z.Seek(z.Len() - 1)
	}
	for ; len(members) < n && it.Valid(); zrangeStep(&it, max) {
		members = append(members, setBytes(it.Name()))
		scores = append(scores, zsetVisible(c, z, it.Score()))
	}
	zsetRemove(c, db, ent, members)
	return members, scores
}

// zsetReplyPop writes the reply of genericZpopCommand for members popped from key: with
// emitKey the key comes first (BZPOP*: a flat array; ZMPOP, BZMPOP: [key, [pairs]]); nested
// replies each member as a [member, score] pair (ZPOP* with a count in RESP3, ZMPOP, BZMPOP),
// otherwise members and scores alternate in one flat array.
func zsetReplyPop(c *Ctx, key string, members [][]byte, scores []float64, emitKey, nested bool) {
	n := len(members)
	switch {
	case !nested && !emitKey:
		c.W.ArrayLen(2 * n)
	case nested && !emitKey:
		c.W.ArrayLen(n)
	case !nested && emitKey:
		c.W.ArrayLen(2*n + 1)
		c.W.BulkString(key)
	default:
		c.W.ArrayLen(2)
		c.W.BulkString(key)
		c.W.ArrayLen(n)
	}
	for i, m := range members {
		if nested {
			c.W.ArrayLen(2)
		}
		c.W.Bulk(m)
		c.W.Double(scores[i])
	}
}

// zpopCommand is ZPOPMIN and ZPOPMAX (zpopMinMaxCommand).
func zpopCommand(c *Ctx) error {
	if len(c.Args) > 3 {
		return ErrSyntax
	}
	count := int64(-1)
	if len(c.Args) == 3 {
		n, ok := redisnum.ParseInt(c.Args[2])
		if !ok || n < 0 {
			return Error("ERR value is out of range, must be positive")
		}
		count = n
	}
	nested := c.W.Protocol() > 2 && count != -1
	key := c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeZSet)
	if err != nil {
		return err
	}
	if ent == nil || count == 0 {
		c.W.ArrayLen(0)
		return nil
	}
	if count < 1 {
		count = 1
	}
	members, scores := zsetPop(c, c.DB(), key, c.Cmd.Name == "zpopmax", count)
	zsetReplyPop(c, key, members, scores, false, nested)
	return nil
}

// zmpopCommand is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count].
func zmpopCommand(c *Ctx) error {
	numkeys, ok := redisnum.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		return Error("ERR numkeys should be greater than 0")
	}
	// numkeys is compared before adding so that a huge count cannot overflow the index
	if numkeys >= int64(len(c.Args)) {
		return ErrSyntax
	}
	whereIdx := 2 + numkeys
	if whereIdx >= int64(len(c.Args)) {
		return ErrSyntax
	}
	var max bool
	switch {
	case c.Is(int(whereIdx), "min"):
	case c.Is(int(whereIdx), "max"):
		max = true
	default:
		return ErrSyntax
	}
	count := int64(-1)
	for j := int(whereIdx) + 1; j < len(c.Args); j++ {
		if count == -1 && c.Is(j, "count") && j+1 < len(c.Args) {
			j++
			n, ok := redisnum.ParseInt(c.Args[j])
			if !ok || n < 1 {
				return Error("ERR count should be greater than 0")
			}
			count = n
			continue
		}
		return ErrSyntax
	}
	if count < 1 {
		count = 1
	}
	for i := 2; i < int(whereIdx); i++ {
		key := c.Key(i)
		ent, err := c.LookupWrite(key, crdt.TypeZSet)
		if err != nil {
			return err
		}
		if ent == nil {
			continue
		}
		members, scores := zsetPop(c, c.DB(), key, max, count)
		zsetReplyPop(c, key, members, scores, true, true)
		return nil
	}
	c.W.NullArray()
	return nil
}

// zrandmemberCommand is Redis 7.0's zrandmemberCommand.
func zrandmemberCommand(c *Ctx) error {
	if len(c.Args) >= 3 {
		l, withScores, err := parseRandCount(c, "withscores")
		if err != nil {
			return err
		}
		return zrandmemberWithCount(c, l, withScores)
	}
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	if z == nil {
		c.W.Null()
		return nil
	}
	name, _ := z.Slot(c.E.Rand().IntN(z.Len()))
	c.W.BulkString(name)
	return nil
}

// zrandmemberWithCount is zrandmemberWithCountCommand: a negative count picks with repetitions,
// a positive one distinct members (the whole set, in order, when count >= its size).
func zrandmemberWithCount(c *Ctx, l int64, withScores bool) error {
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	if z == nil || l == 0 {
		c.W.ArrayLen(0)
		return nil
	}
	reply := func(name string, score float64) {
		c.zsetReplyItem(name, zsetVisible(c, z, score), withScores)
	}
	size := int64(z.Len())
	r := c.E.Rand()
	if l < 0 || l == 1 {
		count := l
		if l < 0 {
			count = -l
		}
		c.zsetReplyHeader(int(count), withScores)
		for ; count > 0; count-- {
			reply(z.Slot(r.IntN(int(size))))
		}
		return nil
	}
	if l >= size {
		// The whole set, in the order of Redis's zuiNext: from the highest score down.
		c.zsetReplyHeader(int(size), withScores)
		for it := z.Seek(int(size) - 1); it.Valid(); it.Prev() {
			reply(it.Name(), it.Score())
		}
		return nil
	}
	c.zsetReplyHeader(int(l), withScores)
	for _, i := range setPickDistinct(r, int(size), int(l)) {
		reply(z.Slot(i))
	}
	return nil
}

// zscanCommand is ZSCAN with Redis's argument handling. A set that Redis would keep as a
// listpack is returned whole (in order) with cursor 0, its scores as the listpack holds them
// (d2string text, integers in canonical form); larger ones are scanned with Concord's cursors
// (see package zset), COUNT being the number of members visited, scores as "%.17g".
func zscanCommand(c *Ctx) error {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		return ErrInvalidCursor
	}
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	if z == nil {
		replyScanHeader(c, 0, 0)
		return nil
	}
	opt, err := parseScanOptions(c, 3, false)
	if err != nil {
		return err
	}
	var out []string
	next := uint64(0)
	if zsetListpack(c, z) {
		z.Each(func(name string, score float64) bool {
			if opt.matches(setBytes(name)) {
				out = append(out, name, d2string(score))
			}
			return true
		})
	} else {
		next = z.Scan(cursor, opt.count, func(name string, score float64) {
			if opt.matches(setBytes(name)) {
				out = append(out, name, redisnum.FormatDouble(score))
			}
		})
	}
	replyScanHeader(c, next, len(out))
	for _, s := range out {
		c.W.BulkString(s)
	}
	return nil
}

// d2string is how a listpack holds a score, as read back: Redis 7.0's d2string (integral values
// within ±LLONG_MAX/2 as integers, "%.17g" otherwise), "-0" being stored as the integer 0.
func d2string(f float64) string {
	if f == 0 {
		return "0"
	}
	if !math.IsInf(f, 0) && f >= -float64(math.MaxInt64/2) && f <= float64(math.MaxInt64/2) {
		if n := int64(f); float64(n) == f {
			return strconv.FormatInt(n, 10)
		}
	}
	return redisnum.FormatDouble(f)
}
