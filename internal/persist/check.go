package persist

import (
	"errors"
	"fmt"

	"github.com/concord-db/concord/internal/effect"
)

// CheckResult is what CheckAOF found in an append-only file.
type CheckResult struct {
	Size    int64 // the file's length
	Good    int64 // length of the readable prefix: what a fix keeps
	Records int   // complete, valid records in that prefix
	// Problem is nil for a clean file, otherwise why the file stops being readable at Good
	// (wrapping ErrTruncated, ErrCorruptAOF or effect.ErrCorrupt).
	Problem error
}

// CheckAOF validates an append-only file's content: framing, checksums and the encoding of
// every batch.
func CheckAOF(data []byte) CheckResult {
	res := CheckResult{Size: int64(len(data))}
	good, err := ScanAOF(data, func(off int64, payload []byte) error {
		if _, err := effect.Decode(payload); err != nil {
			return &RecordError{off, fmt.Errorf("%w: the batch does not decode: %v", ErrCorruptAOF, err)}
		}
		res.Records++
		return nil
	})
	res.Good, res.Problem = good, err
	var rerr *RecordError
	if errors.As(err, &rerr) {
		res.Good = rerr.Offset
	}
	if res.Good < aofHeaderLen && err != nil {
		// Nothing readable: a fix leaves an empty file (rewritten with a header on start).
		res.Good = 0
	}
	return res
}
