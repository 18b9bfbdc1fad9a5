package compat

import "testing"

func TestCompatBits(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"setbit_getbit", genSetbit, 400},
			{"bitcount_bitpos", genBitcount, 500},
			{"bitop", genBitop, 300},
			{"bitfield", genBitfield, 500},
			{"mixed", genBitsMixed, 600},
			{"wrongtype", genBitsWrongType, 200},
			{"arity", genBitsArity, 1},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				if sub.name == "wrongtype" || sub.name == "other_types" {
					needTargetCommands(t, p, otherTypeCommands...)
				}
				s := newStream(t, p, 1, proto)
				s.keys = []string{"b1", "b2", "b3"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
			})
		}
	})
}

var bitStrings = []string{"", "\x00", "\xff", "\xff\xf0\x00", "\x00\x00\x01", "foobar", "\xaa\x55\xaa\x55\xaa\x55\xaa\x55\xaa",
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
	"hello world", "1", "abc"}

func (s *stream) bitOffset(write bool) string {
	switch s.intn(12) {
	case 0:
		if write {
			return s.pick("-1", "abc", "4294967296", "1.5", "", "-9223372036854775808", "9223372036854775807")
		}
		return s.pick("-1", "abc", "4294967295", "4294967296", "1.5", "", "100000000")
	case 1:
		return itoa(int64(s.intn(20000)))
	default:
		return itoa(int64(s.intn(100)))
	}
}

func genSetbit(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1, 2:
		s.do(s.cmd("SETBIT", k, s.bitOffset(true), s.pick("0", "1", "1", "0", "2", "-1", "abc", ""))...)
	case 3, 4:
		s.do(s.cmd("GETBIT", k, s.bitOffset(false))...)
	case 5:
		s.do("GET", k)
	case 6:
		s.do("SET", k, s.pick(bitStrings...))
	default:
		s.do("STRLEN", k)
	}
}

func (s *stream) bitRange() []string {
	switch s.intn(8) {
	case 0:
		return nil
	case 1:
		return []string{s.rangeIdx()} // a lone start: syntax error
	case 2:
		return []string{s.rangeIdx(), s.rangeIdx(), s.pick("BYTE", "BIT", "byte", "bit", "FOO")}
	case 3:
		return []string{s.rangeIdx(), s.rangeIdx(), "BIT"}
	default:
		return []string{s.rangeIdx(), s.rangeIdx()}
	}
}

func genBitcount(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1, 2:
		s.do(append(s.cmd("BITCOUNT", k), s.bitRange()...)...)
	case 3, 4, 5:
		args := s.cmd("BITPOS", k, s.pick("0", "1", "1", "0", "2", "-1", "abc"))
		switch s.intn(4) {
		case 0:
		case 1:
			args = append(args, s.rangeIdx())
		case 2:
			args = append(args, s.rangeIdx(), s.rangeIdx())
		default:
			args = append(args, s.rangeIdx(), s.rangeIdx(), s.pick("BYTE", "BIT", "bit", "FOO"))
		}
		s.do(args...)
	case 6:
		s.do("SET", k, s.pick(bitStrings...))
	default:
		s.do("SETBIT", k, s.bitOffset(true), s.pick("0", "1"))
	}
}

func genBitop(s *stream) {
	switch s.intn(6) {
	case 0, 1:
		s.do("SET", s.key(), s.pick(bitStrings...))
	case 2:
		s.do("DEL", s.key())
	case 3:
		s.do("GET", s.key())
	default:
		op := s.pick("AND", "OR", "XOR", "NOT", "and", "not", "DIFF", "FOO")
		args := s.cmd("BITOP", op, s.pick(append(s.keys, "dest")...))
		args = append(args, s.keysN(3)...)
		if s.chance(0.1) {
			args = append(args, "nokey")
		}
		s.do(args...)
		s.do("GET", args[2])
	}
}

var bitfieldTypes = []string{"u1", "u2", "u3", "u7", "u8", "u15", "u16", "u31", "u32", "u63", "i1", "i2", "i8", "i16",
	"i32", "i63", "i64", "i5", "u5"}

func (s *stream) bitfieldType() string {
	if s.chance(0.02) {
		return s.pick("u64", "i65", "u0", "i0", "x8", "", "U8", "8", "i-1")
	}
	return s.pick(bitfieldTypes...)
}

func (s *stream) bitfieldOffset(write bool) string {
	switch s.intn(25) {
	case 0:
		return "#" + itoa(int64(s.intn(20)))
	case 1:
		if write { // no offsets that would make the servers allocate hundreds of MB
			return s.pick("-1", "#-1", "abc", "#", "4294967296", "##1", "#4294967296", "1.5")
		}
		return s.pick("-1", "#-1", "abc", "#", "4294967296", "4294967295", "##1", "4294967200", "#536870911")
	default:
		return itoa(int64(s.intn(80)))
	}
}

