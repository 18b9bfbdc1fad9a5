package command

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/commandspec"
)

// scCommandHelp is redis-server 7.0.15's reply to COMMAND HELP.
const scCommandHelp = "*21\r\n" +
	"+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" +
	"+(no subcommand)\r\n" +
	"+    Return details about all Redis commands.\r\n" +
	"+COUNT\r\n" +
	"+    Return the total number of commands in this Redis server.\r\n" +
	"+LIST\r\n" +
	"+    Return a list of all commands in this Redis server.\r\n" +
	"+INFO [<command-name> ...]\r\n" +
	"+    Return details about multiple Redis commands.\r\n" +
	"+    If no command names are given, documentation details for all\r\n" +
	"+    commands are returned.\r\n" +
	"+DOCS [<command-name> ...]\r\n" +
	"+    Return documentation details about multiple Redis commands.\r\n" +
	"+    If no command names are given, documentation details for all\r\n" +
	"+    commands are returned.\r\n" +
	"+GETKEYS <full-command>\r\n" +
	"+    Return the keys from a full Redis command.\r\n" +
	"+GETKEYSANDFLAGS <full-command>\r\n" +
	"+    Return the keys and the access flags from a full Redis command.\r\n" +
	"+HELP\r\n" +
	"+    Prints this help.\r\n"

// Replies captured from redis-server 7.0.15.
const (
	scInfoGet       = "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
	scInfoGet3      = "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n"
	scInfoClientID  = "*10\r\n$9\r\nclient|id\r\n:2\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"
	scInfoClientID3 = "*10\r\n$9\r\nclient|id\r\n:2\r\n~3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@slow\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n"
	scDocsClientID  = "$9\r\nclient|id\r\n*8\r\n$7\r\nsummary\r\n$48\r\nReturns the client ID for the current connection\r\n$5\r\nsince\r\n$5\r\n5.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"
	scDocsClientID3 = "$9\r\nclient|id\r\n%4\r\n$7\r\nsummary\r\n$48\r\nReturns the client ID for the current connection\r\n$5\r\nsince\r\n$5\r\n5.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"
	scDocsGet3      = "$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n"
)

func TestCommandInfoDocs(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scInt(int64(len(describedCommands()))), "COMMAND", "COUNT"),
		sc(scArity("command|count"), "COMMAND", "COUNT", "x"),
		sc(scArr(scInfoGet), "COMMAND", "INFO", "get"),
		sc(scArr(scInfoGet, scNull2), "COMMAND", "INFO", "GET", "nosuch"),
		sc(scArr(scNull2), "COMMAND", "INFO", "nosuch"),
		sc(scArr(scInfoClientID), "COMMAND", "INFO", "client|id"),
		sc(scArr(scNull2), "COMMAND", "INFO", "client|nosuch"),
		sc("*0\r\n", "COMMAND", "DOCS", "nosuch"),
		sc("*2\r\n"+scDocsClientID, "COMMAND", "DOCS", "client|id", "nosuch"),
		sc(scCommandHelp, "COMMAND", "HELP"),
		sc(scErr("ERR unknown subcommand 'x'. Try COMMAND HELP."), "COMMAND", "x"),
		sc(scHello(cl.ID, 3), "HELLO", "3"),
		sc(scArr(scInfoClientID3, scNull3), "COMMAND", "INFO", "client|id", "nosuch"),
		sc(scArr(scInfoGet3), "COMMAND", "INFO", "GET"),
		sc("%1\r\n"+scDocsClientID3, "COMMAND", "DOCS", "client|id", "nosuch"),
		sc("%1\r\n"+scDocsGet3, "COMMAND", "DOCS", "GET"),
	})
	s.do(cl, "HELLO", "2")

	// COMMAND and COMMAND INFO without names: every command, QUIT included; a container lists
	// only the subcommands Concord has.
	all := s.do(cl, "COMMAND")
	if all != s.do(cl, "COMMAND", "INFO") {
		t.Error("COMMAND and COMMAND INFO differ")
	}
	if !strings.HasPrefix(all, "*"+Itoa(int64(len(describedCommands())))+"\r\n") || !strings.Contains(all, "\r\n$4\r\nquit\r\n:-1\r\n") {
		t.Errorf("COMMAND: %.200q", all)
	}
	info := s.do(cl, "COMMAND", "INFO", "client")
	if strings.Contains(info, "client|nosuch") || !strings.Contains(info, "$11\r\nclient|kill\r\n") {
		t.Errorf("COMMAND INFO client: %.300q", info)
	}
	sp := spec(table["client"])
	var subs []string
	for _, x := range sp.Subcommands {
		subs = append(subs, x.Name)
	}
	for _, n := range subs {
		if findCommand(n) == nil {
			t.Errorf("spec lists unregistered %s", n)
		}
	}
	docs := s.do(cl, "COMMAND", "DOCS")
	if !strings.HasPrefix(docs, "*"+Itoa(2*int64(len(describedCommands())))+"\r\n") || !strings.Contains(docs, "$9\r\nclient|id\r\n") {
		t.Errorf("COMMAND DOCS: %.200q", docs)
	}

	// QUIT is described although the dispatcher runs it; CLIENT NO-TOUCH (Redis 7.2's) runs but
	// is not described, as in Redis 7.0; neither are Concord's own CRDT.* commands.
	registered := 0
	for _, c := range Commands() {
		if !strings.HasPrefix(c.Name, "crdt.") {
			registered++
		}
	}
	if len(describedCommands()) != registered+1 {
		t.Errorf("%d commands described, %d registered (but CRDT.*) + QUIT", len(describedCommands()), registered)
	}
	if findCommand("client|no-touch") != nil {
		s.run(cl, []scStep{
			sc(scArr(scNull2), "COMMAND", "INFO", "client|no-touch"),
			sc("*0\r\n", "COMMAND", "DOCS", "client|no-touch"),
			sc("*0\r\n", "COMMAND", "LIST", "FILTERBY", "PATTERN", "client|no-touch"),
			sc(scErr("ERR Invalid command specified"), "COMMAND", "GETKEYS", "client", "no-touch", "on"),
		})
		if strings.Contains(all, "no-touch") || strings.Contains(docs, "no-touch") {
			t.Error("COMMAND or COMMAND DOCS describes client|no-touch")
		}
	}
}

