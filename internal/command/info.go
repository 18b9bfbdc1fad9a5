package command

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/concord-db/concord/internal/clock"
)

// INFO, with Redis 7.0.15's sections, fields and field order (genRedisInfoString), plus
// concord_version in the server section and Concord's own # CRDT section (replication.md §5).
// Values are real where Concord has them; what Concord does not have (persistence, forks,
// replicas, Lua, client-side caching, I/O threads, eviction...) is reported as Redis reports it
// when unused.

func init() {
	define(&Command{Name: "info", Arity: -1, Run: infoCommand})
}

// infoSection is one section of INFO: name is how clients ask for it, def whether INFO without
// arguments shows it ("all" shows every section).
type infoSection struct {
	name  string
	title string
	def   bool
	gen   func(c *Ctx, w *infoWriter)
}

// infoSections are in the order INFO prints them.
var infoSections []infoSection

func init() {
	infoSections = []infoSection{
		{"server", "Server", true, infoServer},
		{"clients", "Clients", true, infoClients},
		{"memory", "Memory", true, infoMemory},
		{"persistence", "Persistence", true, infoPersistence},
		{"stats", "Stats", true, infoStats},
		{"replication", "Replication", true, infoReplication},
		{"cpu", "CPU", true, infoCPU},
		{"modules", "Modules", true, func(*Ctx, *infoWriter) {}},
		{"commandstats", "Commandstats", false, infoCommandstats},
		{"errorstats", "Errorstats", true, infoErrorstats},
		{"latencystats", "Latencystats", false, infoLatencystats}, // latency.go
		{"cluster", "Cluster", true, infoCluster},
		{"keyspace", "Keyspace", true, infoKeyspace},
		{"crdt", "CRDT", true, infoCRDT},
	}
}

// infoWriter builds the text of INFO.
type infoWriter struct{ b []byte }

func (w *infoWriter) str(k, v string) {
	w.b = append(w.b, k...)
	w.b = append(w.b, ':')
	w.b = append(w.b, v...)
	w.b = append(w.b, '\r', '\n')
}

func (w *infoWriter) int(k string, v int64) { w.str(k, strconv.FormatInt(v, 10)) }

func (w *infoWriter) uint(k string, v uint64) { w.str(k, strconv.FormatUint(v, 10)) }

// f2 prints v as "%.2f".
func (w *infoWriter) f2(k string, v float64) { w.str(k, strconv.FormatFloat(v, 'f', 2, 64)) }

// zeros prints each key with the value 0.
func (w *infoWriter) zeros(keys ...string) {
	for _, k := range keys {
		w.str(k, "0")
	}
}

func infoCommand(c *Ctx) error {
	c.W.Verbatim("txt", c.infoString(c.Args[1:]))
	return nil
}

// infoString is genInfoSectionDict + genRedisInfoString: the sections asked for, in INFO's
// order, separated by an empty line; unknown names are ignored.
func (c *Ctx) infoString(args [][]byte) string {
	want := map[string]bool{}
	all := false
	if len(args) == 0 {
		want["default"] = true
	}
	for _, a := range args {
		name := strings.ToLower(string(a))
		switch name {
		case "all", "everything":
			all = true
		case "module_list":
			want["modules"] = true
		default:
			want[name] = true
		}
	}
	w := &infoWriter{}
	n := 0
	for _, s := range infoSections {
		if !all && !want[s.name] && !(s.def && want["default"]) {
			continue
		}
		if n > 0 {
			w.b = append(w.b, '\r', '\n')
		}
		n++
		w.b = append(w.b, "# "...)
		w.b = append(w.b, s.title...)
		w.b = append(w.b, '\r', '\n')
		s.gen(c, w)
	}
	return string(w.b)
}

