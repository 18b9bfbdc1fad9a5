package redisnum

import "math"

// ParseInt parses b as Redis's string2ll does, which is how every integer argument, and every
// string value used as an integer (INCR, ...), is read.
//
// Accepted: "0", or an optional '-' followed by a digit 1-9 and more digits, within the int64
// range. Rejected: the empty string, a '+' sign, white space anywhere, leading zeros ("007"),
// "-0", "-", and anything out of range.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := false
	if b[0] == '-' {
		neg = true
		i++
		if i == n {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		d := uint64(c - '0')
		if v > math.MaxUint64-d {
			return 0, false
		}
		v += d
	}
	if neg {
		if v > uint64(math.MaxInt64)+1 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseIntString is ParseInt for a string.
func ParseIntString(s string) (int64, bool) {
	return ParseInt([]byte(s))
}
