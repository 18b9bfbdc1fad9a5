// Package persist keeps a member's data on disk so that it survives a crash (kill -9) and
// restarts with everything it acknowledged: an append-only file (AOF) of every effect batch the
// engine applies, local or from peers, and snapshots of the whole conflict-free state. It owns
// the two file formats below; future versions must keep reading today's files.
//
// # Files
//
// All in the member's dir. The snapshot is dbfilename (default dump.rdb, but Concord's format,
// not Redis's RDB). The append-only file is a series of generations appendfilename.N (N = 1, 2,
// ...): BGREWRITEAOF takes a snapshot and starts generation N+1 under the same engine lock, so
// that N+1 holds exactly the batches after the snapshot; generations before N+1 are removed once
// the snapshot is durable. BGSAVE and BGREWRITEAOF take the snapshot with engine.StartExport:
// the state as of that instant (labelled with that instant's vector clock), encoded afterwards
// by the background job, which holds the engine lock only for slices of about a millisecond
// while writers encode a key the export has not reached yet before they change it
// (copy-on-write per key, engine/export.go); clients are not stopped for the whole export. On start the snapshot is loaded (engine.LoadState into the empty
// engine, which is what engine.MergeState would make of it: vector clock, own sequence number
// and HLC restored), then every generation is replayed
// oldest first through engine.Apply, which drops the batches the snapshot already covers; so a
// crash between any two steps of a save or a rewrite loads to the same data. Generations are
// loaded even when appendonly is no (they are the member's own history: skipping them would
// reuse their sequence numbers); they are only appended to when it is yes. Auto rewrites follow
// auto-aof-rewrite-percentage and auto-aof-rewrite-min-size, as in Redis.
//
// # AOF format (version 1)
//
//	file    = header { record }
//	header  = magic:"CNCA" version:byte(1) reserved:3 bytes(0)
//	record  = length:uint32le crc:uint32le payload
//	payload = effect.Encode of one batch (its own version byte first), length bytes
//
// crc is CRC-32C (Castagnoli) of the 4 length bytes followed by the payload. A file that ends
// inside a record, or whose bad part is only zero bytes up to the end (a write the disk had not
// finished), is truncated there with a warning: that write was never acknowledged. A complete
// record with a wrong checksum, or bytes that are not a record, anywhere else stop the start with
// an error naming the file and offset; `concord check-aof [--fix] FILE` reports (and cuts) it.
//
// # Snapshot format (version 1)
//
//	file    = magic:"CNCD" version:byte(1) reserved:3 bytes(0) created:uint64le(Unix ms)
//	          length:uint64le state crc:uint32le
//	state   = engine.ExportState's bytes (its own magic "CNCS", version and checksum)
//
// crc is CRC-32C of everything before it. A snapshot is written to temp-<dbfilename>, fsynced,
// renamed over dbfilename and the directory fsynced.
//
// # Durability
//
// The AOF sink writes each batch to the file under the engine lock, before the command's reply
// can reach the socket, so a process crash loses nothing acknowledged with any appendfsync.
// appendfsync always: replies wait (WaitDurable, after the engine lock is released) for an fsync
// covering their writes, and concurrent clients share one write and one fsync (group commit):
// while an fsync round runs, the sink only buffers the batch's record, and the round's leader
// writes everything buffered at once, outside the engine lock, before it ends (fdatasync is
// waited for without releasing the scheduler's processor, as redis-server's single thread
// waits). A failed write or fsync with always ends the process (as Redis does): the write
// cannot be acknowledged and is already applied. With everysec (fsync once a second in the
// background) and no, a failed write is retried and write commands are refused with MISCONF
// until one succeeds.
package persist
