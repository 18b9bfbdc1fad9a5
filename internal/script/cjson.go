package script

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library Redis ships (lua-cjson 2.1.0 with Redis's defaults): encode numbers with
// "%.14g", refuse NaN and Inf, escape '/', an empty table encodes as {}, arrays may be sparse
// up to twice their item count (or 10), nesting at most 1000; decode accepts what lua-cjson's
// tokenizer accepts (Inf, NaN and hex numbers included) and reports its errors in its words.
// The configuration functions (encode_max_depth, encode_number_precision, encode_sparse_array,
// ...) and cjson.new() work as in lua-cjson; settings live in the interpreter state.

// cjsonConfig is one cjson instance's settings (cjson and every cjson.new() have their own).
type cjsonConfig struct {
	encodeMaxDepth, decodeMaxDepth, precision int
	keepBuffer, decodeInvalid, sparseConvert  int // 0 off, 1 on
	encodeInvalid                             int // 0 off, 1 on, 2 null
	sparseRatio, sparseSafe                   int
}

func defaultCjsonConfig() *cjsonConfig {
	return &cjsonConfig{encodeMaxDepth: 1000, decodeMaxDepth: 1000, precision: 14, keepBuffer: 1,
		decodeInvalid: 1, sparseRatio: 2, sparseSafe: 10}
}

// openCjson builds a cjson table with its own settings; null is the state's cjson.null.
func openCjson(L *lua.LState, null *lua.LUserData) *lua.LTable {
	cfg := defaultCjsonConfig()
	t := L.NewTable()
	cfg.options(L, t)
	t.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(openCjson(L, null))
		return 1
	}))
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "encode", "expected 1 argument")
		}
		var sb strings.Builder
		cfg.encode(L, &sb, L.Get(1), null, 0)
		L.Push(lua.LString(sb.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "decode", "expected 1 argument")
		}
		s, ok := luaStringOf(L.Get(1))
		if !ok {
			argError(L, 1, "decode", "string expected, got "+typeName(L, 1))
		}
		d := &jsonDecoder{L: L, s: s, null: null, cfg: cfg}
		L.Push(d.decode())
		return 1
	}))
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

func cjsonFail(L *lua.LState, v lua.LValue, reason string) {
	L.RaiseError("Cannot serialise %s: %s", v.Type().String(), reason)
}

func (cfg *cjsonConfig) encode(L *lua.LState, sb *strings.Builder, v lua.LValue, null *lua.LUserData, depth int) {
	switch v := v.(type) {
	case lua.LString:
		jsonString(sb, string(v))
	case lua.LNumber:
		cfg.number(L, sb, v)
	case lua.LBool:
		if v {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case *lua.LNilType:
		sb.WriteString("null")
	case *lua.LUserData:
		if v != null {
			cjsonFail(L, v, "type not supported")
		}
		sb.WriteString("null")
	case *lua.LTable:
		depth++
		if depth > cfg.encodeMaxDepth {
			L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		if n := cfg.arrayLength(L, v); n > 0 {
			sb.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					sb.WriteByte(',')
				}
				cfg.encode(L, sb, v.RawGetInt(i), null, depth)
			}
			sb.WriteByte(']')
			return
		}
		sb.WriteByte('{')
		first := true
		for k, val := v.Next(lua.LNil); k != lua.LNil; k, val = v.Next(k) {
			if !first {
				sb.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LNumber:
				sb.WriteByte('"')
				cfg.number(L, sb, k)
				sb.WriteString(`":`)
			case lua.LString:
				jsonString(sb, string(k))
				sb.WriteByte(':')
			default:
				cjsonFail(L, k, "table key must be a number or string")
			}
			cfg.encode(L, sb, val, null, depth)
		}
		sb.WriteByte('}')
	default:
		cjsonFail(L, v, "type not supported")
	}
}

