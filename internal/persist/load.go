package persist

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"

	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// loaded is what loading found.
type loaded struct {
	snapshotKeys  int
	batches       int    // applied from the append-only files
	lastGen       uint64 // the newest generation (0: none)
	lastGenSize   int64  // its readable length, where appending resumes
	aofBytes      int64  // readable bytes of every generation
	createdMillis int64  // of the snapshot, 0 when none
}

// load restores the engine from the snapshot at snapPath (if any) and then the append-only
// generations gens of base in dir (when aof is true), oldest first. Batches a file holds that the
// snapshot (or an earlier file) already covers are dropped by engine.Apply, which is what lets a
// crash between the steps of a rewrite leave overlapping files behind. The engine lock is held
// by the caller; the engine is empty.
func load(e *engine.Engine, fsys FS, snapPath, dir, base string, gens []uint64, log *slog.Logger) (loaded, error) {
	var res loaded
	data, err := fsys.ReadFile(snapPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return res, fmt.Errorf("read snapshot %s: %w", snapPath, err)
	default:
		state, created, err := DecodeSnapshot(data)
		if err != nil {
			return res, fmt.Errorf("snapshot %s: %w", snapPath, err)
		}
		// Loading into the empty engine is what MergeState would make of it (LoadState decodes
		// straight into the keyspace): it restores the vector clock, this member's sequence
		// number (its entry) and the HLC (the state's latest timestamp): nothing is reused.
		// The member serves nobody yet: the load may use every core, whatever io-threads
		// says (LoadState decodes large databases in two halves at once).
		if cpus := runtime.NumCPU(); cpus > runtime.GOMAXPROCS(0) {
			prev := runtime.GOMAXPROCS(cpus)
			defer runtime.GOMAXPROCS(prev)
		}
		n, err := e.LoadState(state)
		if err != nil {
			return res, fmt.Errorf("snapshot %s: %w", snapPath, err)
		}
		res.snapshotKeys, res.createdMillis = n, created
		log.Info("snapshot loaded", "file", snapPath, "keys", n)
	}
	for i, gen := range gens {
		path := join(dir, aofName(base, gen))
		data, err := fsys.ReadFile(path)
		if err != nil {
			return res, fmt.Errorf("read append-only file %s: %w", path, err)
		}
		var applyErr error
		good, err := ScanAOF(data, func(off int64, payload []byte) error {
			b, err := effect.Decode(payload)
			if err != nil {
				// The checksum was right: the encoding is from a newer or broken build.
				return fmt.Errorf("append-only file %s, offset %d: %w", path, off, err)
			}
			// Apply restores this member's sequence number for its own batches and moves the
			// HLC past every timestamp replayed.
			if err := e.Apply(b); err != nil {
				applyErr = fmt.Errorf("append-only file %s, offset %d: batch %d:%d: %w (a generation is missing?)", path, off, b.Origin, b.Seq, err)
				return applyErr
			}
			res.batches++
			return nil
		})
		var rerr *RecordError
		switch {
		case err == nil:
		case errors.As(err, &rerr) && errors.Is(err, ErrTruncated):
			// A crash in the middle of a write: that write was never acknowledged.
			log.Warn("append-only file ends with an incomplete record (crash while writing): it is cut off",
				"file", path, "offset", rerr.Offset, "bytes_dropped", int64(len(data))-rerr.Offset)
			if i == len(gens)-1 {
				if terr := fsys.Truncate(path, rerr.Offset); terr != nil {
					return res, fmt.Errorf("truncate %s at %d: %w", path, rerr.Offset, terr)
				}
			}
		case errors.As(err, &rerr):
			return res, fmt.Errorf("append-only file %s is corrupt at offset %d (%v); nothing was loaded past it. "+
				"Inspect it, back it up, then run `concord check-aof --fix %s` to cut it at the last good record (the records after it are lost)",
				path, rerr.Offset, rerr.Err, path)
		default:
			return res, err
		}
		res.lastGen, res.lastGenSize = gen, good
		res.aofBytes += good
		if good < aofHeaderLen {
			res.lastGenSize = 0 // no complete header: rewritten on open
		}
	}
	return res, nil
}
