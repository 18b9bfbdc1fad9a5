package compat

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

func TestCompatServer(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"ping_echo_select", genConnBasic, 400},
			{"command_info", genCommandInfo, 1},
			{"config", genConfig, 300},
			{"hello_client", genHelloClient, 300},
			{"debug_digest", genDebugDigest, 200},
			{"errors", genServerErrors, 300},
			{"mixed", genServerMixed, 500},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				s := newStream(t, p, 2, proto)
				s.keys = []string{"s1", "s2", "s3"}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				// leave the servers as we found them for the next stream
				s.do("RESET")
				s.on(1, nil, "RESET")
				s.dumpState(3)
			})
		}
	})
}

func genConnBasic(s *stream) {
	c := s.intn(2)
	switch s.intn(14) {
	case 0:
		s.on(c, nil, s.cmd("PING")...)
	case 1:
		s.on(c, nil, s.cmd("PING", s.value())...)
	case 2:
		s.on(c, nil, s.cmd("ECHO", s.value())...)
	case 3:
		s.on(c, nil, s.cmd(s.pick("ECHO", "PING"), "a", "b")...)
	case 4:
		s.on(c, nil, s.cmd("ECHO")...)
	case 5, 6:
		s.on(c, nil, s.cmd("SELECT", s.pick("0", "1", "2", "15", "16", "-1", "abc", "1.5", "", " 1", "01", "9223372036854775807",
			"2147483648", "-2147483649", "0x1"))...)
	case 7:
		s.on(c, nil, s.cmd("DBSIZE")...)
	case 8, 9:
		s.on(c, nil, "SET", s.key(), s.value())
	case 10:
		s.on(c, nil, s.cmd("FLUSHDB", s.pick("ASYNC", "SYNC", "async", "FOO"))[:1+s.intn(2)]...)
	case 11:
		if s.chance(0.3) {
			s.on(c, nil, s.cmd("FLUSHALL", s.pick("ASYNC", "SYNC", "FOO"))[:1+s.intn(2)]...)
		} else {
			s.on(c, nil, "GET", s.key())
		}
	case 12:
		s.on(c, nil, s.cmd("SWAPDB", s.pick("0", "1", "2", "16", "abc", "-1"), s.pick("0", "1", "2"))...)
	default:
		s.on(c, nil, "EXISTS", s.key())
	}
}

// commandsToDescribe are the commands whose COMMAND INFO / DOCS must match Redis 7.0's.
var commandsToDescribe = []string{
	"get", "set", "del", "unlink", "exists", "type", "keys", "rename", "renamenx", "copy", "move", "expire", "pexpire",
	"expireat", "pexpireat", "ttl", "pttl", "expiretime", "pexpiretime", "persist", "touch", "object", "scan", "randomkey",
	"dbsize", "setnx", "setex", "psetex", "mget", "mset", "msetnx", "getset", "getdel", "getex", "append", "strlen",
	"getrange", "setrange", "substr", "lcs", "incr", "decr", "incrby", "decrby", "incrbyfloat", "setbit", "getbit",
	"bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro", "multi", "exec", "discard", "watch", "unwatch", "subscribe",
	"psubscribe", "unsubscribe", "punsubscribe", "publish", "pubsub", "ping", "echo", "select", "flushdb", "flushall",
	"swapdb", "command", "config", "hello", "client", "auth", "quit", "reset", "debug", "info", "time",
}

