package command

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/orset"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/redisnum"
	"github.com/concord-db/concord/internal/store"
)

// Set commands (semantics.md §3), with Redis 7.0's argument handling, replies and errors
// (t_set.c). Writes emit SetAdd / SetRemove operations: SPOP's effect is the removal of the
// members it chose, SMOVE is a removal and an add in one batch, and S*STORE replaces its
// destination (observed-remove of the old value, then the new members, without a TTL).
//
// Reply order. Redis replies members in the order of its encoding: ascending for a set it holds
// as an intset, hash order otherwise. Concord replies ascending whenever Redis 7.0 would hold the
// set (or the computed result) as an intset (see setIsIntset), and in slot order otherwise.
func init() {
	define(
		&Command{Name: "sadd", Arity: -3, Flags: Write | Fast, Run: saddCommand},
		&Command{Name: "srem", Arity: -3, Flags: Write | Fast, Run: sremCommand},
		&Command{Name: "smove", Arity: 4, Flags: Write | Fast, Run: smoveCommand},
		&Command{Name: "sismember", Arity: 3, Flags: ReadOnly | Fast, Run: sismemberCommand},
		&Command{Name: "smismember", Arity: -3, Flags: ReadOnly | Fast, Run: smismemberCommand},
		&Command{Name: "scard", Arity: 2, Flags: ReadOnly | Fast, Run: scardCommand},
		&Command{Name: "smembers", Arity: 2, Flags: ReadOnly, Run: smembersCommand},
		&Command{Name: "spop", Arity: -2, Flags: Write | Fast, Run: spopCommand},
		&Command{Name: "srandmember", Arity: -2, Flags: ReadOnly, Run: srandmemberCommand},
		&Command{Name: "sinter", Arity: -2, Flags: ReadOnly, Run: sinterCommand},
		&Command{Name: "sintercard", Arity: -3, Flags: ReadOnly, Run: sintercardCommand},
		&Command{Name: "sinterstore", Arity: -3, Flags: Write, Run: sinterstoreCommand},
		&Command{Name: "sunion", Arity: -2, Flags: ReadOnly, Run: sunionCommand},
		&Command{Name: "sunionstore", Arity: -3, Flags: Write, Run: sunionstoreCommand},
		&Command{Name: "sdiff", Arity: -2, Flags: ReadOnly, Run: sdiffCommand},
		&Command{Name: "sdiffstore", Arity: -3, Flags: Write, Run: sdiffstoreCommand},
		&Command{Name: "sscan", Arity: -3, Flags: ReadOnly, Run: sscanCommand},
	)
	valueCopiers[crdt.TypeSet] = copySet
	valueEncodings[crdt.TypeSet] = func(c *Ctx, ent *store.Entry) string {
		if setIsIntset(c, setOf(ent)) {
			return "intset"
		}
		return "hashtable"
	}
	valueDigests[crdt.TypeSet] = setDigest
}

// Error replies of t_set.c.
const (
	errSetPositive    Error = "ERR value is out of range, must be positive"
	errSetRandRange   Error = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errSetNumkeys     Error = "ERR numkeys should be greater than 0"
	errSetNumkeysArgs Error = "ERR Number of keys can't be greater than number of args"
	errSetLimit       Error = "ERR LIMIT can't be negative"
)

func setOf(ent *store.Entry) *orset.Set { return ent.Value.(*orset.Set) }

// setBytes views a member held by a set as bytes without copying, for the elements of an
// operation: members are never modified, and operations never modify their elements either.
func setBytes(m string) []byte {
	if m == "" {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(m), len(m))
}

// readSet looks up a set for a read command: nil when the key does not exist.
func (c *Ctx) readSet(key string) (*orset.Set, error) {
	ent, err := c.Read(key, crdt.TypeSet)
	if err != nil || ent == nil {
		return nil, err
	}
	return setOf(ent), nil
}

// setCreation returns the creation stamp for a write to the set key (live entry ent, or nil when
// the write creates it). A new set starts without a TTL: a dead entry can still hold the TTL of
// a set that was emptied (its members removed, which leaves the expiry register alone); that
// TTL is removed first, as Redis deleted the emptied key.
func (c *Ctx) setCreation(db int, key string, ent *store.Entry) clock.Stamp {
	if ent != nil {
		return ent.Created
	}
	if dead := c.E.Store().DB(db).Get(key); dead != nil && !dead.IsLive() {
		if at, _ := dead.Expiry.At(); at != 0 {
			c.E.Emit(engine.DeleteOp(db, dead))
		}
	}
	return c.E.Stamp()
}