func infoServer(c *Ctx, w *infoWriter) {
	env := c.Env
	now := time.Now()
	uptime := int64(now.Sub(env.Started) / time.Second)
	exe, _ := os.Executable()
	cfgFile := env.Config.File()
	if cfgFile != "" {
		if abs, err := filepath.Abs(cfgFile); err == nil {
			cfgFile = abs
		}
	}
	hz := env.Config.Int("hz")
	w.str("redis_version", RedisVersion)
	w.str("concord_version", Version)
	w.str("redis_git_sha1", "00000000")
	w.str("redis_git_dirty", "0")
	w.str("redis_build_id", "0")
	w.str("redis_mode", "standalone")
	w.str("os", osName())
	w.int("arch_bits", strconv.IntSize)
	w.str("monotonic_clock", "POSIX clock_gettime")
	w.str("multiplexing_api", multiplexingAPI())
	w.str("atomicvar_api", "sync-atomic")
	w.str("gcc_version", "0.0.0")
	w.int("process_id", int64(os.Getpid()))
	w.str("process_supervised", "no")
	w.str("run_id", env.RunID)
	w.int("tcp_port", env.Config.Int("port"))
	w.int("server_time_usec", now.UnixMicro())
	w.int("uptime_in_seconds", uptime)
	w.int("uptime_in_days", uptime/86400)
	w.int("hz", hz)
	w.int("configured_hz", hz)
	w.int("lru_clock", lruClock(now.UnixMilli()))
	w.str("executable", exe)
	w.str("config_file", cfgFile)
	w.str("io_threads_active", "0")
}

// lruClock is Redis's LRU clock: seconds, on 24 bits.
func lruClock(ms int64) int64 { return (ms / 1000) & (1<<24 - 1) }

// osName is what uname gives Redis: "Linux 6.1.0 x86_64".
func osName() string {
	if runtime.GOOS == "linux" {
		if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			return "Linux " + strings.TrimSpace(string(rel)) + " " + machine()
		}
	}
	return runtime.GOOS + " " + machine()
}

func machine() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	}
	return runtime.GOARCH
}

// multiplexingAPI is the poller the Go runtime uses on this system.
func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux", "android":
		return "epoll"
	case "darwin", "ios", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	case "solaris", "illumos":
		return "evport"
	case "windows":
		return "iocp"
	}
	return "poll"
}

func infoClients(c *Ctx, w *infoWriter) {
	w.int("connected_clients", int64(c.Env.ClientCount()))
	w.str("cluster_connections", "0")
	w.int("maxclients", c.Env.Config.Int("maxclients"))
	w.zeros("client_recent_max_input_buffer", "client_recent_max_output_buffer")
	blocked, timed := c.Env.BlockedClients()
	w.int("blocked_clients", int64(blocked))
	w.zeros("tracking_clients")
	w.int("clients_in_timeout_table", int64(timed))
}

// bytesToHuman is Redis's bytesToHuman.
func bytesToHuman(n uint64) string {
	const k = 1024
	switch {
	case n < k:
		return strconv.FormatUint(n, 10) + "B"
	case n < k*k:
		return fmt.Sprintf("%.2fK", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.2fM", float64(n)/(k*k))
	case n < k*k*k*k:
		return fmt.Sprintf("%.2fG", float64(n)/(k*k*k))
	case n < k*k*k*k*k:
		return fmt.Sprintf("%.2fT", float64(n)/(k*k*k*k))
	case n < k*k*k*k*k*k:
		return fmt.Sprintf("%.2fP", float64(n)/(k*k*k*k*k))
	}
	return strconv.FormatUint(n, 10) + "B"
}

// residentMemory is the process's resident set size (from /proc on Linux), or fallback.
func residentMemory(fallback uint64) uint64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 2 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	return fallback
}

