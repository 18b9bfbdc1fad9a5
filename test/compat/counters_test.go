package compat

import (
	"math/big"
	"regexp"

	"github.com/concord-db/concord/test/testserver"
	"testing"
)

// Concord limits integer counters to ±(2^58−1) (README: an INCR/INCRBY/DECRBY that would make this
// member's own contribution to a key leave that range fails with "ERR increment or decrement would
// overflow"), where Redis only fails outside int64. The streams below only contain increments on
// which both readings of that rule (the resulting value, or the sum of increments since the key was
// set, must stay within ±(2^58−1)) agree with Redis: either the result overflows int64, so both
// fail, or the value, the increment, the result and the sum of the magnitudes of all increments
// applied to the key so far in the stream all stay within ±(2^58−1), so both succeed.
var (
	concordMax = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 58), big.NewInt(1))
	concordMin = new(big.Int).Neg(concordMax)
	int64Max   = big.NewInt(9223372036854775807)
	int64Min   = big.NewInt(-9223372036854775808)
)

func TestCompatCounters(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"incr_decr", genIntCounters, 500},
			{"incrbyfloat", genFloatCounters, 500},
			{"edges", genCounterEdges, 1},
			{"wrongtype", genCounterWrongType, 1},
			{"mixed", genCountersMixed, 500},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				if sub.name == "wrongtype" || sub.name == "other_types" {
					needTargetCommands(t, p, otherTypeCommands...)
				}
				s := newStream(t, p, 1, proto)
				s.keys = []string{"c1", "c2", "c3"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
			})
		}
	})
}

var counterBases = []string{"0", "1", "-1", "10", "-100", "12345", "007", "-0", "+1", " 1", "1 ", "10.5", "1e3", "abc", "",
	"288230376151711743", "-288230376151711743", "288230376151711742", "-288230376151711742", "288230376151711700",
	"9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
	"9223372036854775808", "-9223372036854775809", "18446744073709551615", "4611686018427387904", "-4611686018427387904",
	"0x10", "1111111111111111111", "99999999999999999", "\x001"}

var counterIncrs = []string{"1", "-1", "0", "10", "-10", "1000000", "-1000000", "288230376151711743", "-288230376151711743",
	"144115188075855872", "-144115188075855872", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"abc", "", "1.5", " 1", "1e3", "+1", "-0", "007"}

// redisInt parses an integer the way Redis' string2ll does (no spaces, no leading '+' or zeros).
var redisIntRE = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)

func parseRedisInt(s string) (*big.Int, bool) {
	if !redisIntRE.MatchString(s) || len(s) > 20 {
		return nil, false
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Cmp(int64Max) > 0 || v.Cmp(int64Min) < 0 {
		return nil, false
	}
	return v, true
}

func inConcordRange(v *big.Int) bool { return v.Cmp(concordMin) >= 0 && v.Cmp(concordMax) <= 0 }
func inInt64(v *big.Int) bool        { return v.Cmp(int64Min) >= 0 && v.Cmp(int64Max) <= 0 }

// incrAllowed reports whether an increment of key (whose stored value is cur) by delta gives the
// same outcome on Redis and on Concord's narrower counters (see above).
func (s *stream) incrAllowed(key string, cur *testserver.Reply, delta string, neg bool) bool {
	d, ok := parseRedisInt(delta)
	if !ok {
		return true // invalid increment: both fail
	}
	var v *big.Int
	if cur.IsNull() {
		v = big.NewInt(0)
	} else if v, ok = parseRedisInt(cur.Str); !ok {
		return true // value is not an integer: both fail
	}
	if neg {
		if d.Cmp(int64Min) == 0 {
			return true // DECRBY LLONG_MIN: Redis says "decrement would overflow"
		}
		d = new(big.Int).Neg(d)
	}
	r := new(big.Int).Add(v, d)
	if !inInt64(r) {
		return true // int64 overflow: both fail
	}
	spent := s.incrSpent[key]
	if spent == nil {
		spent = new(big.Int)
	}
	total := new(big.Int).Add(spent, new(big.Int).Abs(d))
	return inConcordRange(v) && inConcordRange(d) && inConcordRange(r) && inConcordRange(total)
}

// incrDone records a successful increment of key by delta.
func (s *stream) incrDone(key string, rep *testserver.Reply, delta string) {
	d, ok := parseRedisInt(delta)
	if !ok || rep.Type != ':' {
		return
	}
	if s.incrSpent == nil {
		s.incrSpent = map[string]*big.Int{}
	}
	if s.incrSpent[key] == nil {
		s.incrSpent[key] = new(big.Int)
	}
	s.incrSpent[key].Add(s.incrSpent[key], d.Abs(d))
}

func genIntCounters(s *stream) {
	k := s.key()
	switch s.intn(12) {
	case 0, 1:
		s.do("SET", k, s.pick(counterBases...))
	case 2:
		s.do("GET", k)
	case 3:
		s.do("DEL", k)
	default:
		cur := s.do("GET", k)
		var args []string
		var delta string
		switch s.intn(4) {
		case 0:
			args, delta = s.cmd("INCR", k), "1"
			if !s.incrAllowed(k, cur, "1", false) {
				return
			}
		case 1:
			args, delta = s.cmd("DECR", k), "1"
			if !s.incrAllowed(k, cur, "1", true) {
				return
			}
		case 2:
			delta = s.pick(counterIncrs...)
			if s.chance(0.5) {
				delta = itoa(int64(s.intn(2001) - 1000))
			}
			args = s.cmd("INCRBY", k, delta)
			if !s.incrAllowed(k, cur, delta, false) {
				return
			}
		default:
			delta = s.pick(counterIncrs...)
			if s.chance(0.5) {
				delta = itoa(int64(s.intn(2001) - 1000))
			}
			args = s.cmd("DECRBY", k, delta)
			if !s.incrAllowed(k, cur, delta, true) {
				return
			}
		}
		s.incrDone(k, s.do(args...), delta)
		if s.chance(0.2) {
			s.do("TYPE", k)
		}
	}
}

var floatBases = []string{"0", "1", "10.5", "-3.25", "1e3", "5.0e3", "3.0e-5", "0.1", "1.23456789012345678", "abc", "", " 1",
	"1 ", "inf", "-inf", "nan", "1e308", "-1e308", "1.7976931348623157e308", "9223372036854775807", "0x10", "1.",
	".5", "-.5", "00.5", "1e", "1e+3", "+1.5", "123456789.987654321", "100", "-0", "-0.0", "4.9e-324", "1e-400"}

var floatIncrs = []string{"0", "1", "-1", "0.1", "-0.1", "10.5", "1e3", "-1e3", "3.0e-5", "1.23456789012345678",
	"99999999999999999999999", "1e308", "-1e308", "inf", "-inf", "+inf", "nan", "abc", "", " 1", "1 ", "0x10", "5.0e3",
	"1e-400", "0.3333333333333333", "2.5e-10", "-2.5", "1.", ".5", "17179869184.5", "1e17", "-1e17"}

func genFloatCounters(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0, 1:
		s.do("SET", k, s.pick(floatBases...))
	case 2:
		s.do("GET", k)
	case 3:
		s.do("DEL", k)
	case 4:
		s.do(s.cmd("INCRBYFLOAT", k)...) // arity
	default:
		d := s.pick(floatIncrs...)
		if s.chance(0.3) {
			d = itoa(int64(s.intn(201)-100)) + "." + itoa(int64(s.intn(1000)))
		}
		s.do(s.cmd("INCRBYFLOAT", k, d)...)
	}
}

