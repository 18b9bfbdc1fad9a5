package compat

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// Replies that differ between any two servers (times, ids, addresses, memory, random choices,
// cursors) are checked here by shape: the same RESP types and structure on both servers, plus
// properties each reply must have.

// shapePair sends a command to both servers on the given connections and checks that the replies
// have the same shape; it returns both parsed replies.
func shapePair(t *testing.T, r, g *testserver.Conn, args ...string) (*testserver.Reply, *testserver.Reply) {
	t.Helper()
	rr := r.DoReply(args...)
	graw, err := g.DoErr(args...)
	if err != nil {
		t.Fatalf("%s: %s: %v", g.Server().Name(), fmtCmd(args), err)
	}
	gr, err := testserver.ParseReply(graw)
	if err != nil {
		t.Fatalf("%s: %s: %v", g.Server().Name(), fmtCmd(args), err)
	}
	if rr.Shape() != gr.Shape() {
		t.Errorf("SHAPE MISMATCH for %s\n  redis:  %s   %s\n  target: %s   %s", fmtCmd(args), rr.Shape(),
			trunc(rr.String()), gr.Shape(), trunc(gr.String()))
	}
	return rr, gr
}

func trunc(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

func forShapeProtocols(t *testing.T, p *pair, f func(t *testing.T, r, g *testserver.Conn)) {
	for _, proto := range []int{2, 3} {
		r, g := p.ref.Dial(t), p.tgt.Dial(t)
		if proto == 3 {
			r.Hello3()
			g.Hello3()
		}
		f(t, r, g)
	}
}

func TestShapeTime(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		_, gr := shapePair(t, r, g, "TIME")
		if len(gr.Elems) != 2 {
			t.Fatalf("TIME: %s", gr)
		}
		sec, err1 := strconv.ParseInt(gr.Elems[0].Str, 10, 64)
		usec, err2 := strconv.ParseInt(gr.Elems[1].Str, 10, 64)
		if err1 != nil || err2 != nil || usec < 0 || usec >= 1000000 {
			t.Errorf("TIME: bad fields %s", gr)
		}
		if d := time.Now().Unix() - sec; d < -5 || d > 5 {
			t.Errorf("TIME: %d seconds off the local clock", d)
		}
		shapePair(t, r, g, "TIME", "x")
		shapePair(t, r, g, "LASTSAVE")
	})
}

// infoSections parses INFO output into section name -> field names.
func infoSections(text string) (order []string, fields map[string][]string, values map[string]string) {
	fields = map[string][]string{}
	values = map[string]string{}
	cur := ""
	if len(text) >= 4 && text[3] == ':' && !strings.HasPrefix(text, "# ") {
		text = text[4:]
	}
	for _, line := range strings.Split(text, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			cur = strings.TrimPrefix(line, "# ")
			order = append(order, cur)
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[cur] = append(fields[cur], k)
			values[k] = v
		}
	}
	return order, fields, values
}

