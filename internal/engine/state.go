package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/ormap"
	"github.com/concord-db/concord/internal/crdt/orset"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/crdt/zset"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// stateCodec is how the engine encodes, decodes and merges the whole conflict-free state of
// one value type, for full resynchronisation between members and for snapshots. Each type
// registers its codec from the init() of its apply_<type>.go file; the functions are
// adapters over the type's AppendState, DecodeState and Merge (docs/design/data-model.md,
// "State encoding and merge").
type stateCodec struct {
	// Append appends v's whole state (v has the codec's type) to dst.
	Append func(v crdt.Value, dst []byte) []byte
	// Decode decodes what Append wrote; it validates everything and never panics.
	Decode func(data []byte) (crdt.Value, error)
	// Merge joins src's state into dst (both of the codec's type). mine and theirs are the
	// vector clocks of the replicas dst and src come from.
	Merge func(dst, src crdt.Value, mine, theirs clock.Vector)
}

// stateCodecs holds the state codec of every value type, keyed by type. It is written only
// by init functions, so it needs no lock.
var stateCodecs = map[crdt.Type]stateCodec{}

func init() {
	stateCodecs[crdt.TypeString] = stateCodec{
		Append: func(v crdt.Value, dst []byte) []byte { return v.(*register.Value).AppendState(dst) },
		Decode: func(data []byte) (crdt.Value, error) { return register.DecodeState(data) },
		Merge: func(dst, src crdt.Value, mine, theirs clock.Vector) {
			dst.(*register.Value).Merge(src.(*register.Value), mine, theirs)
		},
	}
	stateCodecs[crdt.TypeSet] = stateCodec{
		Append: func(v crdt.Value, dst []byte) []byte { return v.(*orset.Set).AppendState(dst) },
		Decode: func(data []byte) (crdt.Value, error) { return orset.DecodeState(data) },
		Merge: func(dst, src crdt.Value, mine, theirs clock.Vector) {
			dst.(*orset.Set).Merge(src.(*orset.Set), mine, theirs)
		},
	}
	stateCodecs[crdt.TypeHash] = stateCodec{
		Append: func(v crdt.Value, dst []byte) []byte { return v.(*ormap.Map).AppendState(dst) },
		Decode: func(data []byte) (crdt.Value, error) { return ormap.DecodeState(data) },
		Merge: func(dst, src crdt.Value, mine, theirs clock.Vector) {
			dst.(*ormap.Map).Merge(src.(*ormap.Map), mine, theirs)
		},
	}
}

// State format (version 3; version 2 had no function libraries, version 1 no HyperLogLog
// deletions in the envelope). A member's whole conflict-free state, for full resync
// (replication.md §3) and snapshots on disk:
//
//	state    = magic:"CNCS" version:byte(3) body-length:uint64le body crc:uint32le
//	body     = member:uvarint vc:vector hlc:uvarint ndb:uvarint databases:count { db:uvarint keys:count { key } }
//	           libraries
//	key      = name:bytes value envelope aside:count { value }
//	value    = type:uvarint state:bytes
//
// crc is CRC-32C (Castagnoli) of everything before it; body-length makes a truncated state
// detectable before anything is decoded. vector, bytes, count and the envelope (creation stamp,
// contest record, expiry writes, HyperLogLog deletions) are package crdt's state encodings;
// value is the type's own state (AppendState of its crdt package), empty when type is 0 (a key
// with no value, only an expiry). ndb is the sender's number of databases (its keys in the
// others are unknown to it). hlc is the sender's latest timestamp, which the receiver's clock observes so that its later
// writes are ordered after everything it merged. Every key is listed, live or tombstone; a key
// the sender does not list is one it does not hold. aside are the values of other types the key
// keeps for their counter totals after they lost a type contest (crdt/contest.go), sorted by
// type. Databases without keys are not listed; keys are sorted by name and databases by number,
// so equal states give equal bytes. libraries is the function library registry (functions.go);
// a version 2 state, which has none, is still read, and merging it leaves the registry alone.
// The whole state is built in memory (a streaming writer for
// large snapshots can produce the same bytes).
const (
	stateMagic   = "CNCS"
	stateVersion = 3
	// stateVersionNoLibraries is the previous version, still read: no libraries section.
	stateVersionNoLibraries = 2
	stateHeader             = len(stateMagic) + 1 + 8
)

