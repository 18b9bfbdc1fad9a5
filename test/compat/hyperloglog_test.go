package compat

import (
	"bytes"
	"sync"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

// TestCompatHyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG, the string commands on HyperLogLogs,
// plain strings holding HyperLogLogs, wrong types and the keyspace commands, compared with
// redis-server. Every reply is compared byte for byte except the strings of HyperLogLogs
// (cmpHLL): Redis's header caches the last PFCOUNT and marks it stale after a change, while
// Concord's GET always shows the current count as a valid cache (a deterministic choice every
// member agrees on), so those 8 bytes are masked; the registers must be identical.
func TestCompatHyperLogLog(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"pfadd_pfcount", genHLLBasic, 600},
			{"pfmerge", genHLLMerge, 400},
			{"strings", genHLLStrings, 400},
			{"wrongtype", genHLLWrongType, 200},
			{"keyspace", genHLLKeyspace, 300},
			{"pfdebug", genHLLDebug, 200},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				if sub.name == "wrongtype" {
					needTargetCommands(t, p, otherTypeCommands...)
				}
				needTargetCommands(t, p, "PFADD", "PFCOUNT", "PFMERGE", "PFDEBUG")
				s := newStream(t, p, 1, proto)
				s.keys = []string{"h1", "h2", "h3", "{h}1"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpHLLState()
			})
		}
	})
}

// cmpHLL compares two replies, masking the cached cardinality (bytes 8..15) of bulk strings
// that are HyperLogLogs, in arrays too (MGET).
var cmpHLL cmpFunc = func(a, b []byte) bool {
	ra, err1 := testserver.ParseReply(a)
	rb, err2 := testserver.ParseReply(b)
	if err1 != nil || err2 != nil {
		return bytes.Equal(a, b)
	}
	return sameHLLReply(ra, rb)
}

func sameHLLReply(ra, rb *testserver.Reply) bool {
	if ra.Type != rb.Type || ra.Null != rb.Null || len(ra.Elems) != len(rb.Elems) {
		return false
	}
	if ra.IsAggregate() {
		for i := range ra.Elems {
			if !sameHLLReply(ra.Elems[i], rb.Elems[i]) {
				return false
			}
		}
		return true
	}
	x, y := []byte(ra.Str), []byte(rb.Str)
	if ra.Type != '$' || len(x) != len(y) || len(x) < 16 || string(x[:4]) != "HYLL" {
		return bytes.Equal(ra.Bytes(), rb.Bytes())
	}
	return bytes.Equal(x[:8], y[:8]) && bytes.Equal(x[16:], y[16:])
}

// hllElems are elements beside numbers: binary, empty, long.
var hllElems = []string{"a", "b", "foo", "", "\x00", "ünï", "a b", "user:1000", "9223372036854775808",
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}

func (s *stream) hllElem() string {
	if s.chance(0.6) {
		return itoa(int64(s.intn(5000)))
	}
	return s.pick(hllElems...)
}

// hllMany returns n fresh elements (mostly distinct: dense promotions and big counts).
func (s *stream) hllMany(n int) []string {
	out := make([]string, n)
	base := s.intn(1000000)
	for i := range out {
		out[i] = "e" + itoa(int64(base+i))
	}
	return out
}

func (s *stream) pfadd(k string) {
	args := []string{k}
	switch {
	case s.chance(0.05):
		args = append(args, s.hllMany(500+s.intn(3500))...)
	default:
		for range s.intn(8) {
			args = append(args, s.hllElem())
		}
	}
	s.do(s.cmd("PFADD", args...)...)
}

