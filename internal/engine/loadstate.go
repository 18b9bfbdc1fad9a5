package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"runtime"
	"unsafe"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/store"
)

// LoadState restores a state made by ExportState (a snapshot on disk) into this member. The
// result is exactly what MergeState(state, nil) gives; when the engine is still empty (a member
// starting from its snapshot) it is reached without merging: each key is decoded straight into
// its entry and inserted into databases sized for the keys the state lists. A state that is
// truncated, corrupt or of an unknown version or type is refused and nothing changes. It returns
// the number of keys loaded. The caller holds the lock.
//
// Why the shortcut is the merge: merging a key into an absent one takes the other side's key as
// it is (crdt.Key.Merge with an empty receiver: every expiry write is kept, since an empty
// member's clock covers no dot, and the value, creation stamp and contest record are taken),
// and the observed-remove that follows has an empty member's clock as its context, which
// covers no element and no counter contribution. Keys that carry a contest record or no value
// (tombstones, values kept aside, remembered deletions) are rare and still go through mergeKey,
// so their history and collection bookkeeping are the merge's own. TestLoadStateEqualsMerge
// compares the two on states of every type.
func (e *Engine) LoadState(state []byte) (keys int, err error) {
	e.Commit()
	if !e.empty() {
		return e.MergeState(state, nil)
	}
	ls, err := decodeLoad(state, e.store)
	if err != nil {
		return 0, err
	}
	mine := e.vc.Clone()
	for j, l := range ls.dbs {
		if l.loader == nil {
			continue // a peer with more databases: ignored, as MergeState does
		}
		db, d := l.index, e.store.DB(l.index)
		l.loader.Install()
		for _, k := range l.keys {
			if k.merge != nil {
				e.mergeKey(db, k.ent, k.merge, mine, ls.vc)
			} else {
				e.store.Update(d, k.ent)
				if e.OnTouch != nil {
					e.OnTouch(db, k.ent.Name)
				}
			}
			keys++
		}
		ls.dbs[j] = dbLoad{} // let the collector have the slice while the rest loads
	}
	if ls.libs != nil {
		e.libs.merge(ls.libs, mine, ls.vc)
	}
	e.vc = e.vc.Merge(ls.vc)
	if s := e.vc.Get(e.member); s > e.seq {
		e.seq = s
	}
	e.deps = nil
	e.clock.Observe(ls.hlc)
	e.Stats.MergedKeys += uint64(keys)
	e.Stats.FullSyncs++
	e.Stats.GCPending = uint64(e.store.Tombstones())
	return keys, nil
}

// empty reports whether the engine holds nothing at all: no key in any database (not even a
// tombstone), no library, no effect applied or made.
func (e *Engine) empty() bool {
	if e.seq != 0 || e.batch != nil || len(e.libs.loads) != 0 || len(e.gc.tombs) != 0 ||
		len(e.gc.contests) != 0 || len(e.gc.noted) != 0 {
		return false
	}
	for _, s := range e.vc {
		if s != 0 {
			return false
		}
	}
	for i := range e.store.Len() {
		if e.store.DB(i).Entries() != 0 {
			return false
		}
	}
	return true
}

// loadKey is one decoded key: its entry, ready to insert, and, for the keys that take the
// general merge, the decoded key to merge into the (then empty) entry.
type loadKey struct {
	ent   *store.Entry
	merge *crdt.Key
}

// loadedState is a state decoded for LoadState.
type loadedState struct {
	vc   clock.Vector
	hlc  clock.HLC
	dbs  []dbLoad
	libs map[string][]libLoad
}

// dbLoad is one database of a state decoded for LoadState: its keys in the state's order
// (sorted by name) and their map, built while the rest was decoded (nil for a database this
// member does not have).
type dbLoad struct {
	index  int
	keys   []loadKey
	loader *store.Loader
}

