package commandspec

// Tests against a real redis-server (skipped when there is none on PATH):
// every command's COMMAND INFO and COMMAND DOCS, byte for byte in RESP2 and
// RESP3, and COMMAND GETKEYS against KeyIndexes.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if testServer != nil {
		testServer.stop()
	}
	os.Exit(code)
}

type redisProcess struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

var (
	testServerOnce sync.Once
	testServer     *redisProcess
	testServerErr  error
)

// redisConn connects to a throw-away redis-server (started once for all
// tests) speaking the given protocol, or skips the test.
func redisConn(t *testing.T, proto int) *respConn {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH: skipping the comparison with Redis")
	}
	testServerOnce.Do(func() { testServer, testServerErr = startRedis(bin) })
	if testServerErr != nil {
		t.Fatalf("starting redis-server: %v", testServerErr)
	}
	nc, err := net.Dial("tcp", testServer.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &respConn{conn: nc, r: bufio.NewReaderSize(nc, 1<<16)}
	t.Cleanup(func() { nc.Close() })
	hello := c.do(t, "HELLO", strconv.Itoa(proto))
	version := ""
	for i := 0; i+1 < len(hello.kids); i += 2 {
		if string(hello.kids[i].payload()) == "version" {
			version = string(hello.kids[i+1].payload())
		}
	}
	if version != RedisVersion() {
		t.Skipf("redis-server is %s, the data is from %s: skipping the comparison", version, RedisVersion())
	}
	return c
}

func startRedis(bin string) (*redisProcess, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	dir, err := os.MkdirTemp("", "commandspec-test-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &redisProcess{addr: net.JoinHostPort("127.0.0.1", port), cmd: cmd, dir: dir}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", p.addr)
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("no redis-server on %s: %v", p.addr, err)
		}
	}
}

func (p *redisProcess) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(p.dir)
}

// ---------------------------------------------------------------------------
// Raw replies: a tree over the exact bytes, so that replies can be compared
// byte for byte after putting subcommands (which Redis lists in the random
// order of its hash table) in a canonical order.

type rawNode struct {
	head []byte     // the type line, and the payload and CRLF of a bulk string
	kids []*rawNode // aggregate elements (maps: k1, v1, k2, v2, ...)
}

func (n *rawNode) bytes(buf *bytes.Buffer) {
	buf.Write(n.head)
	for _, k := range n.kids {
		k.bytes(buf)
	}
}

func (n *rawNode) String() string {
	var b bytes.Buffer
	n.bytes(&b)
	return b.String()
}

// payload is the content of a simple or bulk string.
func (n *rawNode) payload() []byte {
	h := bytes.TrimSuffix(n.head, []byte("\r\n"))
	if len(h) > 0 && (h[0] == '$' || h[0] == '=') {
		if i := bytes.Index(h, []byte("\r\n")); i >= 0 {
			return h[i+2:]
		}
	}
	if len(h) > 0 {
		return h[1:]
	}
	return nil
}

func readRaw(r *bufio.Reader) (*rawNode, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("bad line %q", line)
	}
	n := &rawNode{head: line}
	size, _ := strconv.Atoi(string(line[1 : len(line)-2]))
	switch line[0] {
	case '$', '=', '!':
		if size >= 0 {
			buf := make([]byte, size+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil, err
			}
			n.head = append(n.head, buf...)
		}
	case '*', '~', '>', '%', '|':
		if line[0] == '%' || line[0] == '|' {
			size *= 2
		}
		for range max(size, 0) {
			k, err := readRaw(r)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
		}
	}
	return n, nil
}

func parseRaw(t *testing.T, b []byte) *rawNode {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(b))
	n, err := readRaw(r)
	if err != nil {
		t.Fatalf("parsing %q: %v", b, err)
	}
	if r.Buffered() != 0 {
		t.Fatalf("trailing bytes after %q", b)
	}
	return n
}

type respConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func encodeCommand(buf *bytes.Buffer, args ...string) {
	fmt.Fprintf(buf, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(buf, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *respConn) do(t *testing.T, args ...string) *rawNode {
	t.Helper()
	return c.pipeline(t, [][]string{args})[0]
}

// pipeline sends the commands at once and reads their replies.
func (c *respConn) pipeline(t *testing.T, cmds [][]string) []*rawNode {
	t.Helper()
	var b bytes.Buffer
	for _, args := range cmds {
		encodeCommand(&b, args...)
	}
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	errc := make(chan error, 1)
	go func() { _, err := c.conn.Write(b.Bytes()); errc <- err }()
	out := make([]*rawNode, len(cmds))
	for i := range out {
		n, err := readRaw(c.r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = n
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return out
}

// canonInfo sorts the subcommands of a COMMAND INFO entry.
func canonInfo(n *rawNode) {
	if len(n.kids) == 10 {
		sortKids(n.kids[9].kids, 1)
	}
}

// canonDocs sorts the "subcommands" map of a COMMAND DOCS value.
func canonDocs(n *rawNode) {
	for i := 0; i+1 < len(n.kids); i += 2 {
		if string(n.kids[i].payload()) == "subcommands" {
			sortKids(n.kids[i+1].kids, 2)
		}
	}
}

// sortKids sorts groups of size elements by their bytes.
func sortKids(kids []*rawNode, size int) {
	groups := make([][]*rawNode, 0, len(kids)/size)
	for i := 0; i+size <= len(kids); i += size {
		groups = append(groups, slices.Clone(kids[i:i+size]))
	}
	slices.SortFunc(groups, func(a, b []*rawNode) int { return bytes.Compare([]byte(a[0].String()), []byte(b[0].String())) })
	for i, g := range groups {
		copy(kids[i*size:], g)
	}
}

func allCommands() []*Command {
	var out []*Command
	for _, c := range All() {
		out = append(out, c)
		out = append(out, c.Subcommands...)
	}
	return out
}

// TestCompareWithRedis compares, for every command and subcommand, the
// bytes of redis-server's COMMAND INFO <name> and COMMAND DOCS <name>
// replies with the encoders', in RESP2 and RESP3.
func TestCompareWithRedis(t *testing.T) {
	cmds := allCommands()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			c := redisConn(t, proto)
			var reqs [][]string
			for _, cmd := range cmds {
				reqs = append(reqs, []string{"COMMAND", "INFO", cmd.Name}, []string{"COMMAND", "DOCS", cmd.Name})
			}
			replies := c.pipeline(t, reqs)
			mismatches := 0
			for i, cmd := range cmds {
				// INFO: an array of one entry.
				w := &testWriter{proto: proto}
				w.ArrayLen(1)
				cmd.WriteInfo(w)
				ours := parseRaw(t, w.buf.Bytes())
				theirs := replies[2*i]
				if len(ours.kids) == 1 && len(theirs.kids) == 1 {
					canonInfo(ours.kids[0])
					canonInfo(theirs.kids[0])
				}
				if o, r := ours.String(), theirs.String(); o != r {
					mismatches++
					t.Errorf("RESP%d COMMAND INFO %s:\n ours   %q\n redis  %q", proto, cmd.Name, o, r)
				}

				// DOCS: a map of one name to its docs.
				w = &testWriter{proto: proto}
				w.MapLen(1)
				w.BulkString(cmd.Name)
				cmd.WriteDocs(w)
				ours = parseRaw(t, w.buf.Bytes())
				theirs = replies[2*i+1]
				if len(ours.kids) == 2 && len(theirs.kids) == 2 {
					canonDocs(ours.kids[1])
					canonDocs(theirs.kids[1])
				}
				if o, r := ours.String(), theirs.String(); o != r {
					mismatches++
					t.Errorf("RESP%d COMMAND DOCS %s:\n ours   %q\n redis  %q", proto, cmd.Name, o, r)
				}
				if mismatches > 10 {
					t.Fatal("too many mismatches")
				}
			}
			t.Logf("RESP%d: %d commands and subcommands, INFO and DOCS identical", proto, len(cmds))
		})
	}
}

// The data covers exactly the commands the server has.
func TestSameCommandsAsRedis(t *testing.T) {
	c := redisConn(t, 2)
	count := c.do(t, "COMMAND", "COUNT")
	if string(count.payload()) != strconv.Itoa(len(All())) {
		t.Errorf("COMMAND COUNT = %s, All() has %d", count.payload(), len(All()))
	}
	list := c.do(t, "COMMAND", "LIST")
	var names []string
	for _, k := range list.kids {
		names = append(names, string(k.payload()))
	}
	slices.Sort(names)
	// COMMAND LIST lists the subcommands too (COMMAND COUNT does not).
	var ours []string
	for _, cmd := range allCommands() {
		ours = append(ours, cmd.Name)
	}
	slices.Sort(ours)
	if !slices.Equal(names, ours) {
		t.Errorf("COMMAND LIST differs:\n redis %v\n ours  %v", names, ours)
	}
	// Subcommands: the server's, from COMMAND INFO of each container.
	for _, cmd := range All() {
		if len(cmd.Subcommands) == 0 {
			continue
		}
		info := c.do(t, "COMMAND", "INFO", cmd.Name)
		var subs []string
		for _, s := range info.kids[0].kids[9].kids {
			subs = append(subs, string(s.kids[0].payload()))
		}
		slices.Sort(subs)
		var mine []string
		for _, s := range cmd.Subcommands {
			mine = append(mine, s.Name)
		}
		if !slices.Equal(subs, mine) {
			t.Errorf("%s subcommands differ:\n redis %v\n ours  %v", cmd.Name, subs, mine)
		}
	}
}
