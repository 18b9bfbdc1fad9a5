package compat

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

func TestCompatProtocol(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		t.Run("inline", func(t *testing.T) {
			s := newStream(t, p, 1, proto)
			for _, in := range inlineInputs {
				s.rawBarrier(0, []byte(in))
			}
		})
		t.Run("pipeline", func(t *testing.T) {
			s := newStream(t, p, 1, proto)
			s.keys = []string{"p1", "p2", "p3"}
			for i := 0; i < n(40); i++ {
				s.rawBarrier(0, s.randomPipeline(1+s.intn(200)))
			}
		})
		t.Run("split_writes", func(t *testing.T) {
			s := newStream(t, p, 1, proto)
			s.keys = []string{"p1", "p2"}
			for i := 0; i < n(15); i++ {
				s.rawChunked(0, s.randomPipeline(1+s.intn(5)))
			}
			big := strings.Repeat("v", 100000)
			s.rawChunked(0, []byte("*3\r\n$3\r\nSET\r\n$2\r\np1\r\n$100000\r\n"+big+"\r\n"))
			s.do("STRLEN", "p1")
		})
	})
	t.Run("malformed", func(t *testing.T) { compareMalformed(t, p) })
}

var inlineInputs = []string{
	"PING\r\n", "PING\n", "ping hello\r\n", "ECHO \"hello world\"\r\n", "ECHO 'single quoted'\r\n",
	"ECHO \"esc\\x41\\n\\t\\r\\b\\a\\\\\\\"\"\r\n", "ECHO 'it\\'s'\r\n", "ECHO \"\\xZZ\\q\"\r\n", "SET k \"a b\"\r\nGET k\r\n",
	"   PING   \r\n", "\r\n\r\nPING\r\n", "\n\nPING\n", "ECHO \"\"\r\n", "ECHO ''\r\n", "GET\r\n", "NOSUCH a b\r\n",
	"ECHO a\tb\r\n", "ECHO\ta\r\n", "set k v\r\n*1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\nPING\r\n", "SET k 1\r\nINCR k\r\nGET k\r\n",
	"MSET a 1 b 2\r\nMGET a b c\r\n", "ECHO \"\\u00e9\"\r\n", "ECHO é\r\n", "ECHO \"multi word\" 'x'\r\n",
	"HELLO\r\n", "PING \"\"\r\n", "*0\r\nPING\r\n", "*-1\r\nPING\r\n", "*-5\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n*0\r\n\r\n",
	"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", "*2\r\n$4\r\necho\r\n$3\r\na\r\n\r\n", "*1\r\n$4\r\nping\r\n", "$4\r\nPING\r\n",
	"ECHO " + strings.Repeat("x", 1000) + "\r\n", "SET big " + strings.Repeat("y", 20000) + "\r\nSTRLEN big\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nGET k\r\n", ":1\r\n", "+PING\r\n", "-ERR\r\n", "PING\r\r\n", "ECHO a\rb\r\n",
}

// rawBarrier writes data followed by a PING barrier to connection i of both servers, and compares
// everything received up to the barrier's reply.
func (s *stream) rawBarrier(i int, data []byte) {
	s.t.Helper()
	s.step++
	token := fmt.Sprintf("barrier-%d", s.step)
	label := fmt.Sprintf("#%d c%d raw %s", s.step, i, testserver.Quote(data))
	full := append(append([]byte{}, data...), testserverAppend("PING", token)...)
	s.ref[i].WriteRaw(full)
	terr := s.tgt[i].WriteRawErr(full)
	r, err := collect(s.ref[i], token)
	if err != nil {
		s.t.Fatalf("reference %s: %s: %v (got %s)", s.p.ref.Name(), label, err, testserver.Quote(r))
	}
	var tg []byte
	if terr == nil {
		tg, terr = collect(s.tgt[i], token)
	}
	if terr != nil {
		s.mismatch(label, r, tg, terr)
		s.t.FailNow()
	}
	if !bytes.Equal(maskHelloIDs(r), maskHelloIDs(tg)) {
		s.mismatch(label, r, tg, nil)
	}
	s.record(label, r)
}

// rawChunked is rawBarrier with the data written in small pieces, a millisecond apart, so that
// commands arrive split at arbitrary points.
func (s *stream) rawChunked(i int, data []byte) {
	s.t.Helper()
	for len(data) > 0 {
		n := 1 + s.intn(7)
		if len(data) > 1000 {
			n = 1 + s.intn(40000)
		}
		if n > len(data) {
			n = len(data)
		}
		if n == len(data) {
			break
		}
		s.ref[i].WriteRaw(data[:n])
		s.tgt[i].WriteRawErr(data[:n])
		data = data[n:]
		time.Sleep(time.Millisecond)
	}
	s.rawBarrier(i, data)
}

