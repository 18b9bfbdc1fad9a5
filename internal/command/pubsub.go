package command

import (
	"sort"

	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/glob"
)

// hub is the registry of subscriptions, used under the engine lock.
type hub struct {
	channels map[string]map[*Client]struct{}
	patterns map[string]map[*Client]struct{}
}

func init() {
	define(
		&Command{Name: "subscribe", Arity: -2, Flags: PubSub, Run: subscribeCommand},
		&Command{Name: "unsubscribe", Arity: -1, Flags: PubSub, Run: unsubscribeCommand},
		&Command{Name: "psubscribe", Arity: -2, Flags: PubSub, Run: psubscribeCommand},
		&Command{Name: "punsubscribe", Arity: -1, Flags: PubSub, Run: punsubscribeCommand},
		&Command{Name: "publish", Arity: 3, Flags: Fast, Run: publishCommand},
		&Command{Name: "pubsub", Arity: -2, Subcommands: subcommands("pubsub",
			&Command{Name: "channels", Arity: -2, Run: pubsubChannelsCommand},
			&Command{Name: "numsub", Arity: -2, Run: pubsubNumsubCommand},
			&Command{Name: "numpat", Arity: 2, Run: pubsubNumpatCommand},
			&Command{Name: "shardchannels", Arity: -2, Run: pubsubShardChannelsCommand},
			&Command{Name: "shardnumsub", Arity: -2, Run: pubsubShardNumsubCommand},
			&Command{Name: "help", Arity: 2, Run: helpCommand("PUBSUB", pubsubHelp)},
		)},
	)
}

var pubsubHelp = []string{
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
}

// confirm writes a (un)subscription confirmation: a push in RESP3, an array in RESP2.
func confirm(cl *Client, kind string, name []byte, count int) {
	cl.W.PushLen(3)
	cl.W.BulkString(kind)
	if name == nil {
		cl.W.Null()
	} else {
		cl.W.Bulk(name)
	}
	cl.W.Int(int64(count))
}

func subscribeCommand(c *Ctx) error {
	cl := c.Client
	for _, ch := range c.Args[1:] {
		c.Env.hub.add(&c.Env.hub.channels, &cl.Channels, cl, string(ch))
		confirm(cl, "subscribe", ch, cl.Subscriptions())
	}
	return nil
}

func psubscribeCommand(c *Ctx) error {
	cl := c.Client
	for _, p := range c.Args[1:] {
		c.Env.hub.add(&c.Env.hub.patterns, &cl.Patterns, cl, string(p))
		confirm(cl, "psubscribe", p, cl.Subscriptions())
	}
	return nil
}

func unsubscribeCommand(c *Ctx) error {
	unsubscribe(c, &c.Env.hub.channels, &c.Client.Channels, "unsubscribe")
	return nil
}

func punsubscribeCommand(c *Ctx) error {
	unsubscribe(c, &c.Env.hub.patterns, &c.Client.Patterns, "punsubscribe")
	return nil
}

func unsubscribe(c *Ctx, reg *map[string]map[*Client]struct{}, mine *map[string]struct{}, kind string) {
	cl := c.Client
	names := c.Args[1:]
	if len(names) == 0 {
		all := sortedNames(*mine)
		if len(all) == 0 {
			confirm(cl, kind, nil, cl.Subscriptions())
			return
		}
		for _, n := range all {
			c.Env.hub.remove(reg, mine, cl, n)
			confirm(cl, kind, []byte(n), cl.Subscriptions())
		}
		return
	}
	for _, n := range names {
		c.Env.hub.remove(reg, mine, cl, string(n))
		confirm(cl, kind, n, cl.Subscriptions())
	}
}

func sortedNames(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (h *hub) add(reg *map[string]map[*Client]struct{}, mine *map[string]struct{}, cl *Client, name string) {
	if *mine == nil {
		*mine = make(map[string]struct{})
	}
	if _, ok := (*mine)[name]; ok {
		return
	}
	(*mine)[name] = struct{}{}
	if *reg == nil {
		*reg = make(map[string]map[*Client]struct{})
	}
	if (*reg)[name] == nil {
		(*reg)[name] = make(map[*Client]struct{})
	}
	(*reg)[name][cl] = struct{}{}
}

func (h *hub) remove(reg *map[string]map[*Client]struct{}, mine *map[string]struct{}, cl *Client, name string) {
	if _, ok := (*mine)[name]; !ok {
		return
	}
	delete(*mine, name)
	delete((*reg)[name], cl)
	if len((*reg)[name]) == 0 {
		delete(*reg, name)
	}
}

func (h *hub) unsubscribeAll(cl *Client) {
	for n := range cl.Channels {
		h.remove(&h.channels, &cl.Channels, cl, n)
	}
	for n := range cl.Patterns {
		h.remove(&h.patterns, &cl.Patterns, cl, n)
	}
}

// publish delivers a message to this member's subscribers (engine.OnPublish) and returns how
// many received it.
func (h *hub) publish(channel, message []byte) int {
	n := 0
	for cl := range h.channels[string(channel)] {
		cl.W.PushLen(3)
		cl.W.BulkString("message")
		cl.W.Bulk(channel)
		cl.W.Bulk(message)
		deliver(cl)
		n++
	}
	for pat, cls := range h.patterns {
		if !glob.Match([]byte(pat), channel, false) {
			continue
		}
		for cl := range cls {
			cl.W.PushLen(4)
			cl.W.BulkString("pmessage")
			cl.W.BulkString(pat)
			cl.W.Bulk(channel)
			cl.W.Bulk(message)
			deliver(cl)
			n++
		}
	}
	return n
}

// deliver moves a subscriber's pending output to its queue and wakes its pusher.
func deliver(cl *Client) {
	_ = cl.W.Flush()
	cl.Out.Wake()
}

func publishCommand(c *Ctx) error {
	n := c.E.Emit(effect.Op{Kind: effect.Publish, Key: string(c.Args[1]), Value: c.Value(2)})
	c.Env.Stats.PubSubMessages++
	c.W.Int(int64(n))
	return nil
}

func pubsubChannelsCommand(c *Ctx) error {
	return listChannels(c, c.Env.hub.channels)
}

func pubsubShardChannelsCommand(c *Ctx) error {
	return listChannels(c, nil)
}

func listChannels(c *Ctx, reg map[string]map[*Client]struct{}) error {
	var out []string
	for ch := range reg {
		if len(c.Args) < 3 || glob.Match(c.Args[2], []byte(ch), false) {
			out = append(out, ch)
		}
	}
	sort.Strings(out)
	c.W.ArrayLen(len(out))
	for _, ch := range out {
		c.W.BulkString(ch)
	}
	return nil
}

func pubsubNumsubCommand(c *Ctx) error {
	return numsub(c, c.Env.hub.channels)
}

func pubsubShardNumsubCommand(c *Ctx) error {
	return numsub(c, nil)
}

func numsub(c *Ctx, reg map[string]map[*Client]struct{}) error {
	c.W.ArrayLen(2 * (len(c.Args) - 2))
	for _, ch := range c.Args[2:] {
		c.W.Bulk(ch)
		c.W.Int(int64(len(reg[string(ch)])))
	}
	return nil
}

func pubsubNumpatCommand(c *Ctx) error {
	c.W.Int(int64(len(c.Env.hub.patterns)))
	return nil
}
