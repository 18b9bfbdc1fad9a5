package geo

import (
	"bytes"
	"math"
	"strconv"
)

const two63 = 9223372036854775808.0

// cvttsd2si is x86-64's truncating double-to-int64 conversion: values that do not fit (and NaN)
// give the "integer indefinite" value -2^63.
func cvttsd2si(x float64) int64 {
	if x != x || x >= two63 || x < -two63 {
		return math.MinInt64
	}
	return int64(x)
}

// cUint64 is C's (uint64_t) conversion of a double as gcc compiles it for x86-64 (the score of
// decodeGeohash): values from 2^63 up are converted after subtracting 2^63, anything else
// (negative ones included) through the signed conversion. Out-of-range scores, which only a
// ZADD can store, decode like this in Redis.
func cUint64(x float64) uint64 {
	if x >= two63 {
		return uint64(cvttsd2si(x-two63)) ^ 1<<63
	}
	return uint64(cvttsd2si(x))
}

// HashInt is the integer WITHHASH replies: C's (long long) conversion of the score.
func HashInt(score float64) int64 { return cvttsd2si(score) }

// ValidLonLat reports whether a coordinate pair is inside the limits GEOADD and the searches
// accept (extractLongLatOrReply).
func ValidLonLat(longitude, latitude float64) bool {
	return !(longitude < LongMin || longitude > LongMax || latitude < LatMin || latitude > LatMax)
}

// InvalidPairError is the text of the error reply for a coordinate pair outside the limits.
func InvalidPairError(longitude, latitude float64) string {
	return "ERR invalid longitude,latitude pair " + cFixed6(longitude) + "," + cFixed6(latitude)
}

// cFixed6 is printf's "%f".
func cFixed6(f float64) string {
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
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// Hash52 is the hash GEOADD computes for a valid coordinate pair: 52 bits (a longitude or
// latitude at the upper limit carries into bits 52 and 53).
func Hash52(longitude, latitude float64) (uint64, bool) {
	h, ok := EncodeWGS84(longitude, latitude, StepMax)
	if !ok {
		return 0, false
	}
	return h.Align52(), true
}

// Score is the score GEOADD stores for a valid coordinate pair: Hash52 as ZADD parses its
// decimal text (the nearest double; exact below 2^53).
func Score(longitude, latitude float64) (float64, bool) {
	bits, ok := Hash52(longitude, latitude)
	return float64(bits), ok
}

// DecodeScore is decodeGeohash: the centre of the cell a score designates, clamped to the
// limits. Any score decodes (Redis never fails here).
func DecodeScore(score float64) (longitude, latitude float64) {
	a, _ := Decode(wgs84Long, wgs84Lat, HashBits{Bits: cUint64(score), Step: StepMax})
	return a.centre()
}

const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// HashString is the 11-character string GEOHASH replies for a score: the decoded centre
// re-encoded over the standard latitude range [-90, 90], 10 characters of 5 bits and a final
// '0' (Redis keeps only 52 bits).
func HashString(score float64) string {
	lon, lat := DecodeScore(score)
	h, _ := Encode(standardLong, standardLat, lon, lat, 26)
	var buf [11]byte
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 {
			idx = int(h.Bits>>(52-uint(i+1)*5)) & 0x1f
		}
		buf[i] = geoAlphabet[idx]
	}
	return string(buf[:])
}

// Unit is the conversion factor of a distance unit to meters (extractUnitOrReply): m, km, ft,
// mi in any case. The argument ends at its first NUL byte, as Redis compares it with
// strcasecmp.
func Unit(arg []byte) (float64, bool) {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	switch {
	case bytes.EqualFold(arg, []byte("m")):
		return 1, true
	case bytes.EqualFold(arg, []byte("km")):
		return 1000, true
	case bytes.EqualFold(arg, []byte("ft")):
		return 0.3048, true
	case bytes.EqualFold(arg, []byte("mi")):
		return 1609.34, true
	}
	return 0, false
}

// ErrUnit is the error reply for an unknown unit.
const ErrUnit = "ERR unsupported unit provided. please use M, KM, FT, MI"

// AppendCoord appends a coordinate as GEOPOS and WITHCOORD print it: addReplyHumanLongDouble
// of the double widened to a long double, that is "%.17Lf" with the trailing zeros (and a
// trailing '.') removed and "-0" printed "0". Widening is exact and both glibc's printf and
// strconv round the exact decimal expansion to nearest even, so strconv's "%.17f" gives the
// same digits (TestAppendCoordProperty checks it against redisnum's long double emulation).
func AppendCoord(dst []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch {
		case math.IsInf(f, 1):
			return append(dst, "inf"...)
		case math.IsInf(f, -1):
			return append(dst, "-inf"...)
		}
		return append(dst, "nan"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	end := len(dst)
	for dst[end-1] == '0' {
		end--
	}
	if dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// AppendDistance appends a distance as GEODIST and WITHDIST print it. Redis 7.0.15 formats it
// with fixedpoint_d2string(d, 4 digits), not printf's "%.4f": the value is scaled by 10^4 in
// double precision and rounded to an integer with llrint (to nearest even), so
// 57675624.866250000894 prints 57675624.8662 where "%.4f" gives 57675624.8663; zero (either
// sign) is "0.0000", and a NaN distance (llrint's integer indefinite) prints
// "-922337203685477.5808".
func AppendDistance(dst []byte, d float64) []byte {
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	sv := llrint(d * 10000)
	var v uint64
	if sv < 0 {
		dst = append(dst, '-')
		if sv == math.MinInt64 {
			v = 1 << 63
		} else {
			v = uint64(-sv)
		}
	} else {
		v = uint64(sv)
	}
	var buf [24]byte
	digits := strconv.AppendUint(buf[:0], v, 10)
	if len(digits) <= 4 {
		dst = append(dst, "0.0000"[:6-len(digits)]...)
		return append(dst, digits...)
	}
	intDigits := len(digits) - 4
	dst = append(dst, digits[:intDigits]...)
	dst = append(dst, '.')
	return append(dst, digits[intDigits:]...)
}

// llrint is x86-64's llrint: round to nearest even; NaN and values outside int64 give -2^63.
func llrint(x float64) int64 {
	r := math.RoundToEven(x)
	if r != r || r >= two63 || r < -two63 {
		return math.MinInt64
	}
	return int64(r)
}
