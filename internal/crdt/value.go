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
// decides type conflicts: semantics.md §7) and the expiry register.
type Key struct {
	Value   Value
	Created clock.Stamp
	Expiry  Expiry
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
// conflict. It returns false when the effect targets the losing value and must be ignored
// (semantics.md §7). A deleted key's type and creation stamp are kept (as a tombstone) until
// every member has seen the deletion, so that every member decides a contest the same way
// whatever order the deletion and a concurrent creation of another type arrive in.
func (k *Key) Accepts(t Type, created clock.Stamp) bool {
	if k.Value != nil && k.Value.Type() != t {
		if !created.After(k.Created) {
			return false
		}
		k.Value = nil // the old value lost the contest: the effect's type takes the key
		k.Created = created
		return true
	}
	if k.Value == nil || created.After(k.Created) {
		k.Created = created
	}
	return true
}
