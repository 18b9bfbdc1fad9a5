package hll

import (
	"math"
	"math/bits"
	"slices"
)

// The HyperLogLog parameters of Redis's hyperloglog.c.
const (
	P            = 14                      // register index bits
	NumRegisters = 1 << P                  // 16384 registers
	Q            = 64 - P                  // hash bits left for the run of zeroes
	MaxValue     = 63                      // registers are 6 bits wide
	HashSeed     = 0xadc83b19              // the MurmurHash64A seed of hllPatLen
	denseLen     = NumRegisters * 6 / 8    // 12288 bytes of packed registers
	alphaInf     = 0.721347520444481703680 // 0.5/ln(2), HLL_ALPHA_INF
	// pairsMax is the number of non-zero registers up to which Registers keeps a sorted list
	// of (index, value) pairs; past it the registers are packed like Redis's dense encoding.
	pairsMax = 2048
)

// MurmurHash64A is Redis's endian-neutral MurmurHash2, 64-bit version.
func MurmurHash64A(key []byte, seed uint32) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(seed) ^ (uint64(len(key)) * m)
	for len(key) >= 8 {
		k := uint64(key[0]) | uint64(key[1])<<8 | uint64(key[2])<<16 | uint64(key[3])<<24 |
			uint64(key[4])<<32 | uint64(key[5])<<40 | uint64(key[6])<<48 | uint64(key[7])<<56
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * uint(i))
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// PatLen is Redis's hllPatLen: the register an element maps to and the length of its
// "000...1" pattern (1..Q+1), the value the register takes if it is larger.
func PatLen(elem []byte) (index int, count uint8) {
	hash := MurmurHash64A(elem, HashSeed)
	index = int(hash & (NumRegisters - 1))
	hash >>= P
	hash |= 1 << Q // the loop of Redis ends by Q+1 at the latest
	return index, uint8(bits.TrailingZeros64(hash) + 1)
}

// Registers are the 16384 6-bit registers of a HyperLogLog. The zero value is all zeroes.
// While few registers are non-zero they are kept as a sorted list of (index<<8 | value)
// pairs; past pairsMax they are packed 6 bits each exactly as Redis's dense encoding (plus one
// spare byte, as Redis's macros read one byte past the last register).
type Registers struct {
	pairs []uint32
	dense []byte // nil while pairs are used
	n     int    // non-zero registers
}

// Nonzero is the number of non-zero registers.
func (r *Registers) Nonzero() int { return r.n }

// Get returns register i.
func (r *Registers) Get(i int) uint8 {
	if r.dense != nil {
		return denseGet(r.dense, i)
	}
	j, ok := r.find(i)
	if !ok {
		return 0
	}
	return uint8(r.pairs[j])
}

func (r *Registers) find(i int) (int, bool) {
	return slices.BinarySearchFunc(r.pairs, uint32(i), func(p, i uint32) int {
		return int(p>>8) - int(i)
	})
}

// Max sets register i to v if v is larger, and reports whether it changed. v is at most
// MaxValue.
func (r *Registers) Max(i int, v uint8) bool {
	if v == 0 {
		return false
	}
	if r.dense != nil {
		old := denseGet(r.dense, i)
		if v <= old {
			return false
		}
		if old == 0 {
			r.n++
		}
		denseSet(r.dense, i, v)
		return true
	}
	j, ok := r.find(i)
	if ok {
		if uint8(r.pairs[j]) >= v {
			return false
		}
		r.pairs[j] = uint32(i)<<8 | uint32(v)
		return true
	}
	if r.n == pairsMax {
		r.toDense()
		return r.Max(i, v)
	}
	r.pairs = slices.Insert(r.pairs, j, uint32(i)<<8|uint32(v))
	r.n++
	return true
}

func (r *Registers) toDense() {
	d := make([]byte, denseLen+1)
	for _, p := range r.pairs {
		denseSet(d, int(p>>8), uint8(p))
	}
	r.dense, r.pairs = d, nil
}

// Clear sets every register to zero and frees the storage.
func (r *Registers) Clear() { *r = Registers{} }

