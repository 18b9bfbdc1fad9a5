package config

import (
	"errors"
	"strings"
)

// SetErrorKind tells which of Redis's CONFIG SET errors a SetError is.
type SetErrorKind int

const (
	// ErrFailed: "CONFIG SET failed (possibly related to argument '<name>') - <reason>".
	ErrFailed SetErrorKind = iota
	// ErrUnknown: "Unknown option or number of arguments for CONFIG SET - '<name>'".
	ErrUnknown
	// ErrSyntax: an odd number of arguments ("syntax error").
	ErrSyntax
	// ErrArity: no name/value pair at all.
	ErrArity
)

// SetError is a CONFIG SET failure.
type SetError struct {
	Kind   SetErrorKind
	Name   string // the parameter, as the client spelled it or as config.c names it
	Reason string // config.c's reason text, e.g. "argument must be 'yes' or 'no'"
}

// Error returns Redis's error text without the "ERR " prefix.
func (e *SetError) Error() string {
	switch e.Kind {
	case ErrUnknown:
		return "Unknown option or number of arguments for CONFIG SET - '" + e.Name + "'"
	case ErrSyntax:
		return "syntax error"
	case ErrArity:
		return "wrong number of arguments for 'config|set' command"
	}
	if e.Reason == "" {
		return "CONFIG SET failed (possibly related to argument '" + e.Name + "')"
	}
	return "CONFIG SET failed (possibly related to argument '" + e.Name + "') - " + e.Reason
}

// SetErrorReply returns the error reply Redis 7.0 sends for a failed CONFIG
// SET, without the leading '-' and the CRLF, e.g. "ERR CONFIG SET failed
// (possibly related to argument 'port') - argument couldn't be parsed into
// an integer". Like Redis's addReplyErrorFormat, it turns CR and LF into
// spaces so that the reply stays one line.
func SetErrorReply(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var se *SetError
	if !errors.As(err, &se) && strings.HasPrefix(msg, "ERR ") {
		msg = msg[4:]
	}
	return "ERR " + strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, msg)
}
