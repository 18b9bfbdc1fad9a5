package replication

import (
	"time"

	"github.com/concord-db/concord/internal/peerwire"
)

// LinkOptions are the WAN settings of the sending links (crdt-compression,
// crdt-compression-level, crdt-link-max-bandwidth, crdt-batch-max-bytes, crdt-flush-interval).
type LinkOptions struct {
	Compress         bool
	CompressionLevel int           // 1 (S2) or a zstd level 2..22 (0: 1)
	MaxBandwidth     int64         // bytes per second per link, 0: no cap
	BatchMaxBytes    int           // data frame size (0: 64 KiB), at most peerwire.MaxFrame
	FlushInterval    time.Duration // longest wait for more data before a flush (0: 1 ms)
}

// SetLinkOptions changes the WAN settings; every link, live or future, uses them from its next
// batch on (a batch already gathered goes as it is).
func (r *Replicator) SetLinkOptions(o LinkOptions) {
	r.link.Store(&o)
}

// LinkOptions returns the WAN settings in force.
func (r *Replicator) LinkOptions() LinkOptions { return *r.link.Load() }

// level is the compression level links use (peerwire.Writer.SetCompression), 0 when
// compression is off.
func (o *LinkOptions) level() int {
	if !o.Compress {
		return 0
	}
	return min(max(o.CompressionLevel, 1), 22)
}

func (o *LinkOptions) batchMax() int {
	if o.BatchMaxBytes <= 0 {
		return chunkSize
	}
	return min(o.BatchMaxBytes, peerwire.MaxFrame)
}

func (o *LinkOptions) flushEvery() time.Duration {
	if o.FlushInterval <= 0 {
		return flushEvery
	}
	return o.FlushInterval
}