// decodeLoad decodes and validates a whole state as decodeState does (the same checks, the
// same errors), building each key's entry directly. The outer framing is read with a cursor
// over the body, without copying; a string holding one plain value (what SET writes) is
// decoded in place into an entry allocated with its value and name, as SET allocates it; the
// envelope of a key with nothing but a creation stamp is recognised without allocating.
// Anything else goes through the types' own decoders.
func decodeLoad(data []byte, s *store.Store) (*loadedState, error) {
	if len(data) < stateHeader+4 || string(data[:len(stateMagic)]) != stateMagic {
		return nil, fmt.Errorf("%w: not a state", ErrBadState)
	}
	version := data[len(stateMagic)]
	if version != stateVersion && version != stateVersionNoLibraries {
		return nil, fmt.Errorf("%w: version %d, this member reads %d", ErrBadState, version, stateVersion)
	}
	n := binary.LittleEndian.Uint64(data[len(stateMagic)+1:])
	if n != uint64(len(data)-stateHeader-4) {
		return nil, fmt.Errorf("%w: %d body bytes, header says %d (truncated?)", ErrBadState, len(data)-stateHeader-4, n)
	}
	if crc32.Checksum(data[:len(data)-4], castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadState)
	}
	c := &cursor{buf: data[stateHeader : len(data)-4]}
	ls := &loadedState{}
	// The header fields are few: read with the general reader, then continue where it stopped.
	r := c.reader()
	r.Member("member")
	ls.vc = r.Vector("vector clock")
	ls.hlc = clock.HLC(r.Uvarint(1<<64-1, "hlc"))
	ndb := int(r.Uvarint(1<<31, "number of databases"))
	nlisted := r.Count(2, "databases")
	if err := c.resume(r); err != nil {
		return nil, err
	}
	prevDB := -1
	for range nlisted {
		db := int(c.uvarint(1<<31, "database"))
		nk := c.count(4, "keys")
		if c.err == nil && (db <= prevDB || db >= ndb) {
			c.fail("databases not sorted")
		}
		if c.err != nil {
			return nil, c.err
		}
		prevDB = db
		l := dbLoad{index: db, keys: make([]loadKey, nk)}
		if db < s.Len() {
			l.loader = s.DB(db).NewLoader(nk)
		}
		// Each part of the keys is added to the map as soon as it is decoded: with two halves
		// decoded at once, the first half's map insertions overlap the second half's decoding.
		err := c.keys(l.keys, func(part []loadKey) {
			if l.loader != nil {
				for _, k := range part {
					l.loader.Add(k.ent)
				}
			}
		})
		if err != nil {
			return nil, err
		}
		ls.dbs = append(ls.dbs, l)
	}
	if version >= stateVersion {
		r := c.reader()
		ls.libs = readLibraries(r)
		if err := c.resume(r); err != nil {
			return nil, err
		}
	}
	if c.err == nil && len(c.buf) > 0 {
		c.fail("%d trailing bytes", len(c.buf))
	}
	if c.err != nil {
		return nil, c.err
	}
	return ls, nil
}

// parallelKeys is the number of keys of a database from which decodeLoad decodes them in two
// halves at once: building the entries (allocating them, copying names and values) is most of
// a load, and a member starting has nothing else to do with its cores. (A variable for the
// tests.)
var parallelKeys = 1 << 15

// keys decodes len(dst) keys into dst, checking that they are sorted, and hands each part of
// dst to decoded once it is decoded (all of it, or the first half while the second is being
// decoded, then the second).
func (c *cursor) keys(dst []loadKey, decoded func([]loadKey)) error {
	n := len(dst)
	if n < parallelKeys || runtime.GOMAXPROCS(0) < 2 {
		if err := c.keyRange(dst); err != nil {
			return err
		}
		decoded(dst)
		return nil
	}
	// Where the second half starts: the framing of the first half, read without building.
	skip := cursor{buf: c.buf}
	for range n / 2 {
		if !skip.skipKey() {
			// Damaged: decode in order, for the error decodeState gives.
			if err := c.keyRange(dst); err != nil {
				return err
			}
			decoded(dst)
			return nil
		}
	}
	first := &cursor{buf: c.buf[:len(c.buf)-len(skip.buf)]}
	second := &cursor{buf: skip.buf}
	var err2 error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err2 = second.keyRange(dst[n/2:])
	}()
	err1 := first.keyRange(dst[:n/2])
	if err1 == nil {
		decoded(dst[:n/2])
	}
	<-done
	switch {
	case err1 != nil:
		return err1
	case len(first.buf) != 0:
		c.fail("key framing") // not reached: skipKey reads what key reads
		return c.err
	case err2 != nil:
		return err2
	case dst[n/2-1].ent.Name >= dst[n/2].ent.Name:
		c.fail("keys not sorted")
		return c.err
	}
	decoded(dst[n/2:])
	c.buf = second.buf
	return nil
}

// keyRange decodes len(dst) keys in order into dst, checking that they are sorted.
func (c *cursor) keyRange(dst []loadKey) error {
	var prevName []byte
	for i := range dst {
		k, name, err := c.key()
		if err != nil {
			return err
		}
		if i > 0 && bytes.Compare(name, prevName) <= 0 {
			c.fail("keys not sorted")
			return c.err
		}
		prevName = name
		dst[i] = k
	}
	return nil
}

