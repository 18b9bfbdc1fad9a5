package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library Redis ships (lua-cmsgpack 0.4.0): pack encodes its arguments one
// after the other (integral numbers as the smallest integer, others as float32 when exact,
// else float64; tables with keys 1..n as arrays, other tables as maps; tables nested deeper
// than 16 and values MessagePack cannot hold as nil); unpack, unpack_one and unpack_limit
// decode them.

const cmsgpackMaxNesting = 16

func openCmsgpack(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(msgpackPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return msgpackUnpack(L, 0, 0, true) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, 1, L.OptInt(2, 0), false)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, L.OptInt(2, 0), L.OptInt(3, 0), false)
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func msgpackPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		argError(L, 0, "pack", "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = msgpackEncode(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func be16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func be64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func msgpackEncode(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = be16(append(b, 0xda), uint16(n))
		default:
			b = be32(append(b, 0xdb), uint32(n))
		}
		return append(b, v...)
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if !math.IsInf(f, 0) && !math.IsNaN(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0 && float64(int64(f)) == f {
			return msgpackInt(b, int64(f))
		}
		if float64(float32(f)) == f {
			return be32(append(b, 0xca), math.Float32bits(float32(f)))
		}
		return be64(append(b, 0xcb), math.Float64bits(f))
	case *lua.LTable:
		if level == cmsgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(v); ok {
			switch {
			case n <= 15:
				b = append(b, 0x90|byte(n))
			case n <= 0xffff:
				b = be16(append(b, 0xdc), uint16(n))
			default:
				b = be32(append(b, 0xdd), uint32(n))
			}
			for i := 1; i <= n; i++ {
				b = msgpackEncode(b, v.RawGetInt(i), level+1)
			}
			return b
		}
		n := 0
		for k, _ := v.Next(lua.LNil); k != lua.LNil; k, _ = v.Next(k) {
			n++
		}
		switch {
		case n <= 15:
			b = append(b, 0x80|byte(n))
		case n <= 0xffff:
			b = be16(append(b, 0xde), uint16(n))
		default:
			b = be32(append(b, 0xdf), uint32(n))
		}
		for k, val := v.Next(lua.LNil); k != lua.LNil; k, val = v.Next(k) {
			b = msgpackEncode(b, k, level+1)
			b = msgpackEncode(b, val, level+1)
		}
		return b
	}
	return append(b, 0xc0)
}

// msgpackArrayLen is table_is_an_array: every key a positive integer and no holes.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, maxKey := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n <= 0 || float64(n) != math.Floor(float64(n)) || float64(n) > math.MaxInt32 {
			return 0, false
		}
		maxKey = max(maxKey, int(n))
		count++
	}
	return count, maxKey == count
}

func msgpackInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return be16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return be32(append(b, 0xce), uint32(n))
		}
		return be64(append(b, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return be16(append(b, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return be32(append(b, 0xd2), uint32(int32(n)))
	}
	return be64(append(b, 0xd3), uint64(n))
}

type msgpackErr int

const (
	msgpackEOF msgpackErr = iota + 1
	msgpackBadFmt
)

type msgpackCursor struct {
	L   *lua.LState
	s   string
	pos int
	err msgpackErr
}

func (c *msgpackCursor) need(n int) bool {
	if len(c.s)-c.pos < n {
		c.err = msgpackEOF
		return false
	}
	return true
}

func (c *msgpackCursor) take(n int) string {
	s := c.s[c.pos : c.pos+n]
	c.pos += n
	return s
}

func (c *msgpackCursor) uint(n int) (uint64, bool) {
	if !c.need(n) {
		return 0, false
	}
	var v uint64
	for _, x := range []byte(c.take(n)) {
		v = v<<8 | uint64(x)
	}
	return v, true
}

func (c *msgpackCursor) decode() lua.LValue {
	if !c.need(1) {
		return lua.LNil
	}
	t := c.s[c.pos]
	c.pos++
	switch {
	case t <= 0x7f:
		return lua.LNumber(t)
	case t >= 0xe0:
		return lua.LNumber(int8(t))
	case t&0xe0 == 0xa0:
		return c.str(int(t & 0x1f))
	case t&0xf0 == 0x90:
		return c.array(int(t & 0x0f))
	case t&0xf0 == 0x80:
		return c.dict(int(t & 0x0f))
	}
	switch t {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xca:
		v, ok := c.uint(4)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(math.Float32frombits(uint32(v)))
	case 0xcb:
		v, ok := c.uint(8)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(math.Float64frombits(v))
	case 0xcc, 0xcd, 0xce:
		v, ok := c.uint(1 << (t - 0xcc))
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(float64(v))
	case 0xcf: // lua-cmsgpack reads uint 64 as a signed integer
		v, ok := c.uint(8)
		if !ok {
			return lua.LNil
		}
		return lua.LNumber(float64(int64(v)))
	case 0xd0, 0xd1, 0xd2, 0xd3:
		size := 1 << (t - 0xd0)
		v, ok := c.uint(size)
		if !ok {
			return lua.LNil
		}
		shift := 64 - 8*size
		return lua.LNumber(float64(int64(v<<shift) >> shift))
	case 0xd9:
		if n, ok := c.uint(1); ok {
			return c.str(int(n))
		}
	case 0xda:
		if n, ok := c.uint(2); ok {
			return c.str(int(n))
		}
	case 0xdb:
		if n, ok := c.uint(4); ok {
			return c.str(int(n))
		}
	case 0xdc:
		if n, ok := c.uint(2); ok {
			return c.array(int(n))
		}
	case 0xdd:
		if n, ok := c.uint(4); ok {
			return c.array(int(n))
		}
	case 0xde:
		if n, ok := c.uint(2); ok {
			return c.dict(int(n))
		}
	case 0xdf:
		if n, ok := c.uint(4); ok {
			return c.dict(int(n))
		}
	default:
		c.err = msgpackBadFmt
	}
	return lua.LNil
}

func (c *msgpackCursor) str(n int) lua.LValue {
	if !c.need(n) {
		return lua.LNil
	}
	return lua.LString(c.take(n))
}

func (c *msgpackCursor) array(n int) lua.LValue {
	t := c.L.NewTable()
	for i := 1; i <= n && c.err == 0; i++ {
		t.RawSetInt(i, c.decode())
	}
	return t
}

func (c *msgpackCursor) dict(n int) lua.LValue {
	t := c.L.NewTable()
	for i := 0; i < n && c.err == 0; i++ {
		k := c.decode()
		v := c.decode()
		if c.err != 0 {
			break
		}
		if k == lua.LNil {
			// lua_settable's error, raised from C: no position.
			c.L.Error(lua.LString("table index is nil"), 0)
		}
		t.RawSet(k, v)
	}
	return t
}

// msgpackUnpack is mp_unpack_full: up to limit values (0: all) from offset; with all false
// the next offset (-1 at the end) comes first.
func msgpackUnpack(L *lua.LState, limit, offset int, all bool) int {
	s := checkString(L, 1, "unpack")
	if offset < 0 || limit < 0 {
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, len(s))
	}
	if offset > len(s) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	c := &msgpackCursor{L: L, s: s, pos: offset}
	var out []lua.LValue
	for c.pos < len(s) && (limit == 0 || len(out) < limit) {
		v := c.decode()
		switch c.err {
		case msgpackEOF:
			L.RaiseError("Missing bytes in input.")
		case msgpackBadFmt:
			L.RaiseError("Bad data format in input.")
		}
		out = append(out, v)
	}
	if !all {
		next := c.pos
		if c.pos >= len(s) {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range out {
		L.Push(v)
	}
	if all {
		return len(out)
	}
	return len(out) + 1
}
