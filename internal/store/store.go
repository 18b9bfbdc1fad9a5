// Package store owns the keyspace of one member: databases mapping keys to their conflict-free
// state (crdt.Key), the index of live keys (for DBSIZE, RANDOMKEY and SCAN), the index of keys
// with a TTL (for active expiry) and the dead keys kept as tombstones. It knows nothing of
// protocols, commands, the network or disks, and it does no locking: its owner (the engine)
// serialises access.
//
// SCAN cursors. Live keys are kept in a dense slice with swap-remove. A cursor is one more than
// the next slot to visit, and slots are visited from the end towards 0: a removal only moves the
// last key into the freed slot, so a key is never moved from the unvisited part to the visited
// part, and every key present for the whole iteration is returned at least once.
package store

import (
	"math/rand/v2"

	"github.com/concord-db/concord/internal/crdt"
)

// Entry is one key with its state and its places in the indexes.
type Entry struct {
	crdt.Key
	Name     string
	ExpireAt int64  // the resolved expiry (0: none), kept in sync by Update
	Access   int64  // last access time in ms (OBJECT IDLETIME), local only
	Hits     uint8  // access frequency counter (OBJECT FREQ), local only
	tomb     bool   // dead and counted in DB.tombstones
	liveIdx  int32  // index in DB.live, -1 when not live
	expIdx   int32  // index in DB.expires, -1 when no TTL or not live
	gen      uint32 // tombstone generation the entry last changed in while dead (see Collect)
	// Born is the store's epoch when the entry was inserted (see NewEpoch); ExportGen is the
	// engine's: the last background state export that encoded the entry (engine/export.go).
	Born, ExportGen uint32
}

// DB is one numbered database.
type DB struct {
	// last is the entry most recently looked up: a command looks its key up several times
	// (argument, read, overwrite, apply), and only the first should pay for the hash lookup.
	last       *Entry
	store      *Store
	keys       map[string]*Entry
	live       []*Entry
	expires    []*Entry
	tombstones int
}

// Store is the set of databases.
type Store struct {
	dbs []*DB
	// KeepTombstones makes dead keys stay (as tombstones) until Collect; a member without
	// peers drops them at once.
	KeepTombstones bool
	// Tombstone generations: every entry that is dead after a change joins the open
	// generation (gen); sealed generations wait in dead until their owner (the engine) knows
	// that nothing still in flight can refer to them and collects them.
	gen  uint32
	dead map[uint32][]deadRef
	// epoch is stamped on every entry inserted (Entry.Born): an entry born before an epoch
	// existed when that epoch began.
	epoch uint32
}

// deadRef is an entry that was dead after a change made in some generation.
type deadRef struct {
	db *DB
	e  *Entry
}

// New returns a store with n empty databases.
func New(n int) *Store {
	s := &Store{dbs: make([]*DB, n), gen: 1}
	for i := range s.dbs {
		s.dbs[i] = &DB{store: s, keys: make(map[string]*Entry)}
	}
	return s
}

// NewEpoch starts a new epoch and returns it: the entries that exist now are those born before
// it (Entry.Born), whatever is inserted later. (The engine's background export uses it to tell
// the keys of the instant it started from the keys created since.)
func (s *Store) NewEpoch() uint32 {
	s.epoch++
	return s.epoch
}

// DB returns database i (0 <= i < Len()).
func (s *Store) DB(i int) *DB { return s.dbs[i] }

// Len is the number of databases.
func (s *Store) Len() int { return len(s.dbs) }

// Swap exchanges the contents of two databases.
func (s *Store) Swap(i, j int) { s.dbs[i], s.dbs[j] = s.dbs[j], s.dbs[i] }

// Get returns the entry of key, live or not, or nil.
func (d *DB) Get(key string) *Entry {
	if d.last != nil && d.last.Name == key {
		return d.last
	}
	e := d.keys[key]
	if e != nil {
		d.last = e
	}
	return e
}

