// Package redisnum parses and prints numbers exactly as Redis 7.0 does, so that Concord's
// replies are byte-identical to Redis's.
//
// Redis leans on libc for most of this (strtod, strtold, printf), so the functions here port
// glibc's behaviour on x86-64 Linux, which is what a stock Redis 7.0 runs on:
//
//   - ParseInt is string2ll: optional '-', no '+', no spaces, no leading zeros ("0" alone is
//     fine, "-0" and "007" are not), and the value must fit in an int64.
//   - ParseFloat is string2d, used by every command that reads a double argument through
//     getDoubleFromObject (ZADD, ZINCRBY, GEOADD, ZUNIONSTORE WEIGHTS, ...). It is strtod with
//     the whole argument consumed: hex floats ("0x1p3", "0x10"), "inf", "+inf", "-inf",
//     "infinity" (any case), a leading '+', leading zeros, "5." and ".5" are accepted; empty
//     strings, "nan", leading or trailing spaces, overflow (1e400) and underflow to zero
//     (1e-400) are rejected. Subnormal results (4.9e-324) are accepted.
//   - ParseRangeFloat is the laxer strtod use in zslParseRange (ZRANGEBYSCORE, ZCOUNT, ...):
//     leading white space is skipped, the empty string is 0, overflow gives ±Inf, underflow
//     gives ±0, parsing stops at a NUL byte; only NaN and trailing garbage are rejected.
//   - LongDouble emulates the x87 80-bit long double (64-bit mantissa, 15-bit exponent,
//     round to nearest even, subnormals) that INCRBYFLOAT and HINCRBYFLOAT compute in, with
//     ParseLongDouble (string2ld: like string2d but also limited to 5119 bytes) and
//     FormatLongDouble (ld2string in the LD_STR_HUMAN and LD_STR_AUTO modes).
//   - FormatDouble is addReplyDouble ("%.17g", "inf", "-inf"), used for every score in a
//     reply, including ZINCRBY's. FormatHumanDouble is addReplyHumanLongDouble on a double
//     (GEOPOS and WITHCOORD coordinates). FormatDistance is "%.4f" (GEODIST and WITHDIST).
//
// Error texts: the Err* constants hold the texts Redis 7.0 sends after the '-' of an error
// reply, "ERR " prefix included.
package redisnum