func TestCommandList(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	list := func(args ...string) []string {
		reply := s.do(cl, append([]string{"COMMAND", "LIST"}, args...)...)
		var out []string
		lines := strings.Split(reply, "\r\n")
		for i := 2; i < len(lines); i += 2 {
			out = append(out, lines[i])
		}
		return out
	}
	all := list()
	n := 0
	for _, c := range describedCommands() {
		n++
		for _, sub := range c.Subcommands {
			if described(sub) {
				n++
			}
		}
	}
	if len(all) != n || !slices.Contains(all, "quit") || !slices.Contains(all, "client|list") || !slices.Contains(all, "client") {
		t.Errorf("COMMAND LIST: %d names, want %d: %v", len(all), n, all)
	}
	clients := list("FILTERBY", "PATTERN", "client*")
	want := []string{"client"}
	for name, sub := range table["client"].Subcommands {
		if described(sub) {
			want = append(want, "client|"+name)
		}
	}
	sort.Strings(want)
	if !slices.Equal(clients, want) {
		t.Errorf("PATTERN client*: %v, want %v", clients, want)
	}
	conn := list("FILTERBY", "aclcat", "CONNECTION")
	for _, name := range []string{"ping", "echo", "select", "hello", "auth", "reset", "quit", "client|id", "command|info"} {
		if !slices.Contains(conn, name) {
			t.Errorf("ACLCAT connection lacks %s: %v", name, conn)
		}
	}
	if slices.Contains(conn, "client") || slices.Contains(conn, "get") {
		t.Errorf("ACLCAT connection: %v", conn)
	}
	s.run(cl, []scStep{
		sc("*0\r\n", "COMMAND", "LIST", "FILTERBY", "MODULE", "x"),
		sc("*0\r\n", "COMMAND", "LIST", "FILTERBY", "ACLCAT", "x"),
		sc(scErr("ERR syntax error"), "COMMAND", "LIST", "FILTERBY"),
		sc(scErr("ERR syntax error"), "COMMAND", "LIST", "FILTERBY", "x", "y"),
		sc(scErr("ERR syntax error"), "COMMAND", "LIST", "x"),
		sc(scErr("ERR syntax error"), "COMMAND", "LIST", "FILTERBY", "PATTERN", "x", "y"),
	})
}

func TestCommandGetkeys(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scArity("command|getkeys"), "COMMAND", "GETKEYS"),
		sc(scArity("command|getkeys"), "COMMAND", "GETKEYS", "get"),
		sc(scErr("ERR Invalid command specified"), "COMMAND", "GETKEYS", "nosuch", "a"),
		sc(scArr(scBulk("a")), "COMMAND", "GETKEYS", "get", "a"),
		sc(scArr(scBulk("a")), "COMMAND", "GETKEYS", "SET", "a", "b", "c"),
		sc(scArr(scBulk("a"), scBulk("b")), "COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"),
		sc(scErr("ERR Invalid number of arguments specified for command"), "COMMAND", "GETKEYS", "set", "a"),
		sc(scErr("ERR The command has no key arguments"), "COMMAND", "GETKEYS", "client", "id"),
		sc(scErr("ERR The command has no key arguments"), "COMMAND", "GETKEYS", "ping", "x"),
		sc(scErr("ERR Invalid command specified"), "COMMAND", "GETKEYS", "client", "nosuch"),
		sc(scArr(scBulk("k")), "COMMAND", "GETKEYS", "object", "encoding", "k"),
	})
}

