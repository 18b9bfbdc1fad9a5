package commandspec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// parse decodes commands.json (the schema written by gen/main.go).
//
// It is a decoder for exactly this schema rather than encoding/json, which
// takes about 11 ms for the file (reflection); this one takes about a tenth
// of that. The tests check it against an encoding/json decoding of the same
// file, with unknown fields disallowed there.
//
// data is a string so that the decoded strings can share its memory (the
// embedded file lives in the binary's read-only data).
func parse(data string) (*registry, error) {
	d := &decoder{b: data}
	r := &registry{byName: make(map[string]*Command, 512)}
	var types map[string]string
	d.object(func(key string) {
		switch key {
		case "redis_version":
			r.version = d.str()
		case "resp3_types":
			types = map[string]string{}
			d.object(func(k string) { types[k] = d.str() })
		case "commands":
			d.array(func() { r.all = append(r.all, d.command(r, nil)) })
		default:
			d.skip()
		}
	})
	d.end()
	if d.err != nil {
		return nil, d.err
	}
	if err := r.types.fill(types); err != nil {
		return nil, err
	}
	return r, nil
}

func (d *decoder) command(r *registry, parent *Command) *Command {
	c := &Command{Parent: parent}
	hasDocs := false
	d.object(func(key string) {
		switch key {
		case "name":
			c.Name = d.str()
		case "arity":
			c.Arity = d.int()
		case "flags":
			c.Flags = d.strs()
		case "first_key":
			c.FirstKey = d.int()
		case "last_key":
			c.LastKey = d.int()
		case "step":
			c.Step = d.int()
		case "acl_categories":
			c.Categories = d.strs()
		case "tips":
			c.Tips = d.strs()
		case "key_specs":
			d.array(func() { c.KeySpecs = append(c.KeySpecs, d.keySpec()) })
		case "subcommands":
			d.array(func() { c.Subcommands = append(c.Subcommands, d.command(r, c)) })
		case "docs":
			hasDocs = true
			d.docs(c)
		default:
			d.skip()
		}
	})
	if d.err != nil {
		return c
	}
	if !hasDocs || c.Name == "" || c.Name != lower(c.Name) || r.byName[c.Name] != nil {
		d.fail(fmt.Sprintf("command %q: missing docs, bad or duplicate name", c.Name))
		return c
	}
	if parent != nil && !strings.HasPrefix(c.Name, parent.Name+"|") {
		d.fail(fmt.Sprintf("subcommand %q of %q", c.Name, parent.Name))
	}
	r.byName[c.Name] = c
	c.prepareKeys()
	return c
}

func (d *decoder) keySpec() KeySpec {
	var ks KeySpec
	d.object(func(key string) {
		switch key {
		case "notes":
			ks.Notes = d.str()
		case "flags":
			ks.Flags = d.strs()
		case "begin_search":
			d.object(func(key string) {
				switch key {
				case "type":
					ks.BeginSearch.Type = d.str()
				case "spec":
					d.object(func(key string) {
						switch key {
						case "index":
							ks.BeginSearch.Index = d.int()
						case "keyword":
							ks.BeginSearch.Keyword = d.str()
						case "startfrom":
							ks.BeginSearch.StartFrom = d.int()
						default:
							d.skip()
						}
					})
				default:
					d.skip()
				}
			})
		case "find_keys":
			d.object(func(key string) {
				switch key {
				case "type":
					ks.FindKeys.Type = d.str()
				case "spec":
					d.object(func(key string) {
						switch key {
						case "lastkey":
							ks.FindKeys.LastKey = d.int()
						case "keystep":
							ks.FindKeys.KeyStep = d.int()
						case "limit":
							ks.FindKeys.Limit = d.int()
						case "keynumidx":
							ks.FindKeys.KeyNumIdx = d.int()
						case "firstkey":
							ks.FindKeys.FirstKey = d.int()
						default:
							d.skip()
						}
					})
				default:
					d.skip()
				}
			})
		default:
			d.skip()
		}
	})
	return ks
}

func (d *decoder) docs(c *Command) {
	d.object(func(key string) {
		switch key {
		case "summary":
			c.Docs.Summary = d.str()
		case "since":
			c.Docs.Since = d.str()
		case "group":
			c.Group = d.str()
		case "complexity":
			c.Docs.Complexity = d.str()
		case "doc_flags":
			c.Docs.DocFlags = d.strs()
		case "deprecated_since":
			c.Docs.DeprecatedSince = d.str()
		case "replaced_by":
			c.Docs.ReplacedBy = d.str()
		case "history":
			d.array(func() {
				var h []string
				d.array(func() { h = append(h, d.str()) })
				if len(h) != 2 {
					d.fail("history entry is not a [version, description] pair")
					return
				}
				c.Docs.History = append(c.Docs.History, History{Version: h[0], Description: h[1]})
			})
		case "arguments":
			c.Docs.Arguments = d.arguments()
		default:
			d.skip()
		}
	})
}