// systemMemory is the machine's memory (MemTotal on Linux), 0 if unknown.
func systemMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// infoMemory maps Go's memory statistics onto Redis's fields: used_memory is the live heap,
// the allocator fields are the heap's in use and obtained sizes, rss is the process's.
func infoMemory(c *Ctx, w *infoWriter) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used := ms.HeapAlloc
	st := &c.Env.Stats
	st.PeakMemory = max(st.PeakMemory, used)
	peak := st.PeakMemory
	rss := residentMemory(ms.Sys)
	var clientsMem uint64
	for _, cl := range c.Env.Clients() {
		clientsMem += uint64(cl.Out.Pending())
	}
	overhead := min(clientsMem, used)
	dataset := used - overhead
	allocated, active, resident := ms.HeapAlloc, ms.HeapInuse, ms.HeapSys-ms.HeapReleased
	sysMem := systemMemory()
	maxmem := c.Env.Config.Int("maxmemory")

	w.uint("used_memory", used)
	w.str("used_memory_human", bytesToHuman(used))
	w.uint("used_memory_rss", rss)
	w.str("used_memory_rss_human", bytesToHuman(rss))
	w.uint("used_memory_peak", peak)
	w.str("used_memory_peak_human", bytesToHuman(peak))
	w.str("used_memory_peak_perc", strconv.FormatFloat(ratio(used, peak)*100, 'f', 2, 64)+"%")
	w.uint("used_memory_overhead", overhead)
	w.str("used_memory_startup", "0")
	w.uint("used_memory_dataset", dataset)
	w.str("used_memory_dataset_perc", strconv.FormatFloat(ratio(dataset, used)*100, 'f', 2, 64)+"%")
	w.uint("allocator_allocated", allocated)
	w.uint("allocator_active", active)
	w.uint("allocator_resident", resident)
	w.uint("total_system_memory", sysMem)
	w.str("total_system_memory_human", bytesToHuman(sysMem))
	w.str("used_memory_lua", "0")
	w.str("used_memory_vm_eval", "0")
	w.str("used_memory_lua_human", "0B")
	w.zeros("used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions",
		"number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total")
	w.str("used_memory_vm_total_human", "0B")
	w.zeros("used_memory_functions", "used_memory_scripts")
	w.str("used_memory_scripts_human", "0B")
	w.int("maxmemory", maxmem)
	w.str("maxmemory_human", bytesToHuman(uint64(maxmem)))
	w.str("maxmemory_policy", c.Env.Config.String("maxmemory-policy"))
	w.f2("allocator_frag_ratio", ratio(active, allocated))
	w.int("allocator_frag_bytes", int64(active)-int64(allocated))
	w.f2("allocator_rss_ratio", ratio(resident, active))
	w.int("allocator_rss_bytes", int64(resident)-int64(active))
	w.f2("rss_overhead_ratio", ratio(rss, resident))
	w.int("rss_overhead_bytes", int64(rss)-int64(resident))
	w.f2("mem_fragmentation_ratio", ratio(rss, used))
	w.int("mem_fragmentation_bytes", int64(rss)-int64(used))
	w.zeros("mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
		"mem_clients_slaves")
	w.uint("mem_clients_normal", clientsMem)
	w.zeros("mem_cluster_links", "mem_aof_buffer")
	w.str("mem_allocator", runtime.Version())
	w.zeros("active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects")
}

func infoPersistence(c *Ctx, w *infoWriter) {
	if p := c.Env.persistence(); p != nil {
		for _, f := range p.Info() {
			w.str(f[0], f[1])
		}
		return
	}
	es := &c.E.Stats
	w.zeros("loading", "async_loading", "current_cow_peak", "current_cow_size",
		"current_cow_size_age")
	w.str("current_fork_perc", "0.00")
	w.zeros("current_save_keys_processed", "current_save_keys_total")
	w.uint("rdb_changes_since_last_save", es.LocalEffects+es.RemoteEffects)
	w.str("rdb_bgsave_in_progress", "0")
	w.int("rdb_last_save_time", c.Env.Started.Unix())
	w.str("rdb_last_bgsave_status", "ok")
	w.str("rdb_last_bgsave_time_sec", "-1")
	w.str("rdb_current_bgsave_time_sec", "-1")
	w.zeros("rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired",
		"rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress",
		"aof_rewrite_scheduled")
	w.str("aof_last_rewrite_time_sec", "-1")
	w.str("aof_current_rewrite_time_sec", "-1")
	w.str("aof_last_bgrewrite_status", "ok")
	w.zeros("aof_rewrites", "aof_rewrites_consecutive_failures")
	w.str("aof_last_write_status", "ok")
	w.zeros("aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size")
}