func TestShapeInfo(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		for _, c := range [][]string{{"SET", "a", "1"}, {"SET", "b", "2", "EX", "100000"}, {"SELECT", "2"}, {"SET", "c", "3"}, {"SELECT", "0"}} {
			r.Do(c...)
			g.Do(c...)
		}
		rr, gr := shapePair(t, r, g, "INFO")
		rOrder, _, _ := infoSections(rr.Str)
		gOrder, gFields, gValues := infoSections(gr.Str)
		checkSections(t, "INFO", rOrder, gOrder)
		for _, f := range []string{"redis_version", "redis_mode", "os", "arch_bits", "process_id", "tcp_port", "uptime_in_seconds",
			"connected_clients", "used_memory", "used_memory_human", "maxmemory", "role", "connected_slaves", "total_commands_processed",
			"keyspace_hits", "keyspace_misses", "expired_keys", "evicted_keys", "instantaneous_ops_per_sec", "loading", "rdb_changes_since_last_save"} {
			if _, ok := gValues[f]; !ok {
				t.Errorf("INFO: field %q missing", f)
			}
		}
		if gValues["tcp_port"] != strconv.Itoa(g.Server().Port()) {
			t.Errorf("INFO: tcp_port:%s, want %d", gValues["tcp_port"], g.Server().Port())
		}
		if gValues["role"] != "master" {
			t.Errorf("INFO: role:%s, want master", gValues["role"])
		}
		// the keyspace section counts keys exactly
		want := strings.Join(infoKeyspace(rr.Str), "\n")
		if got := strings.Join(gFields["Keyspace"], ","); got != "db0,db2" {
			t.Errorf("INFO keyspace databases: %q, want db0,db2", got)
		}
		if got := strings.Join(infoKeyspace(gr.Str), "\n"); got != want {
			t.Errorf("INFO keyspace\n  redis:  %s\n  target: %s", want, got)
		}
		for _, sec := range []string{"server", "clients", "memory", "stats", "replication", "keyspace", "everything", "all", "default",
			"nosuchsection", "SERVER", "server clients"} {
			args := append([]string{"INFO"}, strings.Fields(sec)...)
			rr, gr := shapePair(t, r, g, args...)
			ro, _, _ := infoSections(rr.Str)
			gro, _, _ := infoSections(gr.Str)
			checkSections(t, "INFO "+sec, ro, gro)
		}
	})
}

// checkSections checks that the target has Redis's INFO sections in Redis's order; sections of its
// own (Concord's CRDT section) may be added anywhere and are only logged.
func checkSections(t *testing.T, what string, redis, target []string) {
	t.Helper()
	have := map[string]bool{}
	for _, s := range target {
		have[s] = true
	}
	want := map[string]bool{}
	var common []string
	for _, s := range redis {
		want[s] = true
		if have[s] {
			common = append(common, s)
		}
	}
	var own []string
	var inOrder []string
	for _, s := range target {
		if want[s] {
			inOrder = append(inOrder, s)
		} else {
			own = append(own, s)
		}
	}
	if strings.Join(common, ",") != strings.Join(redis, ",") || strings.Join(inOrder, ",") != strings.Join(redis, ",") {
		t.Errorf("%s: sections differ (Redis's must all be there, in Redis's order)\n  redis:  %v\n  target: %v", what, redis, target)
	}
	if len(own) > 0 {
		t.Logf("%s: target's own sections: %v", what, own)
	}
}

// infoKeyspace returns the keys= and expires= parts of INFO's keyspace lines (avg_ttl varies).
func infoKeyspace(text string) []string {
	var out []string
	_, _, values := infoSections(text)
	for db := 0; db < 16; db++ {
		v, ok := values["db"+strconv.Itoa(db)]
		if !ok {
			continue
		}
		parts := strings.Split(v, ",")
		keep := []string{}
		for _, part := range parts {
			if strings.HasPrefix(part, "keys=") || strings.HasPrefix(part, "expires=") {
				keep = append(keep, part)
			}
		}
		out = append(out, "db"+strconv.Itoa(db)+":"+strings.Join(keep, ","))
	}
	return out
}

// verbatimText is the text of a bulk or verbatim string reply (without the "txt:" format prefix).
func verbatimText(r *testserver.Reply) string {
	if r.Type == '=' && len(r.Str) >= 4 {
		return r.Str[4:]
	}
	return r.Str
}

// clientFields returns the field names of one CLIENT LIST / CLIENT INFO line.
func clientFields(line string) []string {
	var names []string
	for _, f := range strings.Fields(line) {
		k, _, _ := strings.Cut(f, "=")
		names = append(names, k)
	}
	return names
}

