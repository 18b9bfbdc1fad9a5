package script

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Runtime error texts as Lua 5.1 words them.
//
// gopher-lua raises its own texts for the errors of the virtual machine ("cannot perform add
// operation between number and nil", "attempt to index a non-table object(nil) with key 'x'",
// "__len undefined", ...), where Lua 5.1, and so Redis, says "attempt to perform arithmetic on
// local 'x' (a nil value)". Scripts see these texts (pcall returns them, error replies carry
// them), so they are translated when the error is caught, while the stack of the failing
// function is still there to be examined. The mapping:
//
//	cannot perform <op> operation between A and B  → attempt to perform arithmetic on [<var>] (a T value)
//	cannot perform concat operation between A and B → attempt to concatenate [<var>] (a T value)
//	__unm undefined                                 → attempt to perform arithmetic on [<var>] (a T value)
//	__len undefined                                 → attempt to get length of [<var>] (a T value)
//	attempt to index a non-table object(T) with key → attempt to index [<var>] (a T value)
//	attempt to call a non-function object           → attempt to call [<var>] (a T value)
//	attempt to compare T with T                     → attempt to compare two T values
//	for statement init|limit|step must be a number  → 'for' initial value|limit|step must be a number
//	bad argument #n to f (... got nil)              → bad argument #n to 'f' (... got no value)
//
// where <var> is Lua 5.1's description of the operand ("local 't'", "global 'redis'", "field
// 'b'", "upvalue 'u'", "method 'm'"), found as Lua 5.1's getobjname finds it: from the debug
// information of locals, else by a symbolic execution of the function's code up to the failing
// instruction (gopher-lua compiles to Lua 5.1's instruction set). Without a description the
// text is "attempt to ... a T value", as in Lua 5.1.
//
// gopher-lua does not export the program counter of a call frame; it is read with reflection
// (frameInt), and TestFrameFieldsReadable fails if an upgrade of gopher-lua renames the fields.
// Without it, the texts are translated without the variable descriptions.

var (
	rePosition     = regexp.MustCompile(`^((?:user_script|user_function|\[string "[^\n]*"\]|<string>):\d+: )`)
	reArith        = regexp.MustCompile(`^cannot perform (\w+) operation between (\w+) and (\w+)$`)
	reIndex        = regexp.MustCompile(`^attempt to index a non-table object\((\w+)\) with key '`)
	reCompare      = regexp.MustCompile(`^attempt to compare (\w+) with (\w+)$`)
	rePositionLine = regexp.MustCompile(`^(user_script|user_function):(\d+): `)
	reBadArg       = regexp.MustCompile(`^bad argument #(\d+) to (\S+) \((.*)\)$`)
)

// translateError rewrites a runtime error text raised in the frame at level (GetStack's
// numbering) into Lua 5.1's words.
func translateError(L *lua.LState, msg string, level int) string {
	pos := rePosition.FindString(msg)
	text := msg[len(pos):]
	d, ok := L.GetStack(level)
	if !ok {
		return msg
	}
	fnv, err := L.GetInfo("f", d, lua.LNil)
	if err != nil {
		return msg
	}
	fn, _ := fnv.(*lua.LFunction)
	if fn == nil {
		return msg
	}
	var f *frame
	if !fn.IsG {
		if pc, ok := frameInt(d, "Pc"); ok && pc >= 1 && pc <= len(fn.Proto.Code) {
			f = &frame{L: L, d: d, fn: fn, pc: pc - 1}
		}
	}
	if m := reBadArg.FindStringSubmatch(text); m != nil {
		if fn.IsG {
			return pos + badArgument(L, level, m[1], m[2], m[3])
		}
		return msg
	}
	var out string
	switch {
	case reArith.MatchString(text):
		m := reArith.FindStringSubmatch(text)
		out = f.arith(m[1], m[2], m[3])
	case text == "__unm undefined":
		out = f.unary("perform arithmetic on")
	case text == "__len undefined":
		out = f.unary("get length of")
	case reIndex.MatchString(text):
		out = f.index(reIndex.FindStringSubmatch(text)[1])
	case text == "attempt to call a non-function object":
		out = f.call()
	case reCompare.MatchString(text):
		m := reCompare.FindStringSubmatch(text)
		out = orderError(m[1], m[2])
	case strings.HasPrefix(text, "for statement ") && strings.HasSuffix(text, " must be a number"):
		what := strings.TrimSuffix(strings.TrimPrefix(text, "for statement "), " must be a number")
		if what == "init" {
			what = "initial value"
		}
		out = "'for' " + what + " must be a number"
	case strings.HasPrefix(text, "invalid value (") && strings.HasSuffix(text, " in table for concat"):
		return pos + strings.TrimSuffix(text, "concat") + "'concat'"
	default:
		return msg
	}
	if fn.IsG {
		// Raised inside a library function (table.sort's comparisons): Lua 5.1 knows no
		// position there, and no variable.
		return out
	}
	return pos + out
}

