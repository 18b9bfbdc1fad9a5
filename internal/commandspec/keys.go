package commandspec

import (
	"errors"
	"math"
)

// The errors of KeyIndexes, worded as COMMAND GETKEYS replies them.
var (
	ErrInvalidCommand   = errors.New("ERR Invalid command specified")
	ErrNoKeyArguments   = errors.New("ERR The command has no key arguments")
	ErrInvalidArity     = errors.New("ERR Invalid number of arguments specified for command")
	ErrInvalidArguments = errors.New("ERR Invalid arguments specified for command")
)

// KeyRef is a key argument of a command line, as COMMAND GETKEYSANDFLAGS
// reports it: its position in the line and how the command uses the key.
type KeyRef struct {
	Index int      // position in the command line, args[0] being the command name
	Flags []string // key spec flags in Redis's order: "RW", "access", ...; may be empty; shared: do not modify
}

// KeyIndexes returns the positions in args of the key arguments of a
// command line, as COMMAND GETKEYS computes them in Redis 7.0. args is the
// whole command line, args[0] being the command name, and the positions
// index into it.
//
// Called on a command with subcommands and len(args) >= 2, it resolves
// args[1] as Redis does (ErrInvalidCommand if there is no such subcommand).
// The errors are ErrNoKeyArguments, ErrInvalidArity (checked as COMMAND
// GETKEYS does) and ErrInvalidArguments (no key could be found, e.g. a bad
// numkeys); their text is Redis's error reply. A command flagged
// no_mandatory_keys (EVAL ... 0) may return an empty, non-nil slice.
//
// Like Redis, KeyIndexes uses the key specs and falls back to the
// command's own key extraction (SORT ... STORE, MIGRATE ... KEYS, SET, ...)
// when a spec is incomplete, unusable or has variable flags.
func (c *Command) KeyIndexes(args [][]byte) ([]int, error) {
	refs, err := c.KeysAndFlags(args)
	if err != nil {
		return nil, err
	}
	keys := make([]int, len(refs))
	for i, r := range refs {
		keys[i] = r.Index
	}
	return keys, nil
}

// KeysAndFlags is KeyIndexes with the flags of every key, as COMMAND
// GETKEYSANDFLAGS computes them in Redis 7.0: a key found through a key spec
// has that spec's flags; a key found by the command's own extraction has
// the flags Redis's getkeys function gives it (SET: "OW update", or "RW
// access update" with GET; BITFIELD: "RO access" when it only GETs; SORT:
// "RO access" and "OW update" for STORE; MIGRATE: "RW access delete"; and
// none for the commands whose key specs are complete: ZUNIONSTORE, EVAL,
// GEORADIUS, XREAD ... when their specs cannot be applied). The errors are
// those of KeyIndexes.
func (c *Command) KeysAndFlags(args [][]byte) ([]KeyRef, error) {
	cmd := c
	if len(c.Subcommands) > 0 && len(args) >= 2 {
		if cmd = c.subcommand(args[1]); cmd == nil {
			return nil, ErrInvalidCommand
		}
	}
	if !cmd.hasKeys {
		return nil, ErrNoKeyArguments
	}
	argc := len(args)
	if (cmd.Arity > 0 && cmd.Arity != argc) || argc < -cmd.Arity {
		return nil, ErrInvalidArity
	}
	keys := cmd.keys(args)
	if len(keys) == 0 {
		if cmd.noMandatoryKeys {
			return []KeyRef{}, nil
		}
		return nil, ErrInvalidArguments
	}
	return keys, nil
}

// subcommand finds a subcommand by the name a client sends ("get" for
// "config|get"), case-insensitively.
func (c *Command) subcommand(name []byte) *Command {
	for _, s := range c.Subcommands {
		short := s.Name[len(c.Name)+1:]
		if len(short) == len(name) && equalFold(name, short) {
			return s
		}
	}
	return nil
}

// Key spec flags, precomputed at load.
const (
	ksNotKey = 1 << iota
	ksIncomplete
	ksVariableFlags
)

func keySpecFlags(flags []string) uint8 {
	var f uint8
	for _, s := range flags {
		switch s {
		case "not_key":
			f |= ksNotKey
		case "incomplete":
			f |= ksIncomplete
		case "variable_flags":
			f |= ksVariableFlags
		}
	}
	return f
}

