package command

import (
	"bytes"
	"math"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/list"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// List commands (semantics.md §5), with Redis 7.0's argument handling, replies and errors
// (t_list.c). A list is a sequence CRDT (package crdt/list): pushes and LINSERT emit ListInsert
// with the position paths list.Between gives next to the neighbours seen here; pops, LREM,
// LTRIM and LMOVE emit ListRemove naming the keys of the elements they chose (observed-remove of
// those identities); LSET emits ListSet for the key of the element at the index.
//
// The blocking commands are built on listPush, listPop and listMove, whose names and meaning
// are stable.
func init() {
	define(
		&Command{Name: "lpush", Arity: -3, Flags: Write | Fast, Run: func(c *Ctx) error { return pushCommand(c, true, false) }},
		&Command{Name: "rpush", Arity: -3, Flags: Write | Fast, Run: func(c *Ctx) error { return pushCommand(c, false, false) }},
		&Command{Name: "lpushx", Arity: -3, Flags: Write | Fast, Run: func(c *Ctx) error { return pushCommand(c, true, true) }},
		&Command{Name: "rpushx", Arity: -3, Flags: Write | Fast, Run: func(c *Ctx) error { return pushCommand(c, false, true) }},
		&Command{Name: "lpop", Arity: -2, Flags: Write | Fast, Run: func(c *Ctx) error { return popCommand(c, true) }},
		&Command{Name: "rpop", Arity: -2, Flags: Write | Fast, Run: func(c *Ctx) error { return popCommand(c, false) }},
		&Command{Name: "llen", Arity: 2, Flags: ReadOnly | Fast, Run: llenCommand},
		&Command{Name: "lrange", Arity: 4, Flags: ReadOnly, Run: lrangeCommand},
		&Command{Name: "lindex", Arity: 3, Flags: ReadOnly, Run: lindexCommand},
		&Command{Name: "lset", Arity: 4, Flags: Write, Run: lsetCommand},
		&Command{Name: "lrem", Arity: 4, Flags: Write, Run: lremCommand},
		&Command{Name: "linsert", Arity: 5, Flags: Write, Run: linsertCommand},
		&Command{Name: "ltrim", Arity: 4, Flags: Write, Run: ltrimCommand},
		&Command{Name: "lpos", Arity: -3, Flags: ReadOnly, Run: lposCommand},
		&Command{Name: "lmove", Arity: 5, Flags: Write, Run: lmoveCommand},
		&Command{Name: "rpoplpush", Arity: 3, Flags: Write, Run: rpoplpushCommand},
		&Command{Name: "lmpop", Arity: -4, Flags: Write, Run: lmpopCommand},
	)
	valueCopiers[crdt.TypeList] = copyList
	// Redis 7.0 always encodes lists as quicklists (7.2 added listpack lists).
	valueEncodings[crdt.TypeList] = func(*Ctx, *store.Entry) string { return "quicklist" }
	valueDigests[crdt.TypeList] = listDigest
}

// Error replies of t_list.c.
const (
	errListPositive  Error = "ERR value is out of range, must be positive"
	errListIndex     Error = "ERR index out of range"
	errListRankZero  Error = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errListCountNeg  Error = "ERR COUNT can't be negative"
	errListMaxlenNeg Error = "ERR MAXLEN can't be negative"
	errListNumkeys   Error = "ERR numkeys should be greater than 0"
	errListCount     Error = "ERR count should be greater than 0"
)

func listOf(ent *store.Entry) *list.List { return ent.Value.(*list.List) }

// readList looks up a list for a read command: nil when the key does not exist.
func (c *Ctx) readList(key string) (*list.List, error) {
	ent, err := c.Read(key, crdt.TypeList)
	if err != nil || ent == nil {
		return nil, err
	}
	return listOf(ent), nil
}

// listLen is the length of the list key in db now (0 when it does not exist).
func (c *Ctx) listLen(db int, key string) int64 {
	ent := c.E.Store().DB(db).Get(key)
	if ent == nil || !ent.IsLive() {
		return 0
	}
	l, ok := ent.Value.(*list.List)
	if !ok {
		return 0
	}
	return int64(l.Len())
}

// listPush pushes values (in order, each at the head when left, else at the tail: LPUSH a b
// gives b a) onto the list key of database db, creating it when it does not exist, and returns
// the new length. The values are stored as given: they must not alias the client's read buffer
// (use c.Value or bytes.Clone). The caller has checked that key holds a list or nothing; a key of
// another type is left alone and 0 returned.
func listPush(c *Ctx, db int, key string, left bool, values [][]byte) int64 {
	ent := c.E.LookupWrite(db, key)
	if ent != nil && ent.Type() != crdt.TypeList {
		return 0
	}
	return pushEntry(c, db, key, ent, left, values, nil)
}

// pushEntry is listPush once the key is looked up: ent is its live list entry, or nil. The
// positions are appended to buf (see pushOnto).
func pushEntry(c *Ctx, db int, key string, ent *store.Entry, left bool, values [][]byte, buf []byte) int64 {
	created := c.setCreation(db, key, ent)
	pushOnto(c, db, key, ent, created, left, values, buf)
	if ent != nil {
		return int64(listOf(ent).Len()) // the entry the insert went to (ListInsert keeps it)
	}
	return c.listLen(db, key)
}

// pushOnto emits the insertion of values at one end of the list key (live entry ent, or nil)
// created at created. The positions are appended to buf, which may be nil; values may hold
// room for as many more slices after them, which then holds the positions (pushCommand: one
// allocation for both).
func pushOnto(c *Ctx, db int, key string, ent *store.Entry, created clock.Stamp, left bool, values [][]byte, buf []byte) {
	if len(values) == 0 {
		return
	}
	// The end's key aliases the list's storage, which does not change before Emit below
	// (AppendBetween copies what it keeps).
	end := pushEnd(ent, left)
	stamp := c.E.Stamp()
	n := len(values)
	var paths [][]byte
	if free := values[n:cap(values)]; len(free) >= n {
		paths = free[:n:n]
	} else {
		paths = make([][]byte, n)
	}
	values = values[:n:n]
	for i := range values {
		// A push's position is one counter next to the end's first one (list.Between), so it
		// never fails here; buf may move when it grows, which leaves earlier positions valid.
		start := len(buf)
		if left {
			buf, _ = list.AppendBetween(buf, nil, end)
		} else {
			buf, _ = list.AppendBetween(buf, end, nil)
		}
		paths[i] = buf[start:len(buf):len(buf)]
		if i < len(values)-1 {
			end = list.Key(paths[i], stamp)
		}
	}
	c.E.Emit(effect.Op{Kind: effect.ListInsert, DB: db, Key: key, Created: created, Elems: paths, Values: values})
}

// listPop removes up to count elements (count > 0) from the head (left) or the tail of the list
// key of database db, emitting the observed removal of their identities, and returns their
// values (copies) in pop order; nil when the key holds no list.
func listPop(c *Ctx, db int, key string, left bool, count int64) [][]byte {
	ent := c.E.LookupWrite(db, key)
	if ent == nil || ent.Type() != crdt.TypeList || count <= 0 {
		return nil
	}
	l := listOf(ent)
	n := int(min(count, int64(l.Len())))
	// One allocation for both slices, and one per element for its value and key: the key is
	// carried by the operation, the value by the reply.
	both := make([][]byte, 2*n)
	vals, keys := both[:0:n], both[n:n]
	it := l.Last()
	if left {
		it = l.First()
	}
	for range n {
		v, k := it.Value(), it.Key()
		buf := make([]byte, len(v)+len(k))
		copy(buf, v)
		copy(buf[len(v):], k)
		vals = append(vals, buf[:len(v):len(v)])
		keys = append(keys, buf[len(v):])
		if left {
			it.Next()
		} else {
			it.Prev()
		}
	}
	c.E.Emit(effect.Op{Kind: effect.ListRemove, DB: db, Key: key, Created: ent.Created, Elems: keys})
	return vals
}

// listMove pops one element from the head (fromLeft) or tail of src and pushes it onto the head
// (toLeft) or tail of dst, both in database db, in one batch (LMOVE, RPOPLPUSH, BLMOVE). It
// returns the element's value, nil when src does not exist, and ErrWrongType when src or dst
// holds another type.
func listMove(c *Ctx, db int, src, dst string, fromLeft, toLeft bool) ([]byte, error) {
	srcEnt := c.E.LookupWrite(db, src)
	if srcEnt == nil {
		return nil, nil
	}
	if srcEnt.Type() != crdt.TypeList {
		return nil, ErrWrongType
	}
	dstEnt := c.E.LookupWrite(db, dst)
	if dstEnt != nil && dstEnt.Type() != crdt.TypeList {
		return nil, ErrWrongType
	}
	l := listOf(srcEnt)
	if src == dst && (l.Len() == 1 || fromLeft == toLeft) {
		// Rotating a list onto itself at the same end, or a one-element list: the content does
		// not change, so nothing is emitted (a removal would also drop the key's TTL here). Redis
		// still signals the key as modified, which WATCH sees.
		c.Env.watch.touch(db, src)
		if fromLeft {
			return bytes.Clone(l.Index(0)), nil
		}
		return bytes.Clone(l.Index(l.Len() - 1)), nil
	}
	var created clock.Stamp
	if dstEnt != nil {
		created = dstEnt.Created
	} else {
		created = c.setCreation(db, dst, nil)
	}
	vals := listPop(c, db, src, fromLeft, 1)
	if len(vals) == 0 {
		return nil, nil
	}
	if dstEnt != nil && !dstEnt.IsLive() {
		dstEnt = nil
	}
	pushOnto(c, db, dst, dstEnt, created, toLeft, vals, nil)
	return vals[0], nil
}

// ---- commands

func pushCommand(c *Ctx, left, onlyExisting bool) error {
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeList)
	if err != nil {
		return err
	}
	if ent == nil && onlyExisting {
		c.W.Int(0)
		return nil
	}
	// Twice the room: pushOnto keeps the positions of the values in the second half. The values
	// are copied (they must not alias the client's buffer) into one array, which has room for
	// the positions after them.
	n, size := len(c.Args)-2, 0
	for _, a := range c.Args[2:] {
		size += len(a)
	}
	size += n * pushPathRoom(ent, left)
	var values [][]byte
	var buf []byte
	if n == 1 && size <= len(pushOne{}.buf) {
		p := new(pushOne) // one allocation instead of two
		values, buf = p.slices[:0:2], p.buf[:0:len(p.buf)]
	} else {
		values, buf = make([][]byte, 0, 2*n), make([]byte, 0, size)
	}
	for _, a := range c.Args[2:] {
		buf = append(buf, a...)
		values = append(values, buf[len(buf)-len(a):len(buf):len(buf)])
	}
	c.W.Int(pushEntry(c, db, key, ent, left, values, buf))
	return nil
}

// pushOne holds what a push of one short value needs (its slice and its position's slice, the
// value's and the position's bytes) in one allocation (redis-benchmark's LPUSH).
type pushOne struct {
	slices [2][]byte
	buf    [48]byte
}

// pushPathRoom is the room a position takes for a push onto the left or right end of the list
// entry ent (nil when there is no such key).
func pushPathRoom(ent *store.Entry, left bool) int { return list.PushRoom(pushEnd(ent, left)) }

// pushEnd is the key of the element at the left or right end of the list entry ent, the one a
// push goes next to (nil when there is no such key or it is empty). It aliases the list's
// storage.
func pushEnd(ent *store.Entry, left bool) []byte {
	if ent == nil {
		return nil
	}
	l := listOf(ent)
	switch {
	case l.Len() == 0:
		return nil
	case left:
		return l.KeyAt(0)
	default:
		return l.KeyAt(l.Len() - 1)
	}
}

func popCommand(c *Ctx, left bool) error {
	if len(c.Args) > 3 {
		return errorf("ERR wrong number of arguments for '%s' command", c.Cmd.Name)
	}
	hasCount := len(c.Args) == 3
	count := int64(1)
	if hasCount {
		n, err := c.Int(2)
		if err != nil || n < 0 {
			return errListPositive
		}
		count = n
	}
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeList)
	if err != nil {
		return err
	}
	if ent == nil {
		if hasCount {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
		return nil
	}
	if hasCount && count == 0 {
		c.W.ArrayLen(0)
		return nil
	}
	popReply(c, db, key, ent, left, count, hasCount)
	return nil
}

