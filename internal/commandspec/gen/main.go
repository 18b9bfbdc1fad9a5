// Command gen captures Redis's command metadata (COMMAND INFO and COMMAND
// DOCS, over RESP3) from a running redis-server and writes it as
// commands.json for package commandspec.
//
// Usage (normally through go generate in internal/commandspec):
//
//	go run ./gen [-addr host:port] [-server redis-server] [-out commands.json]
//
// Without -addr it starts a throw-away redis-server on a free local port
// (with --save "" and --appendonly no, in a temporary directory) and stops it when done.
//
// The conversion is strict: every reply element must have a known name, the
// expected RESP3 type and the expected position, or the generator fails
// instead of writing data the encoders of commandspec cannot reproduce. The
// RESP3 type seen at every position is recorded in the file ("resp3_types"),
// and the encoders take their types from there.
//
// The program is self-contained on purpose (standard library only, no other
// Concord package): it must run before any of them exist or compile.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "", "address of a running redis-server (default: start one)")
	server := flag.String("server", "redis-server", "redis-server binary used when -addr is empty")
	out := flag.String("out", "commands.json", "output file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("commandspec/gen: ")
	if err := run(*addr, *server, *out); err != nil {
		log.Fatal(err)
	}
}

func run(addr, bin, out string) error {
	if addr == "" {
		srv, err := startServer(bin)
		if err != nil {
			return err
		}
		defer srv.stop()
		addr = srv.addr
	}
	data, err := capture(addr)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

// ---------------------------------------------------------------------------
// redis-server process

type server struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

func startServer(bin string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "commandspec-gen-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no")
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("redis-server did not start on %s: %v %s", s.addr, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dir)
}

// ---------------------------------------------------------------------------
// A tiny RESP3 client.

type value struct {
	kind  byte // one of + - : $ * % ~ _ , # ( = >
	str   string
	num   int64
	elems []value // arrays, sets, pushes; maps as k1, v1, k2, v2...
}

type client struct {
	conn net.Conn
	r    *bufio.Reader
}

func dial(addr string) (*client, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &client{conn: c, r: bufio.NewReaderSize(c, 1<<16)}, nil
}

func (c *client) do(args ...string) (value, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.conn.Write(b.Bytes()); err != nil {
		return value{}, err
	}
	v, err := c.read()
	if err == nil && v.kind == '-' {
		err = fmt.Errorf("%s: %s", strings.Join(args, " "), v.str)
	}
	return v, err
}

func (c *client) line() (string, error) {
	s, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(s) < 3 || s[len(s)-2] != '\r' {
		return "", fmt.Errorf("bad RESP line %q", s)
	}
	return s[:len(s)-2], nil
}

func (c *client) read() (value, error) {
	l, err := c.line()
	if err != nil {
		return value{}, err
	}
	v := value{kind: l[0]}
	body := l[1:]
	switch v.kind {
	case '+', '-', ',', '(', '#':
		v.str = body
	case ':':
		v.num, err = strconv.ParseInt(body, 10, 64)
	case '_':
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, err
		}
		if n < 0 {
			return value{kind: '_'}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return v, err
		}
		v.str = string(buf[:n])
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, err
		}
		if n < 0 {
			return value{kind: '_'}, nil
		}
		if v.kind == '%' || v.kind == '|' {
			n *= 2
		}
		v.elems = make([]value, n)
		for i := range v.elems {
			if v.elems[i], err = c.read(); err != nil {
				return v, err
			}
		}
		if v.kind == '|' { // attribute: ignore, the real reply follows
			return c.read()
		}
	default:
		return v, fmt.Errorf("unknown RESP type %q", l)
	}
	return v, err
}

// ---------------------------------------------------------------------------
// Output schema. Field order and names mirror Redis's replies; see the
// package documentation of commandspec.

type file struct {
	Comment      string            `json:"comment"`
	RedisVersion string            `json:"redis_version"`
	RESP3Types   map[string]string `json:"resp3_types"`
	Commands     []*command        `json:"commands"`
}

type command struct {
	Name          string     `json:"name"`
	Arity         int64      `json:"arity"`
	Flags         []string   `json:"flags"`
	FirstKey      int64      `json:"first_key"`
	LastKey       int64      `json:"last_key"`
	Step          int64      `json:"step"`
	ACLCategories []string   `json:"acl_categories"`
	Tips          []string   `json:"tips"`
	KeySpecs      []*keySpec `json:"key_specs"`
	Subcommands   []*command `json:"subcommands,omitempty"`
	Docs          *docs      `json:"docs"`
}