// prepareKeys precomputes what KeyIndexes needs; called at load.
func (c *Command) prepareKeys() {
	c.getKeys = getKeysProcs[c.Name]
	c.noMandatoryKeys = c.HasFlag("no_mandatory_keys")
	for i := range c.KeySpecs {
		ks := &c.KeySpecs[i]
		ks.flags = keySpecFlags(ks.Flags)
		if ks.flags&ksNotKey == 0 {
			c.hasKeySpec = true
		}
		if ks.flags&ksVariableFlags != 0 {
			c.varFlags = true
		}
	}
	// doesCommandHaveKeys()
	c.hasKeys = c.getKeys != nil || c.hasKeySpec
}

// keys is getKeysFromCommandWithSpecs(): the key specs if they are
// reliable, else the command's own extraction.
func (c *Command) keys(args [][]byte) []KeyRef {
	if c.hasKeySpec && !c.varFlags {
		if keys, ok := c.keysFromSpecs(args); ok {
			return keys
		}
	}
	if c.getKeys != nil {
		return c.getKeys(args)
	}
	return nil
}

// keysFromSpecs is getKeysUsingKeySpecs(); ok is false where Redis goes to
// invalid_spec.
func (c *Command) keysFromSpecs(args [][]byte) (keys []KeyRef, ok bool) {
	argc := len(args)
	for i := range c.KeySpecs {
		ks := &c.KeySpecs[i]
		if ks.flags&ksNotKey != 0 {
			continue
		}
		first := 0
		switch ks.BeginSearch.Type {
		case "index":
			first = ks.BeginSearch.Index
		case "keyword":
			// Redis's loop, quirks included: the search never looks at
			// the last argument (forward) or at argument 1 (backward).
			start, end := argc+ks.BeginSearch.StartFrom, 1
			if ks.BeginSearch.StartFrom > 0 {
				start, end = ks.BeginSearch.StartFrom, argc-1
			}
			for j := start; j != end; {
				if j >= argc || j < 1 {
					break
				}
				if cEqualFold(args[j], ks.BeginSearch.Keyword) {
					first = j + 1
					break
				}
				if start <= end {
					j++
				} else {
					j--
				}
			}
			if first == 0 {
				continue // keyword not found
			}
		default:
			return nil, false
		}

		var last, step int
		fk := &ks.FindKeys
		switch fk.Type {
		case "range":
			step = fk.KeyStep
			switch {
			case fk.LastKey >= 0:
				last = first + fk.LastKey
			case fk.Limit == 0:
				last = argc + fk.LastKey
			default:
				last = first + ((argc-first)/fk.Limit + fk.LastKey)
			}
		case "keynum":
			step = fk.KeyStep
			if fk.KeyNumIdx >= argc || first+fk.KeyNumIdx >= argc {
				return nil, false
			}
			numkeys, ok := string2ll(args[first+fk.KeyNumIdx])
			if !ok || numkeys < 0 {
				return nil, false
			}
			first += fk.FirstKey
			// C: last = first + (int)numkeys - 1, in 32-bit int.
			last = int(int32(first) + int32(numkeys) - 1)
		default:
			return nil, false
		}
		if last >= argc || last < first || first >= argc || step <= 0 {
			return nil, false
		}
		for j := first; j <= last; j += step {
			keys = append(keys, KeyRef{Index: j, Flags: ks.Flags})
		}
		if ks.flags&ksIncomplete != 0 {
			return nil, false
		}
	}
	return keys, true
}

// ---------------------------------------------------------------------------
// Redis's native key extraction functions (getkeys_proc), for the commands
// that have one in 7.0.

type getKeysProc func(args [][]byte) []KeyRef

// The flags the getkeys functions give their keys. The functions of the
// commands whose key specs are complete give none.
var (
	flagsROAccess       = []string{"RO", "access"}
	flagsRWAccessUpdate = []string{"RW", "access", "update"}
	flagsRWAccessDelete = []string{"RW", "access", "delete"}
	flagsOWUpdate       = []string{"OW", "update"}
)

