package command

import (
	"bytes"
	"strings"

	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/glob"
	"github.com/concord-db/concord/internal/script"
)

// Redis 7 functions: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/HELP and FCALL, FCALL_RO, on
// internal/script. FCALL runs like EVAL (scripting.go): under the engine lock, its writes one
// effect batch. The library code is stored with the dataset and replicated: FUNCTION LOAD,
// DELETE, FLUSH and RESTORE emit FunctionLoad/FunctionDelete/FunctionFlush effects into the
// engine's registry (engine/functions.go), after checking the change against the interpreter
// for Redis's replies; every function command first brings the interpreter's libraries in line
// with the registry (syncFunctions), so changes from peers, full resyncs and replayed files
// take effect. FUNCTION DUMP and RESTORE use Concord's own payload format
// (internal/script/functions.go), not Redis's.

// syncFunctions makes the interpreter's libraries those of the engine's registry and returns
// the runner. It rebuilds them when the registry changed since they were last synced, unless
// they already hold what the registry does (the change was this member's own, made in the
// interpreter first). The registry's libraries are loaded latest stamp first, so that of two
// libraries registering one function name the later wins everywhere. The caller holds the
// engine lock.
func syncFunctions(c *Ctx) *script.Runner {
	r := c.Env.scripts().runner
	v := c.E.FunctionsVersion()
	if r.FunctionsVersion() == v {
		return r
	}
	libs := c.E.Libraries()
	if !sameLibraries(r.Libraries(), libs) {
		codes := make([][]byte, len(libs))
		for i, l := range libs {
			codes[len(libs)-1-i] = l.Code
		}
		for _, err := range r.ReplaceLibraries(codes) {
			if c.Env.Log != nil {
				c.Env.Log.Warn("function library not loaded", "err", err)
			}
		}
	}
	r.SetFunctionsVersion(v)
	return r
}

// sameLibraries reports whether the interpreter's libraries are the registry's, in order.
func sameLibraries(have []*script.Library, want []engine.Library) bool {
	if len(have) != len(want) {
		return false
	}
	for i, l := range have {
		if l.Name != want[i].Name || !bytes.Equal([]byte(l.Code), want[i].Code) {
			return false
		}
	}
	return true
}

// emitFunctions records the interpreter's change in the registry and marks the libraries as
// its mirror again.
func emitFunctions(c *Ctx, ops ...effect.Op) {
	for _, op := range ops {
		c.E.Emit(op)
	}
	syncFunctions(c)
}

func init() {
	define(
		&Command{Name: "fcall", Arity: -3, Run: fcallCommand},
		&Command{Name: "fcall_ro", Arity: -3, Flags: ReadOnly, Run: fcallCommand},
		&Command{Name: "function", Arity: -2, Subcommands: subcommands("function",
			&Command{Name: "load", Arity: -3, Flags: Write, Run: functionLoadCommand},
			&Command{Name: "delete", Arity: 3, Flags: Write, Run: functionDeleteCommand},
			&Command{Name: "flush", Arity: -2, Flags: Write, Run: functionFlushCommand},
			&Command{Name: "list", Arity: -2, Run: functionListCommand},
			&Command{Name: "stats", Arity: 2, Run: functionStatsCommand},
			&Command{Name: "kill", Arity: 2, Run: scriptKillCommand},
			&Command{Name: "dump", Arity: 2, Run: functionDumpCommand},
			&Command{Name: "restore", Arity: -3, Flags: Write, Run: functionRestoreCommand},
			&Command{Name: "help", Arity: 2, Run: helpCommand("function", functionHelp)},
		)},
	)
}

var functionHelp = []string{
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
}

const (
	errFunctionNotFound Error = "ERR Function not found"
	errLibraryNotFound  Error = "ERR Library not found"
	errFunctionRO       Error = "ERR Can not execute a script with write flag using *_ro command."
	errFunctionFlush    Error = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
)

func fcallCommand(c *Ctx) error {
	numkeys, err := c.Int(2)
	if err != nil {
		return err
	}
	if numkeys < 0 {
		return errNegativeKeys
	}
	if numkeys > int64(len(c.Args)-3) {
		return errTooManyKeys
	}
	st := c.Env.scripts()
	fn := syncFunctions(c).LookupFunction(string(c.Args[1]))
	if fn == nil {
		return errFunctionNotFound
	}
	ro := c.Cmd.Name == "fcall_ro"
	if ro && fn.Flags&script.FlagNoWrites == 0 {
		return errFunctionRO
	}
	h := &st.host
	h.ro = ro || fn.Flags&script.FlagNoWrites != 0
	h.cl.DB = c.Client.DB
	st.scriptStarted(runningFunctionOf(c, fn.Name))
	err = st.runner.Call(fn, c.Args[3:3+numkeys], c.Args[3+numkeys:], h, c.W, script.RunOptions{ReadOnly: h.ro})
	st.scriptEnded()
	return scriptReplyError(err)
}

