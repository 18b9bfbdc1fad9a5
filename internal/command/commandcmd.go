package command

import (
	"sort"
	"strings"

	"github.com/concord-db/concord/internal/commandspec"
	"github.com/concord-db/concord/internal/glob"
)

// COMMAND and its subcommands. The metadata is Redis 7.0's (internal/commandspec), restricted to
// the commands Concord has: the registered ones (with, for a container, only its registered
// subcommands) and QUIT, which the dispatcher handles itself. A command Redis 7.0 does not have
// (CLIENT NO-TOUCH, from Redis 7.2; Concord's own CRDT.* commands) runs but is not described:
// COMMAND, COUNT, LIST, INFO and DOCS show what a Redis 7.0 server with fewer commands would show.

func init() {
	define(&Command{Name: "command", Arity: -1, Run: commandAllCommand, Subcommands: subcommands("command",
		&Command{Name: "count", Arity: 2, Run: commandCountCommand},
		&Command{Name: "info", Arity: -2, Run: commandInfoCommand},
		&Command{Name: "docs", Arity: -2, Run: commandDocsCommand},
		&Command{Name: "list", Arity: -2, Run: commandListCommand},
		&Command{Name: "getkeys", Arity: -4, Run: commandGetkeysCommand},
		&Command{Name: "getkeysandflags", Arity: -4, Run: commandGetkeysandflagsCommand},
		&Command{Name: "help", Arity: 2, Run: helpCommand("COMMAND", commandHelp)},
	)})
}

var commandHelp = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

// quitCommand stands for QUIT in the command table views: the dispatcher answers QUIT before
// looking commands up, so it is not registered.
var quitCommand = &Command{Name: "quit", Arity: -1, Flags: NoAuth | PubSub | TxControl | Fast}

// topCommands returns the top-level commands Concord has, sorted by name.
func topCommands() []*Command {
	cmds := Commands()
	if table["quit"] == nil {
		i := sort.Search(len(cmds), func(i int) bool { return cmds[i].Name >= "quit" })
		cmds = append(cmds[:i], append([]*Command{quitCommand}, cmds[i:]...)...)
	}
	return cmds
}

