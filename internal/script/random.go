package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// rand48 is Redis's redisLrand48 (src/rand.c): the 48-bit linear congruential generator of
// drand48, so that math.random gives scripts the same sequence as redis-server. Redis never
// seeds it: it starts from rand.c's static state 0x1234ABCD330E, is shared by every script
// and is reseeded only by math.randomseed.
type rand48 struct{ x uint64 }

const (
	rand48A    = 0x5DEECE66D
	rand48C    = 0xB
	rand48Mask = 1<<48 - 1
	// rand48Max is REDIS_LRAND48_MAX (INT32_MAX).
	rand48Max = math.MaxInt32
)

// seed is redisSrand48: the low 16 bits are 0x330E, the seed goes above them.
// rand48Initial is the state before any seeding (X2, X1, X0 of rand.c).
const rand48Initial = 0x1234ABCD330E

func (r *rand48) seed(s int32) { r.x = (uint64(uint32(s))<<16 | 0x330E) & rand48Mask }

// next returns the next 31-bit value (redisLrand48).
func (r *rand48) next() int32 {
	r.x = (rand48A*r.x + rand48C) & rand48Mask
	return int32(r.x >> 17)
}

// random is Redis's redis_math_random (a copy of Lua 5.1's math_random on rand48).
func (r *rand48) random(L *lua.LState) int {
	f := float64(r.next()%rand48Max) / float64(rand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(f))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.RaiseError("bad argument #1 to 'random' (interval is empty)")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			L.RaiseError("bad argument #2 to 'random' (interval is empty)")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

// randomseed is redis_math_randomseed.
func (r *rand48) randomseed(L *lua.LState) int {
	r.seed(int32(L.CheckInt(1)))
	return 0
}