// popKey holds the key of one popped element and the slice the operation names it with, in
// one allocation (LPOP and RPOP without a count, redis-benchmark's pops).
type popKey struct {
	elems [1][]byte
	buf   [48]byte
}

// popReply is listPop for LPOP and RPOP: it pops up to count elements (count > 0) from the
// live list entry ent and replies with their values (an array when array is set, else one
// bulk string). The values are written to the reply before the removal is emitted, straight
// from the list's storage, so only the keys the operation carries are copied.
func popReply(c *Ctx, db int, key string, ent *store.Entry, left bool, count int64, array bool) {
	l := listOf(ent)
	n := int(min(count, int64(l.Len())))
	it := l.Last()
	if left {
		it = l.First()
	}
	if array {
		c.W.ArrayLen(n)
	}
	var keys [][]byte
	if k := it.Key(); n == 1 && len(k) <= len(popKey{}.buf) {
		c.W.Bulk(it.Value())
		p := new(popKey)
		p.elems[0] = p.buf[:copy(p.buf[:], k)]
		keys = p.elems[:]
	} else {
		keys = make([][]byte, n)
		// Every key in one array (keys next to each other are about as long); a key taken stays
		// valid if it has to grow.
		buf := make([]byte, 0, n*(len(k)+2))
		for i := range n {
			c.W.Bulk(it.Value())
			k := it.Key()
			buf = append(buf, k...)
			keys[i] = buf[len(buf)-len(k) : len(buf) : len(buf)]
			if left {
				it.Next()
			} else {
				it.Prev()
			}
		}
	}
	c.E.Emit(effect.Op{Kind: effect.ListRemove, DB: db, Key: key, Created: ent.Created, Elems: keys})
}

