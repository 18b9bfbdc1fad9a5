package command

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/concord-db/concord/internal/resp"
)

// CLIENT and its subcommands, as Redis 7.0's clientCommand. Client-side caching (TRACKING ON,
// CACHING), CLIENT PAUSE and CLIENT REPLY SKIP are not implemented: they check their arguments
// like Redis, then reply an error saying so.

func init() {
	define(&Command{Name: "client", Arity: -2, Subcommands: subcommands("client",
		&Command{Name: "id", Arity: 2, Flags: Fast, Run: clientIDCommand},
		&Command{Name: "setname", Arity: 3, Flags: Fast, Run: clientSetnameCommand},
		&Command{Name: "getname", Arity: 2, Flags: Fast, Run: clientGetnameCommand},
		&Command{Name: "list", Arity: -2, Flags: Admin, Run: clientListCommand},
		&Command{Name: "info", Arity: 2, Run: clientInfoCommand},
		&Command{Name: "kill", Arity: -3, Flags: Admin, Run: clientKillCommand},
		&Command{Name: "no-evict", Arity: 3, Flags: Admin, Run: clientNoEvictCommand},
		&Command{Name: "no-touch", Arity: 3, Flags: Fast, Run: clientNoTouchCommand},
		&Command{Name: "pause", Arity: -3, Flags: Admin, Run: clientPauseCommand},
		&Command{Name: "unpause", Arity: 2, Flags: Admin, Run: clientUnpauseCommand},
		&Command{Name: "reply", Arity: 3, Run: clientReplyCommand},
		&Command{Name: "tracking", Arity: -3, Run: clientTrackingCommand},
		&Command{Name: "trackinginfo", Arity: 2, Run: clientTrackinginfoCommand},
		&Command{Name: "getredir", Arity: 2, Run: clientGetredirCommand},
		&Command{Name: "caching", Arity: 3, Run: clientCachingCommand},
		&Command{Name: "unblock", Arity: -3, Flags: Admin, Run: clientUnblockCommand},
		&Command{Name: "help", Arity: 2, Run: helpCommand("CLIENT", clientHelp)},
	)})
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

// The client types of CLIENT LIST TYPE and CLIENT KILL TYPE (Redis's CLIENT_TYPE_*).
const (
	clientTypeNormal = iota
	clientTypeReplica
	clientTypePubSub
	clientTypeMaster
)

// clientTypeByName is getClientTypeByName; -1 for an unknown name.
func clientTypeByName(name []byte) int {
	switch strings.ToLower(string(name)) {
	case "normal":
		return clientTypeNormal
	case "slave", "replica":
		return clientTypeReplica
	case "pubsub":
		return clientTypePubSub
	case "master":
		return clientTypeMaster
	}
	return -1
}

// clientType is getClientType (Concord has no replica or master links among its clients).
func clientType(cl *Client) int {
	if cl.Subscriptions() > 0 {
		return clientTypePubSub
	}
	return clientTypeNormal
}

func clientIDCommand(c *Ctx) error {
	c.W.Int(c.Client.ID)
	return nil
}

func clientSetnameCommand(c *Ctx) error {
	if err := c.setClientName(c.Args[2]); err != nil {
		return err
	}
	c.W.Simple("OK")
	return nil
}

func clientGetnameCommand(c *Ctx) error {
	if c.Client.Name == "" {
		c.W.Null()
	} else {
		c.W.BulkString(c.Client.Name)
	}
	return nil
}

// clientFlags are CLIENT LIST's flags letters, in catClientInfoString's order (T for NO-TOUCH is
// Redis 7.2's).
func clientFlags(cl *Client) string {
	var b []byte
	if cl.Subscriptions() > 0 {
		b = append(b, 'P')
	}
	if cl.InMulti {
		b = append(b, 'x')
	}
	if cl.block != nil {
		b = append(b, 'b')
	}
	if cl.WatchDirt {
		b = append(b, 'd')
	}
	if cl.CloseAfterReply {
		b = append(b, 'c')
	}
	if strings.HasPrefix(cl.Addr, "/") {
		b = append(b, 'U')
	}
	if cl.NoEvict {
		b = append(b, 'e')
	}
	if cl.NoTouch {
		b = append(b, 'T')
	}
	if len(b) == 0 {
		return "N"
	}
	return string(b)
}

// clientInfo appends one CLIENT LIST line (without the newline) for cl, with Redis 7.0.15's
// fields. The query buffer and the reply buffer are the network side's, not tracked here: qbuf,
// qbuf-free, rbs and rbp are 0; argv-mem is the size of the running command's arguments for the
// client that asks, multi-mem the size of a queued transaction, omem the output waiting.
func (c *Ctx) clientInfo(b []byte, cl *Client) []byte {
	now := time.Now().UnixMilli()
	multi := -1
	multiMem := 0
	if cl.InMulti {
		multi = len(cl.Queue)
		for _, args := range cl.Queue {
			for _, a := range args {
				multiMem += len(a)
			}
		}
	}
	argvMem := 0
	if cl == c.Client {
		for _, a := range c.Args {
			argvMem += len(a)
		}
	}
	omem := cl.Out.Pending()
	events := "r"
	if omem > 0 {
		events = "rw"
	}
	num := func(key string, n int64) {
		b = append(b, ' ')
		b = append(b, key...)
		b = append(b, '=')
		b = strconv.AppendInt(b, n, 10)
	}
	str := func(key, v string) {
		b = append(b, ' ')
		b = append(b, key...)
		b = append(b, '=')
		b = append(b, v...)
	}
	b = append(b, "id="...)
	b = strconv.AppendInt(b, cl.ID, 10)
	str("addr", cl.Addr)
	str("laddr", cl.LocalAddr)
	num("fd", int64(cl.FD))
	str("name", cl.Name)
	num("age", (now-cl.Created)/1000)
	num("idle", max(c.E.Now()-cl.LastCmdAt, 0)/1000) // the dispatcher stamps LastCmdAt with the engine's clock
	str("flags", clientFlags(cl))
	num("db", int64(cl.DB))
	num("sub", int64(len(cl.Channels)))
	num("psub", int64(len(cl.Patterns)))
	num("ssub", 0)
	num("multi", int64(multi))
	num("qbuf", 0)
	num("qbuf-free", 0)
	num("argv-mem", int64(argvMem))
	num("multi-mem", int64(multiMem))
	num("rbs", 0)
	num("rbp", 0)
	num("obl", 0)
	num("oll", 0)
	num("omem", int64(omem))
	num("tot-mem", int64(argvMem+multiMem+omem))
	str("events", events)
	str("cmd", cl.LastCmd)
	str("user", "default")
	num("redir", -1)
	num("resp", int64(cl.Proto))
	return b
}

func clientListCommand(c *Ctx) error {
	typ := -1
	var out []byte
	switch {
	case len(c.Args) == 4 && c.Is(2, "TYPE"):
		typ = clientTypeByName(c.Args[3])
		if typ == -1 {
			return errorf("ERR Unknown client type '%s'", c.Args[3])
		}
	case len(c.Args) > 3 && c.Is(2, "ID"):
		out = []byte{}
		for j := 3; j < len(c.Args); j++ {
			id, err := c.Int(j)
			if err != nil {
				return Error("ERR Invalid client ID")
			}
			if cl := c.Env.clients[id]; cl != nil {
				out = c.clientInfo(out, cl)
				out = append(out, '\n')
			}
		}
	case len(c.Args) != 2:
		return ErrSyntax
	}
	if out == nil {
		out = []byte{}
		for _, cl := range c.Env.Clients() {
			if typ != -1 && clientType(cl) != typ {
				continue
			}
			out = c.clientInfo(out, cl)
			out = append(out, '\n')
		}
	}
	c.W.Verbatim("txt", string(out))
	return nil
}

func clientInfoCommand(c *Ctx) error {
	out := c.clientInfo(nil, c.Client)
	out = append(out, '\n')
	c.W.Verbatim("txt", string(out))
	return nil
}

// clientKillCommand implements both forms: CLIENT KILL addr (an error if no client matches, and
// the caller may kill itself) and CLIENT KILL <filter> <value> ... (the number killed).
func clientKillCommand(c *Ctx) error {
	var addr, laddr []byte
	typ := -1
	var id int64
	skipme := true
	if len(c.Args) == 3 {
		addr = c.Args[2]
		skipme = false
	} else {
		for i := 2; i < len(c.Args); i += 2 {
			if i+1 >= len(c.Args) {
				return ErrSyntax
			}
			switch {
			case c.Is(i, "ID"):
				n, err := c.Int(i + 1)
				if err != nil || n < 1 {
					return Error("ERR client-id should be greater than 0")
				}
				id = n
			case c.Is(i, "TYPE"):
				typ = clientTypeByName(c.Args[i+1])
				if typ == -1 {
					return errorf("ERR Unknown client type '%s'", c.Args[i+1])
				}
			case c.Is(i, "ADDR"):
				addr = c.Args[i+1]
			case c.Is(i, "LADDR"):
				laddr = c.Args[i+1]
			case c.Is(i, "USER"):
				// Every client is authenticated as "default", the only user.
				if string(c.Args[i+1]) != "default" {
					return errorf("ERR No such user '%s'", c.Args[i+1])
				}
			case c.Is(i, "SKIPME"):
				switch {
				case c.Is(i+1, "YES"):
					skipme = true
				case c.Is(i+1, "NO"):
					skipme = false
				default:
					return ErrSyntax
				}
			default:
				return ErrSyntax
			}
		}
	}
	killed := 0
	for _, cl := range c.Env.Clients() {
		if addr != nil && cl.Addr != string(addr) {
			continue
		}
		if laddr != nil && cl.LocalAddr != string(laddr) {
			continue
		}
		if typ != -1 && clientType(cl) != typ {
			continue
		}
		if id != 0 && cl.ID != id {
			continue
		}
		if cl == c.Client && skipme {
			continue
		}
		if cl == c.Client {
			cl.CloseAfterReply = true
		} else {
			c.Env.kill(cl)
		}
		killed++
	}
	if len(c.Args) == 3 {
		if killed == 0 {
			return Error("ERR No such client")
		}
		c.W.Simple("OK")
		return nil
	}
	c.W.Int(int64(killed))
	return nil
}

// kill closes another client's connection and forgets it at once, as Redis's freeClient (its
// connection goroutine, when it notices, disconnects it again, which does nothing).
func (env *Env) kill(cl *Client) {
	if cl.MarkKilled() && cl.Kill != nil {
		cl.Kill()
	}
	env.ForgetBlocked(cl)
	env.Disconnect(cl)
}

// onOff parses CLIENT NO-EVICT's and NO-TOUCH's argument.
func onOff(c *Ctx, i int) (bool, error) {
	switch {
	case c.Is(i, "ON"):
		return true, nil
	case c.Is(i, "OFF"):
		return false, nil
	}
	return false, ErrSyntax
}

func clientNoEvictCommand(c *Ctx) error {
	on, err := onOff(c, 2)
	if err != nil {
		return err
	}
	c.Client.NoEvict = on
	c.W.Simple("OK")
	return nil
}

func clientNoTouchCommand(c *Ctx) error {
	on, err := onOff(c, 2)
	if err != nil {
		return err
	}
	c.Client.NoTouch = on
	c.W.Simple("OK")
	return nil
}

func clientPauseCommand(c *Ctx) error {
	if len(c.Args) > 4 {
		return subcommandSyntaxError(c)
	}
	if len(c.Args) == 4 && !c.Is(3, "WRITE") && !c.Is(3, "ALL") {
		return Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
	}
	ms, err := c.Int(2)
	if err != nil {
		return ErrTimeout
	}
	if ms < 0 {
		return Error("ERR timeout is negative")
	}
	return Error("ERR CLIENT PAUSE is not supported by Concord yet")
}

// clientUnpauseCommand succeeds: no client is ever paused.
func clientUnpauseCommand(c *Ctx) error {
	c.W.Simple("OK")
	return nil
}

// clientReplyCommand: OFF puts the client's reply writer aside and makes the client write to a
// writer that discards everything (replies and pushed messages alike, as Redis), ON brings it
// back. SKIP is not implemented (it needs the dispatcher to know where the next reply ends).
func clientReplyCommand(c *Ctx) error {
	cl := c.Client
	switch {
	case c.Is(2, "ON"):
		c.restoreReplies()
		c.W.Simple("OK")
	case c.Is(2, "OFF"):
		if cl.savedW == nil {
			_ = cl.W.Flush()
			cl.savedW = cl.W
			cl.W = resp.NewWriter(io.Discard)
			cl.W.SetProtocol(cl.Proto)
			c.W = cl.W
		}
	case c.Is(2, "SKIP"):
		if cl.savedW == nil {
			return Error("ERR CLIENT REPLY SKIP is not supported by Concord yet")
		}
	default:
		return ErrSyntax
	}
	return nil
}

// restoreReplies ends CLIENT REPLY OFF.
func (c *Ctx) restoreReplies() {
	cl := c.Client
	if cl.savedW == nil {
		return
	}
	cl.savedW.SetProtocol(cl.Proto)
	cl.W, cl.savedW = cl.savedW, nil
	c.W = cl.W
}

// clientTrackingCommand parses the options as Redis does; tracking can only be turned off.
func clientTrackingCommand(c *Ctx) error {
	var redir int64
	var bcast, optin, optout bool
	prefixes := 0
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.Is(j, "REDIRECT") && more > 0:
			j++
			if redir != 0 {
				return Error("ERR A client can only redirect to a single other client")
			}
			n, err := c.Int(j)
			if err != nil {
				return err
			}
			if c.Env.clients[n] == nil {
				return Error("ERR The client ID you want redirect to does not exist")
			}
			redir = n
		case c.Is(j, "BCAST"):
			bcast = true
		case c.Is(j, "OPTIN"):
			optin = true
		case c.Is(j, "OPTOUT"):
			optout = true
		case c.Is(j, "NOLOOP"):
		case c.Is(j, "PREFIX") && more > 0:
			j++
			prefixes++
		default:
			return ErrSyntax
		}
	}
	switch {
	case c.Is(2, "ON"):
		if prefixes > 0 && !bcast {
			return Error("ERR PREFIX option requires BCAST mode to be enabled")
		}
		if (optin || optout) && bcast {
			return Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
		}
		if optin && optout {
			return Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
		}
		return Error("ERR CLIENT TRACKING is not supported by Concord yet")
	case c.Is(2, "OFF"):
		c.W.Simple("OK")
		return nil
	}
	return ErrSyntax
}

