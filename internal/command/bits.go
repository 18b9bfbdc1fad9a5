package command

import (
	"strings"

	"github.com/concord-db/concord/internal/bitmap"
	"github.com/concord-db/concord/internal/crdt"
)

func init() {
	define(
		&Command{Name: "setbit", Arity: 4, Flags: Write, Run: setbitCommand},
		&Command{Name: "getbit", Arity: 3, Flags: ReadOnly | Fast, Run: getbitCommand},
		&Command{Name: "bitcount", Arity: -2, Flags: ReadOnly, Run: bitcountCommand},
		&Command{Name: "bitpos", Arity: -3, Flags: ReadOnly, Run: bitposCommand},
		&Command{Name: "bitop", Arity: -4, Flags: Write, Run: bitopCommand},
		&Command{Name: "bitfield", Arity: -2, Flags: Write, Run: bitfieldCommand},
		&Command{Name: "bitfield_ro", Arity: -2, Flags: ReadOnly | Fast, Run: bitfieldroCommand},
	)
}

// bitOffset parses a bit offset argument as Redis's getBitOffsetFromArgument: bits > 0 allows
// BITFIELD's "#N" form (N*bits); the offset must address a byte below proto-max-bulk-len.
func (c *Ctx) bitOffset(i, bits int) (uint64, error) {
	off, ok := bitmap.ParseOffset(c.Args[i], bits)
	if !ok || bitmap.CheckOffset(off, c.maxStringLen()) != nil {
		return 0, Error(bitmap.ErrBitOffset)
	}
	return off, nil
}

// editableString returns a private copy of a string value, at least size bytes long (zero
// padded), for a command that changes it: the stored slice is shared and never modified.
func editableString(old []byte, size uint64) []byte {
	buf := make([]byte, max(uint64(len(old)), size))
	copy(buf, old)
	return buf
}

// setbitCommand is Redis's setbitCommand: the whole new value is written, keeping the TTL.
func setbitCommand(c *Ctx) error {
	off, err := c.bitOffset(2, 0)
	if err != nil {
		return err
	}
	on, ok := bitmap.ParseBit(c.Args[3])
	if !ok {
		return Error(bitmap.ErrBitValue)
	}
	key := c.Key(1)
	ent, err := c.LookupWrite(key, crdt.TypeString)
	if err != nil {
		return err
	}
	var old []byte
	if ent != nil {
		old = StringValue(ent)
	}
	buf, prev := bitmap.SetBit(editableString(old, off>>3+1), off, on)
	c.writeWholeString(key, old, ent != nil, buf, false)
	c.W.Int(int64(prev))
	return nil
}

func getbitCommand(c *Ctx) error {
	off, err := c.bitOffset(2, 0)
	if err != nil {
		return err
	}
	v, _, err := c.readString(c.Key(1))
	if err != nil {
		return err
	}
	c.W.Int(int64(bitmap.GetBit(v, off)))
	return nil
}

// bitUnit parses BITCOUNT's and BITPOS's BYTE|BIT argument.
func (c *Ctx) bitUnit(i int) (bool, error) {
	switch {
	case c.Is(i, "bit"):
		return true, nil
	case c.Is(i, "byte"):
		return false, nil
	}
	return false, ErrSyntax
}

// bitcountCommand is Redis 7.0's bitcountCommand: the key is looked up before the arguments
// are parsed, so a missing key counts 0 whatever follows it.
func bitcountCommand(c *Ctx) error {
	v, ok, err := c.readString(c.Key(1))
	if err != nil {
		return err
	}
	if !ok {
		c.W.Int(0)
		return nil
	}
	switch len(c.Args) {
	case 2:
		c.W.Int(bitmap.Count(v, 0, -1, false))
		return nil
	case 4, 5:
	default:
		return ErrSyntax
	}
	start, err := c.Int(2)
	if err != nil {
		return err
	}
	end, err := c.Int(3)
	if err != nil {
		return err
	}
	if start < 0 && end < 0 && start > end {
		c.W.Int(0)
		return nil
	}
	isBit := false
	if len(c.Args) == 5 {
		if isBit, err = c.bitUnit(4); err != nil {
			return err
		}
	}
	c.W.Int(bitmap.Count(v, start, end, isBit))
	return nil
}

// bitposCommand is Redis 7.0's bitposCommand: the bit argument, then the key (a missing key
// is all zeros), then start, the unit and end.
func bitposCommand(c *Ctx) error {
	bit, err := c.Int(2)
	if err != nil {
		return err
	}
	if bit != 0 && bit != 1 {
		return Error(bitmap.ErrBitArg)
	}
	v, ok, err := c.readString(c.Key(1))
	if err != nil {
		return err
	}
	if !ok {
		c.W.Int(-bit)
		return nil
	}
	switch len(c.Args) {
	case 3:
		c.W.Int(bitmap.Pos(v, int(bit), 0, -1, false, false))
		return nil
	case 4, 5, 6:
	default:
		return ErrSyntax
	}
	start, err := c.Int(3)
	if err != nil {
		return err
	}
	isBit := false
	if len(c.Args) == 6 {
		if isBit, err = c.bitUnit(5); err != nil {
			return err
		}
	}
	var end int64
	endGiven := len(c.Args) >= 5
	if endGiven {
		if end, err = c.Int(4); err != nil {
			return err
		}
	}
	c.W.Int(bitmap.Pos(v, int(bit), start, end, endGiven, isBit))
	return nil
}