// hllKeys picks 1..max keys among the hot keys and a missing one.
func (s *stream) hllKeys(max int) []string {
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

func genHLLBasic(s *stream) {
	k := s.key()
	switch s.intn(12) {
	case 0, 1, 2, 3, 4:
		s.pfadd(k)
	case 5, 6:
		s.do(s.cmd("PFCOUNT", k)...)
	case 7:
		s.do(s.cmd("PFCOUNT", s.hllKeys(4)...)...)
	case 8:
		s.do(s.cmd(s.pick("DEL", "EXISTS", "TYPE", "UNLINK"), k)...)
	case 9:
		s.do("PFCOUNT", k)
		s.doCmp(cmpHLL, "GET", k)
	case 10:
		s.do("EXPIRE", k, itoa(s.relS()))
		s.doCmp(cmpTTL, "TTL", k)
	default:
		s.do(s.cmd("STRLEN", k)...)
	}
}

func genHLLMerge(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1, 2:
		s.pfadd(k)
	case 3, 4:
		s.do(s.cmd("PFMERGE", append([]string{k}, s.hllKeys(3)...)...)...)
	case 5:
		s.do(s.cmd("PFMERGE", k)...)
	case 6:
		s.do(s.cmd("PFCOUNT", s.hllKeys(4)...)...)
	default:
		s.do("PFCOUNT", k)
		s.do("PFDEBUG", "ENCODING", k)
		s.doCmp(cmpHLL, "GET", k)
	}
}

// genHLLStrings mixes HyperLogLogs with the string commands: copies through GET + SET into the
// plain string key "plain" (the reference's bytes to both servers, so that they hold the same
// string), PF commands on it, string writes on it (followed by one PFCOUNT and a DEL: Redis's
// PFCOUNT rewrites a plain string's cache and Concord's does not, and Concord refuses a
// corrupted sparse string in PFADD where Redis may still update it), and the string reads and
// failing string writes on HyperLogLog keys.
func genHLLStrings(s *stream) {
	k := s.key()
	switch s.intn(14) {
	case 0, 1, 2:
		target := s.pick(k, k, "plain")
		s.pfadd(target)
		s.plainWritten(target)
	case 3:
		s.copyToPlain(k)
	case 4:
		target := s.pick(k, "plain")
		s.do(s.cmd("PFCOUNT", target)...)
		s.plainWritten(target) // Redis may rewrite the cache
	case 5:
		s.do(s.cmd("PFCOUNT", append(s.hllKeys(3), "plain")...)...)
	case 6:
		dst := s.pick(k, "plain")
		s.do(s.cmd("PFMERGE", dst, s.pick(k, "plain"), s.key())...)
		s.plainWritten(dst)
	case 7:
		s.do("STRLEN", k)
		s.do("GETRANGE", k, "0", itoa(int64(s.intn(8))))
		s.do("GETRANGE", k, itoa(16+int64(s.intn(10))), itoa(int64(16+s.intn(40))))
	case 8:
		s.do(s.pick("INCR", "DECR"), k)
		s.do("INCRBYFLOAT", k, "1.5")
	case 9:
		if !s.plainFresh() {
			s.copyToPlain(k)
		}
		switch s.intn(3) {
		case 0:
			s.do("APPEND", "plain", s.pick("x", "HYLL", "\x00", "\x7f"))
		case 1:
			s.do("SETRANGE", "plain", itoa(int64(s.intn(30))), s.pick("x", "HYLL", "\x00", "\x80"))
		default:
			s.do("SETBIT", "plain", itoa(int64(s.intn(250))), itoa(int64(s.intn(2))))
		}
		s.do("PFCOUNT", "plain")
		s.do("DEL", "plain")
		s.plainWritten("plain")
	case 10:
		s.do("SET", "plain", s.pick("hello", "HYLL", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "12"))
		s.do("PFADD", "plain", s.hllElem())
		s.do("DEL", "plain")
		s.plainWritten("plain")
	case 11:
		// Bits 64..127 are the cached cardinality, which differs (see cmpHLL).
		s.do("GETBIT", k, s.pick(itoa(int64(s.intn(64))), itoa(int64(128+s.intn(500)))))
		s.do("BITCOUNT", k, "16", "-1")
	case 12:
		s.doCmp(cmpHLL, "MGET", k, "nokey", "plain", s.key())
	default:
		s.do("PFCOUNT", k)
		s.doCmp(cmpHLL, "GET", k)
		s.do("TYPE", "plain")
	}
}