// ErrBadState is wrapped by every error of MergeState about the state it was given.
var ErrBadState = errors.New("engine: bad state")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ExportState returns the member's vector clock and its whole state in the format above: every
// key of every database, live or tombstone, with all its conflict-free metadata. The caller
// holds the lock.
func (e *Engine) ExportState() (vc clock.Vector, state []byte) {
	e.Commit()
	vc = e.vc.Clone()
	out := e.appendStateHead(nil, vc)
	var dbs []int
	var entries [][]*store.Entry
	for i := range e.store.Len() {
		if ents := e.entries(i); len(ents) > 0 {
			dbs, entries = append(dbs, i), append(entries, ents)
		}
	}
	out = crdt.AppendUvarint(out, uint64(len(dbs)))
	var scratch []byte
	for j, i := range dbs {
		ents := entries[j]
		sortEntries(ents)
		out = crdt.AppendUvarint(out, uint64(i))
		out = crdt.AppendUvarint(out, uint64(len(ents)))
		for _, ent := range ents {
			out = appendEntry(out, ent, &scratch)
		}
	}
	out = e.libs.appendState(out)
	binary.LittleEndian.PutUint64(out[len(stateMagic)+1:], uint64(len(out)-stateHeader))
	return vc, binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// entries returns every entry of database i, live or dead.
func (e *Engine) entries(i int) []*store.Entry {
	var out []*store.Entry
	e.store.DB(i).EachEntry(func(ent *store.Entry) bool {
		out = append(out, ent)
		return true
	})
	return out
}

// appendValue appends a value's type and length-prefixed state; scratch is reused to encode
// the state before its length is known.
func appendValue(dst []byte, v crdt.Value, scratch *[]byte) []byte {
	if v == nil {
		dst = crdt.AppendUvarint(dst, uint64(crdt.TypeNone))
		return crdt.AppendBytes(dst, nil)
	}
	codec, ok := stateCodecs[v.Type()]
	if !ok {
		// Every type registers a codec with its appliers; a type without one cannot be
		// written at all, so this is a programming error caught by the tests.
		panic(fmt.Sprintf("engine: no state codec for type %d", v.Type()))
	}
	dst = crdt.AppendUvarint(dst, uint64(v.Type()))
	*scratch = codec.Append(v, (*scratch)[:0])
	return crdt.AppendBytes(dst, *scratch)
}

// stateKey is one key decoded from a state.
type stateKey struct {
	db   int
	name string
	key  crdt.Key
}

// decodedState is a decoded state.
type decodedState struct {
	vc   clock.Vector
	hlc  clock.HLC
	ndb  int
	keys []stateKey
	libs map[string][]libLoad // nil: a version 2 state, without libraries
}

// decodeState decodes and validates a whole state; nothing is changed.
func decodeState(data []byte) (*decodedState, error) {
	var libs map[string][]libLoad
	vc, hlc, ndb, keys, err := decodeStateBody(data, &libs)
	if err != nil {
		return nil, err
	}
	return &decodedState{vc: vc, hlc: hlc, ndb: ndb, keys: keys, libs: libs}, nil
}

func decodeStateBody(data []byte, libs *map[string][]libLoad) (vc clock.Vector, hlc clock.HLC, ndb int, keys []stateKey, err error) {
	if len(data) < stateHeader+4 || string(data[:len(stateMagic)]) != stateMagic {
		return nil, 0, 0, nil, fmt.Errorf("%w: not a state", ErrBadState)
	}
	version := data[len(stateMagic)]
	if version != stateVersion && version != stateVersionNoLibraries {
		return nil, 0, 0, nil, fmt.Errorf("%w: version %d, this member reads %d", ErrBadState, version, stateVersion)
	}
	n := binary.LittleEndian.Uint64(data[len(stateMagic)+1:])
	if n != uint64(len(data)-stateHeader-4) {
		return nil, 0, 0, nil, fmt.Errorf("%w: %d body bytes, header says %d (truncated?)", ErrBadState, len(data)-stateHeader-4, n)
	}
	sum := binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(data[:len(data)-4], castagnoli) != sum {
		return nil, 0, 0, nil, fmt.Errorf("%w: checksum mismatch", ErrBadState)
	}
	r := crdt.NewReader(data[stateHeader:len(data)-4], ErrBadState)
	r.Member("member")
	vc = r.Vector("vector clock")
	hlc = clock.HLC(r.Uvarint(1<<64-1, "hlc"))
	ndb = int(r.Uvarint(1<<31, "number of databases"))
	nlisted := r.Count(2, "databases")
	prevDB := -1
	for range nlisted {
		db := int(r.Uvarint(1<<31, "database"))
		nk := r.Count(4, "keys")
		if r.Err() == nil && (db <= prevDB || db >= ndb) {
			r.Fail("databases not sorted")
		}
		prevDB = db
		prevName := ""
		for i := range nk {
			k := stateKey{db: db, name: string(r.Bytes("key name"))}
			v, err := readValue(r)
			if err != nil {
				return nil, 0, 0, nil, fmt.Errorf("%w: key %q: %w", ErrBadState, k.name, err)
			}
			if r.Err() != nil {
				return nil, 0, 0, nil, r.Err()
			}
			if i > 0 && k.name <= prevName {
				r.Fail("keys not sorted")
				return nil, 0, 0, nil, r.Err()
			}
			prevName = k.name
			k.key.Value = v
			k.key.ReadState(r)
			nl := r.Count(2, "values kept aside")
			var lost []crdt.Value
			for range nl {
				v, err := readValue(r)
				if err != nil {
					return nil, 0, 0, nil, fmt.Errorf("%w: key %q: %w", ErrBadState, k.name, err)
				}
				if r.Err() == nil && (v == nil || (k.key.Value != nil && v.Type() == k.key.Value.Type()) ||
					(len(lost) > 0 && lost[len(lost)-1].Type() >= v.Type())) {
					r.Fail("key %q: bad value kept aside", k.name)
				}
				lost = append(lost, v)
			}
			if r.Err() != nil {
				return nil, 0, 0, nil, r.Err()
			}
			k.key.SetLost(lost)
			keys = append(keys, k)
		}
	}
	if version >= stateVersion {
		*libs = readLibraries(r)
	}
	if err := r.Done(); err != nil {
		return nil, 0, 0, nil, err
	}
	return vc, hlc, ndb, keys, nil
}

// readValue reads what appendValue wrote: nil for no value. A decoding error of the type is
// returned; errors of the framing are left in r.
func readValue(r *crdt.Reader) (crdt.Value, error) {
	t := crdt.Type(r.Uvarint(255, "type"))
	raw := r.Bytes("value")
	if r.Err() != nil {
		return nil, nil
	}
	if t == crdt.TypeNone {
		if len(raw) > 0 {
			r.Fail("value without a type")
		}
		return nil, nil
	}
	codec, ok := stateCodecs[t]
	if !ok {
		return nil, fmt.Errorf("unknown type %d", t)
	}
	return codec.Decode(raw)
}

// MergeState merges a state made by ExportState on another member, whose vector clock was
// theirs (nil: the one recorded in the state; otherwise it must be that one), into this
// member's state. The state is decoded and validated completely first: a state that is
// truncated, corrupt or of an unknown version or type is refused and nothing changes. Then
// every key is merged, never replaced: the result is what applying the effects the sender had
// and this member lacked would have given, so this member's own writes the sender had not seen
// survive. Keys this member holds that the state does not list are merged with an absent key
// (what the sender had seen of them, it removed). Finally the vector clock becomes the
// element-wise maximum of both (keys in databases the sender does not have are left alone). It
// returns the number of keys merged. The caller holds the lock.
//
// The merged effects are not handed to the sinks: a full resync is not an effect stream.
func (e *Engine) MergeState(state []byte, theirs clock.Vector) (mergedKeys int, err error) {
	ds, err := decodeState(state)
	if err != nil {
		return 0, err
	}
	vc, hlc, ndb, keys := ds.vc, ds.hlc, ds.ndb, ds.keys
	if theirs != nil && !theirs.Equal(vc) {
		return 0, fmt.Errorf("%w: vector clock %v is not the state's %v", ErrBadState, theirs, vc)
	}
	theirs = vc
	e.Commit()
	e.completeLocked() // every key may change: a background export takes them as they are first
	mine := e.vc.Clone()
	listed := make([]map[string]bool, e.store.Len())
	for i := range keys {
		k := &keys[i]
		if k.db >= e.store.Len() {
			continue // a peer with more databases: ignored, as its effects are
		}
		if listed[k.db] == nil {
			listed[k.db] = make(map[string]bool)
		}
		listed[k.db][k.name] = true
		db := e.store.DB(k.db)
		ent := db.Get(k.name)
		if ent == nil {
			ent = db.GetOrCreate(k.name)
		}
		e.mergeKey(k.db, ent, &k.key, mine, theirs)
		mergedKeys++
	}
	for i := range min(e.store.Len(), ndb) {
		for _, ent := range e.entries(i) {
			if !listed[i][ent.Name] {
				e.mergeKey(i, ent, &crdt.Key{}, mine, theirs)
			}
		}
	}
	if ds.libs != nil {
		e.libs.merge(ds.libs, mine, theirs)
	}
	e.vc = e.vc.Merge(theirs)
	if s := e.vc.Get(e.member); s > e.seq {
		e.seq = s // our own effects, known to the sender (a member restored from a peer)
	}
	e.deps = nil
	e.clock.Observe(hlc)
	e.Stats.MergedKeys += uint64(mergedKeys)
	e.Stats.FullSyncs++
	e.Stats.GCPending = uint64(e.store.Tombstones())
	return mergedKeys, nil
}

// mergeKey merges o (the key on the other member, consumed) into ent.
func (e *Engine) mergeKey(db int, ent *store.Entry, o *crdt.Key, mine, theirs clock.Vector) {
	// Counter totals as of each side's clock, for the creations the merge may leave mixed.
	hist := historyOf(ent).add(counterTotals(ent.Value, 0))
	if h, _ := o.History().(counterHistory); h != nil {
		hist = hist.add(h)
	}
	hist = hist.add(counterTotals(o.Value, 0))
	remove := e.mergeKeyState(db, ent, o, mine, theirs) // records the conflicts (conflicts.go)
	if remove != nil && ent.Value != nil {
		removeCovered(ent.Value, remove, hist)
	}
	ent.SetHistory(hist)
	pruneLost(ent)
	e.noteContest(db, ent)
	e.store.Update(e.store.DB(db), ent)
	if e.OnTouch != nil {
		e.OnTouch(db, ent.Name)
	}
}

// removeCovered removes from v every element whose dot cover covers, and every counter
// contribution whose sequence number it covers: an observed-remove of the whole value (the
// type's DEL) with cover as its context. A member's contributions are cumulative, so stopping
// those up to cover[m] takes m's total as of then: the current one when it is no later, else
// the one hist recorded (crdt/contest.go).
func removeCovered(v crdt.Value, cover clock.Vector, hist counterHistory) {
	t := v.Type()
	remove := valueRemovers[t]
	if remove == nil {
		return
	}
	op := effect.Op{Kind: effect.Delete, Type: t}
	if add := deleteContexts[t]; add != nil {
		add(v, &op)
	}
	op.Offsets = coveredTotals(op.Offsets, "", cover, hist)
	for i := range op.ElemOffsets {
		op.ElemOffsets[i] = coveredTotals(op.ElemOffsets[i], string(op.Elems[i]), cover, hist)
	}
	remove(v, crdt.Observed{Deps: cover}, &op)
}

// everything covers every dot.
var everything = func() clock.Vector {
	v := make(clock.Vector, clock.MaxMembers+1)
	for i := range v {
		v[i] = 1<<64 - 1
	}
	return v
}()

// pruneLost removes every element of the values ent keeps aside after they lost a type contest
// (crdt/contest.go), stopping their counters, and drops those that hold no counters.
func pruneLost(ent *store.Entry) {
	lost := ent.Lost()
	if len(lost) == 0 {
		return
	}
	var kept []crdt.Value
	for _, v := range lost {
		if holdsCounters(v) {
			removeCovered(v, everything, nil)
			kept = append(kept, v)
		}
	}
	ent.SetLost(kept)
}

// holdsCounters reports whether a value holds counter totals (its removal carries offsets).
func holdsCounters(v crdt.Value) bool {
	add := deleteContexts[v.Type()]
	if add == nil {
		return false
	}
	var op effect.Op
	add(v, &op)
	return HasRemovalContext(&op)
}

// rejectedCounters record, per operation kind adding to a counter, a contribution aimed at a
// creation that lost a type contest: added to the value of its type (live or kept aside) and
// stopped at once, so that every member agrees on the cumulative totals (crdt/contest.go).
var rejectedCounters = map[effect.Kind]func(b *effect.Effect, op *effect.Op, ent *store.Entry){
	effect.StringAdd: func(b *effect.Effect, op *effect.Op, ent *store.Entry) {
		reg := counterValue(ent, crdt.TypeString, func() crdt.Value { return &register.Value{} }).(*register.Value)
		reg.Contribute(b.Origin, b.Seq, op.Int, op.Float)
		reg.Remove(crdt.Observed{}, memberTotals(reg.Totals(), b.Origin))
	},
	effect.HashAdd: func(b *effect.Effect, op *effect.Op, ent *store.Entry) {
		if len(op.Elems) == 0 {
			return
		}
		m := counterValue(ent, crdt.TypeHash, func() crdt.Value { return ormap.New() }).(*ormap.Map)
		m.Contribute(op.Elems[0], b.Origin, b.Seq, op.Int, op.Float)
		m.Remove(op.Elems[0], crdt.Observed{}, memberTotals(m.Totals(op.Elems[0]), b.Origin))
	},
	// A sorted set's contributions carry the member's cumulative score (not a delta), but the
	// offset that stops them is still a total every member must agree on.
	effect.ZsetAdd: func(b *effect.Effect, op *effect.Op, ent *store.Entry) {
		if len(op.Elems) == 0 || len(op.Scores) == 0 {
			return
		}
		z := counterValue(ent, crdt.TypeZSet, func() crdt.Value { return zset.New() }).(*zset.ZSet)
		z.Contribute(op.Elems[0], b.Origin, b.Seq, op.Scores[0])
		stop := memberTotals(zset.ToTotals(z.Totals(op.Elems[0])), b.Origin)
		z.Remove(op.Elems[0], crdt.Observed{}, zset.FromTotals(stop))
	},
}

// counterValue returns ent's value of type t: the live one, or the one kept aside (created
// with fresh when there is none).
func counterValue(ent *store.Entry, t crdt.Type, fresh func() crdt.Value) crdt.Value {
	if ent.Value != nil && ent.Value.Type() == t {
		return ent.Value
	}
	if v := ent.LostValue(t); v != nil {
		return v
	}
	v := fresh()
	ent.SetLost(append(slices.Clone(ent.Lost()), v))
	return v
}

func memberTotals(ts []register.Total, m clock.MemberID) []register.Total {
	for _, t := range ts {
		if t.Member == m {
			return []register.Total{t}
		}
	}
	return nil
}

func coveredTotals(ts []register.Total, field string, cover clock.Vector, hist counterHistory) []register.Total {
	var out []register.Total
	for _, t := range ts {
		if t.Seq <= cover.Get(t.Member) {
			out = append(out, t)
		} else if h, ok := hist.at(field, t.Member, cover.Get(t.Member)); ok {
			out = append(out, h)
		}
	}
	return out
}

// counterHistory is a value's counter totals as of earlier contributions, recorded while the
// value mixes several creations of its type (crdt.Key.History).
type counterHistory []fieldTotal

// fieldTotal is a member's counter total of one field ("" for a string).
type fieldTotal struct {
	field string
	t     register.Total
}

// at returns the total of member m for field as of its contribution seq or before.
func (h counterHistory) at(field string, m clock.MemberID, seq uint64) (register.Total, bool) {
	var best register.Total
	found := false
	for _, ft := range h {
		if ft.field == field && ft.t.Member == m && ft.t.Seq <= seq && (!found || ft.t.Seq > best.Seq) {
			best, found = ft.t, true
		}
	}
	return best, found
}

// add returns h with the totals of fts it does not hold yet.
func (h counterHistory) add(fts []fieldTotal) counterHistory {
	for _, ft := range fts {
		if !slices.ContainsFunc(h, func(x fieldTotal) bool {
			return x.field == ft.field && x.t.Member == ft.t.Member && x.t.Seq == ft.t.Seq
		}) {
			h = append(h, ft)
		}
	}
	return h
}

// historyOf returns ent's counter history.
func historyOf(ent *store.Entry) counterHistory {
	h, _ := ent.History().(counterHistory)
	return h
}

// counterTotals returns v's counter totals, field by field, of member m (every member when m
// is 0).
func counterTotals(v crdt.Value, m clock.MemberID) []fieldTotal {
	if v == nil {
		return nil
	}
	add := deleteContexts[v.Type()]
	if add == nil {
		return nil
	}
	var op effect.Op
	add(v, &op)
	var out []fieldTotal
	for _, t := range op.Offsets {
		if m == 0 || t.Member == m {
			out = append(out, fieldTotal{"", t})
		}
	}
	for i, f := range op.Elems {
		for _, t := range elemOffsets(&op, i) {
			if m == 0 || t.Member == m {
				out = append(out, fieldTotal{string(f), t})
			}
		}
	}
	return out
}

// Tombstone collection (replication.md §4). A tombstone is a dead key kept so that effects
// still in flight are resolved as if it were there: a creation of another type must still lose
// or win against its creation stamp, an effect aimed at a value that lost a contest must still
// be recognised. It may be dropped once no effect that can still arrive refers to it. Knowing
// that every member has seen the deletion is not enough: an effect concurrent with the
// deletion may still be on its way to this member (a member sees the deletion, but its own
// earlier effect, or a third member's, travels slowly). So collection is two-phase, per
// generation of tombstones (every dead key joins the open generation each time it changes,
// store.Seal/Collect):
//
//  1. When a generation is sealed, D is this member's vector clock: every deletion in it is
//     covered by D. Once every member's observed vector clock (OVC) covers D, every member had
//     seen those deletions; then W[m] = OVC_m[m], the latest own effect of m at that point: any
//     effect of m made before m saw a deletion has a sequence number at most W[m].
//  2. Once this member's vector clock covers W, every effect concurrent with a deletion has been
//     applied here; effects that arrive later were made after seeing the deletion and do not
//     refer to the tombstone. Its tombstones that did not change since are dropped.
//
// Tombstones holding counter totals are kept (crdt_gc_pending counts them): counters are
// cumulative per member, and a member that forgot a member's total would disagree with the
// others about the offsets of later SETs and DELs (the same goes for the counter offsets a hash
// keeps for removed fields). Everything else about a key is dropped with it.

// gcGeneration is a sealed generation of tombstones (or of contest records) and its
// collection state.
type gcGeneration struct {
	id   uint32
	d, w clock.Vector // w nil until every member's OVC covers d
	refs []keyRef     // contest records: the keys noted in the generation
}

// keyRef names a key.
type keyRef struct {
	db   int
	name string
}

// gcState is the engine's collection state. Besides tombstones, the same two-phase rule
// forgets the earlier creations a live value mixes in (crdt.Key.Stabilize): they only serve to
// resolve a creation of another type made concurrently with the value's latest creation, and
// once the generation they were noted in is collectable no such creation can still arrive. It
// forgets likewise the deletions a key remembers because they win over concurrent adds
// (HyperLogLog, crdt/deletions.go): once collectable, every add concurrent with them has been
// applied.
type gcState struct {
	tombs    []gcGeneration
	contests []gcGeneration
	noted    []keyRef // keys whose earlier creations changed in the open contest generation
	gen      uint32   // the open contest generation (from 1)
}

// noteContest puts ent's earlier creations and remembered deletions (crdt.Key.Unstable), if
// they changed, in the open contest generation.
func (e *Engine) noteContest(db int, ent *store.Entry) {
	if !ent.Unstable() || ent.StabilizeGen() != 0 {
		return
	}
	if e.gc.gen == 0 {
		e.gc.gen = 1
	}
	ent.SetStabilizeGen(e.gc.gen)
	e.gc.noted = append(e.gc.noted, keyRef{db, ent.Name})
}

// CollectGarbage runs tombstone collection with ovcs, the latest observed vector clock of every
// member (this member's own included). It returns the tombstones examined and those dropped.
// The caller holds the lock.
func (e *Engine) CollectGarbage(ovcs []clock.Vector) (attempted, collected int) {
	if len(ovcs) == 0 {
		return 0, 0
	}
	e.Commit()
	if id, n := e.store.Seal(); n > 0 {
		e.gc.tombs = append(e.gc.tombs, gcGeneration{id: id, d: e.vc.Clone()})
	}
	e.gc.tombs = e.collectable(e.gc.tombs, ovcs, func(g gcGeneration) {
		a, c := e.store.Collect(g.id, func(ent *store.Entry) bool {
			if keepTombstone(ent) {
				return true
			}
			if e.exp.running != nil { // dropped: a background export takes it first
				e.preserve(e.dbOf(ent), ent)
			}
			return false
		})
		attempted += a
		collected += c
	})
	if len(e.gc.noted) > 0 {
		e.gc.contests = append(e.gc.contests, gcGeneration{id: e.gc.gen, d: e.vc.Clone(), refs: e.gc.noted})
		e.gc.noted = nil
		e.gc.gen++
		if e.gc.gen == 0 {
			e.gc.gen = 1
		}
	}
	e.gc.contests = e.collectable(e.gc.contests, ovcs, func(g gcGeneration) {
		for _, r := range g.refs {
			if r.db < e.store.Len() {
				ent := e.store.DB(r.db).Get(r.name)
				switch {
				case ent == nil:
				case ent.StabilizeGen() == g.id:
					e.preserve(r.db, ent) // a background export takes it as it is first
					ent.Stabilize()
				default:
					// Changed since: noted in a later generation, but the deletions this
					// generation covers are stable already.
					e.preserve(r.db, ent)
					ent.ForgetDeletions(g.d)
				}
			}
		}
	})
	e.Stats.GCAttempted += uint64(attempted)
	e.Stats.GCCollected += uint64(collected)
	e.Stats.GCPending = uint64(e.store.Tombstones())
	return attempted, collected
}

// collectable runs the two phases on gens and calls collect for each generation that completes
// them; it returns the others.
func (e *Engine) collectable(gens []gcGeneration, ovcs []clock.Vector, collect func(gcGeneration)) []gcGeneration {
	kept := gens[:0]
	for _, g := range gens {
		if g.w == nil && coversAll(ovcs, g.d) {
			// Nobody knows more of m's effects than m itself, so the element-wise maximum of
			// the OVCs is W[m] = OVC_m[m].
			for _, o := range ovcs {
				g.w = g.w.Merge(o)
			}
			if g.w == nil {
				g.w = clock.Vector{}
			}
		}
		if g.w != nil && covers(e.vc, g.w) {
			collect(g)
			continue
		}
		kept = append(kept, g)
	}
	clear(gens[len(kept):])
	return kept
}

// PendingTombstones is the number of tombstones kept now.
func (e *Engine) PendingTombstones() int { return e.store.Tombstones() }

// keepTombstone reports whether a tombstone must outlive collection: it holds counter totals
// (in its value or in a value kept aside after a type contest).
func keepTombstone(ent *store.Entry) bool {
	if ent.Value != nil && holdsCounters(ent.Value) {
		return true
	}
	return slices.ContainsFunc(ent.Lost(), holdsCounters)
}

func covers(v, w clock.Vector) bool {
	for m, s := range w {
		if v.Get(clock.MemberID(m)) < s {
			return false
		}
	}
	return true
}

func coversAll(vs []clock.Vector, w clock.Vector) bool {
	for _, v := range vs {
		if !covers(v, w) {
			return false
		}
	}
	return true
}