// orderError is Lua 5.1's luaG_ordererror, with its test of the types' third letters.
func orderError(t1, t2 string) string {
	if len(t1) > 2 && len(t2) > 2 && t1[2] == t2[2] {
		return "attempt to compare two " + t1 + " values"
	}
	return "attempt to compare " + t1 + " with " + t2
}

// badArgument is luaL_argerror's text: the function's name quoted, "no value" for a missing
// argument, and self not counted in method calls.
func badArgument(L *lua.LState, level int, narg, name, extra string) string {
	n, _ := strconv.Atoi(narg)
	d, ok := L.GetStack(level)
	if ok {
		if nargs, ok := frameInt(d, "NArgs"); ok && n > nargs {
			if strings.HasSuffix(extra, " got nil") {
				extra = strings.TrimSuffix(extra, "nil") + "no value"
			}
		}
	}
	if (name == "resume" || name == "status") && strings.HasPrefix(extra, "thread expected") {
		extra = "coroutine expected" // lcorolib.c's check
	}
	kind, cname := callerName(L, level)
	if cname != "" {
		name = cname
	} else if strings.HasPrefix(name, "<") || name == "(anonymous)" {
		name = "?"
	}
	if kind == "method" {
		n--
		if n == 0 {
			return fmt.Sprintf("calling '%s' on bad self (%s)", name, extra)
		}
	}
	return fmt.Sprintf("bad argument #%d to '%s' (%s)", n, name, extra)
}

// callerName is Lua 5.1's getfuncname: how the function at level was named by the Lua
// function that called it.
func callerName(L *lua.LState, level int) (kind, name string) {
	d, ok := L.GetStack(level + 1)
	if !ok {
		return "", ""
	}
	fnv, err := L.GetInfo("f", d, lua.LNil)
	if err != nil {
		return "", ""
	}
	fn, _ := fnv.(*lua.LFunction)
	if fn == nil || fn.IsG {
		return "", ""
	}
	pc, ok := frameInt(d, "Pc")
	if !ok || pc < 1 || pc > len(fn.Proto.Code) {
		return "", ""
	}
	f := &frame{L: L, d: d, fn: fn, pc: pc - 1}
	i := fn.Proto.Code[f.pc]
	switch opCode(i) {
	case lua.OP_CALL, lua.OP_TAILCALL, lua.OP_TFORLOOP:
		return f.objName(argA(i))
	}
	return "", ""
}

// frameInt reads an int field of the call frame behind d (gopher-lua keeps frames private).
func frameInt(d *lua.Debug, field string) (int, bool) {
	v := reflect.ValueOf(d).Elem().FieldByName("frame")
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return 0, false
	}
	f := v.Elem().FieldByName(field)
	if !f.IsValid() || f.Kind() != reflect.Int {
		return 0, false
	}
	return int(f.Int()), true
}

// frame is a Lua function's call frame stopped at instruction pc.
type frame struct {
	L  *lua.LState
	d  *lua.Debug
	fn *lua.LFunction
	pc int
}

// typeError is luaG_typeerror: op on the value of register reg (or on a value with no
// register, reg < 0) of type typ.
func (f *frame) typeError(op string, reg int, typ string) string {
	if f != nil && reg >= 0 {
		if kind, name := f.objName(reg); kind != "" {
			return fmt.Sprintf("attempt to %s %s '%s' (a %s value)", op, kind, name, typ)
		}
	}
	return fmt.Sprintf("attempt to %s a %s value", op, typ)
}

