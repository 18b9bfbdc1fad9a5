package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/concord-db/concord/internal/effect"
)

// AOF format: see the package doc.
const (
	aofMagic     = "CNCA"
	aofVersion   = 1
	aofHeaderLen = 8 // magic, version, 3 reserved bytes (zero)
	frameLen     = 8 // length:uint32le crc:uint32le
	// MaxRecord bounds a record's payload: a corrupt length cannot make a reader allocate more.
	MaxRecord = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// aofHeader is the first bytes of every append-only file.
func aofHeader() []byte { return append([]byte(aofMagic), aofVersion, 0, 0, 0) }

// appendRecord frames the encoding of b: length, CRC-32C of length and payload, payload.
func appendRecord(dst []byte, b *effect.Effect) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameLen)...)
	dst = effect.Encode(dst, b)
	n := len(dst) - start - frameLen
	binary.LittleEndian.PutUint32(dst[start:], uint32(n))
	crc := crc32.Update(crc32.Checksum(dst[start:start+4], castagnoli), castagnoli, dst[start+frameLen:])
	binary.LittleEndian.PutUint32(dst[start+4:], crc)
	return dst
}

// ErrTruncated is wrapped by a RecordError about an incomplete last record (a crash in the
// middle of a write); ErrCorruptAOF by one about a record that is complete but wrong.
var (
	ErrTruncated  = errors.New("truncated record at the end of the file")
	ErrCorruptAOF = errors.New("corrupt record")
)

// RecordError says where an append-only file stops being readable.
type RecordError struct {
	Offset int64 // of the first bad byte: the start of the bad record, or of the header
	Err    error // wraps ErrTruncated or ErrCorruptAOF
}

