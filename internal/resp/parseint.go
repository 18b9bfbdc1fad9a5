package resp

// string2ll is a port of Redis's util.c string2ll, which networking.c uses
// for the multibulk count and the bulk lengths. It is stricter than
// strconv.ParseInt: no leading '+', no leading zeros (except "0" itself),
// no "-0", no spaces, at most 20 characters, and the whole input must be
// digits.
func string2ll(s []byte) (int64, bool) {
	// A string of zero length or excessive length (>= LONG_STR_SIZE, 21)
	// is not a valid number.
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	p := 0
	negative := false
	if s[0] == '-' {
		negative = true
		p++
		if p == len(s) {
			return 0, false
		}
	}
	// The first digit must be 1-9.
	if s[p] < '1' || s[p] > '9' {
		return 0, false
	}
	v := uint64(s[p] - '0')
	p++
	for ; p < len(s); p++ {
		c := s[p]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		d := uint64(c - '0')
		if v > 1<<64-1-d {
			return 0, false
		}
		v += d
	}
	if negative {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true // -(1<<63) wraps to math.MinInt64, as intended
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