// sortedSubcommands returns a container's subcommands sorted by name.
func sortedSubcommands(cmd *Command) []*Command {
	out := make([]*Command, 0, len(cmd.Subcommands))
	for _, s := range cmd.Subcommands {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// findCommand finds a command Concord has by its full name ("get", "client|list"), any case.
func findCommand(name string) *Command {
	name = strings.ToLower(name)
	top, sub, isSub := strings.Cut(name, "|")
	cmd := table[top]
	if cmd == nil && top == "quit" {
		cmd = quitCommand
	}
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.Subcommands[sub]
}

// described reports whether the COMMAND views describe cmd: whether Redis 7.0 has it.
func described(cmd *Command) bool {
	return commandspec.Lookup(cmd.Name) != nil
}

// describedCommands returns the top-level commands the COMMAND views describe, sorted by name.
func describedCommands() []*Command {
	var out []*Command
	for _, cmd := range topCommands() {
		if described(cmd) {
			out = append(out, cmd)
		}
	}
	return out
}

// findDescribed is findCommand for COMMAND INFO and DOCS: nil for a command they do not describe.
func findDescribed(name string) *Command {
	if cmd := findCommand(name); cmd != nil && described(cmd) {
		return cmd
	}
	return nil
}

// spec returns Redis's metadata for a described command, with only the subcommands Concord
// registers.
func spec(cmd *Command) *commandspec.Command {
	sp := commandspec.Lookup(cmd.Name)
	if len(sp.Subcommands) == 0 {
		return sp
	}
	cp := *sp
	cp.Subcommands = nil
	for _, s := range sp.Subcommands {
		if findCommand(s.Name) != nil {
			cp.Subcommands = append(cp.Subcommands, s)
		}
	}
	return &cp
}

func commandAllCommand(c *Ctx) error {
	cmds := describedCommands()
	c.W.ArrayLen(len(cmds))
	for _, cmd := range cmds {
		spec(cmd).WriteInfo(c.W)
	}
	return nil
}

func commandCountCommand(c *Ctx) error {
	c.W.Int(int64(len(describedCommands())))
	return nil
}

func commandInfoCommand(c *Ctx) error {
	if len(c.Args) == 2 {
		return commandAllCommand(c)
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for _, name := range c.Args[2:] {
		if cmd := findDescribed(string(name)); cmd != nil {
			spec(cmd).WriteInfo(c.W)
		} else {
			c.W.Null()
		}
	}
	return nil
}

func commandDocsCommand(c *Ctx) error {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = describedCommands()
	} else {
		for _, name := range c.Args[2:] {
			if cmd := findDescribed(string(name)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.W.MapLen(len(cmds))
	for _, cmd := range cmds {
		c.W.BulkString(cmd.Name)
		spec(cmd).WriteDocs(c.W)
	}
	return nil
}

// commandListCommand lists every described command and subcommand (as Redis 7.0 does), optionally
// filtered by ACL category or name pattern (FILTERBY MODULE: Concord has no modules).
func commandListCommand(c *Ctx) error {
	var filter func(cmd *Command) bool
	for i := 2; i < len(c.Args); i++ {
		if !c.Is(i, "FILTERBY") || len(c.Args)-1-i != 2 {
			return ErrSyntax
		}
		arg := string(c.Args[i+2])
		switch {
		case c.Is(i+1, "MODULE"):
			filter = func(*Command) bool { return false }
		case c.Is(i+1, "ACLCAT"):
			filter = func(cmd *Command) bool {
				sp := commandspec.Lookup(cmd.Name)
				if sp == nil {
					return false
				}
				for _, cat := range sp.Categories {
					if strings.EqualFold(strings.TrimPrefix(cat, "@"), arg) {
						return true
					}
				}
				return false
			}
		case c.Is(i+1, "PATTERN"):
			filter = func(cmd *Command) bool { return glob.MatchString(arg, cmd.Name, true) }
		default:
			return ErrSyntax
		}
		i += 2
	}
	var names []string
	for _, cmd := range describedCommands() {
		if filter == nil || filter(cmd) {
			names = append(names, cmd.Name)
		}
		for _, sub := range sortedSubcommands(cmd) {
			if described(sub) && (filter == nil || filter(sub)) {
				names = append(names, sub.Name)
			}
		}
	}
	c.W.ArrayLen(len(names))
	for _, n := range names {
		c.W.BulkString(n)
	}
	return nil
}

func commandGetkeysCommand(c *Ctx) error         { return getKeysSubcommand(c, false) }
func commandGetkeysandflagsCommand(c *Ctx) error { return getKeysSubcommand(c, true) }

// getKeysSubcommand is Redis's getKeysSubcommandImpl, for the commands Concord has: COMMAND
// GETKEYS replies with the keys, COMMAND GETKEYSANDFLAGS (withFlags) with [key, flags] pairs, the
// flags being a set of simple strings.
func getKeysSubcommand(c *Ctx, withFlags bool) error {
	line := c.Args[2:]
	cmd := Lookup(line[0])
	if cmd == nil && strings.EqualFold(string(line[0]), "quit") {
		cmd = quitCommand
	}
	if cmd != nil && cmd.Subcommands != nil && len(line) >= 2 {
		cmd = cmd.Subcommands[strings.ToLower(string(line[1]))]
	}
	if cmd == nil {
		return Error(commandspec.ErrInvalidCommand.Error())
	}
	top := commandspec.Lookup(strings.ToLower(string(line[0])))
	if top == nil {
		return Error(commandspec.ErrNoKeyArguments.Error())
	}
	keys, err := top.KeysAndFlags(line)
	if err != nil {
		return Error(err.Error())
	}
	c.W.ArrayLen(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.W.Bulk(line[k.Index])
			continue
		}
		c.W.ArrayLen(2)
		c.W.Bulk(line[k.Index])
		c.W.SetLen(len(k.Flags))
		for _, f := range k.Flags {
			c.W.Simple(f)
		}
	}
	return nil
}
