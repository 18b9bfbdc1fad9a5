package wanproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer accepts connections and echoes every byte back until the client half-closes,
// then half-closes too. It is stopped when the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func listen(t *testing.T, target string, opts Options) *Proxy {
	t.Helper()
	p, err := Listen("127.0.0.1:0", target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readN reads exactly n bytes within d.
func readN(c net.Conn, n int, d time.Duration) ([]byte, error) {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, n)
	_, err := io.ReadFull(c, buf)
	return buf, err
}

func TestForwardsBothWays(t *testing.T) {
	p := listen(t, echoServer(t), Options{})
	c := dial(t, p.Addr())
	msg := bytes.Repeat([]byte("concord "), 1_000_000) // larger than the proxy's queue
	start := time.Now()
	go c.Write(msg)
	got, err := readN(c, len(msg), 20*time.Second)
	t.Logf("%d bytes each way in %v", len(msg), time.Since(start).Round(time.Millisecond))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through the proxy: %v (equal=%v)", err, bytes.Equal(got, msg))
	}
	if s := p.Stats(); s.BytesUp != uint64(len(msg)) || s.BytesDown != uint64(len(msg)) || s.Accepted != 1 {
		t.Fatalf("stats %+v, want %d bytes each way and 1 connection", s, len(msg))
	}
}

func TestHalfClose(t *testing.T) {
	p := listen(t, echoServer(t), Options{})
	c := dial(t, p.Addr())
	c.Write([]byte("bye"))
	c.CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye" {
		t.Fatalf("after half-close read %q, %v; want \"bye\" then EOF", got, err)
	}
	waitFor(t, "connection to be released", func() bool { return p.Stats().Conns == 0 })
}

