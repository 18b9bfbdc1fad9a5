package command

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// scEnv is an in-process Concord member for the connection and server command tests: an engine
// on a manual clock (starting now, so that TTLs set with real times work), a configuration
// loaded from a file (immutable parameters included) and the batches the engine committed.
// Expected replies are raw RESP; error texts are those of redis-server 7.0.15.
type scEnv struct {
	t       *testing.T
	env     *Env
	clock   *clock.Manual
	cfgFile string
	batches []*effect.Effect
}

// newSCEnv starts a member whose configuration file holds the given lines (without lines, the
// member has no configuration file).
func newSCEnv(t *testing.T, conf ...string) *scEnv {
	t.Helper()
	cfg := config.Default()
	path := ""
	if len(conf) > 0 {
		path = filepath.Join(t.TempDir(), "concord.conf")
		if err := os.WriteFile(path, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := cfg.LoadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	s := &scEnv{t: t, clock: &clock.Manual{Millis: time.Now().UnixMilli()}, cfgFile: path}
	e := engine.New(engine.Config{Member: clock.MemberID(cfg.Int("member-id")),
		Databases: int(cfg.Int("databases")), Clock: s.clock, Seed: 1})
	e.AddSink(func(b *effect.Effect) {
		cp := &effect.Effect{Origin: b.Origin, Seq: b.Seq, HLC: b.HLC, Ops: slices.Clone(b.Ops)}
		s.batches = append(s.batches, cp)
	})
	s.env = NewEnv(e, cfg, nil)
	// Command statistics live in the process-wide command table: start from zero.
	s.env.ResetStats()
	return s
}

// client connects a client from addr ("" for none).
func (s *scEnv) client(addr string) *Client {
	s.t.Helper()
	cl := NewClient(0)
	cl.Addr = addr
	s.env.Engine.Lock()
	err := s.env.Connect(cl)
	s.env.Engine.Unlock()
	if err != nil {
		s.t.Fatal(err)
	}
	return cl
}

// do runs a command and returns its raw reply.
func (s *scEnv) do(cl *Client, args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	s.env.Execute(cl, argv)
	var out bytes.Buffer
	if _, err := cl.Out.WriteTo(&out); err != nil {
		s.t.Fatal(err)
	}
	return out.String()
}

// scStep is one command and its expected raw reply.
type scStep struct {
	args []string
	want string
}

func sc(want string, args ...string) scStep { return scStep{args: args, want: want} }

// run runs steps in order on cl.
func (s *scEnv) run(cl *Client, steps []scStep) {
	s.t.Helper()
	for i, st := range steps {
		if got := s.do(cl, st.args...); got != st.want {
			s.t.Fatalf("step %d %q:\n got %q\nwant %q", i, st.args, got, st.want)
		}
	}
}

// RESP builders.
const (
	scOK    = "+OK\r\n"
	scNull2 = "$-1\r\n"
	scNull3 = "_\r\n"
)

func scInt(n int64) string     { return ":" + strconv.FormatInt(n, 10) + "\r\n" }
func scBulk(s string) string   { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
func scErr(s string) string    { return "-" + s + "\r\n" }
func scSimple(s string) string { return "+" + s + "\r\n" }
func scArr(items ...string) string {
	return "*" + strconv.Itoa(len(items)) + "\r\n" + strings.Join(items, "")
}
func scArity(name string) string {
	return scErr("ERR wrong number of arguments for '" + name + "' command")
}

// scHello is HELLO's reply for client id and proto.
func scHello(id int64, proto int) string {
	head := "*14\r\n"
	if proto == 3 {
		head = "%7\r\n"
	}
	return head + scBulk("server") + scBulk("redis") + scBulk("version") + scBulk(RedisVersion) +
		scBulk("proto") + scInt(int64(proto)) + scBulk("id") + scInt(id) + scBulk("mode") +
		scBulk("standalone") + scBulk("role") + scBulk("master") + scBulk("modules") + "*0\r\n"
}

// scHelp is the reply of "<CMD> HELP" for the given lines, as Redis 7.0.15 words it.
func scHelp(cmd string, lines []string) string {
	items := []string{scSimple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")}
	for _, l := range lines {
		items = append(items, scSimple(l))
	}
	items = append(items, scSimple("HELP"), scSimple("    Prints this help."))
	return scArr(items...)
}

func TestPingEcho(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc("+PONG\r\n", "PING"),
		sc(scBulk("hello"), "ping", "hello"),
		sc(scBulk(""), "PING", ""),
		sc(scArity("ping"), "PING", "a", "b"),
		sc(scBulk("hi there"), "ECHO", "hi there"),
		sc(scArity("echo"), "ECHO"),
		sc(scArity("echo"), "ECHO", "a", "b"),
		// RESP2 subscribed mode: ["pong", msg].
		sc("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", "SUBSCRIBE", "ch"),
		sc(scArr(scBulk("pong"), scBulk("")), "PING"),
		sc(scArr(scBulk("pong"), scBulk("x")), "PING", "x"),
		sc(scArity("ping"), "PING", "a", "b"),
		sc(scErr("ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"), "ECHO", "x"),
		sc("+RESET\r\n", "RESET"),
		sc("+PONG\r\n", "PING"),
	})
	// RESP3 subscribed clients get the normal replies.
	cl3 := s.client("")
	s.run(cl3, []scStep{
		sc(scHello(cl3.ID, 3), "HELLO", "3"),
		sc(">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", "SUBSCRIBE", "ch"),
		sc("+PONG\r\n", "PING"),
		sc(scBulk("x"), "PING", "x"),
		sc(scBulk("x"), "ECHO", "x"),
	})
}

func TestSelect(t *testing.T) {
	s := newSCEnv(t, "databases 4")
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scOK, "SELECT", "3"),
		sc(scOK, "SELECT", "0"),
		sc(scErr("ERR DB index is out of range"), "SELECT", "4"),
		sc(scErr("ERR DB index is out of range"), "SELECT", "-1"),
		sc(scErr("ERR value is not an integer or out of range"), "SELECT", "x"),
		sc(scErr("ERR value is not an integer or out of range"), "SELECT", "1.5"),
		sc(scErr("ERR value is not an integer or out of range"), "SELECT", " 1"),
		sc(scErr("ERR value is out of range, value must between -2147483648 and 2147483647"), "SELECT", "2147483648"),
		sc(scArity("select"), "SELECT"),
		sc(scArity("select"), "SELECT", "0", "1"),
		sc(scOK, "SELECT", "2"),
		sc(scOK, "SET", "k", "v"),
		sc(scInt(1), "DBSIZE"),
		sc(scOK, "SELECT", "1"),
		sc(scInt(0), "DBSIZE"),
	})
	if cl.DB != 1 {
		t.Fatalf("DB = %d", cl.DB)
	}
}

func TestHello(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	id := cl.ID
	s.run(cl, []scStep{
		sc(scHello(id, 2), "HELLO"),
		sc(scErr("NOPROTO unsupported protocol version"), "HELLO", "4"),
		sc(scErr("NOPROTO unsupported protocol version"), "HELLO", "1"),
		sc(scErr("ERR Protocol version is not an integer or out of range"), "HELLO", "x"),
		sc(scErr("ERR Protocol version is not an integer or out of range"), "HELLO", "x", "SETNAME", "q"),
		sc(scErr("ERR Syntax error in HELLO option 'AUTH'"), "HELLO", "2", "AUTH", "a"),
		sc(scErr("ERR Syntax error in HELLO option 'SETNAME'"), "HELLO", "2", "SETNAME"),
		sc(scErr("ERR Syntax error in HELLO option 'FOO'"), "HELLO", "2", "FOO"),
		// Options are applied as they are parsed: the name is set before 'b' fails.
		sc(scErr("ERR Syntax error in HELLO option 'b'"), "HELLO", "3", "SETNAME", "a", "b"),
		sc(scBulk("a"), "CLIENT", "GETNAME"),
		sc(scErr("ERR Client names cannot contain spaces, newlines or special characters."), "HELLO", "2", "SETNAME", "a b"),
		// Without requirepass the default user takes any password.
		sc(scHello(id, 2), "HELLO", "2", "AUTH", "default", "whatever", "SETNAME", "n"),
		sc(scBulk("n"), "CLIENT", "GETNAME"),
		sc(scErr("WRONGPASS invalid username-password pair or user is disabled."), "HELLO", "3", "AUTH", "bob", "x"),
		sc(scHello(id, 3), "HELLO", "3"),
		sc(scBulk("n"), "CLIENT", "GETNAME"),
		sc(scOK, "CLIENT", "SETNAME", ""),
		sc(scNull3, "CLIENT", "GETNAME"),
		sc(scHello(id, 3), "HELLO"),
		sc(scHello(id, 2), "HELLO", "2"),
		sc(scNull2, "CLIENT", "GETNAME"),
	})
	if cl.Proto != 2 || cl.W.Protocol() != 2 {
		t.Fatalf("proto %d/%d", cl.Proto, cl.W.Protocol())
	}
}

const (
	scWrongPass  = "WRONGPASS invalid username-password pair or user is disabled."
	scNoAuth     = "NOAUTH Authentication required."
	scHelloNoAut = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
)

func TestAuthWithoutPassword(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{
		sc(scErr("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"), "AUTH", "x"),
		sc(scOK, "AUTH", "default", "x"),
		sc(scErr(scWrongPass), "AUTH", "a", "b"),
		sc(scErr("ERR syntax error"), "AUTH", "a", "b", "c"),
		sc(scArity("auth"), "AUTH"),
	})
}

