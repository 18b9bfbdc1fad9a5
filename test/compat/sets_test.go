package compat

import (
	"strings"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

// TestCompatSets: the set commands (SADD SREM SMOVE SISMEMBER SMISMEMBER SCARD SMEMBERS SPOP
// SRANDMEMBER SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN) and the
// keyspace commands on sets. Redis replies the members of an intset in ascending order, which
// Concord does too: where the stream knows the set is a fresh intset, replies are compared byte
// for byte; elsewhere member lists are compared as sets (hash order), and SSCAN by the union of a
// full iteration. Random replies (SPOP, SRANDMEMBER) are checked for type, size, membership and
// distinctness, and a SPOP is followed by re-adding the set's members, which brings both servers
// back to the same content (and replies the same count on both).
func TestCompatSets(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"sadd_srem", genSetBasic, 600},
			{"spop_srandmember", genSetRandom, 400},
			{"algebra", genSetAlgebra, 500},
			{"smove", genSetMove, 300},
			{"sscan", genSetScan, 150},
			{"encoding", genSetEncoding, 200},
			{"keyspace", genSetKeyspace, 300},
			{"mixed", genSetMixed, 800},
			{"wrongtype", genSetWrongType, 300},
			{"edges", genSetEdges, 1},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				s := newStream(t, p, 1, proto)
				s.keys = []string{"s1", "s2", "s3", "{s}1"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
				s.do("DEBUG", "DIGEST")
				s.do("CONFIG", "SET", "set-max-intset-entries", "512")
			})
		}
	})
}

// setMembers are the members the streams use besides small integers: integers at and past the
// int64 limits, spellings string2ll refuses (so not intset material), binary and empty members,
// and members that look like patterns.
var setMembers = []string{"a", "b", "c", "foo", "", "a b", "\x00x", "ünï", "01", "+1", "-0", " 1", "1.5",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-5", "0", "*", "[ab]"}

var setPatterns = []string{"*", "a*", "1*", "?", "[ab]*", "*o*", "[0-9]", "-*", "\x00*", "*\\*"}

// smember picks a member: usually a small integer, so that many sets are intsets.
func (s *stream) smember() string {
	if s.chance(0.6) {
		return itoa(int64(1 + s.intn(12)))
	}
	return s.pick(setMembers...)
}

// smembersN picks 1..max members, possibly repeated.
func (s *stream) smembersN(max int) []string {
	out := make([]string, 1+s.intn(max))
	for i := range out {
		out[i] = s.smember()
	}
	return out
}

// setKeys picks 1..max keys among the hot keys and a missing one.
func (s *stream) setKeys(max int) []string {
	out := make([]string, 1+s.intn(max))
	for i := range out {
		if s.chance(0.1) {
			out[i] = "nokey"
		} else {
			out[i] = s.key()
		}
	}
	return out
}

// bigSetMembers returns many members: integers past set-max-intset-entries, or strings.
func (s *stream) bigSetMembers() []string {
	var out []string
	if s.chance(0.5) {
		for i := 0; i < 520+s.intn(100); i++ {
			out = append(out, itoa(int64(i)))
		}
		return out
	}
	for i := 0; i < 20+s.intn(80); i++ {
		out = append(out, "m"+itoa(int64(i)))
	}
	return out
}

// setContent reads a set's members on the reference (comparing SMEMBERS as sets on the way).
func (s *stream) setContent(k string) []string {
	r := s.doCmp(cmpSorted, "SMEMBERS", k)
	if r.IsError() {
		return nil
	}
	return r.Strings()
}

// cmpSetRandom checks a random reply against the set's members: an error, a null or an
// integer must be identical; a bulk must be a member; an aggregate must have the same type and
// size, hold members only, and distinct ones when distinct is set.
func cmpSetRandom(members []string, distinct bool) cmpFunc {
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
		seen := map[string]bool{}
		for _, e := range rb.Elems {
			if e.Type != '$' || !in[e.Str] || distinct && seen[e.Str] {
				return false
			}
			seen[e.Str] = true
		}
		return true
	}
}

func genSetBasic(s *stream) {
	k := s.key()
	switch s.intn(13) {
	case 0, 1, 2, 3:
		s.do(s.cmd("SADD", append([]string{k}, s.smembersN(5)...)...)...)
	case 4, 5:
		s.do(s.cmd("SREM", append([]string{k}, s.smembersN(4)...)...)...)
	case 6:
		s.do(s.cmd("SISMEMBER", k, s.smember())...)
	case 7:
		s.do(s.cmd("SMISMEMBER", append([]string{k}, s.smembersN(4)...)...)...)
	case 8:
		s.do(s.cmd("SCARD", k)...)
	case 9:
		s.doCmp(cmpSorted, s.cmd("SMEMBERS", k)...)
	case 10:
		s.do(s.cmd(s.pick("DEL", "EXISTS", "TYPE", "UNLINK"), k)...)
	case 11:
		if s.chance(0.2) {
			s.do(append([]string{"SADD", k}, s.bigSetMembers()...)...)
		} else {
			s.do("SREM", k, "1", "2", "3", "4", "5", "a", "b")
		}
	default:
		s.do("EXPIRE", k, itoa(s.relS()))
		s.ttlCheck(k)
	}
}