func llenCommand(c *Ctx) error {
	l, err := c.readList(c.Key(1))
	if err != nil || l == nil {
		if err == nil {
			c.W.Int(0)
		}
		return err
	}
	c.W.Int(int64(l.Len()))
	return nil
}

// listRange clamps start and stop as Redis's addListRangeReply and ltrimCommand do; ok is false
// when the range is empty.
func listRange(start, stop, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0, false
	}
	return start, min(stop, n-1), true
}

func lrangeCommand(c *Ctx) error {
	start, err := c.Int(2)
	if err != nil {
		return err
	}
	stop, err := c.Int(3)
	if err != nil {
		return err
	}
	l, err := c.readList(c.Key(1))
	if err != nil {
		return err
	}
	if l == nil {
		c.W.ArrayLen(0)
		return nil
	}
	start, stop, ok := listRange(start, stop, int64(l.Len()))
	if !ok {
		c.W.ArrayLen(0)
		return nil
	}
	c.W.ArrayLen(int(stop - start + 1))
	it := l.Seek(int(start))
	for i := start; i <= stop; i++ {
		c.W.Bulk(it.Value())
		it.Next()
	}
	return nil
}

func lindexCommand(c *Ctx) error {
	l, err := c.readList(c.Key(1))
	if err != nil {
		return err
	}
	if l == nil {
		c.W.Null()
		return nil
	}
	i, err := c.Int(2)
	if err != nil {
		return err
	}
	if i < 0 {
		i += int64(l.Len())
	}
	if i < 0 || i >= int64(l.Len()) {
		c.W.Null()
		return nil
	}
	c.W.Bulk(l.Index(int(i)))
	return nil
}

func lsetCommand(c *Ctx) error {
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeList)
	if err != nil {
		return err
	}
	if ent == nil {
		return ErrNoSuchKey
	}
	i, err := c.Int(2)
	if err != nil {
		return err
	}
	l := listOf(ent)
	if i < 0 {
		i += int64(l.Len())
	}
	if i < 0 || i >= int64(l.Len()) {
		return errListIndex
	}
	k := bytes.Clone(l.KeyAt(int(i)))
	c.E.Emit(effect.Op{Kind: effect.ListSet, DB: db, Key: key, Created: ent.Created, Elems: [][]byte{k}, Values: [][]byte{c.Value(3)}})
	c.W.Simple("OK")
	return nil
}

