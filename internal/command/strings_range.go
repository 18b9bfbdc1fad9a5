package command

import (
	"bytes"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
)

func init() {
	define(
		&Command{Name: "append", Arity: 3, Flags: Write | Fast, Run: appendCommand},
		&Command{Name: "strlen", Arity: 2, Flags: ReadOnly | Fast, Run: strlenCommand},
		&Command{Name: "getrange", Arity: 4, Flags: ReadOnly, Run: getrangeCommand},
		&Command{Name: "substr", Arity: 4, Flags: ReadOnly, Run: getrangeCommand},
		&Command{Name: "setrange", Arity: 4, Flags: Write, Run: setrangeCommand},
		&Command{Name: "getex", Arity: -2, Flags: Write | Fast, Run: getexCommand},
	)
}

// maxStringLen is proto-max-bulk-len, the largest string a command may build.
func (c *Ctx) maxStringLen() int64 { return c.Env.Config.Int("proto-max-bulk-len") }

// checkStringLength is Redis's checkStringLength: size is the length of the string to build.
func (c *Ctx) checkStringLength(size int64) error {
	if size > c.maxStringLen() {
		return ErrStringTooLong
	}
	return nil
}

// writeWholeString stores the new value of a string that a command modified in place in Redis
// (APPEND, SETRANGE, SETBIT, BITFIELD): one StringSet of the whole value, keeping the TTL
// (semantics.md §1). A value equal to the current one changes nothing and emits nothing; with
// touchSame the clients WATCHing the key are still told, for the commands that Redis 7.0
// signals as modifying the key even then (APPEND of "", SETRANGE of the same bytes).
func (c *Ctx) writeWholeString(key string, old []byte, existed bool, val []byte, touchSame bool) {
	if existed && bytes.Equal(old, val) {
		if touchSame {
			c.Env.watch.touch(c.DB(), key)
		}
		return
	}
	c.SetString(c.DB(), key, val, 0, true)
}

// appendCommand is Redis's appendCommand.
func appendCommand(c *Ctx) error {
	key := c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeString)
	if err != nil {
		return err
	}
	if ent == nil {
		val := c.Value(2)
		c.SetString(c.DB(), key, val, 0, true)
		c.W.Int(int64(len(val)))
		return nil
	}
	old := StringValue(ent)
	total := int64(len(old)) + int64(len(c.Args[2]))
	if err := c.checkStringLength(total); err != nil {
		return err
	}
	val := make([]byte, 0, total)
	val = append(append(val, old...), c.Args[2]...)
	c.writeWholeString(key, old, true, val, true)
	c.W.Int(total)
	return nil
}

func strlenCommand(c *Ctx) error {
	v, _, err := c.readString(c.Key(1))
	if err != nil {
		return err
	}
	c.W.Int(int64(len(v)))
	return nil
}

// getrangeCommand is Redis's getrangeCommand (GETRANGE and SUBSTR).
func getrangeCommand(c *Ctx) error {
	start, err := c.Int(2)
	if err != nil {
		return err
	}
	end, err := c.Int(3)
	if err != nil {
		return err
	}
	v, ok, err := c.readString(c.Key(1))
	if err != nil {
		return err
	}
	if !ok {
		c.W.BulkString("")
		return nil
	}
	c.W.Bulk(stringRange(v, start, end))
	return nil
}

// stringRange is GETRANGE's index arithmetic: inclusive, negative indexes count from the end.
func stringRange(v []byte, start, end int64) []byte {
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return v[start : end+1]
}

// setrangeCommand is Redis's setrangeCommand.
func setrangeCommand(c *Ctx) error {
	offset, err := c.Int(2)
	if err != nil {
		return err
	}
	if offset < 0 {
		return ErrNegativeOffset
	}
	key := c.Key(1)
	value := c.Args[3]
	ent, err := c.LookupWrite(key, crdt.TypeString)
	if err != nil {
		return err
	}
	var old []byte
	if ent != nil {
		old = StringValue(ent)
	}
	if len(value) == 0 {
		// Nothing to write: the current length (0 for a missing key, which is not created).
		c.W.Int(int64(len(old)))
		return nil
	}
	// offset+len cannot overflow in C's unsigned arithmetic for the offsets that pass this
	// check; larger offsets are refused here where Redis would wrap around.
	if offset > c.maxStringLen() {
		return ErrStringTooLong
	}
	if err := c.checkStringLength(offset + int64(len(value))); err != nil {
		return err
	}
	size := max(int64(len(old)), offset+int64(len(value)))
	val := make([]byte, size)
	copy(val, old)
	copy(val[offset:], value)
	c.writeWholeString(key, old, ent != nil, val, true)
	c.W.Int(size)
	return nil
}

// getexCommand is Redis's getexCommand: GET that can also set or remove the TTL.
func getexCommand(c *Ctx) error {
	f, expireArg, err := parseStringOptions(c, 2, false)
	if err != nil {
		return err
	}
	key := c.Key(1)
	ent, err := c.Read(key, crdt.TypeString)
	if err != nil {
		return err
	}
	if ent == nil {
		c.W.Null()
		return nil
	}
	var at int64
	if expireArg > 0 {
		if at, err = expireMillis(c, c.Args[expireArg], f); err != nil {
			return err
		}
	}
	c.W.Bulk(StringValue(ent))
	switch {
	case f&(setEXAT|setPXAT) != 0 && at <= c.E.Now():
		// An absolute time already past deletes the key, as Redis does.
		c.Delete(c.DB(), key)
	case expireArg > 0:
		c.E.Emit(effect.Op{Kind: effect.Expire, DB: c.DB(), Key: key, At: at})
	case f&setPersist != 0 && ent.ExpireAt != 0:
		c.E.Emit(effect.Op{Kind: effect.Expire, DB: c.DB(), Key: key, At: 0})
	}
	return nil
}
