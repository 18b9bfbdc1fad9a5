package compat

import (
	"strings"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

// TestCompatZsets: the sorted-set commands (ZADD with NX XX GT LT CH INCR, ZINCRBY, ZREM, ZSCORE,
// ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANGE with BYSCORE BYLEX REV LIMIT WITHSCORES,
// ZRANGESTORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE, ZRANK,
// ZREVRANK, ZPOPMIN, ZPOPMAX, ZMPOP, ZREMRANGEBYRANK/SCORE/LEX, ZUNION, ZINTER, ZDIFF and their
// STORE forms, ZINTERCARD, ZRANDMEMBER, ZSCAN) and the keyspace commands on sorted sets, in RESP2
// and RESP3. Replies are sorted by score in Redis, so they are compared byte for byte, except
// ZSCAN of a skiplist (hash order: compared as the set of a full iteration) and random picks
// (checked for shape and membership). Lex ranges are used on keys whose members all have the
// same score (Redis's result is undefined otherwise). Scores include -0, which a listpack stores
// as the integer 0 (and keeps as 0 after converting to a skiplist) while a skiplist keeps -0.
func TestCompatZsets(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	needTargetCommands(t, p, "zadd", "zrange", "zunionstore", "zmpop", "zrandmember", "zscan")
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"zadd_zincrby", genZsetBasic, 700},
			{"ranges", genZsetRanges, 700},
			{"lex", genZsetLex, 400},
			{"remrange_pop", genZsetRemove, 500},
			{"algebra", genZsetAlgebra, 500},
			{"random", genZsetRandom, 300},
			{"zscan", genZsetScan, 150},
			{"encoding", genZsetEncoding, 150},
			{"keyspace", genZsetKeyspace, 300},
			{"wrongtype", genZsetWrongType, 300},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				s := newStream(t, p, 1, proto)
				s.keys = []string{"z1", "z2", "z3", "{z}1"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
				for _, k := range s.keys {
					s.do("DEBUG", "DIGEST-VALUE", k)
				}
				s.do("DEBUG", "DIGEST")
				s.do("CONFIG", "SET", "zset-max-listpack-entries", "128")
				s.do("CONFIG", "SET", "zset-max-listpack-value", "64")
			})
		}
	})
}

var zsetMembers = []string{"a", "b", "c", "d", "e", "foo", "", "a b", "\x00x", "ünï", "1", "10", "-5", "m1", "m2"}

var zsetScores = []string{"0", "1", "2", "2.5", "-3", "10", "0.1", "0.2", "1e300", "-1e300", "inf", "+inf", "-inf",
	"3.0", "1e-5", "123456789012345678", "0x10", "7", "100", "-100.25", "-0", "-0.0"}

var zsetBadScores = []string{"abc", "nan", "", " 1", "1e400", "1x", "-nan", "(1"}

var zsetBounds = []string{"-inf", "+inf", "inf", "0", "1", "(1", "2.5", "(2.5", "-3", "(-inf", "(+inf", "10", "(10", "1e300", "0x10"}

var zsetBadBounds = []string{"abc", "(", "((1", "nan", "(nan", "1x"}

var zsetLexBounds = []string{"-", "+", "[a", "(a", "[b", "(c", "[d", "(foo", "[", "(", "[zz", "[m1", "(m2"}

var zsetBadLexBounds = []string{"a", "", "+a", "-a", "1"}

func (s *stream) zmember() string { return s.pick(zsetMembers...) }

func (s *stream) zscore() string {
	if s.chance(0.03) {
		return s.pick(zsetBadScores...)
	}
	if s.chance(0.3) {
		return itoa(int64(s.intn(20) - 5))
	}
	return s.pick(zsetScores...)
}

// zpairs returns 1..max score/member pairs.
func (s *stream) zpairs(max int) []string {
	var out []string
	for i := 1 + s.intn(max); i > 0; i-- {
		out = append(out, s.zscore(), s.zmember())
	}
	return out
}

func (s *stream) zbound() string {
	if s.chance(0.03) {
		return s.pick(zsetBadBounds...)
	}
	return s.pick(zsetBounds...)
}

func (s *stream) zlexBound() string {
	if s.chance(0.03) {
		return s.pick(zsetBadLexBounds...)
	}
	return s.pick(zsetLexBounds...)
}

