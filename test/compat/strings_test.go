package compat

import (
	"strings"
	"testing"
)

func TestCompatStrings(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"set_options", genSetOptions, 500},
			{"getex_getset_getdel", genGetex, 400},
			{"setnx_setex_psetex", genSetexFamily, 300},
			{"mget_mset_msetnx", genMset, 300},
			{"append_getrange_setrange", genRanges, 500},
			{"lcs", genLCS, 200},
			{"mixed", genStringsMixed, 600},
			{"wrongtype", genStringsWrongType, 300},
			{"arity", genStringsArity, 1},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				if sub.name == "wrongtype" || sub.name == "other_types" {
					needTargetCommands(t, p, otherTypeCommands...)
				}
				s := newStream(t, p, 1, proto)
				s.keys = []string{"k1", "k2", "k3", "{k}1"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
			})
		}
	})
}

// expiryOpt returns a SET/GETEX expiry option and its value; now and then an invalid one.
func (s *stream) expiryOpt() []string {
	opt := s.pick("EX", "PX", "EXAT", "PXAT")
	if s.chance(0.15) {
		bad := s.pick(append([]string{"0", "-1", "-100", "9223372036854775", "9223372036854776", "9223372036854775807",
			"-9223372036854775808", "9223372036854775807000", "562949953421", "253402300799", "9223372036854775806"}, badInts...)...)
		if s.expireOK(bad, opt == "EX" || opt == "EXAT", opt == "EX" || opt == "PX") {
			return []string{opt, bad}
		}
	}
	switch opt {
	case "EX":
		return []string{opt, itoa(s.relS())}
	case "PX":
		return []string{opt, itoa(s.relS()*1000 + int64(s.intn(1000)))}
	case "EXAT":
		if s.chance(0.2) {
			return []string{opt, itoa(s.pastS())}
		}
		return []string{opt, itoa(s.futureS())}
	default:
		if s.chance(0.2) {
			return []string{opt, itoa(s.pastS()*1000 + int64(s.intn(1000)))}
		}
		return []string{opt, itoa(s.futureS()*1000 + int64(s.intn(1000)))}
	}
}

// settle makes a key whose expiry may be in the past actually go away on both servers (an access
// expires it lazily), so that later DBSIZE / RANDOMKEY replies do not depend on active expiry.
func (s *stream) settle(key string) { s.do("EXISTS", key) }

func (s *stream) ttlCheck(k string) {
	switch s.intn(4) {
	case 0:
		s.doCmp(cmpTTL, "TTL", k)
	case 1:
		s.doCmp(cmpPTTL, "PTTL", k)
	case 2:
		s.doCmp(cmpExpTime, "EXPIRETIME", k)
	default:
		s.doCmp(cmpPExpTime, "PEXPIRETIME", k)
	}
}

func genSetOptions(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0, 1, 2, 3, 4:
		args := s.cmd("SET", k, s.value())
		nopt := s.intn(4)
		for i := 0; i < nopt; i++ {
			switch s.intn(9) {
			case 0:
				args = append(args, s.pick("NX", "nx"))
			case 1:
				args = append(args, s.pick("XX", "xx"))
			case 2:
				args = append(args, s.pick("GET", "get"))
			case 3, 4, 5:
				args = append(args, s.expiryOpt()...)
			case 6:
				args = append(args, "KEEPTTL")
			case 7:
				args = append(args, s.pick("EX", "PX", "EXAT", "PXAT")) // missing value
			default:
				args = append(args, s.pick("FOO", "PERSIST", "EXPX", "NXX", ""))
			}
		}
		s.do(args...)
		s.settle(k)
	case 5, 6:
		s.do(s.cmd("GET", k)...)
	case 7:
		s.ttlCheck(k)
	case 8:
		s.do(s.cmd(s.pick("DEL", "EXISTS", "PERSIST", "STRLEN"), k)...)
	default:
		s.do("SET", k, s.value(), "EX", itoa(s.relS()))
	}
}

