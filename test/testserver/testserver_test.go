package testserver

import (
	"bufio"
	"bytes"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestReplyRoundTrip(t *testing.T) {
	cases := []string{
		"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$0\r\n\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
		"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", "_\r\n", ",1.5\r\n", ",inf\r\n", "#t\r\n", "(123456789012345678901234567890\r\n",
		"=7\r\ntxt:abc\r\n", "!3\r\nERR\r\n", "%1\r\n+a\r\n:1\r\n", "~2\r\n:1\r\n:2\r\n", ">2\r\n+x\r\n+y\r\n",
	}
	for _, c := range cases {
		raw, err := readRawReply(bufio.NewReader(bytes.NewReader([]byte(c + "+next\r\n"))))
		if err != nil || string(raw) != c {
			t.Errorf("readRawReply(%q) = %q, %v", c, raw, err)
			continue
		}
	}
	for _, c := range append(cases, "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n") {
		rep, err := ParseReply([]byte(c))
		if err != nil {
			t.Errorf("ParseReply(%q): %v", c, err)
			continue
		}
		if got := string(rep.Bytes()); got != c {
			t.Errorf("round trip %q -> %q", c, got)
		}
	}
	for _, bad := range []string{"?x\r\n", "$3\r\nab\r\n", "*1\r\n", ":abc\r\n", "+OK\n", "$-2\r\n", "%-1\r\n", "#x\r\n", "$01\r\na\r\n", "\r\n", "*1\r\n\r\n"} {
		if _, err := ParseReply([]byte(bad)); err == nil {
			t.Errorf("ParseReply(%q) accepted malformed input", bad)
		}
	}
}

func TestStartRedis(t *testing.T) {
	s := StartRedis(t)
	c := s.Dial(t)
	if got := string(c.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("PING = %q", got)
	}
	if got := string(c.Do("CONFIG", "GET", "save")); got != "*2\r\n$4\r\nsave\r\n$0\r\n\r\n" {
		t.Fatalf("CONFIG GET save = %q", got)
	}
	if got := string(c.Do("CONFIG", "GET", "appendonly")); got != "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n" {
		t.Fatalf("CONFIG GET appendonly = %q", got)
	}
	c.Send("SET", "a", "1")
	c.Send("GET", "a")
	if a, b := string(c.ReadRaw()), string(c.ReadRaw()); a != "+OK\r\n" || b != "$1\r\n1\r\n" {
		t.Fatalf("pipeline = %q %q", a, b)
	}
	if rep := c.Hello3(); rep[0] != '%' || c.Proto != 3 {
		t.Fatalf("HELLO 3 = %q", rep)
	}
	if got := string(c.Do("GET", "nokey")); got != "_\r\n" {
		t.Fatalf("RESP3 null = %q", got)
	}
}

func TestStartRedisWithPasswordAndConfig(t *testing.T) {
	conf := t.TempDir() + "/r.conf"
	os.WriteFile(conf, []byte("databases 4\n"), 0o644)
	s := StartRedis(t, "--config", conf, "--requirepass", "pw")
	if s.Password != "pw" {
		t.Fatalf("Password = %q", s.Password)
	}
	c := s.Dial(t)
	if got := string(c.Do("GET", "a")); got[:7] != "-NOAUTH" {
		t.Fatalf("GET before AUTH = %q", got)
	}
	c.Auth("pw")
	if got := string(c.Do("SELECT", "4")); got != "-ERR DB index is out of range\r\n" {
		t.Fatalf("SELECT 4 = %q", got)
	}
}
