package command

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an error whose text is the exact RESP error reply (without the leading '-').
type Error string

func (e Error) Error() string { return string(e) }

// Redis's error replies, as Redis 7.0 words them.
const (
	ErrWrongType       Error = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrSyntax          Error = "ERR syntax error"
	ErrNotInteger      Error = "ERR value is not an integer or out of range"
	ErrNotFloat        Error = "ERR value is not a valid float"
	ErrOverflow        Error = "ERR increment or decrement would overflow"
	ErrNaNOrInf        Error = "ERR increment would produce NaN or Infinity"
	ErrNoSuchKey       Error = "ERR no such key"
	ErrDBIndex         Error = "ERR DB index is out of range"
	ErrInvalidDB       Error = "ERR invalid DB index"
	ErrNoAuth          Error = "NOAUTH Authentication required."
	ErrWrongPass       Error = "WRONGPASS invalid username-password pair or user is disabled."
	ErrStringTooLong   Error = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrInvalidCursor   Error = "ERR invalid cursor"
	ErrExecAbort       Error = "EXECABORT Transaction discarded because of previous errors."
	ErrNestedMulti     Error = "ERR MULTI calls can not be nested"
	ErrExecNoMulti     Error = "ERR EXEC without MULTI"
	ErrDiscardNoMulti  Error = "ERR DISCARD without MULTI"
	ErrWatchInMulti    Error = "ERR WATCH inside MULTI is not allowed"
	ErrSameObject      Error = "ERR source and destination objects are the same"
	ErrTimeout         Error = "ERR timeout is not an integer or out of range"
	ErrInvalidExpire   Error = "ERR invalid expire time in '%s' command"
	ErrNegativeOffset  Error = "ERR offset is out of range"
	ErrMaxClients      Error = "ERR max number of clients reached"
	ErrAuthNoPassword  Error = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	ErrUnknownProtover Error = "NOPROTO unsupported protocol version"
)

// errorTable maps errors from the layers below to their RESP replies. Errors not listed reply
// with their own text when it already starts with an upper-case error code, and as "ERR <text>"
// otherwise.
var errorTable = []struct {
	err   error
	reply string
}{}

// replyText is the one mapping from an error to the text of its RESP error reply.
func replyText(err error) string {
	var e Error
	if errors.As(err, &e) {
		return string(e)
	}
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			return row.reply
		}
	}
	s := err.Error()
	if code, _, ok := strings.Cut(s, " "); ok && code != "" && strings.ToUpper(code) == code && code[0] >= 'A' && code[0] <= 'Z' {
		return s
	}
	return "ERR " + s
}

// errorf builds an Error from a format (texts containing the command name or an argument).
func errorf(format string, args ...any) Error { return Error(fmt.Sprintf(format, args...)) }