func infoStats(c *Ctx, w *infoWriter) {
	st := &c.Env.Stats
	es := &c.E.Stats
	w.uint("total_connections_received", st.Connections)
	w.uint("total_commands_processed", st.Commands)
	w.str("instantaneous_ops_per_sec", "0")
	w.uint("total_net_input_bytes", st.NetInput.Load())
	w.uint("total_net_output_bytes", st.NetOutput.Load())
	w.zeros("total_net_repl_input_bytes", "total_net_repl_output_bytes")
	for _, k := range []string{"instantaneous_input_kbps", "instantaneous_output_kbps",
		"instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps"} {
		w.str(k, "0.00")
	}
	w.uint("rejected_connections", st.RejectedConns.Load())
	w.zeros("sync_full", "sync_partial_ok", "sync_partial_err")
	w.uint("expired_keys", es.ExpiredKeys)
	w.str("expired_stale_perc", "0.00")
	w.zeros("expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys",
		"evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time")
	w.uint("keyspace_hits", es.KeyspaceHits)
	w.uint("keyspace_misses", es.KeyspaceMisses)
	w.int("pubsub_channels", int64(len(c.Env.hub.channels)))
	w.int("pubsub_patterns", int64(len(c.Env.hub.patterns)))
	w.zeros("pubsubshard_channels", "latest_fork_usec", "total_forks", "migrate_cached_sockets",
		"slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
		"active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
		"current_active_defrag_time", "tracking_total_keys", "tracking_total_items",
		"tracking_total_prefixes")
	w.uint("unexpected_error_replies", st.Unexpected)
	w.uint("total_error_replies", st.ErrorReplies)
	w.zeros("dump_payload_sanitizations", "total_reads_processed", "total_writes_processed",
		"io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks",
		"reply_buffer_expands")
}

func infoReplication(c *Ctx, w *infoWriter) {
	w.str("role", "master")
	w.str("connected_slaves", "0")
	w.str("master_failover_state", "no-failover")
	w.str("master_replid", c.Env.RunID)
	w.str("master_replid2", "0000000000000000000000000000000000000000")
	w.str("master_repl_offset", "0")
	w.str("second_repl_offset", "-1")
	w.str("repl_backlog_active", "0")
	w.int("repl_backlog_size", c.Env.Config.Int("repl-backlog-size"))
	w.zeros("repl_backlog_first_byte_offset", "repl_backlog_histlen")
}

func infoCPU(c *Ctx, w *infoWriter) {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) string {
		return fmt.Sprintf("%d.%06d", int64(t.Sec), int64(t.Usec))
	}
	w.str("used_cpu_sys", tv(self.Stime))
	w.str("used_cpu_user", tv(self.Utime))
	w.str("used_cpu_sys_children", tv(children.Stime))
	w.str("used_cpu_user_children", tv(children.Utime))
	// Go has no main thread: the whole process's figures.
	w.str("used_cpu_sys_main_thread", tv(self.Stime))
	w.str("used_cpu_user_main_thread", tv(self.Utime))
}

func infoCommandstats(c *Ctx, w *infoWriter) {
	line := func(cmd *Command) {
		if cmd.Calls == 0 && cmd.FailedCalls == 0 && cmd.RejectedCalls == 0 {
			return
		}
		usec := cmd.Usec()
		perCall := 0.0
		if cmd.Calls > 0 {
			perCall = float64(usec) / float64(cmd.Calls)
		}
		w.str("cmdstat_"+infoSafe(cmd.Name), fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			cmd.Calls, usec, perCall, cmd.RejectedCalls, cmd.FailedCalls))
	}
	for _, cmd := range topCommands() {
		line(cmd)
		for _, sub := range sortedSubcommands(cmd) {
			line(sub)
		}
	}
}

func infoErrorstats(c *Ctx, w *infoWriter) {
	codes := make([]string, 0, len(c.Env.Stats.ErrorCodes))
	for code := range c.Env.Stats.ErrorCodes {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		w.str("errorstat_"+code, "count="+strconv.FormatUint(c.Env.Stats.ErrorCodes[code], 10))
	}
}

func infoCluster(c *Ctx, w *infoWriter) { w.str("cluster_enabled", "0") }

