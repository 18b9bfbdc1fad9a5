// Package config holds Concord's configuration: every parameter Redis 7.0
// knows (with its name, aliases, type, bounds, default and flags), plus
// Concord's own parameters, with Redis's semantics for CONFIG GET, CONFIG
// SET, CONFIG REWRITE and redis.conf-style files.
//
// Parameters that Concord does not act on are stored, validated and
// returned like Redis does, but have no effect; Effective tells which is
// which.
//
// A Config is safe for concurrent use. Reads (Get, String, Int, Bool) load
// an immutable snapshot and never lock; writers are serialized.
package config

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/concord-db/concord/internal/glob"
)

// value is a parameter's current value.
type value struct {
	s string // as CONFIG GET prints it
	n int64  // numeric value: bool 0/1, integer, bytes, enum value, event flags
	l string // bind: the addresses joined by NUL (s joins them by spaces)
}

// snapshot is an immutable state of a Config.
type snapshot struct {
	vals       []value
	file       string
	directives [][]string
}

type entry struct {
	id    int
	key   string // the name or alias, lower-case
	alias bool
}

var (
	params        []*param
	byName        = map[string]entry{}
	order         []entry // names and aliases, in table order
	defaultVals   []value
	idDir         int
	idCluster     int
	idProtected   int
	idLogfile     int
	idReplicaOf   int
	idPeer        int
	effectiveByID []bool
)

func init() {
	params = append(redisParams(), concordParams()...)
	for id, p := range params {
		for _, n := range []string{p.name, p.alias} {
			if n == "" {
				continue
			}
			if _, dup := byName[n]; dup {
				panic("config: duplicate parameter " + n)
			}
			e := entry{id: id, key: n, alias: n == p.alias}
			byName[n] = e
			order = append(order, e)
		}
	}
	for _, n := range effectiveParams {
		params[byName[n].id].effective = true
	}
	effectiveByID = make([]bool, len(params))
	for id, p := range params {
		if p.flags&FlagConcord != 0 {
			p.effective = true
		}
		effectiveByID[id] = p.effective
	}
	idDir = byName["dir"].id
	idCluster = byName["cluster-enabled"].id
	idProtected = byName["enable-protected-configs"].id
	idLogfile = byName["logfile"].id
	idReplicaOf = byName["replicaof"].id
	idPeer = byName["peer"].id

	defaultVals = make([]value, len(params))
	for id, p := range params {
		if p.typ == TypeSpecial && p.def == "" {
			continue
		}
		v, reason := setParam(p, value{}, argsForSet(p, p.def), &setCtx{})
		if reason != "" {
			panic("config: bad default for " + p.name + ": " + reason)
		}
		defaultVals[id] = v
	}
}