func (e *RecordError) Error() string { return fmt.Sprintf("offset %d: %v", e.Offset, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// ScanAOF reads an append-only file's content, calling fn with each record's offset and payload
// (the effect.Encode bytes; fn must not keep it) in order. It returns the length of the readable
// prefix (what --fix keeps) and, when the file does not end cleanly, a *RecordError: ErrTruncated
// when the file ends inside a record or is followed only by zero bytes (a write the disk had not
// finished), ErrCorruptAOF otherwise. An error from fn stops the scan and is returned as is.
func ScanAOF(data []byte, fn func(off int64, payload []byte) error) (int64, error) {
	if len(data) < aofHeaderLen {
		if strings.HasPrefix(aofMagic, string(data[:min(len(data), len(aofMagic))])) {
			// Crashed while the header was written: the file holds nothing yet.
			return 0, &RecordError{0, fmt.Errorf("%w (incomplete header)", ErrTruncated)}
		}
		return 0, &RecordError{0, fmt.Errorf("%w: not a Concord append-only file", ErrCorruptAOF)}
	}
	if string(data[:4]) != aofMagic {
		return 0, &RecordError{0, fmt.Errorf("%w: not a Concord append-only file (bad magic)", ErrCorruptAOF)}
	}
	if v := data[4]; v != aofVersion {
		return 0, &RecordError{0, fmt.Errorf("%w: format version %d, this build reads version %d", ErrCorruptAOF, v, aofVersion)}
	}
	off := aofHeaderLen
	for off < len(data) {
		rest := data[off:]
		if len(rest) < frameLen {
			// The file ends inside a record's header: a write the disk had only partly made
			// durable (a power loss can keep any prefix of an unsynced write), as for a
			// record cut after its header. Found by the simulator (docs/testing.md).
			return int64(off), &RecordError{int64(off), fmt.Errorf("%w (incomplete record header, %d bytes)", ErrTruncated, len(rest))}
		}
		n := binary.LittleEndian.Uint32(rest)
		if n > MaxRecord {
			return int64(off), tailError(off, rest, fmt.Sprintf("record length %d over the limit", n))
		}
		if int64(len(rest)) < frameLen+int64(n) {
			if allZero(rest) {
				return int64(off), &RecordError{int64(off), fmt.Errorf("%w (zero bytes)", ErrTruncated)}
			}
			if at := nextRecord(rest); at > 0 {
				// A length running past the end while a whole record follows is a corrupt
				// length, not an unfinished write: cutting here would drop good records.
				return int64(off), &RecordError{int64(off), fmt.Errorf("%w: record length %d runs past the end of the file, but a valid record follows at offset %d",
					ErrCorruptAOF, n, off+at)}
			}
			return int64(off), &RecordError{int64(off), fmt.Errorf("%w (%d of %d bytes)", ErrTruncated, len(rest), frameLen+int(n))}
		}
		payload := rest[frameLen : frameLen+n]
		crc := crc32.Update(crc32.Checksum(rest[:4], castagnoli), castagnoli, payload)
		if crc != binary.LittleEndian.Uint32(rest[4:]) {
			return int64(off), tailError(off, rest, "checksum mismatch")
		}
		if err := fn(int64(off), payload); err != nil {
			return int64(off), err
		}
		off += frameLen + int(n)
	}
	return int64(off), nil
}

// tailError classifies a bad record: zeros up to the end are an unfinished write, anything
// else is corruption.
func tailError(off int, rest []byte, why string) error {
	if allZero(rest) {
		return &RecordError{int64(off), fmt.Errorf("%w (zero bytes)", ErrTruncated)}
	}
	return &RecordError{int64(off), fmt.Errorf("%w: %s", ErrCorruptAOF, why)}
}

// nextRecord returns the offset in rest (after its first byte) of the first complete record with
// a valid checksum, 0 when there is none.
func nextRecord(rest []byte) int {
	for i := 1; i+frameLen <= len(rest); i++ {
		n := int64(binary.LittleEndian.Uint32(rest[i:]))
		if n > int64(len(rest)-i-frameLen) {
			continue
		}
		payload := rest[i+frameLen : i+frameLen+int(n)]
		if crc32.Update(crc32.Checksum(rest[i:i+4], castagnoli), castagnoli, payload) == binary.LittleEndian.Uint32(rest[i+4:]) {
			return i
		}
	}
	return 0
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// aofName is the name of generation gen of the append-only file.
func aofName(base string, gen uint64) string { return base + "." + strconv.FormatUint(gen, 10) }

// aofGenerations returns the generations of base found in names, ascending.
func aofGenerations(names []string, base string) []uint64 {
	var gens []uint64
	for _, n := range names {
		s, ok := strings.CutPrefix(n, base+".")
		if !ok {
			continue
		}
		if g, err := strconv.ParseUint(s, 10, 64); err == nil && g > 0 && strconv.FormatUint(g, 10) == s {
			gens = append(gens, g)
		}
	}
	// names are sorted as strings; sort numerically
	for i := 1; i < len(gens); i++ {
		for j := i; j > 0 && gens[j] < gens[j-1]; j-- {
			gens[j], gens[j-1] = gens[j-1], gens[j]
		}
	}
	return gens
}

// fsync policies (appendfsync).
const (
	fsyncEverysec = iota
	fsyncAlways
	fsyncNo
)

func fsyncPolicy(s string) int32 {
	switch s {
	case "always":
		return fsyncAlways
	case "no":
		return fsyncNo
	}
	return fsyncEverysec
}

// aofWriter appends records to the current generation. Records are appended (encoded into
// pending) under the engine lock; writing them to the file and fsyncing happen under the
// writer's own locks, so that with appendfsync always the leader of an fsync round writes every
// record pending once and fsyncs once, outside the engine lock, for every client that committed
// meanwhile (group commit), as redis-server writes and fsyncs once per event-loop iteration.
//
// Positions are bytes since the writer started, over all generations: appended counts the
// records appended, written those written to a file, durable those fsynced; durable <= written
// <= appended, and the bytes up to written are in the files in append order.
//
// Lock order: the engine lock, syncMu, writeMu, bufMu, then the durability mutex.
type aofWriter struct {
	fs   FS
	dir  string
	base string

	// Under the engine lock:
	gen   uint64
	older int64 // bytes in the generations before the current one

	// file is the current generation's file. It is replaced (rotations, close) under the engine
	// lock, syncMu and writeMu, so holding any of them is enough to read it; writes to it happen
	// under writeMu, fsyncs under syncMu.
	file File

	bufMu    sync.Mutex
	pending  []byte       // appended records not yet written (under bufMu)
	appended atomic.Int64 // position after the last appended record (changed under bufMu)
	// deferring is set (under bufMu) while an fsync round runs with appendfsync always: the
	// round writes everything pending before it ends, so appends need not write.
	deferring bool

	writeMu  sync.Mutex
	spare    []byte       // pending's previous buffer, reused (under writeMu)
	size     atomic.Int64 // bytes in the current generation's file (changed under writeMu)
	writeErr atomic.Pointer[error]
	written  atomic.Int64 // position written to a file (changed under writeMu)

	policy  atomic.Int32
	durable atomic.Int64 // position known to be on disk
	syncMu  sync.Mutex   // one fsync at a time; guards file for Sync and rotations
	waitMu  sync.Mutex   // guards round
	round   *syncRound   // the fsync round in progress; nil when none is
	syncErr atomic.Pointer[error]
	// fatal is called when a write or fsync fails with appendfsync always: the write it was
	// for cannot be acknowledged and cannot be taken back (Redis exits there too).
	fatal func(msg string, err error)
	// dur receives the positions fsyncs cover (durable.go); nil in tests that make a bare writer.
	dur *durability
}

// syncRound is one fsync shared by every waiter that came while it was prepared.
type syncRound struct {
	done      chan struct{} // closed when the round ends
	err       error         // the round's error, set before done is closed
	followers int           // waiters other than the leader (under waitMu; tests read it)
}

// Messages of the fatal errors with appendfsync always (Redis's).
const (
	fatalWrite = "can't recover from an AOF write error when the AOF fsync policy is 'always'"
	fatalFsync = "can't recover from an AOF fsync error when the AOF fsync policy is 'always'"
)

// writeError is a failed write of the append-only file; reported is set when fatal was
// already called for it (appendfsync always), so that the waiters do not report it again.
type writeError struct {
	err      error
	reported bool
}

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// append frames b and returns the position after its record (engine lock). The record is
// written at once (flush), before the engine lock is released, unless appendfsync is always and
// an fsync round is running: that round's leader writes it (with every other record appended
// meanwhile, in one write) before the round ends. Replies wait for a round anyway, and a
// record is never left unwritten for long: only a running round may take it over.
func (a *aofWriter) append(b *effect.Effect) int64 {
	a.bufMu.Lock()
	n := len(a.pending)
	a.pending = appendRecord(a.pending, b)
	pos := a.appended.Add(int64(len(a.pending) - n))
	deferred := a.deferring && a.policy.Load() == fsyncAlways
	a.bufMu.Unlock()
	if !deferred {
		a.flush()
	}
	return pos
}

// hasPending reports whether appended records wait to be written.
func (a *aofWriter) hasPending() bool {
	a.bufMu.Lock()
	defer a.bufMu.Unlock()
	return len(a.pending) > 0
}

// pendingLen is the number of bytes appended and not yet written (aof_buffer_length).
func (a *aofWriter) pendingLen() int {
	a.bufMu.Lock()
	defer a.bufMu.Unlock()
	return len(a.pending)
}

// lastWriteErr is the last write's error, nil when it succeeded (aof_last_write_status).
func (a *aofWriter) lastWriteErr() error {
	if e := a.writeErr.Load(); e != nil {
		return *e
	}
	return nil
}

// flush writes every record pending, in one write. A failed write is cut off the file (so that
// no half record stays in the middle) and its records are put back in front of pending, to be
// retried by the next flush; with appendfsync always, fatal is called. The error is a
// *writeError. Appends go on meanwhile: only taking pending holds bufMu.
func (a *aofWriter) flush() error {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	if a.file == nil {
		return nil
	}
	a.bufMu.Lock()
	buf := a.pending
	if len(buf) == 0 {
		a.bufMu.Unlock()
		return nil
	}
	a.pending, a.spare = a.spare[:0], nil
	a.bufMu.Unlock()
	n, err := a.file.Write(buf)
	if err == nil && n < len(buf) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(buf))
	}
	if err != nil {
		if n > 0 {
			if terr := a.file.Truncate(a.size.Load()); terr != nil {
				// The partial record stays: count it as written (Redis does the same).
				a.size.Add(int64(n))
				a.written.Add(int64(n))
				buf = buf[n:]
			}
		}
		a.bufMu.Lock()
		a.pending = append(buf, a.pending...)
		a.bufMu.Unlock()
		a.writeErr.Store(&err)
		werr := &writeError{err: err}
		if a.policy.Load() == fsyncAlways {
			werr.reported = true
			a.fatal(fatalWrite, err)
		}
		return werr
	}
	a.size.Add(int64(n))
	a.written.Add(int64(n))
	a.writeErr.Store(nil)
	if cap(buf) <= 1<<20 {
		a.spare = buf[:0]
	}
	return nil
}

// sync makes everything appended so far durable: writes what is pending, then fsyncs; with
// always, waiters share one write and one fsync. The first waiter leads a round for everybody
// and the others wait for the round's end together. Before writing, the leader lets the other
// connections run while they keep appending (without writing: append defers to the round), so
// that one write and one fsync cover every command that was ready (redis-server writes and
// fsyncs once per event-loop iteration, after every ready client's command). Without it, a
// loaded member settled into rounds of 2–3 commands, and the fsyncs' kernel time then starved
// the connections themselves. Records appended during the fsync are written when the round
// ends (their waiters' round fsyncs them). A waiter waits for durable to reach what was
// appended when it came (its own records included), so a round that wrote before its records
// were appended does not release it: it waits for the next.
func (a *aofWriter) sync() error {
	target := a.appended.Load()
	for a.durable.Load() < target {
		a.waitMu.Lock()
		if r := a.round; r != nil {
			r.followers++
			a.waitMu.Unlock()
			<-r.done
			if r.err != nil {
				return r.err
			}
			continue
		}
		r := &syncRound{done: make(chan struct{})}
		a.round = r
		a.waitMu.Unlock()
		a.bufMu.Lock()
		a.deferring = true
		a.bufMu.Unlock()
		for i, idle := 0, 0; i < 64 && idle < 2; i++ {
			w := a.appended.Load()
			runtime.Gosched()
			if a.appended.Load() == w {
				idle++
			} else {
				idle = 0
			}
		}
		done, err := a.syncOnce()
		// End the deferring: from now on appends write themselves; what was deferred until now
		// is written here (after a failed round, by the next write, which fails again first).
		a.bufMu.Lock()
		a.deferring = false
		a.bufMu.Unlock()
		if err == nil {
			err = a.flush()
		}
		r.err = err
		a.waitMu.Lock()
		a.round = nil
		a.waitMu.Unlock()
		close(r.done)
		if err != nil || done {
			return err
		}
	}
	return nil
}

// syncOnce writes what is pending and fsyncs the current generation up to what is written
// then; done reports that there is no file to fsync (the append-only file was turned off).
func (a *aofWriter) syncOnce() (done bool, err error) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	if a.file == nil {
		return true, nil
	}
	if err := a.flush(); err != nil {
		return false, err
	}
	w := a.written.Load()
	if a.durable.Load() >= w {
		return false, nil
	}
	held := false
	if a.policy.Load() == fsyncAlways {
		// Every reply waits for this fsync: wait for it without handing the processor over
		// (heldsync_linux.go). everysec and no fsync in the background, letting clients run.
		held, err = heldSync(a.file)
	}
	if !held {
		err = a.file.Sync()
	}
	if err != nil {
		a.syncErr.Store(&err)
		return false, err
	}
	a.syncErr.Store(nil)
	a.durable.Store(w)
	if a.dur != nil {
		a.dur.synced(w)
	}
	return false, nil
}

