package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/concord-db/concord/test/testserver"
)

// Match reports whether the reply r satisfies e, and if not, why. ExpectSame cannot be judged
// on one reply (see SameReplies) and always fails here.
func (e *Expect) Match(r *testserver.Reply) error {
	if e.match(r) {
		return nil
	}
	return fmt.Errorf("expected %s, got %s", e.Source, Render(r))
}

func (e *Expect) match(r *testserver.Reply) bool {
	switch e.Kind {
	case ExpectAny:
		return true
	case ExpectNil:
		return r.IsNull()
	case ExpectInt:
		return r.Type == ':' && r.Str == strconv.FormatInt(e.Int, 10)
	case ExpectBulk:
		return (r.Type == '$' || r.Type == '=') && !r.Null && r.Str == e.Str
	case ExpectStatus:
		return r.Type == '+' && r.Str == e.Str
	case ExpectError:
		return r.IsError() && strings.HasPrefix(r.Str, e.Str)
	case ExpectFloat:
		if (r.Type != '$' && r.Type != ',') || r.Null {
			return false
		}
		f, err := strconv.ParseFloat(r.Str, 64)
		return err == nil && floatEqual(f, e.Float)
	case ExpectArray:
		if !isArray(r) || len(r.Elems) != len(e.Elems) {
			return false
		}
		for i, x := range e.Elems {
			if !x.match(r.Elems[i]) {
				return false
			}
		}
		return true
	case ExpectUnordered:
		return isArray(r) && len(r.Elems) == len(e.Elems) && matchAnyOrder(e.Elems, r.Elems)
	}
	return false
}

// isArray accepts RESP2 arrays and RESP3 sets (SMEMBERS replies with a set in RESP3).
func isArray(r *testserver.Reply) bool { return (r.Type == '*' || r.Type == '~') && !r.Null }

// floatEqual compares within 1e-9 relative (FORMAT.md "~").
func floatEqual(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// matchAnyOrder reports whether every expected element can be paired with a distinct actual
// element it matches (a bipartite matching: patterns such as * or ~1 can match several
// elements, so pairing greedily could miss a valid assignment).
func matchAnyOrder(want []*Expect, got []*testserver.Reply) bool {
	// pairedWith[j] is the expected element currently paired with got[j], or -1.
	pairedWith := make([]int, len(got))
	for j := range pairedWith {
		pairedWith[j] = -1
	}
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j := range got {
			if seen[j] || !want[i].match(got[j]) {
				continue
			}
			seen[j] = true
			if pairedWith[j] < 0 || try(pairedWith[j], seen) {
				pairedWith[j] = i
				return true
			}
		}
		return false
	}
	for i := range want {
		if !try(i, make([]bool, len(got))) {
			return false
		}
	}
	return true
}

// SameReplies checks a "same" expectation: every reply is identical and none is an error.
// names are the members the replies came from, in order.
func SameReplies(names []string, replies []*testserver.Reply) error {
	for i, r := range replies {
		if r.IsError() {
			return fmt.Errorf("expected the same reply everywhere, got %s from %s", Render(r), names[i])
		}
		if i > 0 && string(r.Bytes()) != string(replies[0].Bytes()) {
			return fmt.Errorf("expected the same reply everywhere, got %s from %s and %s from %s",
				Render(replies[0]), names[0], Render(r), names[i])
		}
	}
	return nil
}

// Render writes a reply in the notation of scenario files, so that a failure shows the
// actual reply the way the expected one is written.
func Render(r *testserver.Reply) string {
	var b strings.Builder
	render(&b, r, true)
	return b.String()
}

func render(b *strings.Builder, r *testserver.Reply, top bool) {
	switch {
	case r.IsNull():
		b.WriteString("nil")
	case r.Type == ':':
		if !top {
			b.WriteByte(':')
		}
		b.WriteString(r.Str)
	case r.Type == '+':
		if top {
			b.WriteString(r.Str)
		} else {
			b.WriteString("+" + r.Str)
		}
	case r.IsError():
		b.WriteString("!" + r.Str)
	case r.Type == ',':
		b.WriteString("~" + r.Str)
	case r.IsAggregate():
		b.WriteByte('[')
		for i, e := range r.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			render(b, e, false)
		}
		b.WriteByte(']')
	case r.Type == '$' || r.Type == '=':
		b.WriteString(quote(r.Str))
	default:
		b.WriteString(r.String())
	}
}

// quote writes s as a scenario string literal (escapes \n \r \t \" \\ and \xNN).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