type keySpec struct {
	Notes       string      `json:"notes,omitempty"`
	Flags       []string    `json:"flags"`
	BeginSearch beginSearch `json:"begin_search"`
	FindKeys    findKeys    `json:"find_keys"`
}

type beginSearch struct {
	Type string          `json:"type"`
	Spec beginSearchSpec `json:"spec"`
}

type beginSearchSpec struct {
	Index     *int64  `json:"index,omitempty"`
	Keyword   *string `json:"keyword,omitempty"`
	StartFrom *int64  `json:"startfrom,omitempty"`
}

type findKeys struct {
	Type string       `json:"type"`
	Spec findKeysSpec `json:"spec"`
}

type findKeysSpec struct {
	LastKey   *int64 `json:"lastkey,omitempty"`
	KeyStep   *int64 `json:"keystep,omitempty"`
	Limit     *int64 `json:"limit,omitempty"`
	KeyNumIdx *int64 `json:"keynumidx,omitempty"`
	FirstKey  *int64 `json:"firstkey,omitempty"`
}

type docs struct {
	Summary         string      `json:"summary,omitempty"`
	Since           string      `json:"since,omitempty"`
	Group           string      `json:"group"`
	Complexity      string      `json:"complexity,omitempty"`
	DocFlags        []string    `json:"doc_flags,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	ReplacedBy      string      `json:"replaced_by,omitempty"`
	History         [][2]string `json:"history,omitempty"`
	Arguments       []*argument `json:"arguments,omitempty"`
}

type argument struct {
	Name            string      `json:"name"`
	Type            string      `json:"type"`
	KeySpecIndex    *int64      `json:"key_spec_index,omitempty"`
	Token           *string     `json:"token,omitempty"`
	Summary         string      `json:"summary,omitempty"`
	Since           string      `json:"since,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	Flags           []string    `json:"flags,omitempty"`
	Arguments       []*argument `json:"arguments,omitempty"`
}

// Canonical key order of the maps Redis replies with. The commandspec
// encoders write the keys in this order; the generator refuses any reply
// whose keys are unknown or out of this order.
var (
	keySpecKeys  = []string{"notes", "flags", "begin_search", "find_keys"}
	searchKeys   = []string{"type", "spec"}
	docsKeys     = []string{"summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by", "history", "arguments", "subcommands"}
	argumentKeys = []string{"name", "type", "key_spec_index", "token", "summary", "since", "deprecated_since", "flags", "arguments"}
	specKeys     = map[string][]string{
		"begin_search/index":   {"index"},
		"begin_search/keyword": {"keyword", "startfrom"},
		"begin_search/unknown": {},
		"find_keys/range":      {"lastkey", "keystep", "limit"},
		"find_keys/keynum":     {"keynumidx", "firstkey", "keystep"},
		"find_keys/unknown":    {},
	}
)

var typeNames = map[byte]string{
	'+': "simple", '$': "bulk", ':': "integer", '*': "array", '~': "set", '%': "map",
	',': "double", '#': "boolean", '_': "null", '(': "bignum", '=': "verbatim",
}

// ---------------------------------------------------------------------------
// Capture and conversion.

type converter struct {
	types map[string]string // path -> RESP3 type; path+"(empty)" for empty aggregates
	err   error
}

func (cv *converter) fail(format string, args ...any) {
	if cv.err == nil {
		cv.err = fmt.Errorf(format, args...)
	}
}

// note records (and checks) the RESP3 type of v at path.
func (cv *converter) note(path string, v value) {
	if (v.kind == '*' || v.kind == '~' || v.kind == '%') && len(v.elems) == 0 {
		path += "(empty)"
	}
	name, ok := typeNames[v.kind]
	if !ok {
		cv.fail("%s: unexpected RESP3 type %q", path, v.kind)
		return
	}
	if old, ok := cv.types[path]; ok && old != name {
		cv.fail("%s: seen as both %s and %s", path, old, name)
		return
	}
	cv.types[path] = name
}

