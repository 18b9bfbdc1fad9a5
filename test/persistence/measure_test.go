package persistence

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/cputime"
	"github.com/concord-db/concord/test/testserver"
)

// Issue 6's measurements, side by side with redis-server in the same run (not a check: the
// machine decides the figures). Run it with
//
//	CONCORD_PERSIST_MEASURE=1000000 go test -v -run TestMeasurePersistence -timeout 60m ./test/persistence
//
// (the value is the number of keys; CONCORD_PERSIST_BASE=/path/to/an/older/concord measures
// that binary too, for before/after figures). For each server: N keys `SET key:i value:i`
// written pipelined, SAVE; the restart time (process start to DBSIZE answering N) from the
// snapshot (Concord) or RDB (Redis); then the longest wait a client polling PING every
// millisecond sees while BGSAVE runs, next to the longest without it.
func TestMeasurePersistence(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CONCORD_PERSIST_MEASURE"))
	if n <= 0 {
		t.Skip("set CONCORD_PERSIST_MEASURE=<keys> to measure")
	}
	redis := testserver.NeedTool(t, "redis-server", testserver.SkipMessage)
	servers := []struct {
		name string
		args func(port int, dir string) []string
	}{
		{"redis-server", func(port int, dir string) []string {
			return []string{redis, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
				"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(dir, "log")}
		}},
		{"concord", concordArgs(testserver.ConcordBinary(t))},
	}
	if base := os.Getenv("CONCORD_PERSIST_BASE"); base != "" {
		servers = append(servers, struct {
			name string
			args func(port int, dir string) []string
		}{"concord (base)", concordArgs(base)})
	}
	port := 27400
	for _, s := range servers {
		dir := t.TempDir()
		port++
		p := startProc(t, s.args(port, dir), port)
		c := dialRESP(t, port)
		start := time.Now()
		const batch = 1000
		for i := 0; i < n; i += batch {
			for j := i; j < min(i+batch, n); j++ {
				c.send("SET", "key:"+strconv.Itoa(j), "value:"+strconv.Itoa(j))
			}
			for j := i; j < min(i+batch, n); j++ {
				if r := c.read(t); r != "OK" {
					t.Fatalf("%s: SET: %q", s.name, r)
				}
			}
		}
		t.Logf("%s: %d keys written in %v", s.name, n, time.Since(start).Round(time.Millisecond))
		stall := func(what string, during func()) {
			poll := dialRESP(t, port)
			var lat []time.Duration
			stop := make(chan struct{})
			finished := make(chan struct{})
			go func() {
				defer close(finished)
				for {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					poll.send("PING")
					if err := poll.w.Flush(); err != nil {
						t.Error(err)
						return
					}
					if r, err := poll.reply(); r != "PONG" {
						t.Errorf("PING: %q %v", r, err)
						return
					}
					lat = append(lat, time.Since(t0))
					time.Sleep(time.Millisecond)
				}
			}()
			during()
			close(stop)
			<-finished
			poll.close()
			slices.Sort(lat)
			if len(lat) == 0 {
				t.Fatalf("%s: no PING answered", s.name)
			}
			t.Logf("%s: %s: %d PINGs, p50 %v, p99 %v, max %v", s.name, what, len(lat),
				lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
		}
		stall("no save, 3 s", func() { time.Sleep(3 * time.Second) })
		stall("during BGSAVE", func() {
			start := time.Now()
			if r := c.do(t, "BGSAVE"); !strings.HasPrefix(r, "Background saving started") {
				t.Fatalf("%s: BGSAVE: %q", s.name, r)
			}
			for !strings.Contains(c.do(t, "INFO", "persistence"), "rdb_bgsave_in_progress:0") {
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("%s: BGSAVE took %v", s.name, time.Since(start).Round(time.Millisecond))
		})
		if r := c.do(t, "SAVE"); r != "OK" {
			t.Fatalf("%s: SAVE: %q", s.name, r)
		}
		if fi, err := os.Stat(filepath.Join(dir, "dump.rdb")); err == nil {
			t.Logf("%s: snapshot %d bytes", s.name, fi.Size())
		}
		c.close()
		p.kill(t)
		start = time.Now()
		p = startProc(t, s.args(port, dir), port)
		c = dialRESPWait(t, port, 10*time.Minute)
		for {
			r := c.do(t, "DBSIZE")
			if r == strconv.Itoa(n) {
				break
			}
			if !strings.HasPrefix(r, "LOADING") {
				t.Fatalf("%s: DBSIZE after restart: %q", s.name, r)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("%s: restart from the snapshot: %v to DBSIZE %d (process CPU %v)", s.name,
			time.Since(start).Round(time.Millisecond), n, p.cpu())
		c.close()
		p.kill(t)
	}
}

func concordArgs(bin string) func(port int, dir string) []string {
	return func(port int, dir string) []string {
		return []string{bin, "start", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
			"--save", "", "--appendonly", "no"}
	}
}

type proc struct{ cmd *exec.Cmd }

func startProc(t *testing.T, argv []string, port int) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd}
	t.Cleanup(func() { p.kill(t) })
	return p
}

// cpu is the CPU time the process used so far (user + system; 0 where it cannot be read).
func (p *proc) cpu() time.Duration {
	d, _ := cputime.OfProcess(p.cmd.Process.Pid)
	return d
}

func (p *proc) kill(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// respConn is a minimal RESP client for the measurement (replies flattened to text).
type respConn struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

func dialRESP(t *testing.T, port int) *respConn { return dialRESPWait(t, port, 30*time.Second) }

func dialRESPWait(t *testing.T, port int, wait time.Duration) *respConn {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			return &respConn{nc: nc, r: bufio.NewReaderSize(nc, 1<<16), w: bufio.NewWriterSize(nc, 1<<16)}
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (c *respConn) close() { c.nc.Close() }

func (c *respConn) send(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *respConn) do(t *testing.T, args ...string) string {
	c.send(args...)
	return c.read(t)
}

func (c *respConn) read(t *testing.T) string {
	if err := c.w.Flush(); err != nil {
		t.Fatal(err)
	}
	s, err := c.reply()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (c *respConn) reply() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '+', '-', ':':
		return line[1:], nil
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "(nil)", nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, b); err != nil {
			return "", err
		}
		return string(b[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		var parts []string
		for range n {
			p, err := c.reply()
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, " "), nil
	}
	return "", fmt.Errorf("bad reply %q", line)
}