// Replies captured from redis-server 7.0.15.
const (
	scKeysFlagsSet     = "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n"
	scKeysFlagsSet3    = "*1\r\n*2\r\n$1\r\nk\r\n~2\r\n+OW\r\n+update\r\n"
	scKeysFlagsSetGet  = "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"
	scKeysFlagsSetGet3 = "*1\r\n*2\r\n$1\r\nk\r\n~3\r\n+RW\r\n+access\r\n+update\r\n"
	scKeysFlagsMset    = "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"
	scKeysFlagsCopy    = "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"
	scKeysFlagsCopy3   = "*2\r\n*2\r\n$1\r\na\r\n~2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n~2\r\n+OW\r\n+update\r\n"
	scKeysFlagsObject  = "*1\r\n*2\r\n$1\r\nk\r\n*1\r\n+RO\r\n"
	scKeysFlagsObject3 = "*1\r\n*2\r\n$1\r\nk\r\n~1\r\n+RO\r\n"
	scKeysFlagsBitRO   = "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n"
	scKeysFlagsBitRW   = "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"
)

func TestCommandGetkeysandflags(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scArity("command|getkeysandflags"), "COMMAND", "GETKEYSANDFLAGS"),
		sc(scArity("command|getkeysandflags"), "COMMAND", "GETKEYSANDFLAGS", "get"),
		sc(scErr("ERR Invalid command specified"), "COMMAND", "GETKEYSANDFLAGS", "nosuch", "a"),
		sc(scErr("ERR Invalid number of arguments specified for command"), "COMMAND", "GETKEYSANDFLAGS", "get", "a", "b"),
		sc(scErr("ERR The command has no key arguments"), "COMMAND", "GETKEYSANDFLAGS", "ping", "x"),
		sc(scErr("ERR The command has no key arguments"), "COMMAND", "GETKEYSANDFLAGS", "client", "id"),
		sc(scErr("ERR Invalid command specified"), "COMMAND", "GETKEYSANDFLAGS", "client", "nosuch"),
		sc(scKeysFlagsSet, "COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v"),
		sc(scKeysFlagsSetGet, "COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "EX", "1", "get"),
		sc(scKeysFlagsMset, "COMMAND", "GETKEYSANDFLAGS", "MSET", "a", "1", "b", "2"),
		sc(scKeysFlagsCopy, "COMMAND", "GETKEYSANDFLAGS", "COPY", "a", "b"),
		sc(scKeysFlagsObject, "COMMAND", "GETKEYSANDFLAGS", "OBJECT", "ENCODING", "k"),
		sc(scKeysFlagsBitRO, "COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0"),
		sc(scKeysFlagsBitRW, "COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"),
		sc(scHello(cl.ID, 3), "HELLO", "3"),
		sc(scKeysFlagsSet3, "COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v"),
		sc(scKeysFlagsSetGet3, "COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v", "GET"),
		sc(scKeysFlagsCopy3, "COMMAND", "GETKEYSANDFLAGS", "COPY", "a", "b"),
		sc(scKeysFlagsObject3, "COMMAND", "GETKEYSANDFLAGS", "OBJECT", "ENCODING", "k"),
		sc(scErr("ERR The command has no key arguments"), "COMMAND", "GETKEYSANDFLAGS", "ping", "x"),
	})
}

// TestServerCommandsMatchRedis checks the arity of the commands of these files against Redis
// 7.0's metadata.
func TestServerCommandsMatchRedis(t *testing.T) {
	names := []string{"ping", "echo", "select", "hello", "auth", "reset", "client", "dbsize", "time",
		"lastsave", "flushdb", "flushall", "shutdown", "save", "bgsave", "bgrewriteaof", "monitor",
		"role", "readonly", "readwrite", "lolwut", "config", "info", "debug", "command"}
	check := func(cmd *Command) {
		sp := commandspec.Lookup(cmd.Name)
		if sp == nil {
			if cmd.Name != "client|no-touch" { // Redis 7.2's
				t.Errorf("%s: not a Redis 7.0 command", cmd.Name)
			}
			return
		}
		if sp.Arity != cmd.Arity {
			t.Errorf("%s: arity %d, Redis %d", cmd.Name, cmd.Arity, sp.Arity)
		}
		if sp.HasFlag("no_auth") != (cmd.Flags&NoAuth != 0) {
			t.Errorf("%s: no_auth differs", cmd.Name)
		}
	}
	for _, n := range names {
		cmd := table[n]
		if cmd == nil {
			t.Errorf("%s not registered", n)
			continue
		}
		check(cmd)
		for _, sub := range cmd.Subcommands {
			check(sub)
		}
	}
}
