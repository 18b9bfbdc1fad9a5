package command

import (
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/redisnum"
)

// The blocking list and sorted-set commands, with Redis 7.0's argument handling, replies and
// errors (t_list.c's blockingPopGenericCommand, blmoveGenericCommand and lmpopGenericCommand;
// t_zset.c's blockingGenericZpopCommand and zmpopGenericCommand). They pop with the helpers of
// lists.go and zsets_pop.go (listPop, listMove, moveReply, zsetPop, zsetReplyPop), now or, once
// parked, when a key they wait on is written (blocking.go).
func init() {
	define(
		&Command{Name: "blpop", Arity: -3, Flags: Write, Run: func(c *Ctx) error { return blockingPopCommand(c, true) }},
		&Command{Name: "brpop", Arity: -3, Flags: Write, Run: func(c *Ctx) error { return blockingPopCommand(c, false) }},
		&Command{Name: "blmove", Arity: 6, Flags: Write, Run: blmoveCommand},
		&Command{Name: "brpoplpush", Arity: 4, Flags: Write, Run: brpoplpushCommand},
		&Command{Name: "blmpop", Arity: -5, Flags: Write, Run: blmpopCommand},
		&Command{Name: "bzpopmin", Arity: -3, Flags: Write | Fast, Run: func(c *Ctx) error { return bzpopCommand(c, false) }},
		&Command{Name: "bzpopmax", Arity: -3, Flags: Write | Fast, Run: func(c *Ctx) error { return bzpopCommand(c, true) }},
		&Command{Name: "bzmpop", Arity: -5, Flags: Write, Run: bzmpopCommand},
	)
}

// blockingPopCommand is BLPOP and BRPOP key [key ...] timeout.
func blockingPopCommand(c *Ctx, left bool) error {
	last := len(c.Args) - 1
	deadline, err := c.blockTimeout(last)
	if err != nil {
		return err
	}
	return c.blockingListPop(1, last, left, -1, deadline)
}

// blmpopCommand is BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: LMPOP's
// arguments are checked before the timeout, as lmpopGenericCommand does.
func blmpopCommand(c *Ctx) error {
	whereIdx, err := mpopNumkeys(c, 2, errListNumkeys)
	if err != nil {
		return err
	}
	left, err := listWhere(c, whereIdx)
	if err != nil {
		return err
	}
	count, err := mpopCount(c, whereIdx, errListCount)
	if err != nil {
		return err
	}
	deadline, err := c.blockTimeout(1)
	if err != nil {
		return err
	}
	return c.blockingListPop(3, whereIdx, left, max(count, 1), deadline)
}

// mpopNumkeys parses the numkeys at argument numkeysIdx of BLMPOP and BZMPOP and returns the
// index of the LEFT|RIGHT or MIN|MAX word after the keys.
func mpopNumkeys(c *Ctx, numkeysIdx int, errNumkeys Error) (whereIdx int, err error) {
	numkeys, ok := redisnum.ParseInt(c.Args[numkeysIdx])
	if !ok || numkeys < 1 {
		return 0, errNumkeys
	}
	if numkeys >= int64(len(c.Args)) { // where_idx past the arguments (checked before it can overflow)
		return 0, ErrSyntax
	}
	whereIdx = numkeysIdx + int(numkeys) + 1
	if whereIdx >= len(c.Args) {
		return 0, ErrSyntax
	}
	return whereIdx, nil
}

// mpopCount parses the options after the LEFT|RIGHT or MIN|MAX word at whereIdx, [COUNT count]:
// -1 without COUNT.
func mpopCount(c *Ctx, whereIdx int, errCount Error) (int64, error) {
	count := int64(-1)
	for j := whereIdx + 1; j < len(c.Args); j++ {
		if count == -1 && c.Is(j, "count") && j+1 < len(c.Args) {
			j++
			n, ok := redisnum.ParseInt(c.Args[j])
			if !ok || n < 1 {
				return 0, errCount
			}
			count = n
			continue
		}
		return 0, ErrSyntax
	}
	return count, nil
}

// blockingListPop is blockingPopGenericCommand for the keys c.Args[from:to]: count -1 pops one
// element with BLPOP's [key, value] reply, otherwise up to count with BLMPOP's [key, [values]].
func (c *Ctx) blockingListPop(from, to int, left bool, count, deadline int64) error {
	db := c.DB()
	for i := from; i < to; i++ {
		key := c.Key(i)
		ent, err := c.LookupWrite(key, crdt.TypeList)
		if err != nil {
			return err
		}
		if ent == nil {
			continue
		}
		if vals := listPop(c, db, key, left, max(count, 1)); len(vals) > 0 {
			replyListPop(c, key, vals, count)
			return nil
		}
	}
	if !c.mayBlock() {
		c.W.NullArray()
		return nil
	}
	keys := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		keys = append(keys, c.Key(i))
	}
	c.park(keys, crdt.TypeList, deadline, func(c *Ctx, key string) (bool, error) {
		vals := listPop(c, c.DB(), key, left, max(count, 1))
		if len(vals) == 0 {
			return false, nil
		}
		replyListPop(c, key, vals, count)
		return true, nil
	})
	return nil
}

