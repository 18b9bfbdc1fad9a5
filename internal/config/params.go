package config

import "math"

// Type is the kind of value a parameter holds.
type Type int

const (
	TypeBool    Type = iota // yes/no
	TypeInt                 // integer, no units
	TypeMemory              // integer with k/kb/m/mb/g/gb units (maxmemory-clients also takes n%)
	TypeOctal               // integer written in octal (unixsocketperm)
	TypeEnum                // one of a fixed set of words (or several, for flag enums)
	TypeString              // free text, possibly validated
	TypeSpecial             // own syntax: save, bind, dir, client-output-buffer-limit, ...
)

var typeNames = [...]string{"bool", "int", "memory", "octal", "enum", "string", "special"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// Flag describes how a parameter may be used; the names follow config.c.
type Flag uint32

const (
	// FlagImmutable: only a configuration file may set it, CONFIG SET
	// refuses ("can't set immutable config").
	FlagImmutable Flag = 1 << iota
	// FlagSensitive: the value must be redacted from logs, MONITOR and
	// SLOWLOG (CONFIG GET still shows it, as Redis does).
	FlagSensitive
	// FlagHidden: CONFIG GET lists it only when asked by its exact name.
	FlagHidden
	// FlagProtected: CONFIG SET refuses unless enable-protected-configs
	// allows it ("can't set protected config").
	FlagProtected
	// FlagDenyLoading: Redis refuses CONFIG SET while loading a dataset.
	FlagDenyLoading
	// FlagMultiArg: takes several arguments; CONFIG SET splits its value on
	// single spaces.
	FlagMultiArg
	// FlagDebug: listed by Redis in crash reports (DEBUG_CONFIG).
	FlagDebug
	// FlagConcord: a Concord parameter that Redis does not have.
	FlagConcord
)

type numFlags uint8

const (
	numMemory numFlags = 1 << iota
	numPercent
	numOctal
)

type enumVal struct {
	name string
	val  int64
}

// param is one row of the parameter table.
type param struct {
	name  string
	alias string
	typ   Type
	flags Flag

	// Numeric parameters: bounds as config.c writes them. For C types that
	// are unsigned (unsigned int, unsigned long long, size_t) the bounds and
	// the value are compared as uint64, as numericBoundaryCheck does, so a
	// bound of -1 means ULLONG_MAX.
	min, max int64
	unsigned bool
	num      numFlags

	// Enum parameters.
	enum     []enumVal
	bitflags bool // several words may be given and are OR-ed (shutdown-on-sig*)
	enumOK   func(v int64) string

	// String parameters.
	emptyIsNull bool // EMPTY_STRING_IS_NULL: "" means unset (not rewritten)
	strOK       func(s string) string

	// Special parameters.
	sp *special

	def      string // Concord's default, as CONFIG GET prints it
	redisDef string // Redis 7.0's default when Concord's differs ("" = same)

	// normalize adjusts a value after a successful set (hz is clamped).
	normalize func(n int64) int64

	effective bool
}

const (
	intMin   = math.MinInt32
	intMax   = math.MaxInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64 // LONG_MAX on LP64
	llongMax = math.MaxInt64
	ullMax   = -1 // ULLONG_MAX stored in a long long, as config.c does
)

func boolP(name, alias string, flags Flag, def bool) *param {
	d := "no"
	if def {
		d = "yes"
	}
	return &param{name: name, alias: alias, typ: TypeBool, flags: flags, def: d}
}

func intP(name, alias string, flags Flag, min, max int64, def string) *param {
	return &param{name: name, alias: alias, typ: TypeInt, flags: flags, min: min, max: max, def: def}
}

// uintP is a numeric parameter whose C type is unsigned.
func uintP(name, alias string, flags Flag, min, max int64, def string) *param {
	p := intP(name, alias, flags, min, max, def)
	p.unsigned = true
	return p
}

func memP(name, alias string, flags Flag, min, max int64, unsigned bool, def string) *param {
	return &param{name: name, alias: alias, typ: TypeMemory, flags: flags, min: min, max: max,
		unsigned: unsigned, num: numMemory, def: def}
}

func enumP(name, alias string, flags Flag, def string, vals ...string) *param {
	ev := make([]enumVal, len(vals))
	for i, v := range vals {
		ev[i] = enumVal{v, int64(i)}
	}
	return &param{name: name, alias: alias, typ: TypeEnum, flags: flags, enum: ev, def: def}
}

func enumValsP(name, alias string, flags Flag, def string, vals ...enumVal) *param {
	return &param{name: name, alias: alias, typ: TypeEnum, flags: flags, enum: vals, def: def}
}

func strP(name, alias string, flags Flag, emptyIsNull bool, def string) *param {
	return &param{name: name, alias: alias, typ: TypeString, flags: flags, emptyIsNull: emptyIsNull, def: def}
}

func specialP(name, alias string, flags Flag, sp *special, def string) *param {
	return &param{name: name, alias: alias, typ: TypeSpecial, flags: flags, sp: sp, def: def}
}

const (
	mod   Flag = 0 // MODIFIABLE_CONFIG
	imm        = FlagImmutable
	dbg        = FlagDebug
	hid        = FlagHidden
	sens       = FlagSensitive
	prot       = FlagProtected
	denyL      = FlagDenyLoading
	multi      = FlagMultiArg
	empty      = true  // EMPTY_STRING_IS_NULL
	allow      = false // ALLOW_EMPTY_STRING
)

var protectedActionEnum = []string{"no", "yes", "local"}

var shutdownOnSigEnum = []enumVal{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}

func shutdownOnSig(name string) *param {
	p := enumValsP(name, "", mod|multi, "default", shutdownOnSigEnum...)
	p.bitflags = true
	p.enumOK = func(v int64) string {
		if v&1 != 0 && v&2 != 0 {
			return "shutdown options SAVE and NOSAVE can't be used simultaneously"
		}
		return ""
	}
	return p
}

// redisParams is Redis 7.0's standardConfig table (src/config.c), in its
// order, with the parameters 7.0.15 adds (replica-ignore-disk-write-errors,
// propagation-error-behavior, shutdown-on-sigint/sigterm, socket-mark-id)
// and the TLS parameters of a build with TLS. Defaults are as CONFIG GET
// prints them on redis-server 7.0.15; TestDefaultsMatchRedis checks them.
func redisParams() []*param {
	ps := []*param{
		// Bool configs
		boolP("rdbchecksum", "", imm, true),
		boolP("daemonize", "", imm, false),
		boolP("io-threads-do-reads", "", dbg|imm, false),
		boolP("always-show-logo", "", imm, false),
		boolP("protected-mode", "", mod, true),
		boolP("rdbcompression", "", mod, true),
		boolP("rdb-del-sync-files", "", mod, false),
		boolP("activerehashing", "", mod, true),
		boolP("stop-writes-on-bgsave-error", "", mod, true),
		boolP("set-proc-title", "", imm, true),
		boolP("dynamic-hz", "", mod, true),
		boolP("lazyfree-lazy-eviction", "", dbg, false),
		boolP("lazyfree-lazy-expire", "", dbg, false),
		boolP("lazyfree-lazy-server-del", "", dbg, false),
		boolP("lazyfree-lazy-user-del", "", dbg, false),
		boolP("lazyfree-lazy-user-flush", "", dbg, false),
		boolP("repl-disable-tcp-nodelay", "", mod, false),
		boolP("repl-diskless-sync", "", dbg, true),
		boolP("aof-rewrite-incremental-fsync", "", mod, true),
		boolP("no-appendfsync-on-rewrite", "", mod, false),
		boolP("cluster-require-full-coverage", "", mod, true),
		boolP("rdb-save-incremental-fsync", "", mod, true),
		boolP("aof-load-truncated", "", mod, true),
		boolP("aof-use-rdb-preamble", "", mod, true),
		boolP("aof-timestamp-enabled", "", mod, false),
		boolP("cluster-replica-no-failover", "cluster-slave-no-failover", mod, false),
		boolP("replica-lazy-flush", "slave-lazy-flush", mod, false),
		boolP("replica-serve-stale-data", "slave-serve-stale-data", mod, true),
		boolP("replica-read-only", "slave-read-only", dbg, true),
		boolP("replica-ignore-maxmemory", "slave-ignore-maxmemory", mod, true),
		boolP("jemalloc-bg-thread", "", mod, true),
		boolP("activedefrag", "", dbg, false),
		boolP("syslog-enabled", "", imm, false),
		boolP("cluster-enabled", "", imm, false),
		boolP("appendonly", "", denyL, false),
		boolP("cluster-allow-reads-when-down", "", mod, false),
		boolP("cluster-allow-pubsubshard-when-down", "", mod, true),
		boolP("crash-log-enabled", "", mod, true),
		boolP("crash-memcheck-enabled", "", mod, true),
		boolP("use-exit-on-panic", "", hid, false),
		boolP("disable-thp", "", imm, true),
		boolP("cluster-allow-replica-migration", "", mod, true),
		boolP("replica-announced", "", mod, true),
		boolP("latency-tracking", "", mod, true),
		boolP("aof-disable-auto-gc", "", mod, false),
		boolP("replica-ignore-disk-write-errors", "", mod, false),

		// String configs
		strP("aclfile", "", imm, allow, ""),
		strP("unixsocket", "", imm, empty, ""),
		strP("pidfile", "", imm, empty, ""),
		strP("replica-announce-ip", "slave-announce-ip", mod, empty, ""),
		strP("masteruser", "", sens, empty, ""),
		strP("cluster-announce-ip", "", mod, empty, ""),
		strP("cluster-config-file", "", imm, allow, "nodes.conf"),
		withStrOK(strP("cluster-announce-hostname", "", mod, empty, ""), validHostname),
		strP("syslog-ident", "", imm, allow, "redis"),
		withStrOK(strP("dbfilename", "", prot, allow, "dump.rdb"), validDBFilename),
		withStrOK(strP("appendfilename", "", imm, allow, "appendonly.aof"), validAOFFilename),
		withStrOK(strP("appenddirname", "", imm, allow, "appendonlydir"), validAOFDirname),
		strP("server_cpulist", "", imm, empty, ""),
		strP("bio_cpulist", "", imm, empty, ""),
		strP("aof_rewrite_cpulist", "", imm, empty, ""),
		strP("bgsave_cpulist", "", imm, empty, ""),
		strP("ignore-warnings", "", mod, allow, ""),
		withStrOK(strP("proc-title-template", "", mod, allow, "{title} {listen-addr} {server-mode}"), validProcTitleTemplate),
		strP("bind-source-addr", "", mod, empty, ""),
		strP("logfile", "", imm, allow, ""),

		// SDS configs
		strP("masterauth", "", sens, empty, ""),
		strP("requirepass", "", sens, empty, ""),

		// Enum configs
		enumP("supervised", "", imm, "no", "upstart", "systemd", "auto", "no"),
		enumP("syslog-facility", "", imm, "local0", "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"),
		enumP("repl-diskless-load", "", dbg|denyL, "disabled", "disabled", "on-empty-db", "swapdb"),
		enumP("loglevel", "", mod, "notice", "debug", "verbose", "notice", "warning"),
		enumP("maxmemory-policy", "", mod, "noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
		enumP("appendfsync", "", mod, "everysec", "everysec", "always", "no"),
		enumValsP("oom-score-adj", "", mod, "no", enumVal{"no", 0}, enumVal{"yes", 1}, enumVal{"relative", 1}, enumVal{"absolute", 2}),
		enumValsP("acl-pubsub-default", "", mod, "resetchannels", enumVal{"allchannels", 1}, enumVal{"resetchannels", 0}),
		enumP("sanitize-dump-payload", "", dbg, "no", "no", "yes", "clients"),
		enumP("enable-protected-configs", "", imm, "no", protectedActionEnum...),
		enumP("enable-debug-command", "", imm, "no", protectedActionEnum...),
		enumP("enable-module-command", "", imm, "no", protectedActionEnum...),
		enumP("cluster-preferred-endpoint-type", "", mod, "ip", "ip", "hostname", "unknown-endpoint"),
		enumP("propagation-error-behavior", "", mod, "ignore", "ignore", "panic", "panic-on-replicas"),
		shutdownOnSig("shutdown-on-sigint"),
		shutdownOnSig("shutdown-on-sigterm"),

		// Integer configs
		intP("databases", "", imm, 1, intMax, "16"),
		intP("port", "", mod, 0, 65535, "6379"),
		intP("io-threads", "", dbg|imm, 1, 128, "1"),
		intP("auto-aof-rewrite-percentage", "", mod, 0, intMax, "100"),
		intP("cluster-replica-validity-factor", "cluster-slave-validity-factor", mod, 0, intMax, "10"),
		intP("list-max-listpack-size", "list-max-ziplist-size", mod, intMin, intMax, "-2"),
		intP("tcp-keepalive", "", mod, 0, intMax, "300"),
		intP("cluster-migration-barrier", "", mod, 0, intMax, "1"),
		intP("active-defrag-cycle-min", "", mod, 1, 99, "1"),
		intP("active-defrag-cycle-max", "", mod, 1, 99, "25"),
		intP("active-defrag-threshold-lower", "", mod, 0, 1000, "10"),
		intP("active-defrag-threshold-upper", "", mod, 0, 1000, "100"),
		intP("lfu-log-factor", "", mod, 0, intMax, "10"),
		intP("lfu-decay-time", "", mod, 0, intMax, "1"),
		intP("replica-priority", "slave-priority", mod, 0, intMax, "100"),
		intP("repl-diskless-sync-delay", "", mod, 0, intMax, "5"),
		intP("maxmemory-samples", "", mod, 1, intMax, "5"),
		intP("maxmemory-eviction-tenacity", "", mod, 0, 100, "10"),
		intP("timeout", "", mod, 0, intMax, "0"),
		intP("replica-announce-port", "slave-announce-port", mod, 0, 65535, "0"),
		intP("tcp-backlog", "", imm, 0, intMax, "511"),
		intP("cluster-port", "", imm, 0, 65535, "0"),
		intP("cluster-announce-bus-port", "", mod, 0, 65535, "0"),
		intP("cluster-announce-port", "", mod, 0, 65535, "0"),
		intP("cluster-announce-tls-port", "", mod, 0, 65535, "0"),
		intP("repl-timeout", "", mod, 1, intMax, "60"),
		intP("repl-ping-replica-period", "repl-ping-slave-period", mod, 1, intMax, "10"),
		intP("list-compress-depth", "", dbg, 0, intMax, "0"),
		intP("rdb-key-save-delay", "", hid, intMin, intMax, "0"),
		intP("key-load-delay", "", hid, intMin, intMax, "0"),
		intP("active-expire-effort", "", mod, 1, 10, "1"),
		withNormalize(intP("hz", "", mod, 0, intMax, "10"), clampHz),
		intP("min-replicas-to-write", "min-slaves-to-write", mod, 0, intMax, "0"),
		intP("min-replicas-max-lag", "min-slaves-max-lag", mod, 0, intMax, "10"),
		intP("watchdog-period", "", hid, 0, intMax, "0"),
		intP("shutdown-timeout", "", mod, 0, intMax, "10"),
		intP("repl-diskless-sync-max-replicas", "", mod, 0, intMax, "0"),

		// Unsigned int configs
		uintP("maxclients", "", mod, 1, uintMax, "10000"),
		{name: "unixsocketperm", typ: TypeOctal, flags: imm, min: 0, max: 0o777, unsigned: true, num: numOctal, def: "0"},
		uintP("socket-mark-id", "", imm, 0, uintMax, "0"),

		// Unsigned long configs (compared as signed: config.c only treats
		// unsigned int, unsigned long long and size_t as unsigned)
		intP("active-defrag-max-scan-fields", "", mod, 1, longMax, "1000"),
		intP("slowlog-max-len", "", mod, 0, longMax, "128"),
		intP("acllog-max-len", "", mod, 0, longMax, "128"),

		// Long long configs
		intP("busy-reply-threshold", "lua-time-limit", mod, 0, longMax, "5000"),
		intP("cluster-node-timeout", "", mod, 0, llongMax, "15000"),
		intP("slowlog-log-slower-than", "", mod, -1, llongMax, "10000"),
		intP("latency-monitor-threshold", "", mod, 0, llongMax, "0"),
		memP("proto-max-bulk-len", "", dbg, 1024*1024, longMax, false, "536870912"),
		intP("stream-node-max-entries", "", mod, 0, llongMax, "100"),
		// Concord's replication backlog defaults to 64mb; Redis's to 1mb.
		withNormalize(withRedisDefault(memP("repl-backlog-size", "", mod, 1, llongMax, false, "67108864"), "1048576"), minBacklog),

		// Unsigned long long configs
		memP("maxmemory", "", mod, 0, ullMax, true, "0"),
		memP("cluster-link-sendbuf-limit", "", mod, 0, ullMax, true, "0"),

		// Size_t configs
		uintP("hash-max-listpack-entries", "hash-max-ziplist-entries", mod, 0, longMax, "512"),
		uintP("set-max-intset-entries", "", mod, 0, longMax, "512"),
		uintP("zset-max-listpack-entries", "zset-max-ziplist-entries", mod, 0, longMax, "128"),
		memP("active-defrag-ignore-bytes", "", mod, 1, llongMax, true, "104857600"),
		memP("hash-max-listpack-value", "hash-max-ziplist-value", mod, 0, longMax, true, "64"),
		memP("stream-node-max-bytes", "", mod, 0, longMax, true, "4096"),
		memP("zset-max-listpack-value", "zset-max-ziplist-value", mod, 0, longMax, true, "64"),
		memP("hll-sparse-max-bytes", "", mod, 0, longMax, true, "3000"),
		uintP("tracking-table-max-keys", "", mod, 0, longMax, "1000000"),
		memP("client-query-buffer-limit", "", dbg, 1024*1024, longMax, true, "1073741824"),
		{name: "maxmemory-clients", typ: TypeMemory, flags: mod, min: -100, max: math.MaxInt64, num: numMemory | numPercent, def: "0"},

		// Other configs
		intP("repl-backlog-ttl", "", mod, 0, longMax, "3600"),
		memP("auto-aof-rewrite-min-size", "", mod, 0, llongMax, false, "67108864"),
		intP("loading-process-events-interval-bytes", "", hid, 1024, intMax, "2097152"),

		// TLS configs
		intP("tls-port", "", mod, 0, 65535, "0"),
		intP("tls-session-cache-size", "", mod, 0, intMax, "20480"),
		intP("tls-session-cache-timeout", "", mod, 0, intMax, "300"),
		boolP("tls-cluster", "", mod, false),
		boolP("tls-replication", "", mod, false),
		enumP("tls-auth-clients", "", mod, "yes", "no", "yes", "optional"),
		boolP("tls-prefer-server-ciphers", "", mod, false),
		boolP("tls-session-caching", "", mod, true),
		strP("tls-cert-file", "", mod, empty, ""),
		strP("tls-key-file", "", mod, empty, ""),
		strP("tls-key-file-pass", "", mod, empty, ""),
		strP("tls-client-cert-file", "", mod, empty, ""),
		strP("tls-client-key-file", "", mod, empty, ""),
		strP("tls-client-key-file-pass", "", mod, empty, ""),
		strP("tls-dh-params-file", "", mod, empty, ""),
		strP("tls-ca-cert-file", "", mod, empty, ""),
		strP("tls-ca-cert-dir", "", mod, empty, ""),
		strP("tls-protocols", "", mod, empty, ""),
		strP("tls-ciphers", "", mod, empty, ""),
		strP("tls-ciphersuites", "", mod, empty, ""),

		// Special configs
		specialP("dir", "", prot|denyL, spDir, ""),
		specialP("save", "", multi, spSave, "3600 1 300 100 60 10000"),
		specialP("client-output-buffer-limit", "", multi, spClientOutputBufferLimit,
			"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
		specialP("oom-score-adj-values", "", multi, spOOMScoreAdjValues, "0 200 800"),
		specialP("notify-keyspace-events", "", mod, spNotifyKeyspaceEvents, ""),
		specialP("bind", "", multi, spBind, "* -::*"),
		specialP("replicaof", "slaveof", imm|multi, spReplicaOf, ""),
		specialP("latency-tracking-info-percentiles", "", multi, spLatencyPercentiles, "50 99 99.9"),
	}
	return ps
}

// concordParams are Concord's own parameters.
func concordParams() []*param {
	c := FlagConcord
	return []*param{
		intP("member-id", "", c|imm, 1, 64, "1"),
		strP("member-name", "", c, allow, "concord"),
		intP("peer-port", "", c|imm, 0, 65535, "0"),
		strP("peer-secret", "", c|sens, empty, ""),
		specialP("peer", "", c|multi, spPeer, ""),
		// Replication (docs/design/replication.md), read when the member starts.
		memP("crdt-backlog-size", "", c|imm, 16*1024, llongMax, false, "67108864"),
		memP("crdt-causal-buffer-size", "", c|imm, 64*1024, llongMax, false, "16777216"),
		intP("crdt-ovc-interval", "", c|imm, 1, 60000, "100"),
		intP("crdt-gc-interval", "", c|imm, 1, 3600000, "1000"),
		// WAN settings of the sending links: CONFIG SET applies them to live links.
		boolP("crdt-compression", "", c, true),
		intP("crdt-compression-level", "", c, 1, 22, "1"),
		memP("crdt-link-max-bandwidth", "", c, 0, llongMax, false, "0"),
		memP("crdt-batch-max-bytes", "", c, 1024, 1<<20, false, "65536"),
		intP("crdt-flush-interval", "", c, 1, 10000, "1"), // ms
		// ms a starting member with peers waits, at most, for peers that neither answer nor
		// fail before it accepts writes (replication/startup.go); 0: no wait.
		intP("crdt-startup-sync-timeout", "", c|imm, 0, 3600000, "5000"),
		// Operating (README "Operating Concord"): Prometheus metrics on this port of every
		// bind address (0: off).
		intP("metrics-port", "", c|imm, 0, 65535, "0"),
		// Log lines as logfmt text or as one JSON object each (log/slog's handlers).
		enumP("log-format", "", c|imm, "text", "text", "json"),
	}
}

// effectiveParams are the parameters Concord acts on (besides its own).
var effectiveParams = []string{
	"bind", "port", "dir", "requirepass", "maxclients", "databases", "loglevel",
	"logfile", "proto-max-bulk-len", "client-query-buffer-limit", "timeout", "hz",
	"protected-mode", "enable-debug-command", "client-output-buffer-limit", "io-threads",
	// they decide what OBJECT ENCODING says, the order of small collections' replies and
	// whether SSCAN/HSCAN return a small collection whole, as in Redis
	"set-max-intset-entries", "hash-max-listpack-entries", "hash-max-listpack-value",
	"zset-max-listpack-entries", "zset-max-listpack-value",
	// the sparse/dense choice of HyperLogLogs (what GET returns), as in Redis
	"hll-sparse-max-bytes",
	// when other clients get BUSY while a script runs (scripting)
	"busy-reply-threshold",
	// persistence (package persist): the append-only file, snapshots and their schedule
	"appendonly", "appendfsync", "appendfilename", "dbfilename", "save",
	"stop-writes-on-bgsave-error", "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size",
	// TLS of the client port and of the peer links (package tlsconfig); tls-ciphersuites,
	// tls-prefer-server-ciphers, tls-session-cache-size/-timeout, tls-dh-params-file and
	// tls-cluster have no crypto/tls equivalent (or no cluster) and stay without effect
	"tls-port", "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
	"tls-client-key-file", "tls-client-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
	"tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-session-caching", "tls-replication",
	// per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM, metrics)
	"latency-tracking", "latency-tracking-info-percentiles",
}

func withStrOK(p *param, f func(string) string) *param { p.strOK = f; return p }

func withNormalize(p *param, f func(int64) int64) *param { p.normalize = f; return p }

func withRedisDefault(p *param, d string) *param { p.redisDef = d; return p }

// minBacklog is resizeReplicationBacklog's floor (CONFIG_REPL_BACKLOG_MIN_SIZE).
func minBacklog(n int64) int64 {
	if n < 16*1024 {
		return 16 * 1024
	}
	return n
}

// clampHz is updateHZ: hz is a hint, out-of-range values are capped to
// CONFIG_MIN_HZ..CONFIG_MAX_HZ rather than refused.
func clampHz(n int64) int64 {
	if n < 1 {
		return 1
	}
	if n > 500 {
		return 500
	}
	return n
}