func TestShapeClient(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		r.Do("CLIENT", "SETNAME", "shape-test")
		g.Do("CLIENT", "SETNAME", "shape-test")
		_, gid := shapePair(t, r, g, "CLIENT", "ID")
		if id, ok := gid.Int(); !ok || id <= 0 {
			t.Errorf("CLIENT ID: %s", gid)
		}
		rr, gr := shapePair(t, r, g, "CLIENT", "INFO")
		rf, gf := clientFields(verbatimText(rr)), clientFields(verbatimText(gr))
		if strings.Join(rf, " ") != strings.Join(gf, " ") {
			t.Errorf("CLIENT INFO fields\n  redis:  %v\n  target: %v", rf, gf)
		}
		if !strings.Contains(gr.Str, "name=shape-test ") || !strings.Contains(gr.Str, "id="+gid.Str+" ") {
			t.Errorf("CLIENT INFO: %q lacks name=shape-test or id=%s", gr.Str, gid.Str)
		}
		rr, gr = shapePair(t, r, g, "CLIENT", "LIST")
		rl := strings.Split(strings.TrimSpace(verbatimText(rr)), "\n")
		gl := strings.Split(strings.TrimSpace(verbatimText(gr)), "\n")
		if len(rl) != len(gl) {
			t.Errorf("CLIENT LIST: %d lines, redis has %d\n%s", len(gl), len(rl), gr.Str)
		}
		for _, line := range gl {
			if f := clientFields(line); strings.Join(f, " ") != strings.Join(rf, " ") {
				t.Errorf("CLIENT LIST line fields %v, want %v", f, rf)
			}
		}
		for _, c := range [][]string{{"CLIENT", "LIST", "TYPE", "normal"}, {"CLIENT", "LIST", "ID", gid.Str}, {"CLIENT", "GETNAME"}} {
			shapePair(t, r, g, c...)
		}
	})
}

func TestShapeDebugSleep(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		shapePair(t, r, g, "DEBUG", "SLEEP", "0")
		start := time.Now()
		if rep := g.Do("DEBUG", "SLEEP", "0.2"); string(rep) != "+OK\r\n" {
			t.Errorf("DEBUG SLEEP 0.2 = %s", testserver.Quote(rep))
		}
		if d := time.Since(start); d < 190*time.Millisecond || d > 5*time.Second {
			t.Errorf("DEBUG SLEEP 0.2 took %v", d)
		}
	})
}

func TestShapeRandomKey(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		r.Do("FLUSHALL")
		g.Do("FLUSHALL")
		shapePair(t, r, g, "RANDOMKEY")
		keys := map[string]bool{}
		for i := 0; i < 50; i++ {
			k := "rk" + strconv.Itoa(i)
			keys[k] = true
			r.Do("SET", k, "v")
			g.Do("SET", k, "v")
		}
		seen := map[string]bool{}
		for i := 0; i < 200; i++ {
			_, gr := shapePair(t, r, g, "RANDOMKEY")
			if !keys[gr.Str] {
				t.Fatalf("RANDOMKEY returned %s, not one of the keys", gr)
			}
			seen[gr.Str] = true
		}
		if len(seen) < 10 {
			t.Errorf("RANDOMKEY returned only %d distinct keys out of 50 in 200 calls", len(seen))
		}
	})
}

