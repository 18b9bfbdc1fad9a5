package script

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library Redis ships (Roberto Ierusalimschy's lua_struct.c): struct.pack,
// struct.unpack and struct.size over formats of '<' '>' '=' '!n' endianness and alignment,
// b/B h/H l/L T i/In I/In integers (sizes of x86-64: 1, 2, 8, 8, 4), f d floats, x padding,
// cn fixed strings (c0: whole string, or in unpack the length given by the previous number)
// and s zero-terminated strings.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

type structHeader struct {
	big   bool
	align int
}

type structFormat struct {
	L   *lua.LState
	fn  string
	fmt string
	pos int
	h   structHeader
}

func openStruct(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

func (f *structFormat) done() bool { return f.pos >= len(f.fmt) || f.fmt[f.pos] == 0 }

func (f *structFormat) getnum(df int) int {
	if f.pos >= len(f.fmt) || f.fmt[f.pos] < '0' || f.fmt[f.pos] > '9' {
		return df
	}
	a := 0
	for f.pos < len(f.fmt) && f.fmt[f.pos] >= '0' && f.fmt[f.pos] <= '9' {
		d := int(f.fmt[f.pos] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			f.L.RaiseError("integral size overflow")
		}
		a = a*10 + d
		f.pos++
	}
	return a
}

func (f *structFormat) optsize(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'x':
		return 1
	case 'c':
		return f.getnum(1)
	case 'i', 'I':
		sz := f.getnum(4)
		if sz > structMaxIntSize {
			f.L.RaiseError("integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func (f *structFormat) toalign(length, size int, opt byte) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > f.h.align {
		size = f.h.align
	}
	return (size - (length & (size - 1))) & (size - 1)
}

func (f *structFormat) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		f.h.big = true
	case '<', '=':
		f.h.big = false
	case '!':
		a := f.getnum(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			f.L.RaiseError("alignment %d is not a power of 2", a)
		}
		f.h.align = a
	default:
		argError(f.L, 1, f.fn, "invalid format option '"+string(opt)+"'")
	}
}

func newStructFormat(L *lua.LState, fn string) *structFormat {
	s, ok := luaStringOf(L.Get(1))
	if !ok {
		argError(L, 1, fn, "string expected, got "+typeName(L, 1))
	}
	return &structFormat{L: L, fn: fn, fmt: s, h: structHeader{align: 1}}
}

func checkString(L *lua.LState, n int, fn string) string {
	s, ok := luaStringOf(L.Get(n))
	if !ok {
		argError(L, n, fn, "string expected, got "+typeName(L, n))
	}
	return s
}

func (f *structFormat) putInt(b *strings.Builder, n float64, size int) {
	var v uint64
	if n < 0 {
		v = uint64(int64(n))
	} else {
		v = uint64(n)
	}
	buf := make([]byte, size)
	for i := 0; i < size; i++ {
		j := i
		if f.h.big {
			j = size - 1 - i
		}
		buf[j] = byte(v)
		if i < 8 {
			v >>= 8
		}
		if i >= 7 {
			v = 0
		}
	}
	b.Write(buf)
}

func structPack(L *lua.LState) int {
	f := newStructFormat(L, "pack")
	var b strings.Builder
	arg := 2
	total := 0
	for !f.done() {
		opt := f.fmt[f.pos]
		f.pos++
		size := f.optsize(opt)
		pad := f.toalign(total, size, opt)
		total += pad
		b.WriteString(strings.Repeat("\x00", pad))
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			f.putInt(&b, checkNumber(L, arg, "pack"), size)
			arg++
		case 'x':
			b.WriteByte(0)
		case 'f':
			var buf [4]byte
			bits := math.Float32bits(float32(checkNumber(L, arg, "pack")))
			if f.h.big {
				binary.BigEndian.PutUint32(buf[:], bits)
			} else {
				binary.LittleEndian.PutUint32(buf[:], bits)
			}
			b.Write(buf[:])
			arg++
		case 'd':
			var buf [8]byte
			bits := math.Float64bits(checkNumber(L, arg, "pack"))
			if f.h.big {
				binary.BigEndian.PutUint64(buf[:], bits)
			} else {
				binary.LittleEndian.PutUint64(buf[:], bits)
			}
			b.Write(buf[:])
			arg++
		case 'c', 's':
			s := checkString(L, arg, "pack")
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				argError(L, arg, "pack", "string too short")
			}
			b.WriteString(s[:size])
			if opt == 's' {
				b.WriteByte(0)
				size++
			}
		default:
			f.control(opt)
		}
		total += size
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func (f *structFormat) getInt(data string, signed bool, size int) float64 {
	var l uint64
	for i := 0; i < size; i++ {
		j := size - 1 - i
		if f.h.big {
			j = i
		}
		l = l<<8 | uint64(data[j])
	}
	if !signed {
		return float64(l)
	}
	if size*8-1 < 64 {
		mask := ^uint64(0) << (size*8 - 1)
		if l&mask != 0 {
			l |= mask
		}
	}
	return float64(int64(l))
}

func structUnpack(L *lua.LState) int {
	f := newStructFormat(L, "unpack")
	data := checkString(L, 2, "unpack")
	pos := 1
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		pos = int(checkNumber(L, 3, "unpack"))
	}
	if pos <= 0 {
		argError(L, 3, "unpack", "offset must be 1 or greater")
	}
	pos--
	ld := len(data)
	var out []lua.LValue
	for !f.done() {
		opt := f.fmt[f.pos]
		f.pos++
		size := f.optsize(opt)
		pos += f.toalign(pos, size, opt)
		if !(size <= ld && pos <= ld-size) {
			argError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			out = append(out, lua.LNumber(f.getInt(data[pos:], opt >= 'a', size)))
		case 'x':
		case 'f':
			var bits uint32
			if f.h.big {
				bits = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			} else {
				bits = binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			}
			out = append(out, lua.LNumber(math.Float32frombits(bits)))
		case 'd':
			var bits uint64
			if f.h.big {
				bits = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			} else {
				bits = binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			}
			out = append(out, lua.LNumber(math.Float64frombits(bits)))
		case 'c':
			if size == 0 {
				var prev lua.LNumber
				ok := false
				if len(out) > 0 {
					prev, ok = out[len(out)-1].(lua.LNumber)
				}
				if !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev)
				out = out[:len(out)-1]
				if !(size >= 0 && size <= ld && pos <= ld-size) {
					argError(L, 2, "unpack", "data string too short")
				}
			}
			out = append(out, lua.LString(data[pos:pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = e + 1
			out = append(out, lua.LString(data[pos:pos+e]))
		default:
			f.control(opt)
		}
		pos += size
	}
	for _, v := range out {
		L.Push(v)
	}
	L.Push(lua.LNumber(pos + 1))
	return len(out) + 1
}

func structSize(L *lua.LState) int {
	f := newStructFormat(L, "size")
	pos := 0
	for !f.done() {
		opt := f.fmt[f.pos]
		f.pos++
		size := f.optsize(opt)
		pos += f.toalign(pos, size, opt)
		if opt == 's' {
			argError(L, 1, "size", "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "size", "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(opt)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