// skipKey reads past one key's framing without building it; false when it is not valid.
func (c *cursor) skipKey() bool {
	c.bytes("key name")
	c.uvarint(255, "type")
	c.bytes("value")
	if c.err != nil {
		return false
	}
	var k crdt.Key
	start := c.buf
	if c.plainEnvelope(&k) {
		return true
	}
	c.buf, c.err = start, nil
	r := c.reader()
	k.ReadState(r)
	for range r.Count(2, "values kept aside") {
		r.Uvarint(255, "type")
		r.Bytes("value")
	}
	return c.resume(r) == nil
}

// key decodes one key (name value envelope aside) into its entry; name is the key's name in
// the state's bytes.
func (c *cursor) key() (k loadKey, name []byte, err error) {
	name = c.bytes("key name")
	t := crdt.Type(c.uvarint(255, "type"))
	raw := c.bytes("value")
	if c.err != nil {
		return k, nil, c.err
	}
	var ck crdt.Key
	var v crdt.Value
	var plain plainString
	fast := false
	switch {
	case t == crdt.TypeNone:
		if len(raw) > 0 {
			c.fail("value without a type")
			return k, nil, c.err
		}
	case t == crdt.TypeString && plain.parse(raw):
		fast = true
	default:
		codec, ok := stateCodecs[t]
		if !ok {
			return k, nil, fmt.Errorf("%w: key %q: unknown type %d", ErrBadState, name, t)
		}
		if v, err = codec.Decode(raw); err != nil {
			return k, nil, fmt.Errorf("%w: key %q: %w", ErrBadState, name, err)
		}
	}
	// The envelope, in its usual form: a creation stamp, no beaten or earlier creation, at
	// most one expiry write (SET writes one, with or without a TTL), no deletion and no value
	// kept aside.
	start := c.buf
	if !c.plainEnvelope(&ck) {
		c.buf, c.err = start, nil
		r := c.reader()
		ck.ReadState(r)
		nl := r.Count(2, "values kept aside")
		var lost []crdt.Value
		for range nl {
			lv, err := readValue(r)
			if err != nil {
				return k, nil, fmt.Errorf("%w: key %q: %w", ErrBadState, name, err)
			}
			if r.Err() == nil && (lv == nil || (t != crdt.TypeNone && lv.Type() == t) ||
				(len(lost) > 0 && lost[len(lost)-1].Type() >= lv.Type())) {
				r.Fail("key %q: bad value kept aside", name)
			}
			lost = append(lost, lv)
		}
		if err := c.resume(r); err != nil {
			return k, nil, err
		}
		ck.SetLost(lost)
	}
	if t == crdt.TypeNone || ck.Contested() {
		// The general merge, into an empty entry.
		if fast {
			v = plain.value()
		}
		ck.Value = v
		return loadKey{ent: &store.Entry{Name: string(name)}, merge: &ck}, name, nil
	}
	if fast {
		return loadKey{ent: plain.entry(name, ck)}, name, nil
	}
	ent := &store.Entry{Key: ck, Name: string(name)}
	ent.Value = v
	return loadKey{ent: ent}, name, nil
}

// plainEnvelope reads a key's envelope and its empty list of values kept aside when they are in
// the usual form (see key), into k as crdt.Key.ReadState would read them; it reports false
// when they are not (c is then to be rewound).
func (c *cursor) plainEnvelope(k *crdt.Key) bool {
	hlc := c.uvarint(1<<64-1, "")
	m := c.uvarint(clock.MaxMembers, "")
	if c.err != nil || len(c.buf) < 4 || string(c.buf[:3]) != "\x00\x00\x00" || c.buf[3] > 1 {
		return false
	}
	writes := c.buf[3]
	c.buf = c.buf[4:]
	var w clock.Dot
	var at int64
	if writes == 1 {
		w.Member = clock.MemberID(c.uvarint(clock.MaxMembers, ""))
		w.Seq = c.uvarint(1<<64-1, "")
		at = c.varint()
		if c.err != nil || w.Member == 0 || w.Seq == 0 {
			return false
		}
	}
	if len(c.buf) < 2 || c.buf[0] != 0 || c.buf[1] != 0 {
		return false
	}
	c.buf = c.buf[2:]
	k.Created = clock.Stamp{HLC: clock.HLC(hlc), Member: clock.MemberID(m)}
	if writes == 1 {
		k.Expiry.Write(at, crdt.Observed{Self: w})
	}
	return true
}

// cursor reads a state's framing from a byte slice without copying, with the checks of
// crdt.Reader (canonical uvarints, counts bounded by the bytes left) and the same errors.
type cursor struct {
	buf []byte
	err error
}