func (cv *converter) str(path string, v value, kinds string) string {
	cv.note(path, v)
	if !strings.ContainsRune(kinds, rune(v.kind)) {
		cv.fail("%s: got RESP3 %q, want one of %q", path, v.kind, kinds)
	}
	return v.str
}

func (cv *converter) integer(path string, v value) int64 {
	cv.note(path, v)
	if v.kind != ':' {
		cv.fail("%s: got RESP3 %q, want integer", path, v.kind)
	}
	return v.num
}

func (cv *converter) list(path string, v value) []value {
	cv.note(path, v)
	if v.kind != '*' && v.kind != '~' {
		cv.fail("%s: got RESP3 %q, want array or set", path, v.kind)
	}
	return v.elems
}

func (cv *converter) strings(path string, v value) []string {
	out := []string{}
	for _, e := range cv.list(path, v) {
		out = append(out, cv.str(path+"[]", e, "+$"))
	}
	return out
}

type entry struct {
	key string
	val value
}

// fields returns the entries of a map, checking that the keys are known and
// appear in the canonical order.
func (cv *converter) fields(path string, v value, order []string) []entry {
	cv.note(path, v)
	if v.kind != '%' {
		cv.fail("%s: got RESP3 %q, want map", path, v.kind)
		return nil
	}
	var out []entry
	last := -1
	for i := 0; i < len(v.elems); i += 2 {
		k := cv.str("map_key", v.elems[i], "$")
		pos := slices.Index(order, k)
		if pos < 0 {
			cv.fail("%s: unknown key %q", path, k)
		} else if pos <= last {
			cv.fail("%s: key %q out of order", path, k)
		}
		last = pos
		out = append(out, entry{k, v.elems[i+1]})
	}
	return out
}

func (cv *converter) info(path string, v value) *command {
	cv.note(path, v)
	if v.kind != '*' || len(v.elems) != 10 {
		cv.fail("%s: want an array of 10, got %q with %d elements", path, v.kind, len(v.elems))
		return &command{}
	}
	e := v.elems
	c := &command{
		Name:          cv.str("info.name", e[0], "$"),
		Arity:         cv.integer("info.arity", e[1]),
		Flags:         cv.strings("info.flags", e[2]),
		FirstKey:      cv.integer("info.first_key", e[3]),
		LastKey:       cv.integer("info.last_key", e[4]),
		Step:          cv.integer("info.step", e[5]),
		ACLCategories: cv.strings("info.acl_categories", e[6]),
		Tips:          cv.strings("info.tips", e[7]),
		KeySpecs:      []*keySpec{},
	}
	for _, ks := range cv.list("info.key_specs", e[8]) {
		c.KeySpecs = append(c.KeySpecs, cv.keySpec(ks))
	}
	for _, sub := range cv.list("info.subcommands", e[9]) {
		c.Subcommands = append(c.Subcommands, cv.info("info", sub))
	}
	slices.SortFunc(c.Subcommands, func(a, b *command) int { return strings.Compare(a.Name, b.Name) })
	return c
}

func (cv *converter) keySpec(v value) *keySpec {
	ks := &keySpec{}
	for _, f := range cv.fields("key_spec", v, keySpecKeys) {
		switch f.key {
		case "notes":
			ks.Notes = cv.str("key_spec.notes", f.val, "$")
			if ks.Notes == "" {
				cv.fail("key_spec.notes: empty")
			}
		case "flags":
			ks.Flags = cv.strings("key_spec.flags", f.val)
		case "begin_search":
			typ, spec := cv.search("key_spec.begin_search", f.val)
			ks.BeginSearch.Type = typ
			for _, s := range spec {
				p := "key_spec.begin_search.spec." + s.key
				switch s.key {
				case "index":
					n := cv.integer(p, s.val)
					ks.BeginSearch.Spec.Index = &n
				case "keyword":
					k := cv.str(p, s.val, "$")
					ks.BeginSearch.Spec.Keyword = &k
				case "startfrom":
					n := cv.integer(p, s.val)
					ks.BeginSearch.Spec.StartFrom = &n
				}
			}
		case "find_keys":
			typ, spec := cv.search("key_spec.find_keys", f.val)
			ks.FindKeys.Type = typ
			for _, s := range spec {
				n := cv.integer("key_spec.find_keys.spec."+s.key, s.val)
				switch s.key {
				case "lastkey":
					ks.FindKeys.Spec.LastKey = &n
				case "keystep":
					ks.FindKeys.Spec.KeyStep = &n
				case "limit":
					ks.FindKeys.Spec.Limit = &n
				case "keynumidx":
					ks.FindKeys.Spec.KeyNumIdx = &n
				case "firstkey":
					ks.FindKeys.Spec.FirstKey = &n
				}
			}
		}
	}
	if ks.Flags == nil || ks.BeginSearch.Type == "" || ks.FindKeys.Type == "" {
		cv.fail("key_spec: missing flags, begin_search or find_keys")
	}
	return ks
}