// GetOrCreate returns the entry of key, creating an empty one (not yet live) if needed.
func (d *DB) GetOrCreate(key string) *Entry {
	if e := d.Get(key); e != nil {
		return e
	}
	return d.Insert(&Entry{Name: key})
}

// Insert adds a new entry for e.Name, which must not be in d; e may be part of a larger
// allocation (the engine allocates a string key's entry and value together). It returns e.
func (d *DB) Insert(e *Entry) *Entry {
	e.liveIdx, e.expIdx = -1, -1
	e.Born = d.store.epoch
	d.keys[e.Name] = e
	d.last = e
	return e
}

// Reserve makes room for n more entries (a snapshot being loaded knows how many keys it
// holds): the map and the live index are sized once instead of growing step by step, which
// at a million keys is a large part of the load.
func (d *DB) Reserve(n int) {
	if n <= 0 {
		return
	}
	if len(d.keys) == 0 {
		d.keys = make(map[string]*Entry, n)
	}
	if cap(d.live)-len(d.live) < n {
		live := make([]*Entry, len(d.live), len(d.live)+n)
		copy(live, d.live)
		d.live = live
	}
}

// Loader builds the key map of an empty database off to the side (a snapshot being loaded):
// entries are added while the rest is still being decoded, and the database only changes when
// Install hands it the map, once everything was found valid.
type Loader struct {
	d    *DB
	keys map[string]*Entry
}

// NewLoader returns a loader for n entries of d, which must hold no entry when Install is
// called.
func (d *DB) NewLoader(n int) *Loader {
	return &Loader{d: d, keys: make(map[string]*Entry, n)}
}

// Add adds a new entry, as Insert does (names are distinct).
func (l *Loader) Add(e *Entry) {
	e.liveIdx, e.expIdx = -1, -1
	e.Born = l.d.store.epoch
	l.keys[e.Name] = e
}

// Install makes the added entries the database's; they are in no index yet (Update each).
func (l *Loader) Install() {
	if len(l.d.keys) != 0 {
		panic("store: Install into a database that holds entries")
	}
	l.d.keys, l.d.last = l.keys, nil
	l.d.Reserve(len(l.keys))
}

// Entries is the number of entries, live or dead.
func (d *DB) Entries() int { return len(d.keys) }

// IsLive reports whether the entry is in the live index: the store's record of Live(), kept
// up to date by Update, and cheaper to read than the value itself.
func (e *Entry) IsLive() bool { return e.liveIdx >= 0 }

// Update puts e back in the right indexes after its state changed, and drops it when it is
// dead and tombstones are not kept. It returns false if the entry was dropped.
func (s *Store) Update(d *DB, e *Entry) bool {
	if e.Live() {
		if e.tomb {
			e.tomb = false
			d.tombstones--
		}
		if e.liveIdx < 0 {
			e.liveIdx = int32(len(d.live))
			d.live = append(d.live, e)
		}
		at, _ := e.Expiry.At()
		e.ExpireAt = at
		if at != 0 && e.expIdx < 0 {
			e.expIdx = int32(len(d.expires))
			d.expires = append(d.expires, e)
		} else if at == 0 && e.expIdx >= 0 {
			d.removeExpire(e)
		}
		return true
	}
	if e.liveIdx >= 0 {
		d.removeLive(e)
	}
	if e.expIdx >= 0 {
		d.removeExpire(e)
	}
	e.ExpireAt = 0
	if s.KeepTombstones {
		if !e.tomb {
			e.tomb = true
			d.tombstones++
		}
		if e.gen != s.gen {
			e.gen = s.gen
			if s.dead == nil {
				s.dead = make(map[uint32][]deadRef)
			}
			s.dead[s.gen] = append(s.dead[s.gen], deadRef{d, e})
		}
		return true
	}
	d.Drop(e)
	return false
}

