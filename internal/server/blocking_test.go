package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
)

// The connection side of blocking commands: a parked client's goroutine waits on its socket
// without the engine lock, is woken by a write, a timeout or CLIENT UNBLOCK, keeps what the client
// pipelines meanwhile, and notices a disconnect. Run with -race.

func startTestServer(t *testing.T) (*Server, *command.Env, func()) {
	t.Helper()
	e := engine.New(engine.Config{Member: 1, Databases: 16, Seed: 1})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env := command.NewEnv(e, config.Default(), log)
	s := New(env, log)
	if err := s.Listen([]string{"127.0.0.1"}, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = s.Serve(ctx)
		close(done)
	}()
	return s, env, func() {
		cancel()
		<-done
	}
}

type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, s *Server) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

func encode(cmds ...[]string) []byte {
	var b strings.Builder
	for _, args := range cmds {
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	return []byte(b.String())
}

func (c *rawConn) send(cmds ...[]string) {
	c.t.Helper()
	if _, err := c.c.Write(encode(cmds...)); err != nil {
		c.t.Fatal(err)
	}
}

// expect reads exactly len(want) bytes and compares them.
func (c *rawConn) expect(want string) {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c.r, got); err != nil {
		c.t.Fatalf("reading %q: %v (got %q)", want, err, got)
	}
	if string(got) != want {
		c.t.Fatalf("got %q, want %q", got, want)
	}
}

// silent checks that nothing arrives for d.
func (c *rawConn) silent(d time.Duration) {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	if b, err := c.r.Peek(1); err == nil {
		c.t.Fatalf("unexpected reply bytes %q", b)
	}
}

func waitBlocked(t *testing.T, env *command.Env, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		env.Engine.Lock()
		got, _ := env.BlockedClients()
		env.Engine.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked clients %d, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestParkedConnection(t *testing.T) {
	base := runtime.NumGoroutine()
	s, env, stop := startTestServer(t)
	a, b := dial(t, s), dial(t, s)

	// A pipeline behind BLPOP waits; what the client sends while parked is kept.
	a.send([]string{"BLPOP", "k", "0"}, []string{"PING"})
	waitBlocked(t, env, 1)
	a.send([]string{"ECHO", "sent while parked"})
	a.silent(30 * time.Millisecond)
	b.send([]string{"RPUSH", "k", "v"})
	b.expect(":1\r\n")
	a.expect("*2\r\n$1\r\nk\r\n$1\r\nv\r\n+PONG\r\n$17\r\nsent while parked\r\n")

	// Timeout.
	start := time.Now()
	a.send([]string{"BLPOP", "t", "0.05"})
	a.expect("*-1\r\n")
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Fatalf("0.05 s timeout after %v", d)
	}

	// CLIENT UNBLOCK.
	a.send([]string{"CLIENT", "ID"})
	_ = a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := a.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(strings.TrimPrefix(line, ":"))
	a.send([]string{"BRPOP", "u", "0"})
	waitBlocked(t, env, 1)
	b.send([]string{"CLIENT", "UNBLOCK", id, "ERROR"})
	b.expect(":1\r\n")
	a.expect("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")

	// Wake-ups racing timeouts: every BLPOP gets exactly one reply, and a stale wake-up never
	// breaks the connection's next read.
	for i := 0; i < 200; i++ {
		a.send([]string{"BLPOP", "race", "0.001"})
		if i%2 == 0 {
			b.send([]string{"RPUSH", "race", "x"})
			b.expect(":1\r\n")
		}
		_ = a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		first, err := a.r.ReadString('\n')
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if first == "*2\r\n" {
			a.expect("$4\r\nrace\r\n$1\r\nx\r\n")
		} else if first != "*-1\r\n" {
			t.Fatalf("round %d: reply %q", i, first)
		}
		b.send([]string{"DEL", "race"})
		_ = b.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := b.r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // lets a stale Interrupt land, if there were one
		a.send([]string{"PING"})
		a.expect("+PONG\r\n")
	}

	// A client that disconnects while parked is removed.
	c := dial(t, s)
	c.send([]string{"BLPOP", "gone", "0"})
	waitBlocked(t, env, 1)
	c.c.Close()
	waitBlocked(t, env, 0)

	// Shutting down with a parked client leaves no goroutine behind.
	d := dial(t, s)
	d.send([]string{"BZPOPMIN", "z", "0"})
	waitBlocked(t, env, 1)
	stop()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left (%d before):\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}