func lremCommand(c *Ctx) error {
	count, err := c.Int(2)
	if err != nil {
		return err
	}
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeList)
	if err != nil || ent == nil {
		if err == nil {
			c.W.Int(0)
		}
		return err
	}
	l := listOf(ent)
	elem := c.Args[3]
	var keys [][]byte
	if count < 0 {
		for it := l.Last(); it.Valid() && (int64(len(keys)) < -count); it.Prev() {
			if bytes.Equal(it.Value(), elem) {
				keys = append(keys, bytes.Clone(it.Key()))
			}
		}
	} else {
		for it := l.First(); it.Valid() && (count == 0 || int64(len(keys)) < count); it.Next() {
			if bytes.Equal(it.Value(), elem) {
				keys = append(keys, bytes.Clone(it.Key()))
			}
		}
	}
	if len(keys) > 0 {
		c.E.Emit(effect.Op{Kind: effect.ListRemove, DB: db, Key: key, Created: ent.Created, Elems: keys})
	}
	c.W.Int(int64(len(keys)))
	return nil
}

func linsertCommand(c *Ctx) error {
	var after bool
	switch {
	case c.Is(2, "after"):
		after = true
	case c.Is(2, "before"):
	default:
		return ErrSyntax
	}
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeList)
	if err != nil || ent == nil {
		if err == nil {
			c.W.Int(0)
		}
		return err
	}
	l := listOf(ent)
	pivot := c.Args[3]
	it := l.First()
	for it.Valid() && !bytes.Equal(it.Value(), pivot) {
		it.Next()
	}
	if !it.Valid() {
		c.W.Int(-1)
		return nil
	}
	// The new element goes between the pivot and its neighbour on that side.
	var left, right []byte
	if after {
		left = bytes.Clone(it.Key())
		if it.Next(); it.Valid() {
			right = bytes.Clone(it.Key())
		}
	} else {
		right = bytes.Clone(it.Key())
		if it.Prev(); it.Valid() {
			left = bytes.Clone(it.Key())
		}
	}
	p := list.Between(left, right)
	c.E.Emit(effect.Op{Kind: effect.ListInsert, DB: db, Key: key, Created: ent.Created, Elems: [][]byte{p}, Values: [][]byte{c.Value(4)}})
	c.W.Int(c.listLen(db, key))
	return nil
}

func ltrimCommand(c *Ctx) error {
	start, err := c.Int(2)
	if err != nil {
		return err
	}
	stop, err := c.Int(3)
	if err != nil {
		return err
	}
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeList)
	if err != nil {
		return err
	}
	if ent == nil {
		c.W.Simple("OK")
		return nil
	}
	l := listOf(ent)
	n := int64(l.Len())
	ltrim, rtrim := n, int64(0)
	if s, e, ok := listRange(start, stop, n); ok {
		ltrim, rtrim = s, n-e-1
	}
	keys := make([][]byte, 0, ltrim+rtrim)
	for it := l.First(); it.Valid() && int64(len(keys)) < ltrim; it.Next() {
		keys = append(keys, bytes.Clone(it.Key()))
	}
	for it, i := l.Last(), int64(0); it.Valid() && i < rtrim; it.Prev() {
		keys = append(keys, bytes.Clone(it.Key()))
		i++
	}
	if len(keys) > 0 {
		c.E.Emit(effect.Op{Kind: effect.ListRemove, DB: db, Key: key, Created: ent.Created, Elems: keys})
	}
	c.W.Simple("OK")
	return nil
}

func lposCommand(c *Ctx) error {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.Is(j, "rank") && more > 0:
			j++
			n, err := c.Int(j)
			if err != nil {
				return err
			}
			if n == 0 {
				return errListRankZero
			}
			rank = n
		case c.Is(j, "count") && more > 0:
			j++
			n, err := c.Int(j)
			if err != nil || n < 0 {
				return errListCountNeg
			}
			count = n
		case c.Is(j, "maxlen") && more > 0:
			j++
			n, err := c.Int(j)
			if err != nil || n < 0 {
				return errListMaxlenNeg
			}
			maxlen = n
		default:
			return ErrSyntax
		}
	}
	fromTail := rank < 0
	if fromTail && rank != math.MinInt64 {
		rank = -rank // Redis negates a long: -LONG_MIN stays negative, so every match ranks
	}
	l, err := c.readList(c.Key(1))
	if err != nil {
		return err
	}
	if l == nil {
		if count != -1 {
			c.W.ArrayLen(0)
		} else {
			c.W.Null()
		}
		return nil
	}
	n := int64(l.Len())
	it := l.First()
	if fromTail {
		it = l.Last()
	}
	var found []int64
	matches := int64(0)
	for index := int64(0); it.Valid() && (maxlen == 0 || index < maxlen); index++ {
		if bytes.Equal(it.Value(), c.Args[2]) {
			matches++
			if matches >= rank {
				pos := index
				if fromTail {
					pos = n - index - 1
				}
				found = append(found, pos)
				if count == -1 || count != 0 && matches-rank+1 >= count {
					break
				}
			}
		}
		if fromTail {
			it.Prev()
		} else {
			it.Next()
		}
	}
	if count == -1 {
		if len(found) == 0 {
			c.W.Null()
		} else {
			c.W.Int(found[0])
		}
		return nil
	}
	c.W.ArrayLen(len(found))
	for _, p := range found {
		c.W.Int(p)
	}
	return nil
}

