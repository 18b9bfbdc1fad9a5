package command

import (
	"crypto/subtle"
	"math"
	"net"
	"strings"
)

// Connection commands (Redis's connection group): PING, ECHO, SELECT, HELLO, AUTH, RESET. QUIT is
// handled by the dispatcher.

func init() {
	define(
		&Command{Name: "ping", Arity: -1, Flags: PubSub | Fast, Run: pingCommand},
		&Command{Name: "echo", Arity: 2, Flags: Fast, Run: echoCommand},
		&Command{Name: "select", Arity: 2, Flags: Fast, Run: selectCommand},
		&Command{Name: "hello", Arity: -1, Flags: NoAuth | Fast, Run: helloCommand},
		&Command{Name: "auth", Arity: -2, Flags: NoAuth | Fast, Run: authCommand},
		&Command{Name: "reset", Arity: 1, Flags: NoAuth | PubSub | TxControl | Fast, Run: resetCommand},
	)
}

// The error replies of this file, as Redis 7.0.15 words them.
const (
	errHelloProtover Error = "ERR Protocol version is not an integer or out of range"
	errHelloNoAuth   Error = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errClientName    Error = "ERR Client names cannot contain spaces, newlines or special characters."
)

// pingCommand replies PONG, or its argument; in RESP2 subscribed mode, ["pong", msg] as Redis
// does (a RESP3 client can tell pushes from replies, so it gets the normal reply).
func pingCommand(c *Ctx) error {
	if len(c.Args) > 2 {
		return errorf("ERR wrong number of arguments for '%s' command", c.Cmd.Name)
	}
	if c.Client.subscribedRESP2() {
		c.W.ArrayLen(2)
		c.W.BulkString("pong")
		if len(c.Args) == 1 {
			c.W.BulkString("")
		} else {
			c.W.Bulk(c.Args[1])
		}
		return nil
	}
	if len(c.Args) == 1 {
		c.W.Simple("PONG")
	} else {
		c.W.Bulk(c.Args[1])
	}
	return nil
}

func echoCommand(c *Ctx) error {
	c.W.Bulk(c.Args[1])
	return nil
}

// databases is the number of databases clients may SELECT.
func (c *Ctx) databases() int {
	n := c.E.Store().Len()
	if cfg := c.Env.Config.Int("databases"); cfg > 0 && int(cfg) < n {
		n = int(cfg)
	}
	return n
}

func selectCommand(c *Ctx) error {
	id, err := c.Int(1)
	if err != nil {
		return err
	}
	if id < math.MinInt32 || id > math.MaxInt32 { // getIntFromObjectOrReply
		return Error("ERR value is out of range, value must between -2147483648 and 2147483647")
	}
	if id < 0 || id >= int64(c.databases()) {
		return ErrDBIndex
	}
	c.Client.DB = int(id)
	c.W.Simple("OK")
	return nil
}

// checkPassword reports whether user/pass authenticate as Redis's ACLCheckUserCredentials does
// for the only user Concord has: "default", with requirepass as its password (or nopass when
// requirepass is empty).
func (c *Ctx) checkPassword(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	want := c.Env.Config.String("requirepass")
	if want == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(want), pass) == 1
}

// nopass reports whether the default user needs no password.
func (c *Ctx) nopass() bool { return c.Env.Config.String("requirepass") == "" }

func authCommand(c *Ctx) error {
	if len(c.Args) > 3 {
		return ErrSyntax
	}
	user, pass := []byte("default"), c.Args[1]
	if len(c.Args) == 2 {
		if c.nopass() {
			return ErrAuthNoPassword
		}
	} else {
		user, pass = c.Args[1], c.Args[2]
	}
	if !c.checkPassword(user, pass) {
		return ErrWrongPass
	}
	c.Client.Authed = true
	c.W.Simple("OK")
	return nil
}

// validClientName is Redis's validateClientName: printable ASCII without spaces.
func validClientName(name []byte) bool {
	for _, b := range name {
		if b < '!' || b > '~' {
			return false
		}
	}
	return true
}

// setClientName is clientSetNameOrReply: an empty name clears it.
func (c *Ctx) setClientName(name []byte) error {
	if !validClientName(name) {
		return errClientName
	}
	c.Client.Name = string(name)
	return nil
}

// helloCommand follows Redis 7.0.15: the protocol version is checked first, then AUTH and
// SETNAME are applied in argument order as they are parsed (so a SETNAME before a failing
// option still takes effect), then authentication is required and the protocol switched.
func helloCommand(c *Ctx) error {
	var ver int64
	next := 1
	if len(c.Args) >= 2 {
		v, err := c.Int(1)
		if err != nil {
			return errHelloProtover
		}
		if v < 2 || v > 3 {
			return ErrUnknownProtover
		}
		ver = v
		next = 2
	}
	for j := next; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.Is(j, "AUTH") && more >= 2:
			if !c.checkPassword(c.Args[j+1], c.Args[j+2]) {
				return ErrWrongPass
			}
			c.Client.Authed = true
			j += 2
		case c.Is(j, "SETNAME") && more >= 1:
			if err := c.setClientName(c.Args[j+1]); err != nil {
				return err
			}
			j++
		default:
			return errorf("ERR Syntax error in HELLO option '%s'", c.Args[j])
		}
	}
	if !c.Client.Authed {
		return errHelloNoAuth
	}
	if ver != 0 {
		c.setProtocol(int(ver))
	}
	c.W.MapLen(7)
	c.W.BulkString("server")
	c.W.BulkString("redis")
	c.W.BulkString("version")
	c.W.BulkString(RedisVersion)
	c.W.BulkString("proto")
	c.W.Int(int64(c.Client.Proto))
	c.W.BulkString("id")
	c.W.Int(c.Client.ID)
	c.W.BulkString("mode")
	c.W.BulkString("standalone")
	c.W.BulkString("role")
	c.W.BulkString("master")
	c.W.BulkString("modules")
	c.W.ArrayLen(0)
	return nil
}

// setProtocol switches the client's RESP version, on the writer in use and on the one put
// aside by CLIENT REPLY OFF.
func (c *Ctx) setProtocol(p int) {
	c.Client.Proto = p
	c.Client.W.SetProtocol(p)
	c.W.SetProtocol(p)
	if c.Client.savedW != nil {
		c.Client.savedW.SetProtocol(p)
	}
}

// resetCommand is Redis's clearClientConnectionState: it discards the transaction and the
// WATCHes, leaves every subscription silently, selects DB 0, goes back to RESP2, clears the name
// and CLIENT REPLY OFF, and reauthenticates as the default user (unauthenticated when
// requirepass is set).
func resetCommand(c *Ctx) error {
	cl := c.Client
	discardMulti(c)
	c.Env.hub.unsubscribeAll(cl)
	cl.DB = 0
	c.restoreReplies()
	c.setProtocol(2)
	cl.Name = ""
	cl.Authed = c.nopass()
	c.W.Simple("RESET")
	return nil
}

// isLocal reports whether the client connects from a loopback address (or a Unix socket), as
// Redis's islocalClient.
func (cl *Client) isLocal() bool {
	addr := cl.Addr
	if addr == "" {
		return false
	}
	if strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, "@") { // unix socket
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
