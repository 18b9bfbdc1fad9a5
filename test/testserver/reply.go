package testserver

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Reply is a parsed RESP2/RESP3 reply, used by tests that normalise or inspect replies. Bytes()
// re-encodes it exactly as it was received.
type Reply struct {
	// Type is the RESP type byte: + - : $ * _ , # ( = ! % ~ > (attributes are kept in Attr).
	Type byte
	// Str holds the payload of simple strings, errors, bulk/verbatim/blob-error strings, and the
	// textual form of integers, doubles, big numbers and booleans.
	Str string
	// Null is set for RESP2 null bulk ($-1) and null array (*-1).
	Null bool
	// Elems holds array/set/push elements, and map entries as key, value, key, value ...
	Elems []*Reply
	// Attr is an attribute map (|) that preceded this reply, if any.
	Attr *Reply
}

// ParseReply parses one raw reply.
func ParseReply(raw []byte) (*Reply, error) {
	r := bufio.NewReader(bytes.NewReader(raw))
	rep, err := parseReply(r, 0)
	if err != nil {
		return nil, err
	}
	if r.Buffered() != 0 {
		return nil, fmt.Errorf("resp: %d trailing bytes after reply", r.Buffered())
	}
	return rep, nil
}

// MustParse parses a raw reply or panics; for replies already framed by a Conn.
func MustParse(raw []byte) *Reply {
	rep, err := ParseReply(raw)
	if err != nil {
		panic(fmt.Sprintf("%v: %q", err, raw))
	}
	return rep
}

func parseReply(r *bufio.Reader, depth int) (*Reply, error) {
	if depth > maxReplyDepth {
		return nil, fmt.Errorf("resp: nested too deeply")
	}
	var scratch []byte
	line, err := readLine(r, &scratch)
	if err != nil {
		return nil, err
	}
	rep := &Reply{Type: scratch[0]}
	switch rep.Type {
	case '+', '-', ',', '(':
		rep.Str = line
	case ':':
		if _, err := strconv.ParseInt(line, 10, 64); err != nil {
			return nil, fmt.Errorf("resp: bad integer %q", line)
		}
		rep.Str = line
	case '#':
		if line != "t" && line != "f" {
			return nil, fmt.Errorf("resp: bad boolean %q", line)
		}
		rep.Str = line
	case '_':
		if line != "" {
			return nil, fmt.Errorf("resp: bad null %q", line)
		}
	case '$', '=', '!':
		n, err := parseLen(line, rep.Type == '$')
		if err != nil {
			return nil, err
		}
		if n < 0 {
			rep.Null = true
			return rep, nil
		}
		buf := make([]byte, n+2)
		if _, err := readFull(r, buf); err != nil {
			return nil, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return nil, fmt.Errorf("resp: bulk of %d bytes not followed by CRLF", n)
		}
		rep.Str = string(buf[:n])
	case '*', '~', '>', '%', '|':
		n, err := parseLen(line, rep.Type == '*')
		if err != nil {
			return nil, err
		}
		if n < 0 {
			rep.Null = true
			return rep, nil
		}
		if rep.Type == '%' || rep.Type == '|' {
			n *= 2
		}
		rep.Elems = make([]*Reply, 0, n)
		for i := int64(0); i < n; i++ {
			e, err := parseReply(r, depth+1)
			if err != nil {
				return nil, err
			}
			rep.Elems = append(rep.Elems, e)
		}
		if rep.Type == '|' {
			next, err := parseReply(r, depth+1)
			if err != nil {
				return nil, err
			}
			next.Attr = rep
			return next, nil
		}
	default:
		return nil, fmt.Errorf("resp: unknown type %q", rep.Type)
	}
	return rep, nil
}

// Bytes re-encodes the reply.
func (r *Reply) Bytes() []byte { return r.AppendTo(nil) }

