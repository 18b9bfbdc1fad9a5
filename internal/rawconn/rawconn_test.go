//go:build linux

package rawconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestOnlyForTCP(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if New(a) != nil {
		t.Fatal("raw I/O for a non-TCP connection")
	}
	s, _ := tcpPair(t)
	if New(s) == nil {
		t.Fatal("no raw I/O for a TCP connection")
	}
}

// A write larger than the socket buffers fills them (EAGAIN) and must wait for the reader and
// go on where it stopped; reads must deliver everything in order, then EOF.
func TestLargeTransfer(t *testing.T) {
	s, c := tcpPair(t)
	raw := New(s)
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // let the writer fill the buffers first
		b, _ := io.ReadAll(c)
		got <- b
	}()
	n, err := raw.Write(data)
	if err != nil || n != len(data) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(data))
	}
	s.(*net.TCPConn).CloseWrite()
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("peer read %d bytes, not what was written", len(b))
	}

	// The other direction, in small pieces.
	go func() {
		for i := 0; i < len(data); i += 1000 {
			c.Write(data[i:min(i+1000, len(data))])
		}
		c.(*net.TCPConn).CloseWrite()
	}()
	var all []byte
	buf := make([]byte, 4096)
	for {
		n, err := raw.Read(buf)
		all = append(all, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("Read returned 0 bytes and no error")
		}
	}
	if !bytes.Equal(all, data) {
		t.Fatalf("read %d bytes, not what the peer wrote", len(all))
	}
}

// The idle timeout and the wake-up of a parked client rely on read deadlines.
func TestReadDeadline(t *testing.T) {
	s, c := tcpPair(t)
	raw := New(s)
	s.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	n, err := raw.Read(make([]byte, 10))
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %d, %v; want a deadline error", n, err)
	}
	// After the deadline is lifted, reading works again.
	s.SetReadDeadline(time.Time{})
	c.Write([]byte("ping"))
	buf := make([]byte, 10)
	n, err = raw.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
}

// CLIENT KILL and shutdown close the connection from another goroutine: a pending read ends.
func TestCloseEndsRead(t *testing.T) {
	s, _ := tcpPair(t)
	raw := New(s)
	done := make(chan error, 1)
	go func() {
		_, err := raw.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still pending after Close")
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}
}

// A peer that resets the connection makes writes fail instead of hanging.
func TestWriteToResetPeer(t *testing.T) {
	s, c := tcpPair(t)
	raw := New(s)
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = raw.Write(make([]byte, 64<<10))
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		t.Fatal("writes to a reset connection kept succeeding")
	}
}
