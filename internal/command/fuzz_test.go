package command

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
)

// FuzzExecute sends arbitrary argument vectors (NUL-separated words, newline-separated
// commands) through dispatch and every handler: none may panic (a panic would be recovered,
// logged and replied to; here it fails the run), and every reply must be well formed.
func FuzzExecute(f *testing.F) {
	for _, seed := range []string{
		"SET\x00k\x00v\nGET\x00k",
		"SET\x00k\x0010\nINCRBYFLOAT\x00k\x001e308\nINCRBYFLOAT\x00k\x001e308",
		"SETRANGE\x00k\x00536870911\x00x",
		"BITFIELD\x00b\x00SET\x00i64\x00#1\x00-1\x00INCRBY\x00u63\x000\x001",
		"MULTI\nSET\x00a\x001\nEXEC",
		"SUBSCRIBE\x00c\nPUBLISH\x00c\x00m\nUNSUBSCRIBE",
		"EXPIRE\x00k\x009223372036854775807\nPEXPIREAT\x00k\x00-1",
		"SCAN\x0018446744073709551615\x00COUNT\x000\x00MATCH\x00[",
		"CONFIG\x00SET\x00maxclients\x000\nCONFIG\x00GET\x00*",
		"HELLO\x003\x00AUTH\x00default\x00x\nCLIENT\x00KILL\x00ID\x001",
		"LCS\x00a\x00b\x00IDX\x00MINMATCHLEN\x00-1\x00WITHMATCHLEN",
		"RENAME\x00k\x00k\nCOPY\x00k\x00j\x00DB\x0099\nMOVE\x00j\x00-1\nSWAPDB\x000\x0015",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		cfg := config.Default()
		if err := cfg.Load("", [][]string{{"enable-debug-command", "yes"}}); err != nil {
			t.Fatal(err)
		}
		e := engine.New(engine.Config{Member: 1, Databases: 16, Seed: 1})
		env := NewEnv(e, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		cl := NewClient(0)
		e.Lock()
		if err := env.Connect(cl); err != nil {
			t.Fatal(err)
		}
		e.Unlock()
		for _, line := range strings.Split(script, "\n") {
			args := bytes.Split([]byte(line), []byte{0})
			if len(args) == 0 || len(args[0]) == 0 {
				continue
			}
			if strings.EqualFold(string(args[0]), "debug") && len(args) > 1 &&
				(strings.EqualFold(string(args[1]), "sleep") || strings.EqualFold(string(args[1]), "log")) {
				continue // sleeping and logging are not what this looks for
			}
			if strings.EqualFold(string(args[0]), "shutdown") {
				continue
			}
			env.Execute(cl, args)
			var out bytes.Buffer
			cl.Out.WriteTo(&out)
			if bytes.Contains(out.Bytes(), []byte("internal error while executing")) {
				t.Fatalf("a handler panicked on %q", line)
			}
		}
	})
}
