package clients

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

const cliSkip = "redis-cli not found on PATH: install redis-tools (apt-get install redis-tools) to run the redis-cli tests"

// cli runs redis-cli against srv with args (and stdin, if not nil) and returns its output.
func cli(t *testing.T, srv *testserver.Server, stdin []byte, args ...string) (string, error) {
	t.Helper()
	bin := testserver.NeedTool(t, "redis-cli", cliSkip)
	full := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port())}, args...)
	cmd := exec.Command(bin, full...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-cli: %v", err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("redis-cli %s: timed out; output so far:\n%s", strings.Join(args, " "), out.String())
		return "", nil
	}
}

func mustCLI(t *testing.T, srv *testserver.Server, args ...string) string {
	t.Helper()
	out, err := cli(t, srv, nil, args...)
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestRedisCLI(t *testing.T) {
	t.Parallel()
	testserver.NeedTool(t, "redis-cli", cliSkip)
	srv := testserver.StartTarget(t, nil)
	check := func(want string, args ...string) {
		t.Helper()
		if got := mustCLI(t, srv, args...); got != want {
			t.Errorf("redis-cli %s = %q, want %q", strings.Join(args, " "), got, want)
		}
	}
	check("PONG\n", "ping")
	check("OK\n", "set", "cli:k", "hello world")
	check("hello world\n", "get", "cli:k")
	check("\"hello world\"\n", "--no-raw", "get", "cli:k")
	check("(nil)\n", "--no-raw", "get", "cli:missing")
	check("(integer) 1\n", "--no-raw", "incr", "cli:n")
	check("2\n", "incr", "cli:n")
	check("(error) ERR value is not an integer or out of range\n", "--no-raw", "incr", "cli:k")
	check("OK\n", "-n", "3", "set", "cli:db3", "x")
	check("x\n", "-n", "3", "get", "cli:db3")
	check("\n", "-n", "0", "get", "cli:db3")
	check("1) \"hello world\"\n2) (nil)\n3) \"2\"\n", "--no-raw", "mget", "cli:k", "cli:missing", "cli:n")

	// RESP3 mode
	check("OK\n", "-3", "set", "cli:r3", "v3")
	check("v3\n", "-3", "get", "cli:r3")
	check("\"v3\"\n", "-3", "--no-raw", "get", "cli:r3")
	check("(nil)\n", "-3", "--no-raw", "get", "cli:missing")
	check("1) \"maxmemory\"\n2) \"0\"\n", "--no-raw", "config", "get", "maxmemory")
	check("1# \"maxmemory\" => \"0\"\n", "-3", "--no-raw", "config", "get", "maxmemory")
	check("(integer) 3\n", "-3", "--no-raw", "incr", "cli:n")

	// stdin as the last argument
	if out, err := cli(t, srv, []byte("from stdin"), "-x", "set", "cli:x"); err != nil || out != "OK\n" {
		t.Errorf("redis-cli -x set = %q, %v", out, err)
	}
	check("from stdin\n", "get", "cli:x")

	// INFO
	info := mustCLI(t, srv, "info", "server")
	if !strings.Contains(info, "# Server") || !regexp.MustCompile(`(?m)^redis_version:\d+\.\d+\.\d+`).MatchString(info) {
		t.Errorf("redis-cli info server:\n%s", info)
	}
	if !strings.Contains(info, "tcp_port:"+strconv.Itoa(srv.Port())) {
		t.Errorf("redis-cli info server: no tcp_port:%d\n%s", srv.Port(), info)
	}

	// --scan uses SCAN with a cursor loop
	for i := 0; i < 30; i++ {
		mustCLI(t, srv, "set", "cli:scan:"+strconv.Itoa(i), "v")
	}
	keys := strings.Fields(mustCLI(t, srv, "--scan", "--pattern", "cli:scan:*"))
	sort.Strings(keys)
	if len(keys) != 30 || keys[0] != "cli:scan:0" {
		t.Errorf("redis-cli --scan found %d keys: %v", len(keys), keys)
	}
}

// TestRedisCLIPipe mass-inserts with redis-cli --pipe.
func TestRedisCLIPipe(t *testing.T) {
	t.Parallel()
	testserver.NeedTool(t, "redis-cli", cliSkip)
	srv := testserver.StartTarget(t, nil)
	const n = 20000
	var buf []byte
	for i := 0; i < n; i++ {
		buf = fmt.Appendf(buf, "*3\r\n$3\r\nSET\r\n$%d\r\npipe:%d\r\n$%d\r\nvalue-%d\r\n",
			len("pipe:"+strconv.Itoa(i)), i, len("value-"+strconv.Itoa(i)), i)
	}
	// and a few inline commands, and one that fails
	buf = append(buf, "INCR pipe:0\r\nINCR pipe:counter\r\n"...)
	out, err := cli(t, srv, buf, "--pipe")
	if err == nil {
		t.Errorf("redis-cli --pipe exited 0 although one command failed:\n%s", out)
	}
	if !strings.Contains(out, fmt.Sprintf("errors: 1, replies: %d", n+2)) {
		t.Errorf("redis-cli --pipe output:\n%s", out)
	}
	if got := mustCLI(t, srv, "dbsize"); got != strconv.Itoa(n+1)+"\n" {
		t.Errorf("DBSIZE after --pipe = %q, want %d", got, n+1)
	}
	if got := mustCLI(t, srv, "get", "pipe:12345"); got != "value-12345\n" {
		t.Errorf("GET pipe:12345 = %q", got)
	}
}

// TestRedisCLIAuth uses redis-cli against a server with --requirepass.
func TestRedisCLIAuth(t *testing.T) {
	t.Parallel()
	testserver.NeedTool(t, "redis-cli", cliSkip)
	srv := testserver.StartTarget(t, []string{"--requirepass", "pw"})
	if got := mustCLI(t, srv, "ping"); !strings.HasPrefix(got, "NOAUTH") {
		t.Errorf("unauthenticated ping = %q", got)
	}
	if got := mustCLI(t, srv, "-a", "pw", "--no-auth-warning", "ping"); got != "PONG\n" {
		t.Errorf("authenticated ping = %q", got)
	}
	if got := mustCLI(t, srv, "-a", "wrong", "--no-auth-warning", "ping"); !strings.Contains(got, "WRONGPASS") && !strings.Contains(got, "AUTH failed") {
		t.Errorf("ping with a wrong password = %q", got)
	}
	if got := mustCLI(t, srv, "--user", "default", "--pass", "pw", "--no-auth-warning", "-3", "ping"); got != "PONG\n" {
		t.Errorf("ping with --user/--pass and RESP3 = %q", got)
	}
}

// TestRedisCLIOutputMatchesRedis runs the same redis-cli invocations against redis-server and the
// target and compares the output byte for byte (formatting of every reply type, RESP2 and RESP3).
func TestRedisCLIOutputMatchesRedis(t *testing.T) {
	t.Parallel()
	testserver.NeedTool(t, "redis-cli", cliSkip)
	ref := testserver.StartRedis(t)
	tgt := testserver.StartTarget(t, nil)
	for _, args := range [][]string{
		{"set", "k", "v"}, {"get", "k"}, {"--no-raw", "get", "k"}, {"-3", "--no-raw", "get", "k"}, {"--no-raw", "get", "nokey"},
		{"-3", "--no-raw", "get", "nokey"}, {"--no-raw", "mset", "a", "1", "b", "2"}, {"--no-raw", "mget", "a", "b", "c"},
		{"-3", "--no-raw", "mget", "a", "b", "c"}, {"--no-raw", "incrbyfloat", "f", "1.5"}, {"-3", "--no-raw", "incrbyfloat", "f", "1e3"},
		{"--no-raw", "incr", "k"}, {"-3", "--no-raw", "incr", "k"}, {"--no-raw", "nosuch", "x"}, {"--no-raw", "get"},
		{"--no-raw", "config", "get", "maxmemory-policy"}, {"-3", "--no-raw", "config", "get", "maxmemory-policy"},
		{"--no-raw", "exists", "a", "b", "nokey"}, {"--no-raw", "ttl", "a"}, {"--no-raw", "type", "a"}, {"-3", "--no-raw", "type", "a"},
		{"--no-raw", "bitfield", "bf", "set", "u8", "0", "255", "get", "u8", "0"}, {"--no-raw", "lcs", "a", "b", "IDX"},
		{"-3", "--no-raw", "lcs", "a", "b", "IDX"}, {"--no-raw", "echo", "multi\nline"}, {"echo", "multi\nline"},
		{"--csv", "mget", "a", "b", "c"}, {"--no-raw", "dbsize"}, {"--no-raw", "ping", "hi"}, {"--no-raw", "command", "count"},
		{"--no-raw", "publish", "ch", "m"}, {"--no-raw", "pubsub", "numsub", "ch"}, {"--no-raw", "select", "16"},
		{"--no-raw", "set", "k", "v", "EX", "0"}, {"--no-raw", "expire", "a", "100000"}, {"--no-raw", "persist", "a"},
		{"--no-raw", "object", "freq", "a"}, {"--no-raw", "getex", "a", "persist"}, {"--no-raw", "setrange", "a", "5", "x"},
		{"--no-raw", "getrange", "a", "0", "-1"}, {"-3", "--no-raw", "getrange", "a", "0", "-1"}, {"--no-raw", "flushall"},
	} {
		r, rerr := cli(t, ref, nil, args...)
		g, gerr := cli(t, tgt, nil, args...)
		if slices.Equal(args, []string{"--no-raw", "command", "count"}) {
			// The target may implement fewer commands than Redis: its count must be printed as
			// Redis's is, and be the number of entries of its own COMMAND.
			conn := tgt.Dial(t)
			want := fmt.Sprintf("(integer) %d\n", len(conn.DoReply("COMMAND").Elems))
			conn.Close()
			if !regexp.MustCompile(`^\(integer\) [1-9][0-9]*\n$`).MatchString(r) || g != want || rerr != nil || gerr != nil {
				t.Errorf("redis-cli %s\n  redis:  %q (%v)\n  target: %q (%v), want %q", strings.Join(args, " "), r, rerr, g, gerr, want)
			}
			continue
		}
		if r != g || (rerr == nil) != (gerr == nil) {
			t.Errorf("redis-cli %s\n  redis:  %q (%v)\n  target: %q (%v)", strings.Join(args, " "), r, rerr, g, gerr)
		}
	}
}
