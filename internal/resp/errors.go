package resp

import "errors"

// ProtocolError is returned by [Reader.ReadCommand] when a client sends a
// malformed request. Its Error text is exactly the message Redis 7.0 sends
// to the client, without the leading "ERR " error code, e.g.
// "Protocol error: invalid bulk length". A server replies with
// "-ERR " + Error() and then closes the connection, as Redis does.
//
// Protocol errors are sticky: once one is returned, every further call to
// ReadCommand on the same Reader returns the same error.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return e.Msg }

// The fixed protocol error messages of Redis 7.0 (networking.c).
var (
	errInvalidMultibulkLen = &ProtocolError{"Protocol error: invalid multibulk length"}
	errInvalidBulkLen      = &ProtocolError{"Protocol error: invalid bulk length"}
	errTooBigInline        = &ProtocolError{"Protocol error: too big inline request"}
	errTooBigMbulkCount    = &ProtocolError{"Protocol error: too big mbulk count string"}
	errTooBigBulkCount     = &ProtocolError{"Protocol error: too big bulk count string"}
	errUnbalancedQuotes    = &ProtocolError{"Protocol error: unbalanced quotes in request"}
	errUnauthMultibulkLen  = &ProtocolError{"Protocol error: unauthenticated multibulk length"}
	errUnauthBulkLen       = &ProtocolError{"Protocol error: unauthenticated bulk length"}
)

// expectedDollarError builds "Protocol error: expected '$', got 'c'". Redis
// formats it with addReplyErrorFormat, which turns \r and \n into spaces.
func expectedDollarError(c byte) *ProtocolError {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return &ProtocolError{"Protocol error: expected '$', got '" + string([]byte{c}) + "'"}
}

// ErrQueryBufferLimit is returned by [Reader.ReadCommand] when a single
// command would need more than [Limits.MaxQueryBuffer] bytes buffered.
// Redis closes such a client without sending any reply. It is sticky like
// a [ProtocolError].
var ErrQueryBufferLimit = errors.New("resp: client query buffer limit exceeded")

// ErrInvalidReply is wrapped by the errors [ReadReply] and [ReadRawReply]
// return when the server's reply is not valid RESP2/RESP3.
var ErrInvalidReply = errors.New("resp: invalid reply")
