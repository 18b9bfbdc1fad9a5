package compat

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// TestCompatRequirepass runs both servers with --requirepass.
func TestCompatRequirepass(t *testing.T) {
	t.Parallel()
	p := startPair(t, "--requirepass", "s3cret")
	for _, proto := range []int{2, 3} {
		s := &stream{t: t, p: p, seed: *seedFlag, proto: 2}
		s.ref = append(s.ref, p.ref.Dial(t))
		s.tgt = append(s.tgt, p.tgt.Dial(t))
		for _, c := range [][]string{
			{"PING"}, {"GET", "k"}, {"SET", "k", "v"}, {"SELECT", "1"}, {"HELLO"}, {"HELLO", "3"}, {"HELLO", "2"}, {"CLIENT", "SETNAME", "x"},
			{"AUTH"}, {"AUTH", "wrong"}, {"AUTH", "default", "wrong"}, {"AUTH", "nouser", "s3cret"}, {"AUTH", "a", "b", "c"},
			{"NOSUCH"}, {"MULTI"}, {"EXEC"}, {"SUBSCRIBE", "x"},
		} {
			s.do(c...)
		}
		if proto == 3 {
			s.doCmp(cmpHello, "HELLO", "3", "AUTH", "default", "wrong")
			s.doCmp(cmpHello, "HELLO", "3", "AUTH", "default", "s3cret")
		} else {
			s.do("AUTH", "s3cret")
		}
		for _, c := range [][]string{{"PING"}, {"SET", "k", "v"}, {"GET", "k"}, {"AUTH", "wrong"}, {"GET", "k"}, {"AUTH", "default", "s3cret"},
			{"CONFIG", "GET", "requirepass"}} {
			s.do(c...)
		}
	}
	// limits on what an unauthenticated client may send
	for _, in := range []string{"*100\r\n", "*10\r\n", "*11\r\n", "*1\r\n$16384\r\n", "*1\r\n$16385\r\n", "*1\r\n$20000\r\n", "QUIT\r\n"} {
		r := p.ref.Dial(t)
		g := p.tgt.Dial(t)
		r.WriteRaw([]byte(in))
		g.WriteRawErr([]byte(in))
		ro, rc, to, tc := readBoth(r, g, 300*time.Millisecond)
		if string(ro) != string(to) || rc != tc {
			t.Errorf("MISMATCH unauthenticated input %s\n  redis:  %s%s\n  target: %s%s", testserver.Quote([]byte(in)),
				testserver.Quote(ro), closedNote(rc), testserver.Quote(to), closedNote(tc))
		}
	}
}

// TestCompatDatabasesFlag runs both servers with --databases 4.
func TestCompatDatabasesFlag(t *testing.T) {
	t.Parallel()
	p := startPair(t, "--databases", "4")
	s := newStream(t, p, 1, 2)
	for _, c := range [][]string{
		{"SELECT", "3"}, {"SET", "k", "v"}, {"SELECT", "4"}, {"MOVE", "k", "4"}, {"MOVE", "k", "0"}, {"COPY", "nokey", "x", "DB", "4"},
		{"SWAPDB", "0", "4"}, {"SWAPDB", "0", "3"}, {"SELECT", "0"}, {"GET", "k"}, {"CONFIG", "GET", "databases"}, {"SELECT", "-1"},
		{"FLUSHALL"}, {"DBSIZE"},
	} {
		s.do(c...)
	}
}

// TestCompatConfigFile starts both servers from the same configuration file.
func TestCompatConfigFile(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "test.conf")
	os.WriteFile(conf, []byte("# a comment\ndatabases 5\nhz 15\nmaxmemory 64mb\nmaxmemory-policy allkeys-lru\ntimeout 0\n"), 0o644)
	p := startPair(t, "--config", conf, "--hz", "17")
	s := newStream(t, p, 1, 2)
	for _, c := range []string{"databases", "hz", "maxmemory", "maxmemory-policy", "timeout"} {
		s.do("CONFIG", "GET", c)
	}
	s.do("SELECT", "4")
	s.do("SELECT", "5")
}

// TestCompatMaxclients runs both servers with --maxclients 3 and opens connections until they are
// refused.
func TestCompatMaxclients(t *testing.T) {
	t.Parallel()
	p := startPair(t, "--maxclients", "3")
	time.Sleep(300 * time.Millisecond) // let the readiness probes' connections go away
	for i := 0; i < 5; i++ {
		r := p.ref.Dial(t)
		g := p.tgt.Dial(t)
		r.WriteRaw([]byte("PING\r\n"))
		g.WriteRawErr([]byte("PING\r\n"))
		ro, rc, to, tc := readBoth(r, g, 300*time.Millisecond)
		if traceOn {
			t.Logf("connection %d: %s%s", i+1, testserver.Quote(ro), closedNote(rc))
		}
		if string(ro) != string(to) || rc != tc {
			t.Errorf("MISMATCH connection %d with --maxclients 3\n  redis:  %s%s\n  target: %s%s", i+1,
				testserver.Quote(ro), closedNote(rc), testserver.Quote(to), closedNote(tc))
		}
	}
}

// readBoth reads everything both connections receive until each is idle for idle or closed.
func readBoth(r, g *testserver.Conn, idle time.Duration) (ro []byte, rc bool, to []byte, tc bool) {
	done := make(chan struct{})
	go func() {
		to, tc = g.ReadAll(idle)
		close(done)
	}()
	ro, rc = r.ReadAll(idle)
	<-done
	return
}
