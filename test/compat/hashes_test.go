package compat

import (
	"bytes"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

// TestCompatHashes: the hash commands (HSET HSETNX HMSET HGET HMGET HGETALL HKEYS HVALS HDEL
// HEXISTS HLEN HSTRLEN HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN) and the keyspace commands on
// hashes. Small hashes are listpacks in Redis, replied in creation order, which Concord keeps:
// their replies are compared byte for byte. Hashes Redis holds as hashtables reply in hash order:
// those replies are compared as sets of fields (or field/value pairs), and HSCAN over them is
// compared by the union of a full iteration. Random replies (HRANDFIELD) are checked for shape,
// size, membership and distinctness.
func TestCompatHashes(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"set_get_del", genHashBasic, 600},
			{"counters", genHashCounters, 600},
			{"randfield", genHashRandfield, 300},
			{"scan", genHashScan, 150},
			{"encoding", genHashEncoding, 300},
			{"keyspace", genHashKeyspace, 300},
			{"mixed", genHashMixed, 800},
			{"wrongtype", genHashWrongType, 300},
			{"edges", genHashEdges, 1},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				s := newStream(t, p, 1, proto)
				s.keys = []string{"h1", "h2", "h3", "{h}1"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
				s.do("DEBUG", "DIGEST")
				s.do("CONFIG", "SET", "hash-max-listpack-entries", "512")
				s.do("CONFIG", "SET", "hash-max-listpack-value", "64")
			})
		}
	})
}

// hashFields are the field names the streams use: a few hot ones, binary and empty names, names
// that look like numbers or patterns, and one longer than hash-max-listpack-value.
var hashFields = []string{"f1", "f2", "f3", "f4", "f5", "f6", "", "a b", "\x00x", "0", "-1", "*", "f[12]", "ünï",
	strings.Repeat("n", 65)}

func (s *stream) hfield() string {
	if s.chance(0.7) {
		return s.pick(hashFields[:6]...)
	}
	return s.pick(hashFields...)
}

// hfields picks 1..max fields, possibly repeated.
func (s *stream) hfields(max int) []string {
	out := make([]string, 1+s.intn(max))
	for i := range out {
		out[i] = s.hfield()
	}
	return out
}

// hvalue is a field value; long values (past hash-max-listpack-value) are rare so that most
// hashes stay listpacks.
func (s *stream) hvalue() string {
	v := s.value()
	if len(v) > 64 && s.chance(0.7) {
		return v[:10]
	}
	return v
}

// hlistpack asks both servers for the key's encoding (compared) and reports whether Redis keeps
// it as a listpack, whose replies are in a known order. Redis's COPY, RENAME and MOVE keep the
// encoding of the source, where Concord's copy is judged afresh by its content: the encoding of
// a key made from a hashtable that shrank since is not compared.
func (s *stream) hlistpack(k string) bool {
	var r *testserver.Reply
	if s.hcopied(k) {
		r = s.doCmp(cmpAnyHashEncoding, "OBJECT", "ENCODING", k)
	} else {
		r = s.do("OBJECT", "ENCODING", k)
	}
	return r.Str == "listpack"
}

var cmpAnyHashEncoding = parsed(func(r *testserver.Reply) {
	if r.Str == "listpack" || r.Str == "hashtable" {
		r.Str = "listpack|hashtable"
	}
})

var (
	hashCopiedMu sync.Mutex
	hashCopied   = map[*stream]map[string]bool{}
)

func (s *stream) hcopied(k string) bool {
	hashCopiedMu.Lock()
	defer hashCopiedMu.Unlock()
	return hashCopied[s][k]
}

func (s *stream) markHashCopied(k string) {
	hashCopiedMu.Lock()
	defer hashCopiedMu.Unlock()
	if hashCopied[s] == nil {
		hashCopied[s] = map[string]bool{}
	}
	hashCopied[s][k] = true
}