func TestAuthWithPassword(t *testing.T) {
	s := newSCEnv(t, "requirepass secret")
	cl := s.client("")
	id := cl.ID
	s.run(cl, []scStep{
		sc(scErr(scNoAuth), "PING"),
		sc(scErr(scHelloNoAut), "HELLO"),
		sc(scErr(scHelloNoAut), "HELLO", "3"),
		sc(scErr(scWrongPass), "HELLO", "3", "AUTH", "default", "wrong"),
		sc(scErr(scWrongPass), "HELLO", "3", "AUTH", "bob", "secret"),
		// SETNAME is validated (and applied) as it is parsed, before a later AUTH.
		sc(scErr("ERR Client names cannot contain spaces, newlines or special characters."), "HELLO", "3", "SETNAME", "a b", "AUTH", "default", "secret"),
		sc(scErr(scNoAuth), "CLIENT", "GETNAME"),
		sc(scErr(scHelloNoAut), "HELLO", "3", "SETNAME", "x"),
		sc(scErr(scWrongPass), "AUTH", "wrong"),
		sc(scErr(scWrongPass), "AUTH", "default", "wrong"),
		sc(scOK, "AUTH", "secret"),
		sc(scBulk("x"), "CLIENT", "GETNAME"),
		sc(scErr(scWrongPass), "AUTH", "wrong"), // a failed AUTH keeps the client authenticated
		sc("+PONG\r\n", "PING"),
		sc("+RESET\r\n", "RESET"),
		sc(scErr(scNoAuth), "PING"),
		sc(scErr(scNoAuth), "ECHO", "x"),
		sc(scHello(id, 3), "HELLO", "3", "AUTH", "default", "secret", "SETNAME", "y"),
		sc(scBulk("y"), "CLIENT", "GETNAME"),
		sc("+RESET\r\n", "RESET"),
		// Authenticated, then the name fails: the protocol does not change.
		sc(scErr("ERR Client names cannot contain spaces, newlines or special characters."), "HELLO", "3", "AUTH", "default", "secret", "SETNAME", "a b"),
		sc(scNull2, "CLIENT", "GETNAME"),
		sc(scOK, "AUTH", "default", "secret"),
	})
	// HELLO 3 AUTH with SETNAME after a failing AUTH: the name set before the failure stays.
	cl2 := s.client("")
	s.run(cl2, []scStep{
		sc(scErr(scWrongPass), "HELLO", "3", "SETNAME", "w", "AUTH", "default", "wrong"),
		sc(scOK, "AUTH", "secret"),
		sc(scBulk("w"), "CLIENT", "GETNAME"),
	})
}

func TestReset(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	other := s.client("")
	s.run(cl, []scStep{
		sc(scOK, "SELECT", "3"),
		sc(scOK, "CLIENT", "SETNAME", "me"),
		sc(scOK, "CLIENT", "NO-EVICT", "on"),
		sc(scOK, "WATCH", "k"),
		sc(scOK, "MULTI"),
		sc("+QUEUED\r\n", "SELECT", "1"),
		sc("+RESET\r\n", "RESET"),
		sc(scErr("ERR EXEC without MULTI"), "EXEC"),
		sc(scNull2, "CLIENT", "GETNAME"),
		sc(scArity("reset"), "RESET", "x"),
	})
	if cl.DB != 0 || len(cl.Watched) != 0 || cl.InMulti || !cl.NoEvict {
		t.Fatalf("after RESET: db %d watched %d multi %v noevict %v", cl.DB, len(cl.Watched), cl.InMulti, cl.NoEvict)
	}
	// RESET leaves subscriptions silently and goes back to RESP2.
	s.run(cl, []scStep{
		sc(scHello(cl.ID, 3), "HELLO", "3"),
		sc(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", "SUBSCRIBE", "a"),
		sc(">3\r\n$10\r\npsubscribe\r\n$2\r\nb*\r\n:2\r\n", "PSUBSCRIBE", "b*"),
		sc("+RESET\r\n", "RESET"),
		sc(scNull2, "CLIENT", "GETNAME"),
	})
	if cl.Subscriptions() != 0 || cl.Proto != 2 {
		t.Fatalf("after RESET: subscriptions %d proto %d", cl.Subscriptions(), cl.Proto)
	}
	s.run(other, []scStep{sc(scInt(0), "PUBLISH", "a", "m"), sc(scInt(0), "PUBLISH", "bb", "m")})
	if got := s.do(cl, "PING"); got != "+PONG\r\n" {
		t.Fatalf("pushed after RESET: %q", got)
	}
	// RESET inside MULTI runs at once (it is not queued) and a WATCH'ed key no longer matters.
	s.run(cl, []scStep{
		sc(scOK, "WATCH", "k"),
		sc(scOK, "MULTI"),
		sc("+QUEUED\r\n", "PING"),
		sc("+RESET\r\n", "RESET"),
	})
	s.run(other, []scStep{sc(scOK, "SET", "k", "1")})
	s.run(cl, []scStep{
		sc(scOK, "MULTI"),
		sc("+QUEUED\r\n", "PING"),
		sc(scArr("+PONG\r\n"), "EXEC"),
	})
}

func TestIsLocal(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5000": true, "127.1.2.3:1": true, "[::1]:6379": true, "10.0.0.1:5000": false,
		"[2001:db8::1]:1": false, "": false, "/tmp/redis.sock": true, "[::ffff:127.0.0.1]:9": true,
	} {
		if got := (&Client{Addr: addr}).isLocal(); got != want {
			t.Errorf("isLocal(%q) = %v", addr, got)
		}
	}
}