// setLen is the size of the set key now (0 when it does not exist).
func (c *Ctx) setLen(db int, key string) int {
	ent := c.E.Store().DB(db).Get(key)
	if ent == nil || !ent.IsLive() {
		return 0
	}
	s, ok := ent.Value.(*orset.Set)
	if !ok {
		return 0
	}
	return s.Len()
}

func saddCommand(c *Ctx) error {
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeSet)
	if err != nil {
		return err
	}
	before := 0
	if ent != nil {
		before = setOf(ent).Len()
	}
	created := c.setCreation(db, key, ent)
	var s *orset.Set
	if ent != nil {
		s = setOf(ent)
	}
	elems := make([][]byte, 0, len(c.Args)-2)
	for i := 2; i < len(c.Args); i++ {
		// Re-adding a member is a fresh add (principle 5); its operation shares the string the
		// set holds (immutable) instead of a copy of the argument.
		if s != nil {
			if name, ok := s.Stored(c.Args[i]); ok {
				elems = append(elems, setBytes(name))
				continue
			}
		}
		elems = append(elems, c.Value(i))
	}
	c.E.Emit(effect.Op{Kind: effect.SetAdd, DB: db, Key: key, Created: created, Elems: elems})
	after := 0
	if s != nil {
		after = s.Len() // the adds went to s: a live set keeps its value
	} else {
		after = c.setLen(db, key)
	}
	c.W.Int(int64(after - before))
	return nil
}

func sremCommand(c *Ctx) error {
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeSet)
	if err != nil || ent == nil {
		if err == nil {
			c.W.Int(0)
		}
		return err
	}
	s := setOf(ent)
	before := s.Len()
	var elems [][]byte
	for i := 2; i < len(c.Args); i++ {
		if s.ContainsBytes(c.Args[i]) { // removing what is not here would remove nothing
			elems = append(elems, c.Value(i))
		}
	}
	if len(elems) == 0 {
		c.W.Int(0)
		return nil
	}
	c.E.Emit(effect.Op{Kind: effect.SetRemove, DB: db, Key: key, Created: ent.Created, Elems: elems})
	c.W.Int(int64(before - c.setLen(db, key)))
	return nil
}

// smoveCommand is SMOVE source destination member: the removal from the source and the add to
// the destination, in one batch.
func smoveCommand(c *Ctx) error {
	db, src, dst := c.DB(), c.Key(1), c.Key(2)
	srcEnt := c.E.LookupWrite(db, src)
	dstEnt := c.E.LookupWrite(db, dst)
	if srcEnt == nil {
		c.W.Int(0)
		return nil
	}
	if srcEnt.Type() != crdt.TypeSet || dstEnt != nil && dstEnt.Type() != crdt.TypeSet {
		return ErrWrongType
	}
	s := setOf(srcEnt)
	member := c.Args[3]
	if src == dst {
		c.W.Int(b2i(s.ContainsBytes(member)))
		return nil
	}
	if !s.ContainsBytes(member) {
		c.W.Int(0)
		return nil
	}
	elem := c.Value(3)
	c.E.Emit(effect.Op{Kind: effect.SetRemove, DB: db, Key: src, Created: srcEnt.Created, Elems: [][]byte{elem}})
	created := c.setCreation(db, dst, dstEnt)
	c.E.Emit(effect.Op{Kind: effect.SetAdd, DB: db, Key: dst, Created: created, Elems: [][]byte{elem}})
	c.W.Int(1)
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func sismemberCommand(c *Ctx) error {
	s, err := c.readSet(c.Key(1))
	if err != nil {
		return err
	}
	c.W.Int(b2i(s != nil && s.ContainsBytes(c.Args[2])))
	return nil
}

func smismemberCommand(c *Ctx) error {
	s, err := c.readSet(c.Key(1))
	if err != nil {
		return err
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for i := 2; i < len(c.Args); i++ {
		c.W.Int(b2i(s != nil && s.ContainsBytes(c.Args[i])))
	}
	return nil
}

func scardCommand(c *Ctx) error {
	s, err := c.readSet(c.Key(1))
	if err != nil || s == nil {
		if err == nil {
			c.W.Int(0)
		}
		return err
	}
	c.W.Int(int64(s.Len()))
	return nil
}

func smembersCommand(c *Ctx) error {
	s, err := c.readSet(c.Key(1))
	if err != nil {
		return err
	}
	if s == nil {
		c.W.SetLen(0)
		return nil
	}
	c.replyWholeSet(s, true)
	return nil
}

// ---- reply order and encoding

// setIsIntset reports whether Redis 7.0 would hold a set with these members as an intset:
// every member is an integer as string2ll reads it, and there are at most
// set-max-intset-entries of them. (Redis keeps a set that once outgrew an intset as a hash table
// until it is emptied; Concord decides from the current content, which every member agrees on.)
func setIsIntset(c *Ctx, s *orset.Set) bool {
	if int64(s.Len()) > c.Env.Config.Int("set-max-intset-entries") {
		return false
	}
	ok := true
	s.Each(func(m string) bool {
		_, ok = redisnum.ParseIntString(m)
		return ok
	})
	return ok
}

// setSortIfIntset sorts members ascending, as Redis replies them, when they would make an
// intset.
func setSortIfIntset(c *Ctx, members []string) {
	if int64(len(members)) > c.Env.Config.Int("set-max-intset-entries") {
		return
	}
	nums := make([]int64, len(members))
	for i, m := range members {
		n, ok := redisnum.ParseIntString(m)
		if !ok {
			return
		}
		nums[i] = n
	}
	idx := make([]int, len(members))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(nums[a], nums[b]) })
	sorted := make([]string, len(members))
	for i, j := range idx {
		sorted[i] = members[j]
	}
	copy(members, sorted)
}