// hcopy runs COPY, RENAME or RENAMENX from src to dst, noting when dst may be a copy of a
// hashtable.
func (s *stream) hcopy(args ...string) {
	src, dst := args[1], args[2]
	if typ := s.do("TYPE", src); typ.Str == "hash" && (!s.hlistpack(src) || s.hcopied(src)) {
		s.markHashCopied(dst)
	}
	s.do(args...)
}

// hreadAll runs HGETALL, HKEYS or HVALS: byte for byte on listpacks, as sets otherwise.
func (s *stream) hreadAll(name, k string) {
	cmp := cmpSorted
	if name == "HGETALL" {
		cmp = cmpPairs
	}
	if s.hlistpack(k) {
		cmp = nil
	}
	s.doCmp(cmp, s.cmd(name, k)...)
}

func (s *stream) hset(k string, npairs int) {
	name := s.pick("HSET", "HSET", "HSET", "HMSET")
	args := s.cmd(name, k)
	for i := 0; i < npairs; i++ {
		args = append(args, s.hfield(), s.hvalue())
	}
	if s.chance(0.05) {
		args = args[:len(args)-1] // odd number of arguments
	}
	s.do(args...)
}

func genHashBasic(s *stream) {
	k := s.key()
	switch s.intn(16) {
	case 0, 1, 2, 3:
		s.hset(k, 1+s.intn(4))
	case 4:
		s.do(s.cmd("HSETNX", k, s.hfield(), s.hvalue())...)
	case 5, 6:
		s.do(s.cmd("HGET", k, s.hfield())...)
	case 7:
		s.do(s.cmd("HMGET", append([]string{k}, s.hfields(4)...)...)...)
	case 8:
		s.do(s.cmd(s.pick("HEXISTS", "HSTRLEN"), k, s.hfield())...)
	case 9:
		s.do(s.cmd("HLEN", k)...)
	case 10, 11:
		s.do(s.cmd("HDEL", append([]string{k}, s.hfields(3)...)...)...)
	case 12:
		s.hreadAll(s.pick("HGETALL", "HKEYS", "HVALS"), k)
	case 13:
		s.do(s.cmd(s.pick("EXISTS", "TYPE"), k)...)
	case 14:
		if s.chance(0.3) {
			s.do("DEL", k)
		} else {
			s.do("DEBUG", "DIGEST-VALUE", k)
		}
	default:
		// arity and argument errors
		switch s.intn(5) {
		case 0:
			s.do(s.cmd("HSET", k, s.hfield())...)
		case 1:
			s.do(s.cmd("HMSET", k)...)
		case 2:
			s.do(s.cmd(s.pick("HGET", "HEXISTS", "HSTRLEN", "HSETNX"), k)...)
		case 3:
			s.do(s.cmd(s.pick("HDEL", "HMGET"), k)...)
		default:
			s.do(s.cmd(s.pick("HLEN", "HGETALL", "HKEYS", "HVALS"), k, "extra")...)
		}
	}
}

var hashCounterValues = []string{"0", "1", "-1", "10", "-100", "007", "-0", "+1", " 1", "1 ", "10.5", "1e3", "abc", "",
	"288230376151711743", "-288230376151711743", "9223372036854775807", "-9223372036854775808", "9223372036854775806",
	"9223372036854775808", "0x10", "inf", "-inf", "nan", "1.7976931348623157e308", "3.0e-5", "0.1", ".5", "5.",
	"1.23456789012345678", "123456789.987654321", "1e-400", "4.9e-324"}

// hincrAllowed applies the stream rule of incrAllowed (counters_test.go) to a field.
func (s *stream) hincrAllowed(k, f string, cur *testserver.Reply, delta string) bool {
	return s.incrAllowed(k+"\x00"+f, cur, delta, false)
}

