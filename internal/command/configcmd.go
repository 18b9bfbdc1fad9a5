package command

import (
	"time"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
)

// CONFIG GET, SET, RESETSTAT, REWRITE and HELP, through internal/config.

func init() {
	define(&Command{Name: "config", Arity: -2, Subcommands: subcommands("config",
		&Command{Name: "get", Arity: -3, Flags: Admin, Run: configGetCommand},
		&Command{Name: "set", Arity: -4, Flags: Admin, Run: configSetCommand},
		&Command{Name: "resetstat", Arity: 2, Flags: Admin, Run: configResetstatCommand},
		&Command{Name: "rewrite", Arity: 2, Flags: Admin, Run: configRewriteCommand},
		&Command{Name: "help", Arity: 2, Run: helpCommand("CONFIG", configHelp)},
	)})
}

var configHelp = []string{
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
}

func configGetCommand(c *Ctx) error {
	patterns := make([]string, len(c.Args)-2)
	for i := range patterns {
		patterns[i] = string(c.Args[i+2])
	}
	pairs := c.Env.Config.Get(patterns...)
	c.W.MapLen(len(pairs) / 2)
	for _, s := range pairs {
		c.W.BulkString(s)
	}
	return nil
}

// configSetCommand sets every pair or none; protected parameters (enable-protected-configs
// local) may be set by clients connected from a loopback address.
func configSetCommand(c *Ctx) error {
	pairs := make([]string, len(c.Args)-2)
	for i := range pairs {
		pairs[i] = string(c.Args[i+2])
	}
	if err := c.Env.Config.SetManyAs(c.Client.isLocal(), pairs); err != nil {
		return Error(config.SetErrorReply(err))
	}
	c.W.Simple("OK")
	return nil
}

func configResetstatCommand(c *Ctx) error {
	c.Env.ResetStats()
	c.W.Simple("OK")
	return nil
}

// ResetStats zeroes the statistics INFO reports, as Redis's resetServerStats and
// resetCommandTableStats (CONFIG RESETSTAT). The caller holds the engine lock.
func (env *Env) ResetStats() {
	s := &env.Stats
	s.Connections = 0
	s.Commands = 0
	s.RejectedConns.Store(0)
	s.ErrorReplies = 0
	s.NetInput.Store(0)
	s.NetOutput.Store(0)
	clear(s.ErrorCodes)
	s.PubSubMessages = 0
	s.Unexpected = 0
	s.PeakMemory = 0
	s.LastResetSeconds = time.Now().Unix()
	env.Engine.Stats = engine.Stats{}
	for _, cmd := range Commands() {
		resetCommandStats(cmd)
		for _, sub := range cmd.Subcommands {
			resetCommandStats(sub)
		}
	}
}

func resetCommandStats(cmd *Command) {
	cmd.Calls, cmd.Nanos, cmd.RejectedCalls, cmd.FailedCalls = 0, 0, 0, 0
	cmd.resetLatency()
}

func configRewriteCommand(c *Ctx) error {
	if err := c.Env.Config.Rewrite(""); err != nil {
		if c.Env.Config.File() != "" && c.Env.Log != nil {
			c.Env.Log.Warn("CONFIG REWRITE failed", "err", err)
		}
		return Error("ERR " + err.Error())
	}
	if c.Env.Log != nil {
		c.Env.Log.Info("CONFIG REWRITE executed with success")
	}
	c.W.Simple("OK")
	return nil
}
