package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ExpectKind is the kind of reply an Expect matches.
type ExpectKind int

const (
	ExpectInt       ExpectKind = iota + 1 // 7, -3 (and :7 anywhere)
	ExpectBulk                            // "text" (and bare words inside arrays)
	ExpectNil                             // nil
	ExpectStatus                          // OK, PONG, QUEUED: a bare word at the top level
	ExpectError                           // !PREFIX, ! alone for any error
	ExpectFloat                           // ~3.1
	ExpectArray                           // [a b]: in this order
	ExpectUnordered                       // {a b}: in any order
	ExpectAny                             // *
	ExpectSame                            // same: every member replies alike (only with *:)
)

// Expect is a parsed expected reply (FORMAT.md, "Replies after =>").
type Expect struct {
	Kind  ExpectKind
	Int   int64
	Str   string // bulk or status text, error prefix
	Float float64
	Elems []*Expect // arrays
	// Source is the text the expectation was written as, for messages.
	Source string
}

// String is the expectation as written in the scenario.
func (e *Expect) String() string { return e.Source }

// ParseExpect parses the text after "=>".
func ParseExpect(s string) (*Expect, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New(`nothing after "=>"`)
	}
	if s[0] == '!' {
		// The rest of the line is the prefix the error must start with.
		return &Expect{Kind: ExpectError, Str: strings.TrimSpace(s[1:]), Source: s}, nil
	}
	p := &expectParser{s: s}
	e, err := p.elem(true)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the reply", p.s[p.i:])
	}
	return e, nil
}

type expectParser struct {
	s string
	i int
}

const maxExpectDepth = 32

func (p *expectParser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

// elem parses one element; top is true for the whole reply (where bare words are statuses and
// bare integers are integer replies) and false inside arrays (where they are bulk strings).
func (p *expectParser) elem(top bool) (*Expect, error) {
	return p.elemDepth(top, 0)
}

func (p *expectParser) elemDepth(top bool, depth int) (*Expect, error) {
	if depth > maxExpectDepth {
		return nil, errors.New("arrays nested too deeply")
	}
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, errors.New("missing reply")
	}
	start := p.i
	switch c := p.s[p.i]; c {
	case '[', '{':
		closer, kind := byte(']'), ExpectArray
		if c == '{' {
			closer, kind = '}', ExpectUnordered
		}
		p.i++
		e := &Expect{Kind: kind, Elems: []*Expect{}}
		for {
			p.skipSpace()
			if p.i >= len(p.s) {
				return nil, fmt.Errorf("missing %q", closer)
			}
			if p.s[p.i] == closer {
				p.i++
				break
			}
			if p.s[p.i] == ']' || p.s[p.i] == '}' {
				return nil, fmt.Errorf("unexpected %q", p.s[p.i])
			}
			el, err := p.elemDepth(false, depth+1)
			if err != nil {
				return nil, err
			}
			e.Elems = append(e.Elems, el)
		}
		e.Source = p.s[start:p.i]
		return e, nil
	case ']', '}':
		return nil, fmt.Errorf("unexpected %q", c)
	case '"':
		str, err := p.quoted()
		if err != nil {
			return nil, err
		}
		return &Expect{Kind: ExpectBulk, Str: str, Source: p.s[start:p.i]}, nil
	}
	for p.i < len(p.s) && !isSpace(p.s[p.i]) && !strings.ContainsRune(`[]{}"`, rune(p.s[p.i])) {
		p.i++
	}
	w := p.s[start:p.i]
	e := &Expect{Source: w}
	switch {
	case w == "nil":
		e.Kind = ExpectNil
	case w == "*":
		e.Kind = ExpectAny
	case w == "same":
		if !top {
			return nil, errors.New(`"same" must be the whole reply`)
		}
		e.Kind = ExpectSame
	case w[0] == ':' || (top && isInteger(w)):
		n, err := strconv.ParseInt(strings.TrimPrefix(w, ":"), 10, 64)
		if err != nil || !isInteger(strings.TrimPrefix(w, ":")) {
			return nil, fmt.Errorf("bad integer %q", w)
		}
		e.Kind, e.Int = ExpectInt, n
	case w[0] == '~':
		f, err := strconv.ParseFloat(w[1:], 64)
		if err != nil || math.IsNaN(f) {
			return nil, fmt.Errorf("bad number %q", w)
		}
		e.Kind, e.Float = ExpectFloat, f
	case w[0] == '!':
		return nil, fmt.Errorf("%q: an error reply must be the whole reply", w)
	case top:
		e.Kind, e.Str = ExpectStatus, w
	default:
		e.Kind, e.Str = ExpectBulk, w
	}
	return e, nil
}

func isInteger(w string) bool {
	w = strings.TrimPrefix(w, "-")
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// quoted decodes a double-quoted string with the escapes \n \r \t \" \\ and \xNN.
func (p *expectParser) quoted() (string, error) {
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		if c == '"' {
			p.i++
			return b.String(), nil
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		switch e := p.s[p.i]; e {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '"', '\\':
			b.WriteByte(e)
		case 'x':
			if p.i+2 >= len(p.s) {
				return "", errors.New(`\x needs two hex digits`)
			}
			v, err := strconv.ParseUint(p.s[p.i+1:p.i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf(`bad escape \x%s`, p.s[p.i+1:p.i+3])
			}
			b.WriteByte(byte(v))
			p.i += 2
		default:
			return "", fmt.Errorf(`unknown escape \%c`, e)
		}
	}
	return "", errors.New("unterminated string")
}