func genHashCounters(s *stream) {
	k := s.key()
	f := s.pick("c1", "c2", "c3", "f1")
	switch s.intn(12) {
	case 0, 1:
		s.do("HSET", k, f, s.pick(hashCounterValues...))
	case 2:
		s.do("HGET", k, f)
	case 3:
		if s.chance(0.5) {
			s.do("HDEL", k, f)
		} else {
			s.do("DEL", k)
		}
	case 4, 5, 6, 7:
		cur := s.do("HGET", k, f)
		delta := s.pick(counterIncrs...)
		if s.chance(0.5) {
			delta = itoa(int64(s.intn(2001) - 1000))
		}
		if !s.hincrAllowed(k, f, cur, delta) {
			return
		}
		s.incrDone(k+"\x00"+f, s.do(s.cmd("HINCRBY", k, f, delta)...), delta)
	case 8, 9, 10:
		d := s.pick(floatIncrs...)
		if s.chance(0.3) {
			d = itoa(int64(s.intn(201)-100)) + "." + itoa(int64(s.intn(1000)))
		}
		s.do(s.cmd("HINCRBYFLOAT", k, f, d)...)
	default:
		switch s.intn(4) {
		case 0:
			s.do(s.cmd(s.pick("HINCRBY", "HINCRBYFLOAT"), k, f)...) // arity
		case 1:
			s.do("HSTRLEN", k, f)
		case 2:
			s.hreadAll("HGETALL", k)
		default:
			s.hlistpack(k)
		}
	}
}

// hashContent is a hash's fields and values as the reference reports them.
func (s *stream) hashContent(k string) map[string]string {
	r := s.doCmp(cmpPairs, "HGETALL", k)
	out := map[string]string{}
	if r.IsError() {
		return out
	}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		out[r.Elems[i].Str] = r.Elems[i+1].Str
	}
	return out
}

// cmpRandfield checks an HRANDFIELD reply against the hash's content: same shape and size, every
// field (and value) from the hash, distinct for a positive count, the whole hash (in any order)
// when the count covers it.
func cmpRandfield(content map[string]string, count int64, hasCount, withValues bool) cmpFunc {
	return func(a, b []byte) bool {
		ra, err1 := testserver.ParseReply(a)
		rb, err2 := testserver.ParseReply(b)
		if err1 != nil || err2 != nil || ra.IsError() || rb.IsError() || ra.IsNull() || rb.IsNull() || len(content) <= 1 {
			return bytes.Equal(a, b)
		}
		if !hasCount {
			_, ok := content[rb.Str]
			return ra.Type == rb.Type && ok
		}
		if ra.Type != rb.Type || len(ra.Elems) != len(rb.Elems) {
			return false
		}
		type pair struct{ f, v string }
		var pairs []pair
		switch {
		case withValues && len(rb.Elems) > 0 && rb.Elems[0].Type == '*':
			for _, e := range rb.Elems {
				if len(e.Elems) != 2 {
					return false
				}
				pairs = append(pairs, pair{e.Elems[0].Str, e.Elems[1].Str})
			}
		case withValues:
			for i := 0; i+1 < len(rb.Elems); i += 2 {
				pairs = append(pairs, pair{rb.Elems[i].Str, rb.Elems[i+1].Str})
			}
		default:
			for _, e := range rb.Elems {
				pairs = append(pairs, pair{f: e.Str})
			}
		}
		seen := map[string]bool{}
		for _, p := range pairs {
			v, ok := content[p.f]
			if !ok || (withValues && v != p.v) {
				return false
			}
			if count > 0 && seen[p.f] {
				return false
			}
			seen[p.f] = true
		}
		if count > 0 && count >= int64(len(content)) {
			if withValues && (len(ra.Elems) == 0 || ra.Elems[0].Type != '*') {
				ra.SortPairs()
				rb.SortPairs()
			} else {
				ra.SortElems()
				rb.SortElems()
			}
			return bytes.Equal(ra.Bytes(), rb.Bytes())
		}
		return ra.Shape() == rb.Shape()
	}
}