// register returns the value of register reg, if it can be read.
func (f *frame) register(reg int) (lua.LValue, bool) {
	name, v := f.L.GetLocal(f.d, reg+1)
	return v, name != ""
}

// rk is the register an RK operand names, or -1 for a constant.
func rk(x int) int {
	if x&rkBit != 0 {
		return -1
	}
	return x
}

// arith is luaG_aritherror: the first operand is blamed unless it converts to a number.
// gopher-lua's text gives the operands' types after conversion, so "number" there means the
// operand converted.
func (f *frame) arith(op, t1, t2 string) string {
	if op == "concat" {
		return f.concat(t1, t2)
	}
	blame, typ := 1, t1
	if t1 == "number" {
		blame, typ = 2, t2
	}
	reg := -1
	if f != nil {
		i := f.fn.Proto.Code[f.pc]
		switch opCode(i) {
		case lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW:
			if blame == 1 {
				reg = rk(argB(i))
			} else {
				reg = rk(argC(i))
			}
		}
	}
	return f.typeError("perform arithmetic on", reg, typ)
}

// concat is luaG_concaterror for OP_CONCAT, whose operands are concatenated from the right:
// the first pair that fails blames its left operand unless that one is a string or a number.
func (f *frame) concat(t1, t2 string) string {
	typ := t1
	if t1 == "string" || t1 == "number" {
		typ = t2
	}
	if f == nil {
		return f.typeError("concatenate", -1, typ)
	}
	i := f.fn.Proto.Code[f.pc]
	if opCode(i) != lua.OP_CONCAT {
		return f.typeError("concatenate", -1, typ)
	}
	b, c := argB(i), argC(i)
	vals := make([]lua.LValue, c+1)
	for r := b; r <= c; r++ {
		v, ok := f.register(r)
		if !ok {
			return f.typeError("concatenate", -1, typ)
		}
		vals[r] = v
	}
	conv := func(v lua.LValue) bool {
		t := v.Type()
		return t == lua.LTString || t == lua.LTNumber
	}
	accOK := conv(vals[c])
	for k := c - 1; k >= b; k-- {
		if conv(vals[k]) && accOK {
			continue
		}
		reg := k
		if conv(vals[k]) {
			reg = k + 1
		}
		return f.typeError("concatenate", reg, vals[reg].Type().String())
	}
	return f.typeError("concatenate", -1, typ)
}

// unary is the error of OP_UNM and OP_LEN on register B.
func (f *frame) unary(op string) string {
	if f == nil {
		return op
	}
	i := f.fn.Proto.Code[f.pc]
	switch opCode(i) {
	case lua.OP_UNM, lua.OP_LEN:
		reg := argB(i)
		if v, ok := f.register(reg); ok {
			return f.typeError(op, reg, v.Type().String())
		}
	}
	return "attempt to " + op + " a value"
}

// index is the error of indexing a typ value: the indexed register is named only if it holds
// a value of that type (else the failing value was met along a chain of __index).
func (f *frame) index(typ string) string {
	reg := -1
	if f != nil {
		i := f.fn.Proto.Code[f.pc]
		switch opCode(i) {
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			reg = argB(i)
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			reg = argA(i)
		}
		if reg >= 0 {
			if v, ok := f.register(reg); !ok || v.Type().String() != typ {
				reg = -1
			}
		}
	}
	return f.typeError("index", reg, typ)
}

// call is the error of calling register A of OP_CALL or OP_TAILCALL.
func (f *frame) call() string {
	if f != nil {
		i := f.fn.Proto.Code[f.pc]
		switch opCode(i) {
		case lua.OP_CALL, lua.OP_TAILCALL:
			if v, ok := f.register(argA(i)); ok {
				return f.typeError("call", argA(i), v.Type().String())
			}
		}
	}
	return "attempt to call a nil value"
}

// objName is Lua 5.1's getobjname: what register reg holds at pc.
func (f *frame) objName(reg int) (kind, name string) {
	return objName(f.fn.Proto, f.pc, reg, 0)
}

