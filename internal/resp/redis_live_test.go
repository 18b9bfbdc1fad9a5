package resp

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRequestCasesAgainstRedis replays requestCases against a real
// redis-server (7.0.15 was used to capture them) to check the table itself:
//
//	redis-server --port 27311 --save '' --appendonly no
//	redis-server --port 27312 --save '' --appendonly no --requirepass secret
//	CONCORD_TEST_REDIS=127.0.0.1:27311 CONCORD_TEST_REDIS_AUTH=127.0.0.1:27312 \
//	    go test -run AgainstRedis ./internal/resp/
//
// The second server (with requirepass) is used for the unauthenticated
// cases. The test is skipped when the variables are not set.
func TestRequestCasesAgainstRedis(t *testing.T) {
	addr, authAddr := os.Getenv("CONCORD_TEST_REDIS"), os.Getenv("CONCORD_TEST_REDIS_AUTH")
	if addr == "" {
		addr = startRedis(t)
		authAddr = startRedis(t, "--requirepass", "secret")
	}
	for _, c := range requestCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each case waits for its connection to go quiet
			a := addr
			if c.unauth {
				if authAddr == "" {
					t.Skip("CONCORD_TEST_REDIS_AUTH not set")
				}
				a = authAddr
			}
			reply, closed := exchange(t, a, c.in)
			if c.err != "" {
				if !closed || !bytes.HasSuffix(reply, []byte("-ERR "+c.err+"\r\n")) {
					t.Errorf("redis replied %q (closed=%v), want a final -ERR %s", reply, closed, c.err)
				}
			} else if closed || bytes.Contains(reply, []byte("Protocol error")) {
				t.Errorf("redis replied %q (closed=%v), want no protocol error", reply, closed)
			}
			// One reply per command; an ECHO must echo what we parsed.
			var replies []Value
			for br := newBufioReader(reply); ; {
				v, err := ReadReply(br)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("bad reply %q: %v", reply, err)
				}
				replies = append(replies, v)
			}
			if want := len(c.cmds); c.err != "" && len(replies) != want+1 || c.err == "" && len(replies) != want {
				t.Fatalf("redis sent %d replies (%q) for %d commands", len(replies), reply, len(c.cmds))
			}
			for i, cmd := range c.cmds {
				if cmd[0] != "ECHO" || c.unauth {
					continue
				}
				v := replies[i]
				if len(cmd) == 2 && (v.Kind != '$' || v.Str != cmd[1]) {
					t.Errorf("ECHO reply %v, want %q", v, cmd[1])
				}
				if len(cmd) != 2 && (v.Kind != '-' || !strings.Contains(v.Str, "wrong number of arguments")) {
					t.Errorf("ECHO reply %v, want a wrong number of arguments error", v)
				}
			}
		})
	}
}

// exchange writes in on a new connection and returns what the server sent
// until it closed the connection or stayed silent for a while.
func exchange(t *testing.T, addr, in string) (reply []byte, closed bool) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.Copy(conn, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for {
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		var b [4096]byte
		n, err := conn.Read(b[:])
		buf.Write(b[:n])
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return buf.Bytes(), false
			}
			return buf.Bytes(), true
		}
	}
}

// startRedis starts a redis-server for this test on a free loopback port and returns its
// address. Without redis-server the test skips with the message CI checks for (CI requires it).
func startRedis(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CONCORD_REQUIRE_REDIS") != "" {
			t.Fatal("redis-server not found on PATH: install redis-server (apt-get install redis-server)")
		}
		t.Skip("redis-server not found on PATH: install redis-server (apt-get install redis-server) to run this test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no"}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
	}
	t.Fatalf("redis-server did not start on %s", addr)
	return ""
}
