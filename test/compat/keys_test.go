package compat

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

func TestCompatKeys(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"del_exists_type", genKeysBasic, 400},
			{"keys_patterns", genKeysPatterns, 300},
			{"rename_copy_move", genKeysRename, 500},
			{"expire", genKeysExpire, 600},
			{"scan", genKeysScan, 150},
			{"object_touch_randomkey", genKeysObject, 300},
			{"other_types", genKeysTypes, 400},
			{"mixed", genKeysMixed, 800},
			{"arity", genKeysArity, 1},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				if sub.name == "wrongtype" || sub.name == "other_types" {
					needTargetCommands(t, p, otherTypeCommands...)
				}
				s := newStream(t, p, 1, proto)
				s.keys = []string{"k1", "k2", "k3", "k4", "key:a", "key:b"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(3)
			})
		}
	})
}

// TestCompatKeysLazyExpiry checks that keys with a short TTL disappear, on a deterministic schedule.
func TestCompatKeysLazyExpiry(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	s := newStream(t, p, 1, 2)
	s.do("SET", "a", "1", "PX", "100")
	s.do("SET", "b", "1", "EX", "1000")
	s.do("PEXPIRE", "b", "150")
	s.do("SET", "c", "1")
	s.do("EXPIRE", "c", "1")
	s.do("SET", "d", "1", "PXAT", itoa(time.Now().UnixMilli()+150))
	s.do("GET", "a")
	s.doCmp(cmpTTL, "TTL", "c")
	time.Sleep(400 * time.Millisecond)
	s.do("GET", "a")
	s.do("EXISTS", "b", "d")
	s.do("TTL", "a")
	s.do("PTTL", "b")
	s.do("EXPIRETIME", "d")
	s.do("KEYS", "*")
	s.do("GET", "c")
	time.Sleep(900 * time.Millisecond)
	s.do("GET", "c")
	s.do("DBSIZE")
}

func genKeysBasic(s *stream) {
	switch s.intn(10) {
	case 0, 1, 2:
		s.do("SET", s.key(), s.value())
	case 3:
		s.do(s.cmd("DEL", s.keysN(4)...)...)
	case 4:
		s.do(s.cmd("UNLINK", s.keysN(4)...)...)
	case 5, 6:
		s.do(s.cmd("EXISTS", s.keysN(5)...)...)
	case 7:
		s.do(s.cmd("TYPE", s.key())...)
	case 8:
		s.do("DBSIZE")
	default:
		s.do(s.cmd("SELECT", s.pick("0", "0", "1"))...)
	}
}

var keyPatterns = []string{"*", "k*", "k?", "key:*", "*:*", "k[12]", "k[^1]", "k[!1]", "k[1-3]", "k[3-1]", "?", "??",
	"*a", "*[ab]", "k\\1", "key\\:a", "[", "k[", "k[1", "\\", "*\\", "k[\\]]", "", "K*", "k**1", "*1*", "[a-z]*", "[^k]*",
	"key:[a-", "k[-]", "*?*?*", "\xff*"}

func genKeysPatterns(s *stream) {
	switch s.intn(5) {
	case 0, 1:
		k := s.pick(append(s.keys, "k", "K1", "k10", "k[1]", "*", "k\\1", "key:", "\xff", "")...)
		s.do("SET", k, "v")
	case 2:
		s.do("DEL", s.key())
	default:
		s.doCmp(cmpSorted, s.cmd("KEYS", s.pick(keyPatterns...))...)
	}
}

func genKeysRename(s *stream) {
	switch s.intn(12) {
	case 0, 1, 2:
		if s.chance(0.3) {
			s.do("SET", s.key(), s.value(), "EX", itoa(s.relS()))
		} else {
			s.do("SET", s.key(), s.value())
		}
	case 3:
		s.do(s.cmd("RENAME", s.key(), s.key())...)
	case 4:
		s.do(s.cmd("RENAMENX", s.key(), s.key())...)
	case 5, 6:
		args := s.cmd("COPY", s.key(), s.key())
		for i := s.intn(3); i > 0; i-- {
			switch s.intn(4) {
			case 0:
				args = append(args, "REPLACE")
			case 1, 2:
				args = append(args, "DB", s.pick("0", "1", "2", "1", "16", "-1", "abc", "9223372036854775807"))
			default:
				args = append(args, s.pick("FOO", "DB"))
			}
		}
		s.do(args...)
	case 7:
		s.do(s.cmd("MOVE", s.key(), s.pick("0", "1", "2", "16", "-1", "abc", ""))...)
	case 8:
		s.do(s.cmd("SELECT", s.pick("0", "1", "2"))...)
	case 9:
		s.do("GET", s.key())
	case 10:
		s.ttlCheck(s.key())
	default:
		s.do(append([]string{"EXISTS"}, s.keysN(3)...)...)
	}
}