func (s *stream) bitfieldValue() string {
	if s.chance(0.3) {
		return s.pick(append([]string{"0", "-1", "1", "127", "128", "255", "256", "-128", "-129", "65535", "2147483647",
			"-2147483648", "4294967295"}, append(edgeInts, "abc", "1.5")...)...)
	}
	return itoa(int64(s.intn(600) - 300))
}

func genBitfield(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0:
		s.do("SET", k, s.pick(bitStrings...))
	case 1:
		s.do("GET", k)
	case 2:
		args := s.cmd("BITFIELD_RO", k)
		for i := 1 + s.intn(3); i > 0; i-- {
			if s.chance(0.9) {
				args = append(args, "GET", s.bitfieldType(), s.bitfieldOffset(false))
			} else {
				args = append(args, s.pick("SET", "INCRBY"), s.bitfieldType(), s.bitfieldOffset(true), "1")
			}
		}
		s.do(args...)
	default:
		args := s.cmd("BITFIELD", k)
		for i := 1 + s.intn(4); i > 0; i-- {
			switch s.intn(8 + 22*s.intn(2)) {
			case 0, 1:
				args = append(args, s.pick("GET", "get"), s.bitfieldType(), s.bitfieldOffset(false))
			case 2, 3:
				args = append(args, s.pick("SET", "set"), s.bitfieldType(), s.bitfieldOffset(true), s.bitfieldValue())
			case 4, 5:
				args = append(args, s.pick("INCRBY", "incrby"), s.bitfieldType(), s.bitfieldOffset(true), s.bitfieldValue())
			case 6:
				args = append(args, "OVERFLOW", s.pick("WRAP", "SAT", "FAIL", "wrap", "sat", "fail", "FOO"))
			case 7:
				args = append(args, s.pick("GET", "SET", "FOO", "OVERFLOW"))
			default:
				switch s.intn(3) {
				case 0:
					args = append(args, "GET", s.pick(bitfieldTypes...), itoa(int64(s.intn(64))))
				case 1:
					args = append(args, "OVERFLOW", s.pick("WRAP", "SAT", "FAIL"))
				}
				args = append(args, s.pick("SET", "INCRBY"), s.pick(bitfieldTypes...), itoa(int64(s.intn(64))), s.bitfieldValue())
			}
		}
		s.do(args...)
	}
}

func genBitsMixed(s *stream) {
	switch s.intn(6) {
	case 0:
		genSetbit(s)
	case 1:
		genBitcount(s)
	case 2:
		genBitop(s)
	case 3:
		genBitfield(s)
	case 4:
		s.do("APPEND", s.key(), s.pick(bitStrings...))
	default:
		s.do(s.cmd(s.pick("SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITFIELD", "BITFIELD_RO"), s.key(), "1", "1")[:2+s.intn(3)]...)
	}
}

// genBitsWrongType puts a set under one of the hot keys: bit commands must answer WRONGTYPE.
func genBitsWrongType(s *stream) {
	k := s.key()
	if s.chance(0.2) {
		s.do("DEL", k)
		s.do("SADD", k, "x")
	}
	if s.chance(0.2) {
		s.do("BITOP", s.pick("AND", "OR", "NOT"), "dest", k)
		return
	}
	if s.chance(0.3) {
		genBitsMixed(s)
		return
	}
	s.do(s.cmd(s.pick("SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITFIELD", "BITFIELD_RO"), k, "1", "1")[:2+s.intn(3)]...)
}

func genBitsArity(s *stream) {
	for _, c := range [][]string{
		{"SETBIT"}, {"SETBIT", "b", "1"}, {"SETBIT", "b", "1", "1", "1"}, {"GETBIT", "b"}, {"GETBIT", "b", "1", "2"},
		{"BITCOUNT"}, {"BITCOUNT", "b", "0"}, {"BITCOUNT", "b", "0", "1", "BIT", "x"}, {"BITPOS", "b"},
		{"BITPOS", "b", "1", "0", "1", "BIT", "x"}, {"BITOP"}, {"BITOP", "AND"}, {"BITOP", "AND", "d"},
		{"BITOP", "NOT", "d", "a", "b"}, {"BITFIELD"}, {"BITFIELD_RO"}, {"BITFIELD", "b", "GET", "u8"},
		{"BITFIELD", "b", "SET", "u8", "0"}, {"BITFIELD", "b", "OVERFLOW"}, {"BITFIELD_RO", "b", "GET"},
		{"BITFIELD", "b"}, {"BITFIELD_RO", "b"}, {"BITFIELD", "b", "INCRBY", "u8", "0"},
	} {
		s.do(c...)
	}
}
