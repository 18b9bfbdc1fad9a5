package config

import (
	"bufio"
	"fmt"
	"github.com/concord-db/concord/test/testserver"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisConn is a minimal RESP2 client for the comparisons with a live
// redis-server.
type redisConn struct {
	c net.Conn
	r *bufio.Reader
}

// do sends a command; an error reply comes back as a redisError value.
func (rc *redisConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	rc.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := rc.c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return rc.read()
}

type redisError string

func (rc *redisConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return redisError(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		for got := 0; got < len(buf); {
			m, err := rc.r.Read(buf[got:])
			if err != nil {
				return nil, err
			}
			got += m
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			v, err := rc.read()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// must runs a command and fails the test on a connection error.
func (rc *redisConn) must(t *testing.T, args ...string) any {
	t.Helper()
	v, err := rc.do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v
}

// startRedis starts redis-server on a free loopback port, in a temporary
// directory, with the given extra arguments (nil for a default
// configuration), or skips the test when redis-server is not installed.
func startRedis(t *testing.T, extra ...string) (rc *redisConn, port int, dir string) {
	t.Helper()
	bin := testserver.NeedTool(t, "redis-server", testserver.SkipMessage)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir = t.TempDir()
	args := append([]string{"--port", strconv.Itoa(port)}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			rc = &redisConn{c: c, r: bufio.NewReader(c)}
			if v, err := rc.do("PING"); err == nil && v == "PONG" {
				t.Cleanup(func() { c.Close() })
				if v, _ := rc.do("INFO", "server"); v != nil {
					if s, ok := v.(string); ok && !strings.Contains(s, "redis_version:7.0.") {
						t.Logf("note: comparing with a redis-server that is not 7.0")
					}
				}
				return rc, port, dir
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func toStrings(t *testing.T, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("expected an array, got %#v", v)
	}
	out := make([]string, len(arr))
	for i, x := range arr {
		out[i], _ = x.(string)
	}
	return out
}

func pairsToMap(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lookPathRedis() (string, error) { return exec.LookPath("redis-server") }

// startRedisWithFile starts redis-server on a configuration file that sets
// the given port.
func startRedisWithFile(t *testing.T, path string, port int) *redisConn {
	t.Helper()
	bin := testserver.NeedTool(t, "redis-server", testserver.SkipMessage)
	cmd := exec.Command(bin, path)
	cmd.Dir = filepath.Dir(path)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			rc := &redisConn{c: c, r: bufio.NewReader(c)}
			if v, err := rc.do("PING"); err == nil && v == "PONG" {
				t.Cleanup(func() { c.Close() })
				return rc
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