func objName(p *lua.FunctionProto, pc, reg, depth int) (kind, name string) {
	if n, ok := localName(p, reg+1, pc); ok {
		return "local", n
	}
	if depth > 32 {
		return "", ""
	}
	i, ok := symbexec(p, pc, reg)
	if !ok {
		return "", ""
	}
	switch opCode(i) {
	case lua.OP_GETGLOBAL:
		if k := argBx(i); k < len(p.Constants) {
			if s, ok := p.Constants[k].(lua.LString); ok {
				return "global", string(s)
			}
		}
	case lua.OP_MOVE, lua.OP_MOVEN:
		if b := argB(i); b < argA(i) {
			return objName(p, pc, b, depth+1)
		}
	case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
		return "field", kname(p, argC(i))
	case lua.OP_GETUPVAL:
		if b := argB(i); b < len(p.DbgUpvalues) {
			return "upvalue", p.DbgUpvalues[b]
		}
		return "upvalue", "?"
	case lua.OP_SELF:
		return "method", kname(p, argC(i))
	}
	return "", ""
}

// localName is Lua 5.1's luaF_getlocalname: the name of the n-th local active at pc.
// (gopher-lua's LFunction.LocalName misses a local at the first instruction of its scope.)
func localName(p *lua.FunctionProto, n, pc int) (string, bool) {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc < l.EndPc {
			n--
			if n == 0 {
				return l.Name, true
			}
		}
	}
	return "", false
}

func kname(p *lua.FunctionProto, c int) string {
	if c&rkBit != 0 {
		if k := c &^ rkBit; k < len(p.Constants) {
			if s, ok := p.Constants[k].(lua.LString); ok {
				return string(s)
			}
		}
	}
	return "?"
}

// symbexec is Lua 5.1's symbolic execution (ldebug.c) reduced to what getobjname needs: the
// last instruction before lastpc that changed register reg, following forward jumps that do
// not pass lastpc.
func symbexec(p *lua.FunctionProto, lastpc, reg int) (uint32, bool) {
	code := p.Code
	if len(code) == 0 || lastpc > len(code) {
		return 0, false
	}
	last := len(code) - 1 // the final return: a neutral instruction
	for pc := 0; pc < lastpc; pc++ {
		i := code[pc]
		op, a := opCode(i), argA(i)
		if setsA(op) && a == reg {
			last = pc
		}
		switch op {
		case lua.OP_LOADNIL:
			if a <= reg && reg <= argB(i) {
				last = pc
			}
		case lua.OP_SELF:
			if reg == a+1 {
				last = pc
			}
		case lua.OP_TFORLOOP:
			if reg >= a+2 {
				last = pc
			}
		case lua.OP_FORLOOP, lua.OP_FORPREP, lua.OP_JMP:
			b := argSbx(i)
			if dest := pc + 1 + b; pc < dest && dest <= lastpc {
				pc += b
			}
		case lua.OP_CALL, lua.OP_TAILCALL:
			if reg >= a {
				last = pc
			}
		case lua.OP_CLOSURE:
			if bx := argBx(i); bx < len(p.FunctionPrototypes) {
				pc += int(p.FunctionPrototypes[bx].NumUpvalues) // the upvalue pseudo-instructions
			}
		}
	}
	return code[last], true
}

// setsA reports whether an instruction writes its register A (Lua 5.1's testAMode).
func setsA(op int) bool {
	switch op {
	case lua.OP_SETGLOBAL, lua.OP_SETUPVAL, lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_JMP,
		lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_RETURN, lua.OP_SETLIST,
		lua.OP_CLOSE, lua.OP_NOP, lua.OP_TFORLOOP:
		return false
	}
	return true
}

// gopher-lua's instruction layout (opcode.go): opcode in the top 6 bits, then A (8 bits), C
// (9 bits) and B (9 bits); Bx is the low 18 bits.
const (
	rkBit     = 1 << 8
	maxArgSbx = (1<<18 - 1) >> 1
)

func opCode(i uint32) int { return int(i >> 26) }
func argA(i uint32) int   { return int(i>>18) & 0xff }
func argB(i uint32) int   { return int(i & 0x1ff) }
func argC(i uint32) int   { return int(i>>9) & 0x1ff }
func argBx(i uint32) int  { return int(i & 0x3ffff) }
func argSbx(i uint32) int { return argBx(i) - maxArgSbx }
