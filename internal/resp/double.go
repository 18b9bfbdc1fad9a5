package resp

import (
	"math"
	"strconv"
)

// FormatDouble returns the text Redis 7.0's addReplyDouble uses for f:
// "inf" and "-inf" for infinities, otherwise the output of C's
// printf("%.17g", f) (glibc), e.g. "0", "-0", "0.10000000000000001",
// "1.0000000000000001e-05", "1.2345678901234568e+17", "nan".
func FormatDouble(f float64) string {
	var b [32]byte
	return string(AppendDouble(b[:0], f))
}

// AppendDouble appends FormatDouble(f) to dst without allocating.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		// glibc prints the sign of a NaN.
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// 17 significant digits, correctly rounded: "d.dddddddddddddddde±XX".
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', 16, 64)
	mark := len(e) - 4 // 'e' of a two-digit exponent
	for e[mark] != 'e' {
		mark--
	}
	exp := 0
	for _, c := range e[mark+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[mark+1] == '-' {
		exp = -exp
	}
	// The significant digits without the point and without the trailing
	// zeros, which %g removes.
	var dig [17]byte
	digits := dig[:0]
	digits = append(digits, e[0])
	digits = append(digits, e[2:mark]...)
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	// %g: exponent style when exp < -4 or exp >= precision (17).
	if exp < -4 || exp >= 17 {
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	if exp < 0 {
		dst = append(dst, '0', '.')
		for i := -1; i > exp; i-- {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	// exp+1 integer digits, padded with zeros.
	if len(digits) <= exp+1 {
		dst = append(dst, digits...)
		for i := len(digits); i <= exp; i++ {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, digits[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, digits[exp+1:]...)
}
