package script

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Library functions whose gopher-lua versions behave or fail differently from Lua 5.1's
// (lbaselib.c, lstrlib.c, lmathlib.c), rewritten after Lua 5.1's C code. Their argument
// errors are raised with gopher-lua's ArgError/TypeError and worded as Lua's by
// translateError.

// str2number is Lua 5.1's luaO_str2d: C's strtod (decimal, hexadecimal, inf, nan), then
// strtoul for "0x" constants, with surrounding white space allowed. The text ends at a NUL
// byte, as in C.
func str2number(s string) (float64, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	f, n := cStrtod(s)
	if n == 0 {
		return 0, false
	}
	rest := strings.TrimLeft(s[n:], " \t\n\v\f\r")
	return f, rest == ""
}

// cStrtod is glibc's strtod: the value and how many bytes it read (0: no number).
func cStrtod(s string) (float64, int) {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	start := i
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case strings.HasPrefix(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case strings.HasPrefix(rest, "nan"):
		n := i + 3
		if j := strings.IndexByte(s[n:], ')'); n < len(s) && s[n] == '(' && j > 0 {
			ok := true
			for _, c := range s[n+1 : n+j] {
				if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					ok = false
				}
			}
			if ok {
				n += j + 1
			}
		}
		return math.NaN(), n
	}
	digits := func(j int, hex bool) int {
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || hex && strings.IndexByte("abcdefABCDEF", s[j]) >= 0) {
			j++
		}
		return j
	}
	if strings.HasPrefix(rest, "0x") {
		j := digits(i+2, true)
		nd := j - (i + 2)
		if j < len(s) && s[j] == '.' {
			k := digits(j+1, true)
			nd += k - (j + 1)
			j = k
		}
		if nd > 0 {
			mant := s[i:j]
			if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if e := digits(k, false); e > k {
					mant, j = s[i:e], e
				}
			}
			if !strings.ContainsAny(mant, "pP") {
				mant += "p0"
			}
			f, _ := strconv.ParseFloat(mant, 64)
			return sign(f), j
		}
		// "0x" without hexadecimal digits: the "0" is the number.
		return sign(0), i + 1
	}
	j := digits(i, false)
	nd := j - i
	if j < len(s) && s[j] == '.' {
		k := digits(j+1, false)
		nd += k - (j + 1)
		j = k
	}
	if nd == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if e := digits(k, false); e > k {
			j = e
		}
	}
	f, _ := strconv.ParseFloat(s[start:j], 64) // out of range: ±Inf or 0, as strtod
	return f, j
}

// luaCheckNumber is luaL_checknumber: a number, or a string that converts to one.
func luaCheckNumber(L *lua.LState, n int) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, ok := str2number(string(v)); ok {
			return f
		}
	}
	L.TypeError(n, lua.LTNumber)
	return 0
}

// checkInt is luaL_checkint: luaCheckNumber truncated as C casts it.
func checkInt(L *lua.LState, n int) int {
	f := luaCheckNumber(L, n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return math.MinInt32
	}
	return int(int32(int64(f)))
}

