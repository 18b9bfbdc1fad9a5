package persist

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// member is one in-process member on a FaultFS: engine, command layer and persistence.
type member struct {
	t      *testing.T
	fs     *FaultFS
	cfg    *config.Config
	e      *engine.Engine
	env    *command.Env
	cl     *command.Client
	p      *Persister
	clk    *clock.Manual
	fatals *fatalLog
}

type fatalLog struct {
	mu   sync.Mutex
	msgs []string
}

func (f *fatalLog) add(msg string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, msg+": "+err.Error())
}

func (f *fatalLog) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.msgs)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testConfig returns a configuration with the given parameters; dir is a real (empty)
// directory because config checks it, while the files live in the FaultFS under that path.
func testConfig(t *testing.T, dir string, params ...string) *config.Config {
	t.Helper()
	cfg := config.Default()
	var b strings.Builder
	b.WriteString("enable-debug-command yes\ndir " + dir + "\nsave \"\"\n")
	for i := 0; i+1 < len(params); i += 2 {
		b.WriteString(params[i] + " " + params[i+1] + "\n")
	}
	path := filepath.Join(t.TempDir(), "concord.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cfg.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// start opens a member on fs (loading what is there). The clock starts at millis.
func start(t *testing.T, fs *FaultFS, cfg *config.Config, millis int64) (*member, error) {
	return startWith(t, fs, fs, cfg, millis)
}

// startWith opens a member whose persister uses files (nil: the operating system's); faults
// is the FaultFS under it that the member's fs field names (nil for the operating system's).
func startWith(t *testing.T, files FS, faults *FaultFS, cfg *config.Config, millis int64) (*member, error) {
	t.Helper()
	clk := &clock.Manual{Millis: millis}
	e := engine.New(engine.Config{Member: 1, Databases: 16, Clock: clk, Seed: 1})
	m := &member{t: t, fs: faults, cfg: cfg, e: e, clk: clk, fatals: &fatalLog{}}
	p, err := Open(e, cfg, quiet, Options{FS: files, Fatal: m.fatals.add,
		Now: func() time.Time { return time.UnixMilli(clk.Millis) }})
	if err != nil {
		return nil, err
	}
	m.p = p
	m.env = command.NewEnv(e, cfg, quiet)
	m.env.SetPersistence(p)
	m.cl = command.NewClient(0)
	e.Lock()
	err = m.env.Connect(m.cl)
	e.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return m, nil
}

func mustStart(t *testing.T, fs *FaultFS, cfg *config.Config, millis int64) *member {
	t.Helper()
	m, err := start(t, fs, cfg, millis)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// do runs a command and returns its RESP reply.
func (m *member) do(args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	m.env.Execute(m.cl, argv)
	var out bytes.Buffer
	if _, err := m.cl.Out.WriteTo(&out); err != nil {
		m.t.Fatal(err)
	}
	return out.String()
}

// state is the member's whole CRDT state (vector clock, HLC, every key with its metadata).
func (m *member) state() []byte {
	m.e.Lock()
	defer m.e.Unlock()
	_, s := m.e.ExportState()
	return s
}

func (m *member) digest() string {
	m.t.Helper()
	d := m.do("DEBUG", "DIGEST")
	if !strings.HasPrefix(d, "+") || d == "+0000000000000000000000000000000000000000\r\n" {
		m.t.Fatalf("DEBUG DIGEST: %q", d)
	}
	return d
}

// workload writes keys of every type there is.
var workload = [][]string{
	{"SET", "s1", "hello"},
	{"SET", "s2", "x", "PX", "99999999"},
	{"INCRBY", "n", "5"},
	{"INCRBYFLOAT", "f", "1.5"},
	{"APPEND", "s1", " world"},
	{"SETRANGE", "s3", "3", "abc"},
	{"SETBIT", "bits", "100", "1"},
	{"SADD", "set", "a", "b", "c"},
	{"SREM", "set", "b"},
	{"HSET", "h", "f1", "v1", "f2", "v2"},
	{"HINCRBY", "h", "cnt", "7"},
	{"HDEL", "h", "f2"},
	{"ZADD", "z", "1", "one", "2", "two", "3", "three"},
	{"ZINCRBY", "z", "10", "one"},
	{"ZREM", "z", "two"},
	{"RPUSH", "l", "a", "b", "c", "d"},
	{"LPOP", "l"},
	{"LSET", "l", "0", "B"},
	{"PFADD", "hll", "x", "y", "z"},
	{"EXPIRE", "set", "100000"},
	{"SET", "gone", "1"},
	{"DEL", "gone"},
	{"MULTI"},
	{"SET", "tx1", "1"},
	{"INCR", "n"},
	{"EXEC"},
	{"SELECT", "3"},
	{"SET", "db3", "v"},
	{"SELECT", "0"},
}

// run runs the workload, failing on error replies.
func (m *member) run(cmds [][]string) {
	m.t.Helper()
	for _, c := range cmds {
		if r := m.do(c...); strings.HasPrefix(r, "-") {
			m.t.Fatalf("%q: %q", c, r)
		}
	}
}

// setOp is a SET of key to "v" as an effect operation.
func setOp(key string) effect.Op {
	return effect.Op{Kind: effect.StringSet, Key: key, Value: []byte("v")}
}
