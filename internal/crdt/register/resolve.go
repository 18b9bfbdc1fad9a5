package register

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Bytes returns the value as Redis commands see it, and false when the key holds no value. The
// result may alias the stored value and must not be modified.
func (v *Value) Bytes() ([]byte, bool) {
	hasBase := !v.base.dot.IsZero()
	if !v.anyLiveContribution() {
		return v.base.val, hasBase
	}
	if hasBase {
		if _, isInt := parseInt(v.base.val); !isInt {
			if _, isNum := ParseDecimal(v.base.val); !isNum {
				return v.base.val, true // a non-numeric base hides the contributions
			}
		}
	}
	if n, ok := v.Int(); ok {
		return strconv.AppendInt(nil, n, 10), true
	}
	return []byte(FormatDecimal(v.exact())), true
}

func (v *Value) anyLiveContribution() bool {
	for i := range v.counters {
		if v.liveContribution(i) {
			return true
		}
	}
	return false
}

// Int returns the value as an integer when it is one: an integer base (or none) plus integer
// contributions whose sum fits in int64, or a value whose printed form is an integer.
func (v *Value) Int() (int64, bool) {
	var sum int64
	if !v.base.dot.IsZero() {
		n, ok := parseInt(v.base.val)
		if !ok {
			if !v.anyLiveContribution() {
				return 0, false
			}
			return v.intFromExact()
		}
		sum = n
	}
	for i := range v.counters {
		n, f, live := v.contribution(i)
		if !live {
			continue
		}
		if f != nil && f.Sign() != 0 {
			return v.intFromExact()
		}
		s, overflow := addInt64(sum, n)
		if overflow {
			return 0, false
		}
		sum = s
	}
	return sum, true
}

func (v *Value) intFromExact() (int64, bool) {
	r := v.exact()
	if r == nil || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// Exact returns the value as an exact number, or nil when it is not numeric.
func (v *Value) Exact() *big.Rat { return v.exact() }

func (v *Value) exact() *big.Rat {
	sum := new(big.Rat)
	if !v.base.dot.IsZero() {
		b, ok := ParseDecimal(v.base.val)
		if !ok {
			return nil
		}
		sum.Set(b)
	}
	var n big.Int
	for i := range v.counters {
		in, f, live := v.contribution(i)
		if !live {
			continue
		}
		sum.Add(sum, new(big.Rat).SetInt(n.SetInt64(in)))
		if f != nil {
			sum.Add(sum, f)
		}
	}
	return sum
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0)
}

// parseInt accepts exactly the integers Redis's string2ll accepts.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	p := b
	if neg {
		p = b[1:]
	}
	if len(p) == 0 || p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		hi, lo := bits.Mul64(u, 10)
		if hi != 0 {
			return 0, false
		}
		lo += uint64(c - '0')
		if lo < uint64(c-'0') {
			return 0, false
		}
		u = lo
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// ParseDecimal reads a plain decimal number ([-+]digits[.digits][e[-+]digits]) exactly. It is
// how a numeric base is summed with contributions; it rejects what is not a finite number.
func ParseDecimal(b []byte) (*big.Rat, bool) {
	s := string(b)
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return nil, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 || exp > 4 { // refuse absurd exponents: they would make huge rationals
			return nil, false
		}
	}
	if i != len(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// FormatDecimal prints r as Redis's INCRBYFLOAT prints its result ("%.17Lf" with trailing zeros
// and a trailing dot removed).
func FormatDecimal(r *big.Rat) string {
	s := r.FloatString(17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