func genHashRandfield(s *stream) {
	k := s.key()
	switch s.intn(8) {
	case 0, 1:
		s.hset(k, 1+s.intn(5))
	case 2:
		s.do("HDEL", k, s.hfield(), s.hfield())
	case 3:
		if s.chance(0.3) {
			s.do("DEL", k)
		} else {
			count := s.pick(append([]string{"1.5", "abc", "-9223372036854775808", "9223372036854775807",
				"-4611686018427387905", "4611686018427387904", "-4611686018427387904", "4611686018427387903"}, badInts...)...)
			opt := s.pick("WITHVALUES", "withvalues", "WITHVALUE", "x")
			cmp := cmpRandfield(s.hashContent(k), 4611686018427387903, true, true)
			s.doCmp(cmp, "HRANDFIELD", k, count, opt)
		}
	default:
		content := s.hashContent(k)
		args := s.cmd("HRANDFIELD", k)
		hasCount, withValues := false, false
		var count int64
		if s.chance(0.8) {
			hasCount = true
			count = int64(s.intn(17) - 8)
			if s.chance(0.1) {
				count = int64(1+s.intn(3)) * 30
			}
			args = append(args, itoa(count))
			if s.chance(0.5) {
				withValues = true
				args = append(args, s.pick("WITHVALUES", "withvalues"))
			}
			if s.chance(0.03) && withValues {
				args = append(args, "WITHVALUES") // syntax error
			}
		}
		s.doCmp(cmpRandfield(content, count, hasCount, withValues), args...)
	}
}

// scanAll runs a full HSCAN iteration with the given options on one connection and returns the
// field/value pairs seen, sorted and deduplicated, or the first error reply.
func scanAll(c *testserver.Conn, k string, opts ...string) []byte {
	seen := map[string]string{}
	cursor := "0"
	for i := 0; ; i++ {
		r := c.DoReply(append([]string{"HSCAN", k, cursor}, opts...)...)
		if r.IsError() {
			return []byte(r.String())
		}
		cursor = r.Elems[0].Str
		for j := 0; j+1 < len(r.Elems[1].Elems); j += 2 {
			seen[r.Elems[1].Elems[j].Str] = r.Elems[1].Elems[j+1].Str
		}
		if cursor == "0" || i > 100000 {
			break
		}
	}
	keys := make([]string, 0, len(seen))
	for f := range seen {
		keys = append(keys, f)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, f := range keys {
		b.WriteString(f + "=" + seen[f] + "\n")
	}
	return b.Bytes()
}

// cmpScanAccepted compares error replies, and only the shape of others.
var cmpScanAccepted = func(a, b []byte) bool {
	ra, err1 := testserver.ParseReply(a)
	rb, err2 := testserver.ParseReply(b)
	if err1 != nil || err2 != nil || ra.IsError() || rb.IsError() {
		return bytes.Equal(a, b)
	}
	return ra.Type == rb.Type && len(ra.Elems) == len(rb.Elems)
}

var scanPatterns = []string{"*", "f*", "f[12]", "*1*", "?", "\\*", "n*", "", "[a-z]*", "x*"}

func genHashScan(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0, 1:
		s.hset(k, 1+s.intn(6))
	case 2:
		// a big hash: a hashtable in Redis
		args := []string{"HSET", k}
		base := s.intn(1000)
		for i := 0; i < 100+s.intn(600); i++ {
			args = append(args, "field:"+itoa(int64(base+i)), itoa(int64(i)))
		}
		s.do(args...)
	case 3:
		s.do("HDEL", k, s.hfield(), "field:"+itoa(int64(s.intn(1500))))
	case 4:
		var opts []string
		if s.chance(0.5) {
			opts = append(opts, s.pick("MATCH", "match"), s.pick(scanPatterns...))
		}
		if s.chance(0.5) {
			opts = append(opts, s.pick("COUNT", "count"), itoa(int64(1+s.intn(50))))
		}
		s.check("HSCAN full iteration "+k+" "+strings.Join(opts, " "),
			scanAll(s.ref[0], k, opts...), scanAll(s.tgt[0], k, opts...))
	case 5:
		// one call: a listpack is returned whole with cursor 0, as in Redis
		if s.hlistpack(k) {
			args := s.cmd("HSCAN", k, s.pick("0", "0", "7", "123"))
			if s.chance(0.5) {
				args = append(args, "MATCH", s.pick(scanPatterns...))
			}
			if s.chance(0.3) {
				args = append(args, "COUNT", itoa(int64(1+s.intn(3))))
			}
			s.do(args...)
		}
	case 6:
		// argument errors
		switch s.intn(6) {
		case 0:
			// odd but valid cursors continue an iteration wherever: only their acceptance is compared
			s.doCmp(cmpScanAccepted, "HSCAN", k, s.pick("abc", "-1", "1.5", " 1", "18446744073709551616", "", "+3"))
		case 1:
			s.do("HSCAN", k, "0", "COUNT", s.pick("0", "-1", "abc", ""))
		case 2:
			s.do("HSCAN", k, "0", s.pick("MATCH", "COUNT", "TYPE", "FOO"))
		case 3:
			s.do("HSCAN", k, "0", "TYPE", "hash")
		case 4:
			s.do("HSCAN", "nosuchhash", s.pick("0", "abc"), "COUNT", "0")
		default:
			s.do(s.cmd("HSCAN", k)...)
		}
	case 7:
		s.do("HLEN", k)
	case 8:
		if s.chance(0.3) {
			s.do("DEL", k)
		} else {
			s.hreadAll("HKEYS", k)
		}
	default:
		s.hlistpack(k)
	}
}