// Each calls fn for every non-zero register in ascending index order.
func (r *Registers) Each(fn func(i int, v uint8)) {
	if r.dense == nil {
		for _, p := range r.pairs {
			fn(int(p>>8), uint8(p))
		}
		return
	}
	for i := range NumRegisters {
		if v := denseGet(r.dense, i); v != 0 {
			fn(i, v)
		}
	}
}

// MaxWith sets every register to the maximum of its value and o's, and reports whether any
// changed.
func (r *Registers) MaxWith(o *Registers) bool {
	changed := false
	if o.dense == nil {
		for _, p := range o.pairs {
			if r.Max(int(p>>8), uint8(p)) {
				changed = true
			}
		}
		return changed
	}
	o.Each(func(i int, v uint8) {
		if r.Max(i, v) {
			changed = true
		}
	})
	return changed
}

// Clone returns an independent copy.
func (r *Registers) Clone() Registers {
	return Registers{pairs: slices.Clone(r.pairs), dense: slices.Clone(r.dense), n: r.n}
}

// Equal reports whether r and o hold the same register values.
func (r *Registers) Equal(o *Registers) bool {
	if r.n != o.n {
		return false
	}
	if r.dense == nil && o.dense == nil {
		return slices.Equal(r.pairs, o.pairs)
	}
	for i := range NumRegisters {
		if r.Get(i) != o.Get(i) {
			return false
		}
	}
	return true
}

// Histogram is Redis's register histogram (hllDenseRegHisto and friends): h[v] is the number
// of registers holding v.
func (r *Registers) Histogram(h *[64]int) {
	*h = [64]int{}
	if r.dense == nil {
		h[0] = NumRegisters - r.n
		for _, p := range r.pairs {
			h[uint8(p)&MaxValue]++
		}
		return
	}
	d := r.dense
	for j := 0; j < denseLen; j += 3 {
		// Four registers per three bytes.
		b0, b1, b2 := d[j], d[j+1], d[j+2]
		h[b0&63]++
		h[(b0>>6|b1<<2)&63]++
		h[(b1>>4|b2<<4)&63]++
		h[b2>>2]++
	}
}

// Count is Redis 7.0's hllCount: the cardinality estimate of the registers (Otmar Ertl's
// improved estimator, "New cardinality estimation algorithms for HyperLogLog sketches").
func (r *Registers) Count() uint64 {
	var h [64]int
	r.Histogram(&h)
	return CountHistogram(&h)
}

// CountHistogram is the estimate for a register histogram. The floating-point operations are
// those of Redis, in the same order, each rounded to double (the explicit conversions forbid
// fused multiply-adds), so that equal registers give Redis's exact count.
func CountHistogram(h *[64]int) uint64 {
	m := float64(NumRegisters)
	z := float64(m * tau((m-float64(h[Q+1]))/m))
	for j := Q; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(h[0])/m))
	e := float64(float64(alphaInf*m)*m) / z
	return uint64(math.Round(e))
}

// sigma is Redis's hllSigma.
func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y := 1.0
	z := x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if prev == z {
			return z
		}
	}
}

// tau is Redis's hllTau.
func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y := 1.0
	z := 1 - x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if prev == z {
			return z / 3
		}
	}
}

// denseGet is HLL_DENSE_GET_REGISTER: d has one spare byte after the registers.
func denseGet(d []byte, i int) uint8 {
	byteIdx := i * 6 / 8
	fb := uint(i*6) & 7
	b0, b1 := uint(d[byteIdx]), uint(d[byteIdx+1])
	return uint8((b0>>fb | b1<<(8-fb)) & MaxValue)
}

// denseSet is HLL_DENSE_SET_REGISTER.
func denseSet(d []byte, i int, v uint8) {
	byteIdx := i * 6 / 8
	fb := uint(i*6) & 7
	fb8 := 8 - fb
	d[byteIdx] &^= byte(MaxValue << fb)
	d[byteIdx] |= byte(uint(v) << fb)
	d[byteIdx+1] &^= byte(MaxValue >> fb8)
	d[byteIdx+1] |= byte(uint(v) >> fb8)
}
