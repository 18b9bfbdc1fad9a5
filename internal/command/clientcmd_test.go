package command

import (
	"regexp"
	"strings"
	"testing"
)

// scClientHelp is redis-server 7.0.15's reply to CLIENT HELP.
const scClientHelp = "" +
	"*48\r\n" +
	"+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" +
	"+CACHING (YES|NO)\r\n" +
	"+    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.\r\n" +
	"+GETREDIR\r\n" +
	"+    Return the client ID we are redirecting to when tracking is enabled.\r\n" +
	"+GETNAME\r\n" +
	"+    Return the name of the current connection.\r\n" +
	"+ID\r\n" +
	"+    Return the ID of the current connection.\r\n" +
	"+INFO\r\n" +
	"+    Return information about the current client connection.\r\n" +
	"+KILL <ip:port>\r\n" +
	"+    Kill connection made from <ip:port>.\r\n" +
	"+KILL <option> <value> [<option> <value> [...]]\r\n" +
	"+    Kill connections. Options are:\r\n" +
	"+    * ADDR (<ip:port>|<unixsocket>:0)\r\n" +
	"+      Kill connections made from the specified address\r\n" +
	"+    * LADDR (<ip:port>|<unixsocket>:0)\r\n" +
	"+      Kill connections made to specified local address\r\n" +
	"+    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)\r\n" +
	"+      Kill connections by type.\r\n" +
	"+    * USER <username>\r\n" +
	"+      Kill connections authenticated by <username>.\r\n" +
	"+    * SKIPME (YES|NO)\r\n" +
	"+      Skip killing current connection (default: yes).\r\n" +
	"+LIST [options ...]\r\n" +
	"+    Return information about client connections. Options:\r\n" +
	"+    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)\r\n" +
	"+      Return clients of specified type.\r\n" +
	"+UNPAUSE\r\n" +
	"+    Stop the current client pause, resuming traffic.\r\n" +
	"+PAUSE <timeout> [WRITE|ALL]\r\n" +
	"+    Suspend all, or just write, clients for <timeout> milliseconds.\r\n" +
	"+REPLY (ON|OFF|SKIP)\r\n" +
	"+    Control the replies sent to the current connection.\r\n" +
	"+SETNAME <name>\r\n" +
	"+    Assign the name <name> to the current connection.\r\n" +
	"+UNBLOCK <clientid> [TIMEOUT|ERROR]\r\n" +
	"+    Unblock the specified blocked client.\r\n" +
	"+TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]\r\n" +
	"+         [OPTIN] [OPTOUT] [NOLOOP]\r\n" +
	"+    Control server assisted client side caching.\r\n" +
	"+TRACKINGINFO\r\n" +
	"+    Report tracking status for the current connection.\r\n" +
	"+NO-EVICT (ON|OFF)\r\n" +
	"+    Protect current client connection from eviction.\r\n" +
	"+HELP\r\n" +
	"+    Prints this help.\r\n"

func TestClientIDNameHelp(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scInt(cl.ID), "CLIENT", "ID"),
		sc(scArity("client|id"), "CLIENT", "ID", "x"),
		sc(scArity("client"), "CLIENT"),
		sc(scErr("ERR unknown subcommand 'FOO'. Try CLIENT HELP."), "CLIENT", "FOO"),
		sc(scNull2, "CLIENT", "GETNAME"),
		sc(scOK, "CLIENT", "SETNAME", "conn-1"),
		sc(scBulk("conn-1"), "client", "getname"),
		sc(scErr("ERR Client names cannot contain spaces, newlines or special characters."), "CLIENT", "SETNAME", "a b"),
		sc(scErr("ERR Client names cannot contain spaces, newlines or special characters."), "CLIENT", "SETNAME", "a\nb"),
		sc(scErr("ERR Client names cannot contain spaces, newlines or special characters."), "CLIENT", "SETNAME", "caf\xc3\xa9"),
		sc(scBulk("conn-1"), "CLIENT", "GETNAME"),
		sc(scOK, "CLIENT", "SETNAME", ""),
		sc(scNull2, "CLIENT", "GETNAME"),
		sc(scArity("client|setname"), "CLIENT", "SETNAME"),
		sc(scArity("client|setname"), "CLIENT", "SETNAME", "a", "b"),
		sc(scArity("client|getname"), "CLIENT", "GETNAME", "x"),
		sc(scClientHelp, "CLIENT", "HELP"),
		sc(scArity("client|help"), "CLIENT", "HELP", "x"),
	})
}

// scClientLine matches one CLIENT LIST line with Redis 7.0.15's fields in order.
var scClientLine = regexp.MustCompile(`^id=(\d+) addr=(\S*) laddr=(\S*) fd=-?\d+ name=(\S*) age=\d+ idle=\d+ flags=(\w+) db=(\d+) sub=(\d+) psub=(\d+) ssub=0 multi=(-?\d+) qbuf=\d+ qbuf-free=\d+ argv-mem=(\d+) multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=rw? cmd=(\S+) user=default redir=-1 resp=([23])$`)