// genCommandInfo compares the command table. Concord implements a subset of Redis's commands, so
// the replies that cover every command (COMMAND, COMMAND INFO and DOCS without names, COUNT, LIST)
// are compared with Redis's restricted to the commands and subcommands the target's own COMMAND
// LIST lists: the target may not list a command Redis does not have, and every entry it gives must
// be Redis's, byte for byte (subcommands sorted, as Redis lists them in hash-table order).
func genCommandInfo(s *stream) {
	tbl := &commandTable{proto: s.proto, entries: -1}
	s.doCmp(tbl.cmpList(true), "COMMAND", "LIST")
	s.doCmp(tbl.cmpAllInfo(true), "COMMAND")
	s.doCmp(tbl.cmpCount(), "COMMAND", "COUNT")
	for _, c := range commandsToDescribe {
		s.check("COMMAND LIST lists "+c, []byte("true"), []byte(strconv.FormatBool(tbl.listed[c])))
		s.doCmp(tbl.cmpInfo(c), "COMMAND", "INFO", c)
	}
	for _, names := range [][]string{{"GET", "nosuchcommand", "SeT"}, {"config|get"}, {"CONFIG GET"}, {"client|id", "CLIENT|LIST"},
		{"xadd", "get"}, {"lpush"}, {"config|nosuch"}, {"client|no-touch"}} {
		s.doCmp(tbl.cmpInfo(names...), append([]string{"COMMAND", "INFO"}, names...)...)
	}
	s.doCmp(tbl.cmpAllInfo(false), "COMMAND", "INFO") // every command
	for _, c := range []string{"get", "set", "incr", "ping", "config", "config|get", "client|setname", "nosuch", "lpush", "client|no-touch"} {
		s.doCmp(tbl.cmpDocs(), "COMMAND", "DOCS", c)
	}
	s.doCmp(tbl.cmpDocs(), "COMMAND", "DOCS", "get", "set")
	s.doCmp(tbl.cmpDocs(), "COMMAND", "DOCS", "xadd", "GET", "hset")
	s.doCmp(tbl.cmpDocs(), "COMMAND", "DOCS") // every command
	for _, f := range [][]string{{"PATTERN", "get*"}, {"PATTERN", "*bit*"}, {"PATTERN", "client*"}, {"pattern", "*"},
		{"PATTERN", "*|*"}, {"PATTERN", "nosuch*"}, {"ACLCAT", "string"}, {"aclcat", "CONNECTION"}, {"ACLCAT", "keyspace"},
		{"ACLCAT", "dangerous"}, {"ACLCAT", "nosuchcat"}, {"MODULE", "x"}} {
		s.doCmp(tbl.cmpList(false), "COMMAND", "LIST", "FILTERBY", f[0], f[1])
	}
	for _, c := range [][]string{
		{"COMMAND", "GETKEYS", "SET", "k", "v"}, {"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"},
		{"COMMAND", "GETKEYS", "GET"}, {"COMMAND", "GETKEYS", "PING"}, {"COMMAND", "GETKEYS", "NOSUCH", "a"},
		{"COMMAND", "GETKEYS", "BITOP", "AND", "d", "a", "b"}, {"COMMAND", "GETKEYS", "COPY", "a", "b"},
		{"COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v"}, {"COMMAND", "GETKEYSANDFLAGS", "LCS", "a", "b"},
		{"COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v", "EX", "1", "GET"}, {"COMMAND", "GETKEYSANDFLAGS", "MSET", "a", "1", "b", "2"},
		{"COMMAND", "GETKEYSANDFLAGS", "BITOP", "AND", "d", "a", "b"}, {"COMMAND", "GETKEYSANDFLAGS", "RENAME", "a", "b"},
		{"COMMAND", "GETKEYSANDFLAGS", "DEL", "a", "b"}, {"COMMAND", "GETKEYSANDFLAGS", "OBJECT", "ENCODING", "k"},
		{"COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0"}, {"COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "SET", "u8", "0", "1"},
		{"COMMAND", "GETKEYSANDFLAGS", "BITFIELD_RO", "k", "GET", "u8", "0"}, {"COMMAND", "GETKEYSANDFLAGS", "GET", "a", "b"},
		{"COMMAND", "GETKEYSANDFLAGS", "GET"}, {"COMMAND", "GETKEYSANDFLAGS", "PING", "x"}, {"COMMAND", "GETKEYSANDFLAGS", "NOSUCH", "a"},
		{"COMMAND", "GETKEYSANDFLAGS", "CLIENT", "ID"}, {"COMMAND", "GETKEYSANDFLAGS", "CLIENT", "NOSUCH"},
		{"COMMAND", "GETKEYSANDFLAGS", "CONFIG", "GET", "x"}, {"COMMAND", "GETKEYSANDFLAGS"},
		{"COMMAND", "COUNT", "x"}, {"COMMAND", "FOO"}, {"COMMAND", "LIST", "FILTERBY"},
		{"COMMAND", "LIST", "FILTERBY", "FOO", "x"}, {"COMMAND", "LIST", "x"}, {"COMMAND", "LIST", "FILTERBY", "PATTERN", "x", "y"},
	} {
		s.do(c...)
	}
}

// commandTable is what the target says it implements, learnt from its own replies: the names
// (commands and subcommands) its COMMAND LIST lists, and the number of entries of its COMMAND.
type commandTable struct {
	proto   int
	listed  map[string]bool
	entries int // -1 until learnt
}

// parsedPair parses both replies; ok is false if either does not parse or is an error, and the
// replies must then be byte-identical.
func parsedPair(ref, tgt []byte) (r, t *testserver.Reply, ok bool) {
	r, err1 := testserver.ParseReply(ref)
	t, err2 := testserver.ParseReply(tgt)
	if err1 != nil || err2 != nil || r.IsError() || t.IsError() {
		return nil, nil, false
	}
	return r, t, true
}

// cmpList compares COMMAND LIST [FILTERBY ...]: Redis's names restricted to the listed ones, in any
// order. With learn (COMMAND LIST without filter), the listed names are the target's: the target
// must then list each at most once and only names Redis lists.
func (tbl *commandTable) cmpList(learn bool) cmpFunc {
	return func(ref, tgt []byte) bool {
		r, t, ok := parsedPair(ref, tgt)
		if !ok {
			return bytes.Equal(ref, tgt)
		}
		if learn {
			tbl.listed = map[string]bool{}
			for _, e := range t.Elems {
				tbl.listed[e.Str] = true
			}
		}
		r.Elems = slices.DeleteFunc(r.Elems, func(e *testserver.Reply) bool { return !tbl.listed[e.Str] })
		r.SortElems()
		t.SortElems()
		return bytes.Equal(r.Bytes(), t.Bytes())
	}
}

// canonInfo sorts the subcommands of a COMMAND INFO entry, recursively, keeping only the listed
// ones if restrict (Redis's entries; the target's are kept whole).
func (tbl *commandTable) canonInfo(info *testserver.Reply, restrict bool) {
	if !info.IsAggregate() || len(info.Elems) != 10 || !info.Elems[9].IsAggregate() {
		return
	}
	subs := info.Elems[9]
	if restrict {
		subs.Elems = slices.DeleteFunc(subs.Elems, func(e *testserver.Reply) bool { return !tbl.listed[infoName(e)] })
	}
	for _, sub := range subs.Elems {
		tbl.canonInfo(sub, restrict)
	}
	subs.SortElems()
}

// infoName is the command name of a COMMAND INFO entry ("" for a nil entry).
func infoName(info *testserver.Reply) string {
	if !info.IsAggregate() || len(info.Elems) == 0 {
		return ""
	}
	return info.Elems[0].Str
}

// cmpAllInfo compares COMMAND and COMMAND INFO without names: Redis's entries of the listed
// commands, in any order. With learn, it records how many entries the target gave.
func (tbl *commandTable) cmpAllInfo(learn bool) cmpFunc {
	return func(ref, tgt []byte) bool {
		r, t, ok := parsedPair(ref, tgt)
		if !ok {
			return bytes.Equal(ref, tgt)
		}
		if learn && t.IsAggregate() {
			tbl.entries = len(t.Elems)
		}
		r.Elems = slices.DeleteFunc(r.Elems, func(e *testserver.Reply) bool { return !tbl.listed[infoName(e)] })
		for _, info := range r.Elems {
			tbl.canonInfo(info, true)
		}
		for _, info := range t.Elems {
			tbl.canonInfo(info, false)
		}
		r.SortElems()
		t.SortElems()
		return bytes.Equal(r.Bytes(), t.Bytes())
	}
}

// cmpCount compares COMMAND COUNT: the number of entries of the target's own COMMAND.
func (tbl *commandTable) cmpCount() cmpFunc {
	return func(ref, tgt []byte) bool {
		r, t, ok := parsedPair(ref, tgt)
		if !ok || r.Type != ':' {
			return bytes.Equal(ref, tgt)
		}
		return t.Type == ':' && t.Str == strconv.Itoa(tbl.entries)
	}
}

// cmpInfo compares COMMAND INFO name...: per name, Redis's entry if the target lists the command
// (any case), else a nil.
func (tbl *commandTable) cmpInfo(names ...string) cmpFunc {
	return func(ref, tgt []byte) bool {
		r, t, ok := parsedPair(ref, tgt)
		if !ok || !r.IsAggregate() || len(r.Elems) != len(names) {
			return bytes.Equal(ref, tgt)
		}
		for i, name := range names {
			if !tbl.listed[strings.ToLower(name)] {
				r.Elems[i] = nilReply(tbl.proto)
			}
		}
		for _, info := range r.Elems {
			tbl.canonInfo(info, true)
		}
		for _, info := range t.Elems {
			tbl.canonInfo(info, false)
		}
		return bytes.Equal(r.Bytes(), t.Bytes())
	}
}

// nilReply is the nil of COMMAND INFO for an unknown command.
func nilReply(proto int) *testserver.Reply {
	if proto == 3 {
		return &testserver.Reply{Type: '_'}
	}
	return &testserver.Reply{Type: '$', Null: true}
}

// cmpDocs compares COMMAND DOCS [name...], a map (a flat array in RESP2) of command name to docs:
// Redis's entries of the listed commands, with only the listed subcommands, in any order.
func (tbl *commandTable) cmpDocs() cmpFunc {
	return func(ref, tgt []byte) bool {
		r, t, ok := parsedPair(ref, tgt)
		if !ok || !r.IsAggregate() || !t.IsAggregate() {
			return bytes.Equal(ref, tgt)
		}
		tbl.canonDocs(r, true)
		tbl.canonDocs(t, false)
		return bytes.Equal(r.Bytes(), t.Bytes())
	}
}

// canonDocs sorts a name -> docs map by name, and the subcommands map of every docs value,
// recursively; if restrict (Redis's reply; the target's is kept whole), it keeps only the entries
// of the listed commands.
func (tbl *commandTable) canonDocs(m *testserver.Reply, restrict bool) {
	if restrict {
		var kept []*testserver.Reply
		for i := 0; i+1 < len(m.Elems); i += 2 {
			if tbl.listed[m.Elems[i].Str] {
				kept = append(kept, m.Elems[i], m.Elems[i+1])
			}
		}
		m.Elems = kept
	}
	for i := 1; i < len(m.Elems); i += 2 {
		docs := m.Elems[i]
		if !docs.IsAggregate() {
			continue
		}
		for j := 0; j+1 < len(docs.Elems); j += 2 {
			if docs.Elems[j].Str == "subcommands" && docs.Elems[j+1].IsAggregate() {
				tbl.canonDocs(docs.Elems[j+1], restrict)
			}
		}
	}
	m.SortPairs()
}

// configPatterns are CONFIG GET arguments whose answers do not depend on the port, directory or
// process of the server.
var configPatterns = []string{"maxmemory", "maxmemory*", "maxmemory-polic?", "hz", "timeout", "databases", "maxclients",
	"save", "appendonly", "notify-keyspace-events", "nosuchparam", "*max-*-entries", "*max-*-size", "proto-max-bulk-len",
	"client-query-buffer-limit", "lazyfree-*", "requirepass", "MAXMEMORY", "list-max-*", "set-max-intset-entries",
	"tcp-keepalive", "slowlog-*", "latency-tracking", "activerehashing", "lfu-*", "maxmemory-samples", "busy-reply-threshold",
	"lua-time-limit", "enable-debug-command", "protected-mode", "replica-read-only", "io-threads"}

// configSets are CONFIG SET arguments: ones with an effect, ones Concord accepts and ignores, and
// invalid ones.
var configSets = [][]string{
	{"maxmemory", "100mb"}, {"maxmemory", "0"}, {"maxmemory", "1gb"}, {"maxmemory", "abc"}, {"maxmemory", "-1"},
	{"maxmemory-policy", "allkeys-lru"}, {"maxmemory-policy", "noeviction"}, {"maxmemory-policy", "bogus"},
	{"maxmemory-policy", "ALLKEYS-LFU"}, {"maxmemory-samples", "10"}, {"maxmemory-samples", "0"},
	{"hz", "20"}, {"hz", "10"}, {"hz", "abc"}, {"hz", "0"}, {"hz", "1000"}, {"timeout", "0"}, {"timeout", "3600"},
	{"timeout", "-1"}, {"notify-keyspace-events", ""}, {"notify-keyspace-events", "KEA"}, {"notify-keyspace-events", "Q"},
	{"maxclients", "1000"}, {"maxclients", "abc"}, {"lazyfree-lazy-user-del", "yes"}, {"lazyfree-lazy-user-del", "no"},
	{"lazyfree-lazy-user-del", "maybe"}, {"slowlog-log-slower-than", "1000"}, {"slowlog-max-len", "64"},
	{"list-max-listpack-size", "64"}, {"list-max-ziplist-size", "-2"}, {"set-max-intset-entries", "256"},
	{"hash-max-listpack-entries", "64"}, {"activerehashing", "no"}, {"activerehashing", "yes"}, {"tcp-keepalive", "60"},
	{"proto-max-bulk-len", "1mb"}, {"proto-max-bulk-len", "512mb"}, {"daemonize", "yes"}, {"databases", "4"},
	{"nosuchparam", "1"}, {"hz"}, {"hz", "10", "timeout"}, {"hz", "10", "hz", "20"}, {"hz", "11", "timeout", "0"},
	{"hz", "12", "maxmemory", "abc"}, {"HZ", "13"}, {"maxmemory", "1.5gb"}, {"maxmemory", "100MB"}, {"maxmemory", "2gb"},
	{"lua-time-limit", "5000"}, {"busy-reply-threshold", "5000"}, {"io-threads", "2"},
}

func genConfig(s *stream) {
	switch s.intn(10) {
	case 0, 1, 2, 3:
		args := []string{"CONFIG", "GET", s.pick(configPatterns...)}
		if s.chance(0.2) {
			args = append(args, s.pick(configPatterns...))
		}
		s.doCmp(cmpPairs, s.cmd(args[0], args[1:]...)...)
	case 4, 5, 6, 7:
		set := s.pick2(configSets...)
		s.do(append([]string{"CONFIG", s.pick("SET", "set")}, set...)...)
		s.doCmp(cmpPairs, "CONFIG", "GET", set[0])
	case 8:
		s.do(s.pick2([]string{"CONFIG"}, []string{"CONFIG", "GET"}, []string{"CONFIG", "SET", "hz"}, []string{"CONFIG", "FOO"},
			[]string{"CONFIG", "RESETSTAT"}, []string{"CONFIG", "REWRITE"}, []string{"CONFIG", "RESETSTAT", "x"})...)
	default:
		s.do("SET", s.key(), "v")
	}
}

func genHelloClient(s *stream) {
	c := s.intn(2)
	switch s.intn(14) {
	case 0:
		s.on(c, cmpHello, "HELLO", s.pick("2", "3"))
	case 1:
		s.on(c, cmpHello, "HELLO")
	case 2:
		s.on(c, cmpHello, "HELLO", s.pick("4", "1", "0", "-1", "abc", "", "3.0", "9223372036854775808"))
	case 3:
		s.on(c, cmpHello, "HELLO", s.pick("2", "3"), "SETNAME", s.pick("conn-a", "bad name", ""))
	case 4:
		s.on(c, cmpHello, "HELLO", s.pick("2", "3"), "AUTH", "default", s.pick("pw", ""))
	case 5:
		s.on(c, cmpHello, "HELLO", "3", s.pick("SETNAME", "AUTH", "FOO"))
	case 6, 7:
		s.on(c, nil, "CLIENT", "SETNAME", s.pick("conn-1", "", "a b", "a\nb", "ünï", "x\x7f", "name-with-dash", "\x01", "a\"b"))
	case 8, 9:
		s.on(c, nil, "CLIENT", "GETNAME")
	case 10:
		s.on(c, nil, s.pick2([]string{"CLIENT", "SETNAME"}, []string{"CLIENT", "SETNAME", "a", "b"}, []string{"CLIENT", "GETNAME", "x"},
			[]string{"CLIENT"}, []string{"CLIENT", "FOO"}, []string{"CLIENT", "NO-EVICT", "on"}, []string{"CLIENT", "NO-EVICT", "maybe"})...)
	case 11:
		s.on(c, nil, "AUTH", s.pick("pw", "default"), s.pick("pw", "x")) // no password configured
	case 12:
		s.on(c, nil, "AUTH", "pw")
	default:
		s.on(c, nil, "GET", s.key())
	}
}

func genDebugDigest(s *stream) {
	k := s.key()
	switch s.intn(6) {
	case 0, 1:
		s.do("SET", k, s.value())
	case 2:
		s.do("APPEND", k, s.value())
	case 3:
		s.do("DEL", k)
	default:
		args := []string{"DEBUG", "DIGEST-VALUE"}
		for i := s.intn(3); i >= 0; i-- {
			args = append(args, s.pick(append(s.keys, "nokey")...))
		}
		s.do(args...)
	}
}

func genServerErrors(s *stream) {
	switch s.intn(6) {
	case 0, 1:
		// unknown commands, with arguments of every kind
		args := []string{s.pick("FOO", "foo", "", " ", "GETT", "set2", "\x00", "ü", "CONFIGX", "a b")}
		for i := s.intn(4); i > 0; i-- {
			args = append(args, s.value())
		}
		s.do(args...)
	case 2:
		// an unknown command with very long arguments (Redis truncates them in the error)
		s.do("NOSUCH", string(make([]byte, 200)), "b")
	case 3:
		s.do(s.pick2([]string{"PING", "a", "b", "c"}, []string{"GET"}, []string{"SELECT"}, []string{"DBSIZE", "x"},
			[]string{"FLUSHALL", "ASYNC", "SYNC"}, []string{"TYPE"}, []string{"ECHO"}, []string{"HELLO", "3", "AUTH"},
			[]string{"CONFIG", "GET"}, []string{"DEBUG"}, []string{"CLIENT", "SETNAME"},
			[]string{"RESET", "x"}, []string{"SWAPDB"}, []string{"SUBSCRIBE"}, []string{"PUBLISH", "x"})...)
	case 4:
		// subcommand errors
		s.do(s.pick2([]string{"CONFIG", "NOSUCH"}, []string{"CLIENT", "NOSUCH"}, []string{"COMMAND", "NOSUCH"},
			[]string{"OBJECT", "NOSUCH", "x"}, []string{"PUBSUB", "NOSUCH"}, []string{"DEBUG", "NOSUCHSUB"},
			[]string{"config", "get"}, []string{"Config", "Set", "hz"})...)
	default:
		s.do("SET", s.key(), s.value())
	}
}

func genServerMixed(s *stream) {
	switch s.intn(6) {
	case 0:
		genConnBasic(s)
	case 1:
		genConfig(s)
	case 2:
		genHelloClient(s)
	case 3:
		genDebugDigest(s)
	case 4:
		genServerErrors(s)
	default:
		if s.chance(0.1) {
			s.on(s.intn(2), nil, "RESET")
		} else {
			genSetOptions(s)
		}
	}
}
