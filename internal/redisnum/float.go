package redisnum

import (
	"math"
	"strconv"
)

// ParseFloat parses b as Redis 7.0's string2d does, which is what getDoubleFromObject, and so
// ZADD, ZINCRBY, GEOADD, GEORADIUS, ZUNIONSTORE WEIGHTS and the like, accept as a double.
//
// It is glibc's strtod with the whole of b consumed: decimal and hexadecimal ("0x1p-3",
// "0x10") numbers with an optional sign ('+' too), "inf" and "infinity" in any case, leading
// zeros, "5." and ".5". Rejected: the empty string, a leading space (or any trailing byte),
// NaN in every spelling, and a result that overflows to ±Inf or underflows to zero (glibc's
// ERANGE). Subnormal results are accepted. Negative zero is kept.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	r := scanStrtod(b, false)
	if r.end != len(b) {
		return 0, false
	}
	f, rangeErr, ok := r.float64()
	if !ok || rangeErr {
		return 0, false
	}
	return f, true
}

// ParseRangeFloat parses b as zslParseRange does for the bounds of ZRANGEBYSCORE, ZCOUNT,
// ZREMRANGEBYSCORE and the like, after the caller has removed an optional leading '(': a bare
// strtod call whose only checks are that parsing stopped at the end of the string (or at a NUL
// byte, where the C string ends) and that the result is not NaN.
//
// So, unlike ParseFloat, it skips leading white space, returns 0 for the empty string (and for
// "(" once the '(' is removed), ±Inf for overflow and ±0 for underflow, and "1\x00x" is 1.
// White space alone (" ") is rejected, as strtod converts nothing and stops at the space.
func ParseRangeFloat(b []byte) (float64, bool) {
	r := scanStrtod(b, true)
	if r.end != len(b) && b[r.end] != 0 {
		return 0, false
	}
	if r.kind == kindNone {
		// No conversion: strtod returns 0 and leaves endptr at the start of the string. That
		// is the end of the string only when the string is empty (or starts with a NUL).
		return 0, true
	}
	f, _, ok := r.float64()
	return f, ok
}

// float64 converts a scan to the nearest double. rangeErr reports what glibc flags with
// ERANGE and string2d rejects: a finite input overflowing to ±Inf, or a non-zero input
// underflowing to zero. ok is false for NaN (and for no conversion).
func (r *strtodScan) float64() (f float64, rangeErr, ok bool) {
	sign := 1.0
	if r.neg {
		sign = -1
	}
	switch r.kind {
	case kindInf:
		return math.Inf(int(sign)), false, true
	case kindDec, kindHex:
	default:
		return 0, false, false
	}
	if r.isZero() {
		return math.Copysign(0, sign), false, true
	}
	var text string
	if r.kind == kindDec {
		// strtod's decimal syntax is a subset of strconv's, which rounds correctly too.
		text = string(r.src[r.start:r.end])
	} else {
		mant, exp := r.digits()
		n := int64(len(mant))
		switch {
		case exp+4*(n-1) > 1030:
			return math.Inf(int(sign)), true, true
		case exp+4*n < -1080:
			return math.Copysign(0, sign), true, true
		}
		buf := make([]byte, 0, len(mant)+32)
		buf = append(buf, "0x"...)
		buf = append(buf, mant...)
		buf = append(buf, 'p')
		buf = strconv.AppendInt(buf, exp, 10)
		text = string(buf)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// strconv only fails here with ErrRange, for an overflow; f is ±Inf.
		return math.Inf(int(sign)), true, true
	}
	if f == 0 {
		return math.Copysign(0, sign), true, true
	}
	return math.Copysign(f, sign), false, true
}

// FormatDouble formats f as Redis 7.0's addReplyDouble does, for scores and every other double
// in a reply (ZSCORE, ZINCRBY, ZRANGE WITHSCORES, ...): "inf" and "-inf" for infinities,
// otherwise printf's "%.17g" ("0.10000000000000001", "1e+17", "-0"). The RESP3 double reply
// carries the same text.
func FormatDouble(f float64) string {
	return string(AppendDouble(nil, f))
}

// AppendDouble appends FormatDouble(f) to dst.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		// Never sent by Redis (scores are never NaN); this is what glibc prints.
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	}
	// strconv's 'g' with an explicit precision follows C's %g rules: exponent form when the
	// exponent is < -4 or >= the precision, trailing zeros removed, at least two exponent
	// digits. Digits are correctly rounded, as glibc's are.
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// FormatDistance formats a distance as GEODIST and the WITHDIST option do: "%.4f".
func FormatDistance(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'f', 4, 64)
}

// FormatHumanDouble formats f as addReplyHumanLongDouble does after f is widened to a long
// double: "%.17Lf" with trailing zeros (and a trailing '.') removed. GEOPOS and the WITHCOORD
// option print coordinates this way, e.g. "13.36138933897018433".
func FormatHumanDouble(f float64) string {
	return FormatLongDouble(LongDoubleFromFloat64(f), LDStrHuman)
}
