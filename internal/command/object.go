package command

import (
	"math"
	"strings"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/redisnum"
	"github.com/concord-db/concord/internal/store"
)

// OBJECT (Redis's object.c). Concord keeps no Redis objects: the encoding and reference count
// are those redis-server would report for the same value written by SET; the idle time and the
// LFU counter come from the entry's local access time and access count.

func init() {
	define(&Command{Name: "object", Arity: -2, Flags: ReadOnly, Subcommands: subcommands("object",
		&Command{Name: "encoding", Arity: 3, Flags: ReadOnly, Run: objectEncodingCommand},
		&Command{Name: "refcount", Arity: 3, Flags: ReadOnly, Run: objectRefcountCommand},
		&Command{Name: "idletime", Arity: 3, Flags: ReadOnly, Run: objectIdletimeCommand},
		&Command{Name: "freq", Arity: 3, Flags: ReadOnly, Run: objectFreqCommand},
		&Command{Name: "help", Arity: 2, Flags: ReadOnly, Run: helpCommand("object", objectHelp)},
	)})
}

var objectHelp = []string{
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
}

const (
	// sharedIntegers is Redis's OBJ_SHARED_INTEGERS: 0..9999 are shared objects.
	sharedIntegers = 10000
	// sharedRefcount is Redis's OBJ_SHARED_REFCOUNT (INT_MAX), the refcount of shared objects.
	sharedRefcount = math.MaxInt32
	// embstrLimit is Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
	embstrLimit = 44
	// lfuInitVal is Redis's LFU_INIT_VAL, the counter of a new key.
	lfuInitVal = 5
)

// objectLookup is Redis's objectCommandLookup (LOOKUP_NOTOUCH|LOOKUP_NONOTIFY): it replies with
// a null when the key is missing.
func objectLookup(c *Ctx) *store.Entry {
	ent := c.lookupNoTouch(c.DB(), c.Key(2), true)
	if ent == nil {
		c.W.Null()
	}
	return ent
}

// policyFlags reports whether maxmemory-policy is an LRU or an LFU policy.
func policyFlags(c *Ctx) (lru, lfu bool) {
	p := c.Env.Config.String("maxmemory-policy")
	return strings.HasSuffix(p, "-lru"), strings.HasSuffix(p, "-lfu")
}

// stringEncoding is the encoding Redis's tryObjectEncoding gives a string value, and whether
// the value is one of the shared integers (which Redis does not use when maxmemory is set with
// an LRU or LFU policy).
func stringEncoding(c *Ctx, v []byte) (enc string, shared bool) {
	if len(v) <= 20 {
		if n, ok := redisnum.ParseInt(v); ok {
			lru, lfu := policyFlags(c)
			noShared := c.Env.Config.Int("maxmemory") != 0 && (lru || lfu)
			return "int", !noShared && n >= 0 && n < sharedIntegers
		}
	}
	if len(v) <= embstrLimit {
		return "embstr", false
	}
	return "raw", false
}

// objectEncoding is the encoding name Redis would report for ent's value.
func objectEncoding(c *Ctx, ent *store.Entry) (enc string, shared bool) {
	if ent.Type() == crdt.TypeString {
		return stringEncoding(c, StringValue(ent))
	}
	if enc := valueEncodings[ent.Type()]; enc != nil {
		return enc(c, ent), false
	}
	return "unknown", false
}

// valueEncodings name, per collection type, the encoding Redis would use for a value of that
// size and content (Concord's own representation is always its CRDT). Each type's file
// registers its function.
var valueEncodings = map[crdt.Type]func(c *Ctx, ent *store.Entry) string{}

func objectEncodingCommand(c *Ctx) error {
	ent := objectLookup(c)
	if ent == nil {
		return nil
	}
	enc, _ := objectEncoding(c, ent)
	c.W.BulkString(enc)
	return nil
}

func objectRefcountCommand(c *Ctx) error {
	ent := objectLookup(c)
	if ent == nil {
		return nil
	}
	if _, shared := objectEncoding(c, ent); shared {
		c.W.Int(sharedRefcount)
	} else {
		c.W.Int(1)
	}
	return nil
}

// lastAccess is the time in ms the key was last read, or written by a command that created its
// value (the engine records reads only).
func lastAccess(ent *store.Entry) int64 {
	return max(ent.Access, ent.Created.HLC.Millis())
}

func objectIdletimeCommand(c *Ctx) error {
	ent := objectLookup(c)
	if ent == nil {
		return nil
	}
	if _, lfu := policyFlags(c); lfu {
		return Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	}
	// Redis's LRU clock counts whole seconds.
	c.W.Int(max(c.E.Now()/1000-lastAccess(ent)/1000, 0))
	return nil
}

func objectFreqCommand(c *Ctx) error {
	ent := objectLookup(c)
	if ent == nil {
		return nil
	}
	if _, lfu := policyFlags(c); !lfu {
		return Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	}
	c.W.Int(lfuCounter(int64(ent.Hits), c.Env.Config.Int("lfu-log-factor"),
		c.Env.Config.Int("lfu-decay-time"), c.E.Now()-lastAccess(ent)))
	return nil
}

// lfuCounter estimates Redis's logarithmic LFU counter (LFULogIncr, LFUDecrAndReturn) from a
// linear access count: starting at LFU_INIT_VAL, going from 5+k to 6+k takes k*factor+1
// accesses on average, so hits accesses give d increments where factor/2*d^2 + (1-factor/2)*d
// = hits. The counter then loses one per decay-time minutes elapsed since the last access.
func lfuCounter(hits, factor, decayMinutes, idleMillis int64) int64 {
	var d float64
	if factor <= 0 {
		d = float64(hits)
	} else {
		f := float64(factor)
		b := 1 - f/2
		d = (-b + math.Sqrt(b*b+2*f*float64(hits))) / f
	}
	counter := min(int64(lfuInitVal)+int64(d+1e-9), 255)
	if decayMinutes > 0 && idleMillis > 0 {
		periods := idleMillis / 60000 / decayMinutes
		counter = max(counter-periods, 0)
	}
	return counter
}