func genHashEncoding(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0:
		s.do("CONFIG", "SET", "hash-max-listpack-entries", s.pick("0", "1", "2", "3", "5", "512"))
	case 1:
		s.do("CONFIG", "SET", s.pick("hash-max-listpack-value", "hash-max-ziplist-value"), s.pick("0", "1", "3", "8", "64"))
	case 2, 3:
		s.hset(k, 1+s.intn(3))
	case 4:
		s.do("HSETNX", k, s.hfield(), s.hvalue())
	case 5:
		s.do("HINCRBYFLOAT", k, s.hfield(), s.pick("1.5", "1e20", "123456.125", "1"))
	case 6:
		s.do("HINCRBY", k, s.hfield(), s.pick("1", "1000000", "-5"))
	case 7:
		s.do("HDEL", k, s.hfield(), s.hfield(), s.hfield())
	case 8:
		s.hlistpack(k)
	default:
		s.hreadAll(s.pick("HGETALL", "HKEYS", "HVALS"), k)
	}
}

func genHashKeyspace(s *stream) {
	k := s.key()
	switch s.intn(14) {
	case 0, 1, 2:
		s.hset(k, 1+s.intn(3))
	case 3:
		s.do("EXPIRE", k, itoa(s.relS()))
	case 4:
		s.doCmp(cmpTTL, "TTL", k)
	case 5:
		s.do("PERSIST", k)
	case 6:
		// a hash emptied by HDEL is deleted with its TTL
		s.do("HDEL", k, "f1", "f2", "f3", "f4", "f5", "f6")
	case 7:
		s.hcopy(s.pick("RENAME", "RENAMENX"), k, s.key())
	case 8:
		args := []string{"COPY", k, s.key()}
		if s.chance(0.5) {
			args = append(args, "REPLACE")
		}
		s.hcopy(args...)
	case 9:
		s.do("MOVE", k, "1")
		s.do("SELECT", "1")
		s.doCmp(cmpPairs, "HGETALL", k)
		s.do("DEL", k)
		s.do("SELECT", "0")
	case 10:
		s.do("DEBUG", "DIGEST-VALUE", k)
	case 11:
		s.do(s.pick("TYPE", "EXISTS", "DEL"), k)
	case 12:
		s.hlistpack(k)
	default:
		s.hreadAll("HGETALL", k)
	}
}

func genHashMixed(s *stream) {
	switch s.intn(6) {
	case 0, 1:
		genHashBasic(s)
	case 2:
		genHashCounters(s)
	case 3:
		genHashKeyspace(s)
	case 4:
		genHashEncoding(s)
	default:
		genHashRandfield(s)
	}
}

