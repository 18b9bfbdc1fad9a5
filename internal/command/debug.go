package command

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/redisnum"
	"github.com/concord-db/concord/internal/store"
)

// DEBUG: the subcommands that make sense for Concord (DIGEST, DIGEST-VALUE, ERROR, LOG, OBJECT,
// PROTOCOL, SLEEP), protected by enable-debug-command as in Redis 7.0.

func init() {
	define(&Command{Name: "debug", Arity: -2, Flags: Admin | Protected, Run: debugCommand})
}

// debugHelp is Redis's text for the subcommands Concord has.
var debugHelp = []string{
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
}

var debugHelpHandler = helpCommand("DEBUG", debugHelp)

// allowProtected is Redis's allowProtectedAction for a setting of enable-debug-command (and the
// like): "yes", or "local" for a client connected from a loopback address or a Unix socket.
func allowProtected(setting string, cl *Client) bool {
	return setting == "yes" || (setting == "local" && cl.isLocal())
}

// errDebugNotAllowed is Redis 7.0's refusal of a protected command (the dispatcher checks it).
const errDebugNotAllowed Error = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`

func debugCommand(c *Ctx) error {
	n := len(c.Args)
	switch {
	case n == 2 && c.Is(1, "HELP"):
		return debugHelpHandler(c)
	case n == 2 && c.Is(1, "DIGEST"):
		d := datasetDigest(c)
		c.W.Simple(hex.EncodeToString(d[:]))
	case c.Is(1, "DIGEST-VALUE"):
		c.W.ArrayLen(n - 2)
		for _, key := range c.Args[2:] {
			var d [20]byte
			if ent := c.E.Store().DB(c.DB()).Get(string(key)); ent != nil && ent.Live() {
				xorObjectDigest(&d, ent)
			}
			c.W.Simple(hex.EncodeToString(d[:]))
		}
	case n == 3 && c.Is(1, "SLEEP"):
		// Like Redis, the whole server sleeps: the engine lock is held.
		if secs := strtodPrefix(string(c.Args[2])); secs > 0 {
			d := time.Duration(math.MaxInt64)
			if us := secs * 1e6; us < math.MaxInt64/1000 {
				d = time.Duration(int64(us)) * time.Microsecond
			}
			time.Sleep(d)
		}
		c.W.Simple("OK")
	case n == 3 && c.Is(1, "OBJECT"):
		return debugObject(c)
	case n == 3 && c.Is(1, "ERROR"):
		// Written as is: not an error of the command (Redis's addReplySds).
		c.W.Error(string(c.Args[2]))
	case n == 3 && c.Is(1, "LOG"):
		if c.Env.Log != nil {
			c.Env.Log.Warn("DEBUG LOG: " + string(c.Args[2]))
		}
		c.W.Simple("OK")
	case n == 3 && c.Is(1, "PROTOCOL"):
		return debugProtocol(c)
	default:
		return errorf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try DEBUG HELP.", c.Args[1])
	}
	return nil
}

// strtodPrefix is C's strtod for DEBUG SLEEP: the longest decimal prefix, 0 if none.
var floatPrefix = regexp.MustCompile(`^[ \t\n\v\f\r]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf(?:inity)?))`)

func strtodPrefix(s string) float64 {
	m := floatPrefix.FindString(s)
	if m == "" {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimLeft(m, " \t\n\v\f\r"), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0
	}
	return f
}

// ---- DEBUG DIGEST, as Redis's debug.c

// xorDigest xors SHA1(data) into d.
func xorDigest(d *[20]byte, data []byte) {
	h := sha1.Sum(data)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mixDigest sets d to SHA1(d xor SHA1(data)): order matters.
func mixDigest(d *[20]byte, data []byte) {
	xorDigest(d, data)
	*d = sha1.Sum(d[:])
}

// redisTypes are Redis's OBJ_* type numbers, which the digest mixes in.
var redisTypes = map[crdt.Type]uint32{
	crdt.TypeString: 0, crdt.TypeHLL: 0, crdt.TypeList: 1, crdt.TypeSet: 2, crdt.TypeZSet: 3, crdt.TypeHash: 4,
	crdt.TypeStream: 6,
}

// valueDigests mix a value into a key's digest as Redis's xorObjectDigest does for its type; the
// files of the other data types add theirs from their init.
var valueDigests = map[crdt.Type]func(d *[20]byte, ent *store.Entry){
	crdt.TypeString: func(d *[20]byte, ent *store.Entry) { mixDigest(d, StringValue(ent)) },
}

// xorObjectDigest is Redis's: the type, the value and whether the key has a TTL.
func xorObjectDigest(d *[20]byte, ent *store.Entry) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], redisTypes[ent.Type()])
	mixDigest(d, aux[:])
	if fn := valueDigests[ent.Type()]; fn != nil {
		fn(d, ent)
	}
	if ent.ExpireAt != 0 {
		xorDigest(d, []byte("!!expire!!"))
	}
}

// datasetDigest is Redis's computeDatasetDigest: for each non-empty database, its number is
// mixed in, then the xor of every key's digest (its name mixed with its value's digest). Keys
// whose TTL passed but that were not yet removed count, as in Redis.
func datasetDigest(c *Ctx) [20]byte {
	var final [20]byte
	s := c.E.Store()
	for i := range s.Len() {
		db := s.DB(i)
		if db.Size() == 0 {
			continue
		}
		var aux [4]byte
		binary.BigEndian.PutUint32(aux[:], uint32(i))
		mixDigest(&final, aux[:])
		db.Each(func(ent *store.Entry) bool {
			var d [20]byte
			mixDigest(&d, []byte(ent.Name))
			xorObjectDigest(&d, ent)
			xorDigest(&final, d[:])
			return true
		})
	}
	return final
}

// ---- DEBUG OBJECT

// debugObject replies Redis's line for a key, found without expiring it. The address is the
// entry's; the serialized length is the RDB size without LZF compression.
func debugObject(c *Ctx) error {
	ent := c.E.Store().DB(c.DB()).Get(c.Key(2))
	if ent == nil || !ent.Live() {
		return ErrNoSuchKey
	}
	enc, shared := objectEncoding(c, ent)
	refcount := 1
	if shared {
		refcount = sharedRefcount
	}
	access := lastAccess(ent)
	c.W.Simple(fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		ent, refcount, enc, serializedLength(c, ent, enc), lruClock(access),
		max(c.E.Now()/1000-access/1000, 0)))
	return nil
}

// serializedLength is rdbSavedObjectLen for the values Concord has (strings).
func serializedLength(c *Ctx, ent *store.Entry, enc string) int64 {
	if !typeMatches(ent.Type(), crdt.TypeString) {
		return 0
	}
	v := StringValue(ent)
	if enc == "int" || len(v) <= 11 {
		if n, ok := redisnum.ParseInt(v); ok && strconv.FormatInt(n, 10) == string(v) {
			switch {
			case n >= math.MinInt8 && n <= math.MaxInt8:
				return 2
			case n >= math.MinInt16 && n <= math.MaxInt16:
				return 3
			case n >= math.MinInt32 && n <= math.MaxInt32:
				return 5
			}
		}
	}
	return rdbLenSize(len(v)) + int64(len(v))
}

// rdbLenSize is the size of rdbSaveLen's encoding of n.
func rdbLenSize(n int) int64 {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case uint64(n) <= math.MaxUint32:
		return 5
	}
	return 9
}

// ---- DEBUG PROTOCOL

func debugProtocol(c *Ctx) error {
	w := c.W
	switch strings.ToLower(string(c.Args[2])) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array":
		w.ArrayLen(3)
		for j := range 3 {
			w.Int(int64(j))
		}
	case "set":
		w.SetLen(3)
		for j := range 3 {
			w.Int(int64(j))
		}
	case "map":
		w.MapLen(3)
		for j := range 3 {
			w.Int(int64(j))
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Protocol() >= 3 {
			w.AttributeLen(1)
			w.BulkString("key-popularity")
			w.ArrayLen(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Protocol() < 3 {
			return Error("ERR RESP2 is not supported by this command")
		}
		w.PushLen(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("txt", "This is a verbatim\nstring")
	default:
		return Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
	return nil
}
