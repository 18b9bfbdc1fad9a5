// Package bitmap implements Redis 7.0's bit operations on byte strings (bitops.c): GETBIT,
// SETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD, as pure functions on []byte, with the argument
// parsers and error texts those commands use.
//
// Bits are numbered from the most significant bit of the first byte: bit 0 is 0x80 of b[0],
// bit 9 is 0x40 of b[1]. Bits past the end of a string read as 0, and writes grow the string
// with zero bytes. Functions that write (SetBit, Set, IncrBy, Grow) modify b in place and
// return it, or a grown copy, as append does.
//
// What is left to the command implementation, in Redis 7.0's order:
//
//   - GETBIT and SETBIT: ParseOffset(arg, 0), then CheckOffset, then (SETBIT) ParseBit; all
//     before the key is looked up. A missing key reads as an empty string.
//   - BITCOUNT key [start end [BYTE|BIT]]: a missing key replies 0 before anything else is
//     looked at, whatever the arguments ("BITCOUNT nokey 1" and "BITCOUNT nokey a b c" are 0).
//     Otherwise any other number of arguments is ErrSyntax; start and end are parsed with
//     redisnum.ParseInt (ErrNotInteger); when both are negative and start > end the reply is
//     0 without looking at the unit; then the unit must be BYTE or BIT, in any case (else
//     ErrSyntax). "BITCOUNT key" is Count(b, 0, -1, false).
//   - BITPOS key bit [start [end [BYTE|BIT]]]: bit is parsed first (ErrNotInteger, then
//     ErrBitArg unless 0 or 1); then a missing key replies -1 for bit 1 and 0 for bit 0,
//     whatever the other arguments; then too many arguments is ErrSyntax, start is parsed
//     (ErrNotInteger), then the unit (ErrSyntax), then end (ErrNotInteger). "BITPOS key bit"
//     is Pos(b, bit, 0, -1, false, false). An existing empty string gives -1 even when
//     looking for 0.
//   - BITOP: the operation name (ErrSyntax), NOT with one source only (ErrBitopNot); missing
//     keys are empty strings; when the result is empty the destination is deleted. The reply
//     is the length of the result.
//   - BITFIELD: subcommands are parsed left to right (ErrSyntax when a subcommand is unknown
//     or lacks arguments, ErrOverflowType, ErrBitfieldType, ErrBitOffset, ErrNotInteger for a
//     SET or INCRBY value); OVERFLOW applies to the operations after it. Before running the
//     operations, if any is a SET or INCRBY, the key is created or grown (Grow) to hold the
//     highest bit any of them writes, even when some fail with OVERFLOW FAIL. GETs in the same
//     command see the grown string. BITFIELD_RO allows GET only (ErrBitfieldRO).
package bitmap