func (d *decoder) arguments() []*Argument {
	var out []*Argument
	d.array(func() {
		a := &Argument{KeySpecIndex: -1}
		d.object(func(key string) {
			switch key {
			case "name":
				a.Name = d.str()
			case "type":
				a.Type = d.str()
			case "key_spec_index":
				a.KeySpecIndex = d.int()
			case "token":
				a.Token, a.HasToken = d.str(), true
			case "summary":
				a.Summary = d.str()
			case "since":
				a.Since = d.str()
			case "deprecated_since":
				a.DeprecatedSince = d.str()
			case "flags":
				a.Flags = d.strs()
			case "arguments":
				a.Arguments = d.arguments()
			default:
				d.skip()
			}
		})
		out = append(out, a)
	})
	return out
}

// ---------------------------------------------------------------------------
// A minimal JSON reader. After an error every method is a no-op.

type decoder struct {
	b   string
	i   int
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("offset %d: %s", d.i, msg)
	}
	d.i = len(d.b)
}

func (d *decoder) peek() byte {
	for d.i < len(d.b) {
		switch c := d.b[d.i]; c {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return c
		}
	}
	return 0
}

func (d *decoder) expect(c byte) bool {
	if d.peek() != c {
		d.fail(fmt.Sprintf("expected %q", c))
		return false
	}
	d.i++
	return true
}

func (d *decoder) end() {
	if d.peek() != 0 {
		d.fail("trailing data")
	}
}

// object reads an object, calling fn for each key; fn must read the value.
func (d *decoder) object(fn func(key string)) {
	if !d.expect('{') {
		return
	}
	if d.peek() == '}' {
		d.i++
		return
	}
	for d.err == nil {
		key := d.str()
		if !d.expect(':') {
			return
		}
		fn(key)
		if d.peek() == ',' {
			d.i++
			continue
		}
		d.expect('}')
		return
	}
}

// array reads an array, calling fn to read each element.
func (d *decoder) array(fn func()) {
	if !d.expect('[') {
		return
	}
	if d.peek() == ']' {
		d.i++
		return
	}
	for d.err == nil {
		fn()
		if d.peek() == ',' {
			d.i++
			continue
		}
		d.expect(']')
		return
	}
}

// strs reads an array of strings; nil if empty.
func (d *decoder) strs() []string {
	var out []string
	d.array(func() { out = append(out, d.str()) })
	return out
}

func (d *decoder) str() string {
	if !d.expect('"') {
		return ""
	}
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1]
		case c == '\\':
			return d.escaped(start - 1)
		case c < 0x20:
			d.fail("control character in string")
			return ""
		}
		d.i++
	}
	d.fail("unterminated string")
	return ""
}

// escaped reads the rest of a string with escapes (rare here), starting at
// its opening quote, and lets encoding/json decode it.
func (d *decoder) escaped(quote int) string {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case '\\':
			d.i += 2
			continue
		case '"':
			d.i++
			var s string
			if err := json.Unmarshal([]byte(d.b[quote:d.i]), &s); err != nil {
				d.fail(err.Error())
			}
			return s
		}
		d.i++
	}
	d.fail("unterminated string")
	return ""
}

func (d *decoder) int() int {
	c := d.peek()
	neg := c == '-'
	if neg {
		d.i++
	}
	start := d.i
	n := 0
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' && d.i-start < 18 {
		n = n*10 + int(d.b[d.i]-'0')
		d.i++
	}
	if d.i == start || (d.i < len(d.b) && strings.IndexByte("0123456789.eE", d.b[d.i]) >= 0) {
		d.fail("expected a small integer")
		return 0
	}
	if neg {
		n = -n
	}
	return n
}

// skip reads and ignores any value.
func (d *decoder) skip() {
	switch d.peek() {
	case '{':
		d.object(func(string) { d.skip() })
	case '[':
		d.array(d.skip)
	case '"':
		d.str()
	default:
		start := d.i
		for d.i < len(d.b) && strings.IndexByte(",}] \t\r\n", d.b[d.i]) < 0 {
			d.i++
		}
		var v any
		if err := json.Unmarshal([]byte(d.b[start:d.i]), &v); err != nil {
			d.fail("bad value")
		}
	}
}