func (s *stream) expireArgs(name string) []string {
	k := s.key()
	var val string
	switch name {
	case "EXPIRE":
		val = itoa(s.relS())
	case "PEXPIRE":
		val = itoa(s.relS()*1000 + int64(s.intn(1000)))
	case "EXPIREAT":
		val = itoa(s.futureS())
		if s.chance(0.15) {
			val = itoa(s.pastS())
		}
	default:
		val = itoa(s.futureS()*1000 + int64(s.intn(1000)))
		if s.chance(0.15) {
			val = itoa(s.pastS() * 1000)
		}
	}
	if s.chance(0.12) {
		bad := s.pick(append([]string{"0", "-1", "-100", "9223372036854775807", "-9223372036854775808",
			"9223372036854775", "9223372036854776", "9223372036854", "253402300799", "1", "9223372036854775806"}, badInts...)...)
		if s.expireOK(bad, name == "EXPIRE" || name == "EXPIREAT", name == "EXPIRE" || name == "PEXPIRE") {
			val = bad
		}
	}
	args := s.cmd(name, k, val)
	for i := s.intn(3); i > 0; i-- {
		args = append(args, s.pick("NX", "XX", "GT", "LT", "nx", "gt", "FOO"))
	}
	return args
}

func genKeysExpire(s *stream) {
	k := s.key()
	switch s.intn(14) {
	case 0, 1, 2:
		s.do("SET", k, s.value())
	case 3, 4, 5, 6:
		args := s.expireArgs(s.pick("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"))
		s.do(args...)
		s.settle(args[1])
	case 7, 8:
		s.ttlCheck(k)
	case 9:
		s.do(s.cmd("PERSIST", k)...)
	case 10:
		s.do("GET", k)
	case 11:
		s.do(s.cmd("EXPIRE", k)...) // arity
	case 12:
		s.do("SET", k, s.value(), "KEEPTTL")
	default:
		s.do("DBSIZE")
	}
}

// scanAll runs a full SCAN iteration on both servers and compares the sets of keys returned.
// Cursors are not compared; the first reply is compared exactly when either server answers it
// with an error.
func (s *stream) scanAll(cmd string, key string, opts ...string) {
	s.t.Helper()
	first := []string{cmd}
	if key != "" {
		first = append(first, key)
	}
	first = append(first, "0")
	first = append(first, opts...)
	s.ref[0].Send(first...)
	s.tgt[0].Send(first...)
	r1 := s.ref[0].ReadRaw()
	t1, err := s.tgt[0].ReadRawErr()
	if err != nil || r1[0] == '-' || t1[0] == '-' || r1[0] != t1[0] {
		s.step++
		label := "#" + itoa(int64(s.step)) + " c0 " + fmtCmd(first)
		if err != nil {
			s.mismatch(label, r1, nil, err)
			s.t.FailNow()
		}
		if !bytes.Equal(r1, t1) {
			s.mismatch(label, r1, t1, nil)
		}
		s.record(label, r1)
		return
	}
	rk, rerr := iterateScan(s.ref[0], r1, first)
	tk, terr := iterateScan(s.tgt[0], t1, first)
	label := "SCAN-ALL (set of keys over the full iteration) " + fmtCmd(first)
	if rerr != "" {
		s.t.Fatalf("reference %s: %s: %s", s.p.ref.Name(), label, rerr)
	}
	if terr != "" {
		tk = []byte(terr)
	}
	s.check(label, rk, tk)
}