// runningFunctionOf describes the function FCALL starts, for FUNCTION STATS while it is busy.
// The FCALL's arguments stay untouched while it runs, and the libraries cannot change (scripts
// cannot call FUNCTION), so they are read as they are when asked for.
func runningFunctionOf(c *Ctx, name string) *runningFunction {
	return &runningFunction{name: name, args: c.Args, runner: c.Env.scripts().runner}
}

func functionLoadCommand(c *Ctx) error {
	replace := false
	i := 2
	if len(c.Args) > 3 {
		if !c.Is(2, "replace") {
			return errorf("ERR Unknown option given: %s", c.Args[2])
		}
		replace, i = true, 3
	}
	if len(c.Args) > i+1 {
		return ErrSyntax
	}
	name, err := syncFunctions(c).LoadLibrary(c.Args[i], replace)
	if err != nil {
		return scriptReplyError(err)
	}
	emitFunctions(c, effect.Op{Kind: effect.FunctionLoad, Key: name, Value: bytes.Clone(c.Args[i])})
	c.W.BulkString(name)
	return nil
}

func functionDeleteCommand(c *Ctx) error {
	if !syncFunctions(c).DeleteLibrary(string(c.Args[2])) {
		return errLibraryNotFound
	}
	emitFunctions(c, effect.Op{Kind: effect.FunctionDelete, Key: string(c.Args[2])})
	c.W.Simple("OK")
	return nil
}

func functionFlushCommand(c *Ctx) error {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !c.Is(2, "sync") && !c.Is(2, "async")) {
		return errFunctionFlush
	}
	syncFunctions(c).FlushFunctions()
	emitFunctions(c, effect.Op{Kind: effect.FunctionFlush})
	c.W.Simple("OK")
	return nil
}

func functionListCommand(c *Ctx) error {
	withCode := false
	var pattern string
	hasPattern := false
	for i := 2; i < len(c.Args); i++ {
		switch {
		case c.Is(i, "withcode") && !withCode:
			withCode = true
		case c.Is(i, "libraryname") && !hasPattern && i+1 < len(c.Args):
			pattern, hasPattern = string(c.Args[i+1]), true
			i++
		case c.Is(i, "libraryname") && !hasPattern:
			return Error("ERR library name argument was not given")
		default:
			return errorf("ERR Unknown argument %s", c.Args[i])
		}
	}
	var libs []*script.Library
	for _, l := range syncFunctions(c).Libraries() {
		if !hasPattern || glob.MatchString(pattern, l.Name, false) {
			libs = append(libs, l)
		}
	}
	w := c.W
	w.ArrayLen(len(libs))
	for _, l := range libs {
		if withCode {
			w.MapLen(4)
		} else {
			w.MapLen(3)
		}
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.ArrayLen(len(l.Functions))
		for _, fn := range l.Functions {
			w.MapLen(3)
			w.BulkString("name")
			w.BulkString(fn.Name)
			w.BulkString("description")
			if fn.HasDesc {
				w.BulkString(fn.Description)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			flags := fn.FlagNames()
			w.SetLen(len(flags))
			for _, f := range flags {
				w.Simple(f)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.Code)
		}
	}
	return nil
}

// functionStatsCommand: a function never runs while another command does (the engine lock),
// so running_script is always null here; libraries and functions are counted.
func functionStatsCommand(c *Ctx) error {
	libs := syncFunctions(c).Libraries()
	nfn := 0
	for _, l := range libs {
		nfn += len(l.Functions)
	}
	w := c.W
	w.MapLen(2)
	w.BulkString("running_script")
	w.Null()
	w.BulkString("engines")
	w.MapLen(1)
	w.BulkString("LUA")
	w.MapLen(2)
	w.BulkString("libraries_count")
	w.Int(int64(len(libs)))
	w.BulkString("functions_count")
	w.Int(int64(nfn))
	return nil
}

func functionDumpCommand(c *Ctx) error {
	c.W.Bulk(syncFunctions(c).DumpFunctions())
	return nil
}

func functionRestoreCommand(c *Ctx) error {
	policy := "APPEND"
	if len(c.Args) == 4 {
		policy = strings.ToUpper(string(c.Args[3]))
		if policy != "FLUSH" && policy != "APPEND" && policy != "REPLACE" {
			return Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
		}
	} else if len(c.Args) > 4 {
		return ErrSyntax
	}
	loaded, err := syncFunctions(c).RestoreFunctions(c.Args[2], policy)
	if err != nil {
		return scriptReplyError(err)
	}
	// One batch: the flush, then the loads (the flush removes only what came before it).
	var ops []effect.Op
	if policy == "FLUSH" {
		ops = append(ops, effect.Op{Kind: effect.FunctionFlush})
	}
	for _, l := range loaded {
		ops = append(ops, effect.Op{Kind: effect.FunctionLoad, Key: l.Name, Value: []byte(l.Code)})
	}
	emitFunctions(c, ops...)
	c.W.Simple("OK")
	return nil
}