// zaddFlags picks ZADD options (sometimes incompatible ones).
func (s *stream) zaddFlags() []string {
	var out []string
	for _, f := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
		if s.chance(0.12) {
			out = append(out, s.cmdName(f))
		}
	}
	return out
}

func (s *stream) zlimit() []string {
	if !s.chance(0.4) {
		return nil
	}
	return []string{"LIMIT", s.pick("0", "1", "2", "-1", "5", "100"), s.pick("0", "1", "2", "-1", "3", "100")}
}

func genZsetBasic(s *stream) {
	k := s.key()
	switch s.intn(16) {
	case 0, 1, 2, 3:
		args := append([]string{k}, s.zaddFlags()...)
		args = append(args, s.zpairs(4)...)
		if s.chance(0.02) {
			args = append(args, "1") // odd: syntax error
		}
		s.do(s.cmd("ZADD", args...)...)
	case 4, 5, 6:
		s.do(s.cmd("ZINCRBY", k, s.zscore(), s.zmember())...)
	case 7:
		s.do(s.cmd("ZREM", k, s.zmember(), s.zmember(), s.zmember())...)
	case 8:
		s.do(s.cmd("ZSCORE", k, s.zmember())...)
	case 9:
		s.do(s.cmd("ZMSCORE", k, s.zmember(), s.zmember(), "nope")...)
	case 10:
		s.do(s.cmd("ZCARD", k)...)
	case 11:
		s.do(s.cmd(s.pick("ZRANK", "ZREVRANK"), k, s.zmember())...)
	case 12:
		s.do(s.cmd("ZADD", k, "INCR", s.zscore(), s.zmember(), s.zscore(), s.zmember())...)
	case 13:
		if s.chance(0.3) {
			s.do("DEL", k)
		}
		s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
	default:
		s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
	}
}

func genZsetRanges(s *stream) {
	k := s.key()
	switch s.intn(14) {
	case 0, 1:
		s.do(append([]string{"ZADD", k}, s.zpairs(6)...)...)
	case 2:
		args := []string{k, s.pick("0", "1", "-1", "-2", "2", "100", "-100", "abc"), s.pick("0", "1", "-1", "-2", "3", "100", "-100")}
		if s.chance(0.3) {
			args = append(args, "REV")
		}
		if s.chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		if s.chance(0.05) {
			args = append(args, "LIMIT", "0", "1")
		}
		s.do(s.cmd("ZRANGE", args...)...)
	case 3, 4:
		args := []string{k, s.zbound(), s.zbound(), "BYSCORE"}
		if s.chance(0.4) {
			args = append(args, "REV")
		}
		if s.chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		args = append(args, s.zlimit()...)
		if s.chance(0.3) { // shuffle the options
			opts := args[3:]
			s.rnd.Shuffle(len(opts), func(i, j int) {
				if opts[i] != "LIMIT" && opts[j] != "LIMIT" {
					opts[i], opts[j] = opts[j], opts[i]
				}
			})
		}
		s.do(s.cmd("ZRANGE", args...)...)
	case 5, 6:
		name := s.pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE")
		args := []string{k, s.zbound(), s.zbound()}
		if s.chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		args = append(args, s.zlimit()...)
		if s.chance(0.03) {
			args = append(args, s.pick("REV", "BYLEX", "LIMIT"))
		}
		s.do(s.cmd(name, args...)...)
	case 7:
		args := []string{k, s.pick("0", "1", "-1", "-3", "5"), s.pick("0", "1", "-1", "-3", "5")}
		if s.chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		s.do(s.cmd("ZREVRANGE", args...)...)
	case 8:
		s.do(s.cmd("ZCOUNT", k, s.zbound(), s.zbound())...)
	case 9:
		dst := s.pick("dst", k, s.key())
		args := []string{dst, k}
		if s.chance(0.5) {
			args = append(args, s.pick("0", "1", "-1"), s.pick("-1", "2", "0"))
		} else {
			args = append(args, s.zbound(), s.zbound(), "BYSCORE")
			args = append(args, s.zlimit()...)
		}
		if s.chance(0.3) {
			args = append(args, "REV")
		}
		if s.chance(0.03) {
			args = append(args, "WITHSCORES")
		}
		s.do(s.cmd("ZRANGESTORE", args...)...)
		s.do("ZRANGE", dst, "0", "-1", "WITHSCORES")
		s.do("OBJECT", "ENCODING", dst)
	case 10:
		s.do(s.cmd("ZINCRBY", k, s.zscore(), s.zmember())...)
	case 11:
		s.do(s.cmd("ZREM", k, s.zmember())...)
	default:
		s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
	}
}