func iterateScan(c *testserver.Conn, firstRaw []byte, first []string) ([]byte, string) {
	seen := map[string]bool{}
	raw := firstRaw
	for i := 0; ; i++ {
		rep, err := testserver.ParseReply(raw)
		if err != nil || rep.Type != '*' || len(rep.Elems) != 2 || rep.Elems[1].Type != '*' && rep.Elems[1].Type != '~' {
			return nil, "bad SCAN reply: " + testserver.Quote(raw)
		}
		for _, e := range rep.Elems[1].Elems {
			seen[e.Str] = true
		}
		cursor := rep.Elems[0].Str
		if cursor == "0" {
			break
		}
		if i > 100000 {
			return nil, "SCAN did not terminate"
		}
		next := append([]string{}, first...)
		for j, a := range next {
			if a == "0" && (j == 1 || j == 2 && first[0] != "SCAN") {
				next[j] = cursor
				break
			}
		}
		raw, err = c.DoErr(next...)
		if err != nil {
			return nil, err.Error()
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return []byte(strings.Join(keys, "\n")), ""
}

func genKeysScan(s *stream) {
	switch s.intn(6) {
	case 0, 1:
		for i := s.intn(30); i > 0; i-- {
			s.do("SET", s.pick(s.keys...)+itoa(int64(s.intn(100))), "v")
		}
	case 2:
		s.do("DEL", s.key())
	default:
		var opts []string
		for i := s.intn(4); i > 0; i-- {
			switch s.intn(8) {
			case 0, 1:
				opts = append(opts, "MATCH", s.pick(keyPatterns...))
			case 2, 3:
				opts = append(opts, "COUNT", s.pick("1", "2", "5", "10", "100", "1000"))
			case 4:
				opts = append(opts, "TYPE", s.pick("string", "list", "hash", "STRING", "zset", "set", "stream", "bogus"))
			case 5:
				opts = append(opts, "COUNT", s.pick("0", "-1", "abc", "9223372036854775807"))
			default:
				opts = append(opts, s.pick("FOO", "MATCH", "COUNT"))
			}
		}
		if s.chance(0.1) {
			s.do(append([]string{"SCAN", s.pick("abc", "18446744073709551616", "1.5", " 1", "0x1")}, opts...)...)
			return
		}
		s.scanAll("SCAN", "", opts...)
	}
}

func genKeysObject(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0, 1:
		s.do("SET", k, s.value())
	case 2:
		s.do("DEL", k)
	case 3:
		// only replies that do not depend on internals: missing keys, errors
		s.do(s.cmd("OBJECT", s.pick("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"), "nokey")...)
	case 4:
		s.do(s.cmd("OBJECT", "FREQ", k)...) // no LFU policy: an error when the key exists
	case 5:
		s.do(s.cmd("OBJECT", s.pick("FOO", "ENCODING"))...)
	case 6:
		s.do(s.cmd("TOUCH", s.keysN(4)...)...)
	case 7:
		// RANDOMKEY only where its reply is determined: an empty or one-key database
		if sz, ok := s.do("DBSIZE").Int(); ok && sz <= 1 {
			s.do(s.cmd("RANDOMKEY")...)
		} else {
			s.do(append([]string{"DEL"}, s.keys...)...)
		}
	case 8:
		s.do(s.cmd("SELECT", s.pick("0", "1"))...)
	default:
		s.do("DBSIZE")
	}
}

func genKeysTypes(s *stream) {
	k := s.key()
	switch s.intn(12) {
	case 0:
		s.do("RPUSH", k, s.value(), s.value())
	case 1:
		s.do("SADD", k, s.value(), s.value())
	case 2:
		s.do("HSET", k, s.value(), s.value())
	case 3:
		s.do("ZADD", k, itoa(int64(s.intn(10))), s.value())
	case 4:
		s.do("SET", k, s.value())
	case 5:
		s.do(s.cmd("TYPE", k)...)
	case 6:
		s.do(s.cmd(s.pick("RENAME", "RENAMENX", "COPY"), k, s.key())...)
	case 7:
		s.scanAll("SCAN", "", "TYPE", s.pick("string", "list", "set", "hash", "zset"))
	case 8:
		s.do(s.cmd("GET", k)...)
	case 9:
		s.do("EXPIRE", k, itoa(s.relS()))
	case 10:
		s.do(s.cmd("MOVE", k, "1")...)
		s.do("SELECT", s.pick("0", "1"))
	default:
		s.do("DEL", k)
	}
}

func genKeysMixed(s *stream) {
	switch s.intn(6) {
	case 0:
		genKeysBasic(s)
	case 1:
		genKeysRename(s)
	case 2:
		genKeysExpire(s)
	case 3:
		genKeysObject(s)
	case 4:
		genKeysPatterns(s)
	default:
		if s.chance(0.1) {
			s.do(s.cmd("FLUSHDB", s.pick("ASYNC", "SYNC"))[:1+s.intn(2)]...)
		} else {
			genSetOptions(s)
		}
	}
}

func genKeysArity(s *stream) {
	for _, c := range [][]string{
		{"DEL"}, {"UNLINK"}, {"EXISTS"}, {"TYPE"}, {"TYPE", "a", "b"}, {"KEYS"}, {"KEYS", "a", "b"}, {"RENAME", "a"},
		{"RENAMENX", "a", "b", "c"}, {"COPY", "a"}, {"MOVE", "a"}, {"EXPIRE", "a"}, {"PEXPIRE"}, {"EXPIREAT", "a"},
		{"PEXPIREAT", "a", "1", "NX", "XX", "GT"}, {"TTL"}, {"PTTL", "a", "b"}, {"EXPIRETIME"}, {"PEXPIRETIME", "a", "b"},
		{"PERSIST"}, {"TOUCH"}, {"OBJECT"}, {"OBJECT", "ENCODING"}, {"OBJECT", "ENCODING", "a", "b"}, {"SCAN"},
		{"SCAN", "0", "MATCH"}, {"SCAN", "0", "COUNT"}, {"SCAN", "0", "TYPE"}, {"RANDOMKEY", "a"}, {"DBSIZE", "a"},
		{"RENAME", "nokey", "x"}, {"RENAMENX", "nokey", "x"}, {"COPY", "nokey", "x"}, {"MOVE", "nokey", "1"},
		{"EXPIRE", "nokey", "10"}, {"EXPIRE", "a", "10", "NX", "XX"}, {"EXPIRE", "a", "10", "GT", "LT"},
		{"EXPIRE", "a", "10", "NX", "GT"}, {"SELECT"}, {"SELECT", "0", "1"}, {"SWAPDB", "0"}, {"FLUSHDB", "a", "b"},
	} {
		s.do(c...)
	}
}
