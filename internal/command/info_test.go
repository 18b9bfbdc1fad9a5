package command

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// scInfoFields are the fields of each section of redis-server 7.0.15's INFO everything, in order
// (cmdstat_*, errorstat_*, latency_percentiles_* and db* lines left out).
var scInfoFields = map[string][]string{
	"Server":       {"redis_version", "redis_git_sha1", "redis_git_dirty", "redis_build_id", "redis_mode", "os", "arch_bits", "monotonic_clock", "multiplexing_api", "atomicvar_api", "gcc_version", "process_id", "process_supervised", "run_id", "tcp_port", "server_time_usec", "uptime_in_seconds", "uptime_in_days", "hz", "configured_hz", "lru_clock", "executable", "config_file", "io_threads_active"},
	"Clients":      {"connected_clients", "cluster_connections", "maxclients", "client_recent_max_input_buffer", "client_recent_max_output_buffer", "blocked_clients", "tracking_clients", "clients_in_timeout_table"},
	"Memory":       {"used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human", "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc", "used_memory_overhead", "used_memory_startup", "used_memory_dataset", "used_memory_dataset_perc", "allocator_allocated", "allocator_active", "allocator_resident", "total_system_memory", "total_system_memory_human", "used_memory_lua", "used_memory_vm_eval", "used_memory_lua_human", "used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions", "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total", "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts", "used_memory_scripts_human", "maxmemory", "maxmemory_human", "maxmemory_policy", "allocator_frag_ratio", "allocator_frag_bytes", "allocator_rss_ratio", "allocator_rss_bytes", "rss_overhead_ratio", "rss_overhead_bytes", "mem_fragmentation_ratio", "mem_fragmentation_bytes", "mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal", "mem_cluster_links", "mem_aof_buffer", "mem_allocator", "active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects"},
	"Persistence":  {"loading", "async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age", "current_fork_perc", "current_save_keys_processed", "current_save_keys_total", "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time", "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec", "rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status", "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status", "aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size"},
	"Stats":        {"total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec", "total_net_input_bytes", "total_net_output_bytes", "total_net_repl_input_bytes", "total_net_repl_output_bytes", "instantaneous_input_kbps", "instantaneous_output_kbps", "instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps", "rejected_connections", "sync_full", "sync_partial_ok", "sync_partial_err", "expired_keys", "expired_stale_perc", "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys", "evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time", "keyspace_hits", "keyspace_misses", "pubsub_channels", "pubsub_patterns", "pubsubshard_channels", "latest_fork_usec", "total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time", "current_active_defrag_time", "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes", "unexpected_error_replies", "total_error_replies", "dump_payload_sanitizations", "total_reads_processed", "total_writes_processed", "io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks", "reply_buffer_expands"},
	"Replication":  {"role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2", "master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size", "repl_backlog_first_byte_offset", "repl_backlog_histlen"},
	"CPU":          {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children", "used_cpu_sys_main_thread", "used_cpu_user_main_thread"},
	"Modules":      {},
	"Commandstats": {},
	"Errorstats":   {},
	"Latencystats": {},
	"Cluster":      {"cluster_enabled"},
	"Keyspace":     {},
}

// scInfoSections splits INFO text into section titles and their "key:value" lines.
func scInfoSections(t *testing.T, text string) ([]string, map[string][]string) {
	t.Helper()
	var titles []string
	lines := map[string][]string{}
	for i, sec := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n\r\n") {
		if text == "" {
			break
		}
		rows := strings.Split(sec, "\r\n")
		title, ok := strings.CutPrefix(rows[0], "# ")
		if !ok {
			t.Fatalf("section %d does not start with a title: %q", i, sec)
		}
		titles = append(titles, title)
		for _, r := range rows[1:] {
			if !strings.Contains(r, ":") {
				t.Fatalf("bad line %q in %s", r, title)
			}
		}
		lines[title] = rows[1:]
	}
	return titles, lines
}