// search decodes a begin_search / find_keys map: {type, spec}, where the
// keys of spec are fully determined by type.
func (cv *converter) search(path string, v value) (string, []entry) {
	f := cv.fields(path, v, searchKeys)
	if len(f) != 2 {
		cv.fail("%s: want type and spec", path)
		return "", nil
	}
	typ := cv.str(path+".type", f[0].val, "$")
	want, ok := specKeys[path[strings.LastIndexByte(path, '.')+1:]+"/"+typ]
	if !ok {
		cv.fail("%s: unknown type %q", path, typ)
		return typ, nil
	}
	spec := cv.fields(path+".spec", f[1].val, want)
	if len(spec) != len(want) {
		cv.fail("%s: %s spec has %d keys, want %v", path, typ, len(spec), want)
	}
	return typ, spec
}

// nonEmpty is for the string fields that Redis omits when unset, so that
// "absent" and "empty" cannot be confused.
func (cv *converter) nonEmpty(path string, v value) string {
	s := cv.str(path, v, "$")
	if s == "" {
		cv.fail("%s: present but empty", path)
	}
	return s
}

func (cv *converter) docs(v value, c *command) {
	d := &docs{}
	c.Docs = d
	hasSubs := false
	for _, f := range cv.fields("docs", v, docsKeys) {
		p := "docs." + f.key
		switch f.key {
		case "summary":
			d.Summary = cv.nonEmpty(p, f.val)
		case "since":
			d.Since = cv.nonEmpty(p, f.val)
		case "group":
			d.Group = cv.nonEmpty(p, f.val)
		case "complexity":
			d.Complexity = cv.nonEmpty(p, f.val)
		case "doc_flags":
			d.DocFlags = cv.strings(p, f.val)
		case "deprecated_since":
			d.DeprecatedSince = cv.nonEmpty(p, f.val)
		case "replaced_by":
			d.ReplacedBy = cv.nonEmpty(p, f.val)
		case "history":
			for _, h := range cv.list(p, f.val) {
				pair := cv.list(p+"[]", h)
				if len(pair) != 2 {
					cv.fail("%s: entry with %d elements", p, len(pair))
					continue
				}
				d.History = append(d.History, [2]string{cv.str(p+"[][]", pair[0], "$"), cv.str(p+"[][]", pair[1], "$")})
			}
			if d.History == nil {
				cv.fail("%s: present but empty", p)
			}
		case "arguments":
			d.Arguments = cv.arguments(p, f.val)
			if d.Arguments == nil {
				cv.fail("%s: present but empty", p)
			}
		case "subcommands":
			hasSubs = true
			cv.note(p, f.val)
			if f.val.kind != '%' {
				cv.fail("%s: want map", p)
				continue
			}
			seen := 0
			for i := 0; i < len(f.val.elems); i += 2 {
				name := cv.str("map_key", f.val.elems[i], "$")
				j := slices.IndexFunc(c.Subcommands, func(s *command) bool { return s.Name == name })
				if j < 0 || c.Subcommands[j].Docs != nil {
					cv.fail("%s: docs for unknown or repeated subcommand %q", c.Name, name)
					continue
				}
				cv.docs(f.val.elems[i+1], c.Subcommands[j])
				seen++
			}
			if seen != len(c.Subcommands) {
				cv.fail("%s: docs for %d of %d subcommands", c.Name, seen, len(c.Subcommands))
			}
		}
	}
	if d.Group == "" {
		cv.fail("%s: docs without group", c.Name)
	}
	if len(c.Subcommands) > 0 && !hasSubs {
		cv.fail("%s: docs without subcommands", c.Name)
	}
}

