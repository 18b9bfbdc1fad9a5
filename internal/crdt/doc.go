// Package crdt owns the key-level conflict-free state shared by every Concord data type: the
// observed context a removal carries, the expiry register, and the per-key envelope (type,
// creation stamp, expiry) around a type's value. Each data type's own CRDT lives in a
// subpackage (register for strings; collections follow the same shape).
//
// Everything here is pure: no clock reads, no I/O, no goroutines. Callers pass in every
// timestamp and context, which is what makes deterministic simulation possible.
//
// Removal model. An effect batch is identified by its dot (origin member, sequence number) and
// carries the vector clock of what its origin had applied before it (Deps). Because effects are
// delivered causally, "the origin had seen element e" is exactly "e's dot is covered by Deps or
// is the batch's own dot", so an observed-remove needs no list of removed elements: it removes
// every covered dot, and elements added concurrently elsewhere (uncovered dots) survive.
// Counter contributions are cumulative per member and cannot be cut at a dot, so removals of
// counters carry explicit offsets instead (see package register).
//
// Type contests (contest.go) are settled per key from creation stamps, with a record, kept
// only for keys that had a contest, of which dots belong to which creation. Full-resync state
// (state.go, keystate.go): the encoding primitives every type's AppendState/DecodeState uses,
// and the envelope's own state and merge.
package crdt
