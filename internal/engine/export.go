package engine

import (
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Background state export (BGSAVE, BGREWRITEAOF, and any caller that must not hold the lock
// for as long as ExportState takes on a large keyspace).
//
// Redis forks and lets the kernel copy pages on write. Concord gets the same guarantee (the
// exported state is the state at one instant, and it is labelled with the vector clock of that
// instant) with copy-on-write at the granularity of a key, done by the writers:
//
//   - StartExport, under the lock, records the vector clock, the HLC and the libraries, and
//     starts a new store epoch E: the keys of the export are the entries born before E
//     (store.Entry.Born), as they are at this instant. Nothing is copied: it takes microseconds.
//   - Export.Finish, without the lock, lists the entries born before E by going through the
//     databases in slices of about a millisecond under the lock, sorts them by name (names
//     never change) without the lock, then encodes them in order, again in slices under the
//     lock.
//   - Before anything changes an entry born before E that the export has not encoded yet
//     (applyOp, the one place where operations change the store; tombstone collection, which
//     stabilizes keys and drops tombstones), the writer encodes the entry as it is (preserve):
//     the export takes those bytes when it reaches the entry, and lists the entry even if it was
//     dropped meanwhile (an entry is only dropped after a change, or by tombstone collection,
//     both of which preserve it first). Entries born after E are not exported.
//   - A FLUSH or a full-state merge, which change every key, first complete the export under
//     the lock (completeLocked): rare, and as slow as ExportState.
//
// So every entry is encoded either before any change after StartExport (by the export, under
// the lock) or just before the first one (by the writer, under the lock): the bytes are
// ExportState's at StartExport, and no effect the vector clock does not cover is in them.
// Encoding always happens under the lock, so values need no protection against readers
// (whose lookups may update caches) and the race detector has nothing to say. A map range
// that releases the lock between slices is what the language allows for a map changed during
// the iteration: keys removed before they are reached are not produced (those are preserved),
// keys added may be (they are born after E and skipped).
//
// One export runs at a time (StartExport returns nil while one is running): an entry records
// the last export that encoded it (store.Entry.ExportGen, the export's epoch), enough for one.

// Export is a state export started by StartExport; Finish returns its bytes. Every started
// export must be finished (or aborted): until then writers keep copies of what they change.
type Export struct {
	e     *Engine
	epoch uint32 // entries born before it are exported
	vc    clock.Vector
	ndb   int
	libs  []byte // the libraries section
	// Under the lock: the entries writers encoded before changing them, the order of the
	// entries once listed and sorted, where the encoding stands and what it produced (in
	// chunks, so that no slice copies what was encoded before).
	early   map[*store.Entry]earlyKey
	order   []exportDB
	sorted  bool
	begun   bool // the number of databases is encoded
	db, pos int
	chunks  [][]byte
	spare   []byte // the next chunk, allocated by Finish outside the lock
	scratch []byte
	done    chan struct{} // closed when the export ends
	// Measurements for the caller's logs.
	Slices  int           // lock acquisitions Finish made
	MaxHold time.Duration // the longest of them
}

// earlyKey is an entry a writer encoded before changing it.
type earlyKey struct {
	db   int
	data []byte
}

// exportDB is one database's entries, sorted by name.
type exportDB struct {
	index int
	ents  []*store.Entry
}

// exportState is the engine's side: the export running, if any.
type exportState struct {
	running *Export
}

// exportSlice is how long Finish holds the lock at a time; the clock is read every
// exportEvery entries. (Variables for the tests, which work one entry at a time.)
var (
	exportSlice = time.Millisecond
	exportEvery = 64
)

// pause parks the export's goroutine for a moment, so that clients run: those waiting for the
// lock, and those whose requests have just arrived. runtime.Gosched is not enough when Go code
// runs on one thread (io-threads 1, the default): the yielding goroutine is taken again from
// the run queue before the network poller is looked at, which then happens only every 10 ms
// (so clients would wait that long). A sleep lets the scheduler poll the network; when nothing
// else runs it lasts up to a millisecond, which about doubles the export's duration.
func pause() { time.Sleep(exportPause) }

var exportPause = 20 * time.Microsecond

// exportChunk is the size of the chunks the state is encoded into.
const exportChunk = 1 << 20

// StartExport starts an export of the whole state as it is now, in ExportState's format, and
// returns it, or nil when another export is still running (the caller may use ExportState).
// The caller holds the lock; Finish must be called without it.
func (e *Engine) StartExport() *Export {
	if e.exp.running != nil {
		return nil
	}
	e.Commit()
	x := &Export{e: e, epoch: e.store.NewEpoch(), vc: e.vc.Clone(), ndb: e.store.Len(),
		early: make(map[*store.Entry]earlyKey), done: make(chan struct{})}
	x.chunks = [][]byte{e.appendStateHead(make([]byte, 0, exportChunk), x.vc)}
	x.libs = e.libs.appendState(nil)
	e.exp.running = x
	return x
}

// appendStateHead appends the state's header and fields up to the databases (vc is the
// vector clock exported).
func (e *Engine) appendStateHead(out []byte, vc clock.Vector) []byte {
	out = append(out, stateMagic...)
	out = append(out, stateVersion, 0, 0, 0, 0, 0, 0, 0, 0)
	out = crdt.AppendUvarint(out, uint64(e.member))
	out = crdt.AppendVector(out, vc)
	out = crdt.AppendUvarint(out, uint64(e.clock.Last()))
	return crdt.AppendUvarint(out, uint64(e.store.Len()))
}

// appendEntry appends one key of the state: name, value, envelope and the values kept aside.
func appendEntry(out []byte, ent *store.Entry, scratch *[]byte) []byte {
	out = crdt.AppendBytes(out, []byte(ent.Name))
	if reg, ok := ent.Value.(*register.Value); ok {
		out = appendRegister(out, reg, scratch)
	} else {
		out = appendValue(out, ent.Value, scratch)
	}
	out = ent.Key.AppendState(out)
	lost := ent.Lost()
	if len(lost) > 1 {
		lost = slices.Clone(lost)
		slices.SortFunc(lost, func(a, b crdt.Value) int { return int(a.Type()) - int(b.Type()) })
	}
	out = crdt.AppendUvarint(out, uint64(len(lost)))
	for _, v := range lost {
		out = appendValue(out, v, scratch)
	}
	return out
}

// appendRegister is appendValue for a string: one holding a plain value (what SET writes) is
// encoded here without the register's temporary slices (plainString's format), which matters
// when a million of them are encoded under the lock; anything else is the register's own
// encoding.
func appendRegister(out []byte, reg *register.Value, scratch *[]byte) []byte {
	val, dot, hlc, ok := reg.Single()
	if !ok {
		return appendValue(out, reg, scratch)
	}
	n := 1 + uvarintLen(uint64(dot.Member)) + uvarintLen(dot.Seq) + uvarintLen(uint64(hlc)) +
		uvarintLen(uint64(len(val))) + len(val) + 2
	out = crdt.AppendUvarint(out, uint64(crdt.TypeString))
	out = crdt.AppendUvarint(out, uint64(n))
	out = append(out, 1)
	out = crdt.AppendDot(out, dot)
	out = crdt.AppendUvarint(out, uint64(hlc))
	out = crdt.AppendBytes(out, val)
	return append(out, 0, 0)
}

func sortEntries(ents []*store.Entry) {
	slices.SortFunc(ents, func(a, b *store.Entry) int { return strings.Compare(a.Name, b.Name) })
}

// sortEntriesYielding is sortEntries for the export's goroutine, which sorts without the lock:
// it lets other goroutines run every few thousand comparisons. A member runs Go code on one
// thread by default (io-threads 1), and a million names take a second or more to sort: without
// yielding, clients would wait for the scheduler's 10 ms preemption each time.
func sortEntriesYielding(ents []*store.Entry) {
	n := 0
	slices.SortFunc(ents, func(a, b *store.Entry) int {
		if n++; n%16384 == 0 {
			pause()
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Finish encodes the export and returns the vector clock it is labelled with and the state,
// the bytes ExportState would have returned when the export started. The caller does not hold
// the lock.
func (x *Export) Finish() (clock.Vector, []byte) {
	vc, chunks := x.FinishChunks()
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	out := make([]byte, 0, n)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return vc, out
}

// FinishChunks is Finish returning the state in pieces (of about a megabyte, but for large
// keys), to be written one after the other: the state of a large keyspace is never copied
// into one buffer.
func (x *Export) FinishChunks() (clock.Vector, [][]byte) {
	if order, ok := x.list(); ok {
		var spare []byte
		for first := true; ; first = false {
			// The next chunk is allocated without the lock: an allocation may have to help
			// the garbage collector for a while.
			if spare == nil {
				spare = make([]byte, 0, exportChunk)
			}
			if !x.lock() {
				break // a writer completed the export
			}
			start := time.Now()
			if first && !x.sorted {
				x.order, x.sorted = order, true
			}
			if x.spare == nil {
				x.spare, spare = spare, nil
			}
			finished := x.encode(start.Add(exportSlice))
			x.unlock(start)
			if finished {
				break
			}
			pause() // let the clients waiting for the lock have it
		}
	}
	chunks := append(x.chunks, x.libs)
	x.chunks = nil
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	binary.LittleEndian.PutUint64(chunks[0][len(stateMagic)+1:], uint64(n-stateHeader))
	var sum uint32
	for _, c := range chunks {
		sum = Checksum(sum, c)
	}
	return x.vc, append(chunks, binary.LittleEndian.AppendUint32(nil, sum))
}

// Checksum continues the CRC-32C (Castagnoli) crc over p, a quarter of a megabyte at a time,
// letting other goroutines run in between: the checksum of a large state is never one long
// call that the scheduler cannot preempt (a member runs Go code on one thread by default,
// io-threads 1). Not for callers holding the lock.
func Checksum(crc uint32, p []byte) uint32 {
	const step = 256 << 10
	for len(p) > step {
		crc = crc32.Update(crc, castagnoli, p[:step])
		p = p[step:]
		runtime.Gosched()
	}
	return crc32.Update(crc, castagnoli, p)
}

// list lists the export's entries by database, sorted by name: the entries born before the
// export's epoch found in the databases (in slices under the lock) and those writers preserved
// (dropped since, some of them). It reports false when the export was completed meanwhile.
func (x *Export) list() ([]exportDB, bool) {
	if !x.lock() {
		return nil, false
	}
	start := time.Now()
	found := make([][]*store.Entry, x.ndb)
	alive := true
	for i := 0; i < x.ndb && alive; i++ {
		n := 0
		found[i] = make([]*store.Entry, 0, x.e.store.DB(i).Entries())
		x.e.store.DB(i).EachEntry(func(ent *store.Entry) bool {
			if ent.Born < x.epoch {
				found[i] = append(found[i], ent)
			}
			if n++; n%(16*exportEvery) == 0 && time.Since(start) > exportSlice {
				x.unlock(start)
				pause()
				if alive = x.lock(); !alive {
					return false
				}
				start = time.Now()
			}
			return true
		})
	}
	if !alive {
		return nil, false
	}
	early := make(map[*store.Entry]int, len(x.early))
	for ent, k := range x.early {
		early[ent] = k.db
	}
	x.unlock(start)
	return orderEntries(found, early, sortEntriesYielding), true
}

// orderEntries merges the entries found in each database with those preserved (early, by
// database: found or dropped since) and sorts each database's by name; databases without
// entries are left out, as ExportState leaves them.
func orderEntries(found [][]*store.Entry, early map[*store.Entry]int, sort func([]*store.Entry)) []exportDB {
	var order []exportDB
	for i, ents := range found {
		if len(early) > 0 {
			ents = slices.DeleteFunc(ents, func(ent *store.Entry) bool {
				_, ok := early[ent]
				return ok
			})
			for ent, db := range early {
				if db == i {
					ents = append(ents, ent)
				}
			}
		}
		if len(ents) > 0 {
			sort(ents)
			order = append(order, exportDB{index: i, ents: ents})
		}
	}
	return order
}

// unlock releases the lock taken for a slice that began at start.
func (x *Export) unlock(start time.Time) {
	hold := time.Since(start)
	x.Slices++
	x.MaxHold = max(x.MaxHold, hold)
	x.e.mu.Unlock()
}

// Abort gives up an export that will not be finished. The caller does not hold the lock.
func (x *Export) Abort() {
	if x.lock() {
		x.end()
		x.e.mu.Unlock()
	}
}

// AbortLocked is Abort for a caller holding the lock.
func (x *Export) AbortLocked() { x.end() }

// lock takes the engine lock for a slice of the work, unless the export was completed (or
// aborted) meanwhile: then it returns false without the lock. A lock holder that completes the
// export may be waiting for whoever called Finish (a background save waited for under the
// lock), so waiting for the lock must end when the export does.
func (x *Export) lock() bool {
	got := make(chan struct{})
	go func() {
		x.e.mu.Lock()
		select {
		case got <- struct{}{}:
		case <-x.done:
			x.e.mu.Unlock()
		}
	}()
	select {
	case <-got:
		if x.e.exp.running != x {
			x.e.mu.Unlock()
			return false
		}
		return true
	case <-x.done:
		return false
	}
}

// encode encodes entries in order until every one is encoded (it then ends the export and
// reports true) or the deadline passes (zero: no deadline). Under the lock.
func (x *Export) encode(deadline time.Time) bool {
	if !x.sorted {
		// Completing an export that had not listed its entries yet: list them here.
		found := make([][]*store.Entry, x.ndb)
		for i := range x.ndb {
			x.e.store.DB(i).EachEntry(func(ent *store.Entry) bool {
				if ent.Born < x.epoch {
					found[i] = append(found[i], ent)
				}
				return true
			})
		}
		early := make(map[*store.Entry]int, len(x.early))
		for ent, k := range x.early {
			early[ent] = k.db
		}
		x.order, x.sorted = orderEntries(found, early, sortEntries), true
	}
	cur := x.chunks[len(x.chunks)-1]
	if !x.begun {
		cur = crdt.AppendUvarint(cur, uint64(len(x.order)))
		x.begun = true
	}
	for ; x.db < len(x.order); x.db, x.pos = x.db+1, 0 {
		d := &x.order[x.db]
		if x.pos == 0 {
			cur = crdt.AppendUvarint(cur, uint64(d.index))
			cur = crdt.AppendUvarint(cur, uint64(len(d.ents)))
		}
		for x.pos < len(d.ents) {
			if cap(cur)-len(cur) < exportChunk/16 {
				x.chunks[len(x.chunks)-1] = cur
				if cur = x.spare; cur == nil {
					cur = make([]byte, 0, exportChunk)
				}
				x.spare = nil
				x.chunks = append(x.chunks, cur)
			}
			ent := d.ents[x.pos]
			if ent.ExportGen == x.epoch {
				cur = append(cur, x.early[ent].data...)
				delete(x.early, ent)
			} else {
				cur = appendEntry(cur, ent, &x.scratch)
				ent.ExportGen = x.epoch
			}
			x.pos++
			if x.pos%exportEvery == 0 && x.pos < len(d.ents) && !deadline.IsZero() && time.Now().After(deadline) {
				x.chunks[len(x.chunks)-1] = cur
				return false
			}
		}
	}
	x.chunks[len(x.chunks)-1] = cur // before end: Finish may read the chunks once it ends
	x.end()
	return true
}

// end stops the export: writers no longer preserve anything for it. Under the lock.
func (x *Export) end() {
	if x.e.exp.running == x {
		x.e.exp.running = nil
		close(x.done)
	}
	x.early = nil
}

// completeLocked encodes what the running export, if any, has not encoded yet, so that a
// change to every key (or a wait for the export's caller) can proceed. The caller holds the
// lock.
func (e *Engine) completeLocked() {
	if x := e.exp.running; x != nil {
		x.encode(time.Time{})
	}
}

// CompleteExport completes the running export, if any, under the lock: its Finish then returns
// without taking the lock again. Callers holding the lock that wait for an export's consumer
// (a background save) call it first. The caller holds the lock.
func (e *Engine) CompleteExport() { e.completeLocked() }

// preserveOp is called by applyOp before op changes anything: the entry it changes (every entry,
// for a FLUSH) is encoded first if the running export still has to encode it.
func (e *Engine) preserveOp(op *effect.Op) {
	x := e.exp.running
	if x == nil {
		return
	}
	switch {
	case op.Kind == effect.Publish || (op.Kind >= effect.FunctionLoad && op.Kind <= effect.FunctionFlush):
		// no key changes (libraries were exported at the start)
	case op.Kind == effect.Flush:
		e.completeLocked()
	case op.DB >= 0 && op.DB < e.store.Len():
		if ent := e.store.DB(op.DB).Get(op.Key); ent != nil {
			x.preserve(op.DB, ent)
		}
	}
}

// preserve encodes ent (of database db) now if the running export still has to: ent is about
// to change or to be dropped.
func (e *Engine) preserve(db int, ent *store.Entry) {
	if x := e.exp.running; x != nil {
		x.preserve(db, ent)
	}
}

func (x *Export) preserve(db int, ent *store.Entry) {
	if ent.Born >= x.epoch || ent.ExportGen == x.epoch {
		return // not in the export (created since it started), or encoded already
	}
	x.early[ent] = earlyKey{db: db, data: appendEntry(nil, ent, &x.scratch)}
	ent.ExportGen = x.epoch
}

// dbOf is the database holding ent.
func (e *Engine) dbOf(ent *store.Entry) int {
	for i := range e.store.Len() {
		if e.store.DB(i).Get(ent.Name) == ent {
			return i
		}
	}
	return -1 // not reached: ent is in a database
}
