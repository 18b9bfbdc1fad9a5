// Package engine is the only path that changes a member's data. Commands read the keyspace and
// emit operations; the engine stamps them into an effect batch (member id, sequence number, HLC,
// dependencies), applies them to the store at once (so the rest of the command sees them) and,
// when the command or transaction ends, commits the batch to its sinks (backlog, append-only
// file, peers). Effects from peers and from files go through the same Apply.
//
// Concurrency: one mutex guards the engine and the store, like Redis's single thread. A command
// holds it from its first read to its commit, so commands and MULTI/EXEC transactions are atomic
// and no reader ever sees half a write. See docs/design/concurrency.md.
package engine