// listWhere parses LEFT or RIGHT.
func listWhere(c *Ctx, i int) (left bool, err error) {
	switch {
	case c.Is(i, "left"):
		return true, nil
	case c.Is(i, "right"):
		return false, nil
	}
	return false, ErrSyntax
}

func lmoveCommand(c *Ctx) error {
	from, err := listWhere(c, 3)
	if err != nil {
		return err
	}
	to, err := listWhere(c, 4)
	if err != nil {
		return err
	}
	return moveReply(c, from, to)
}

func rpoplpushCommand(c *Ctx) error { return moveReply(c, false, true) }

func moveReply(c *Ctx, from, to bool) error {
	v, err := listMove(c, c.DB(), c.Key(1), c.Key(2), from, to)
	if err != nil {
		return err
	}
	if v == nil {
		c.W.Null()
		return nil
	}
	c.W.Bulk(v)
	return nil
}

// lmpopCommand is LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: the elements of the
// first non-empty list.
func lmpopCommand(c *Ctx) error {
	numkeys, err := c.Int(1)
	if err != nil || numkeys < 1 {
		return errListNumkeys
	}
	// numkeys is compared before adding so that a huge count cannot overflow the index
	if numkeys >= int64(len(c.Args)) {
		return ErrSyntax
	}
	whereIdx := 1 + numkeys + 1
	if whereIdx >= int64(len(c.Args)) {
		return ErrSyntax
	}
	left, err := listWhere(c, int(whereIdx))
	if err != nil {
		return err
	}
	count := int64(-1)
	for j := int(whereIdx) + 1; j < len(c.Args); j++ {
		if count == -1 && c.Is(j, "count") && j+1 < len(c.Args) {
			j++
			n, err := c.Int(j)
			if err != nil || n < 1 {
				return errListCount
			}
			count = n
			continue
		}
		return ErrSyntax
	}
	count = max(count, 1)
	db := c.DB()
	for i := 2; i < int(whereIdx); i++ {
		key := c.Key(i)
		ent, err := c.LookupWrite(key, crdt.TypeList)
		if err != nil {
			return err
		}
		if ent == nil {
			continue
		}
		vals := listPop(c, db, key, left, count)
		c.W.ArrayLen(2)
		c.W.BulkString(key)
		c.W.ArrayLen(len(vals))
		for _, v := range vals {
			c.W.Bulk(v)
		}
		return nil
	}
	c.W.NullArray()
	return nil
}

// ---- registrations

// copyList creates a new list with the current elements (RENAME, COPY, MOVE): one ListInsert
// with fresh consecutive positions, and the TTL.
func copyList(ent *store.Entry) []effect.Op {
	l := listOf(ent)
	paths := make([][]byte, 0, l.Len())
	vals := make([][]byte, 0, l.Len())
	var p []byte
	l.Each(func(v []byte) bool {
		if p == nil {
			p = list.Between(nil, nil)
		} else {
			// The next position after p whatever the copy's stamp: only the first level counts.
			p = list.Between(list.Key(p, clock.Stamp{Member: 1}), nil)
		}
		paths = append(paths, p)
		vals = append(vals, bytes.Clone(v))
		return true
	})
	return []effect.Op{{Kind: effect.ListInsert, Elems: paths, Values: vals}, {Kind: effect.Expire, At: ent.ExpireAt}}
}

// listDigest is Redis 7.0's xorObjectDigest for OBJ_LIST: every element mixed into the key's
// digest in order.
func listDigest(d *[20]byte, ent *store.Entry) {
	listOf(ent).Each(func(v []byte) bool {
		mixDigest(d, v)
		return true
	})
}
