package crdt

import "github.com/concord-db/concord/internal/clock"

// Type is the Redis data type of a key's value.
type Type uint8

// The data types. The zero Type means "no value".
const (
	TypeNone Type = iota
	TypeString
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
	// TypeHLL is a HyperLogLog. Redis stores HyperLogLogs in strings, so TYPE says "string";
	// Concord keeps them as their own conflict-free type (semantics.md §6: DEL wins).
	TypeHLL
)

// Name is what TYPE replies.
func (t Type) Name() string {
	switch t {
	case TypeString, TypeHLL:
		return "string"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeHash:
		return "hash"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// Value is the conflict-free state of one key's value, implemented by each data type.
type Value interface {
	Type() Type
	// Live reports whether the value is visible to users (a key whose value is not live does
	// not exist for Redis commands).
	Live() bool
}

// Key is the envelope of a key: its value, the stamp of the write that created the value (it
// decides type conflicts: semantics.md §7), the expiry register, and the record of type
// contests the key went through and of the HyperLogLog deletions it remembers (deletions.go;
// nil for the vast majority of keys, which never had either).
type Key struct {
	Value   Value
	Created clock.Stamp
	Expiry  Expiry
	contest *contest
}

// Live reports whether the key exists (ignoring expiry time).
func (k *Key) Live() bool { return k.Value != nil && k.Value.Live() }

// Type is the type of the live value, TypeNone if the key does not exist.
func (k *Key) Type() Type {
	if !k.Live() {
		return TypeNone
	}
	return k.Value.Type()
}

// Accepts decides whether an effect that targets a value of type t created at created may act
// on this key, and makes the key hold a value of type t when the effect's value wins a type
// contest (the caller then creates the value). It returns false when the effect targets a value
// that lost a contest and must be ignored (semantics.md §7; see contest.go for the rule and why
// it holds in every causal order). A deleted key's envelope is kept (as a tombstone) until the
// deletion is stable, so that every member decides a contest the same way whatever order the
// deletion and a concurrent creation of another type arrive in.
//
// When the effect's value loses to a later creation of the key's type but beats some earlier
// creations whose elements the value still holds, Accepts records which dots those elements
// have; the engine removes them (TakeHidden) after the operation.
func (k *Key) Accepts(t Type, created clock.Stamp) bool {
	c := k.contest
	if c != nil && c.beaten.After(created) {
		return false // a creation that some value of another type beat
	}
	if k.Value == nil {
		if k.Created == (clock.Stamp{}) || created.After(k.Created) {
			k.Created = created
		}
		return true
	}
	if k.Value.Type() == t {
		if created.After(k.Created) {
			k.Created = created
		}
		return true
	}
	if k.Created.After(created) {
		k.beat(created, true) // the effect's value lost, possibly beating older creations
		return false
	}
	// The effect's value is the later creation (a tie is two operations of one batch, and
	// the later operation wins): the old value lost entirely. It is kept aside, for the
	// counter totals it may hold, and a value of type t kept aside earlier comes back (with
	// nothing visible in it): see contest.go.
	if c == nil {
		c = &contest{}
		k.contest = c
	}
	c.beaten, c.incs, c.hide, c.history = k.Created, nil, nil, nil
	old := k.Value
	k.Value = c.takeLost(t)
	c.putLost(old)
	k.Created = created
	return true
}

// Unobserved is implemented by values that can tell whether they hold an element or a live
// contribution that the origin of obs had not seen. When a newer creation of a value's type
// replaces the creation stamp of a value that still holds such things, the key records where
// the older creation's elements end (Key.Supersede); values that do not implement it are
// assumed to hold some.
type Unobserved interface {
	HoldsUnobserved(obs Observed) bool
}
