// Command concord runs Concord, a Redis-compatible active-active database.
//
//	concord start [--config FILE] [--port N] [--<any config parameter> VALUE...]
//	concord version
//	concord status --addr HOST:PORT [--password P] [--once]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/node"
)

const usage = `Concord: a Redis-compatible database in which every region writes locally and all converge.

Usage:
  concord start [--config FILE] [--PARAMETER VALUE ...]   start one member
  concord version                                         print the version
  concord check-aof [--fix] FILE                          check (and repair) an append-only file
  concord status --addr HOST:PORT [--password P] [--once] watch a member: peers, lag, conflicts

Every Redis configuration parameter can be given as a flag (--port 7000, --bind 127.0.0.1,
--dir ./data, --requirepass secret, --maxclients 100, --databases 16, --log-level debug);
flags override the configuration file.

Active-active: give every member its id, a peer port, the shared secret and its peers
(--peer repeats), e.g.
  concord start --port 7001 --member-id 1 --member-name us --peer-port 17001 \
    --peer-secret S --peer 2=127.0.0.1:17002 --peer 3=127.0.0.1:17003
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "start":
		return start(args[1:], stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "concord %s (Redis %s compatible)\n", command.Version, command.RedisVersion)
		return 0
	case "check-aof":
		return checkAOF(args[1:], os.Stdin, stdout, stderr)
	case "demo":
		return demo(args[1:], stdout, stderr)
	case "status":
		return status(args[1:], stdout, stderr)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "concord: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func start(args []string, stderr io.Writer) int {
	cfg, err := loadConfig(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	n, err := node.New(cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("CONCORD_CPUPROFILE"); path != "" {
		// Developer aid: profile the whole run (see docs/benchmarks.md).
		f, err := os.Create(path)
		if err != nil {
			log.Error("cannot create CPU profile", "err", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Error("cannot start CPU profile", "err", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if err := n.Run(ctx); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

// loadConfig reads --config FILE, then applies every other flag on top of it as redis-server
// does with its command-line options (as if they were lines appended to the file).
func loadConfig(args []string) (*config.Config, error) {
	cfg := config.Default()
	var path string
	var directives [][]string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			return nil, fmt.Errorf("concord: unexpected argument %q (flags look like --port 7000)", a)
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		vals := []string{value}
		if !hasValue {
			// Like redis-server, a parameter takes every following word up to the next flag.
			vals = nil
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
				i++
				vals = append(vals, args[i])
			}
			if len(vals) == 0 {
				return nil, fmt.Errorf("concord: flag --%s needs a value", name)
			}
		}
		switch name {
		case "config":
			if len(vals) != 1 {
				return nil, fmt.Errorf("concord: --config takes one file")
			}
			path = vals[0]
			continue
		case "log-level":
			name = "loglevel"
		case "dir":
			// A data directory that does not exist yet is created (Redis would refuse).
			if err := os.MkdirAll(vals[0], 0o755); err != nil {
				return nil, fmt.Errorf("concord: --dir %s: %w", vals[0], err)
			}
		}
		directives = append(directives, append([]string{name}, vals...))
	}
	if err := cfg.Load(path, directives); err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) && fe.Path == config.CommandLine && fe.Line >= 1 && fe.Line <= len(directives) {
			d := directives[fe.Line-1]
			return nil, fmt.Errorf("concord: --%s %s: %s", d[0], strings.Join(d[1:], " "), fe.Reason)
		}
		return nil, err
	}
	return cfg, nil
}

// newLogger logs to the logfile setting (stderr when empty) at the loglevel setting, which
// CONFIG SET changes at once.
func newLogger(cfg *config.Config, stderr io.Writer) (*slog.Logger, error) {
	w := stderr
	if name := cfg.String("logfile"); name != "" {
		if !filepath.IsAbs(name) {
			name = filepath.Join(cfg.String("dir"), name)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("concord: cannot open the log file: %w", err)
		}
		w = f
	}
	var level slog.LevelVar
	level.Set(slogLevel(cfg.String("loglevel")))
	cfg.OnChange(func(name, value string) {
		if name == "loglevel" {
			level.Set(slogLevel(value))
		}
	})
	opts := &slog.HandlerOptions{Level: &level}
	if cfg.String("log-format") == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// slogLevel maps Redis's log levels (debug, verbose, notice, warning, nothing) to slog's.
func slogLevel(l string) slog.Level {
	switch l {
	case "debug":
		return slog.LevelDebug
	case "verbose":
		return slog.LevelDebug + 2
	case "warning":
		return slog.LevelWarn
	case "nothing":
		return slog.LevelError + 100
	}
	return slog.LevelInfo
}