func testserverAppend(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// randomPipeline encodes n commands, mostly as multibulk and some inline, in one buffer.
func (s *stream) randomPipeline(n int) []byte {
	var b []byte
	for j := 0; j < n; j++ {
		var args []string
		k := s.key()
		switch s.intn(10) {
		case 0:
			args = []string{"SET", k, s.value()}
		case 1:
			args = []string{"GET", k}
		case 2:
			args = []string{"INCR", k}
		case 3:
			args = []string{"DEL", k}
		case 4:
			args = []string{"ECHO", s.value()}
		case 5:
			args = []string{"MGET", k, s.key()}
		case 6:
			args = []string{"NOSUCH", k}
		case 7:
			args = []string{"APPEND", k, "x"}
		case 8:
			args = []string{"GET"}
		default:
			args = []string{"PING"}
		}
		inlineOK := true
		for _, a := range args {
			if a == "" || strings.ContainsAny(a, " \t\r\n\"'\\\x00") || strings.IndexFunc(a, func(r rune) bool { return r > 126 || r < 32 }) >= 0 {
				inlineOK = false
			}
		}
		if inlineOK && s.chance(0.3) {
			b = append(b, strings.Join(args, " ")+"\r\n"...)
		} else {
			b = append(b, testserverAppend(args...)...)
		}
	}
	return b
}

// malformedInputs are sent each on a fresh connection; the replies and whether the server closes
// the connection must match.
var malformedInputs = []string{
	"*abc\r\n", "*1\r\n$abc\r\n", "*1\r\n+OK\r\n", "*1\r\n:1\r\n", "*1\r\n$-1\r\n", "*1\r\n$ 4\r\n", "* 1\r\n",
	"*3000000000\r\n", "*1\r\n$600000000\r\n", "*1\r\n$536870913\r\n", "*1\r\n$4\r\nPINGXX\r\n", "*2\r\n$3\r\nGET\r\n",
	"*1\r\n$4\r\nPI", "*1\r\n$4\r\nPING", "PING \"unbalanced\r\n", "ECHO \"a\"b\r\n", "ECHO 'a'b\r\n", "ECHO 'unbalanced\r\n",
	"PING\r\n*x\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n*1\r\n$x\r\nPING\r\n", "QUIT\r\n", "QUIT\r\nPING\r\n",
	"*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n", "\x00\x01\x02\r\n", "*1\r\n$01\r\nP\r\n", "*01\r\n$4\r\nPING\r\n", "*1\r\n$+4\r\nPING\r\n",
	"*+1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n*1\r\n", "PING\r", "*1\r", "*1\n$4\nPING\n", "*1\r\n$4\nPING\r\n",
	"*1048577\r\n", "*1024\r\n", "*-1\r\n", "*0\r\n",
	strings.Repeat("x", 70000), "*" + strings.Repeat("1", 70000), "*1\r\n$" + strings.Repeat("1", 70000),
	"ECHO " + strings.Repeat("x", 70000) + "\r\n", "*1\r\n$9223372036854775808\r\n", "*9223372036854775808\r\n",
	"*1\r\n$-2\r\n", "*2\r\n$4\r\nECHO\r\n$3\r\nabcdef\r\nPING\r\n", "ECHO a\x00b\r\n",
}

func compareMalformed(t *testing.T, p *pair) {
	type result struct {
		out    []byte
		closed bool
		err    error
	}
	run := func(srv *testserver.Server, in string) result {
		c, err := srv.DialErr(t)
		if err != nil {
			return result{err: err}
		}
		defer c.Close()
		c.WriteRawErr([]byte(in))
		out, closed := c.ReadAll(300 * time.Millisecond)
		return result{out: out, closed: closed}
	}
	refRes := make([]result, len(malformedInputs))
	tgtRes := make([]result, len(malformedInputs))
	var wg sync.WaitGroup
	for i, in := range malformedInputs {
		wg.Add(2)
		go func(i int, in string) { defer wg.Done(); refRes[i] = run(p.ref, in) }(i, in)
		go func(i int, in string) { defer wg.Done(); tgtRes[i] = run(p.tgt, in) }(i, in)
	}
	wg.Wait()
	for i, in := range malformedInputs {
		r, g := refRes[i], tgtRes[i]
		if r.err != nil {
			t.Fatalf("reference %s: %v", p.ref.Name(), r.err)
		}
		if traceOn {
			t.Logf("malformed #%d %s -> %s%s", i, testserver.Quote([]byte(in)), testserver.Quote(r.out), closedNote(r.closed))
		}
		if g.err != nil || !bytes.Equal(r.out, g.out) || r.closed != g.closed {
			t.Errorf("MISMATCH for malformed input #%d %s (each input on its own connection)\n  redis   (%s): %s%s\n  target  (%s): %s%s %v",
				i, testserver.Quote([]byte(in)), p.ref.Name(), testserver.Quote(r.out), closedNote(r.closed),
				p.tgt.Name(), testserver.Quote(g.out), closedNote(g.closed), errOrEmpty(g.err))
		}
	}
	// the servers must still be serving
	for _, srv := range []*testserver.Server{p.ref, p.tgt} {
		if rep, err := srv.Dial(t).DoErr("PING"); err != nil || string(rep) != "+PONG\r\n" {
			t.Fatalf("%s after malformed input: PING = %q, %v", srv.Name(), rep, err)
		}
	}
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
