package command

import (
	"bytes"
	"math"
	"strconv"

	"github.com/concord-db/concord/internal/glob"
)

// parseScanCursor reads a SCAN cursor as Redis's parseScanCursorOrReply does with strtoul:
// an optional sign (a negative cursor wraps around), decimal digits, no leading space, no
// overflow. The argument ends at its first NUL byte, as a C string does.
func parseScanCursor(b []byte) (uint64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return 0, true // strtoul("") is 0 and consumes everything there is
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 0, false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false // ERANGE
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

// scanOptions are the options of SCAN, SSCAN and HSCAN.
type scanOptions struct {
	count    int    // slots to visit
	pattern  []byte // nil: every name matches
	typeName []byte // SCAN only; nil: any type
}

// parseScanOptions reads COUNT, MATCH (and, for SCAN, TYPE) from argument from on, as Redis's
// scanGenericCommand does.
func parseScanOptions(c *Ctx, from int, allowType bool) (scanOptions, error) {
	o := scanOptions{count: 10}
	for i := from; i < len(c.Args); i += 2 {
		more := len(c.Args) - i
		switch {
		case c.Is(i, "count") && more >= 2:
			n, err := c.Int(i + 1)
			if err != nil {
				return o, err
			}
			if n < 1 {
				return o, ErrSyntax
			}
			o.count = int(min(n, math.MaxInt32))
		case c.Is(i, "match") && more >= 2:
			o.pattern = c.Args[i+1]
			if len(o.pattern) == 1 && o.pattern[0] == '*' {
				o.pattern = nil // matches everything: skip the glob
			}
		case allowType && c.Is(i, "type") && more >= 2:
			o.typeName = c.Args[i+1]
		default:
			return o, ErrSyntax
		}
	}
	return o, nil
}

// matches reports whether name passes MATCH.
func (o *scanOptions) matches(name []byte) bool {
	return o.pattern == nil || glob.Match(o.pattern, name, false)
}

// replyScanHeader writes the start of a SCAN-family reply: the next cursor and the length of
// the list that follows.
func replyScanHeader(c *Ctx, next uint64, n int) {
	c.W.ArrayLen(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.ArrayLen(n)
}
