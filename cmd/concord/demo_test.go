package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/resp"
)

// buildConcord builds this command into a temporary directory ($CONCORD_BIN if set).
func buildConcord(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("CONCORD_BIN"); b != "" {
		return b
	}
	bin := t.TempDir() + "/concord"
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// consecutiveFreePorts finds n consecutive ports free on 127.0.0.1 (the demo's client ports).
func consecutiveFreePorts(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		var held []net.Listener
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
		base := l.Addr().(*net.TCPAddr).Port
		ok := base+n-1 <= 65535
		for i := 1; i < n && ok; i++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+i)))
			if err != nil {
				ok = false
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports found", n)
	return 0
}

// do runs one command on a fresh connection and returns the raw reply.
func do(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(resp.AppendCommand(nil, args...)); err != nil {
		return "", err
	}
	raw, err := resp.ReadRawReply(bufio.NewReader(c))
	return string(raw), err
}

// TestDemo runs the concord binary's demo subcommand (built once for both subtests).
func TestDemo(t *testing.T) {
	bin := buildConcord(t)
	t.Run("sum", func(t *testing.T) { testDemoSum(t, bin) })
	t.Run("port_in_use", func(t *testing.T) { testDemoPortInUse(t, bin) })
}

// testDemoSum starts `concord demo`, increments one counter concurrently on two members, waits
// until both see the sum, then interrupts it: it must exit 0 promptly and remove its
// temporary data directory.
func testDemoSum(t *testing.T, bin string) {
	base := consecutiveFreePorts(t, 3)
	cmd := exec.Command(bin, "demo", "--port", strconv.Itoa(base), "--latency", "30ms", "--jitter", "5ms")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var output strings.Builder
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("demo stdout:\n%s\ndemo stderr:\n%s", output.String(), stderr.String())
		}
	})

	// Wait for the welcome text; it names the data directory and every member's redis-cli.
	var dataDir string
	ready := false
	deadline := time.After(30 * time.Second)
	for !ready {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("demo exited before it was ready: %v", <-exited)
			}
			output.WriteString(line + "\n")
			if d, ok := strings.CutPrefix(line, "Data: "); ok {
				dataDir = strings.TrimSuffix(d, " (removed on exit)")
			}
			ready = strings.Contains(line, "Ctrl-C")
		case <-deadline:
			t.Fatal("demo did not print its welcome within 30s")
		}
	}
	for i := range 3 {
		if want := fmt.Sprintf("redis-cli -p %d", base+i); !strings.Contains(output.String(), want) {
			t.Fatalf("welcome does not say %q", want)
		}
	}
	if _, err := os.Stat(dataDir); err != nil {
		t.Fatalf("data directory %q: %v", dataDir, err)
	}

	a := net.JoinHostPort("127.0.0.1", strconv.Itoa(base))
	b := net.JoinHostPort("127.0.0.1", strconv.Itoa(base+1))
	type result struct {
		rep string
		err error
	}
	ra, rb := make(chan result), make(chan result)
	go func() { r, err := do(a, "INCRBY", "visits", "5"); ra <- result{r, err} }()
	go func() { r, err := do(b, "INCRBY", "visits", "3"); rb <- result{r, err} }()
	if r := <-ra; r.err != nil || r.rep != ":5\r\n" && r.rep != ":8\r\n" {
		t.Fatalf("INCRBY visits 5 on us: %q, %v", r.rep, r.err)
	}
	if r := <-rb; r.err != nil || r.rep != ":3\r\n" && r.rep != ":8\r\n" {
		t.Fatalf("INCRBY visits 3 on eu: %q, %v", r.rep, r.err)
	}
	var gotA, gotB string
	until := time.Now().Add(20 * time.Second)
	for {
		gotA, err = do(a, "GET", "visits")
		if err != nil {
			t.Fatal(err)
		}
		gotB, err = do(b, "GET", "visits")
		if err != nil {
			t.Fatal(err)
		}
		if gotA == "$1\r\n8\r\n" && gotB == "$1\r\n8\r\n" {
			break
		}
		if time.Now().After(until) {
			t.Fatalf("after 20s GET visits is %q on us and %q on eu, want \"8\" on both", gotA, gotB)
		}
		time.Sleep(20 * time.Millisecond)
	}

	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGINT, want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo still running 10s after SIGINT")
	}
	t.Logf("stopped %v after SIGINT", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("temporary data directory %s still there after exit (%v)", dataDir, err)
	}
	if _, err := do(a, "PING"); err == nil {
		t.Fatal("member us still answers after the demo exited")
	}
}

func TestDemoFlags(t *testing.T) {
	var out, errb strings.Builder
	for _, args := range [][]string{{"--members", "1"}, {"--members", "65"}, {"--latency", "-1s"}, {"extra"}, {"--port", "65535"}, {"--nope"}} {
		out.Reset()
		errb.Reset()
		if code := demo(args, &out, &errb); code != 2 {
			t.Errorf("demo %q exited %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
}

// testDemoPortInUse: a client port already taken stops the demo with exit code 1 and a
// message naming the port, after releasing what it had started.
func testDemoPortInUse(t *testing.T, bin string) {
	base := consecutiveFreePorts(t, 3)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+1)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command(bin, "demo", "--port", strconv.Itoa(base))
	tmp := t.TempDir()
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit code %d (%v), want 1; output:\n%s", code, err, out)
	}
	if want := fmt.Sprintf("port %d", base+1); !strings.Contains(string(out), want) {
		t.Fatalf("output does not name %q:\n%s", want, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("the temporary data directory was left behind: %v", left[0].Name())
	}
}