func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: %s", ErrBadState, fmt.Sprintf(format, args...))
		c.buf = nil
	}
}

func (c *cursor) uvarint(max uint64, what string) uint64 {
	if c.err != nil {
		return 0
	}
	x, n := binary.Uvarint(c.buf)
	if n <= 0 || n != uvarintLen(x) {
		c.fail("bad %s", what)
		return 0
	}
	if x > max {
		c.fail("%s %d out of range", what, x)
		return 0
	}
	c.buf = c.buf[n:]
	return x
}

func (c *cursor) varint() int64 {
	if c.err != nil {
		return 0
	}
	x, n := binary.Varint(c.buf)
	if n <= 0 || n != uvarintLen(uint64(x<<1)^uint64(x>>63)) {
		c.fail("bad varint")
		return 0
	}
	c.buf = c.buf[n:]
	return x
}

func (c *cursor) count(minBytes int, what string) int {
	n := c.uvarint(uint64(len(c.buf)), what)
	if c.err == nil && n > uint64(len(c.buf))/uint64(max(minBytes, 1)) {
		c.fail("%s %d larger than the data", what, n)
		return 0
	}
	return int(n)
}

// bytes returns a length-prefixed byte string, aliasing the state.
func (c *cursor) bytes(what string) []byte {
	if c.err != nil {
		return nil
	}
	n, w := binary.Uvarint(c.buf)
	if w <= 0 || w != uvarintLen(n) {
		c.fail("bad %s length", what)
		return nil
	}
	c.buf = c.buf[w:]
	if n > uint64(len(c.buf)) {
		c.fail("%s longer than the data", what)
	}
	if c.err != nil {
		return nil
	}
	out := c.buf[:n:n]
	c.buf = c.buf[n:]
	return out
}

// reader returns a crdt.Reader over the rest of the bytes, for the parts read by the types'
// own decoders; resume continues after what it read.
func (c *cursor) reader() *crdt.Reader { return crdt.NewReader(c.buf, ErrBadState) }

func (c *cursor) resume(r *crdt.Reader) error {
	if err := r.Err(); err != nil {
		c.err = err
		c.buf = nil
		return err
	}
	c.buf = c.buf[len(c.buf)-r.Len():]
	return nil
}

func uvarintLen(x uint64) int { return max(1, (bits.Len64(x)+6)/7) }

// plainString is a string value that is one plain base candidate (no concurrent candidate, no
// counter, no offset): what SET writes, and what most strings are. Its state (register's
// format) is
//
//	count:1 dot:(member seq) hlc:uvarint value:bytes counters:0 offsets:0
//
// register.DecodeState of those bytes gives the value register.Value.Set builds from the same
// candidate on an empty value (FuzzPlainString checks it).
type plainString struct {
	dot clock.Dot
	hlc clock.HLC
	val []byte // aliasing the state
}

// parse reports whether raw is a plain string's state, valid for register.DecodeState.
func (p *plainString) parse(raw []byte) bool {
	c := cursor{buf: raw}
	if c.uvarint(1, "") != 1 {
		return false
	}
	p.dot.Member = clock.MemberID(c.uvarint(clock.MaxMembers, ""))
	p.dot.Seq = c.uvarint(1<<64-1, "")
	p.hlc = clock.HLC(c.uvarint(1<<64-1, ""))
	p.val = c.bytes("")
	return c.err == nil && p.dot.Member != 0 && p.dot.Seq != 0 && string(c.buf) == "\x00\x00"
}

// value returns the register value p describes.
func (p *plainString) value() crdt.Value {
	return register.New(bytes.Clone(p.val), crdt.Observed{Self: p.dot}, p.hlc)
}

// entry returns the entry of a string key holding p, allocated as SET allocates it (entry,
// value and short name together, see stringEntry).
func (p *plainString) entry(name []byte, k crdt.Key) *store.Entry {
	sk := &stringKey{}
	sk.Key = k
	if len(name) <= shortKey && len(name) > 0 {
		n := copy(sk.name[:], name)
		sk.Name = unsafe.String(&sk.name[0], n) // never modified: the string stays immutable
	} else {
		sk.Name = string(name)
	}
	p.fill(sk)
	return &sk.Entry
}

func (p *plainString) fill(sk *stringKey) {
	val := make([]byte, len(p.val)) // a copy: the value must not keep the state alive
	copy(val, p.val)
	sk.reg.Set(val, crdt.Observed{Self: p.dot}, p.hlc, nil)
	sk.Value = &sk.reg
}