func genGetex(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0, 1:
		args := s.cmd("GETEX", k)
		switch s.intn(6) {
		case 0:
		case 1:
			args = append(args, "PERSIST")
		case 2:
			args = append(args, s.expiryOpt()...)
			args = append(args, s.expiryOpt()...) // two options: syntax error
		case 3:
			args = append(args, s.pick("PERSIST", "EX", "FOO", "KEEPTTL"), "10")
		default:
			args = append(args, s.expiryOpt()...)
		}
		s.do(args...)
		s.settle(k)
	case 2:
		s.do(s.cmd("GETSET", k, s.value())...)
	case 3:
		s.do(s.cmd("GETDEL", k)...)
	case 4, 5:
		if s.chance(0.5) {
			s.do("SET", k, s.value(), "PX", itoa(s.relS()*1000))
		} else {
			s.do("SET", k, s.value())
		}
	case 6:
		s.ttlCheck(k)
	case 7:
		s.do(s.cmd("GET", k)...)
	default:
		s.do(s.cmd(s.pick("GETEX", "GETDEL", "GETSET"))...) // arity
	}
}

func genSetexFamily(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1:
		s.do(s.cmd("SETNX", k, s.value())...)
	case 2:
		sec := itoa(s.relS())
		if s.chance(0.3) {
			if bad := s.pick(append([]string{"0", "-1", "9223372036854775807", "9223372036854775", "9223372036854"}, badInts...)...); s.expireOK(bad, true, true) {
				sec = bad
			}
		}
		s.do(s.cmd("SETEX", k, sec, s.value())...)
	case 3:
		ms := itoa(s.relS() * 1000)
		if s.chance(0.3) {
			if bad := s.pick(append([]string{"0", "-1", "9223372036854775807", "9223372036854775806", "9223372036854775"}, badInts...)...); s.expireOK(bad, false, true) {
				ms = bad
			}
		}
		s.do(s.cmd("PSETEX", k, ms, s.value())...)
	case 4:
		s.ttlCheck(k)
	case 5:
		s.do("GET", k)
	case 6:
		s.do(s.cmd(s.pick("SETNX", "SETEX", "PSETEX"), k)...) // arity
	default:
		s.do("DEL", k)
	}
}

func genMset(s *stream) {
	switch s.intn(7) {
	case 0, 1:
		s.do(s.cmd("MGET", s.keysN(5)...)...)
	case 2, 3:
		name := s.pick("MSET", "MSETNX")
		args := s.cmd(name)
		for _, k := range s.keysN(4) {
			args = append(args, k, s.value())
		}
		if s.chance(0.1) {
			args = args[:len(args)-1] // odd number of arguments
		}
		s.do(args...)
	case 4:
		s.do("DEL", s.key())
	case 5:
		s.do(s.cmd(s.pick("MGET", "MSET", "MSETNX"))...)
	default:
		s.do(s.cmd("MGET", s.keysN(3)...)...)
	}
}

func (s *stream) offset() string {
	switch s.intn(10) {
	case 0:
		return s.pick("-1", "abc", "", "536870912", "536870911", "9223372036854775807", "-9223372036854775808", "4294967296")
	case 1:
		return itoa(int64(100 + s.intn(3000)))
	default:
		return itoa(int64(s.intn(20)))
	}
}

func (s *stream) rangeIdx() string {
	switch s.intn(8) {
	case 0:
		return s.pick("9223372036854775807", "-9223372036854775808", "abc", "1.5", "")
	case 1, 2:
		return itoa(int64(-s.intn(30)))
	default:
		return itoa(int64(s.intn(30)))
	}
}

func genRanges(s *stream) {
	k := s.key()
	switch s.intn(9) {
	case 0, 1:
		s.do(s.cmd("APPEND", k, s.value())...)
	case 2:
		s.do(s.cmd("STRLEN", k)...)
	case 3, 4:
		s.do(s.cmd(s.pick("GETRANGE", "SUBSTR"), k, s.rangeIdx(), s.rangeIdx())...)
	case 5, 6:
		off := s.offset()
		val := s.value()
		if off == "536870911" && val != "" {
			val = "xy" // would exceed 512 MB: an error, without allocating it
		}
		s.do(s.cmd("SETRANGE", k, off, val)...)
	case 7:
		if s.chance(0.5) {
			s.do("SET", k, s.value())
		} else {
			s.do("DEL", k)
		}
	default:
		s.do(s.cmd(s.pick("APPEND", "STRLEN", "GETRANGE", "SETRANGE"), k)[:1+s.intn(2)]...)
	}
}