func (d *DB) removeLive(e *Entry) {
	i := e.liveIdx
	last := d.live[len(d.live)-1]
	d.live[i] = last
	last.liveIdx = i
	d.live[len(d.live)-1] = nil
	d.live = d.live[:len(d.live)-1]
	e.liveIdx = -1
}

func (d *DB) removeExpire(e *Entry) {
	i := e.expIdx
	last := d.expires[len(d.expires)-1]
	d.expires[i] = last
	last.expIdx = i
	d.expires[len(d.expires)-1] = nil
	d.expires = d.expires[:len(d.expires)-1]
	e.expIdx = -1
}

// Drop removes a dead entry for good (tombstone collection).
func (d *DB) Drop(e *Entry) {
	if e.Live() || d.keys[e.Name] != e {
		return
	}
	if e.tomb {
		d.tombstones--
	}
	delete(d.keys, e.Name)
	if d.last == e {
		d.last = nil
	}
}

// Size is the number of live keys (including keys whose TTL passed but that were not yet
// removed, as in Redis).
func (d *DB) Size() int { return len(d.live) }

// Expires is the number of live keys with a TTL.
func (d *DB) Expires() int { return len(d.expires) }

// Tombstones is the number of dead keys kept.
func (d *DB) Tombstones() int { return d.tombstones }

// Random returns a random live key, or nil.
func (d *DB) Random(r *rand.Rand) *Entry {
	if len(d.live) == 0 {
		return nil
	}
	return d.live[r.IntN(len(d.live))]
}

// RandomExpiring returns a random live key with a TTL, or nil.
func (d *DB) RandomExpiring(r *rand.Rand) *Entry {
	if len(d.expires) == 0 {
		return nil
	}
	return d.expires[r.IntN(len(d.expires))]
}

// Scan visits up to count slots starting at cursor (0: start) and returns the next cursor (0:
// done). See the package comment for the guarantee.
func (d *DB) Scan(cursor uint64, count int, visit func(*Entry)) uint64 {
	next := uint64(len(d.live)) // the number of slots not yet visited: next-1 down to 0
	if cursor != 0 {
		next = min(cursor-1, next)
	}
	for ; count > 0 && next > 0; count-- {
		next--
		visit(d.live[next])
	}
	if next == 0 {
		return 0
	}
	return next + 1
}

// Each calls fn for every live key until fn returns false. fn must not change the keyspace.
func (d *DB) Each(fn func(*Entry) bool) {
	for _, e := range d.live {
		if !fn(e) {
			return
		}
	}
}

// EachEntry calls fn for every entry, live or dead, until fn returns false.
func (d *DB) EachEntry(fn func(*Entry) bool) {
	for _, e := range d.keys {
		if !fn(e) {
			return
		}
	}
}

// Seal closes the open tombstone generation and returns its id and the number of changes to
// dead entries it recorded; when it recorded none it stays open (n is 0).
func (s *Store) Seal() (id uint32, n int) {
	id, n = s.gen, len(s.dead[s.gen])
	if n > 0 {
		s.gen++
		if s.gen == 0 {
			s.gen = 1 // 0 means "in no generation"
		}
	}
	return id, n
}

// Collect drops the tombstones of sealed generation id that did not change since (an entry
// that changed again belongs to a later generation; one that came back to life is no tombstone)
// unless keep says they must stay. It returns the tombstones examined and those dropped.
func (s *Store) Collect(id uint32, keep func(*Entry) bool) (attempted, collected int) {
	for _, r := range s.dead[id] {
		e := r.e
		if e.gen != id || !e.tomb || e.Live() || r.db.keys[e.Name] != e {
			continue
		}
		attempted++
		if keep(e) {
			e.gen = 0 // kept until it changes again
			continue
		}
		r.db.Drop(e)
		collected++
	}
	delete(s.dead, id)
	return attempted, collected
}

// Tombstones is the number of dead keys kept in every database.
func (s *Store) Tombstones() int {
	n := 0
	for _, d := range s.dbs {
		n += d.tombstones
	}
	return n
}