func TestLatency(t *testing.T) {
	const lat = 60 * time.Millisecond
	p := listen(t, echoServer(t), Options{Latency: lat})
	c := dial(t, p.Addr())
	start := time.Now()
	c.Write([]byte("x"))
	if _, err := readN(c, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	rtt := time.Since(start)
	t.Logf("round trip through %v one way: %v", lat, rtt)
	if rtt < 2*lat {
		t.Fatalf("round trip %v, want at least 2 x %v", rtt, lat)
	}
	if rtt > 2*lat+time.Second {
		t.Fatalf("round trip %v, far above 2 x %v", rtt, lat)
	}

	p.SetLatency(0, 0)
	start = time.Now()
	c.Write([]byte("y"))
	if _, err := readN(c, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt >= 2*lat {
		t.Fatalf("after SetLatency(0, 0) the round trip is still %v", rtt)
	}
}

func TestJitterKeepsOrder(t *testing.T) {
	p := listen(t, echoServer(t), Options{Latency: time.Millisecond, Jitter: 20 * time.Millisecond})
	c := dial(t, p.Addr())
	var want bytes.Buffer
	go func() {
		for i := range 200 {
			c.Write([]byte{byte(i)})
			time.Sleep(100 * time.Microsecond)
		}
	}()
	for i := range 200 {
		want.WriteByte(byte(i))
	}
	got, err := readN(c, 200, 10*time.Second)
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("jittered stream arrived as %v (%v), want bytes 0..199 in order", got, err)
	}
}

func TestPauseHoldsBytes(t *testing.T) {
	p := listen(t, echoServer(t), Options{})
	c := dial(t, p.Addr())
	c.Write([]byte("a"))
	if _, err := readN(c, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Pause()
	if !p.Paused() {
		t.Fatal("Paused() is false after Pause")
	}
	c.Write([]byte("held"))
	if got, err := readN(c, 1, 200*time.Millisecond); err == nil {
		t.Fatalf("read %q while paused", got)
	}
	// A connection opened while paused is accepted, and its bytes are held too.
	c2 := dial(t, p.Addr())
	c2.Write([]byte("new"))
	if got, err := readN(c2, 1, 100*time.Millisecond); err == nil {
		t.Fatalf("read %q on a new connection while paused", got)
	}
	p.Resume()
	if got, err := readN(c, 4, 5*time.Second); err != nil || string(got) != "held" {
		t.Fatalf("after Resume read %q, %v; want \"held\"", got, err)
	}
	if got, err := readN(c2, 3, 5*time.Second); err != nil || string(got) != "new" {
		t.Fatalf("after Resume read %q, %v on the new connection; want \"new\"", got, err)
	}
}

func TestPauseBackpressureLosesNothing(t *testing.T) {
	p := listen(t, echoServer(t), Options{})
	c := dial(t, p.Addr())
	p.Pause()
	// Far more than the proxy queues: the rest waits in socket buffers, the writer blocks.
	msg := bytes.Repeat([]byte("0123456789abcdef"), 300_000)
	wrote := make(chan error, 1)
	go func() { _, err := c.Write(msg); wrote <- err }()
	time.Sleep(200 * time.Millisecond)
	if s := p.Stats(); s.BytesUp != 0 {
		t.Fatalf("%d bytes delivered while paused", s.BytesUp)
	}
	p.Resume()
	got, err := readN(c, len(msg), 20*time.Second)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("after Resume: %v, equal=%v", err, bytes.Equal(got, msg))
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}

func TestCutAndHeal(t *testing.T) {
	p := listen(t, echoServer(t), Options{})
	c := dial(t, p.Addr())
	c.Write([]byte("a"))
	if _, err := readN(c, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if !p.IsCut() {
		t.Fatal("IsCut() is false after Cut")
	}
	if _, err := readN(c, 1, 5*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("an open connection survived Cut: read error %v", err)
	}
	// New connections are refused: reset with nothing forwarded (the reset may already
	// arrive during the dial).
	if c2, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second); err == nil {
		defer c2.Close()
		c2.Write([]byte("b"))
		if _, err := readN(c2, 1, 5*time.Second); err == nil || isTimeout(err) {
			t.Fatalf("a connection opened while cut was not refused: read error %v", err)
		}
	}
	waitFor(t, "refusal to be counted", func() bool { return p.Stats().Refused >= 1 })
	p.Heal()
	c3 := dial(t, p.Addr())
	c3.Write([]byte("c"))
	if got, err := readN(c3, 1, 5*time.Second); err != nil || string(got) != "c" {
		t.Fatalf("after Heal read %q, %v", got, err)
	}
}

func TestHealKeepsPause(t *testing.T) {
	p := listen(t, echoServer(t), Options{})
	p.Pause()
	p.Cut()
	p.Heal()
	c := dial(t, p.Addr())
	c.Write([]byte("x"))
	if got, err := readN(c, 1, 200*time.Millisecond); err == nil {
		t.Fatalf("read %q: Heal ended the pause", got)
	}
	p.Resume()
	if _, err := readN(c, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := ln.Addr().String()
	ln.Close()
	p := listen(t, target, Options{})
	c := dial(t, p.Addr())
	if _, err := readN(c, 1, 5*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("connection to a dead target stayed open: %v", err)
	}
}

func TestTargetClosesConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	p := listen(t, ln.Addr().String(), Options{Latency: 10 * time.Millisecond})
	c := dial(t, p.Addr())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hi" {
		t.Fatalf("read %q, %v; want \"hi\" then EOF", got, err)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	target := echoServer(t)
	before := runtime.NumGoroutine()
	p, err := Listen("127.0.0.1:0", target, Options{Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	for range 3 {
		c := dial(t, p.Addr())
		c.Write([]byte("stuck behind an hour of latency"))
		conns = append(conns, c)
	}
	p2, err := Listen("127.0.0.1:0", target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p2.Pause()
	c := dial(t, p2.Addr())
	c.Write([]byte("held"))
	conns = append(conns, c)
	waitFor(t, "connections to be accepted", func() bool { return p.Stats().Conns == 3 && p2.Stats().Conns == 1 })

	done := make(chan struct{})
	go func() { p.Close(); p2.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, c := range conns {
		c.Close()
	}
	// The echo server's handlers end once their clients are gone.
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("a closed proxy still accepts connections")
	}
}

func TestListenErrors(t *testing.T) {
	if _, err := Listen("127.0.0.1:0", "127.0.0.1:1", Options{Latency: -1}); err == nil {
		t.Fatal("negative latency accepted")
	}
	if _, err := Listen("256.0.0.1:0", "127.0.0.1:1", Options{}); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("bad listen address: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Retarget resets the current connections and sends new ones to the new target.
func TestRetarget(t *testing.T) {
	p := listen(t, echoServer(t), Options{})
	c := dial(t, p.Addr())
	c.Write([]byte("a"))
	if _, err := readN(c, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts and never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	p.Retarget(silent.Addr().String())
	if p.Target() != silent.Addr().String() {
		t.Fatalf("Target() = %s after Retarget", p.Target())
	}
	if _, err := readN(c, 1, 5*time.Second); err == nil || isTimeout(err) {
		t.Fatalf("a connection to the old target survived Retarget: read error %v", err)
	}
	c2 := dial(t, p.Addr())
	c2.Write([]byte("b"))
	if got, err := readN(c2, 1, 300*time.Millisecond); err == nil {
		t.Fatalf("read %q: the new connection still reached the echo server", got)
	}
}
