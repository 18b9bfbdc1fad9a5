package resp

import (
	"bytes"
	"io"
	"net"
	"os"
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
		t.Skip("CONCORD_TEST_REDIS not set")
	}
	for _, c := range requestCases {
		t.Run(c.name, func(t *testing.T) {
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