// scClientList parses a CLIENT LIST/INFO bulk reply into its lines' fields.
func scClientList(t *testing.T, reply string, proto int) [][]string {
	t.Helper()
	body := reply
	if i := strings.Index(body, "\r\n"); i >= 0 {
		body = body[i+2 : len(body)-2]
	}
	if proto == 3 {
		if !strings.HasPrefix(reply, "=") || !strings.HasPrefix(body, "txt:") {
			t.Fatalf("not a verbatim reply: %q", reply)
		}
		body = body[4:]
	} else if !strings.HasPrefix(reply, "$") {
		t.Fatalf("not a bulk reply: %q", reply)
	}
	if body == "" {
		return nil
	}
	if !strings.HasSuffix(body, "\n") {
		t.Fatalf("no final newline: %q", body)
	}
	var out [][]string
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		m := scClientLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("bad CLIENT LIST line %q", line)
		}
		out = append(out, m)
	}
	return out
}

func TestClientListInfo(t *testing.T) {
	s := newSCEnv(t)
	a := s.client("127.0.0.1:5001")
	a.LocalAddr = "127.0.0.1:6379"
	b := s.client("10.0.0.2:5002")
	s.run(a, []scStep{sc(scOK, "CLIENT", "SETNAME", "alpha"), sc(scOK, "SELECT", "2")})
	s.do(b, "SUBSCRIBE", "ch")

	rows := scClientList(t, s.do(a, "CLIENT", "LIST"), 2)
	if len(rows) != 2 {
		t.Fatalf("rows: %v", rows)
	}
	// id addr laddr name flags db sub psub multi argv-mem cmd resp
	if r := rows[0]; r[2] != "127.0.0.1:5001" || r[3] != "127.0.0.1:6379" || r[4] != "alpha" || r[5] != "N" ||
		r[6] != "2" || r[9] != "-1" || r[10] != "10" || r[11] != "client|list" || r[12] != "2" {
		t.Errorf("row a: %q", r[1:])
	}
	if r := rows[1]; r[5] != "P" || r[7] != "1" || r[10] != "0" || r[11] != "subscribe" {
		t.Errorf("row b: %q", r[1:])
	}
	if rows := scClientList(t, s.do(a, "CLIENT", "LIST", "TYPE", "pubsub"), 2); len(rows) != 1 || rows[0][2] != "10.0.0.2:5002" {
		t.Errorf("TYPE pubsub: %v", rows)
	}
	if rows := scClientList(t, s.do(a, "CLIENT", "LIST", "type", "NORMAL"), 2); len(rows) != 1 || rows[0][4] != "alpha" {
		t.Errorf("TYPE normal: %v", rows)
	}
	if rows := scClientList(t, s.do(a, "CLIENT", "LIST", "TYPE", "replica"), 2); rows != nil {
		t.Errorf("TYPE replica: %v", rows)
	}
	if rows := scClientList(t, s.do(a, "CLIENT", "LIST", "ID", Itoa(b.ID), "999", Itoa(b.ID)), 2); len(rows) != 2 || rows[0][2] != "10.0.0.2:5002" {
		t.Errorf("ID: %v", rows)
	}
	s.run(a, []scStep{
		sc("$0\r\n\r\n", "CLIENT", "LIST", "ID", "999"),
		sc(scErr("ERR Unknown client type 'foo'"), "CLIENT", "LIST", "TYPE", "foo"),
		sc(scErr("ERR Invalid client ID"), "CLIENT", "LIST", "ID", "x"),
		sc(scErr("ERR syntax error"), "CLIENT", "LIST", "x"),
		sc(scErr("ERR syntax error"), "CLIENT", "LIST", "TYPE"),
		sc(scErr("ERR syntax error"), "CLIENT", "LIST", "ID"),
		sc(scErr("ERR syntax error"), "CLIENT", "LIST", "TYPE", "normal", "x"),
		sc(scArity("client|info"), "CLIENT", "INFO", "x"),
	})
	// Flags: x (MULTI), d (a WATCHed key changed), e (NO-EVICT), T (NO-TOUCH).
	s.run(a, []scStep{
		sc(scOK, "CLIENT", "NO-EVICT", "on"),
		sc(scOK, "CLIENT", "NO-TOUCH", "ON"),
		sc(scOK, "WATCH", "k"),
	})
	s.do(b, "RESET")
	s.do(b, "SELECT", "2")
	s.do(b, "SET", "k", "v")
	s.run(a, []scStep{sc(scOK, "MULTI"), sc("+QUEUED\r\n", "PING")})
	s.env.Engine.Lock()
	var c Ctx
	c = Ctx{Env: s.env, Client: b, E: s.env.Engine, W: b.W}
	line := string(c.clientInfo(nil, a))
	s.env.Engine.Unlock()
	if m := scClientLine.FindStringSubmatch(line); m == nil || m[5] != "xdeT" || m[9] != "1" {
		t.Errorf("flags line %q", line)
	}
	s.do(a, "DISCARD")
	// CLIENT INFO, in RESP3 a verbatim string.
	s.do(a, "HELLO", "3")
	rows = scClientList(t, s.do(a, "CLIENT", "INFO"), 3)
	if len(rows) != 1 || rows[0][1] != Itoa(a.ID) || rows[0][11] != "client|info" || rows[0][12] != "3" || rows[0][5] != "eT" {
		t.Errorf("CLIENT INFO: %v", rows)
	}
	s.run(a, []scStep{
		sc(scOK, "CLIENT", "NO-EVICT", "off"),
		sc(scOK, "CLIENT", "NO-TOUCH", "off"),
		sc(scErr("ERR syntax error"), "CLIENT", "NO-EVICT", "x"),
		sc(scErr("ERR syntax error"), "CLIENT", "NO-TOUCH", "x"),
		sc(scArity("client|no-evict"), "CLIENT", "NO-EVICT"),
	})
	if a.NoEvict || a.NoTouch {
		t.Error("NO-EVICT/NO-TOUCH still on")
	}
}