// genZsetLex uses keys whose members all score 0 (the lex commands' precondition).
func genZsetLex(s *stream) {
	k := s.pick("lx1", "lx2")
	switch s.intn(10) {
	case 0, 1:
		args := []string{"ZADD", k}
		for i := 1 + s.intn(5); i > 0; i-- {
			args = append(args, "0", s.zmember())
		}
		s.do(args...)
	case 2, 3:
		name := s.pick("ZRANGEBYLEX", "ZREVRANGEBYLEX")
		args := []string{k, s.zlexBound(), s.zlexBound()}
		args = append(args, s.zlimit()...)
		if s.chance(0.05) {
			args = append(args, "WITHSCORES")
		}
		s.do(s.cmd(name, args...)...)
	case 4, 5:
		args := []string{k, s.zlexBound(), s.zlexBound(), "BYLEX"}
		if s.chance(0.4) {
			args = append(args, "REV")
		}
		args = append(args, s.zlimit()...)
		s.do(s.cmd("ZRANGE", args...)...)
	case 6:
		s.do(s.cmd("ZLEXCOUNT", k, s.zlexBound(), s.zlexBound())...)
	case 7:
		s.do(s.cmd("ZREMRANGEBYLEX", k, s.zlexBound(), s.zlexBound())...)
	case 8:
		dst := s.pick("dst", "lx2")
		s.do(s.cmd("ZRANGESTORE", dst, k, s.zlexBound(), s.zlexBound(), "BYLEX")...)
		s.do("ZRANGE", dst, "0", "-1", "WITHSCORES")
	default:
		s.do("ZRANGE", k, "0", "-1")
	}
}

func genZsetRemove(s *stream) {
	k := s.key()
	switch s.intn(12) {
	case 0, 1, 2:
		s.do(append([]string{"ZADD", k}, s.zpairs(8)...)...)
	case 3:
		s.do(s.cmd("ZREMRANGEBYRANK", k, s.pick("0", "1", "-1", "-2", "5", "abc"), s.pick("0", "1", "-1", "2", "100"))...)
	case 4:
		s.do(s.cmd("ZREMRANGEBYSCORE", k, s.zbound(), s.zbound())...)
	case 5, 6:
		args := []string{k}
		if s.chance(0.7) {
			args = append(args, s.pick("0", "1", "2", "5", "100", "-1", "abc"))
		}
		if s.chance(0.03) {
			args = append(args, "1")
		}
		s.do(s.cmd(s.pick("ZPOPMIN", "ZPOPMAX"), args...)...)
	case 7, 8:
		keys := []string{k}
		if s.chance(0.5) {
			keys = []string{"nokey", k, s.key()}
		}
		args := append([]string{s.pick(itoa(int64(len(keys))), "0", "abc", "9")}, keys...)
		args = append(args, s.pick("MIN", "MAX", "min", "foo"))
		if s.chance(0.6) {
			args = append(args, "COUNT", s.pick("1", "2", "5", "0", "-1", "abc"))
		}
		if s.chance(0.03) {
			args = append(args, "COUNT", "1")
		}
		s.do(s.cmd("ZMPOP", args...)...)
	case 9:
		s.do("EXISTS", k)
		s.do("ZCARD", k)
	default:
		s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
	}
}

