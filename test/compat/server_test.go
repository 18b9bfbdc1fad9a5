package compat

import (
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

func genCommandInfo(s *stream) {
	s.do("COMMAND", "COUNT")
	for _, c := range commandsToDescribe {
		s.doCmp(cmpCommandInfo, "COMMAND", "INFO", c)
	}
	s.doCmp(cmpCommandInfo, "COMMAND", "INFO", "GET", "nosuchcommand", "SeT")
	s.doCmp(cmpAllCommandInfo, "COMMAND", "INFO") // every command
	s.doCmp(cmpAllCommandInfo, "COMMAND")
	s.doCmp(cmpCommandInfo, "COMMAND", "INFO", "config|get")
	s.doCmp(cmpCommandInfo, "COMMAND", "INFO", "CONFIG GET")
	for _, c := range []string{"get", "set", "incr", "ping", "config", "config|get", "client|setname", "nosuch"} {
		s.doCmp(cmpCommandDocs, "COMMAND", "DOCS", c)
	}
	s.doCmp(cmpCommandDocs, "COMMAND", "DOCS", "get", "set")
	s.doCmp(cmpSorted, "COMMAND", "LIST", "FILTERBY", "PATTERN", "get*")
	s.doCmp(cmpSorted, "COMMAND", "LIST", "FILTERBY", "PATTERN", "*bit*")
	for _, c := range [][]string{
		{"COMMAND", "GETKEYS", "SET", "k", "v"}, {"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"},
		{"COMMAND", "GETKEYS", "GET"}, {"COMMAND", "GETKEYS", "PING"}, {"COMMAND", "GETKEYS", "NOSUCH", "a"},
		{"COMMAND", "GETKEYS", "BITOP", "AND", "d", "a", "b"}, {"COMMAND", "GETKEYS", "COPY", "a", "b"},
		{"COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v"}, {"COMMAND", "GETKEYSANDFLAGS", "LCS", "a", "b"},
		{"COMMAND", "COUNT", "x"}, {"COMMAND", "FOO"}, {"COMMAND", "LIST", "FILTERBY"},
		{"COMMAND", "LIST", "FILTERBY", "FOO", "x"},
	} {
		s.do(c...)
	}
}

// cmpCommandInfo compares COMMAND INFO replies regardless of the order of subcommands (Redis lists
// them in hash-table order).
var cmpCommandInfo = parsed(func(r *testserver.Reply) {
	for _, info := range r.Elems {
		sortSubcommandInfo(info)
	}
})

// cmpAllCommandInfo compares the list of all commands regardless of order.
var cmpAllCommandInfo = parsed(func(r *testserver.Reply) {
	for _, info := range r.Elems {
		sortSubcommandInfo(info)
	}
	r.SortElems()
})

func sortSubcommandInfo(info *testserver.Reply) {
	if info.IsAggregate() && len(info.Elems) >= 10 && info.Elems[9].IsAggregate() {
		info.Elems[9].SortElems()
		for _, sub := range info.Elems[9].Elems {
			sortSubcommandInfo(sub)
		}
	}
}

// cmpCommandDocs compares COMMAND DOCS replies regardless of the order of subcommands.
var cmpCommandDocs = parsed(func(r *testserver.Reply) { sortDocsMap(r) })

func sortDocsMap(m *testserver.Reply) {
	if !m.IsAggregate() {
		return
	}
	for i := 0; i+1 < len(m.Elems); i += 2 {
		v := m.Elems[i+1]
		if m.Elems[i].Str == "subcommands" && v.IsAggregate() {
			if v.Type == '%' {
				v.SortElems()
			} else {
				v.SortPairs()
			}
			for j := 1; j < len(v.Elems); j += 2 {
				sortDocsMap(v.Elems[j])
			}
		} else if v.IsAggregate() && (m.Elems[i].Type == '$' || m.Elems[i].Type == '+') && i == 0 || v.Type == '%' {
			sortDocsMap(v)
		}
	}
	// top level: command name -> doc map
	for i := 1; i < len(m.Elems); i += 2 {
		if m.Elems[i].IsAggregate() {
			for j := 0; j+1 < len(m.Elems[i].Elems); j += 2 {
				if m.Elems[i].Elems[j].Str == "subcommands" {
					sortDocsMap(m.Elems[i])
					break
				}
			}
		}
	}
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
