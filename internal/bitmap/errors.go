package bitmap

// Error texts of the bit commands in Redis 7.0, each the text after the '-' of the error
// reply, checked against redis-server 7.0.15.
const (
	// ErrBitOffset: a GETBIT, SETBIT or BITFIELD offset that ParseOffset rejects or that is
	// past the size limit (CheckOffset). BITFIELD uses the same text.
	ErrBitOffset = "ERR bit offset is not an integer or out of range"
	// ErrBitValue: a SETBIT value that is not 0 or 1 (ParseBit).
	ErrBitValue = "ERR bit is not an integer or out of range"
	// ErrBitArg: a BITPOS bit argument that is an integer other than 0 or 1. (A non-integer
	// is ErrNotInteger.)
	ErrBitArg = "ERR The bit argument must be 1 or 0."
	// ErrBitopNot: BITOP NOT with other than one source key.
	ErrBitopNot = "ERR BITOP NOT must be called with a single source key."
	// ErrBitfieldType: a BITFIELD type that ParseType rejects.
	ErrBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	// ErrOverflowType: a BITFIELD OVERFLOW argument that ParseOverflow rejects.
	ErrOverflowType = "ERR Invalid OVERFLOW type specified"
	// ErrBitfieldRO: BITFIELD_RO with a SET or INCRBY subcommand (reported after the whole
	// command parsed).
	ErrBitfieldRO = "ERR BITFIELD_RO only supports the GET subcommand"
	// ErrNotInteger: a BITCOUNT or BITPOS start or end, a BITPOS bit, or a BITFIELD SET or
	// INCRBY value that is not an integer (redisnum.ParseInt).
	ErrNotInteger = "ERR value is not an integer or out of range"
	// ErrSyntax: Redis's generic syntax error, used by BITCOUNT and BITPOS for a bad unit or
	// argument count, by BITOP for an unknown operation and by BITFIELD for an unknown or
	// incomplete subcommand.
	ErrSyntax = "ERR syntax error"
)
