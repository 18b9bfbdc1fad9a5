//go:build capture

package command

// Capture generator for TestHyperLogLogCommands: it runs hllCases against a real redis-server
// 7.0 (FLUSHALL and CONFIG RESETSTAT-free defaults before each case) and writes the raw replies
// to testdata/hyperloglog.txt. It was run once against redis-server 7.0.15:
//
//	redis-server --port 16531 --save '' --appendonly no --enable-debug-command yes --daemonize yes
//	go test -tags capture -run TestCaptureHyperLogLog ./internal/command/ -args -hll-redis=127.0.0.1:16531

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

var hllCaptureAddr = flag.String("hll-redis", "127.0.0.1:16531", "redis-server 7.0 to capture from")

func TestCaptureHyperLogLog(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Captured from redis-server 7.0.15 by hyperloglog_capture_test.go (go test -tags capture).\n")
	b.WriteString("# case<TAB>quoted raw reply, one line per step of hllCases.\n")
	for _, tc := range hllCases {
		nc, err := net.Dial("tcp", *hllCaptureAddr)
		if err != nil {
			t.Fatal(err)
		}
		conn := &rawConn{nc: nc, r: bufio.NewReader(nc), t: t}
		conn.Do("FLUSHALL")
		conn.Do("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
		last := ""
		for _, line := range tc.steps {
			raw := conn.Do(expandHLLArgs(line, last)...)
			b.WriteString(tc.name + "\t" + strconv.Quote(string(raw)) + "\n")
			last = bulkOf(string(raw))
		}
		nc.Close()
	}
	if err := os.WriteFile("testdata/hyperloglog.txt", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

type rawConn struct {
	nc net.Conn
	r  *bufio.Reader
	t  *testing.T
}

// Do sends a command and returns the exact bytes of its reply.
func (c *rawConn) Do(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.nc, b.String()); err != nil {
		c.t.Fatal(err)
	}
	var out []byte
	c.read(&out)
	return out
}

// read appends one RESP2/RESP3 reply.
func (c *rawConn) read(out *[]byte) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatal(err)
	}
	*out = append(*out, line...)
	body := strings.TrimSuffix(line[1:], "\r\n")
	n, _ := strconv.Atoi(body)
	switch line[0] {
	case '$', '=', '!':
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(c.r, buf); err != nil {
				c.t.Fatal(err)
			}
			*out = append(*out, buf...)
		}
	case '*', '~', '>':
		for range max(n, 0) {
			c.read(out)
		}
	case '%', '|':
		for range 2 * n {
			c.read(out)
		}
	}
}
