package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FileError is a configuration file error, reported like Redis does.
type FileError struct {
	Path   string // the file being read
	Line   int    // 1-based line number; 0 when the error is not about a line
	Text   string // the line, trimmed
	Reason string // e.g. "argument couldn't be parsed into an integer"
}

// Error formats the error as Redis prints it on startup (with "Concord" in
// place of the Redis version):
//
//	*** FATAL CONFIG FILE ERROR (Concord) ***
//	Reading the configuration file, at line 2
//	>>> 'port abc'
//	argument couldn't be parsed into an integer
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("*** FATAL CONFIG FILE ERROR (Concord) ***\n")
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n>>> '%s'\n", e.Line, e.Text)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// maxIncludeDepth bounds include recursion (Redis has no bound and crashes
// on an include loop).
const maxIncludeDepth = 16

// loadState is the state of one LoadFile.
type loadState struct {
	vals       []value
	seen       map[int]bool // repeatable directives already met (save, peer)
	directives [][]string
}

// LoadFile reads a redis.conf-style file: one directive per line, blank
// lines and lines starting with '#' ignored, arguments split as Redis's
// sdssplitargs does (quotes, escapes). Every Redis 7.0 parameter and alias
// is accepted, immutable ones included; "include <path or glob>" reads
// another file (relative paths are relative to the working directory, as
// in Redis; a glob that matches nothing is ignored); rename-command, user,
// loadmodule, module parameters and sentinel are kept for the server (see
// Directives); the deprecated list-max-ziplist-entries/-value and
// lua-replicate-commands are ignored as in Redis 7.0. Several "save" (or
// "peer") lines add up; the first one replaces the default.
//
// The load is all or nothing: on error the configuration is unchanged and
// the error is a *FileError naming the file and line. On success File
// returns the file's absolute path and the OnChange callbacks run for the
// parameters that changed.
func (c *Config) LoadFile(path string) error { return c.Load(path, nil) }

// CommandLine is the name errors give to directives passed by Load's extra argument.
const CommandLine = "(command line)"

// Load reads the file at path (none when path is "") and then the directives in extra, as
// redis-server does with its command-line options: they are applied as if appended to the file,
// so they may set everything a file may (immutable parameters included) and override it. The
// load is all or nothing; an error in extra names CommandLine and the directive's position.
func (c *Config) Load(path string, extra [][]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	st := &loadState{vals: append([]value(nil), old.vals...), seen: map[int]bool{},
		directives: append([][]string(nil), old.directives...)}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return &FileError{Path: path, Reason: fmt.Sprintf("Fatal error, can't open config file '%s': %s", path, strerror(err))}
		}
		if err := st.loadString(path, string(data), 0); err != nil {
			return err
		}
	}
	if len(extra) > 0 {
		lines := make([]string, len(extra))
		for i, args := range extra {
			quoted := make([]string, len(args))
			for j, a := range args {
				quoted[j] = quoteArg(a)
			}
			lines[i] = strings.Join(quoted, " ")
		}
		if err := st.loadString(CommandLine, strings.Join(lines, "\n"), 0); err != nil {
			return err
		}
	}
	if err := st.sanityCheck(path); err != nil {
		return err
	}
	file := old.file
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		file = abs
	}
	var changed []int
	for id := range st.vals {
		if st.vals[id] != old.vals[id] {
			changed = append(changed, id)
		}
	}
	c.commit(&snapshot{vals: st.vals, file: file, directives: st.directives}, changed)
	return nil
}