func genZsetAlgebra(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0, 1:
		s.do(append([]string{"ZADD", k}, s.zpairs(6)...)...)
	case 2:
		s.do("SADD", "set1", s.zmember(), s.zmember())
	default:
		keys := s.keysN(3)
		if s.chance(0.2) {
			keys = append(keys, s.pick("nokey", "set1"))
		}
		name := s.pick("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD")
		var args []string
		store := strings.HasSuffix(name, "STORE")
		if store {
			args = append(args, s.pick("dst", k))
		}
		num := itoa(int64(len(keys)))
		if s.chance(0.04) {
			num = s.pick("0", "-1", "abc", "9")
		}
		args = append(args, num)
		args = append(args, keys...)
		if s.chance(0.4) {
			args = append(args, "WEIGHTS")
			for range keys {
				args = append(args, s.pick("1", "2", "0", "-1", "0.5", "inf", "1e300", "-0"))
			}
			if s.chance(0.05) {
				args[len(args)-1] = "abc"
			}
		}
		if s.chance(0.4) {
			args = append(args, "AGGREGATE", s.pick("SUM", "MIN", "MAX", "sum", "foo"))
		}
		if s.chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		if name == "ZINTERCARD" && s.chance(0.5) {
			args = append(args, "LIMIT", s.pick("0", "1", "2", "-1", "abc"))
		}
		s.do(s.cmd(name, args...)...)
		if store {
			s.do("ZRANGE", args[0], "0", "-1", "WITHSCORES")
			s.do("OBJECT", "ENCODING", args[0])
		}
	}
}

// cmpZsetRandom checks a random reply (ZRANDMEMBER) against the set's members: errors, nulls
// and integers identical; a bulk must be a member; an aggregate must have the reference's type
// and size and hold members (or scores) only.
func cmpZsetRandom(members []string) cmpFunc {
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	return func(a, b []byte) bool {
		ra, err1 := testserver.ParseReply(a)
		rb, err2 := testserver.ParseReply(b)
		if err1 != nil || err2 != nil || ra.IsError() || ra.IsNull() || !(ra.Type == '$' || ra.IsAggregate()) {
			return string(a) == string(b)
		}
		if ra.Type != rb.Type || rb.IsNull() {
			return false
		}
		if ra.Type == '$' {
			return in[rb.Str]
		}
		if len(ra.Elems) != len(rb.Elems) {
			return false
		}
		for _, e := range rb.Elems {
			if e.Type == '*' && len(e.Elems) == 2 {
				e = e.Elems[0]
			}
			if e.Type == '$' && !in[e.Str] {
				return false
			}
		}
		return true
	}
}

func genZsetRandom(s *stream) {
	k := s.key()
	switch s.intn(6) {
	case 0, 1:
		s.do(append([]string{"ZADD", k}, s.zpairs(8)...)...)
	default:
		r := s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
		var members []string
		for _, e := range r.Elems {
			if e.Type == '*' {
				members = append(members, e.Elems[0].Str)
			} else {
				members = append(members, e.Str)
			}
		}
		args := []string{k}
		if s.chance(0.8) {
			args = append(args, s.pick("0", "1", "2", "3", "100", "-1", "-3", "9223372036854775807",
				"-9223372036854775807", "-9223372036854775808", "4611686018427387904", "abc"))
			if s.chance(0.5) {
				args = append(args, s.pick("WITHSCORES", "withscores", "foo"))
			}
		}
		if len(args) >= 2 && (args[1] == "-9223372036854775807" && len(members) > 0 && len(args) == 2) {
			args[1] = "-9"
		}
		s.doCmp(cmpZsetRandom(members), s.cmd("ZRANDMEMBER", args...)...)
	}
}

func genZsetScan(s *stream) {
	k := s.key()
	switch s.intn(6) {
	case 0:
		args := []string{"ZADD", k}
		for i := 0; i < 150+s.intn(50); i++ {
			args = append(args, itoa(int64(s.intn(1000))), "m"+itoa(int64(i)))
		}
		s.do(args...)
	case 1:
		s.do(append([]string{"ZADD", k}, s.zpairs(5)...)...)
	case 2:
		s.do("ZREM", k, s.zmember(), "m1", "m2", "m3")
	case 3:
		switch s.intn(3) {
		case 0:
			s.do("ZSCAN", k, s.pick("abc", "18446744073709551616", " 1", "-1x"))
		case 1:
			s.do("ZSCAN", k, "0", "COUNT", s.pick("0", "-1", "abc"))
		default:
			s.do("ZSCAN", k, "0", "MATCH", "*", s.pick("COUNT", "FOO"))
		}
	default:
		enc := s.do("OBJECT", "ENCODING", k)
		var opts []string
		if s.chance(0.5) {
			opts = append(opts, "MATCH", s.pick("*", "m1*", "?", "[ab]*", "*o*"))
		}
		if s.chance(0.5) {
			opts = append(opts, "COUNT", s.pick("1", "5", "100"))
		}
		if enc.Str == "listpack" {
			s.do(append([]string{"ZSCAN", k, "0"}, opts...)...)
		} else {
			s.scanAll("ZSCAN", k, opts...)
		}
	}
}