// arrayLength is lua-cjson's lua_array_length: the largest key when every key is a positive
// integer (0 for an empty table, which encodes as an object), -1 when the table is an object.
func (cfg *cjsonConfig) arrayLength(L *lua.LState, t *lua.LTable) int {
	maxKey, items := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) || float64(n) > math.MaxInt32 {
			return -1
		}
		maxKey = max(maxKey, int(n))
		items++
	}
	if cfg.sparseRatio > 0 && maxKey > items*cfg.sparseRatio && maxKey > cfg.sparseSafe {
		if cfg.sparseConvert == 0 {
			cjsonFail(L, t, "excessively sparse array")
		}
		return -1
	}
	return maxKey
}

func (cfg *cjsonConfig) number(L *lua.LState, sb *strings.Builder, n lua.LNumber) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		switch cfg.encodeInvalid {
		case 0:
			cjsonFail(L, n, "must not be NaN or Inf")
		case 2:
			sb.WriteString("null")
			return
		}
		sb.WriteString(formatNumber(f))
		return
	}
	sb.WriteString(fmt.Sprintf("%.*g", cfg.precision, f))
}

// jsonString escapes as lua-cjson's char2escape table: control characters, '"', '\\', '/'
// and DEL; bytes from 0x80 are copied as they are.
func jsonString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '/':
			sb.WriteString(`\/`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(sb, `\u%04x`, c)
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
}

// jsonDecoder is lua-cjson's decoder: a tokenizer and a recursive descent parser.
type jsonDecoder struct {
	L     *lua.LState
	s     string
	pos   int
	null  *lua.LUserData
	cfg   *cjsonConfig
	depth int
}

type jsonTokenType int

const (
	tObjBegin jsonTokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
)

var jsonTokenNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR"}

type jsonToken struct {
	typ   jsonTokenType
	index int
	str   string // string value, or the error text of a tError
	num   float64
	b     bool
}

func (d *jsonDecoder) fail(expected string, tok jsonToken) {
	found := jsonTokenNames[tok.typ]
	if tok.typ == tError {
		found = tok.str
	}
	d.L.RaiseError("Expected %s but found %s at character %d", expected, found, tok.index+1)
}

func (d *jsonDecoder) decode() lua.LValue {
	tok := d.next()
	v := d.value(tok)
	if tok = d.next(); tok.typ != tEnd {
		d.fail("the end", tok)
	}
	return v
}

func (d *jsonDecoder) value(tok jsonToken) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tNull:
		return d.null
	case tObjBegin:
		return d.object(tok)
	case tArrBegin:
		return d.array(tok)
	}
	d.fail("value", tok)
	return lua.LNil
}

func (d *jsonDecoder) descend(tok jsonToken) {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, tok.index+1)
	}
}

func (d *jsonDecoder) object(open jsonToken) lua.LValue {
	d.descend(open)
	t := d.L.NewTable()
	tok := d.next()
	if tok.typ == tObjEnd {
		d.depth--
		return t
	}
	for {
		if tok.typ != tString {
			d.fail("object key string", tok)
		}
		key := tok.str
		if tok = d.next(); tok.typ != tColon {
			d.fail("colon", tok)
		}
		t.RawSetString(key, d.value(d.next()))
		tok = d.next()
		if tok.typ == tObjEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.fail("comma or object end", tok)
		}
		tok = d.next()
	}
}

func (d *jsonDecoder) array(open jsonToken) lua.LValue {
	d.descend(open)
	t := d.L.NewTable()
	tok := d.next()
	if tok.typ == tArrEnd {
		d.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.value(tok))
		tok = d.next()
		if tok.typ == tArrEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.fail("comma or array end", tok)
		}
		tok = d.next()
	}
}

// at is the byte at i, or 0 past the end (the C string's terminator: lua-cjson stops at NUL).
func (d *jsonDecoder) at(i int) byte {
	if i < len(d.s) {
		return d.s[i]
	}
	return 0
}

