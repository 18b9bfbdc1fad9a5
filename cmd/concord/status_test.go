package main

import (
	"strings"
	"testing"
	"time"
)

func TestRenderStatus(t *testing.T) {
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	prev := &statusSample{at: at, info: map[string]string{
		"total_commands_processed": "1000", "crdt_clock": "500", "crdt_effect_reqs": "100",
		"crdt_peer0": "id=2,name=eu,addr=10.0.0.2:17002,state=connected,lag_ms=3,max_ops_lag=4,min_ops_lag=1,bytes_in=1000,bytes_out=2000,compression_ratio=4.20",
	}}
	cur := &statusSample{at: at.Add(2 * time.Second), info: map[string]string{
		"concord_version": "0.1.0", "crdt_replid": "1", "crdt_member_name": "us", "connected_clients": "3",
		"db0": "keys=7,expires=0,avg_ttl=0", "db1": "keys=3,expires=1,avg_ttl=5", "used_memory_human": "1.00M",
		"crdt_conflicts": "2", "crdt_ovc": "1:700,2:90",
		"total_commands_processed": "3000", "crdt_clock": "700", "crdt_effect_reqs": "300",
		"crdt_peer0": "id=2,name=eu,addr=10.0.0.2:17002,state=down,lag_ms=1500,max_ops_lag=40,min_ops_lag=40,bytes_in=3048,bytes_out=4000,compression_ratio=4.20",
	}, conflicts: []map[string]string{
		{"time": "1795395600123", "db": "0", "key": "h", "element": "f", "type": "hash", "rule": "lww",
			"winner-member": "2", "loser-member": "1", "loser-value": "old"},
		{"time": "1795395600100", "db": "0", "key": "s", "element": "", "type": "set", "rule": "add-wins",
			"winner-member": "1", "loser-member": "2", "loser-value": "<nil>"},
	}}
	var b strings.Builder
	renderStatus(&b, "127.0.0.1:7001", prev, cur)
	out := b.String()
	for _, want := range []string{
		"member 1 (us) at 127.0.0.1:7001",
		"clients 3  keys 10  memory 1.00M  clock 700  conflicts 2",
		"1000 commands/s, 100 local effects/s, 100 peer effects applied/s",
		"vector clock 1:700,2:90",
		"\x1b[31mdown\x1b[0m", "1500", "1.0K", "4.20", "ops lag: max 40, min 40",
		"h f", "lww", "member 2", `"old"`, "s  ", "add-wins", `""`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("frame lacks %q:\n%s", want, out)
		}
	}
}
