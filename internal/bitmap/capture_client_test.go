//go:build capture

package bitmap

// A minimal RESP2 client used only by the capture generators (build tag "capture"), which
// record what a real redis-server replies into testdata/. See capture_test.go.

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

var captureAddr = flag.String("redis", "127.0.0.1:16397", "address of the redis-server 7.0 to capture from")

type respClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRedis(t *testing.T) *respClient {
	t.Helper()
	conn, err := net.Dial("tcp", *captureAddr)
	if err != nil {
		t.Fatalf("connect to redis-server at %s: %v", *captureAddr, err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &respClient{conn: conn, r: bufio.NewReader(conn)}
	if v := c.do("INFO", "server"); !strings.Contains(v, "redis_version:7.0.") {
		t.Fatalf("need redis-server 7.0, INFO says %.200s", v)
	}
	return c
}

// do sends one command and returns its reply encoded by encodeReply.
func (c *respClient) do(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		panic(err)
	}
	return c.read()
}

// read reads one reply and encodes it: a bulk string as its strconv.Quote form, a null as
// "nil", an integer as ":N", a status as "+S", an error as "-TEXT", an array as "[a,b,...]".
func (c *respClient) read() string {
	line, err := c.r.ReadString('\n')
	if err != nil {
		panic(err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+', '-', ':':
		return line
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "nil"
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			panic(err)
		}
		return strconv.Quote(string(buf[:n]))
	case '*':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "nil"
		}
		parts := make([]string, n)
		for i := range parts {
			parts[i] = c.read()
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	panic("bad reply line " + line)
}