func (d *jsonDecoder) next() jsonToken {
	for {
		c := d.at(d.pos)
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			d.pos++
			continue
		}
		break
	}
	tok := jsonToken{index: d.pos}
	c := d.at(d.pos)
	single := map[byte]jsonTokenType{'{': tObjBegin, '}': tObjEnd, '[': tArrBegin, ']': tArrEnd, ':': tColon, ',': tComma}
	if typ, ok := single[c]; ok {
		d.pos++
		tok.typ = typ
		return tok
	}
	rest := d.s[d.pos:]
	switch {
	case c == 0:
		tok.typ = tEnd
	case c == '"':
		d.stringToken(&tok)
	case c == '-' || c >= '0' && c <= '9':
		if d.cfg.decodeInvalid == 0 && invalidJSONNumber(rest) {
			d.tokenError(&tok, "invalid number")
			break
		}
		d.numberToken(&tok)
	case strings.HasPrefix(rest, "true"):
		tok.typ, tok.b = tBoolean, true
		d.pos += 4
	case strings.HasPrefix(rest, "false"):
		tok.typ = tBoolean
		d.pos += 5
	case strings.HasPrefix(rest, "null"):
		tok.typ = tNull
		d.pos += 4
	case d.cfg.decodeInvalid != 0 && invalidNumberStart(rest):
		d.numberToken(&tok)
	default:
		d.tokenError(&tok, "invalid token")
	}
	return tok
}

func (d *jsonDecoder) tokenError(tok *jsonToken, msg string) {
	tok.typ, tok.str, tok.index = tError, msg, d.pos
}

// invalidNumberStart is what json_is_invalid_number lets through to strtod when
// decode_invalid_numbers is on (Redis's default): '+', Inf, NaN.
func invalidNumberStart(s string) bool {
	if strings.HasPrefix(s, "+") {
		return true
	}
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "inf") || strings.HasPrefix(l, "nan")
}

func (d *jsonDecoder) numberToken(tok *jsonToken) {
	f, n := strtod(d.s[d.pos:])
	if n == 0 {
		d.tokenError(tok, "invalid number")
		return
	}
	tok.typ, tok.num = tNumber, f
	d.pos += n
}

// strtod parses the longest prefix of s that C's strtod accepts; n is its length (0: none).
func strtod(s string) (float64, int) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	l := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(l, "infinity"):
		i += 8
	case strings.HasPrefix(l, "inf"):
		i += 3
	case strings.HasPrefix(l, "nan"):
		i += 3
	case strings.HasPrefix(l, "0x") && len(l) > 2 && isHex(l[2]):
		j := i + 2
		for j < len(s) && isHex(s[j]) {
			j++
		}
		u, err := strconv.ParseUint(s[i+2:j], 16, 64)
		f := float64(u)
		if err != nil {
			f = math.Inf(1)
		}
		if s[0] == '-' {
			f = -f
		}
		return f, j
	default:
		start, digits := i, 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
		if i < len(s) && s[i] == '.' {
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i, digits = i+1, digits+1
			}
		}
		if digits == 0 {
			return 0, 0
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && s[j] >= '0' && s[j] <= '9' {
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				i = j
			}
		}
		_ = start
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		// Out of range: ParseFloat returns ±Inf with the error, as strtod returns HUGE_VAL.
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, 0
		}
	}
	return f, i
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

var jsonEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (d *jsonDecoder) stringToken(tok *jsonToken) {
	var sb strings.Builder
	d.pos++ // the opening quote
	for {
		c := d.at(d.pos)
		switch {
		case c == '"':
			d.pos++
			tok.typ, tok.str = tString, sb.String()
			return
		case c == 0 && d.pos >= len(d.s), c == 0:
			d.tokenError(tok, "unexpected end of string")
			return
		case c == '\\':
			e := d.at(d.pos + 1)
			if e == 'u' {
				r, n := d.unicodeEscape()
				if n == 0 {
					d.tokenError(tok, "invalid unicode escape code")
					return
				}
				sb.WriteString(string(r))
				d.pos += n
				continue
			}
			ch, ok := jsonEscapes[e]
			if !ok {
				d.tokenError(tok, "invalid escape code")
				return
			}
			sb.WriteByte(ch)
			d.pos += 2
		default:
			sb.WriteByte(c)
			d.pos++
		}
	}
}