var lcsWords = []string{"ohmytext", "mynewtext", "", "a", "abcdefgh", "hgfedcba", "xyzzy", "aaaaaaaa", "abcabcabcabc",
	"the quick brown fox", "the lazy dog jumps", "0123456789", strings.Repeat("ab", 40), strings.Repeat("ba", 35) + "xx"}

func genLCS(s *stream) {
	switch s.intn(6) {
	case 0, 1:
		s.do("SET", s.key(), s.pick(lcsWords...))
	case 2:
		s.do("DEL", s.key())
	default:
		args := s.cmd("LCS", s.key(), s.key())
		for i := s.intn(4); i > 0; i-- {
			switch s.intn(6) {
			case 0:
				args = append(args, "LEN")
			case 1, 2:
				args = append(args, "IDX")
			case 3:
				args = append(args, "WITHMATCHLEN")
			case 4:
				args = append(args, "MINMATCHLEN", s.pick("0", "1", "2", "3", "5", "-1", "abc"))
			default:
				args = append(args, s.pick("FOO", "MINMATCHLEN"))
			}
		}
		if s.chance(0.05) {
			args = args[:2] // arity
		}
		s.do(args...)
	}
}

func genStringsMixed(s *stream) {
	switch s.intn(5) {
	case 0:
		genSetOptions(s)
	case 1:
		genGetex(s)
	case 2:
		genMset(s)
	case 3:
		genRanges(s)
	default:
		genSetexFamily(s)
	}
}

// genStringsWrongType puts keys of other types (lists, sets, hashes, sorted sets) under the hot
// keys: string commands must answer WRONGTYPE (MGET: nil), and SET overwrites them.
func genStringsWrongType(s *stream) {
	switch s.intn(4) {
	case 0:
		genStringsMixed(s)
	case 1:
		k := s.key()
		s.do("DEL", k)
		switch s.intn(4) {
		case 0:
			s.do("RPUSH", k, "a", "b")
		case 1:
			s.do("SADD", k, "a")
		case 2:
			s.do("HSET", k, "f", "v")
		default:
			s.do("ZADD", k, "1", "m")
		}
	default:
		k := s.key()
		cmds := [][]string{{"GET", k}, {"APPEND", k, "x"}, {"STRLEN", k}, {"GETRANGE", k, "0", "-1"},
			{"SETRANGE", k, "0", "x"}, {"GETSET", k, "v"}, {"GETDEL", k}, {"GETEX", k}, {"SETNX", k, "v"},
			{"SET", k, "v", "GET"}, {"SET", k, "v", "NX", "GET"}, {"INCR", k}, {"LCS", k, "k1"}, {"MGET", k, "k1"},
			{"TYPE", k}}
		s.do(cmds[s.intn(len(cmds))]...)
	}
}

func genStringsArity(s *stream) {
	for _, c := range [][]string{
		{"GET"}, {"GET", "a", "b"}, {"SET"}, {"SET", "k"}, {"SETNX", "k"}, {"SETEX", "k", "10"}, {"PSETEX", "k"},
		{"MGET"}, {"MSET"}, {"MSET", "k"}, {"MSET", "a", "1", "b"}, {"MSETNX", "a"}, {"GETSET", "k"}, {"GETDEL"},
		{"GETDEL", "a", "b"}, {"GETEX"}, {"APPEND", "k"}, {"STRLEN"}, {"GETRANGE", "k", "0"}, {"SUBSTR", "k"},
		{"SETRANGE", "k", "0"}, {"LCS", "a"}, {"GETEX", "k", "PX"}, {"GETEX", "k", "EX", "10", "EX", "10"},
		{"SET", "k", "v", "EX"}, {"SET", "k", "v", "NX", "XX"}, {"SET", "k", "v", "EX", "10", "PX", "100"},
		{"SET", "k", "v", "KEEPTTL", "EX", "10"}, {"SET", "k", "v", "PXAT"}, {"SET", "k", "v", "EX", "10", "EX", "10"},
		{"set", "k", "v", "keepttl", "keepttl"}, {"SET", "k", "v", "GET", "GET"},
	} {
		s.do(c...)
	}
}