// genHashWrongType: hash commands on string keys answer WRONGTYPE (after their own argument
// checks, as in Redis), and string commands on hashes too.
func genHashWrongType(s *stream) {
	k := s.key()
	switch s.intn(4) {
	case 0:
		s.do("SET", k, s.value())
	case 1:
		s.hset(k, 1+s.intn(2))
	default:
		cmds := [][]string{{"HSET", k, "f", "v"}, {"HMSET", k, "f", "v"}, {"HSETNX", k, "f", "v"}, {"HGET", k, "f"},
			{"HMGET", k, "f", "g"}, {"HGETALL", k}, {"HKEYS", k}, {"HVALS", k}, {"HDEL", k, "f"}, {"HEXISTS", k, "f"},
			{"HLEN", k}, {"HSTRLEN", k, "f"}, {"HINCRBY", k, "f", "1"}, {"HINCRBY", k, "f", "x"},
			{"HINCRBYFLOAT", k, "f", "1.5"}, {"HINCRBYFLOAT", k, "f", "x"}, {"HINCRBYFLOAT", k, "f", "inf"},
			{"HRANDFIELD", k}, {"HRANDFIELD", k, "2"}, {"HRANDFIELD", k, "x"}, {"HSCAN", k, "0"}, {"HSCAN", k, "x"},
			{"HSET", k, "f"}, {"GET", k}, {"APPEND", k, "x"}, {"INCR", k}, {"STRLEN", k}, {"SETRANGE", k, "0", "x"},
			{"TYPE", k}, {"GETDEL", k}, {"MGET", k}}
		c := cmds[s.intn(len(cmds))]
		if c[0] == "HGETALL" {
			s.doCmp(cmpPairs, c...)
			return
		}
		if c[0] == "HKEYS" || c[0] == "HVALS" {
			s.doCmp(cmpSorted, c...)
			return
		}
		if c[0] == "HRANDFIELD" && len(c) > 2 {
			s.doCmp(cmpRandfield(s.hashContent(k), 2, true, false), c...)
			return
		}
		if c[0] == "HRANDFIELD" {
			s.doCmp(cmpRandfield(s.hashContent(k), 0, false, false), c...)
			return
		}
		s.do(c...)
	}
}