// luaToNumber is Lua 5.1's tonumber.
func luaToNumber(L *lua.LState) int {
	base := 10
	if L.Get(2) != lua.LNil {
		base = checkInt(L, 2)
	}
	if base == 10 {
		v := L.CheckAny(1)
		switch v := v.(type) {
		case lua.LNumber:
			L.Push(v)
			return 1
		case lua.LString:
			if f, ok := str2number(string(v)); ok {
				L.Push(lua.LNumber(f))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}
	var s string
	switch v := L.Get(1).(type) {
	case lua.LString:
		s = string(v)
	case lua.LNumber:
		s = formatNumber(float64(v))
	default:
		L.TypeError(1, lua.LTString)
	}
	if base < 2 || base > 36 {
		L.ArgError(2, "base out of range")
	}
	if n, ok := strtoul(s, base); ok {
		L.Push(lua.LNumber(n))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// strtoul is C's strtoul followed by luaB_tonumber's check that only white space follows.
func strtoul(s string, base int) (float64, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if base == 16 && len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	var n uint64
	overflow := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		if n > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		}
		n = n*uint64(base) + uint64(d)
	}
	if i == 0 || strings.TrimLeft(s[i:], " \t\n\v\f\r") != "" {
		return 0, false
	}
	if overflow {
		return float64(math.MaxUint64), true
	}
	if neg {
		n = -n
	}
	return float64(n), true
}

// luaSelect is Lua 5.1's select.
func luaSelect(L *lua.LState) int {
	n := L.GetTop()
	if s, ok := L.Get(1).(lua.LString); ok && strings.HasPrefix(string(s), "#") {
		L.Push(lua.LNumber(n - 1))
		return 1
	}
	i := checkInt(L, 1)
	if i < 0 {
		i = n + i
	} else if i > n {
		i = n
	}
	if i < 1 {
		L.ArgError(1, "index out of range")
	}
	return n - i
}

// strChar is Lua 5.1's string.char.
func strChar(L *lua.LState) int {
	n := L.GetTop()
	b := make([]byte, n)
	for i := 1; i <= n; i++ {
		c := checkInt(L, i)
		if c < 0 || c > 255 {
			L.ArgError(i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

// mathMinMax is Lua 5.1's math.min (max false) and math.max.
func mathMinMax(max bool) lua.LGFunction {
	return func(L *lua.LState) int {
		n := L.GetTop()
		m := luaCheckNumber(L, 1)
		for i := 2; i <= n; i++ {
			d := luaCheckNumber(L, i)
			if max && d > m || !max && d < m {
				m = d
			}
		}
		L.Push(lua.LNumber(m))
		return 1
	}
}

// where is luaL_where: the position of the function at level (Lua's numbering: 1 is the
// function that called the library function running), or "" when it is not a Lua function.
func where(L *lua.LState, level int) string {
	d, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", d, lua.LNil); err != nil || d.CurrentLine <= 0 {
		return ""
	}
	return d.Source + ":" + strconv.Itoa(d.CurrentLine) + ": "
}

// luaErrorFunc is Lua 5.1's error: a string message gets the position of the function at
// level (1, the caller, by default).
func luaErrorFunc(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	if s, ok := luaStringOf(v); ok && level > 0 {
		v = lua.LString(where(L, level) + s)
	}
	L.Error(v, 0)
	return 0
}

// luaIDSize is Lua 5.1's LUA_IDSIZE, the size of a chunk's name in messages.
const luaIDSize = 60

// chunkID is Lua 5.1's luaO_chunkid: how messages name a chunk loaded with this name.
func chunkID(source string) string {
	switch {
	case strings.HasPrefix(source, "="):
		return truncate(source[1:], luaIDSize-1)
	case strings.HasPrefix(source, "@"):
		source = source[1:]
		if max := luaIDSize - len(" '...' ") - 1; len(source) > max {
			return "..." + source[len(source)-max:]
		}
		return source
	}
	if i := strings.IndexByte(source, 0); i >= 0 {
		source = source[:i]
	}
	n := strings.IndexAny(source, "\n\r")
	if n < 0 {
		n = len(source)
	}
	max := luaIDSize - len(` [string "..."] `) - 1
	if n > max {
		n = max
	}
	if n < len(source) {
		return `[string "` + source[:n] + `..."]`
	}
	return `[string "` + source + `"]`
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// loadstring is Lua 5.1's loadstring: the chunk is named after its text (or the name given),
// as messages show it, and a syntax error is returned as nil and its message.
func (st *state) loadstring(L *lua.LState) int {
	code := L.CheckString(1)
	name := L.OptString(2, code)
	id := chunkID(name)
	chunk, err := parse.Parse(strings.NewReader(code), id)
	var proto *lua.FunctionProto
	if err == nil {
		proto, err = lua.Compile(chunk, id)
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(syntaxErrorText(err, []byte(code), id)))
		return 2
	}
	st.sources[id] = name
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}

// setresp's argument is read as lua_tonumber reads it: 0 when it is not a number.
func toNumberOrZero(v lua.LValue) float64 {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, ok := str2number(string(v)); ok {
			return f
		}
	}
	return 0
}

// strFormat is Lua 5.1's string.format: C's printf conversions (c d i o u x X e E f g G q s),
// at most two digits of width and of precision, and Lua's argument checks.
func strFormat(L *lua.LState) int {
	top := L.GetTop()
	f := L.CheckString(1)
	arg := 1
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] != '%' {
			b.WriteByte(f[i])
			i++
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		arg++
		if arg > top {
			L.ArgError(arg, "no value")
		}
		p := i
		for p < len(f) && strings.IndexByte("-+ #0", f[p]) >= 0 {
			p++
		}
		if p-i >= len("-+ #0")+1 {
			L.RaiseError("invalid format (repeated flags)")
		}
		digits := func() {
			for n := 0; n < 2 && p < len(f) && f[p] >= '0' && f[p] <= '9'; n++ {
				p++
			}
		}
		digits()
		if p < len(f) && f[p] == '.' {
			p++
			digits()
		}
		if p < len(f) && f[p] >= '0' && f[p] <= '9' {
			L.RaiseError("invalid format (width or precision too long)")
		}
		spec := f[i:p]
		var conv byte
		if p < len(f) {
			conv = f[p]
		}
		i = p + 1
		switch conv {
		case 'c':
			b.WriteString(pad(spec, string([]byte{byte(int(luaCheckNumber(L, arg)))})))
		case 'd', 'i':
			b.WriteString(cFloatOrInt(spec, 'd', luaCheckNumber(L, arg), true))
		case 'o', 'u', 'x', 'X':
			c := conv
			if c == 'u' {
				c = 'd'
			}
			b.WriteString(cFloatOrInt(spec, c, luaCheckNumber(L, arg), false))
		case 'e', 'E', 'f', 'g', 'G':
			n := luaCheckNumber(L, arg)
			if math.IsInf(n, 0) || math.IsNaN(n) {
				b.WriteString(pad(strings.ReplaceAll(spec, "0", ""), cInfNaN(spec, conv, n)))
				continue
			}
			s := spec
			if (conv == 'g' || conv == 'G') && !strings.Contains(spec, ".") {
				s += ".6" // C's default precision; Go's %g prints the shortest form
			}
			b.WriteString(fmt.Sprintf("%"+s+string(conv), n))
		case 'q':
			s := checkLString(L, arg)
			b.WriteByte('"')
			for j := 0; j < len(s); j++ {
				switch c := s[j]; c {
				case '"', '\\', '\n':
					b.WriteByte('\\')
					b.WriteByte(c)
				case '\r':
					b.WriteString("\\r")
				case 0:
					b.WriteString("\\000")
				default:
					b.WriteByte(c)
				}
			}
			b.WriteByte('"')
		case 's':
			s := checkLString(L, arg)
			if !strings.Contains(spec, ".") && len(s) >= 100 {
				b.WriteString(s)
				continue
			}
			if k := strings.IndexByte(s, 0); k >= 0 {
				s = s[:k] // C's %s stops at a NUL byte
			}
			b.WriteString(pad(spec, s))
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", conv)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// checkLString is luaL_checklstring: a string, or a number as Lua prints it.
func checkLString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return formatNumber(float64(v))
	}
	L.TypeError(n, lua.LTString)
	return ""
}

// pad applies a %s-like spec (flags, width, precision) to s, counting bytes as C does.
func pad(spec, s string) string {
	left := strings.Contains(spec, "-")
	spec = strings.TrimLeft(spec, "-+ #0")
	width, prec := spec, ""
	if k := strings.IndexByte(spec, '.'); k >= 0 {
		width, prec = spec[:k], spec[k+1:]
		p, _ := strconv.Atoi(prec)
		if p < len(s) {
			s = s[:p]
		}
	}
	w, _ := strconv.Atoi(width)
	if n := w - len(s); n > 0 {
		if left {
			return s + strings.Repeat(" ", n)
		}
		return strings.Repeat(" ", n) + s
	}
	return s
}

// cFloatOrInt formats n converted to an integer as C's (long long) or (unsigned long long)
// cast does.
func cFloatOrInt(spec string, conv byte, n float64, signed bool) string {
	var i int64
	if !math.IsNaN(n) && n >= math.MinInt64 && n < math.MaxInt64 {
		i = int64(n)
	} else {
		i = math.MinInt64 // what x86's conversion gives out of range
	}
	if signed {
		return fmt.Sprintf("%"+spec+string(conv), i)
	}
	return fmt.Sprintf("%"+spec+string(conv), uint64(i))
}

// cInfNaN is how C's printf spells an infinity or NaN.
func cInfNaN(spec string, conv byte, n float64) string {
	s := "inf"
	if math.IsNaN(n) {
		s = "nan"
	}
	switch {
	case math.Signbit(n):
		s = "-" + s
	case strings.Contains(spec, "+"):
		s = "+" + s
	case strings.Contains(spec, " "):
		s = " " + s
	}
	if conv == 'E' || conv == 'G' {
		s = strings.ToUpper(s)
	}
	return s
}

// luaXPCall is Lua 5.1's xpcall: f is called without arguments, and the message handler sees
// the error worded as Lua 5.1's (translateError) while the failing frame is still there. An
// error in the handler gives "error in error handling".
func luaXPCall(L *lua.LState) int {
	L.CheckAny(2)
	fn, h := L.Get(1), L.Get(2)
	L.SetTop(0)
	callHandler := func(L *lua.LState, msg lua.LValue) lua.LValue {
		if err := L.CallByParam(lua.P{Fn: h, NRet: 1, Protect: true}, msg); err != nil {
			return lua.LString("error in error handling")
		}
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	if fn.Type() != lua.LTFunction && L.GetMetaField(fn, "__call") == lua.LNil {
		L.Push(lua.LFalse)
		L.Push(callHandler(L, lua.LString("attempt to call a "+fn.Type().String()+" value")))
		return 2
	}
	handler := L.NewFunction(func(L *lua.LState) int {
		msg := L.Get(1)
		if s, ok := msg.(lua.LString); ok {
			msg = lua.LString(translateError(L, string(s), 1))
		}
		L.Push(callHandler(L, msg))
		return 1
	})
	L.Push(fn)
	if err := L.PCall(0, lua.MultRet, handler); err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil {
			obj = ae.Object
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}