func genCounterEdges(s *stream) {
	k := "c1"
	for _, step := range [][]string{
		{"SET", k, "9223372036854775807"}, {"INCR", k}, {"INCRBY", k, "1"}, {"INCRBY", k, "9223372036854775807"}, {"GET", k},
		{"DECRBY", k, "-1"}, {"SET", k, "-9223372036854775808"}, {"DECR", k}, {"DECRBY", k, "1"}, {"INCRBY", k, "-1"},
		{"INCRBY", k, "-9223372036854775808"}, {"GET", k},
		{"SET", k, "0"}, {"DECRBY", k, "-9223372036854775808"}, {"INCRBY", k, "9223372036854775808"}, {"GET", k},
		{"SET", k, "1"}, {"INCRBY", k, "9223372036854775807"}, {"SET", k, "-2"}, {"INCRBY", k, "-9223372036854775807"},
		{"SET", k, "9223372036854775808"}, {"INCR", k}, {"DECR", k},
		{"SET", k, "288230376151711743"}, {"DECR", k}, {"GET", k}, {"SET", k, "-288230376151711743"}, {"INCR", k}, {"GET", k},
		{"SET", "c2", "0"}, {"INCRBY", "c2", "288230376151711743"}, {"DECR", "c2"}, {"GET", "c2"},
		{"SET", "c3", "0"}, {"DECRBY", "c3", "288230376151711743"}, {"INCR", "c3"}, {"GET", "c3"},
		{"SET", k, "10"}, {"INCRBYFLOAT", k, "0.1"}, {"INCRBYFLOAT", k, "0.1"}, {"INCRBYFLOAT", k, "0.1"}, {"GET", k},
		{"INCR", k},
		{"SET", k, "0"}, {"INCRBYFLOAT", k, "0.1"}, {"INCRBYFLOAT", k, "0.2"}, {"GET", k},
		{"SET", k, "1e308"}, {"INCRBYFLOAT", k, "1e308"}, {"INCRBYFLOAT", k, "inf"}, {"GET", k},
		{"SET", k, "9223372036854775807"}, {"INCRBYFLOAT", k, "1"}, {"INCRBYFLOAT", k, "0.5"},
		{"SET", k, "5"}, {"EXPIRE", k, "100000"}, {"INCR", k}, {"INCRBYFLOAT", k, "1.5"}, {"TTL", k},
		{"DEL", k}, {"INCRBYFLOAT", k, "3.0e-5"}, {"INCRBYFLOAT", k, "-3.0e-5"}, {"GET", k},
		{"INCR"}, {"INCR", "a", "b"}, {"INCRBY", k}, {"DECRBY", k, "1", "2"}, {"DECR"},
	} {
		if step[0] == "TTL" {
			s.doCmp(cmpTTL, step...)
			continue
		}
		s.do(step...)
	}
}

func genCountersMixed(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1, 2:
		genIntCounters(s)
	case 3, 4:
		genFloatCounters(s)
	case 5:
		s.do("APPEND", k, s.pick("1", "0", "5", ".5", "x", "e3"))
	case 6:
		s.do("SET", k, itoa(int64(s.intn(1000))), "EX", itoa(s.relS()))
	default:
		s.doCmp(cmpTTL, "TTL", k)
	}
}

func genCounterWrongType(s *stream) {
	for _, step := range [][]string{
		{"RPUSH", "clist", "x"}, {"INCR", "clist"}, {"DECR", "clist"}, {"INCRBY", "clist", "1"}, {"INCRBYFLOAT", "clist", "1"},
		{"DECRBY", "clist", "1"}, {"INCRBY", "clist", "abc"}, {"SET", "clist", "1"}, {"INCR", "clist"},
	} {
		s.do(step...)
	}
}