func genHashEdges(s *stream) {
	for _, step := range [][]string{
		{"HSET", "e", "a", "1", "a", "2", "b", "3"}, {"HGETALL", "e"}, {"HMSET", "e", "a", "9"}, {"HGET", "e", "a"},
		{"HDEL", "e", "a", "a", "b", "z"}, {"EXISTS", "e"},
		{"HSET", "e", "", ""}, {"HGETALL", "e"}, {"HSTRLEN", "e", ""}, {"HEXISTS", "e", ""}, {"HDEL", "e", ""},
		{"HSET", "e", "n", "9223372036854775807"}, {"HINCRBY", "e", "n", "1"}, {"HINCRBY", "e", "n", "-1"},
		{"HINCRBY", "e", "p", "288230376151711743"}, {"HINCRBY", "e", "p", "-288230376151711743"},
		{"HSET", "e", "m", "-9223372036854775808"}, {"HINCRBY", "e", "m", "-1"}, {"HINCRBY", "e", "m", "0"},
		{"HINCRBY", "e", "m", "9223372036854775808"}, {"HINCRBY", "e", "m", "abc"},
		{"HSET", "e", "m", "288230376151711743"}, {"HINCRBY", "e", "m", "-1"}, {"HGET", "e", "m"},
		{"HINCRBYFLOAT", "e", "x", "0.1"}, {"HINCRBYFLOAT", "e", "x", "0.2"}, {"HGET", "e", "x"},
		{"HINCRBYFLOAT", "e", "x", "-0.3"}, {"HGET", "e", "x"}, {"HINCRBY", "e", "x", "1"},
		{"HINCRBYFLOAT", "e", "y", "-0"}, {"HGET", "e", "y"}, {"HINCRBYFLOAT", "e", "y", "1e308"},
		{"HINCRBYFLOAT", "e", "y", "1e308"}, {"HINCRBYFLOAT", "e", "y", "+inf"}, {"HINCRBYFLOAT", "e", "y", "nan"},
		{"HSET", "e", "z", "inf"}, {"HINCRBYFLOAT", "e", "z", "1"}, {"HSET", "e", "z", "0x10"},
		{"HINCRBYFLOAT", "e", "z", "1"}, {"HGET", "e", "z"}, {"HINCRBY", "e", "z", "1"},
		{"HSET", "e", "w", "1e3"}, {"HINCRBYFLOAT", "e", "w", "1"}, {"HINCRBY", "e", "w", "1"},
		{"HSET", "e", "v", "5"}, {"HINCRBYFLOAT", "e", "v", "1.5"}, {"HINCRBYFLOAT", "e", "v", "0.5"},
		{"HINCRBY", "e", "v", "1"}, {"HGET", "e", "v"}, {"HSTRLEN", "e", "v"},
		{"HSETNX", "e", "v", "x"}, {"HSETNX", "e", "new", "x"}, {"HGETALL", "e"}, {"OBJECT", "ENCODING", "e"},
		{"HSET", "e", strings.Repeat("k", 65), "v"}, {"OBJECT", "ENCODING", "e"}, {"HDEL", "e", strings.Repeat("k", 65)},
		{"OBJECT", "ENCODING", "e"}, {"DEBUG", "DIGEST-VALUE", "e"},
		{"HRANDFIELD", "e", "-9223372036854775808"}, {"HRANDFIELD", "e", "-4611686018427387905", "WITHVALUES"},
		{"HRANDFIELD", "e", "0"}, {"HRANDFIELD", "e", "0", "WITHVALUES"}, {"HRANDFIELD", "e", "1", "WITHVALUES", "x"},
		{"HSET", "one", "only", "v"}, {"HRANDFIELD", "one"}, {"HRANDFIELD", "one", "-3"},
		{"HRANDFIELD", "one", "-3", "WITHVALUES"}, {"HRANDFIELD", "one", "5", "WITHVALUES"}, {"HRANDFIELD", "one", "1"},
		{"HRANDFIELD", "nosuch"}, {"HRANDFIELD", "nosuch", "3"}, {"HRANDFIELD", "nosuch", "-3", "WITHVALUES"},
		{"HSCAN", "one", "0"}, {"HSCAN", "one", "0", "MATCH", "o*", "COUNT", "1"}, {"HSCAN", "one", "0", "MATCH", "x*"},
		{"HSCAN", "nosuch", "0", "COUNT", "0"}, {"HSCAN", "nosuch", "abc"}, {"HSCAN", "one", "0", "COUNT", "0"},
		{"HSET", "t", "a", "1"}, {"EXPIRE", "t", "1000"}, {"HDEL", "t", "a"}, {"HSET", "t", "a", "1"}, {"TTL", "t"},
		{"HSET", "t", "b", "2"}, {"EXPIRE", "t", "1000"}, {"RENAME", "t", "t2"}, {"TTL", "t2"}, {"HGETALL", "t2"},
		{"COPY", "t2", "t3"}, {"TTL", "t3"}, {"HGETALL", "t3"}, {"DEBUG", "DIGEST-VALUE", "t2", "t3"},
		{"HSET"}, {"HSET", "k"}, {"HSET", "k", "f"}, {"HSET", "k", "f", "v", "g"}, {"HMSET", "k", "f"}, {"HSETNX", "k", "f"},
		{"HGET", "k"}, {"HMGET", "k"}, {"HGETALL"}, {"HDEL", "k"}, {"HLEN"}, {"HSTRLEN", "k"}, {"HINCRBY", "k", "f"},
		{"HINCRBYFLOAT", "k", "f", "1", "2"}, {"HRANDFIELD"}, {"HSCAN", "k"}, {"HKEYS", "a", "b"}, {"HVALS"},
		{"HEXISTS", "k"},
	} {
		switch {
		case step[0] == "TTL":
			s.doCmp(cmpTTL, step...)
		case len(step) == 2 && (step[0] == "HGETALL" || step[0] == "HKEYS" || step[0] == "HVALS"):
			s.hreadAll(step[0], step[1])
		default:
			s.do(step...)
		}
	}
}
