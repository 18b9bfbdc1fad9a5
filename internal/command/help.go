package command

import "strings"

// helpCommand returns a handler replying to "<CMD> HELP" as Redis's addReplyHelp does.
func helpCommand(name string, lines []string) Handler {
	return func(c *Ctx) error {
		c.W.ArrayLen(len(lines) + 3)
		c.W.Simple(strings.ToUpper(name) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
		for _, l := range lines {
			c.W.Simple(l)
		}
		c.W.Simple("HELP")
		c.W.Simple("    Prints this help.")
		return nil
	}
}