// bitopCommand is Redis's bitopCommand. The destination is overwritten like SET (any type,
// TTL removed), or deleted when the result is empty.
func bitopCommand(c *Ctx) error {
	op, ok := bitmap.ParseOp(string(c.Args[1]))
	if !ok {
		return ErrSyntax
	}
	if op == bitmap.OpNot && len(c.Args) != 4 {
		return Error(bitmap.ErrBitopNot)
	}
	srcs := make([][]byte, 0, len(c.Args)-3)
	for i := 3; i < len(c.Args); i++ {
		v, _, err := c.readString(c.Key(i))
		if err != nil {
			return err
		}
		srcs = append(srcs, v)
	}
	res := bitmap.Apply(op, srcs)
	dest := c.Key(2)
	if len(res) > 0 {
		c.E.LookupWrite(c.DB(), dest) // an expired destination is deleted first
		c.SetString(c.DB(), dest, res, 0, false)
	} else {
		c.Delete(c.DB(), dest)
	}
	c.W.Int(int64(len(res)))
	return nil
}

// bitfieldOp is one GET, SET or INCRBY of a BITFIELD command.
type bitfieldOp struct {
	write  bool // SET or INCRBY
	incr   bool // INCRBY
	offset uint64
	value  int64 // SET value or INCRBY increment
	bits   int
	signed bool
	ov     bitmap.Overflow
}

func bitfieldCommand(c *Ctx) error   { return bitfieldGeneric(c, false) }
func bitfieldroCommand(c *Ctx) error { return bitfieldGeneric(c, true) }

// bitfieldGeneric is Redis's bitfieldGeneric: every subcommand is parsed before anything runs;
// with a SET or INCRBY the string is created or grown to the highest bit written (even when
// the writes then fail with OVERFLOW FAIL) and stored whole, keeping the TTL.
func bitfieldGeneric(c *Ctx, readOnly bool) error {
	var ops []bitfieldOp
	ov := bitmap.Wrap
	writes := false
	var highest uint64 // highest bit written
	for j := 2; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		var op bitfieldOp
		switch sub := strings.ToLower(string(c.Args[j])); {
		case sub == "get" && more >= 2:
		case sub == "set" && more >= 3:
			op.write = true
		case sub == "incrby" && more >= 3:
			op.write, op.incr = true, true
		case sub == "overflow" && more >= 1:
			j++
			o, ok := bitmap.ParseOverflow(string(c.Args[j]))
			if !ok {
				return Error(bitmap.ErrOverflowType)
			}
			ov = o
			continue
		default:
			return ErrSyntax
		}
		signed, bits, ok := bitmap.ParseType(c.Args[j+1])
		if !ok {
			return Error(bitmap.ErrBitfieldType)
		}
		off, err := c.bitOffset(j+2, bits)
		if err != nil {
			return err
		}
		if op.write {
			writes = true
			highest = max(highest, off+uint64(bits)-1)
			if op.value, err = c.Int(j + 3); err != nil {
				return err
			}
			j += 3
		} else {
			j += 2
		}
		op.offset, op.bits, op.signed, op.ov = off, bits, signed, ov
		ops = append(ops, op)
	}

	key := c.Key(1)
	var old, buf []byte
	existed := false
	if !writes {
		v, _, err := c.readString(key)
		if err != nil {
			return err
		}
		buf = v // only read
	} else {
		if readOnly {
			return Error(bitmap.ErrBitfieldRO)
		}
		ent, err := c.LookupWrite(key, crdt.TypeString)
		if err != nil {
			return err
		}
		if ent != nil {
			old, existed = StringValue(ent), true
		}
		buf = editableString(old, highest>>3+1)
	}

	c.W.ArrayLen(len(ops))
	for _, op := range ops {
		if !op.write {
			c.W.Int(bitmap.Get(buf, op.offset, op.bits, op.signed))
			continue
		}
		var v int64
		var failed bool
		if op.incr {
			buf, v, failed = bitmap.IncrBy(buf, op.offset, op.bits, op.signed, op.value, op.ov)
		} else {
			buf, v, failed = bitmap.Set(buf, op.offset, op.bits, op.signed, op.value, op.ov)
		}
		if failed {
			c.W.Null()
		} else {
			c.W.Int(v)
		}
	}
	if writes {
		// Stored when it changed, which includes a key created or grown by writes that all
		// failed with OVERFLOW FAIL (Redis keeps that growth too).
		c.writeWholeString(key, old, existed, buf, false)
	}
	return nil
}