func TestClientKill(t *testing.T) {
	s := newSCEnv(t)
	a := s.client("127.0.0.1:5001")
	b := s.client("127.0.0.1:5002")
	c := s.client("127.0.0.1:5003")
	killed := 0
	b.Kill = func() { killed++ }
	s.run(a, []scStep{
		sc(scArity("client|kill"), "CLIENT", "KILL"),
		sc(scErr("ERR No such client"), "CLIENT", "KILL", "1.2.3.4:5"),
		sc(scErr("ERR client-id should be greater than 0"), "CLIENT", "KILL", "ID", "0"),
		sc(scErr("ERR client-id should be greater than 0"), "CLIENT", "KILL", "ID", "x"),
		sc(scErr("ERR client-id should be greater than 0"), "CLIENT", "KILL", "ID", "-5"),
		sc(scInt(0), "CLIENT", "KILL", "ID", "99999"),
		sc(scErr("ERR Unknown client type 'foo'"), "CLIENT", "KILL", "TYPE", "foo"),
		sc(scErr("ERR syntax error"), "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "maybe"),
		sc(scErr("ERR No such user 'bob'"), "CLIENT", "KILL", "USER", "bob"),
		sc(scErr("ERR syntax error"), "CLIENT", "KILL", "ID", "5", "x"),
		sc(scErr("ERR syntax error"), "CLIENT", "KILL", "FOO", "bar"),
		sc(scErr("ERR syntax error"), "CLIENT", "KILL", "127.0.0.1:1", "x", "y"),
		sc(scInt(0), "CLIENT", "KILL", "ADDR", "1.2.3.4:5", "LADDR", "x"),
		sc(scInt(0), "CLIENT", "KILL", "TYPE", "master"),
		sc(scInt(1), "CLIENT", "KILL", "ID", Itoa(b.ID)),
		sc(scInt(0), "CLIENT", "KILL", "ID", Itoa(b.ID)),
		sc(scOK, "CLIENT", "KILL", "127.0.0.1:5003"),
		sc(scInt(0), "CLIENT", "KILL", "USER", "default"), // SKIPME yes by default
	})
	if killed != 1 || s.env.clients[b.ID] != nil || s.env.clients[c.ID] != nil || a.CloseAfterReply {
		t.Fatalf("killed %d, b present %v, c present %v, a closing %v", killed, s.env.clients[b.ID] != nil, s.env.clients[c.ID] != nil, a.CloseAfterReply)
	}
	// Killing oneself: the reply goes out, then the connection closes.
	s.run(a, []scStep{sc(scInt(1), "CLIENT", "KILL", "SKIPME", "no")})
	if !a.CloseAfterReply {
		t.Fatal("not closing after CLIENT KILL SKIPME no")
	}
	d := s.client("127.0.0.1:5004")
	s.run(d, []scStep{sc(scOK, "CLIENT", "KILL", "127.0.0.1:5004")})
	if !d.CloseAfterReply {
		t.Fatal("not closing after CLIENT KILL <own addr>")
	}
}

func TestClientOtherSubcommands(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	other := s.client("")
	s.run(cl, []scStep{
		sc(scArity("client|pause"), "CLIENT", "PAUSE"),
		sc(scErr("ERR timeout is not an integer or out of range"), "CLIENT", "PAUSE", "x"),
		sc(scErr("ERR timeout is not an integer or out of range"), "CLIENT", "PAUSE", "1.5"),
		sc(scErr("ERR timeout is negative"), "CLIENT", "PAUSE", "-1"),
		sc(scErr("ERR CLIENT PAUSE mode must be WRITE or ALL"), "CLIENT", "PAUSE", "10", "x"),
		sc(scErr("ERR CLIENT PAUSE mode must be WRITE or ALL"), "CLIENT", "PAUSE", "x", "y"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."), "CLIENT", "PAUSE", "1", "2", "3"),
		sc(scErr("ERR CLIENT PAUSE is not supported by Concord yet"), "CLIENT", "PAUSE", "10", "WRITE"),
		sc(scOK, "CLIENT", "UNPAUSE"),
		sc(scArity("client|unpause"), "CLIENT", "UNPAUSE", "x"),
		sc(scArity("client|reply"), "CLIENT", "REPLY"),
		sc(scErr("ERR syntax error"), "CLIENT", "REPLY", "x"),
		sc(scOK, "CLIENT", "REPLY", "on"),
		sc(scErr("ERR CLIENT REPLY SKIP is not supported by Concord yet"), "CLIENT", "REPLY", "SKIP"),
		sc(scArr(scBulk("flags"), scArr(scBulk("off")), scBulk("redirect"), scInt(-1), scBulk("prefixes"), "*0\r\n"), "CLIENT", "TRACKINGINFO"),
		sc(scInt(-1), "CLIENT", "GETREDIR"),
		sc(scErr("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"), "CLIENT", "CACHING", "yes"),
		sc(scArity("client|caching"), "CLIENT", "CACHING", "a", "b"),
		sc(scArity("client|unblock"), "CLIENT", "UNBLOCK"),
		sc(scErr("ERR value is not an integer or out of range"), "CLIENT", "UNBLOCK", "x"),
		sc(scErr("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"), "CLIENT", "UNBLOCK", "1", "x"),
		sc(scErr("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"), "CLIENT", "UNBLOCK", "x", "y"),
		sc(scErr("ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP."), "CLIENT", "UNBLOCK", "1", "2", "3"),
		sc(scInt(0), "CLIENT", "UNBLOCK", Itoa(other.ID), "error"),
		sc(scArity("client|tracking"), "CLIENT", "TRACKING"),
		sc(scErr("ERR syntax error"), "CLIENT", "TRACKING", "x"),
		sc(scErr("ERR syntax error"), "CLIENT", "TRACKING", "on", "x"),
		sc(scErr("ERR syntax error"), "CLIENT", "TRACKING", "off", "x"),
		sc(scErr("ERR syntax error"), "CLIENT", "TRACKING", "off", "prefix"),
		sc(scErr("ERR value is not an integer or out of range"), "CLIENT", "TRACKING", "off", "redirect", "x"),
		sc(scErr("ERR The client ID you want redirect to does not exist"), "CLIENT", "TRACKING", "off", "redirect", "9999"),
		sc(scOK, "CLIENT", "TRACKING", "off", "bcast", "optin", "optout", "noloop", "prefix", "a"),
		sc(scErr("ERR You can't specify both OPTIN mode and OPTOUT mode"), "CLIENT", "TRACKING", "on", "optin", "optout"),
		sc(scErr("ERR PREFIX option requires BCAST mode to be enabled"), "CLIENT", "TRACKING", "on", "prefix", "a"),
		sc(scErr("ERR CLIENT TRACKING is not supported by Concord yet"), "CLIENT", "TRACKING", "on"),
	})
	// RESP3 TRACKINGINFO: a map with a set of flags.
	s.run(cl, []scStep{
		sc(scHello(cl.ID, 3), "HELLO", "3"),
		sc("%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n", "CLIENT", "TRACKINGINFO"),
	})
}

func TestClientReplyOff(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	pub := s.client("")
	s.run(cl, []scStep{
		sc("", "CLIENT", "REPLY", "OFF"),
		sc("", "PING"),
		sc("", "CLIENT", "REPLY", "SKIP"), // nothing to skip while off
		sc("", "HELLO", "3"),
		sc("", "SUBSCRIBE", "ch"),
	})
	s.run(pub, []scStep{sc(scInt(1), "PUBLISH", "ch", "m")}) // the message is dropped too
	s.run(cl, []scStep{
		sc(scOK, "CLIENT", "REPLY", "ON"),
		sc("+PONG\r\n", "PING"),
		sc(">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n", "UNSUBSCRIBE"),
		sc("", "CLIENT", "REPLY", "OFF"),
		sc("+RESET\r\n", "RESET"), // RESET turns replies back on
		sc(scNull2, "CLIENT", "GETNAME"),
	})
}