func infoKeyspace(c *Ctx, w *infoWriter) {
	s := c.E.Store()
	for i := range s.Len() {
		db := s.DB(i)
		if db.Size() == 0 {
			continue
		}
		w.str("db"+strconv.Itoa(i), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", db.Size(), db.Expires()))
	}
}

// compressionRatio is what the data sent to a peer weighs uncompressed over what it weighed
// on the wire (1.00 before anything was sent, or without compression).
func compressionRatio(raw, wire uint64) float64 {
	if wire == 0 {
		return 1
	}
	return float64(raw) / float64(wire)
}

// crdtMembers are the members this one knows: itself, its configured peers (but forgotten
// ones) and every origin it has applied effects from, sorted by id.
func crdtMembers(c *Ctx, forgotten []clock.MemberID) []clock.MemberID {
	ids := []clock.MemberID{c.E.Member()}
	for _, p := range c.Env.Config.Peers() {
		if !slices.Contains(forgotten, clock.MemberID(p.ID)) {
			ids = append(ids, clock.MemberID(p.ID))
		}
	}
	for m, seq := range c.E.Vector() {
		if seq > 0 {
			ids = append(ids, clock.MemberID(m))
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// infoCRDT is the # CRDT section (replication.md §5). Without a replication layer (a standalone
// member, or an engine tested alone) the sync and GC counters are 0, the backlog is empty (it
// starts after the vector clock) and the GC minimum is the own vector clock when there are no
// peers, zeros otherwise (no peer's vector clock has been received).
func infoCRDT(c *Ctx, w *infoWriter) {
	e := c.E
	vc := e.Vector()
	var ri ReplInfo
	repl := c.Env.replication()
	if repl != nil {
		ri = repl.Info()
	}
	ids := crdtMembers(c, ri.Forgotten)
	if repl == nil {
		ri.ConfigVersion = 1
		if len(c.Env.Config.Peers()) == 0 {
			ri.GVCMin = vc // no peer's vector clock holds it back
		}
		for _, m := range ids {
			ri.BacklogFirst = ri.BacklogFirst.Set(m, vc.Get(m)+1)
		}
		for i := range e.Store().Len() {
			ri.GCPending += e.Store().DB(i).Tombstones()
		}
	}
	w.uint("crdt_config_version", ri.ConfigVersion)
	w.int("crdt_replid", int64(e.Member()))
	w.str("crdt_member_name", c.Env.Config.String("member-name"))
	w.uint("crdt_clock", e.Seq())
	w.str("crdt_ovc", vc.Format(ids))
	w.uint("crdt_effect_reqs", e.Stats.RemoteEffects)
	w.uint("crdt_ovc_filtered_effect_reqs", e.Stats.FilteredEffects)
	w.uint("crdt_merge_reqs", ri.MergeReqs)
	w.uint("crdt_sync_full", ri.SyncFull)
	w.uint("crdt_sync_partial_ok", ri.SyncPartialOK)
	w.uint("crdt_sync_partial_err", ri.SyncPartialErr)
	syncing := int64(0)
	if ri.Syncing {
		syncing = 1 // a restarted member refusing writes until its peers gave its effects back
	}
	w.int("crdt_syncing", syncing)
	w.int("crdt_gc_pending", int64(ri.GCPending))
	w.uint("crdt_gc_attempted", ri.GCAttempted)
	w.uint("crdt_gc_collected", ri.GCCollected)
	w.str("crdt_gc_gvc_min", ri.GVCMin.Format(ids))
	w.str("crdt_backlog", "size="+strconv.FormatInt(ri.BacklogSize, 10)+",first="+ri.BacklogFirst.Format(ids))
	_, conflicts := e.ConflictCounts()
	w.uint("crdt_conflicts", conflicts) // resolved here so far (CRDT.CONFLICTS)
	for i, p := range ri.Peers {
		w.str("crdt_peer"+strconv.Itoa(i), fmt.Sprintf(
			"id=%d,name=%s,addr=%s,state=%s,lag_ms=%d,max_ops_lag=%d,min_ops_lag=%d,bytes_in=%d,bytes_out=%d,compression_ratio=%.2f",
			p.ID, p.Name, p.Addr, p.State, p.LagMS, p.MaxOpsLag, p.MinOpsLag, p.BytesIn, p.BytesOut,
			compressionRatio(p.DataRaw, p.DataWire)))
	}
}