func TestShapeScanCursor(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		r.Do("FLUSHALL")
		g.Do("FLUSHALL")
		for i := 0; i < 300; i++ {
			k := "sk" + strconv.Itoa(i)
			r.Do("SET", k, "v")
			g.Do("SET", k, "v")
		}
		_, gr := shapePair(t, r, g, "SCAN", "0", "COUNT", "10")
		cur := gr.Elems[0].Str
		if _, err := strconv.ParseUint(cur, 10, 64); err != nil || cur == "0" {
			t.Errorf("SCAN cursor %q: not a non-zero unsigned integer", cur)
		}
		if n := len(gr.Elems[1].Elems); n == 0 || n > 100 {
			t.Errorf("SCAN COUNT 10 returned %d keys", n)
		}
		// a full iteration returns every key at least once
		seen := map[string]bool{}
		for i := 0; i < 10000; i++ {
			rep := g.DoReply("SCAN", cur, "COUNT", "7")
			for _, e := range rep.Elems[1].Elems {
				seen[e.Str] = true
			}
			cur = rep.Elems[0].Str
			if cur == "0" {
				break
			}
		}
		for _, e := range gr.Elems[1].Elems {
			seen[e.Str] = true
		}
		if len(seen) != 300 {
			t.Errorf("full SCAN saw %d of 300 keys", len(seen))
		}
		// keys added and deleted during an iteration: the ones present throughout are all returned
		cur, seen = "0", map[string]bool{}
		for i := 0; ; i++ {
			rep := g.DoReply("SCAN", cur)
			for _, e := range rep.Elems[1].Elems {
				seen[e.Str] = true
			}
			g.Do("SET", "new"+strconv.Itoa(i), "v")
			g.Do("DEL", "sk"+strconv.Itoa(299-i))
			cur = rep.Elems[0].Str
			if cur == "0" || i > 10000 {
				break
			}
		}
		missing := []string{}
		for i := 0; i < 300; i++ {
			k := "sk" + strconv.Itoa(i)
			if rep := g.DoReply("EXISTS", k); rep.Str == "1" && !seen[k] {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("SCAN during writes missed keys present throughout: %v", missing)
		}
	})
}

func TestShapeObject(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		for _, v := range []string{"12345", "short", strings.Repeat("long", 20)} {
			r.Do("SET", "o", v)
			g.Do("SET", "o", v)
			_, gr := shapePair(t, r, g, "OBJECT", "ENCODING", "o")
			if gr.Str != "int" && gr.Str != "embstr" && gr.Str != "raw" {
				t.Errorf("OBJECT ENCODING of a string: %s", gr)
			}
			shapePair(t, r, g, "OBJECT", "REFCOUNT", "o")
			_, gr = shapePair(t, r, g, "OBJECT", "IDLETIME", "o")
			if n, ok := gr.Int(); !ok || n < 0 || n > 5 {
				t.Errorf("OBJECT IDLETIME of a fresh key: %s", gr)
			}
		}
		shapePair(t, r, g, "OBJECT", "HELP")
		for _, c := range []*testserver.Conn{r, g} {
			c.Do("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
		}
		_, gr := shapePair(t, r, g, "OBJECT", "FREQ", "o")
		if n, ok := gr.Int(); !ok || n < 0 || n > 255 {
			t.Errorf("OBJECT FREQ under allkeys-lfu: %s", gr)
		}
		shapePair(t, r, g, "OBJECT", "IDLETIME", "o") // an error under an LFU policy
		for _, c := range []*testserver.Conn{r, g} {
			c.Do("CONFIG", "SET", "maxmemory-policy", "noeviction")
		}
	})
}

func TestShapeConfigGetAll(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		rr, gr := shapePair(t, r, g, "CONFIG", "GET", "*")
		names := func(rep *testserver.Reply) []string {
			var out []string
			for i := 0; i+1 < len(rep.Elems); i += 2 {
				out = append(out, rep.Elems[i].Str)
			}
			sort.Strings(out)
			return out
		}
		rn, gn := names(rr), names(gr)
		if strings.Join(rn, " ") != strings.Join(gn, " ") {
			have := map[string]bool{}
			for _, n := range gn {
				have[n] = true
			}
			want := map[string]bool{}
			var missing, extra []string
			for _, n := range rn {
				want[n] = true
				if !have[n] {
					missing = append(missing, n)
				}
			}
			for _, n := range gn {
				if !want[n] {
					extra = append(extra, n)
				}
			}
			if len(missing) > 0 {
				t.Errorf("CONFIG GET *: Redis parameters missing: %v", missing)
			}
			if len(extra) > 0 {
				t.Logf("CONFIG GET *: target's own parameters: %v", extra)
			}
		}
		shapePair(t, r, g, "HELLO")
	})
}
