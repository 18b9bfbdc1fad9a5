package redisnum

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// The x87 80-bit extended format: a 64-bit mantissa with an explicit integer bit, a 15-bit
// exponent. In math/big's terms (x = m × 2^e with 0.5 <= |m| < 1), finite values have
// e <= ldMaxExp, normal ones e >= ldMinNormalExp, and every value is a multiple of
// 2^-ldSubnormalScale (the smallest subnormal).
const (
	ldPrec            = 64
	ldMaxExp          = 16384
	ldMinNormalExp    = -16381
	ldSubnormalScale  = 16445
	maxLongDoubleArg  = 5 * 1024 // MAX_LONG_DOUBLE_CHARS: string2ld's buffer, NUL included
	humanFracDigits   = 17       // "%.17Lf"
	autoSignificantDs = 17       // "%.17Lg"
)

// LongDouble is a value of C's long double on x86-64 (the x87 80-bit extended format), the
// type INCRBYFLOAT and HINCRBYFLOAT compute in. Arithmetic rounds to nearest even at 64 bits
// of mantissa, overflows to ±Inf past about 1.19e4932 and has subnormals down to 2^-16445,
// as the FPU does.
//
// The zero value is +0. LongDouble values are immutable and may be copied freely.
type LongDouble struct {
	f   *big.Float // nil means +0; never changed once set
	nan bool
}

// LDMode selects an ld2string output format.
type LDMode int

const (
	// LDStrAuto is "%.17Lg" (LD_STR_AUTO). No Redis 7.0 command replies with it; modules
	// get it from RedisModule_CreateStringFromLongDouble with humanfriendly off.
	LDStrAuto LDMode = iota
	// LDStrHuman is "%.17Lf" with trailing zeros and a trailing '.' removed, and "-0" shown
	// as "0" (LD_STR_HUMAN): the reply and stored value of INCRBYFLOAT and HINCRBYFLOAT,
	// and GEOPOS coordinates.
	LDStrHuman
)

func newLDFloat() *big.Float {
	return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
}

// LongDoubleFromInt64 converts an integer exactly (every int64 fits in 64 mantissa bits), as
// Redis does for integer-encoded strings and hash values.
func LongDoubleFromInt64(i int64) LongDouble {
	return LongDouble{f: newLDFloat().SetInt64(i)}
}

// LongDoubleFromFloat64 converts a double exactly. NaN gives the NaN long double.
func LongDoubleFromFloat64(f float64) LongDouble {
	if math.IsNaN(f) {
		return LongDouble{nan: true}
	}
	return LongDouble{f: newLDFloat().SetFloat64(f)}
}

func (x LongDouble) float() *big.Float {
	if x.f == nil {
		return newLDFloat()
	}
	return x.f
}

// IsNaN reports whether x is a NaN.
func (x LongDouble) IsNaN() bool { return x.nan }

// IsInf reports whether x is +Inf or -Inf.
func (x LongDouble) IsInf() bool { return !x.nan && x.f != nil && x.f.IsInf() }

// Signbit reports whether x is negative or negative zero.
func (x LongDouble) Signbit() bool { return !x.nan && x.f != nil && x.f.Signbit() }

// Float64 returns the double nearest to x (what a C cast does).
func (x LongDouble) Float64() float64 {
	if x.nan {
		return math.NaN()
	}
	f, _ := x.float().Float64()
	return f
}

// Add returns x + y rounded as the x87 FPU rounds it (to nearest even). Inf + -Inf is NaN.
func (x LongDouble) Add(y LongDouble) LongDouble {
	if x.nan || y.nan {
		return LongDouble{nan: true}
	}
	xf, yf := x.float(), y.float()
	if xf.IsInf() && yf.IsInf() && xf.Signbit() != yf.Signbit() {
		return LongDouble{nan: true}
	}
	z := newLDFloat().Add(xf, yf)
	// A sum of two long doubles whose magnitude is below the smallest normal is a multiple
	// of 2^-16445 below 2^-16382, so it needs at most 63 bits: only overflow needs care.
	if !z.IsInf() && z.MantExp(nil) > ldMaxExp {
		z.SetInf(z.Signbit())
	}
	return LongDouble{f: z}
}