var getKeysProcs = map[string]getKeysProc{
	"set":               setGetKeys,
	"bitfield":          bitfieldGetKeys,
	"sort":              sortGetKeys,
	"sort_ro":           func([][]byte) []KeyRef { return []KeyRef{{1, flagsROAccess}} },
	"migrate":           migrateGetKeys,
	"georadius":         georadiusGetKeys,
	"georadiusbymember": georadiusGetKeys,
	"xread":             xreadGetKeys,
	"xreadgroup":        xreadGetKeys,
	"zunionstore":       numKeysGetKeys(1, 2, 3),
	"zinterstore":       numKeysGetKeys(1, 2, 3),
	"zdiffstore":        numKeysGetKeys(1, 2, 3),
	"zunion":            numKeysGetKeys(0, 1, 2),
	"zinter":            numKeysGetKeys(0, 1, 2),
	"zdiff":             numKeysGetKeys(0, 1, 2),
	"zintercard":        numKeysGetKeys(0, 1, 2),
	"sintercard":        numKeysGetKeys(0, 1, 2),
	"eval":              numKeysGetKeys(0, 2, 3),
	"evalsha":           numKeysGetKeys(0, 2, 3),
	"eval_ro":           numKeysGetKeys(0, 2, 3),
	"evalsha_ro":        numKeysGetKeys(0, 2, 3),
	"fcall":             numKeysGetKeys(0, 2, 3),
	"fcall_ro":          numKeysGetKeys(0, 2, 3),
	"lmpop":             numKeysGetKeys(0, 1, 2),
	"blmpop":            numKeysGetKeys(0, 2, 3),
	"zmpop":             numKeysGetKeys(0, 1, 2),
	"bzmpop":            numKeysGetKeys(0, 2, 3),
}

// setGetKeys: the key is read too with the GET option.
func setGetKeys(args [][]byte) []KeyRef {
	for _, a := range args[min(3, len(args)):] {
		// arg[0..2] compared by hand and arg[3] == '\0': a C string.
		at := func(i int) byte {
			if i < len(a) {
				return a[i]
			}
			return 0
		}
		if at(0)|0x20 == 'g' && at(1)|0x20 == 'e' && at(2)|0x20 == 't' && at(3) == 0 {
			return []KeyRef{{1, flagsRWAccessUpdate}}
		}
	}
	return []KeyRef{{1, flagsOWUpdate}}
}

// bitfieldGetKeys: read-only if every operation is a GET.
func bitfieldGetKeys(args [][]byte) []KeyRef {
	readonly := true
	argc := len(args)
	for i := 2; i < argc; i++ {
		remargs := argc - i - 1
		switch a := args[i]; {
		case cEqualFold(a, "get") && remargs >= 2:
			i += 2
			continue
		case (cEqualFold(a, "set") || cEqualFold(a, "incrby")) && remargs >= 3:
			readonly = false
		case cEqualFold(a, "overflow") && remargs >= 1:
			i++
			continue
		default:
			readonly = false // syntax error: safer to assume non-RO
		}
		break
	}
	if readonly {
		return []KeyRef{{1, flagsROAccess}}
	}
	return []KeyRef{{1, flagsRWAccessUpdate}}
}

// numKeysGetKeys is genericGetKeys() with a key step of 1:
// COMMAND [destkey] <num-keys> <key> ... <options>. The keys have no flags.
func numKeysGetKeys(storeKeyOfs, keyCountOfs, firstKeyOfs int) getKeysProc {
	return func(args [][]byte) []KeyRef {
		argc := len(args)
		if keyCountOfs >= argc {
			return nil
		}
		num := atoi(args[keyCountOfs])
		if num < 1 || num > argc-firstKeyOfs {
			return nil
		}
		keys := make([]KeyRef, 0, num+1)
		for i := 0; i < num; i++ {
			keys = append(keys, KeyRef{Index: firstKeyOfs + i})
		}
		if storeKeyOfs != 0 {
			keys = append(keys, KeyRef{Index: storeKeyOfs})
		}
		return keys
	}
}