func genSetRandom(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0:
		s.do("DEL", k)
		s.do(append([]string{"SADD", k}, s.smembersN(10)...)...)
	case 1:
		if s.chance(0.3) {
			s.do(append([]string{"SADD", k}, s.bigSetMembers()...)...)
		} else {
			s.do(append([]string{"SADD", k}, s.smembersN(6)...)...)
		}
	case 2, 3:
		members := s.setContent(k)
		args := s.cmd("SRANDMEMBER", k)
		distinct := true
		if s.chance(0.8) {
			c := s.pick("0", "1", "2", "3", "5", "10", "100", "-1", "-2", "-7", "-30", "9223372036854775807",
				"-9223372036854775807", "-9223372036854775808")
			if s.chance(0.1) {
				c = s.pick(badInts...)
			}
			distinct = !strings.HasPrefix(c, "-")
			args = append(args, c)
			if s.chance(0.05) {
				args = append(args, "1") // syntax error
			}
		}
		if len(args) == 3 && args[2] == "-9223372036854775807" && len(members) > 0 {
			args[2] = "-9"
		}
		s.doCmp(cmpSetRandom(members, distinct), args...)
	default:
		members := s.setContent(k)
		args := s.cmd("SPOP", k)
		if s.chance(0.7) {
			c := s.pick("0", "1", "2", "3", "5", "10", "100", "-1", "9223372036854775807")
			if s.chance(0.1) {
				c = s.pick(badInts...)
			}
			args = append(args, c)
			if s.chance(0.05) {
				args = append(args, "1") // syntax error
			}
		}
		s.doCmp(cmpSetRandom(members, true), args...)
		if len(members) > 0 {
			// Put back what was popped: the same count is re-added on both servers.
			s.do(append([]string{"SADD", k}, members...)...)
		}
		s.do("SCARD", k)
	}
}

func genSetAlgebra(s *stream) {
	switch s.intn(12) {
	case 0, 1, 2:
		s.do(s.cmd("SADD", append([]string{s.key()}, s.smembersN(6)...)...)...)
	case 3:
		s.doCmp(cmpSorted, s.cmd("SINTER", s.setKeys(3)...)...)
	case 4:
		s.doCmp(cmpSorted, s.cmd("SUNION", s.setKeys(3)...)...)
	case 5:
		s.doCmp(cmpSorted, s.cmd("SDIFF", s.setKeys(3)...)...)
	case 6:
		keys := s.setKeys(3)
		numkeys := itoa(int64(len(keys)))
		if s.chance(0.1) {
			numkeys = s.pick("0", "-1", "abc", "4", "9223372036854775808", "")
		}
		args := append(s.cmd("SINTERCARD", numkeys), keys...)
		if s.chance(0.5) {
			lim := s.pick("0", "1", "2", "5", "100")
			if s.chance(0.15) {
				lim = s.pick("-1", "abc", "1.5", "9223372036854775808")
			}
			args = append(args, s.pick("LIMIT", "limit"), lim)
		}
		if s.chance(0.05) {
			args = append(args, s.pick("LIMIT", "FOO"))
		}
		s.do(args...)
	case 7, 8, 9:
		dst := s.key()
		if s.chance(0.3) {
			s.do("EXPIRE", dst, itoa(s.relS()))
		}
		if s.chance(0.1) {
			s.do("SET", dst, "string")
		}
		name := s.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE")
		s.do(s.cmd(name, append([]string{dst}, s.setKeys(3)...)...)...)
		s.doCmp(cmpSorted, "SMEMBERS", dst)
		s.doCmp(cmpTTL, "TTL", dst)
	case 10:
		s.do("SREM", s.key(), s.smember(), s.smember())
	default:
		s.do("DEL", s.key())
	}
}

func genSetMove(s *stream) {
	switch s.intn(6) {
	case 0, 1:
		s.do(s.cmd("SADD", append([]string{s.key()}, s.smembersN(4)...)...)...)
	case 2, 3:
		src, dst := s.key(), s.key()
		if s.chance(0.1) {
			src = "nokey"
		}
		s.do(s.cmd("SMOVE", src, dst, s.smember())...)
		s.doCmp(cmpSorted, "SMEMBERS", src)
		s.doCmp(cmpSorted, "SMEMBERS", dst)
	case 4:
		k := s.key()
		s.do("EXPIRE", k, itoa(s.relS()))
	default:
		k := s.key()
		s.ttlCheck(k)
		s.do("SCARD", k)
	}
}