// quoteArg writes an argument so that SplitArgs reads it back unchanged.
func quoteArg(a string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(a); i++ {
		switch c := a[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// loadString is loadServerConfigFromString for one file's content.
func (st *loadState) loadString(path, content string, depth int) error {
	lines := strings.Split(content, "\n")
	for i, raw := range lines {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(reason string) error {
			return &FileError{Path: path, Line: i + 1, Text: cString(line), Reason: reason}
		}
		args, ok := SplitArgs(line)
		if !ok {
			return fail("Unbalanced quotes in configuration line")
		}
		if len(args) == 0 {
			continue
		}
		args[0] = asciiLower(args[0])
		if reason, handled := st.setDirective(args); handled {
			if reason != "" {
				return fail(reason)
			}
			continue
		}
		name, argc := args[0], len(args)
		switch {
		case (name == "list-max-ziplist-entries" || name == "list-max-ziplist-value" ||
			name == "lua-replicate-commands") && argc == 2:
			// Deprecated: accepted and ignored.
		case name == "include" && argc == 2:
			if depth >= maxIncludeDepth {
				return fail("include nesting is too deep")
			}
			if err := st.include(args[1], depth+1); err != nil {
				if fe, ok := err.(*FileError); ok && fe.Line == 0 {
					return fail(fe.Reason)
				}
				return err
			}
		case name == "rename-command" && argc == 3,
			name == "user" && argc >= 2,
			name == "loadmodule" && argc >= 2:
			st.directives = append(st.directives, args)
		case strings.Contains(name, "."):
			if argc != 2 {
				return fail("Module config specified without value")
			}
			st.directives = append(st.directives, args)
		case name == "sentinel":
			if argc != 1 {
				return fail("sentinel directive while not in sentinel mode")
			}
			st.directives = append(st.directives, args)
		default:
			return fail("Bad directive or wrong number of arguments")
		}
	}
	return nil
}

// cString cuts s at its first NUL, as Redis's %s does.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// setDirective applies a parameter line; handled is false if args[0] is not
// a parameter.
func (st *loadState) setDirective(args []string) (reason string, handled bool) {
	e, ok := byName[args[0]]
	if !ok {
		return "", false
	}
	p := params[e.id]
	if p.flags&FlagMultiArg != 0 && len(args) == 2 && args[1] != "" {
		// As Redis 7.0: a multi-argument parameter given as one argument (save "3600 1", or
		// --save "3600 1" on the command line) is split like a line; "" stays "no arguments".
		split, ok := SplitArgs(args[1])
		if !ok {
			return errWrongArgs, true
		}
		args = append([]string{args[0]}, split...)
	}
	if p.flags&FlagMultiArg == 0 && len(args) != 2 {
		return errWrongArgs, true
	}
	ctx := &setCtx{fromFile: true, appendMode: st.seen[e.id]}
	v, reason := setParam(p, st.vals[e.id], args[1:], ctx)
	if reason != "" {
		return reason, true
	}
	st.vals[e.id] = v
	st.seen[e.id] = true
	return "", true
}

// include reads another file or, for a pattern, every file it matches in
// sorted order.
func (st *loadState) include(path string, depth int) error {
	files := []string{path}
	if strings.ContainsAny(path, "*?[") {
		m, err := filepath.Glob(path)
		if err != nil {
			return nil // a bad pattern matches nothing
		}
		sort.Strings(m)
		files = m
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return &FileError{Path: f, Reason: fmt.Sprintf("Fatal error, can't open config file '%s': %s", f, strerror(err))}
		}
		if err := st.loadString(f, string(data), depth); err != nil {
			return err
		}
	}
	return nil
}

// sanityCheck runs the checks Redis makes once the whole file is read.
func (st *loadState) sanityCheck(path string) error {
	if lf := st.vals[idLogfile].s; lf != "" {
		name := lf
		if !filepath.IsAbs(name) {
			name = filepath.Join(st.vals[idDir].s, name)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return &FileError{Path: path, Reason: "Can't open the log file: " + strerror(err)}
		}
		f.Close()
	}
	if st.vals[idCluster].n != 0 && st.vals[idReplicaOf].s != "" {
		return &FileError{Path: path, Reason: "replicaof directive not allowed in cluster mode"}
	}
	return nil
}
