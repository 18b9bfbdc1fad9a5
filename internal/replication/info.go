package replication

import (
	"sort"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
)

// lagTracker remembers when local batches were made, to tell how old the oldest local batch a
// peer has not acknowledged is (INFO crdt lag_ms). It keeps one entry per millisecond in which
// batches were made (the first sequence number of that millisecond), trimmed as peers
// acknowledge; guarded by the engine lock.
type lagTracker struct {
	seqs  []uint64
	times []int64
}

// maxLagEntries bounds the tracker while a peer is down for long: past it the oldest half is
// dropped and lag_ms of such a peer under-reports (it is hours by then).
const maxLagEntries = 1 << 20

func (l *lagTracker) record(seq uint64, ms int64) {
	if n := len(l.times); n > 0 && l.times[n-1] == ms {
		return
	}
	if len(l.seqs) >= maxLagEntries {
		h := len(l.seqs) / 2
		l.seqs = append(l.seqs[:0], l.seqs[h:]...)
		l.times = append(l.times[:0], l.times[h:]...)
	}
	l.seqs = append(l.seqs, seq)
	l.times = append(l.times, ms)
}

// since returns when the batch after acked was made, or -1 when there is none recorded.
func (l *lagTracker) since(acked uint64) int64 {
	i := sort.Search(len(l.seqs), func(i int) bool { return l.seqs[i] > acked+1 })
	if i == 0 {
		if len(l.times) == 0 {
			return -1
		}
		return l.times[0]
	}
	return l.times[i-1]
}

// trim drops the entries every peer has acknowledged past.
func (l *lagTracker) trim(acked uint64) {
	i := sort.Search(len(l.seqs), func(i int) bool { return l.seqs[i] > acked+1 })
	if i > 1 {
		l.seqs = append(l.seqs[:0], l.seqs[i-1:]...)
		l.times = append(l.times[:0], l.times[i-1:]...)
	}
}

// minAcked is the lowest own sequence number acknowledged by a peer not forgotten.
func (r *Replicator) minAcked() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, first := uint64(0), true
	for _, id := range r.order {
		if r.forgotten[id] {
			continue
		}
		a := r.peers[id].ovc.Get(r.cfg.Member)
		if first || a < m {
			m, first = a, false
		}
	}
	return m
}

// Info reports INFO crdt's replication fields. The caller holds the engine lock.
func (r *Replicator) Info() command.ReplInfo {
	seq := r.e.Seq()
	now := time.Now().UnixMilli()
	var ids []clock.MemberID
	for m, s := range r.e.Vector() {
		if s > 0 {
			ids = append(ids, clock.MemberID(m))
		}
	}
	info := command.ReplInfo{
		Syncing:        r.Syncing(),
		MergeReqs:      r.mergeReqs.Load(),
		SyncFull:       r.syncFull.Load(),
		SyncPartialOK:  r.partialOK.Load(),
		SyncPartialErr: r.partialErr.Load(),
		GCAttempted:    r.gcAttempted.Load(),
		GCCollected:    r.gcCollected.Load(),
		GCPending:      int(r.gcPending.Load()),
		BacklogSize:    r.backlog.Size(),
	}
	if r.se != nil {
		info.GCPending = r.se.PendingTombstones() // the caller holds the engine lock
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	info.ConfigVersion = 1 + r.forgets
	info.GVCMin = r.gvcMin.Clone()
	ids = append(ids, r.cfg.Member)
	ids = append(ids, r.order...)
	info.BacklogFirst = r.backlog.First(ids)
	// ops lag: local batches not yet acknowledged by the least / most up-to-date peer.
	var maxLag, minLag uint64
	first := true
	for _, id := range r.order {
		if r.forgotten[id] {
			info.Forgotten = append(info.Forgotten, id)
			continue
		}
		lag := seq - min(seq, r.peers[id].ovc.Get(r.cfg.Member))
		maxLag = max(maxLag, lag)
		if first || lag < minLag {
			minLag, first = lag, false
		}
	}
	for _, id := range r.order {
		if r.forgotten[id] {
			continue
		}
		p := r.peers[id]
		pi := command.PeerInfo{ID: id, Name: p.name, Addr: p.addr, State: p.state,
			MaxOpsLag: maxLag, MinOpsLag: minLag, BytesIn: p.bytesIn.Load(), BytesOut: p.bytesOut.Load(),
			DataRaw: p.raw.Load(), DataWire: p.wire.Load()}
		if acked := p.ovc.Get(r.cfg.Member); acked < seq {
			if t := r.lag.since(acked); t >= 0 {
				pi.LagMS = max(0, now-t)
			}
		}
		info.Peers = append(info.Peers, pi)
	}
	return info
}

// DataBytes returns the payload bytes of the data frames sent on every link, before and
// after compression (metrics).
func (r *Replicator) DataBytes() (raw, wire uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.peers {
		raw += p.raw.Load()
		wire += p.wire.Load()
	}
	return raw, wire
}