// sortGetKeys: SORT <key> ... [STORE <key>] ..., the last STORE winning.
func sortGetKeys(args [][]byte) []KeyRef {
	keys := []KeyRef{{1, flagsROAccess}}
	store := 0
	skip := [...]struct {
		name string
		n    int
	}{{"limit", 2}, {"get", 1}, {"by", 1}}
	for i := 2; i < len(args); i++ {
		// Redis's loop checks STORE inside the loop over skip, so a STORE
		// matches at the first skip entry that does not.
		for _, s := range skip {
			if cEqualFold(args[i], s.name) {
				i += s.n
				break
			} else if cEqualFold(args[i], "store") && i+1 < len(args) {
				store = i + 1
				break
			}
		}
	}
	if store != 0 {
		keys = append(keys, KeyRef{store, flagsOWUpdate})
	}
	return keys
}

// migrateGetKeys: MIGRATE host port <key | ""> db timeout [COPY] [REPLACE]
// [AUTH pw | AUTH2 user pw] [KEYS key...]. KEYS with a non-empty key is a
// syntax error, for which Redis extracts no key.
func migrateGetKeys(args [][]byte) []KeyRef {
	first, num := 3, 1
	skip := [...]struct {
		name string
		n    int
	}{{"copy", 0}, {"replace", 0}, {"auth", 1}, {"auth2", 2}}
	if len(args) > 6 {
		for i := 6; i < len(args); i++ {
			if cEqualFold(args[i], "keys") {
				if len(args[3]) > 0 {
					num = 0
				} else {
					first = i + 1
					num = len(args) - first
				}
				break
			}
			for _, s := range skip {
				if cEqualFold(args[i], s.name) {
					i += s.n
					break
				}
			}
		}
	}
	keys := make([]KeyRef, num)
	for i := range keys {
		keys[i] = KeyRef{first + i, flagsRWAccessDelete}
	}
	return keys
}

// georadiusGetKeys: the key, and the last STORE / STOREDIST key.
func georadiusGetKeys(args [][]byte) []KeyRef {
	stored := -1
	for i := 5; i < len(args); i++ {
		if (cEqualFold(args[i], "store") || cEqualFold(args[i], "storedist")) && i+1 < len(args) {
			stored = i + 1
			i++
		}
	}
	if stored == -1 {
		return []KeyRef{{Index: 1}}
	}
	return []KeyRef{{Index: 1}, {Index: stored}}
}

// xreadGetKeys: XREAD[GROUP] ... STREAMS key... id..., the first key-like
// STREAMS being found by skipping the options.
func xreadGetKeys(args [][]byte) []KeyRef {
	streams := -1
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case cEqualFold(a, "block"), cEqualFold(a, "count"):
			i++
			continue
		case cEqualFold(a, "group"):
			i += 2
			continue
		case cEqualFold(a, "noack"):
			continue
		case cEqualFold(a, "streams"):
			streams = i
		}
		break
	}
	if streams == -1 {
		return nil
	}
	num := len(args) - streams - 1
	if num == 0 || num%2 != 0 {
		return nil
	}
	num /= 2
	keys := make([]KeyRef, 0, num)
	for i := streams + 1; i < len(args)-num; i++ {
		keys = append(keys, KeyRef{Index: i})
	}
	return keys
}

// ---------------------------------------------------------------------------
// C string helpers.

// cEqualFold is strcasecmp(arg, lit) == 0: ASCII case folding, and the
// argument ends at its first NUL byte, as a C string does.
func cEqualFold(arg []byte, lit string) bool {
	for i := range arg {
		if arg[i] == 0 {
			arg = arg[:i]
			break
		}
	}
	return len(arg) == len(lit) && equalFold(arg, lit)
}

// equalFold compares ASCII case-insensitively; the lengths must be equal.
func equalFold(a []byte, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// string2ll is Redis's strict integer parser: an optional '-', no leading
// zeros, no spaces, no '+', within the int64 range.
func string2ll(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(ch-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(ch-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// atoi is C's atoi() as glibc does it: (int)strtol(s, NULL, 10), that is
// leading white space, an optional sign, digits up to the first non-digit,
// saturation to the 64-bit long range, then truncation to a 32-bit int.
func atoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var v uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if v > (math.MaxUint64-uint64(b[i]-'0'))/10 {
			overflow = true
			continue
		}
		v = v*10 + uint64(b[i]-'0')
	}
	var l int64
	switch {
	case neg && (overflow || v > 1<<63):
		l = math.MinInt64
	case neg:
		l = -int64(v)
	case overflow || v > math.MaxInt64:
		l = math.MaxInt64
	default:
		l = int64(v)
	}
	return int(int32(l))
}