func (cv *converter) arguments(path string, v value) []*argument {
	var out []*argument
	for _, e := range cv.list(path, v) {
		a := &argument{}
		hasArgs := false
		for _, f := range cv.fields("argument", e, argumentKeys) {
			p := "argument." + f.key
			switch f.key {
			case "name":
				a.Name = cv.nonEmpty(p, f.val)
			case "type":
				a.Type = cv.nonEmpty(p, f.val)
			case "key_spec_index":
				n := cv.integer(p, f.val)
				a.KeySpecIndex = &n
			case "token":
				s := cv.str(p, f.val, "$") // may be empty: MIGRATE's "" token
				a.Token = &s
			case "summary":
				a.Summary = cv.nonEmpty(p, f.val)
			case "since":
				a.Since = cv.nonEmpty(p, f.val)
			case "deprecated_since":
				a.DeprecatedSince = cv.nonEmpty(p, f.val)
			case "flags":
				a.Flags = cv.strings(p, f.val)
				if len(a.Flags) == 0 {
					cv.fail("%s: present but empty", p)
				}
			case "arguments":
				hasArgs = true
				a.Arguments = cv.arguments(p, f.val)
			}
		}
		// Redis writes "arguments" exactly for the oneof and block types;
		// the encoder relies on that rule.
		if hasArgs != (a.Type == "oneof" || a.Type == "block") || (hasArgs && len(a.Arguments) == 0) {
			cv.fail("argument %q of type %q: unexpected arguments field", a.Name, a.Type)
		}
		out = append(out, a)
	}
	return out
}

func capture(addr string) ([]byte, error) {
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.conn.Close()
	hello, err := c.do("HELLO", "3")
	if err != nil {
		return nil, err
	}
	version := ""
	for i := 0; i+1 < len(hello.elems); i += 2 {
		if hello.elems[i].str == "version" {
			version = hello.elems[i+1].str
		}
	}
	infos, err := c.do("COMMAND", "INFO")
	if err != nil {
		return nil, err
	}
	allDocs, err := c.do("COMMAND", "DOCS")
	if err != nil {
		return nil, err
	}
	count, err := c.do("COMMAND", "COUNT")
	if err != nil {
		return nil, err
	}

	cv := &converter{types: map[string]string{}}
	var cmds []*command
	byName := map[string]*command{}
	for _, v := range cv.list("all_info", infos) {
		cmd := cv.info("info", v)
		cmds = append(cmds, cmd)
		byName[cmd.Name] = cmd
	}
	if int64(len(cmds)) != count.num {
		return nil, fmt.Errorf("COMMAND INFO returned %d commands, COMMAND COUNT says %d", len(cmds), count.num)
	}
	if allDocs.kind != '%' || len(allDocs.elems) != 2*len(cmds) {
		return nil, fmt.Errorf("COMMAND DOCS returned %q with %d elements for %d commands", allDocs.kind, len(allDocs.elems), len(cmds))
	}
	for i := 0; i < len(allDocs.elems); i += 2 {
		name := allDocs.elems[i].str
		cmd := byName[name]
		if cmd == nil || cmd.Docs != nil {
			return nil, fmt.Errorf("COMMAND DOCS: unexpected entry %q", name)
		}
		cv.docs(allDocs.elems[i+1], cmd)
	}
	delete(cv.types, "all_info")
	if cv.err != nil {
		return nil, cv.err
	}
	if version == "" {
		return nil, errors.New("HELLO 3 did not report a version")
	}
	for _, cmd := range cmds {
		if cmd.Docs == nil {
			return nil, fmt.Errorf("COMMAND DOCS: no docs for %q", cmd.Name)
		}
	}
	// Keep the "(empty)" variant only where it differs.
	for p, t := range cv.types {
		if base, ok := strings.CutSuffix(p, "(empty)"); ok {
			if bt, ok := cv.types[base]; ok && bt == t {
				delete(cv.types, p)
			} else if !ok {
				cv.types[base] = t
				delete(cv.types, p)
			}
		}
	}
	slices.SortFunc(cmds, func(a, b *command) int { return strings.Compare(a.Name, b.Name) })

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	err = enc.Encode(&file{
		Comment:      "Generated by go generate (internal/commandspec/gen) from redis-server's COMMAND INFO and COMMAND DOCS over RESP3. DO NOT EDIT.",
		RedisVersion: version,
		RESP3Types:   cv.types,
		Commands:     cmds,
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