// unicodeEscape decodes \uXXXX (with a following low surrogate for a high one) at d.pos; n is
// the length consumed, 0 when invalid.
func (d *jsonDecoder) unicodeEscape() (rune, int) {
	hex4 := func(at int) (rune, bool) {
		if at+4 > len(d.s) {
			return 0, false
		}
		v, err := strconv.ParseUint(d.s[at:at+4], 16, 32)
		return rune(v), err == nil
	}
	r, ok := hex4(d.pos + 2)
	if !ok {
		return 0, 0
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, 0 // a lone low surrogate
	case r >= 0xD800 && r <= 0xDBFF:
		if d.at(d.pos+6) != '\\' || d.at(d.pos+7) != 'u' {
			return 0, 0
		}
		lo, ok := hex4(d.pos + 8)
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return 0, 0
		}
		return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12
	}
	if !utf8.ValidRune(r) {
		return 0, 0
	}
	return r, 6
}

// invalidJSONNumber is json_is_invalid_number: a number JSON does not allow (a leading '+',
// hex, leading zeros, Inf, NaN).
func invalidJSONNumber(s string) bool {
	if strings.HasPrefix(s, "+") {
		return true
	}
	s = strings.TrimPrefix(s, "-")
	if strings.HasPrefix(s, "0") {
		return len(s) > 1 && (s[1]|0x20 == 'x' || s[1] >= '0' && s[1] <= '9')
	}
	if len(s) > 0 && s[0] <= '9' {
		return false
	}
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "inf") || strings.HasPrefix(l, "nan")
}

// options adds the configuration functions of lua-cjson 2.1.0 to t: each sets its setting
// when given an argument and returns the current value.
func (cfg *cjsonConfig) options(L *lua.LState, t *lua.LTable) {
	integer := func(name string, setting *int, lo, hi int) func(L *lua.LState, idx int) {
		return func(L *lua.LState, idx int) {
			if L.Get(idx) != lua.LNil {
				v := checkNumber(L, idx, name)
				if v < float64(lo) || v > float64(hi) {
					argError(L, 1, name, fmt.Sprintf("expected integer between %d and %d", lo, hi))
				}
				*setting = int(v)
			}
			L.Push(lua.LNumber(*setting))
		}
	}
	enum := func(name string, setting *int, options ...string) func(L *lua.LState, idx int) {
		return func(L *lua.LState, idx int) {
			switch v := L.Get(idx).(type) {
			case *lua.LNilType:
			case lua.LBool:
				*setting = 0
				if v {
					*setting = 1
				}
			default:
				s, ok := luaStringOf(v)
				if !ok {
					argError(L, idx, name, "string expected, got "+typeName(L, idx))
				}
				i := slices.Index(options, s)
				if i < 0 {
					argError(L, idx, name, "invalid option '"+s+"'")
				}
				*setting = i
			}
			if *setting <= 1 {
				L.Push(lua.LBool(*setting == 1))
			} else {
				L.Push(lua.LString(options[*setting]))
			}
		}
	}
	const intMax = math.MaxInt32
	for name, opts := range map[string][]func(L *lua.LState, idx int){
		"encode_max_depth":        {integer("encode_max_depth", &cfg.encodeMaxDepth, 1, intMax)},
		"decode_max_depth":        {integer("decode_max_depth", &cfg.decodeMaxDepth, 1, intMax)},
		"encode_number_precision": {integer("encode_number_precision", &cfg.precision, 1, 14)},
		"encode_keep_buffer":      {enum("encode_keep_buffer", &cfg.keepBuffer, "off", "on")},
		"encode_invalid_numbers":  {enum("encode_invalid_numbers", &cfg.encodeInvalid, "off", "on", "null")},
		"decode_invalid_numbers":  {enum("decode_invalid_numbers", &cfg.decodeInvalid, "off", "on")},
		"encode_sparse_array": {enum("encode_sparse_array", &cfg.sparseConvert, "off", "on"),
			integer("encode_sparse_array", &cfg.sparseRatio, 0, intMax), integer("encode_sparse_array", &cfg.sparseSafe, 0, intMax)},
	} {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if L.GetTop() > len(opts) {
				argError(L, len(opts)+1, name, "found too many arguments")
			}
			L.SetTop(len(opts)) // missing arguments are nil; results go above them
			for i, opt := range opts {
				opt(L, i+1)
			}
			return len(opts)
		}))
	}
}