// replyWholeSet replies every member of s, as a set (RESP3 ~) or an array.
func (c *Ctx) replyWholeSet(s *orset.Set, asSet bool) {
	if setIsIntset(c, s) {
		members := make([]string, 0, s.Len())
		s.Each(func(m string) bool {
			members = append(members, m)
			return true
		})
		setSortIfIntset(c, members)
		c.replyMembers(members, asSet)
		return
	}
	if asSet {
		c.W.SetLen(s.Len())
	} else {
		c.W.ArrayLen(s.Len())
	}
	s.Each(func(m string) bool {
		c.W.BulkString(m)
		return true
	})
}

func (c *Ctx) replyMembers(members []string, asSet bool) {
	if asSet {
		c.W.SetLen(len(members))
	} else {
		c.W.ArrayLen(len(members))
	}
	for _, m := range members {
		c.W.BulkString(m)
	}
}

// ---- SPOP, SRANDMEMBER

// setPickDistinct returns k distinct slots out of n (0 < k < n), in random order.
func setPickDistinct(r *rand.Rand, n, k int) []int {
	if k*3 > n { // a large share: partial Fisher–Yates over every slot
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		for i := range k {
			j := i + r.IntN(n-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		return idx[:k]
	}
	out := make([]int, 0, k)
	seen := make(map[int]struct{}, k)
	for len(out) < k {
		i := r.IntN(n)
		if _, dup := seen[i]; !dup {
			seen[i] = struct{}{}
			out = append(out, i)
		}
	}
	return out
}

// spopCommand is SPOP key [count]: the members are chosen here, and the effect is their
// removal.
func spopCommand(c *Ctx) error {
	if len(c.Args) > 3 {
		return ErrSyntax
	}
	withCount := len(c.Args) == 3
	count := int64(1)
	if withCount {
		n, ok := redisnum.ParseInt(c.Args[2])
		if !ok || n < 0 {
			return errSetPositive
		}
		count = n
	}
	db, key := c.DB(), c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeSet)
	if err != nil {
		return err
	}
	if ent == nil {
		if withCount {
			c.W.SetLen(0)
		} else {
			c.W.Null()
		}
		return nil
	}
	if count == 0 {
		c.W.SetLen(0)
		return nil
	}
	s := setOf(ent)
	var chosen []string
	if count >= int64(s.Len()) {
		chosen = make([]string, 0, s.Len())
		s.Each(func(m string) bool {
			chosen = append(chosen, m)
			return true
		})
		setSortIfIntset(c, chosen) // Redis replies the whole set, in its order
	} else if count == 1 {
		chosen = []string{s.At(c.E.Rand().IntN(s.Len()))}
	} else {
		for _, i := range setPickDistinct(c.E.Rand(), s.Len(), int(count)) {
			chosen = append(chosen, s.At(i))
		}
	}
	elems := make([][]byte, len(chosen))
	for i, m := range chosen {
		elems[i] = setBytes(m)
	}
	if withCount {
		c.replyMembers(chosen, true)
	} else {
		c.W.BulkString(chosen[0])
	}
	c.E.Emit(effect.Op{Kind: effect.SetRemove, DB: db, Key: key, Created: ent.Created, Elems: elems})
	return nil
}

func srandmemberCommand(c *Ctx) error {
	if len(c.Args) > 3 {
		return ErrSyntax
	}
	if len(c.Args) == 2 {
		s, err := c.readSet(c.Key(1))
		if err != nil {
			return err
		}
		if s == nil {
			c.W.Null()
			return nil
		}
		c.W.BulkString(s.At(c.E.Rand().IntN(s.Len())))
		return nil
	}
	l, err := c.Int(2)
	if err != nil {
		return err
	}
	if l == math.MinInt64 {
		return errSetRandRange
	}
	s, err := c.readSet(c.Key(1))
	if err != nil {
		return err
	}
	if s == nil || l == 0 {
		c.W.ArrayLen(0)
		return nil
	}
	r := c.E.Rand()
	if l < 0 || l == 1 { // with repetitions (or a single member)
		n := -l
		if l == 1 {
			n = 1
		}
		c.W.ArrayLen(int(min(n, math.MaxInt)))
		for ; n > 0; n-- {
			c.W.BulkString(s.At(r.IntN(s.Len())))
		}
		return nil
	}
	if l >= int64(s.Len()) {
		c.replyWholeSet(s, false)
		return nil
	}
	idx := setPickDistinct(r, s.Len(), int(l))
	c.W.ArrayLen(len(idx))
	for _, i := range idx {
		c.W.BulkString(s.At(i))
	}
	return nil
}

// ---- SINTER, SINTERCARD, SINTERSTORE

func sinterCommand(c *Ctx) error { return sinterGeneric(c, 1, len(c.Args), "", false, 0) }

func sinterstoreCommand(c *Ctx) error {
	return sinterGeneric(c, 2, len(c.Args), c.Key(1), false, 0)
}

// sintercardCommand is SINTERCARD numkeys key [key ...] [LIMIT limit].
func sintercardCommand(c *Ctx) error {
	numkeys, ok := redisnum.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		return errSetNumkeys
	}
	if numkeys > int64(len(c.Args)-2) {
		return errSetNumkeysArgs
	}
	limit := int64(0)
	for j := 2 + int(numkeys); j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		if !c.Is(j, "limit") || more == 0 {
			return ErrSyntax
		}
		j++
		n, ok := redisnum.ParseInt(c.Args[j])
		if !ok || n < 0 {
			return errSetLimit
		}
		limit = n
	}
	return sinterGeneric(c, 2, 2+int(numkeys), "", true, limit)
}