func replyListPop(c *Ctx, key string, vals [][]byte, count int64) {
	c.W.ArrayLen(2)
	c.W.BulkString(key)
	if count == -1 {
		c.W.Bulk(vals[0])
		return
	}
	c.W.ArrayLen(len(vals))
	for _, v := range vals {
		c.W.Bulk(v)
	}
}

// blmoveCommand is BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
func blmoveCommand(c *Ctx) error {
	from, err := listWhere(c, 3)
	if err != nil {
		return err
	}
	to, err := listWhere(c, 4)
	if err != nil {
		return err
	}
	deadline, err := c.blockTimeout(5)
	if err != nil {
		return err
	}
	return blockingMove(c, from, to, deadline)
}

// brpoplpushCommand is BRPOPLPUSH source destination timeout: BLMOVE RIGHT LEFT.
func brpoplpushCommand(c *Ctx) error {
	deadline, err := c.blockTimeout(3)
	if err != nil {
		return err
	}
	return blockingMove(c, false, true, deadline)
}

// blockingMove is blmoveGenericCommand. Only the source is waited on; a destination of another
// type found when the client is served is its WRONGTYPE reply, the element staying in the
// source (Redis undoes its pop).
func blockingMove(c *Ctx, from, to bool, deadline int64) error {
	src := c.Key(1)
	ent, err := c.LookupWrite(src, crdt.TypeList)
	if err != nil {
		return err
	}
	if ent != nil {
		return moveReply(c, from, to)
	}
	if !c.mayBlock() {
		c.W.Null() // addReplyNull, unlike the other blocking commands
		return nil
	}
	dst := c.Key(2)
	c.park([]string{src}, crdt.TypeList, deadline, func(c *Ctx, key string) (bool, error) {
		v, err := listMove(c, c.DB(), key, dst, from, to)
		if err != nil {
			return true, err
		}
		if v == nil {
			return false, nil
		}
		c.W.Bulk(v)
		return true, nil
	})
	return nil
}

// bzpopCommand is BZPOPMIN and BZPOPMAX key [key ...] timeout.
func bzpopCommand(c *Ctx, max bool) error {
	last := len(c.Args) - 1
	deadline, err := c.blockTimeout(last)
	if err != nil {
		return err
	}
	return c.blockingZsetPop(1, last, max, -1, deadline)
}

// bzmpopCommand is BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
func bzmpopCommand(c *Ctx) error {
	whereIdx, err := mpopNumkeys(c, 2, errListNumkeys)
	if err != nil {
		return err
	}
	var max bool
	switch {
	case c.Is(whereIdx, "min"):
	case c.Is(whereIdx, "max"):
		max = true
	default:
		return ErrSyntax
	}
	count, err := mpopCount(c, whereIdx, errListCount)
	if err != nil {
		return err
	}
	deadline, err := c.blockTimeout(1)
	if err != nil {
		return err
	}
	return c.blockingZsetPop(3, whereIdx, max, max64(count, 1), deadline)
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// blockingZsetPop is blockingGenericZpopCommand for the keys c.Args[from:to]: count -1 pops one
// member with BZPOPMIN's flat [key, member, score] reply, otherwise up to count with BZMPOP's
// [key, [[member, score], ...]].
func (c *Ctx) blockingZsetPop(from, to int, max bool, count, deadline int64) error {
	db := c.DB()
	for i := from; i < to; i++ {
		key := c.Key(i)
		ent, err := c.LookupWrite(key, crdt.TypeZSet)
		if err != nil {
			return err
		}
		if ent == nil {
			continue
		}
		if members, scores := zsetPop(c, db, key, max, max64(count, 1)); len(members) > 0 {
			zsetReplyPop(c, key, members, scores, true, count != -1)
			return nil
		}
	}
	if !c.mayBlock() {
		c.W.NullArray()
		return nil
	}
	keys := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		keys = append(keys, c.Key(i))
	}
	c.park(keys, crdt.TypeZSet, deadline, func(c *Ctx, key string) (bool, error) {
		members, scores := zsetPop(c, c.DB(), key, max, max64(count, 1))
		if len(members) == 0 {
			return false, nil
		}
		zsetReplyPop(c, key, members, scores, true, count != -1)
		return true, nil
	})
	return nil
}
