package redisnum

// Error texts Redis 7.0 uses when a numeric argument or value does not parse, or a float
// increment goes out of range. Each is the text after the '-' of the error reply, checked
// against redis-server 7.0.15.
const (
	// ErrNotInteger: an integer argument or value that ParseInt rejects
	// (getLongLongFromObjectOrReply with no message of its own).
	ErrNotInteger = "ERR value is not an integer or out of range"
	// ErrNotFloat: a double or long double argument or value that ParseFloat or
	// ParseLongDouble rejects (ZADD, ZINCRBY, INCRBYFLOAT, HINCRBYFLOAT's increment, ...).
	ErrNotFloat = "ERR value is not a valid float"
	// ErrHashValueNotFloat: HINCRBYFLOAT on a field whose value ParseLongDouble rejects.
	ErrHashValueNotFloat = "ERR hash value is not a float"
	// ErrIncrNaNOrInf: INCRBYFLOAT or HINCRBYFLOAT whose result (or, for INCRBYFLOAT, whose
	// increment or current value, as "inf" parses) is NaN or infinite.
	ErrIncrNaNOrInf = "ERR increment would produce NaN or Infinity"
	// ErrValueNaNOrInf: HINCRBYFLOAT with an infinite increment, checked before the field is
	// read. (INCRBYFLOAT has no such check and fails with ErrIncrNaNOrInf instead.)
	ErrValueNaNOrInf = "ERR value is NaN or Infinity"
	// ErrMinMaxNotFloat: a ZRANGEBYSCORE-style bound that ParseRangeFloat rejects.
	ErrMinMaxNotFloat = "ERR min or max is not a float"
	// ErrWeightNotFloat: a ZUNIONSTORE / ZINTERSTORE weight that ParseFloat rejects.
	ErrWeightNotFloat = "ERR weight value is not a float"
)