// plainFresh records, per stream, whether "plain" holds exactly the bytes SET into it on both
// servers (no PF write and no single-key PFCOUNT since, which may rewrite Redis's copy).
var plainFresh sync.Map

func (s *stream) plainFresh() bool {
	v, _ := plainFresh.Load(s)
	return v == true
}

func (s *stream) plainWritten(key string) {
	if key == "plain" {
		plainFresh.Delete(s)
	}
}

// copyToPlain copies key's string into "plain" through GET + SET.
func (s *stream) copyToPlain(key string) {
	r := s.doCmp(cmpHLL, "GET", key)
	if r.Type == '$' && !r.Null {
		s.do("SET", "plain", r.Str) // the reference's bytes to both servers
		plainFresh.Store(s, true)
	} else {
		s.do("SET", "plain", "HYLL")
		plainFresh.Store(s, true)
	}
}

func genHLLWrongType(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0:
		s.do("DEL", k)
		s.do(s.pick("SADD", "RPUSH"), k, "x")
	case 1:
		s.do("DEL", k)
		s.do(s.pick("HSET", "ZADD"), k, "1", "x")
	case 2, 3:
		s.pfadd(k)
	case 4:
		s.do(s.cmd("PFCOUNT", s.hllKeys(3)...)...)
	case 5:
		s.do(s.cmd("PFMERGE", append([]string{k}, s.hllKeys(2)...)...)...)
	case 6:
		s.do("PFDEBUG", s.pick("ENCODING", "TODENSE", "DECODE"), k)
	default:
		s.do(s.pick("SADD", "HSET", "LPUSH", "ZADD"), k, "1", "x")
	}
}

func genHLLKeyspace(s *stream) {
	k, k2 := s.key(), s.key()
	switch s.intn(10) {
	case 0, 1, 2:
		s.pfadd(k)
	case 3:
		s.do("COPY", k, k2, s.pick("REPLACE", "DB", "REPLACE"), "1")
	case 4:
		s.do(s.pick("RENAME", "RENAMENX"), k, k2)
	case 5:
		s.do("EXPIRE", k, itoa(s.relS()))
		s.doCmp(cmpTTL, "TTL", k)
	case 6:
		// Both caches valid after PFCOUNT: the digests then agree.
		if s.do("TYPE", k).Str == "string" {
			s.do("PFCOUNT", k)
			s.do("DEBUG", "DIGEST-VALUE", k)
			s.do("OBJECT", "ENCODING", k)
		}
	case 7:
		s.do("MOVE", k, "1")
		s.do("SELECT", "1")
		s.do("PFCOUNT", k)
		s.do("SELECT", "0")
	case 8:
		s.do("PERSIST", k)
	default:
		s.do("PFCOUNT", k, k2)
	}
}

func genHLLDebug(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1, 2:
		s.pfadd(k)
	case 3:
		s.do("PFDEBUG", "ENCODING", k)
	case 4:
		s.do("PFDEBUG", "DECODE", k)
	case 5:
		s.do("PFDEBUG", "TODENSE", k)
	case 6:
		if s.chance(0.3) {
			s.do("PFDEBUG", "GETREG", k)
		}
	default:
		s.do("PFDEBUG", s.pick("getreg", "foo", "encoding"), s.pick("nokey", k))
	}
}

// dumpHLLState compares the keyspace of databases 0 and 1 at the end of a stream (strings with
// cmpHLL).
func (s *stream) dumpHLLState() {
	s.t.Helper()
	for _, db := range []string{"0", "1"} {
		s.do("SELECT", db)
		for _, k := range s.doCmp(cmpSorted, "KEYS", "*").Strings() {
			if s.do("TYPE", k).Str == "string" {
				s.doCmp(cmpHLL, "GET", k)
			}
			s.doCmp(cmpTTL, "TTL", k)
		}
	}
	s.do("SELECT", "0")
}
