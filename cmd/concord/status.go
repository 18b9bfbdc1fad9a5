package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
)

const statusUsage = `Usage: concord status --addr HOST:PORT [--password P] [--interval 1s] [--once]

Shows one member's peers (link state, lag, bytes, compression ratio), its throughput (commands
and applied peer effects per second, from INFO deltas) and the latest conflicts it resolved
(CRDT.CONFLICTS COUNT 10), refreshed every interval until Ctrl-C. --once prints one frame
(measured over one interval) and exits.
`

// statusSample is what one refresh reads from the member.
type statusSample struct {
	at        time.Time
	info      map[string]string // INFO all, field → value
	conflicts []map[string]string
}

func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("concord status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, statusUsage) }
	addr := fs.String("addr", "127.0.0.1:6379", "client address of the member")
	password := fs.String("password", "", "the member's requirepass")
	interval := fs.Duration("interval", time.Second, "refresh interval")
	once := fs.Bool("once", false, "print one frame and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *interval <= 0 {
		fmt.Fprint(stderr, statusUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rdb := redis.NewClient(&redis.Options{Addr: *addr, Password: *password, Protocol: 2, MaxRetries: -1})
	defer rdb.Close()

	prev, err := readStatus(ctx, rdb)
	if err != nil {
		fmt.Fprintf(stderr, "concord status: %s: %v\n", *addr, err)
		return 1
	}
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(*interval):
		}
		cur, err := readStatus(ctx, rdb)
		if err != nil {
			if ctx.Err() != nil {
				return 0
			}
			fmt.Fprintf(stderr, "concord status: %s: %v\n", *addr, err)
			return 1
		}
		var b strings.Builder
		if !*once {
			b.WriteString("\x1b[H\x1b[2J") // home and clear: plain ANSI
		}
		renderStatus(&b, *addr, prev, cur)
		io.WriteString(stdout, b.String())
		if *once {
			return 0
		}
		prev = cur
	}
}

func readStatus(ctx context.Context, rdb *redis.Client) (*statusSample, error) {
	text, err := rdb.Info(ctx, "all").Result()
	if err != nil {
		return nil, err
	}
	s := &statusSample{at: time.Now(), info: map[string]string{}}
	for _, line := range strings.Split(text, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			s.info[k] = v
		}
	}
	res, err := rdb.Do(ctx, "CRDT.CONFLICTS", "COUNT", 10).Slice()
	if err != nil {
		return nil, fmt.Errorf("CRDT.CONFLICTS: %w", err)
	}
	for _, e := range res {
		kv, _ := e.([]any)
		c := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			c[fmt.Sprint(kv[i])] = fmt.Sprint(kv[i+1])
		}
		s.conflicts = append(s.conflicts, c)
	}
	return s, nil
}

// rate is the per-second change of an INFO counter between two samples.
func rate(prev, cur *statusSample, field string) float64 {
	a, _ := strconv.ParseFloat(prev.info[field], 64)
	b, _ := strconv.ParseFloat(cur.info[field], 64)
	d := cur.at.Sub(prev.at).Seconds()
	if d <= 0 || b < a {
		return 0
	}
	return (b - a) / d
}

// peerFields splits a crdt_peer<i> line (k=v,k=v,...).
func peerFields(line string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(line, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

// renderStatus writes one frame comparing two samples.
func renderStatus(w io.Writer, addr string, prev, cur *statusSample) {
	in := cur.info
	fmt.Fprintf(w, "Concord %s  member %s (%s) at %s  %s\n", in["concord_version"], in["crdt_replid"],
		in["crdt_member_name"], addr, cur.at.UTC().Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(w, "clients %s  keys %s  memory %s  clock %s  conflicts %s\n",
		in["connected_clients"], keysTotal(in), in["used_memory_human"], in["crdt_clock"], in["crdt_conflicts"])
	fmt.Fprintf(w, "throughput: %.0f commands/s, %.0f local effects/s, %.0f peer effects applied/s\n",
		rate(prev, cur, "total_commands_processed"), rate(prev, cur, "crdt_clock"), rate(prev, cur, "crdt_effect_reqs"))
	fmt.Fprintf(w, "vector clock %s\n\n", in["crdt_ovc"])

	var peers []string
	for k := range in {
		if strings.HasPrefix(k, "crdt_peer") {
			peers = append(peers, k)
		}
	}
	sort.Strings(peers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tNAME\tSTATE\tLAG_MS\tIN/s\tOUT/s\tCOMPRESSION\tADDR")
	if len(peers) == 0 {
		fmt.Fprintln(tw, "(none: standalone member)")
	}
	for _, k := range peers {
		p, q := peerFields(in[k]), peerFields(prev.info[k])
		d := cur.at.Sub(prev.at).Seconds()
		perSec := func(f string) string {
			a, _ := strconv.ParseFloat(q[f], 64)
			b, _ := strconv.ParseFloat(p[f], 64)
			if d <= 0 || b < a {
				return "0"
			}
			return humanBytes((b - a) / d)
		}
		state := p["state"]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p["id"], p["name"], colorState(state), p["lag_ms"],
			perSec("bytes_in"), perSec("bytes_out"), p["compression_ratio"], p["addr"])
	}
	if len(peers) > 0 {
		p := peerFields(in[peers[0]])
		fmt.Fprintf(tw, "ops lag: max %s, min %s\n", p["max_ops_lag"], p["min_ops_lag"])
	}
	tw.Flush()

	fmt.Fprintf(w, "\nRECENT CONFLICTS (newest first)\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tDB\tKEY\tTYPE\tRULE\tWINNER\tLOSER\tLOST VALUE")
	if len(cur.conflicts) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	for _, c := range cur.conflicts {
		ms, _ := strconv.ParseInt(c["time"], 10, 64)
		key := c["key"]
		if c["element"] != "" {
			key += " " + c["element"]
		}
		lost := c["loser-value"]
		if lost == "<nil>" {
			lost = ""
		}
		if len(lost) > 32 {
			lost = lost[:29] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%q\n", time.UnixMilli(ms).UTC().Format("15:04:05.000"),
			c["db"], key, c["type"], c["rule"], "member "+c["winner-member"], "member "+c["loser-member"], lost)
	}
	tw.Flush()
}

func keysTotal(in map[string]string) string {
	n := 0
	for k, v := range in {
		if strings.HasPrefix(k, "db") {
			if f := peerFields(v); f["keys"] != "" {
				k, _ := strconv.Atoi(f["keys"])
				n += k
			}
		}
	}
	return strconv.Itoa(n)
}

func colorState(s string) string {
	switch s {
	case "connected":
		return "\x1b[32m" + s + "\x1b[0m"
	case "down":
		return "\x1b[31m" + s + "\x1b[0m"
	}
	return "\x1b[33m" + s + "\x1b[0m"
}

func humanBytes(n float64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", n/(1<<10))
	}
	return fmt.Sprintf("%.0f", n)
}