func clientTrackinginfoCommand(c *Ctx) error {
	c.W.MapLen(3)
	c.W.BulkString("flags")
	c.W.SetLen(1)
	c.W.BulkString("off")
	c.W.BulkString("redirect")
	c.W.Int(-1)
	c.W.BulkString("prefixes")
	c.W.ArrayLen(0)
	return nil
}

func clientGetredirCommand(c *Ctx) error {
	c.W.Int(-1)
	return nil
}

func clientCachingCommand(c *Ctx) error {
	return Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
}

// clientUnblockCommand is CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client parked by a blocking
// command gets the reply of a timeout, or the UNBLOCKED error (blocking.go).
func clientUnblockCommand(c *Ctx) error {
	if len(c.Args) > 4 {
		return subcommandSyntaxError(c)
	}
	withError := false
	if len(c.Args) == 4 {
		switch {
		case c.Is(3, "TIMEOUT"):
		case c.Is(3, "ERROR"):
			withError = true
		default:
			return Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
		}
	}
	id, err := c.Int(2)
	if err != nil {
		return err
	}
	if c.Env.unblockClient(id, withError) {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
	return nil
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError.
func subcommandSyntaxError(c *Ctx) error {
	return errorf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		c.Args[1], strings.ToUpper(string(c.Args[0])))
}
