package engine

import (
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/crdt/register"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/store"
)

// Read returns the live, unexpired entry of key for a read command, or nil, counting a hit or a
// miss. An expired key is missing; its expiry owner also deletes it (semantics.md §8).
func (e *Engine) Read(db int, key string) *store.Entry {
	ent := e.Lookup(db, key)
	if ent == nil {
		e.Stats.KeyspaceMisses++
	} else {
		e.Stats.KeyspaceHits++
	}
	return ent
}

// Lookup is Read without the hit/miss statistics (EXISTS, TYPE, writes that read first...).
func (e *Engine) Lookup(db int, key string) *store.Entry {
	ent := e.Peek(db, key)
	if ent != nil {
		e.Touch(ent)
	}
	return ent
}

// Peek is Lookup without updating the key's access time and frequency (Redis's
// LOOKUP_NOTOUCH: TYPE, TTL, OBJECT...).
func (e *Engine) Peek(db int, key string) *store.Entry {
	ent := e.store.DB(db).Get(key)
	if ent == nil || !ent.IsLive() {
		return nil
	}
	if e.Expired(ent) {
		if _, owner := ent.Expiry.At(); owner == e.member {
			e.expire(db, ent)
		}
		return nil
	}
	return ent
}

// Touch records an access to ent (OBJECT IDLETIME, OBJECT FREQ); local only.
func (e *Engine) Touch(ent *store.Entry) {
	ent.Access = e.Now()
	if ent.Hits < 255 {
		ent.Hits++
	}
}

// LookupWrite returns the live, unexpired entry of key for a write command, or nil. An expired
// key is deleted first by whichever member writes to it (semantics.md §8, owner rule).
func (e *Engine) LookupWrite(db int, key string) *store.Entry {
	ent := e.store.DB(db).Get(key)
	if ent == nil || !ent.IsLive() {
		return nil
	}
	if e.Expired(ent) {
		e.expire(db, ent)
		return nil
	}
	return ent
}

// Expired reports whether a live entry's TTL has passed (Redis: expired when now > when).
func (e *Engine) Expired(ent *store.Entry) bool {
	return ent.ExpireAt != 0 && e.Now() > ent.ExpireAt
}

func (e *Engine) expire(db int, ent *store.Entry) {
	e.Stats.ExpiredKeys++
	e.Emit(DeleteOp(db, ent))
}

// DeleteOp is the operation that removes everything of ent this member has seen.
func DeleteOp(db int, ent *store.Entry) effect.Op {
	op := effect.Op{Kind: effect.Delete, DB: db, Key: ent.Name, Type: ent.Type()}
	if add := deleteContexts[op.Type]; add != nil && ent.Value != nil {
		add(ent.Value, &op)
	}
	return op
}

// HasRemovalContext reports whether a Delete operation carries counter totals, which a Flush
// cannot derive from its observed context (FLUSHDB lists such keys as Delete operations).
func HasRemovalContext(op *effect.Op) bool {
	if len(op.Offsets) > 0 {
		return true
	}
	for _, o := range op.ElemOffsets {
		if len(o) > 0 {
			return true
		}
	}
	return false
}

// Offsets are the counter totals of ent's value, for a removal or overwrite that must stop them.
func Offsets(ent *store.Entry) []register.Total {
	if ent == nil {
		return nil
	}
	if reg, ok := ent.Value.(*register.Value); ok {
		return reg.Totals()
	}
	return nil
}

// ActiveExpire runs one cycle of active expiry like Redis's: it samples keys with a TTL in each
// database and deletes the expired ones this member owns, repeating while more than a quarter of
// a sample was expired and the time budget (ms) lasts. The caller holds the lock.
func (e *Engine) ActiveExpire(budgetMillis int64) {
	const sample = 20
	deadline := e.clock.PhysicalMillis() + budgetMillis
	for i := range e.store.Len() {
		db := e.store.DB(i)
		for db.Expires() > 0 {
			now := e.Now()
			expired := 0
			for range min(sample, db.Expires()) {
				ent := db.RandomExpiring(e.rand)
				if ent == nil || ent.ExpireAt >= now {
					continue
				}
				if _, owner := ent.Expiry.At(); owner != e.member {
					continue
				}
				e.expire(i, ent)
				expired++
			}
			e.Commit() // one batch per cycle step keeps batches small
			e.Refresh()
			if expired <= sample/4 || e.now > deadline {
				break
			}
		}
	}
}

// Type of a live entry, for commands.
func Type(ent *store.Entry) crdt.Type {
	if ent == nil {
		return crdt.TypeNone
	}
	return ent.Type()
}
