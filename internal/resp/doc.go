// Package resp implements the Redis serialization protocol (RESP2 and
// RESP3): reading client requests, encoding replies, and, for tests and
// tools, encoding requests and parsing replies. It is a pure codec: it
// knows nothing about commands or sockets.
//
// # Requests (server side)
//
// [Reader.ReadCommand] reads one command at a time and behaves exactly like
// Redis 7.0's networking.c (processInputBuffer, processMultibulkBuffer,
// processInlineBuffer). A request starting with '*' is a multibulk request:
//
//	*<count>\r\n$<len>\r\n<len bytes>\r\n ... (count times)
//
// Any other request is an inline command: one line ending in \n or \r\n,
// split into arguments like Redis's sdssplitargs (blanks separate
// arguments; "double quotes" understand \n \r \t \b \a \\ \" and \xHH;
// 'single quotes' understand \'; a closing quote must be followed by a
// blank or the end of the line). Empty inline lines and multibulk counts
// <= 0 are skipped.
//
// Redis's quirks are kept on purpose, for compatibility:
//   - counts and lengths are parsed like Redis's string2ll: no '+', no
//     leading zeros, no "-0", no spaces, at most 20 characters;
//   - a count or length line ends at the first \r and the byte after it is
//     skipped without being checked; the two bytes after a bulk payload are
//     skipped without being checked either;
//   - a line is searched for with C string functions, so a NUL byte in a
//     count, length or inline line means the line never ends (until it
//     exceeds 64 KiB). NUL bytes in bulk payloads are fine.
//
// Limits and the resulting errors, a [*ProtocolError] whose text is what
// Redis replies after "-ERR ", after which the connection must be closed:
//
//	count line > 64 KiB without \r      Protocol error: too big mbulk count string
//	count not a number or > 2147483647  Protocol error: invalid multibulk length
//	length line > 64 KiB without \r     Protocol error: too big bulk count string
//	'x' where '$' is expected           Protocol error: expected '$', got 'x'
//	length not a number, < 0 or > Limits.MaxBulkLen (proto-max-bulk-len, 512 MiB)
//	                                    Protocol error: invalid bulk length
//	inline line > 64 KiB without \n     Protocol error: too big inline request
//	bad quoting in an inline line       Protocol error: unbalanced quotes in request
//	count > 10 before AUTH              Protocol error: unauthenticated multibulk length
//	length > 16384 before AUTH          Protocol error: unauthenticated bulk length
//
// (The "before AUTH" limits apply when Limits.Unauthenticated is set.) Like
// Redis, the Reader reads at most 16 KiB at a time (except the rest of a
// bulk argument of 32 KiB or more), so whether a line longer than 64 KiB is
// rejected depends on how the bytes arrive, exactly as with Redis.
//
// A command that needs more than Limits.MaxQueryBuffer bytes buffered
// (client-query-buffer-limit, 1 GiB) fails with [ErrQueryBufferLimit]; Redis
// closes such a client without a reply. Because the Reader returns the
// arguments without copying them, the whole command counts, where Redis
// counts only the argument being received.
//
// The Reader never allocates more than about twice (at worst four times)
// the data that actually arrived, whatever lengths a client announces, and
// releases large buffers once the command that needed them is done. Reading
// a command does not allocate once the Reader's buffers have grown.
//
// # Replies (server side)
//
// [Writer] encodes replies into a buffer in RESP2 or RESP3 (see
// [Writer.SetProtocol]); the RESP3-only types are mapped onto RESP2 as
// Redis does: maps become flat arrays, sets and pushes arrays, doubles,
// verbatim strings and big numbers bulk strings, booleans integers, nulls
// $-1 or *-1. Doubles are formatted like Redis's addReplyDouble (C's
// %.17g), see [FormatDouble].
//
// # Client side
//
// [AppendCommand] encodes a request; [ReadReply] parses one reply into a
// [Value] and [ReadRawReply] returns its exact bytes. They are meant for
// tests, tools and benchmarks.
package resp
