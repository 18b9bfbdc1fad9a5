package command

import (
	"os"
	"strings"
	"testing"
)

// scConfigHelp is redis-server 7.0.15's reply to CONFIG HELP.
const scConfigHelp = "*11\r\n" +
	"+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" +
	"+GET <pattern>\r\n" +
	"+    Return parameters matching the glob-like <pattern> and their values.\r\n" +
	"+SET <directive> <value>\r\n" +
	"+    Set the configuration <directive> to <value>.\r\n" +
	"+RESETSTAT\r\n" +
	"+    Reset statistics reported by the INFO command.\r\n" +
	"+REWRITE\r\n" +
	"+    Rewrite the configuration file.\r\n" +
	"+HELP\r\n" +
	"+    Prints this help.\r\n"

func TestConfigGetSet(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("10.1.1.1:4000")
	s.run(cl, []scStep{
		sc(scArity("config"), "CONFIG"),
		sc(scArity("config|get"), "CONFIG", "GET"),
		sc(scArr(scBulk("maxmemory"), scBulk("0")), "CONFIG", "GET", "maxmemory"),
		sc(scArr(scBulk("PORT"), scBulk("6379")), "CONFIG", "GET", "PORT", "port"),
		sc("*0\r\n", "CONFIG", "GET", "nosuch"),
		sc(scArity("config|set"), "CONFIG", "SET"),
		sc(scArity("config|set"), "CONFIG", "SET", "a"),
		sc(scErr("ERR Unknown option or number of arguments for CONFIG SET - 'a'"), "CONFIG", "SET", "a", "b"),
		sc(scErr("ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"), "CONFIG", "SET", "port", "x"),
		sc(scErr("ERR syntax error"), "CONFIG", "SET", "maxmemory", "1", "port"),
		sc(scErr("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"), "CONFIG", "SET", "databases", "3"),
		sc(scErr("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"), "CONFIG", "SET", "maxmemory", "x", "maxmemory", "1"),
		sc(scErr("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"), "CONFIG", "SET", "maxmemory", "1", "nosuch", "2"),
		sc(scErr("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"), "CONFIG", "SET", "dir", "/tmp"),
		sc(scOK, "CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"),
		sc(scArr(scBulk("maxmemory"), scBulk("104857600")), "CONFIG", "GET", "maxmemory"),
		sc(scArr(scBulk("maxmemory-policy"), scBulk("allkeys-lru")), "config", "get", "maxmemory-pol*"),
		sc(scConfigHelp, "CONFIG", "HELP"),
		sc(scArity("config|help"), "CONFIG", "HELP", "x"),
		sc(scErr("ERR unknown subcommand 'x'. Try CONFIG HELP."), "CONFIG", "x"),
	})
	s.do(cl, "HELLO", "3")
	s.run(cl, []scStep{
		sc("%1\r\n$4\r\nport\r\n$4\r\n6379\r\n", "CONFIG", "GET", "port"),
		sc("%0\r\n", "CONFIG", "GET", "nosuch"),
	})
}

func TestConfigSetProtected(t *testing.T) {
	s := newSCEnv(t, "enable-protected-configs local")
	dir := t.TempDir()
	s.run(s.client("10.1.1.1:4000"), []scStep{
		sc(scErr("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"), "CONFIG", "SET", "dir", dir),
	})
	s.run(s.client("127.0.0.1:4000"), []scStep{sc(scOK, "CONFIG", "SET", "dir", dir)})
}

func TestConfigRewrite(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scErr("ERR The server is running without a config file"), "CONFIG", "REWRITE"),
		sc(scArity("config|rewrite"), "CONFIG", "REWRITE", "x"),
	})
	s = newSCEnv(t, "port 7000")
	cl = s.client("")
	s.run(cl, []scStep{
		sc(scOK, "CONFIG", "SET", "maxmemory", "1mb"),
		sc(scOK, "CONFIG", "REWRITE"),
	})
	b, err := os.ReadFile(s.cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "port 7000") || !strings.Contains(string(b), "maxmemory 1mb") {
		t.Fatalf("rewritten file:\n%s", b)
	}
}

func TestConfigResetstat(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.do(cl, "SET", "a", "1")
	s.do(cl, "GET", "a")
	s.do(cl, "GET", "nosuch")
	s.do(cl, "INCR", "a", "b")
	s.do(cl, "LPOS", "x")
	s.do(cl, "CLIENT", "ID")
	st := &s.env.Stats
	if st.Commands == 0 || st.ErrorReplies != 2 || st.ErrorCodes["ERR"] != 2 || s.env.Engine.Stats.KeyspaceHits != 1 ||
		Lookup([]byte("get")).Calls != 2 {
		t.Fatalf("before: %+v %+v", st, s.env.Engine.Stats)
	}
	s.run(cl, []scStep{
		sc(scOK, "CONFIG", "RESETSTAT"),
		sc(scArity("config|resetstat"), "CONFIG", "RESETSTAT", "x"),
	})
	// CONFIG RESETSTAT itself is counted after the reset, as in Redis.
	info := s.do(cl, "INFO", "stats", "commandstats", "errorstats")
	for _, want := range []string{
		"total_connections_received:0\r\n", "total_commands_processed:1\r\n", "total_error_replies:1\r\n",
		"keyspace_hits:0\r\n", "keyspace_misses:0\r\n",
		"# Commandstats\r\ncmdstat_config|resetstat:calls=1,usec=",
		"# Errorstats\r\nerrorstat_ERR:count=1\r\n",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q:\n%s", want, info)
		}
	}
	if strings.Contains(info, "cmdstat_get") || strings.Contains(info, "cmdstat_client|id") {
		t.Errorf("command stats not reset:\n%s", info)
	}
}
