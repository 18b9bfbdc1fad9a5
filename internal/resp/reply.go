package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Value is one reply read by [ReadReply] (client side).
type Value struct {
	// Kind is the RESP type byte: '+' simple string, '-' error, ':' integer,
	// '$' bulk string, '*' array, '_' null, ',' double, '#' boolean,
	// '=' verbatim string, '(' big number, '!' bulk error, '%' map, '~' set,
	// '>' push, '|' attribute. A RESP2 null is Kind '$' or '*' with Null
	// set; a RESP3 null is Kind '_' (Null set too).
	Kind byte
	// Str is the text of simple strings, errors, bulk strings, verbatim
	// strings (without the "txt:" prefix), doubles, big numbers and
	// booleans ("t" or "f").
	Str string
	// Int is the value of an integer, or 1/0 for a boolean.
	Int int64
	// Null marks a null reply.
	Null bool
	// Elems are the elements of arrays, sets and pushes, and the flattened
	// key, value, key, value... of maps and attributes.
	Elems []Value
}

// ReadReply reads one reply from br.
//
// An attribute (|) is returned as a Value of its own: at top level the
// reply it annotates is the one the next call returns; inside an
// aggregate it is an extra element just before the element it annotates
// (not counted in the aggregate's announced length).
//
// It returns io.EOF if br is at EOF before the reply, io.ErrUnexpectedEOF
// if the reply is cut short, and an error wrapping [ErrInvalidReply] if
// the input is not RESP.
func ReadReply(br *bufio.Reader) (Value, error) {
	p := replyParser{br: br, build: true}
	return p.read()
}

// ReadRawReply reads one complete reply (nested elements included) from br
// and returns its exact bytes. Attributes are handled as in ReadReply.
func ReadRawReply(br *bufio.Reader) ([]byte, error) {
	p := replyParser{br: br, keepRaw: true}
	if _, err := p.read(); err != nil {
		return nil, err
	}
	return p.raw, nil
}

func invalidReply(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidReply}, args...)...)
}

type replyParser struct {
	br      *bufio.Reader
	build   bool   // build Values
	keepRaw bool   // collect the raw bytes in raw
	raw     []byte // raw bytes read so far
	started bool   // some byte of the reply was read
	long    []byte // scratch for lines longer than br's buffer
}

// readLine reads a line and returns it without its \r\n. The result is
// only valid until the next read.
func (p *replyParser) readLine() ([]byte, error) {
	line, err := p.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		p.long = append(p.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = p.br.ReadSlice('\n')
			p.long = append(p.long, line...)
		}
		line = p.long
	}
	if err != nil {
		if err == io.EOF {
			if len(line) == 0 && !p.started {
				return nil, io.EOF
			}
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	p.started = true
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, invalidReply("line not terminated by CRLF: %q", line)
	}
	if p.keepRaw {
		p.raw = append(p.raw, line...)
	}
	return line[:len(line)-2], nil
}

// readBlob reads n bytes and the CRLF after them.
func (p *replyParser) readBlob(n int64) ([]byte, error) {
	// Grow as data arrives rather than trusting n up front.
	const chunk = 64 << 10
	total := n + 2
	data := make([]byte, 0, min(total, chunk))
	for int64(len(data)) < total {
		step := min(total-int64(len(data)), max(int64(len(data)), chunk))
		data = append(data, make([]byte, step)...)
		if _, err := io.ReadFull(p.br, data[int64(len(data))-step:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	if data[n] != '\r' || data[n+1] != '\n' {
		return nil, invalidReply("bulk payload not terminated by CRLF")
	}
	if p.keepRaw {
		p.raw = append(p.raw, data...)
	}
	return data[:n], nil
}

// maxReplyLen bounds announced lengths so that the arithmetic on them
// cannot overflow; memory is only allocated as data arrives.
const maxReplyLen = 1 << 60

func parseLength(kind byte, body []byte) (int64, error) {
	n, err := strconv.ParseInt(string(body), 10, 64)
	if err != nil || n < -1 || n > maxReplyLen {
		return 0, invalidReply("bad length %q after %q", body, kind)
	}
	return n, nil
}

func (p *replyParser) read() (Value, error) {
	line, err := p.readLine()
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, invalidReply("empty line")
	}
	v := Value{Kind: line[0]}
	body := line[1:]
	switch v.Kind {
	case '+', '-', ',', '(':
		if p.build {
			v.Str = string(body)
		}
	case ':':
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return Value{}, invalidReply("bad integer %q", body)
		}
		v.Int = n
	case '_':
		if len(body) != 0 {
			return Value{}, invalidReply("bad null %q", line)
		}
		v.Null = true
	case '#':
		switch string(body) {
		case "t":
			v.Str, v.Int = "t", 1
		case "f":
			v.Str = "f"
		default:
			return Value{}, invalidReply("bad boolean %q", line)
		}
	case '$', '=', '!':
		n, err := parseLength(v.Kind, body)
		if err != nil {
			return Value{}, err
		}
		if n == -1 {
			if v.Kind != '$' {
				return Value{}, invalidReply("bad length -1 after %q", v.Kind)
			}
			v.Null = true
			return v, nil
		}
		data, err := p.readBlob(n)
		if err != nil {
			return Value{}, err
		}
		if v.Kind == '=' {
			if len(data) < 4 || data[3] != ':' {
				return Value{}, invalidReply("verbatim string without format: %q", data)
			}
			data = data[4:]
		}
		if p.build {
			v.Str = string(data)
		}
	case '*', '%', '~', '>', '|':
		n, err := parseLength(v.Kind, body)
		if err != nil {
			return Value{}, err
		}
		if n == -1 {
			if v.Kind != '*' {
				return Value{}, invalidReply("bad length -1 after %q", v.Kind)
			}
			v.Null = true
			return v, nil
		}
		if v.Kind == '%' || v.Kind == '|' {
			n *= 2
		}
		if p.build {
			v.Elems = make([]Value, 0, min(n, 1024))
		}
		for i := int64(0); i < n; {
			e, err := p.read()
			if err != nil {
				return Value{}, err
			}
			if p.build {
				v.Elems = append(v.Elems, e)
			}
			if e.Kind != '|' { // attributes are not counted
				i++
			}
		}
	default:
		return Value{}, invalidReply("unknown reply type %q", v.Kind)
	}
	return v, nil
}

// String returns a readable one-line rendering of v for messages, e.g.
// [+OK, :1, "bulk", (nil), {"k": ,1.5}].
func (v Value) String() string {
	var sb strings.Builder
	v.format(&sb)
	return sb.String()
}

func (v Value) format(sb *strings.Builder) {
	switch v.Kind {
	case '$', '_':
		if v.Null {
			sb.WriteString("(nil)")
			return
		}
		sb.WriteString(strconv.Quote(v.Str))
	case '=':
		sb.WriteByte('=')
		sb.WriteString(strconv.Quote(v.Str))
	case '!':
		sb.WriteByte('!')
		sb.WriteString(strconv.Quote(v.Str))
	case ':':
		sb.WriteByte(':')
		sb.WriteString(strconv.FormatInt(v.Int, 10))
	case '*', '~', '>':
		if v.Null {
			sb.WriteString("(nil array)")
			return
		}
		if v.Kind != '*' {
			sb.WriteByte(v.Kind)
		}
		sb.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				sb.WriteString(", ")
			}
			e.format(sb)
		}
		sb.WriteByte(']')
	case '%', '|':
		if v.Kind == '|' {
			sb.WriteByte('|')
		}
		sb.WriteByte('{')
		for i, e := range v.Elems {
			switch {
			case i%2 == 1:
				sb.WriteString(": ")
			case i > 0:
				sb.WriteString(", ")
			}
			e.format(sb)
		}
		sb.WriteByte('}')
	case 0:
		sb.WriteString("(invalid)")
	default: // '+', '-', ',', '#', '('
		sb.WriteByte(v.Kind)
		sb.WriteString(v.Str)
	}
}