// ParseLongDouble parses b as Redis 7.0's string2ld does, which is how INCRBYFLOAT and
// HINCRBYFLOAT read both the increment and the current value.
//
// It is glibc's strtold with the whole of b consumed, so it accepts what ParseFloat accepts
// (hex floats, a '+' sign, "inf", "infinity", ...) and rejects the same things (the empty
// string, spaces, NaN, overflow to ±Inf, underflow to zero, a NUL byte), with the range of a
// long double rather than a double ("1e400" is fine, "1e5000" is not), and it also rejects
// any b of 5120 bytes or more. Infinities are accepted here: INCRBYFLOAT then fails with
// ErrIncrNaNOrInf, HINCRBYFLOAT with ErrValueNaNOrInf.
func ParseLongDouble(b []byte) (LongDouble, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleArg {
		return LongDouble{}, false
	}
	r := scanStrtod(b, false)
	if r.end != len(b) {
		return LongDouble{}, false
	}
	switch r.kind {
	case kindInf:
		return LongDouble{f: newLDFloat().SetInf(r.neg)}, true
	case kindDec, kindHex:
	default:
		return LongDouble{}, false
	}
	x, rangeErr := r.longDouble()
	if rangeErr {
		return LongDouble{}, false
	}
	return x, true
}

// longDouble converts a decimal or hexadecimal scan to the nearest long double. rangeErr
// reports overflow to ±Inf and underflow to zero of a non-zero input.
func (r *strtodScan) longDouble() (x LongDouble, rangeErr bool) {
	if r.isZero() {
		z := newLDFloat()
		if r.neg {
			z.Neg(z)
		}
		return LongDouble{f: z}, false
	}
	mant, exp := r.digits()
	n := int64(len(mant))
	num := new(big.Int)
	den := big.NewInt(1)
	if r.kind == kindDec {
		switch {
		case exp+n-1 > 4940: // >= 1e4941, well past LDBL_MAX (1.19e4932)
			return LongDouble{}, true
		case exp+n < -4960: // < 1e-4960, below half of LDBL_TRUE_MIN (3.6e-4951)
			return LongDouble{}, true
		}
		num.SetString(string(mant), 10)
		if exp >= 0 {
			num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil))
		} else {
			den.Exp(big.NewInt(10), big.NewInt(-exp), nil)
		}
	} else {
		switch {
		case exp+4*(n-1) > ldMaxExp+8:
			return LongDouble{}, true
		case exp+4*n < -ldSubnormalScale-8:
			return LongDouble{}, true
		}
		num.SetString(string(mant), 16)
		if exp >= 0 {
			num.Lsh(num, uint(exp))
		} else {
			den.Lsh(den, uint(-exp))
		}
	}
	z := newLDFloat().Quo(new(big.Float).SetInt(num), new(big.Float).SetInt(den))
	e := z.MantExp(nil)
	if e > ldMaxExp {
		return LongDouble{}, true
	}
	if e < ldMinNormalExp {
		// Subnormal: round num/den to a whole number of 2^-16445 units, ties to even.
		t := new(big.Int).Lsh(num, ldSubnormalScale)
		q, rem := t.QuoRem(t, den, new(big.Int))
		switch rem.Lsh(rem, 1).Cmp(den) {
		case 1:
			q.Add(q, big.NewInt(1))
		case 0:
			if q.Bit(0) == 1 {
				q.Add(q, big.NewInt(1))
			}
		}
		if q.Sign() == 0 {
			return LongDouble{}, true
		}
		z = newLDFloat().SetInt(q)
		z.SetMantExp(z, -ldSubnormalScale)
	}
	if r.neg {
		z.Neg(z)
	}
	return LongDouble{f: z}, false
}

// FormatLongDouble formats x as Redis's ld2string does in the given mode. Infinities are
// "inf" and "-inf" in both modes; a NaN (which Redis never formats) is "nan".
func FormatLongDouble(x LongDouble, mode LDMode) string {
	if x.nan {
		return "nan"
	}
	f := x.float()
	if f.IsInf() {
		if f.Signbit() {
			return "-inf"
		}
		return "inf"
	}
	if mode == LDStrAuto {
		return formatG(f, autoSignificantDs)
	}
	s := f.Text('f', humanFracDigits)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// formatG formats a finite f as C's "%.<prec>g" (prec >= 1): prec significant digits,
// exponent form when the decimal exponent X is < -4 or >= prec, trailing zeros removed.
func formatG(f *big.Float, prec int) string {
	e := f.Text('e', prec-1) // [-]d.ddd...e±XX, correctly rounded
	neg := strings.HasPrefix(e, "-")
	if neg {
		e = e[1:]
	}
	epos := strings.LastIndexByte(e, 'e')
	x, _ := strconv.Atoi(e[epos+1:])
	digits := strings.Replace(e[:epos], ".", "", 1)

	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if x < -4 || x >= prec {
		digits = strings.TrimRight(digits, "0")
		b.WriteByte(digits[0])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if x < 0 {
			b.WriteByte('-')
			x = -x
		} else {
			b.WriteByte('+')
		}
		if x < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(x))
		return b.String()
	}
	var intPart, frac string
	if x >= 0 {
		intPart, frac = digits[:x+1], digits[x+1:]
	} else {
		intPart, frac = "0", strings.Repeat("0", -x-1)+digits
	}
	frac = strings.TrimRight(frac, "0")
	b.WriteString(intPart)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
