// Package capture is the client of the capture generators: tests built with the tag "capture"
// (go test -tags capture -run Capture -redis HOST:PORT ./internal/...) that send generated
// command streams to a real redis-server 7.0 and record its replies into the package's
// testdata/, which the ordinary tests then compare Concord's code with. Replies are recorded
// in a one-line text form (see Client.Read) so that testdata files diff well.
package capture

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

// Addr is the redis-server the generators record from: go test -tags capture -redis HOST:PORT.
var Addr = flag.String("redis", "127.0.0.1:16397", "address of the redis-server 7.0 to capture from")

// Client is a minimal RESP2 client: one connection, one command at a time.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects to *Addr and checks that it is a redis-server 7.0; the connection is closed when
// the test ends.
func Dial(t testing.TB) *Client {
	t.Helper()
	conn, err := net.Dial("tcp", *Addr)
	if err != nil {
		t.Fatalf("connect to redis-server at %s: %v", *Addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &Client{conn: conn, r: bufio.NewReader(conn)}
	if v := c.Do("INFO", "server"); !strings.Contains(v, "redis_version:7.0.") {
		t.Fatalf("need redis-server 7.0, INFO says %.200s", v)
	}
	return c
}

// Do sends one command and returns its reply encoded as Read does.
func (c *Client) Do(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		panic(err)
	}
	return c.Read()
}

// Read reads one reply and encodes it: a bulk string as its strconv.Quote form, a null as
// "nil", an integer as ":N", a status as "+S", an error as "-TEXT", an array as "[a,b,...]".
func (c *Client) Read() string {
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
			parts[i] = c.Read()
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	panic("bad reply line " + line)
}
