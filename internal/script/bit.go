package script

import (
	"fmt"
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// The bit library Redis ships (LuaBitOp 1.0): 32-bit operations on Lua numbers, results as
// signed 32-bit numbers.

func openBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"tobit": bitTobit, "tohex": bitTohex, "bnot": bitBnot,
		"band":    bitReduce("band", func(a, b uint32) uint32 { return a & b }),
		"bor":     bitReduce("bor", func(a, b uint32) uint32 { return a | b }),
		"bxor":    bitReduce("bxor", func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  bitShift("lshift", func(a uint32, n uint) uint32 { return a << n }),
		"rshift":  bitShift("rshift", func(a uint32, n uint) uint32 { return a >> n }),
		"arshift": bitShift("arshift", func(a uint32, n uint) uint32 { return uint32(int32(a) >> n) }),
		"rol":     bitShift("rol", func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, int(n)) }),
		"ror":     bitShift("ror", func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, -int(n)) }),
		"bswap":   bitBswap,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// argError raises Lua 5.1's luaL_argerror text: "bad argument #n to 'fn' (msg)".
func argError(L *lua.LState, n int, fn, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fn, msg)
}

// typeName is the type name luaL_typerror prints ("no value" for a missing argument).
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// checkNumber is luaL_checknumber: numbers and numeric strings.
func checkNumber(L *lua.LState, n int, fn string) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return f
		}
	}
	argError(L, n, fn, "number expected, got "+typeName(L, n))
	return 0
}

// parseLuaNumber converts a string as lua_tonumber does (str2number).
func parseLuaNumber(s string) (float64, error) {
	if f, ok := str2number(s); ok {
		return f, nil
	}
	return 0, fmt.Errorf("not a number: %q", s)
}

// tobit normalizes a number as LuaBitOp's barg does (adding 2^52+2^51 and keeping the low 32
// bits): rounded to the nearest integer, ties to even, then taken modulo 2^32.
func tobit(f float64) uint32 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	r := math.Mod(math.RoundToEven(f), 1<<32)
	if r < 0 {
		r += 1 << 32
	}
	return uint32(r)
}

func pushBit(L *lua.LState, v uint32) int {
	L.Push(lua.LNumber(int32(v)))
	return 1
}

func bitTobit(L *lua.LState) int { return pushBit(L, tobit(checkNumber(L, 1, "tobit"))) }

func bitBnot(L *lua.LState) int { return pushBit(L, ^tobit(checkNumber(L, 1, "bnot"))) }

func bitBswap(L *lua.LState) int {
	return pushBit(L, bits.ReverseBytes32(tobit(checkNumber(L, 1, "bswap"))))
}

func bitReduce(name string, op func(a, b uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		acc := tobit(checkNumber(L, 1, name))
		for i := 2; i <= L.GetTop(); i++ {
			acc = op(acc, tobit(checkNumber(L, i, name)))
		}
		return pushBit(L, acc)
	}
}

func bitShift(name string, op func(a uint32, n uint) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		a := tobit(checkNumber(L, 1, name))
		n := uint(tobit(checkNumber(L, 2, name)) & 31)
		return pushBit(L, op(a, n))
	}
}

// bitTohex is bit.tohex(x [, n]): n hex digits (default 8, at most 8), upper case when n < 0.
func bitTohex(L *lua.LState) int {
	x := tobit(checkNumber(L, 1, "tohex"))
	n := int32(8)
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		n = int32(tobit(checkNumber(L, 2, "tohex")))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	if n > 8 {
		n = 8
	}
	buf := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[x&15]
		x >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}
