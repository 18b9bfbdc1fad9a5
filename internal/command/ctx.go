package command

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/redisnum"
	"github.com/concord-db/concord/internal/resp"
	"github.com/concord-db/concord/internal/store"
)

// Ctx is one command being executed.
type Ctx struct {
	Env    *Env
	Client *Client
	E      *engine.Engine
	W      *resp.Writer
	Args   [][]byte
	Cmd    *Command
}

// DB is the client's selected database.
func (c *Ctx) DB() int { return c.Client.DB }

// Key returns argument i as a key (a copy: arguments alias the read buffer). A key that
// exists in the selected database reuses the stored name instead of allocating.
func (c *Ctx) Key(i int) string {
	if ent := c.E.Store().DB(c.Client.DB).Get(string(c.Args[i])); ent != nil {
		return ent.Name
	}
	return string(c.Args[i])
}

// Value returns a copy of argument i, for storing.
func (c *Ctx) Value(i int) []byte { return bytes.Clone(c.Args[i]) }

// Is reports whether argument i equals word, ignoring case.
func (c *Ctx) Is(i int, word string) bool {
	return len(c.Args[i]) == len(word) && strings.EqualFold(string(c.Args[i]), word)
}

// Int parses argument i as Redis's string2ll does, or returns ErrNotInteger.
func (c *Ctx) Int(i int) (int64, error) {
	n, ok := redisnum.ParseInt(c.Args[i])
	if !ok {
		return 0, ErrNotInteger
	}
	return n, nil
}

// Float parses argument i as a double, or returns ErrNotFloat.
func (c *Ctx) Float(i int) (float64, error) {
	f, ok := redisnum.ParseFloat(c.Args[i])
	if !ok {
		return 0, ErrNotFloat
	}
	return f, nil
}

// Read looks up a key for reading; ErrWrongType if it exists with another type than want
// (TypeNone: any type).
func (c *Ctx) Read(key string, want crdt.Type) (*store.Entry, error) {
	ent := c.E.Read(c.DB(), key)
	if ent != nil && !typeMatches(ent.Type(), want) {
		return nil, ErrWrongType
	}
	return ent, nil
}

// Lookup is Read without hit/miss statistics.
func (c *Ctx) Lookup(key string, want crdt.Type) (*store.Entry, error) {
	ent := c.E.Lookup(c.DB(), key)
	if ent != nil && !typeMatches(ent.Type(), want) {
		return nil, ErrWrongType
	}
	return ent, nil
}

// LookupWrite looks up a key that the command is going to write.
func (c *Ctx) LookupWrite(key string, want crdt.Type) (*store.Entry, error) {
	ent := c.E.LookupWrite(c.DB(), key)
	if ent != nil && !typeMatches(ent.Type(), want) {
		return nil, ErrWrongType
	}
	return ent, nil
}

// typeMatches reports whether a key of type got serves a command that wants type want
// (TypeNone: any). A HyperLogLog is a string for the string commands, as Redis stores
// HyperLogLogs in strings (StringValue gives its Redis encoding).
func typeMatches(got, want crdt.Type) bool {
	return want == crdt.TypeNone || got == want || (want == crdt.TypeString && got == crdt.TypeHLL)
}

// Delete removes a live key; it reports whether there was one.
func (c *Ctx) Delete(db int, key string) bool {
	ent := c.E.LookupWrite(db, key)
	if ent == nil {
		return false
	}
	c.E.Emit(engine.DeleteOp(db, ent))
	return true
}

// Itoa formats an integer (for replies built as text).
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }
