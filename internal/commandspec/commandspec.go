// Package commandspec holds Redis 7.0's command metadata as data: what
// COMMAND, COMMAND INFO, COMMAND DOCS and COMMAND GETKEYS answer for every
// command, captured from redis-server into commands.json (see gen/) and
// embedded here.
//
// The encoders reproduce redis-server's replies byte for byte, in RESP2 and
// RESP3; the RESP3 type of every reply element is recorded in the JSON
// ("resp3_types") and the encoders take their types from there, so a newer
// capture that changes, say, a set into an array needs no code change.
//
// The data is decoded on first use (about 2 ms, by a decoder written for
// this schema; package initialization itself does no work), and is
// read-only and safe for concurrent use afterwards.
//
// Regenerate with `go generate ./internal/commandspec` (needs redis-server on
// PATH, or run `go run ./gen -addr host:port` against a running server).
// The tests compare everything with a live redis-server when there is one.
package commandspec

//go:generate go run ./gen -out commands.json

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

//go:embed commands.json
var commandsJSON string

// Command is one Redis command or subcommand.
type Command struct {
	Name        string   // lower case: "get", or "config|get" for a subcommand
	Arity       int      // as in COMMAND INFO: negative means "at least -Arity"
	Flags       []string // "write", "readonly", "movablekeys", ...
	FirstKey    int      // legacy key range from COMMAND INFO
	LastKey     int
	Step        int
	Categories  []string // ACL categories, with the '@': "@read", "@string", ...
	Tips        []string // command tips: "nondeterministic_output", "request_policy:all_nodes", ...
	KeySpecs    []KeySpec
	Subcommands []*Command // sorted by name; nil for a command without subcommands
	Parent      *Command   // the container of a subcommand; nil for a top-level command
	Group       string     // documentation group: "string", "server", ...
	Docs        Docs       // everything else COMMAND DOCS returns

	// For KeyIndexes and KeysAndFlags, set at load.
	getKeys         getKeysProc // Redis's native key extraction (getkeys_proc), if any
	hasKeys         bool        // doesCommandHaveKeys()
	hasKeySpec      bool        // some key spec is not not_key
	varFlags        bool        // some key spec has variable_flags
	noMandatoryKeys bool
}

// KeySpec is a key specification, as in COMMAND INFO.
type KeySpec struct {
	Notes       string   // "" when absent
	Flags       []string // "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"
	BeginSearch BeginSearch
	FindKeys    FindKeys

	flags uint8 // ksNotKey | ksIncomplete | ksVariableFlags
}

// BeginSearch tells where the search for keys starts.
type BeginSearch struct {
	Type      string // "index", "keyword" or "unknown"
	Index     int    // "index": argument position of the first key
	Keyword   string // "keyword": the keyword preceding the keys
	StartFrom int    // "keyword": where to start looking for it (negative: from the end, backwards)
}

// FindKeys tells which arguments, from where the search began, are keys.
type FindKeys struct {
	Type      string // "range", "keynum" or "unknown"
	LastKey   int    // "range": last key relative to the first (negative: from the end)
	KeyStep   int    // "range" and "keynum": distance between keys
	Limit     int    // "range": with LastKey -1, only 1/Limit of the remaining arguments
	KeyNumIdx int    // "keynum": position of the key count, relative to the begin
	FirstKey  int    // "keynum": position of the first key, relative to the begin
}

// Docs is what COMMAND DOCS returns besides the group.
type Docs struct {
	Summary         string
	Since           string
	Complexity      string
	DocFlags        []string // "deprecated", "syscmd"
	DeprecatedSince string
	ReplacedBy      string
	History         []History
	Arguments       []*Argument
}

// History is one entry of a command's history.
type History struct {
	Version     string
	Description string
}

// Argument describes one argument of a command, as in COMMAND DOCS.
type Argument struct {
	Name            string
	Type            string // "string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"
	KeySpecIndex    int    // index into the command's KeySpecs, or -1
	Token           string // valid when HasToken (the token may be empty: MIGRATE's "")
	HasToken        bool
	Summary         string
	Since           string
	DeprecatedSince string
	Flags           []string    // "optional", "multiple", "multiple_token"
	Arguments       []*Argument // for the "oneof" and "block" types
}

// ReplyWriter is what the encoders write to. MapLen and SetLen take the
// number of pairs / elements; in RESP2 the writer itself turns them into
// arrays of 2n / n elements.
type ReplyWriter interface {
	Protocol() int
	Simple(s string)
	Error(s string)
	Int(n int64)
	Bulk(b []byte)
	BulkString(s string)
	Null()
	NullArray()
	ArrayLen(n int)
	MapLen(n int)
	SetLen(n int)
	Double(f float64)
	Bool(b bool)
}

// Lookup returns the command or subcommand with the given name, in any
// case ("GET", "config|get", "CONFIG|GET"), or nil if Redis has none.
func Lookup(name string) *Command {
	r := load()
	if c := r.byName[name]; c != nil {
		return c
	}
	var buf [64]byte // longer than any command name
	if len(name) > len(buf) {
		return nil
	}
	for i := 0; i < len(name); i++ {
		buf[i] = toLower(name[i])
	}
	return r.byName[string(buf[:len(name)])] // no allocation
}

// lookupBytes is Lookup for a command line argument, without allocating.
func lookupBytes(name []byte) *Command {
	var buf [64]byte
	if len(name) > len(buf) {
		return nil
	}
	for i, c := range name {
		buf[i] = toLower(c)
	}
	return load().byName[string(buf[:len(name)])]
}

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// LookupArgs resolves a command line the way Redis does before running it
// or answering COMMAND GETKEYS: args[0] names the command and, for a command
// with subcommands, args[1] the subcommand. It returns nil if there is no
// such command or subcommand. With a single argument it returns the
// command itself, even if it has subcommands.
func LookupArgs(args [][]byte) *Command {
	if len(args) == 0 {
		return nil
	}
	c := lookupBytes(args[0])
	if c == nil || len(c.Subcommands) == 0 || len(args) == 1 {
		return c
	}
	return c.subcommand(args[1])
}

// All returns the top-level commands sorted by name (subcommands are in
// their Subcommands). Its length is what COMMAND COUNT answers; note that
// COMMAND LIST, in Redis 7.0, lists the subcommands as well. The slice is
// shared: do not modify it.
func All() []*Command {
	return load().all
}

// RedisVersion is the version of the redis-server the data was captured from.
func RedisVersion() string {
	return load().version
}

// Subcommand returns the subcommand with the given name ("get" or
// "config|get", any case), or nil.
func (c *Command) Subcommand(name string) *Command {
	name = lower(name)
	if !strings.Contains(name, "|") {
		name = c.Name + "|" + name
	}
	for _, s := range c.Subcommands {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// HasFlag reports whether the command has the given COMMAND INFO flag.
func (c *Command) HasFlag(flag string) bool {
	return slices.Contains(c.Flags, flag)
}

// lower returns the ASCII lower-case form of s, without allocating when s
// already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// ---------------------------------------------------------------------------
// Loading.

type registry struct {
	version string
	all     []*Command
	byName  map[string]*Command
	types   typeTable
}

var (
	loadOnce sync.Once
	loaded   *registry
)

func load() *registry {
	loadOnce.Do(func() {
		r, err := parse(commandsJSON)
		if err != nil {
			panic("commandspec: embedded commands.json: " + err.Error())
		}
		loaded = r
	})
	return loaded
}