// scInfoText returns the text of an INFO reply (a bulk string in RESP2).
func scInfoText(t *testing.T, reply string) string {
	t.Helper()
	head, body, ok := strings.Cut(reply, "\r\n")
	if !ok || !strings.HasPrefix(head, "$") || !strings.HasSuffix(body, "\r\n") {
		t.Fatalf("not a bulk string: %q", reply)
	}
	body = strings.TrimSuffix(body, "\r\n")
	if fmt.Sprint(len(body)) != head[1:] {
		t.Fatalf("bad length in %q", reply)
	}
	return body
}

// scInfoValue returns the value of key in INFO text, failing if absent.
func scInfoValue(t *testing.T, text, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `:(.*)\r$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %s in INFO:\n%s", key, text)
	}
	return m[1]
}

func TestInfoSections(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	defaults := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace", "CRDT"}
	all := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace", "CRDT"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, defaults},
		{[]string{"default"}, defaults},
		{[]string{"DEFAULT", "commandstats"}, slices.Insert(slices.Clone(defaults), 8, "Commandstats")},
		{[]string{"all"}, all},
		{[]string{"everything"}, all},
		{[]string{"keyspace", "server"}, []string{"Server", "Keyspace"}},
		{[]string{"Keyspace", "keyspace", "CRDT"}, []string{"Keyspace", "CRDT"}},
		{[]string{"module_list"}, []string{"Modules"}},
		{[]string{"foo"}, nil},
	} {
		text := scInfoText(t, s.do(cl, append([]string{"INFO"}, tc.args...)...))
		titles, lines := scInfoSections(t, text)
		if !slices.Equal(titles, tc.want) {
			t.Errorf("INFO %v: sections %v, want %v", tc.args, titles, tc.want)
		}
		for title, rows := range lines {
			want, ok := scInfoFields[title]
			if !ok {
				continue
			}
			var got []string
			for _, r := range rows {
				k, _, _ := strings.Cut(r, ":")
				if k == "concord_version" || strings.HasPrefix(k, "cmdstat_") || strings.HasPrefix(k, "errorstat_") || strings.HasPrefix(k, "db") ||
					strings.HasPrefix(k, "latency_percentiles_usec_") {
					continue
				}
				got = append(got, k)
			}
			if !slices.Equal(got, want) {
				t.Errorf("INFO %s fields:\n got %v\nwant %v", title, got, want)
			}
		}
	}
	s.run(cl, []scStep{
		sc("$0\r\n\r\n", "INFO", "foo"),
		sc("$12\r\n# Keyspace\r\n\r\n", "INFO", "keyspace"),
		sc(scHello(cl.ID, 3), "HELLO", "3"),
		sc("=16\r\ntxt:# Keyspace\r\n\r\n", "INFO", "keyspace"),
		sc("=4\r\ntxt:\r\n", "INFO", "foo"),
	})
}

func TestInfoValues(t *testing.T) {
	s := newSCEnv(t, "member-name paris", "maxclients 77")
	cl := s.client("")
	sub := s.client("")
	s.run(cl, []scStep{
		sc(scOK, "SET", "a", "1"),
		sc(scOK, "SET", "b", "1", "EX", "100"),
		sc(scBulk("1"), "GET", "a"),
		sc(scNull2, "GET", "nosuch"),
		sc(scOK, "SELECT", "3"),
		sc(scOK, "SET", "c", "1", "PX", "10"),
		sc(scErr("ERR value is not an integer or out of range"), "SELECT", "x"),
		sc(scErr("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "a", "b"),
	})
	s.do(sub, "SUBSCRIBE", "ch")
	s.do(sub, "PSUBSCRIBE", "p*", "q*")
	s.clock.Millis += 20
	s.run(cl, []scStep{sc(scNull2, "GET", "c"), sc(scOK, "SELECT", "0")})
	text := scInfoText(t, s.do(cl, "INFO", "everything"))
	seq := s.env.Engine.Seq()
	for key, want := range map[string]string{
		"redis_version":              "7.0.15",
		"concord_version":            Version,
		"redis_mode":                 "standalone",
		"run_id":                     s.env.RunID,
		"tcp_port":                   "6379",
		"config_file":                s.cfgFile,
		"connected_clients":          "2",
		"maxclients":                 "77",
		"maxmemory":                  "0",
		"maxmemory_human":            "0B",
		"maxmemory_policy":           "noeviction",
		"rdb_last_save_time":         Itoa(s.env.Started.Unix()),
		"aof_enabled":                "0",
		"rdb_bgsave_in_progress":     "0",
		"total_connections_received": "2",
		"total_commands_processed":   "12",
		"keyspace_hits":              "1",
		"keyspace_misses":            "2",
		"expired_keys":               "1",
		"pubsub_channels":            "1",
		"pubsub_patterns":            "2",
		"total_error_replies":        "2",
		"role":                       "master",
		"connected_slaves":           "0",
		"master_replid":              s.env.RunID,
		"repl_backlog_size":          "67108864", // Concord's default (replication.md §3)
		"errorstat_ERR":              "count=1",
		"errorstat_WRONGPASS":        "count=1",
		"cluster_enabled":            "0",
		"db0":                        "keys=2,expires=1,avg_ttl=0",
		"crdt_replid":                "1",
		"crdt_member_name":           "paris",
		"crdt_clock":                 Itoa(int64(seq)),
		"crdt_ovc":                   fmt.Sprintf("1:%d", seq),
		"crdt_effect_reqs":           "0",
		"crdt_gc_pending":            "0",
		"crdt_gc_gvc_min":            fmt.Sprintf("1:%d", seq),
		"crdt_backlog":               fmt.Sprintf("size=0,first=1:%d", seq+1),
	} {
		if got := scInfoValue(t, text, key); got != want {
			t.Errorf("%s: got %q, want %q", key, got, want)
		}
	}
	if seq != 4 { // 3 SETs and the expiry of c
		t.Errorf("seq %d", seq)
	}
	if strings.Contains(text, "db3:") {
		t.Errorf("empty db3 listed:\n%s", text)
	}
	for _, re := range []string{
		`(?m)^cmdstat_set:calls=3,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r$`,
		`(?m)^cmdstat_select:calls=3,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1\r$`,
		`(?m)^used_memory:[1-9]\d*\r$`,
		`(?m)^used_memory_human:\d+(\.\d\d[KMGTP])?B?\r$`,
		`(?m)^used_memory_peak_perc:\d+\.\d\d%\r$`,
		`(?m)^used_cpu_user:\d+\.\d{6}\r$`,
		`(?m)^uptime_in_seconds:\d+\r$`,
		`(?m)^lru_clock:\d+\r$`,
		`(?m)^process_id:[1-9]\d*\r$`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("INFO does not match %s:\n%s", re, text)
		}
	}
}

func TestInfoCRDTWithPeers(t *testing.T) {
	s := newSCEnv(t, "member-id 2", "peer 1=127.0.0.1:7001 3=127.0.0.1:7003")
	cl := s.client("")
	s.run(cl, []scStep{sc(scOK, "SET", "a", "1")})
	text := scInfoText(t, s.do(cl, "INFO", "crdt"))
	want := "# CRDT\r\n" +
		"crdt_config_version:1\r\n" +
		"crdt_replid:2\r\n" +
		"crdt_member_name:concord\r\n" +
		"crdt_clock:1\r\n" +
		"crdt_ovc:1:0,2:1,3:0\r\n" +
		"crdt_effect_reqs:0\r\n" +
		"crdt_ovc_filtered_effect_reqs:0\r\n" +
		"crdt_merge_reqs:0\r\n" +
		"crdt_sync_full:0\r\n" +
		"crdt_sync_partial_ok:0\r\n" +
		"crdt_sync_partial_err:0\r\n" +
		"crdt_syncing:0\r\n" +
		"crdt_gc_pending:0\r\n" +
		"crdt_gc_attempted:0\r\n" +
		"crdt_gc_collected:0\r\n" +
		"crdt_gc_gvc_min:1:0,2:0,3:0\r\n" +
		"crdt_backlog:size=0,first=1:1,2:2,3:1\r\n" +
		"crdt_conflicts:0\r\n"
	if text != want {
		t.Fatalf("INFO crdt:\n%s\nwant:\n%s", text, want)
	}
}

func TestBytesToHuman(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0B", 1023: "1023B", 1024: "1.00K", 941096: "919.04K", 7147520: "6.82M",
		25276026880: "23.54G", 1 << 40: "1.00T", 1 << 50: "1.00P", 1 << 60: "1152921504606846976B",
	} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", n, got, want)
		}
	}
}