func genSetScan(s *stream) {
	k := s.key()
	switch s.intn(7) {
	case 0:
		s.do(append([]string{"SADD", k}, s.bigSetMembers()...)...)
	case 1:
		s.do(s.cmd("SADD", append([]string{k}, s.smembersN(8)...)...)...)
	case 2:
		s.do("SREM", k, s.smember(), s.smember(), "m1", "m2", "10")
	case 3:
		// errors and edge arguments, compared exactly
		cursor := s.pick("abc", "18446744073709551616", "1.5", " 1", "0x1", "-1x")
		args := []string{"SSCAN", k, cursor}
		switch s.intn(4) {
		case 0:
			args = []string{"SSCAN", k, "0", "COUNT", s.pick("0", "-1", "abc", "1.5", "")}
		case 1:
			args = []string{"SSCAN", k, "0", s.pick("TYPE", "FOO", "NOVALUES"), s.pick("set", "1")}
		case 2:
			args = []string{"SSCAN", k, "0", "MATCH", "*", s.pick("COUNT", "MATCH")}
		}
		s.do(args...) // errors (or a missing key's empty reply), compared exactly
	default:
		var opts []string
		for i := s.intn(3); i > 0; i-- {
			if s.chance(0.5) {
				opts = append(opts, s.pick("MATCH", "match"), s.pick(setPatterns...))
			} else {
				opts = append(opts, s.pick("COUNT", "count"), s.pick("1", "2", "5", "10", "100", "1000"))
			}
		}
		s.scanAll("SSCAN", k, opts...)
	}
}

// genSetEncoding builds sets from scratch (Redis's encoding depends on a set's history, Concord's
// on its content: a fresh set has the same on both) and compares OBJECT ENCODING, and the
// members byte for byte when Redis holds an intset.
func genSetEncoding(s *stream) {
	k := s.key()
	if s.chance(0.2) {
		s.do("CONFIG", "SET", "set-max-intset-entries", s.pick("0", "1", "3", "5", "512"))
	}
	s.do("DEL", k)
	var members []string
	switch s.intn(4) {
	case 0:
		members = s.bigSetMembers()
	case 1:
		for i := 0; i < 1+s.intn(7); i++ {
			members = append(members, itoa(int64(s.intn(40)-20)))
		}
	default:
		members = s.smembersN(7)
	}
	s.do(append([]string{"SADD", k}, members...)...)
	enc := s.do("OBJECT", "ENCODING", k)
	if enc.Str == "intset" {
		s.do("SMEMBERS", k)
		s.do("SSCAN", k, "0")
		s.do("SUNION", k, "nokey")
		s.do("SRANDMEMBER", k, "1000")
	} else {
		s.doCmp(cmpSorted, "SMEMBERS", k)
	}
	s.do("DEBUG", "DIGEST-VALUE", k)
}

func genSetKeyspace(s *stream) {
	k := s.key()
	switch s.intn(12) {
	case 0, 1, 2:
		s.do(s.cmd("SADD", append([]string{k}, s.smembersN(5)...)...)...)
	case 3:
		s.do(s.cmd(s.pick("RENAME", "RENAMENX"), k, s.key())...)
	case 4:
		args := []string{"COPY", k, s.key()}
		if s.chance(0.5) {
			args = append(args, "REPLACE")
		}
		s.do(args...)
	case 5:
		if s.do("MOVE", k, "1").Str == "1" {
			s.do("SELECT", "1")
			s.doCmp(cmpSorted, "SMEMBERS", k)
			s.doCmp(cmpTTL, "TTL", k)
			s.do("MOVE", k, "0")
			s.do("SELECT", "0")
		}
	case 6:
		s.do("EXPIRE", k, itoa(s.relS()))
	case 7:
		s.do("PERSIST", k)
	case 8:
		s.ttlCheck(k)
		s.do("TYPE", k)
	case 9:
		s.do("DEBUG", "DIGEST-VALUE", k, s.key())
	case 10:
		s.do("DEBUG", "DIGEST")
	default:
		s.doCmp(cmpSorted, "SMEMBERS", k)
	}
}

func genSetMixed(s *stream) {
	switch s.intn(6) {
	case 0:
		genSetBasic(s)
	case 1:
		genSetRandom(s)
	case 2:
		genSetAlgebra(s)
	case 3:
		genSetMove(s)
	case 4:
		genSetKeyspace(s)
	default:
		genSetScan(s)
	}
}

