package redisnum

// This file holds a scanner for the grammar glibc's strtod and strtold accept in the C locale,
// so that the parsers in this package accept exactly the prefixes libc would. The conversion
// of the scanned digits to a binary value is done elsewhere (strconv for doubles, math/big for
// long doubles), both correctly rounded, as glibc is.

type numKind uint8

const (
	kindNone numKind = iota // no conversion: strtod would return 0 and leave endptr at the start
	kindDec                 // decimal: value = mant * 10^exp
	kindHex                 // hexadecimal: value = mant (base 16) * 2^exp
	kindInf                 // "inf" or "infinity", any case
	kindNaN                 // "nan" or "nan(chars)", any case
)

// expLimit caps the magnitude of a parsed exponent. Anything larger overflows or underflows
// whatever the mantissa (mantissas are at most a few hundred million digits long).
const expLimit = 1_000_000_000_000_000

// strtodScan describes the longest prefix of a string that strtod would convert.
type strtodScan struct {
	start int     // where the number, sign included, starts (after any skipped space)
	end   int     // length of the prefix consumed (0 when kind is kindNone)
	kind  numKind // what the prefix is
	neg   bool    // a '-' sign was read

	// For kindDec and kindHex: where the integer and fraction digits are in the scanned
	// string, and the value of the explicit exponent.
	src                      []byte
	intS, intE, fracS, fracE int
	e                        int64
}

// digits returns the significant digits of a decimal or hexadecimal scan, without leading or
// trailing zeros (empty for zero), and the exponent that goes with them: the value is
// mant * 10^exp for kindDec and mant (base 16) * 2^exp for kindHex.
func (r *strtodScan) digits() (mant []byte, exp int64) {
	in, frac := r.src[r.intS:r.intE], r.src[r.fracS:r.fracE]
	mant = make([]byte, 0, len(in)+len(frac))
	mant = append(mant, in...)
	mant = append(mant, frac...)
	lead := 0
	for lead < len(mant) && mant[lead] == '0' {
		lead++
	}
	mant = mant[lead:]
	trail := 0
	for trail < len(mant) && mant[len(mant)-1-trail] == '0' {
		trail++
	}
	mant = mant[:len(mant)-trail]
	if len(mant) == 0 {
		return mant, 0
	}
	scale := int64(1)
	if r.kind == kindHex {
		scale = 4
	}
	return mant, r.e + scale*(int64(trail)-int64(len(frac)))
}

// isZero reports whether a decimal or hexadecimal scan has only zero digits.
func (r *strtodScan) isZero() bool {
	for _, c := range r.src[r.intS:r.intE] {
		if c != '0' {
			return false
		}
	}
	for _, c := range r.src[r.fracS:r.fracE] {
		if c != '0' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f'
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'z'
}

// hasPrefixFold reports whether s starts with the lower-case ASCII word w, ignoring case.
func hasPrefixFold(s []byte, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if s[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// scanStrtod scans s as glibc's strtod does. With skipSpace, leading white space (isspace in
// the C locale) is skipped first, as strtod itself does; without it, a leading space means no
// conversion. A NUL byte ends the scan like any other unexpected byte, as it ends a C string.
func scanStrtod(s []byte, skipSpace bool) strtodScan {
	var r strtodScan
	i := 0
	if skipSpace {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	r.start = i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		r.neg = s[i] == '-'
		i++
	}
	switch {
	case hasPrefixFold(s[i:], "inf"):
		r.kind = kindInf
		r.end = i + 3
		if hasPrefixFold(s[i:], "infinity") {
			r.end = i + 8
		}
		return r
	case hasPrefixFold(s[i:], "nan"):
		r.kind = kindNaN
		r.end = i + 3
		if r.end < len(s) && s[r.end] == '(' {
			k := r.end + 1
			for k < len(s) && (isAlnum(s[k]) || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				r.end = k + 1
			}
		}
		return r
	case i+1 < len(s) && s[i] == '0' && s[i+1]|0x20 == 'x':
		if r.scanNumber(s, i+2, true) {
			return r
		}
		// "0x" without a hexadecimal mantissa: strtod converts the "0" alone.
		r.kind = kindDec
		r.end = i + 1
		r.src = s
		r.intS, r.intE, r.fracS, r.fracE = i, i+1, i+1, i+1
		return r
	}
	r.scanNumber(s, i, false)
	return r
}

// scanNumber scans a decimal (or, with hex, hexadecimal) mantissa starting at s[i] followed by
// an optional exponent. It reports false, leaving r untouched, when there is no digit.
func (r *strtodScan) scanNumber(s []byte, i int, hex bool) bool {
	digit := func(c byte) bool { return isDigit(c) || hex && isHexDigit(c) }
	j := i
	for j < len(s) && digit(s[j]) {
		j++
	}
	intStart, intEnd := i, j
	fracStart, fracEnd := j, j
	if j < len(s) && s[j] == '.' {
		fracStart = j + 1
		fracEnd = fracStart
		for fracEnd < len(s) && digit(s[fracEnd]) {
			fracEnd++
		}
	}
	if intEnd == intStart && fracEnd == fracStart {
		return false
	}
	end := fracEnd // includes a '.' that follows the integer digits, as in "5."

	// Exponent: 'e' for decimal, 'p' (a power of two, written in decimal) for hexadecimal.
	// It is only consumed when at least one digit follows the optional sign.
	var e int64
	marker := byte('e')
	if hex {
		marker = 'p'
	}
	if end < len(s) && s[end]|0x20 == marker {
		k := end + 1
		eneg := false
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			eneg = s[k] == '-'
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				if e < expLimit {
					e = e*10 + int64(s[k]-'0')
				}
				k++
			}
			if eneg {
				e = -e
			}
			end = k
		}
	}

	r.kind = kindDec
	if hex {
		r.kind = kindHex
	}
	r.end = end
	r.src = s
	r.intS, r.intE, r.fracS, r.fracE = intStart, intEnd, fracStart, fracEnd
	r.e = e
	return true
}