// waitDurable is called before replies go to clients: with always, it returns once every record
// appended so far is on disk.
func (a *aofWriter) waitDurable() {
	if a.policy.Load() != fsyncAlways {
		return
	}
	err := a.sync()
	if err == nil {
		return
	}
	var werr *writeError
	switch {
	case errors.As(err, &werr) && werr.reported:
	case werr != nil:
		a.fatal(fatalWrite, err)
	default:
		a.fatal(fatalFsync, err)
	}
}

// create starts generation gen: a new file with its header, fsynced, its directory entry too.
func (a *aofWriter) create(gen uint64) (File, error) {
	path := join(a.dir, aofName(a.base, gen))
	f, err := a.fs.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(aofHeader()); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("fsync %s: %w", path, err)
	}
	if err := a.fs.SyncDir(a.dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("fsync directory %s: %w", a.dir, err)
	}
	return f, nil
}

// setFile makes f, holding size bytes, the file of generation gen (engine lock; before the
// writer is in use, or under syncMu).
func (a *aofWriter) setFile(f File, gen uint64, size int64) {
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	a.file, a.gen = f, gen
	a.size.Store(size)
}

// rotate makes generation gen+1 the one appended to (engine lock held): the current one is
// written out and fsynced first, so that every generation before the new one is complete on
// disk. On error the current generation stays in use.
func (a *aofWriter) rotate() error {
	a.flush()
	if err := a.lastWriteErr(); err != nil {
		return err
	}
	f, err := a.create(a.gen + 1)
	if err != nil {
		return err
	}
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	if a.file != nil {
		if err := a.file.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("fsync %s: %w", aofName(a.base, a.gen), err)
		}
		a.file.Close()
	}
	a.durable.Store(a.written.Load())
	if a.dur != nil {
		a.dur.synced(a.written.Load())
	}
	a.older += a.size.Load()
	a.setFile(f, a.gen+1, aofHeaderLen)
	return nil
}

// close writes out, fsyncs and closes the current generation (engine lock held).
func (a *aofWriter) close() error {
	a.flush()
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	if a.file == nil {
		return a.lastWriteErr()
	}
	err := a.file.Sync()
	if err == nil {
		a.durable.Store(a.written.Load())
		if a.dur != nil {
			a.dur.synced(a.written.Load())
		}
	}
	if cerr := a.file.Close(); err == nil {
		err = cerr
	}
	a.writeMu.Lock()
	a.file = nil
	a.writeMu.Unlock()
	if err == nil {
		err = a.lastWriteErr()
	}
	return err
}