// argsForSet splits a CONFIG SET value: multi-argument parameters are split
// on single spaces (sdssplitlen), so "" gives no argument at all.
func argsForSet(p *param, v string) []string {
	if p.flags&FlagMultiArg == 0 {
		return []string{v}
	}
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

// Config is Concord's configuration. The zero value is not usable: call
// Default.
type Config struct {
	mu       sync.Mutex // serializes writers
	snap     atomic.Pointer[snapshot]
	onChange []func(name, value string)
	appliers map[int][]func(value string) error
}

// Default returns a configuration with every parameter at its default; dir
// is the process's working directory.
func Default() *Config {
	vals := make([]value, len(defaultVals))
	copy(vals, defaultVals)
	if wd, err := os.Getwd(); err == nil {
		if v, reason := setDir(value{}, []string{wd}, &setCtx{}); reason == "" {
			vals[idDir] = v
		} else {
			vals[idDir] = value{s: wd}
		}
	}
	c := &Config{appliers: map[int][]func(string) error{}}
	c.snap.Store(&snapshot{vals: vals})
	return c
}

func lookup(name string) (entry, bool) {
	if e, ok := byName[name]; ok {
		return e, true
	}
	e, ok := byName[asciiLower(name)]
	return e, ok
}

func (c *Config) val(name string) (value, *param, bool) {
	e, ok := lookup(name)
	if !ok {
		return value{}, nil, false
	}
	return c.snap.Load().vals[e.id], params[e.id], true
}

// String returns the value of a parameter (or alias) as CONFIG GET prints
// it, or "" for an unknown name.
func (c *Config) String(name string) string {
	v, _, _ := c.val(name)
	return v.s
}

// Int returns the numeric value of a parameter: integers as they are,
// memory sizes in bytes (a maxmemory above 2^63-1 wraps negative), a
// percentage (maxmemory-clients "10%") as its negation (-10), unixsocketperm
// as a number, bools as 0/1, enums as config.c's enum value, and the event
// flags of notify-keyspace-events. It is 0 for other or unknown names.
func (c *Config) Int(name string) int64 {
	v, _, _ := c.val(name)
	return v.n
}

// Bool returns the value of a yes/no parameter (false for unknown names).
func (c *Config) Bool(name string) bool {
	v, p, ok := c.val(name)
	return ok && p.typ == TypeBool && v.n != 0
}

// Peers returns the parsed peer parameter.
func (c *Config) Peers() []Peer {
	return parsePeers(c.snap.Load().vals[idPeer].s)
}

// File returns the path of the configuration file LoadFile read, or "".
func (c *Config) File() string { return c.snap.Load().file }

// Directives returns the directives of the loaded files that are not
// parameters and that Concord leaves to the server: rename-command, user,
// loadmodule, module parameters ("name.param value") and sentinel. Each is
// the lower-cased directive followed by its arguments. CONFIG REWRITE keeps
// their lines as they are.
func (c *Config) Directives() [][]string {
	d := c.snap.Load().directives
	out := make([][]string, len(d))
	for i, x := range d {
		out[i] = append([]string(nil), x...)
	}
	return out
}

// OnChange registers fn to be called after each successful Set, SetMany or
// LoadFile, once for each parameter whose value changed, with the
// parameter's name (never an alias) and its new value as CONFIG GET prints
// it. Callbacks run in registration order while the writer lock is held, so
// they see changes in order; they may read the Config but must not change
// it.
func (c *Config) OnChange(fn func(name, value string)) {
	c.mu.Lock()
	c.onChange = append(c.onChange, fn)
	c.mu.Unlock()
}

// OnApply registers fn to apply a parameter when CONFIG SET changes it,
// like config.c's apply functions (listening on a new port, binding new
// addresses, ...). Appliers run after every value of a SetMany was
// validated and before the change is visible; if one fails, the appliers
// that already ran are called again with the old values, nothing changes,
// and Set returns a *SetError with fn's error text as the reason (Redis
// says e.g. "Unable to listen on this port. Check server logs."). LoadFile
// does not call appliers. OnApply panics for an unknown parameter name.
func (c *Config) OnApply(name string, fn func(value string) error) {
	e, ok := lookup(name)
	if !ok {
		panic("config: OnApply for unknown parameter " + name)
	}
	c.mu.Lock()
	c.appliers[e.id] = append(c.appliers[e.id], fn)
	c.mu.Unlock()
}

// Get implements CONFIG GET: for each argument, a name or alias without
// glob characters is looked up exactly (case-insensitively, answered under
// the spelling given, hidden parameters included), anything else is matched
// case-insensitively as a Redis glob against every name and alias except
// hidden parameters. Parameters already returned are not repeated. The
// result is name, value, name, value, ...; entries come in argument order,
// then in table order (Redis's order is its dict's, which is random).
func (c *Config) Get(patterns ...string) []string {
	snap := c.snap.Load()
	var out []string
	seen := map[string]bool{}
	for _, pat := range patterns {
		cut := pat
		if i := strings.IndexByte(cut, 0); i >= 0 {
			cut = cut[:i] // Redis treats the pattern as a C string here
		}
		if !strings.ContainsAny(cut, "[*?") {
			k := asciiLower(pat)
			if seen[k] {
				continue
			}
			if e, ok := byName[k]; ok {
				seen[k] = true
				out = append(out, pat, snap.vals[e.id].s)
			}
			continue
		}
		for _, e := range order {
			if params[e.id].flags&FlagHidden != 0 || seen[e.key] {
				continue
			}
			if glob.MatchString(cut, e.key, true) {
				seen[e.key] = true
				out = append(out, e.key, snap.vals[e.id].s)
			}
		}
	}
	return out
}

// Set implements CONFIG SET name value; see SetMany.
func (c *Config) Set(name, value string) error {
	return c.SetMany([]string{name, value})
}

// SetMany implements CONFIG SET name value [name value ...] for a client
// that is not local: all or nothing, with Redis 7.0's checks in its order
// (unknown names, immutable and protected parameters, duplicates, then each
// value). Errors are *SetError; SetErrorReply gives the reply text.
func (c *Config) SetMany(pairs []string) error {
	return c.SetManyAs(false, pairs)
}

// SetManyAs is SetMany for a client that is local (connected over a Unix
// socket or from a loopback address) or not: with enable-protected-configs
// "local", only local clients may set protected parameters (dir,
// dbfilename).
func (c *Config) SetManyAs(local bool, pairs []string) error {
	if len(pairs) < 2 {
		return &SetError{Kind: ErrArity}
	}
	if len(pairs)%2 != 0 {
		return &SetError{Kind: ErrSyntax}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()

	n := len(pairs) / 2
	ents := make([]entry, n)
	var fail *SetError
	for i := 0; i < n; i++ {
		name := pairs[2*i]
		e, ok := lookup(name)
		if !ok {
			if fail == nil {
				fail = &SetError{Kind: ErrUnknown, Name: name}
			}
			continue
		}
		if fail != nil {
			continue
		}
		p := params[e.id]
		if p.flags&FlagImmutable != 0 {
			fail = &SetError{Kind: ErrFailed, Name: name, Reason: "can't set immutable config"}
			continue
		}
		if p.flags&FlagProtected != 0 && !allowProtected(old.vals[idProtected].n, local) {
			fail = &SetError{Kind: ErrFailed, Name: name, Reason: "can't set protected config"}
			continue
		}
		for j := 0; j < i; j++ {
			if ents[j] == e {
				fail = &SetError{Kind: ErrFailed, Name: name, Reason: "duplicate parameter"}
				break
			}
		}
		ents[i] = e
	}
	if fail != nil {
		return fail
	}

	vals := make([]value, len(old.vals))
	copy(vals, old.vals)
	var changed []int
	for i, e := range ents {
		p := params[e.id]
		v, reason := setParam(p, vals[e.id], argsForSet(p, pairs[2*i+1]), &setCtx{})
		if reason != "" {
			return &SetError{Kind: ErrFailed, Name: e.key, Reason: reason}
		}
		if v != vals[e.id] {
			vals[e.id] = v
			changed = appendUnique(changed, e.id)
		}
	}
	// A parameter set twice (through an alias) may be back to its old value.
	changed = stillChanged(changed, old.vals, vals)

	var applied []int
	for _, id := range changed {
		for _, fn := range c.appliers[id] {
			if err := fn(vals[id].s); err != nil {
				for _, a := range applied {
					for _, undo := range c.appliers[a] {
						undo(old.vals[a].s)
					}
				}
				return &SetError{Kind: ErrFailed, Name: keyFor(ents, id), Reason: err.Error()}
			}
		}
		applied = append(applied, id)
	}
	c.commit(&snapshot{vals: vals, file: old.file, directives: old.directives}, changed)
	return nil
}

// keyFor returns the name or alias under which id was set, lower-cased.
func keyFor(ents []entry, id int) string {
	for _, e := range ents {
		if e.id == id {
			return e.key
		}
	}
	return params[id].name
}

func appendUnique(ids []int, id int) []int {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

func stillChanged(ids []int, old, cur []value) []int {
	out := ids[:0]
	for _, id := range ids {
		if old[id] != cur[id] {
			out = append(out, id)
		}
	}
	return out
}

// commit publishes a new snapshot and runs the OnChange callbacks. The
// caller holds c.mu.
func (c *Config) commit(next *snapshot, changed []int) {
	c.snap.Store(next)
	for _, id := range changed {
		for _, fn := range c.onChange {
			fn(params[id].name, next.vals[id].s)
		}
	}
}

// allowProtected is allowProtectedAction: enable-protected-configs is
// no (0), yes (1) or local (2).
func allowProtected(setting int64, local bool) bool {
	return setting == 1 || (setting == 2 && local)
}

// setParam parses args (already split) into a new value for p.
func setParam(p *param, prev value, args []string, ctx *setCtx) (value, string) {
	if p.typ == TypeSpecial {
		return p.sp.set(prev, args, ctx)
	}
	if p.typ == TypeEnum {
		return setEnum(p, args)
	}
	if len(args) != 1 {
		return value{}, errWrongArgs
	}
	a := args[0]
	switch p.typ {
	case TypeBool:
		switch yesnotoi(a) {
		case 1:
			return value{s: "yes", n: 1}, ""
		case 0:
			return value{s: "no", n: 0}, ""
		}
		return value{}, "argument must be 'yes' or 'no'"
	case TypeString:
		if p.strOK != nil {
			if reason := p.strOK(a); reason != "" {
				return value{}, reason
			}
		}
		return value{s: a}, ""
	}
	n, reason := parseNumeric(p, a)
	if reason != "" {
		return value{}, reason
	}
	if reason := checkBounds(p, n); reason != "" {
		return value{}, reason
	}
	if p.normalize != nil {
		n = p.normalize(n)
	}
	return value{s: formatNumeric(p, n), n: n}, ""
}

// parseNumeric is numericParseString.
func parseNumeric(p *param, s string) (int64, string) {
	if p.num&numMemory != 0 {
		if u, ok := memtoull(s); ok {
			return int64(u), ""
		}
	}
	if p.num&numPercent != 0 && len(s) > 1 && s[len(s)-1] == '%' {
		if v, ok := string2ll(s[:len(s)-1]); ok && v >= 0 {
			return -v, "" // percentages are stored negated
		}
	}
	if p.num&numOctal != 0 {
		if v, whole, overflow := cStrtoll(s, 8); whole && !overflow {
			return v, ""
		}
	}
	if p.num == 0 {
		if v, ok := string2ll(s); ok {
			return v, ""
		}
	}
	switch {
	case p.num&numMemory != 0 && p.num&numPercent != 0:
		return 0, "argument must be a memory or percent value"
	case p.num&numMemory != 0:
		return 0, "argument must be a memory value"
	case p.num&numOctal != 0:
		return 0, "argument couldn't be parsed as an octal number"
	}
	return 0, "argument couldn't be parsed into an integer"
}

// checkBounds is numericBoundaryCheck.
func checkBounds(p *param, n int64) string {
	if p.unsigned {
		u, lo, hi := uint64(n), uint64(p.min), uint64(p.max)
		if u > hi || u < lo {
			if p.num&numOctal != 0 {
				return "argument must be between " + strconv.FormatUint(lo, 8) + " and " +
					strconv.FormatUint(hi, 8) + " inclusive"
			}
			return "argument must be between " + strconv.FormatUint(lo, 10) + " and " +
				strconv.FormatUint(hi, 10) + " inclusive"
		}
		return ""
	}
	if p.num&numPercent != 0 && n < 0 {
		if n < p.min {
			return "percentage argument must be less or equal to " + strconv.FormatInt(-p.min, 10)
		}
		return ""
	}
	if n > p.max || n < p.min {
		return "argument must be between " + strconv.FormatInt(p.min, 10) + " and " +
			strconv.FormatInt(p.max, 10) + " inclusive"
	}
	return ""
}

// formatNumeric is numericConfigGet.
func formatNumeric(p *param, n int64) string {
	switch {
	case p.num&numPercent != 0 && n < 0:
		return strconv.FormatInt(-n, 10) + "%"
	case p.num&numMemory != 0:
		return strconv.FormatUint(uint64(n), 10)
	case p.num&numOctal != 0:
		return strconv.FormatUint(uint64(n), 8)
	}
	return strconv.FormatInt(n, 10)
}

// setEnum is enumConfigSet with configEnumGetValue.
func setEnum(p *param, args []string) (value, string) {
	var v int64
	ok := len(args) > 0 && (p.bitflags || len(args) == 1)
	for _, a := range args {
		if !ok {
			break
		}
		matched := false
		for _, e := range p.enum {
			if strings.EqualFold(a, e.name) {
				v |= e.val
				matched = true
			}
		}
		ok = matched
	}
	if !ok {
		names := make([]string, len(p.enum))
		for i, e := range p.enum {
			names[i] = e.name
		}
		msg := "argument(s) must be one of the following: " + strings.Join(names, ", ")
		if len(msg) > 255 { // LOADBUF_SIZE
			msg = msg[:255]
		}
		return value{}, msg
	}
	if p.enumOK != nil {
		if reason := p.enumOK(v); reason != "" {
			return value{}, reason
		}
	}
	return value{s: enumName(p, v), n: v}, ""
}

// enumName is configEnumGetName: the first name with that value, or for
// flag enums the names of the flags set, or "unknown".
func enumName(p *param, v int64) string {
	var names []string
	unmatched := v
	for _, e := range p.enum {
		if e.val == v {
			return e.name
		}
		if p.bitflags && e.val != 0 && e.val == unmatched&e.val {
			names = append(names, e.name)
			unmatched &^= e.val
		}
	}
	if len(names) == 0 || unmatched != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

// Param describes a parameter.
type Param struct {
	Name         string
	Alias        string // "" if none
	Type         Type
	Flags        Flag
	Default      string   // Concord's default, as CONFIG GET prints it ("" for dir: the working directory)
	RedisDefault string   // Redis 7.0's default
	Enum         []string // allowed words of an enum
	Min, Max     int64    // bounds of a numeric parameter (Max -1 means 2^64-1 for maxmemory)
	Effective    bool     // Concord acts on it
}

func describe(p *param) Param {
	d := Param{Name: p.name, Alias: p.alias, Type: p.typ, Flags: p.flags, Default: p.def,
		RedisDefault: p.def, Effective: p.effective}
	if p.redisDef != "" {
		d.RedisDefault = p.redisDef
	}
	if p.flags&FlagConcord != 0 {
		d.RedisDefault = ""
	}
	for _, e := range p.enum {
		d.Enum = append(d.Enum, e.name)
	}
	switch p.typ {
	case TypeInt, TypeMemory, TypeOctal:
		d.Min, d.Max = p.min, p.max
	}
	return d
}

// Lookup describes the parameter with that name or alias.
func Lookup(name string) (Param, bool) {
	e, ok := lookup(name)
	if !ok {
		return Param{}, false
	}
	return describe(params[e.id]), true
}

// Params describes every parameter, in table order.
func Params() []Param {
	out := make([]Param, len(params))
	for i, p := range params {
		out[i] = describe(p)
	}
	return out
}

// Effective reports whether Concord acts on the parameter (name or alias).
// The others are validated, stored and shown, with no effect.
func Effective(name string) bool {
	e, ok := lookup(name)
	return ok && effectiveByID[e.id]
}

// NoEffect lists, sorted, the names of the parameters Concord accepts but
// does not act on (aliases not included).
func NoEffect() []string {
	var out []string
	for _, p := range params {
		if !p.effective {
			out = append(out, p.name)
		}
	}
	sort.Strings(out)
	return out
}
