package compat

import (
	"testing"
)

// TestCompatLists: the list commands (LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
// LREM LINSERT LTRIM LPOS LMOVE RPOPLPUSH LMPOP) and the keyspace commands on lists, compared
// byte for byte (lists are ordered, so every reply is deterministic), in RESP2 and RESP3.
func TestCompatLists(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"push_pop", genListPushPop, 600},
			{"index", genListIndex, 500},
			{"lrem_linsert_ltrim", genListEdit, 500},
			{"lpos", genListPos, 400},
			{"move", genListMove, 400},
			{"keyspace", genListKeyspace, 200},
			{"wrongtype", genListWrongType, 300},
			{"mixed", genListMixed, 800},
		} {
			t.Run(sub.name, func(t *testing.T) {
				s := newStream(t, p, 1, proto)
				s.keys = []string{"l1", "l2", "l3", "{l}1"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(2)
				s.do("DEBUG", "DIGEST")
			})
		}
	})
}

// listValues are the elements the streams use: few distinct ones (so LREM, LPOS and LINSERT find
// matches), integers Redis's listpack stores as numbers, binary and empty ones.
var listValues = []string{"a", "b", "c", "a", "b", "1", "-1", "0", "12345678901", "", "x y", "\x00z", "ünï", "+1", "01"}

// listIndexes are indexes and counts with edge cases.
var listIndexes = []string{"0", "1", "2", "-1", "-2", "-3", "3", "5", "-5", "10", "-10", "100", "-100",
	"9223372036854775807", "-9223372036854775808"}

func (s *stream) lvalue() string { return s.pick(listValues...) }

func (s *stream) lvalues(max int) []string {
	out := make([]string, 1+s.intn(max))
	for i := range out {
		out[i] = s.lvalue()
	}
	return out
}

func (s *stream) lindex() string {
	if s.chance(0.05) {
		return s.pick(badInts...)
	}
	return s.pick(listIndexes...)
}

func (s *stream) push(k string) {
	s.do(s.cmd(s.pick("LPUSH", "RPUSH"), append([]string{k}, s.lvalues(6)...)...)...)
}

func genListPushPop(s *stream) {
	k := s.key()
	switch s.intn(12) {
	case 0, 1, 2:
		s.push(k)
	case 3:
		s.do(s.cmd(s.pick("LPUSHX", "RPUSHX"), append([]string{k}, s.lvalues(3)...)...)...)
	case 4, 5:
		s.do(s.cmd(s.pick("LPOP", "RPOP"), k)...)
	case 6, 7:
		c := s.pick("0", "1", "2", "3", "10", "-1", "9223372036854775807")
		if s.chance(0.1) {
			c = s.pick(badInts...)
		}
		s.do(s.cmd(s.pick("LPOP", "RPOP"), k, c)...)
	case 8:
		s.do(s.cmd("LLEN", k)...)
	case 9:
		s.do(s.cmd("LRANGE", k, "0", "-1")...)
	case 10:
		s.do(s.cmd(s.pick("LPOP", "RPOP"), k, "1", "2")...)
	default:
		s.do(s.cmd(s.pick("DEL", "EXISTS", "TYPE"), k)...)
	}
}

func genListIndex(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1:
		s.push(k)
	case 2, 3:
		s.do(s.cmd("LRANGE", k, s.lindex(), s.lindex())...)
	case 4, 5:
		s.do(s.cmd("LINDEX", k, s.lindex())...)
	case 6:
		s.do(s.cmd("LSET", k, s.lindex(), s.lvalue())...)
	default:
		s.do(s.cmd("RPOP", k)...)
	}
}

func genListEdit(s *stream) {
	k := s.key()
	switch s.intn(9) {
	case 0, 1, 2:
		s.push(k)
	case 3, 4:
		c := s.pick("0", "1", "2", "-1", "-2", "5", "-5")
		if s.chance(0.05) {
			c = s.pick(badInts...)
		}
		s.do(s.cmd("LREM", k, c, s.lvalue())...)
	case 5, 6:
		where := s.pick("BEFORE", "AFTER", "before", "after")
		if s.chance(0.05) {
			where = "MIDDLE"
		}
		s.do(s.cmd("LINSERT", k, where, s.lvalue(), s.lvalue())...)
	case 7:
		s.do(s.cmd("LTRIM", k, s.lindex(), s.lindex())...)
	default:
		s.do(s.cmd("LRANGE", k, "0", "-1")...)
	}
}

func genListPos(s *stream) {
	k := s.key()
	if s.chance(0.3) {
		s.push(k)
		return
	}
	args := []string{k, s.lvalue()}
	for range s.intn(4) {
		switch s.intn(4) {
		case 0:
			args = append(args, "RANK", s.pick("1", "2", "-1", "-2", "3", "-3", "0", "100", "-9223372036854775808", "9223372036854775807", "x"))
		case 1:
			args = append(args, "COUNT", s.pick("0", "1", "2", "5", "-1", "x"))
		case 2:
			args = append(args, "MAXLEN", s.pick("0", "1", "2", "4", "-1", "x"))
		default:
			args = append(args, s.pick("RANK", "COUNT", "MAXLEN", "FOO"))
		}
	}
	s.do(s.cmd("LPOS", args...)...)
}

func genListMove(s *stream) {
	k, o := s.key(), s.key()
	switch s.intn(8) {
	case 0, 1, 2:
		s.push(k)
	case 3, 4:
		from, to := s.pick("LEFT", "RIGHT", "left"), s.pick("LEFT", "RIGHT", "right")
		if s.chance(0.05) {
			to = "UP"
		}
		s.do(s.cmd("LMOVE", k, o, from, to)...)
	case 5:
		s.do(s.cmd("RPOPLPUSH", k, o)...)
	case 6:
		keys := s.keysN(3)
		args := append([]string{itoa(int64(len(keys)))}, keys...)
		args = append(args, s.pick("LEFT", "RIGHT"))
		if s.chance(0.5) {
			args = append(args, "COUNT", s.pick("1", "2", "5", "0", "-1", "x"))
		}
		if s.chance(0.05) {
			args[0] = s.pick("0", "-1", "x", "9")
		}
		s.do(s.cmd("LMPOP", args...)...)
	default:
		s.do(s.cmd("LRANGE", o, "0", "-1")...)
	}
}

func genListKeyspace(s *stream) {
	k, o := s.key(), s.key()
	switch s.intn(8) {
	case 0, 1:
		s.push(k)
	case 2:
		s.do("RENAME", k, o)
	case 3:
		s.do("COPY", k, o, "REPLACE")
	case 4:
		s.do("MOVE", k, "1")
	case 5:
		s.do("EXPIRE", k, itoa(s.relS()))
		s.doCmp(cmpTTL, "TTL", k)
	case 6:
		s.do("OBJECT", "ENCODING", k)
	default:
		s.do("DEBUG", "DIGEST-VALUE", k, o)
	}
}

func genListWrongType(s *stream) {
	switch s.intn(4) {
	case 0:
		genListMixed(s)
	case 1:
		k := s.key()
		s.do("DEL", k)
		s.do("SET", k, "v")
	default:
		k, o := s.key(), s.key()
		v := s.lvalue()
		cmds := [][]string{{"LPUSH", k, v}, {"RPUSH", k, v}, {"LPUSHX", k, v}, {"RPUSHX", k, v}, {"LPOP", k},
			{"RPOP", k, "2"}, {"LPOP", k, "x"}, {"LLEN", k}, {"LRANGE", k, "0", "-1"}, {"LRANGE", k, "x", "1"},
			{"LINDEX", k, "0"}, {"LINDEX", k, "x"}, {"LSET", k, "0", v}, {"LSET", k, "x", v}, {"LREM", k, "0", v},
			{"LINSERT", k, "BEFORE", v, v}, {"LTRIM", k, "0", "1"}, {"LPOS", k, v}, {"LPOS", k, v, "RANK", "0"},
			{"LMOVE", k, o, "LEFT", "RIGHT"}, {"LMOVE", o, k, "RIGHT", "LEFT"}, {"RPOPLPUSH", k, o},
			{"LMPOP", "2", o, k, "LEFT"}, {"LMPOP", "2", k, o, "RIGHT", "COUNT", "2"}, {"TYPE", k}, {"GET", k}}
		c := cmds[s.intn(len(cmds))]
		s.do(s.cmd(c[0], c[1:]...)...)
	}
}

func genListMixed(s *stream) {
	switch s.intn(6) {
	case 0:
		genListPushPop(s)
	case 1:
		genListIndex(s)
	case 2:
		genListEdit(s)
	case 3:
		genListPos(s)
	case 4:
		genListMove(s)
	default:
		genListKeyspace(s)
	}
}
