//go:build capture

package hll

// Capture generator: it sends PFADD / PFCOUNT / PFMERGE / GET sequences to a real
// redis-server 7.0 and writes what it replies to testdata/, which redis_test.go replays
// against this package. It was run once against redis-server 7.0.15:
//
//	redis-server --port 16530 --save '' --appendonly no --daemonize yes
//	go test -tags capture -run TestCapture ./internal/crdt/hll/ -args -redis=127.0.0.1:16530
//
// The sequences are seeded, so a rerun rewrites identical files.

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

var captureAddr = flag.String("redis", "127.0.0.1:16530", "address of the redis-server 7.0 to capture from")

type respClient struct {
	conn net.Conn
	r    *bufio.Reader
}

// do sends a command and returns the reply: a bulk's bytes, an integer or status as text, an
// error as "-text".
func (c *respClient) do(t *testing.T, args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		t.Fatal(err)
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+', ':':
		return line[1:]
	case '-':
		return line
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "(nil)"
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	t.Fatalf("unexpected reply %q", line)
	return ""
}

func TestCapture(t *testing.T) {
	conn, err := net.Dial("tcp", *captureAddr)
	if err != nil {
		t.Fatal(err)
	}
	c := &respClient{conn: conn, r: bufio.NewReader(conn)}
	c.do(t, "FLUSHALL")
	var lines []string
	for _, fam := range families {
		key := "k" + fam.name
		for _, step := range steps(fam.n) {
			args := []string{"PFADD", key}
			for i := step[0]; i < step[1]; i++ {
				args = append(args, string(fam.elem(i)))
			}
			c.do(t, args...)
			count := c.do(t, "PFCOUNT", key)
			enc := c.do(t, "PFDEBUG", "ENCODING", key)
			get := sha1.Sum([]byte(c.do(t, "GET", key)))
			lines = append(lines, fmt.Sprintf("add %s %d %d %s %s %s", fam.name, step[0], step[1], count, enc, hex.EncodeToString(get[:])))
		}
	}
	// Merges of the families' final keys, into a fresh destination and into an existing one.
	for i, a := range families {
		for _, b := range families[i:] {
			dst := "m" + a.name + b.name
			c.do(t, "DEL", dst)
			c.do(t, "PFMERGE", dst, "k"+a.name, "k"+b.name)
			union := c.do(t, "PFCOUNT", "k"+a.name, "k"+b.name)
			count := c.do(t, "PFCOUNT", dst)
			enc := c.do(t, "PFDEBUG", "ENCODING", dst)
			get := sha1.Sum([]byte(c.do(t, "GET", dst)))
			lines = append(lines, fmt.Sprintf("merge %s %s %s %s %s %s", a.name, b.name, union, count, enc, hex.EncodeToString(get[:])))
		}
	}
	var b strings.Builder
	b.WriteString("# Captured from redis-server 7.0.15 by capture_test.go (go test -tags capture).\n")
	b.WriteString("# add FAMILY FROM TO PFCOUNT PFDEBUG-ENCODING SHA1(GET)   (after PFADD of elements FROM..TO-1)\n")
	b.WriteString("# merge A B PFCOUNT(A,B) PFCOUNT(dst) PFDEBUG-ENCODING SHA1(GET dst)\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile("testdata/redis.txt", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
