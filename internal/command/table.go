package command

import (
	"sort"
	"strings"
	"sync/atomic"

	"github.com/concord-db/concord/internal/metrics/latency"
)

// Flag describes how the dispatcher treats a command.
type Flag uint32

// The command flags.
const (
	Write     Flag = 1 << iota // may change the keyspace
	ReadOnly                   // reads the keyspace
	Admin                      // server administration
	NoAuth                     // allowed before AUTH
	PubSub                     // allowed in RESP2 subscribed mode
	TxControl                  // executed at once inside MULTI (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET)
	NoLock                     // runs without the engine lock (must not touch the keyspace)
	Fast
	Protected // refused unless enable-debug-command allows it (DEBUG)
)

// Handler runs one command: it writes the reply or returns an error to be replied.
type Handler func(c *Ctx) error

// Command is one entry of the command table.
type Command struct {
	Name  string // lower case; "parent|sub" for subcommands
	Arity int    // as Redis: n = exactly n arguments (name included), -n = at least n
	Flags Flag
	Run   Handler
	// Subcommands, by lower-case name. A command with subcommands dispatches on args[1].
	Subcommands map[string]*Command
	// Help lines for "<CMD> HELP" of container commands.
	Help []string
	// Stats for INFO commandstats. Nanos is the time spent in calls; latency the histogram of
	// their durations (latency.go), nil until the first call timed with latency-tracking on.
	Calls, Nanos, RejectedCalls, FailedCalls uint64
	latency                                  atomic.Pointer[latency.Histogram]
}

var table = map[string]*Command{}

// define adds commands to the table; each command group's file calls it from init. (Not
// "register": that is the string CRDT package.)
func define(cmds ...*Command) {
	for _, c := range cmds {
		if _, dup := table[c.Name]; dup {
			panic("command: registered twice: " + c.Name)
		}
		table[c.Name] = c
	}
}

// subcommands builds the subcommand map of a container command.
func subcommands(parent string, subs ...*Command) map[string]*Command {
	m := make(map[string]*Command, len(subs))
	for _, s := range subs {
		name := s.Name
		s.Name = parent + "|" + name
		m[name] = s
	}
	return m
}

// Lookup finds a command by name in any case without allocating.
func Lookup(name []byte) *Command {
	var buf [32]byte
	if len(name) > len(buf) {
		return table[strings.ToLower(string(name))]
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return table[string(buf[:len(name)])]
}

// Commands returns every command, sorted by name.
func Commands() []*Command {
	out := make([]*Command, 0, len(table))
	for _, c := range table {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// arityOK checks an argument count against an arity.
func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}
