// Package effect defines the unit of replication: an effect batch, the deterministic result of
// executing one write command (or one MULTI/EXEC transaction) on its origin member, and the
// operations it is made of. The same batches are applied locally, on peers and when replaying
// files, through engine.Apply; their wire and disk encodings live with replication and
// persistence.
package effect

import (
	"math/big"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
)

// Effect is one atomic batch of operations, stamped by its origin.
type Effect struct {
	Origin clock.MemberID
	Seq    uint64    // the origin's sequence number for this batch: 1, 2, 3, ...
	HLC    clock.HLC // the origin's timestamp for every operation in the batch
	// Deps is the origin's vector clock when it made the batch (its own entry is Seq-1). It is
	// shared between consecutive local batches and must not be modified.
	Deps clock.Vector
	Ops  []Op
}

// Dot is the identity of the batch.
func (e *Effect) Dot() clock.Dot { return clock.Dot{Member: e.Origin, Seq: e.Seq} }

// Stamp is the LWW stamp of every write in the batch.
func (e *Effect) Stamp() clock.Stamp { return clock.Stamp{HLC: e.HLC, Member: e.Origin} }

// Observed is what the origin had seen when it made the batch, for observed-remove.
func (e *Effect) Observed() crdt.Observed {
	return crdt.Observed{Self: e.Dot(), Deps: e.Deps}
}

// Kind says what an operation does.
type Kind uint8

// The operation kinds.
const (
	// StringSet writes Value as a string key's base (SET and every command whose effect is a
	// whole new string value). It creates a new value (Created is the batch's stamp, so it wins
	// type contests against older values), stops the counters in Offsets, and writes the expiry:
	// At (0: no TTL) unless KeepTTL.
	StringSet Kind = iota + 1
	// StringAdd adds Int (and Float when not nil) to the origin's counter contribution on a
	// string key created at Created.
	StringAdd
	// Delete removes everything of the key that the origin had seen: the value of type Type
	// (counters up to Offsets) and the expiry writes.
	Delete
	// Expire writes the key's expiry register: At is an absolute Unix time in ms, 0 for no TTL.
	Expire
	// Flush removes every key of database DB (all databases when DB < 0) that the origin had
	// seen. Keys holding counters are listed as Delete operations before it in the same batch.
	// Elems lists the keys the origin deleted for good (live HyperLogLogs: semantics.md §6,
	// DEL wins), each the database number (uvarint) followed by the name; the engine fills it
	// when the FLUSH is applied locally.
	Flush
	// Publish delivers a pub/sub message (Key is the channel, Value the message) to subscribers
	// on every member. It changes no state.
	Publish

	// SetAdd adds Elems to a set created at Created (re-adding a member is a fresh add that
	// wins over concurrent removals). SetRemove removes the adds of Elems the origin had seen.
	SetAdd
	SetRemove
	// HashSet writes Values[i] to field Elems[i] of a hash created at Created, stopping the
	// counters in ElemOffsets[i]; HashAdd adds Int (and Float) to the origin's counter of field
	// Elems[0]; HashDelete removes what the origin had seen of fields Elems (counters up to
	// ElemOffsets).
	HashSet
	HashAdd
	HashDelete

	// Sorted sets (package crdt/zset defines the exact meaning): ZsetSet writes score Scores[i]
	// as the base of member Elems[i] of a sorted set created at Created (a fresh add), stopping
	// the counters in ElemOffsets[i]; ZsetAdd sets the origin's cumulative score contribution
	// of member Elems[0] to Scores[0] (a new total, not a delta); ZsetRemove removes what the
	// origin had seen of members Elems, counters up to ElemOffsets[i]. Sorted-set offsets are
	// register.Total values whose Int holds the float64 bits of the total (zset.ToTotals).
	ZsetSet
	ZsetAdd
	ZsetRemove

	// Lists (package crdt/list defines the exact meaning): ListInsert inserts Values[i] at
	// position path Elems[i] (from list.Between; the element's key is the path followed by the
	// batch's stamp) in a list created at Created; ListRemove removes the elements whose keys are
	// Elems; ListSet writes Values[i] to the element with key Elems[i].
	ListInsert
	ListRemove
	ListSet

	// HLLAdd merges the HyperLogLog registers in Value (package crdt/hll) into the key.
	HLLAdd

	// Redis 7 function libraries, kept by the engine apart from the keyspace (DB is unused;
	// engine/functions.go defines the rule): FunctionLoad loads library Key with code Value,
	// replacing the loads of Key its origin had seen; FunctionDelete removes the loads of
	// library Key its origin had seen; FunctionFlush removes every load its origin had seen.
	FunctionLoad
	FunctionDelete
	FunctionFlush
)

// ElemID identifies one element inserted by a batch: the batch's dot and the element's index
// among those the batch inserted.
type ElemID struct {
	Dot   clock.Dot
	Index uint32
}

// Op is one operation of a batch. Which fields matter depends on Kind.
type Op struct {
	Kind    Kind
	DB      int
	Key     string
	Type    crdt.Type   // Delete: the type of the value removed
	Created clock.Stamp // StringAdd: creation stamp of the value the contribution targets
	Value   []byte
	Int     int64
	Float   *big.Rat
	At      int64
	KeepTTL bool
	Offsets []register.Total
	// Collections: the members or fields an operation is about, their values, and per element
	// the counter totals it stops (fields holding counters).
	Elems       [][]byte
	Values      [][]byte
	ElemOffsets [][]register.Total
	// Scores are sorted-set scores or contributions, one per element.
	Scores []float64
	// IDs are the identities of elements an operation refers to (lists).
	IDs []ElemID
}

// Clone returns a deep copy of the batch's structure (operations are copied; the byte slices
// and totals they point to are immutable once emitted and are shared).
func (e *Effect) Clone() *Effect {
	c := *e
	c.Ops = append([]Op(nil), e.Ops...)
	c.Deps = e.Deps.Clone()
	return &c
}