// AppendTo appends the encoding of r to dst.
func (r *Reply) AppendTo(dst []byte) []byte {
	if r.Attr != nil {
		dst = r.Attr.AppendTo(dst)
	}
	dst = append(dst, r.Type)
	switch r.Type {
	case '+', '-', ':', ',', '(', '#', '_':
		dst = append(dst, r.Str...)
		return append(dst, '\r', '\n')
	case '$', '=', '!':
		if r.Null {
			return append(dst, "-1\r\n"...)
		}
		dst = strconv.AppendInt(dst, int64(len(r.Str)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, r.Str...)
		return append(dst, '\r', '\n')
	default:
		if r.Null {
			return append(dst, "-1\r\n"...)
		}
		n := len(r.Elems)
		if r.Type == '%' || r.Type == '|' {
			n /= 2
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, '\r', '\n')
		for _, e := range r.Elems {
			dst = e.AppendTo(dst)
		}
		return dst
	}
}

// IsError reports whether the reply is an error (simple or blob).
func (r *Reply) IsError() bool { return r.Type == '-' || r.Type == '!' }

// IsNull reports whether the reply is a RESP2 or RESP3 null.
func (r *Reply) IsNull() bool { return r.Null || r.Type == '_' }

// IsAggregate reports whether the reply has elements.
func (r *Reply) IsAggregate() bool {
	switch r.Type {
	case '*', '~', '>', '%':
		return !r.Null
	}
	return false
}

// Int returns the value of an integer reply (or a bulk/simple string holding an integer).
func (r *Reply) Int() (int64, bool) {
	switch r.Type {
	case ':', '$', '+':
		n, err := strconv.ParseInt(r.Str, 10, 64)
		return n, err == nil && !r.Null
	}
	return 0, false
}

// Strings returns the elements of an aggregate of strings.
func (r *Reply) Strings() []string {
	out := make([]string, 0, len(r.Elems))
	for _, e := range r.Elems {
		out = append(out, e.Str)
	}
	return out
}

// Shape describes the type structure of a reply, without values: e.g. "*[$,$]" or "%{+:$}".
// Aggregates of uniform element shape are summarised as "*[$...]".
func (r *Reply) Shape() string {
	var b strings.Builder
	r.shape(&b)
	return b.String()
}

func (r *Reply) shape(b *strings.Builder) {
	if r.IsNull() {
		b.WriteString("null")
		return
	}
	switch r.Type {
	case '*', '~', '>', '%':
		open, close := "[", "]"
		if r.Type == '%' {
			open, close = "{", "}"
		}
		b.WriteByte(r.Type)
		b.WriteString(open)
		shapes := make([]string, len(r.Elems))
		uniform := true
		for i, e := range r.Elems {
			shapes[i] = e.Shape()
			if shapes[i] != shapes[0] {
				uniform = false
			}
		}
		if uniform && len(shapes) > 1 {
			b.WriteString(shapes[0])
			b.WriteString("...")
		} else {
			b.WriteString(strings.Join(shapes, ","))
		}
		b.WriteString(close)
	default:
		b.WriteByte(r.Type)
	}
}

// String renders the reply in a compact, readable form for failure messages.
func (r *Reply) String() string {
	var b strings.Builder
	r.render(&b)
	return b.String()
}

func (r *Reply) render(b *strings.Builder) {
	if r.Attr != nil {
		b.WriteString("|")
		r.Attr.render(b)
	}
	switch {
	case r.Null:
		b.WriteString("(nil)")
		return
	case r.Type == '_':
		b.WriteString("(null)")
		return
	}
	switch r.Type {
	case '+':
		b.WriteString(r.Str)
	case '-', '!':
		b.WriteString("(error) " + r.Str)
	case ':':
		b.WriteString("(integer) " + r.Str)
	case ',':
		b.WriteString("(double) " + r.Str)
	case '(':
		b.WriteString("(big) " + r.Str)
	case '#':
		b.WriteString("(bool) " + r.Str)
	case '$', '=':
		b.WriteString(strconv.Quote(r.Str))
	default:
		b.WriteByte(r.Type)
		b.WriteByte('[')
		for i, e := range r.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.render(b)
		}
		b.WriteByte(']')
	}
}

// SortElems sorts the elements of an aggregate by their encoding (for replies whose order is
// unspecified, like KEYS or SMEMBERS). Maps are sorted by key, keeping each value with its key.
func (r *Reply) SortElems() {
	if r.Type == '%' || r.Type == '|' {
		type kv struct{ k, v *Reply }
		pairs := make([]kv, 0, len(r.Elems)/2)
		for i := 0; i+1 < len(r.Elems); i += 2 {
			pairs = append(pairs, kv{r.Elems[i], r.Elems[i+1]})
		}
		sort.SliceStable(pairs, func(i, j int) bool { return bytes.Compare(pairs[i].k.Bytes(), pairs[j].k.Bytes()) < 0 })
		for i, p := range pairs {
			r.Elems[2*i], r.Elems[2*i+1] = p.k, p.v
		}
		return
	}
	sort.SliceStable(r.Elems, func(i, j int) bool { return bytes.Compare(r.Elems[i].Bytes(), r.Elems[j].Bytes()) < 0 })
}

// SortPairs sorts a flat array of key, value, key, value ... by key (RESP2 form of a map).
func (r *Reply) SortPairs() {
	t := r.Type
	r.Type = '%'
	r.SortElems()
	r.Type = t
}

// Quote renders raw reply bytes readably for failure messages, truncating very long replies.
func Quote(raw []byte) string {
	const max = 2000
	if len(raw) > max {
		return strconv.Quote(string(raw[:max])) + fmt.Sprintf("... (%d bytes)", len(raw))
	}
	return strconv.Quote(string(raw))
}