// genSetWrongType puts strings under the hot keys: set commands answer WRONGTYPE (the STORE
// commands overwrite their destination whatever its type).
func genSetWrongType(s *stream) {
	switch s.intn(4) {
	case 0:
		genSetMixed(s)
	case 1:
		k := s.key()
		s.do("DEL", k)
		s.do("SET", k, "v")
	default:
		k, o := s.key(), s.key()
		m := s.smember()
		cmds := [][]string{{"SADD", k, m}, {"SREM", k, m}, {"SMOVE", k, o, m}, {"SMOVE", o, k, m},
			{"SISMEMBER", k, m}, {"SMISMEMBER", k, m}, {"SCARD", k}, {"SMEMBERS", k}, {"SPOP", k},
			{"SPOP", k, "0"}, {"SPOP", k, "-1"}, {"SRANDMEMBER", k}, {"SRANDMEMBER", k, "0"}, {"SRANDMEMBER", k, "x"},
			{"SINTER", o, k}, {"SINTER", "nokey", k}, {"SINTERCARD", "2", k, o}, {"SUNION", k, o}, {"SDIFF", "nokey", k},
			{"SINTERSTORE", k, o}, {"SUNIONSTORE", o, k}, {"SDIFFSTORE", k, o, k}, {"SSCAN", k, "0"}, {"SSCAN", k, "x"},
			{"TYPE", k}, {"GET", k}}
		c := cmds[s.intn(len(cmds))]
		switch c[0] {
		case "SINTER", "SUNION", "SDIFF", "SMEMBERS":
			s.doCmp(cmpSorted, c...)
		case "SPOP", "SRANDMEMBER":
			members := s.setContent(k) // k may still be a set
			s.doCmp(cmpSetRandom(members, true), c...)
			if c[0] == "SPOP" && len(members) > 0 {
				s.do(append([]string{"SADD", k}, members...)...)
			}
		case "SSCAN":
			if c[2] == "0" {
				s.scanAll("SSCAN", k)
			} else {
				s.do(c...)
			}
		default:
			s.do(c...)
		}
	}
}

func genSetEdges(s *stream) {
	for _, c := range [][]string{
		{"SADD", "s"}, {"SREM", "s"}, {"SMOVE", "a", "b"}, {"SMOVE", "a", "b", "c", "d"}, {"SISMEMBER", "s"},
		{"SMISMEMBER", "s"}, {"SCARD"}, {"SCARD", "a", "b"}, {"SMEMBERS"}, {"SPOP"}, {"SRANDMEMBER"}, {"SINTER"},
		{"SINTERCARD"}, {"SINTERCARD", "1"}, {"SINTERSTORE", "d"}, {"SUNION"}, {"SUNIONSTORE", "d"}, {"SDIFF"},
		{"SDIFFSTORE", "d"}, {"SSCAN", "s"},
		{"SADD", "s", "", "a", "1", "-1", "01"}, {"SISMEMBER", "s", ""}, {"SMISMEMBER", "s", "", "01", "1", "x"},
		{"SPOP", "s", "1", "2"}, {"SPOP", "s", "-1"}, {"SPOP", "s", "abc"}, {"SPOP", "s", ""},
		{"SRANDMEMBER", "s", "1", "2"}, {"SRANDMEMBER", "s", "-9223372036854775808"},
		{"SRANDMEMBER", "s", "9223372036854775808"}, {"SRANDMEMBER", "s", ""},
		{"SINTERCARD", "0", "s"}, {"SINTERCARD", "-5", "s"}, {"SINTERCARD", "x", "s"}, {"SINTERCARD", "2", "s"},
		{"SINTERCARD", "1", "s", "LIMIT"}, {"SINTERCARD", "1", "s", "LIMIT", "-1"}, {"SINTERCARD", "1", "s", "LIMIT", "x"},
		{"SINTERCARD", "1", "s", "LIMIT", "1", "LIMIT", "0"}, {"SINTERCARD", "1", "s", "FOO", "1"}, {"SINTERCARD", "1", "s", "s"},
		{"SSCAN", "s", "0", "COUNT", "0"}, {"SSCAN", "s", "0", "COUNT", "-1"}, {"SSCAN", "s", "0", "COUNT"},
		{"SSCAN", "s", "0", "TYPE", "set"}, {"SSCAN", "s", "x"}, {"SSCAN", "nokey", "0", "COUNT", "0"},
		{"SSCAN", "nokey", "x"}, {"SMOVE", "s", "s", ""}, {"SMOVE", "s", "s", "zz"}, {"SMOVE", "s", "t", ""},
		{"SCARD", "s"}, {"SDIFFSTORE", "s", "s", "s"}, {"EXISTS", "s"}, {"SUNIONSTORE", "u", "t", "t"}, {"TYPE", "u"},
	} {
		s.do(c...)
	}
}
