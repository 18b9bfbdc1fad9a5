// Package testserver starts redis-server and Concord for tests and talks raw RESP to them.
//
// Environment:
//
//	CONCORD_REQUIRE_REDIS=1   a missing redis-server (or redis-cli) fails the test instead of skipping it (CI sets it)
//	CONCORD_DIFF_AGAINST=redis  StartTarget starts a second redis-server instead of Concord (validates the harness)
//	CONCORD_BIN=/path         use this Concord binary instead of building ./cmd/concord
package testserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SkipMessage is the message of the skip (or, under CONCORD_REQUIRE_REDIS=1, the failure) when
// redis-server is not installed. CI greps for it.
const SkipMessage = "redis-server not found on PATH: install redis-server (apt-get install redis-server) to run differential tests"

// StartTimeout is how long a server gets to answer its first PING.
const StartTimeout = 10 * time.Second

// Kind names the implementation behind a Server.
type Kind string

const (
	KindRedis   Kind = "redis"
	KindConcord Kind = "concord"
)

// Server is a running redis-server or Concord process.
type Server struct {
	Kind Kind
	// Password is the value of a --requirepass argument, if one was given.
	Password string

	port int
	dir  string
	args []string
	cmd  *exec.Cmd
	log  *tailBuffer
	done chan struct{} // closed when the process exits
	err  error         // exit status, valid after done
}

// RequireRedis reports whether CONCORD_REQUIRE_REDIS is set, i.e. a missing redis-server must fail.
func RequireRedis() bool {
	v := os.Getenv("CONCORD_REQUIRE_REDIS")
	return v != "" && v != "0" && v != "false"
}

// AgainstRedis reports whether CONCORD_DIFF_AGAINST=redis, i.e. the "Concord" side of differential
// tests is a second redis-server.
func AgainstRedis() bool { return strings.EqualFold(os.Getenv("CONCORD_DIFF_AGAINST"), "redis") }

// NeedTool skips the test when the named program is not on PATH (fails under
// CONCORD_REQUIRE_REDIS=1) and returns its path.
func NeedTool(t testing.TB, name, msg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if RequireRedis() {
			t.Fatalf("%s (CONCORD_REQUIRE_REDIS=1)", msg)
		}
		t.Skip(msg)
	}
	return p
}

// StartRedis starts redis-server on a free loopback port with --save ” --appendonly no in a
// temporary directory, with args appended (a leading "--config FILE" pair is passed as redis-server's
// config-file argument). It is stopped when the test ends.
func StartRedis(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := NeedTool(t, "redis-server", SkipMessage)
	var conf []string
	var rest []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--config" && i+1 < len(args) {
			conf = append(conf, args[i+1])
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	return start(t, KindRedis, args, func(port int, dir string) []string {
		a := append([]string{}, conf...)
		a = append(a, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
		return append([]string{bin}, append(a, rest...)...)
	})
}

// StartConcord builds ./cmd/concord (once per test binary) and starts it with
// "start --bind 127.0.0.1 --port P --dir TMP" and args. It fails the test if the server exits or does
// not answer PING within StartTimeout, and kills it when the test ends.
func StartConcord(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := ConcordBinary(t)
	return start(t, KindConcord, args, func(port int, dir string) []string {
		return append([]string{bin, "start", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir}, args...)
	})
}

// StartTarget starts the server under test: Concord, or redis-server when CONCORD_DIFF_AGAINST=redis.
// redisArgs are added only when the target is redis-server (e.g. --enable-debug-command).
func StartTarget(t testing.TB, args []string, redisArgs ...string) *Server {
	t.Helper()
	if AgainstRedis() {
		return StartRedis(t, append(append([]string{}, args...), redisArgs...)...)
	}
	return StartConcord(t, args...)
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
	buildDir  string
)

// ConcordBinary returns the path of a Concord binary: $CONCORD_BIN, or ./cmd/concord built once
// per test binary into a temporary directory.
func ConcordBinary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("CONCORD_BIN"); b != "" {
		os.Stat(b) // recorded by go test's cache: a new binary reruns the tests
		return b
	}
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		statSources(root)
		buildDir, err = os.MkdirTemp("", "concord-testbin-")
		if err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(buildDir, "concord")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/concord")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/concord (in %s): %v\n%s", root, err, out)
			return
		}
		buildBin = bin
	})
	if buildErr != nil {
		t.Fatalf("building Concord: %v", buildErr)
	}
	return buildBin
}

// statSources stats every file of the module. go test caches a package's results keyed on its test
// binary and on the files the tests consulted; the Concord binary is built from sources the test
// binary does not contain, so without this a cached (and stale) result would be reported after a
// change to the server.
func statSources(root string) {
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			os.Stat(path)
		}
		return nil
	})
}

// Main runs the tests and removes the Concord binary built for them. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// ModuleRoot finds the directory of the github.com/concord-db/concord go.mod, walking up from the
// working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module github.com/concord-db/concord")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root (go.mod of github.com/concord-db/concord) not found above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a currently free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(t testing.TB, kind Kind, args []string, argv func(port int, dir string) []string) *Server {
	t.Helper()
	var last *Server
	for attempt := 0; attempt < 5; attempt++ {
		s, err := startOnce(t, kind, args, argv)
		if err == nil {
			return s
		}
		last = s
		if s == nil || !strings.Contains(strings.ToLower(s.log.String()), "address already in use") {
			if s != nil {
				t.Fatalf("%s did not start: %v (its output is logged below)", kind, err)
			}
			t.Fatalf("%s did not start: %v", kind, err)
		}
	}
	t.Fatalf("%s did not start: no free port after 5 attempts\n%s", kind, last.log.String())
	return nil
}

func startOnce(t testing.TB, kind Kind, args []string, argv func(port int, dir string) []string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	s := &Server{Kind: kind, port: port, dir: dir, args: args, log: &tailBuffer{max: 256 << 10}, done: make(chan struct{})}
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--requirepass" {
			s.Password = args[i+1]
		}
	}
	a := argv(port, dir)
	s.cmd = exec.Command(a[0], a[1:]...)
	s.cmd.Dir = dir
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("%s (%s) output:\n%s", kind, strings.Join(a, " "), s.log.String())
		}
	})
	if err := s.waitReady(); err != nil {
		s.Stop()
		return s, err
	}
	return s, nil
}

func (s *Server) waitReady() error {
	deadline := time.Now().Add(StartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("exited before answering PING: %v", s.err)
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			_, err = c.Write([]byte("*1\r\n$4\r\nPING\r\n"))
			var rep []byte
			if err == nil {
				rep, err = readRawReply(bufio.NewReader(c))
			}
			c.Close()
			// Any well-formed reply but -LOADING (e.g. +PONG, or -NOAUTH with --requirepass) means ready.
			if err == nil && !bytes.HasPrefix(rep, []byte("-LOADING")) {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("did not answer PING within %v", StartTimeout)
}

// Stop kills the server and waits for it to exit. It is safe to call more than once.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// Exited reports whether the process has exited.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Pid is the process id of the server.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Port is the TCP port of the server.
func (s *Server) Port() int { return s.port }

// Dir is the server's working/data directory.
func (s *Server) Dir() string { return s.dir }

// Output returns the last 256 KiB of the server's stdout and stderr.
func (s *Server) Output() string { return s.log.String() }

// Name is a short label for failure messages, like "redis:6379".
func (s *Server) Name() string { return fmt.Sprintf("%s:%d", s.Kind, s.port) }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
	cut bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
		b.cut = true
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut {
		return "[...]\n" + string(b.buf)
	}
	return string(b.buf)
}
