// Package register implements the value of a Redis string key (semantics.md §1 and §1.1): a
// last-writer-wins base value plus the per-member counter contributions that no SET or DEL has
// observed. Hash fields reuse it.
//
// Base. Each SET adds a candidate identified by its batch's dot and stamped with its HLC, after
// removing the candidates its origin had seen (crdt.Observed). Candidates that survive are
// concurrent; the one with the latest stamp is the base. DEL removes the seen candidates and adds
// none.
//
// Counters. Each member's contributions are kept as a cumulative total (an integer part and an
// exact rational part for INCRBYFLOAT) with the sequence number of its latest contribution. A SET
// or DEL carries, as offsets, the totals it observed; a member's live contribution is its total
// minus its offset when the total is newer than the offset. Integer totals use wrapping int64
// arithmetic: the difference of two totals is exact as long as the live contribution itself fits,
// which the 59-bit limit on contributions guarantees.
//
// Resolution. With no live base and no live contribution the value does not exist. With a
// non-numeric base the contributions are hidden (semantics.md: "hello" ∥ INCR → "hello"). With no
// live contribution the base bytes are returned as written. Otherwise the base (0 when absent)
// and the contributions are summed exactly and printed as Redis prints integers or, when a
// floating contribution is live or the base is not an integer, as INCRBYFLOAT prints its result.
//
// State. AppendState/DecodeState/Merge (state.go, which documents the format) carry the whole
// state for full resynchronisation and snapshots; Merge joins two replicas' states as if one
// had applied the other's missing effects.
package register