// genZsetEncoding builds sorted sets and compares OBJECT ENCODING as limits change.
func genZsetEncoding(s *stream) {
	k := s.key()
	switch s.intn(6) {
	case 0:
		s.do("CONFIG", "SET", "zset-max-listpack-entries", s.pick("0", "1", "3", "128"))
	case 1:
		s.do("CONFIG", "SET", "zset-max-listpack-value", s.pick("0", "2", "5", "64"))
	case 2:
		s.do("DEL", k)
	case 3:
		s.do(append([]string{"ZADD", k}, s.zpairs(4)...)...)
	case 4:
		s.do("ZADD", k, "1", strings.Repeat("x", s.intn(80)))
	default:
		s.do("OBJECT", "ENCODING", k)
		s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
	}
}

func genZsetKeyspace(s *stream) {
	k := s.key()
	switch s.intn(12) {
	case 0, 1, 2:
		s.do(append([]string{"ZADD", k}, s.zpairs(5)...)...)
	case 3:
		s.do("ZINCRBY", k, s.zscore(), s.zmember())
	case 4:
		s.do("RENAME", k, s.key())
	case 5:
		s.do("COPY", k, s.key(), s.pick("REPLACE", "replace"))
	case 6:
		s.do("EXPIRE", k, itoa(s.relS()))
	case 7:
		s.do("TYPE", k)
		s.doCmp(cmpTTL, "TTL", k)
	case 8:
		s.do("DEBUG", "DIGEST-VALUE", k)
	case 9:
		s.do("DEL", k)
	case 10:
		s.do("ZREM", k, s.zmember(), s.zmember())
	default:
		s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
	}
}

func genZsetWrongType(s *stream) {
	k := s.key()
	if s.chance(0.3) {
		s.do("SET", k, "str")
	}
	if s.chance(0.1) {
		s.do("DEL", k)
	}
	cmds := [][]string{
		{"ZADD", k, "1", "a"}, {"ZINCRBY", k, "1", "a"}, {"ZREM", k, "a"}, {"ZSCORE", k, "a"},
		{"ZMSCORE", k, "a"}, {"ZCARD", k}, {"ZCOUNT", k, "0", "1"}, {"ZLEXCOUNT", k, "-", "+"},
		{"ZRANGE", k, "0", "-1"}, {"ZRANGESTORE", "dst", k, "0", "-1"}, {"ZRANGEBYSCORE", k, "0", "1"},
		{"ZREVRANGEBYSCORE", k, "1", "0"}, {"ZRANGEBYLEX", k, "-", "+"}, {"ZREVRANGEBYLEX", k, "+", "-"},
		{"ZREVRANGE", k, "0", "1"}, {"ZRANK", k, "a"}, {"ZREVRANK", k, "a"}, {"ZPOPMIN", k},
		{"ZPOPMAX", k, "2"}, {"ZREMRANGEBYRANK", k, "0", "1"}, {"ZREMRANGEBYSCORE", k, "0", "1"},
		{"ZREMRANGEBYLEX", k, "-", "+"}, {"ZUNIONSTORE", "dst", "1", k}, {"ZINTERSTORE", "dst", "2", k, "nokey"},
		{"ZDIFFSTORE", "dst", "1", k}, {"ZUNION", "1", k}, {"ZINTER", "1", k}, {"ZDIFF", "1", k},
		{"ZINTERCARD", "1", k}, {"ZRANDMEMBER", k}, {"ZRANDMEMBER", k, "2"}, {"ZSCAN", k, "0"},
		{"ZMPOP", "1", k, "MIN"}, {"ZCOUNT", k, "a", "b"}, {"ZRANGE", k, "a", "b", "BYLEX"},
	}
	c := cmds[s.intn(len(cmds))]
	s.do(s.cmd(c[0], c[1:]...)...)
	if s.chance(0.3) {
		s.do("ZADD", k, "1", "a")
	}
}