// setSources looks up the sets named by arguments from..to-1 for reading: nil for a missing key,
// WRONGTYPE at the first key of another type.
func (c *Ctx) setSources(from, to int) ([]*orset.Set, error) {
	sets := make([]*orset.Set, 0, to-from)
	for i := from; i < to; i++ {
		s, err := c.readSet(c.Key(i))
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	return sets, nil
}

// sinterGeneric is Redis's sinterGenericCommand over the keys in arguments from..to-1: dst is
// the destination of SINTERSTORE (""), cardOnly and limit are SINTERCARD's.
func sinterGeneric(c *Ctx, from, to int, dst string, cardOnly bool, limit int64) error {
	sets, err := c.setSources(from, to)
	if err != nil {
		return err
	}
	toStore := dst != ""
	if slices.Contains(sets, nil) { // the intersection with an empty set is empty
		switch {
		case toStore:
			c.storeSet(dst, nil)
		case cardOnly:
			c.W.Int(0)
		default:
			c.W.SetLen(0)
		}
		return nil
	}
	slices.SortStableFunc(sets, func(a, b *orset.Set) int { return cmp.Compare(a.Len(), b.Len()) })
	var out []string
	card := int64(0)
	sets[0].Each(func(m string) bool {
		for _, o := range sets[1:] {
			if o != sets[0] && !o.Contains(m) {
				return true
			}
		}
		card++
		if !cardOnly {
			out = append(out, m)
		}
		return !(cardOnly && limit > 0 && card >= limit)
	})
	switch {
	case cardOnly:
		c.W.Int(card)
	case toStore:
		c.storeSet(dst, out)
	default:
		setSortIfIntset(c, out)
		c.replyMembers(out, true)
	}
	return nil
}

// ---- SUNION, SDIFF and their STORE forms

func sunionCommand(c *Ctx) error { return sunionDiffGeneric(c, 1, "", false) }
func sunionstoreCommand(c *Ctx) error {
	return sunionDiffGeneric(c, 2, c.Key(1), false)
}
func sdiffCommand(c *Ctx) error { return sunionDiffGeneric(c, 1, "", true) }
func sdiffstoreCommand(c *Ctx) error {
	return sunionDiffGeneric(c, 2, c.Key(1), true)
}

// sunionDiffGeneric is Redis's sunionDiffGenericCommand over the keys from argument from on:
// the union, or the members of the first set in none of the others.
func sunionDiffGeneric(c *Ctx, from int, dst string, diff bool) error {
	sets, err := c.setSources(from, len(c.Args))
	if err != nil {
		return err
	}
	var out []string
	switch {
	case diff:
		first := sets[0]
		if first == nil {
			break
		}
		others := sets[1:]
		if slices.Contains(others, first) { // the same key again: nothing is left
			break
		}
		first.Each(func(m string) bool {
			for _, o := range others {
				if o != nil && o.Contains(m) {
					return true
				}
			}
			out = append(out, m)
			return true
		})
	case len(sets) == 1:
		if sets[0] != nil {
			out = make([]string, 0, sets[0].Len())
			sets[0].Each(func(m string) bool {
				out = append(out, m)
				return true
			})
		}
	default:
		seen := map[string]struct{}{}
		for _, s := range sets {
			if s == nil {
				continue
			}
			s.Each(func(m string) bool {
				if _, dup := seen[m]; !dup {
					seen[m] = struct{}{}
					out = append(out, m)
				}
				return true
			})
		}
	}
	if dst != "" {
		c.storeSet(dst, out)
		return nil
	}
	setSortIfIntset(c, out)
	c.replyMembers(out, true)
	return nil
}

// storeSet replaces dst by a set of members (S*STORE) and replies its size: the old value is
// deleted (observed-remove, whatever its type), the members are added to a new value, and the
// expiry is written as "no TTL" (Redis's setKey drops the TTL; like SET, the new value beats
// concurrent EXPIREs of the old one). An empty result only deletes dst.
func (c *Ctx) storeSet(dst string, members []string) {
	db := c.DB()
	if old := c.E.LookupWrite(db, dst); old != nil {
		c.E.Emit(engine.DeleteOp(db, old))
	}
	if len(members) == 0 {
		c.W.Int(0)
		return
	}
	elems := make([][]byte, len(members))
	for i, m := range members {
		elems[i] = setBytes(m) // members of the source sets: immutable, shared
	}
	created := c.E.Stamp()
	c.E.Emit(effect.Op{Kind: effect.SetAdd, DB: db, Key: dst, Created: created, Elems: elems})
	c.E.Emit(effect.Op{Kind: effect.Expire, DB: db, Key: dst, At: 0})
	c.W.Int(int64(len(members)))
}

// ---- SSCAN

// sscanCommand is SSCAN with Redis's argument handling. A set that Redis would keep as an
// intset is returned whole (ascending) with cursor 0, as Redis does; larger ones are scanned
// with Concord's cursors (see package orset), COUNT being the number of members visited.
func sscanCommand(c *Ctx) error {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		return ErrInvalidCursor
	}
	s, err := c.readSet(c.Key(1))
	if err != nil {
		return err
	}
	if s == nil {
		replyScanHeader(c, 0, 0)
		return nil
	}
	opt, err := parseScanOptions(c, 3, false)
	if err != nil {
		return err
	}
	var out []string
	visit := func(m string) {
		if opt.matches(setBytes(m)) {
			out = append(out, m)
		}
	}
	next := uint64(0)
	if setIsIntset(c, s) {
		s.Each(func(m string) bool {
			visit(m)
			return true
		})
		setSortIfIntset(c, out)
	} else {
		next = s.Scan(cursor, opt.count, visit)
	}
	c.W.ArrayLen(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.replyMembers(out, false)
	return nil
}

// ---- RENAME/COPY/MOVE, DEBUG DIGEST

// copySet creates a new set with the current members (RENAME, COPY, MOVE): one SetAdd, and the
// TTL (written also when there is none, so that the copy does not pick up the TTL of a dead
// destination).
func copySet(ent *store.Entry) []effect.Op {
	s := setOf(ent)
	elems := make([][]byte, 0, s.Len())
	s.Each(func(m string) bool {
		elems = append(elems, setBytes(m))
		return true
	})
	return []effect.Op{{Kind: effect.SetAdd, Elems: elems}, {Kind: effect.Expire, At: ent.ExpireAt}}
}

// setDigest is Redis 7.0's xorObjectDigest for OBJ_SET: SHA1 of every member xored into the
// key's digest (so the order does not matter).
func setDigest(d *[20]byte, ent *store.Entry) {
	setOf(ent).Each(func(m string) bool {
		xorDigest(d, setBytes(m))
		return true
	})
}
