package compat

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

// INFO commandstats, INFO latencystats and LATENCY HISTOGRAM after the same commands: the same
// lines in the same format, the same commands with the same call counts (durations differ).
func TestShapeLatencyStats(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forShapeProtocols(t, p, func(t *testing.T, r, g *testserver.Conn) {
		for _, c := range []*testserver.Conn{r, g} {
			c.Do("CONFIG", "RESETSTAT")
			c.Do("SET", "a", "1")
			c.Do("SET", "a", "2")
			c.Do("GET", "a")
			c.Do("HSET", "h", "f", "v")
			c.Do("INCR", "h")           // fails: WRONGTYPE
			c.Do("GET")                 // rejected: arity
			c.Do("CONFIG", "GET", "hz") // a subcommand
		}
		cmdstat := regexp.MustCompile(`^cmdstat_([a-z|]+):calls=(\d+),usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=(\d+),failed_calls=(\d+)$`)
		stats := func(c *testserver.Conn) []string {
			_, _, values := infoSections(c.DoReply("INFO", "commandstats").Str)
			var out []string
			for k, v := range values {
				m := cmdstat.FindStringSubmatch(k + ":" + v)
				if m == nil {
					t.Errorf("%s: bad commandstats line %s:%s", c.Server().Name(), k, v)
					continue
				}
				out = append(out, strings.Join(m[1:], " "))
			}
			slices.Sort(out)
			return out
		}
		if rs, gs := stats(r), stats(g); !slices.Equal(rs, gs) {
			t.Errorf("INFO commandstats (name calls rejected failed)\n  redis:  %v\n  target: %v", rs, gs)
		}

		num := `\d+\.\d{3}`
		latline := regexp.MustCompile(`^latency_percentiles_usec_([a-z|]+):p50=` + num + `,p99=` + num + `,p99\.9=` + num + `$`)
		latencies := func(c *testserver.Conn) []string {
			text := c.DoReply("INFO", "latencystats").Str
			order, _, values := infoSections(text)
			if !slices.Equal(order, []string{"Latencystats"}) {
				t.Errorf("%s: INFO latencystats sections %v", c.Server().Name(), order)
			}
			var out []string
			for k, v := range values {
				m := latline.FindStringSubmatch(k + ":" + v)
				if m == nil {
					t.Errorf("%s: bad latencystats line %s:%s", c.Server().Name(), k, v)
					continue
				}
				out = append(out, m[1])
			}
			slices.Sort(out)
			return out
		}
		if rl, gl := latencies(r), latencies(g); !slices.Equal(rl, gl) {
			t.Errorf("INFO latencystats commands\n  redis:  %v\n  target: %v", rl, gl)
		}

		// LATENCY HISTOGRAM: the same structure, commands and calls; buckets increase and end
		// at the calls.
		rr, gr := shapePair(t, r, g, "LATENCY", "HISTOGRAM", "set", "get", "config", "nosuch")
		if rc, gc := histogramCalls(t, rr), histogramCalls(t, gr); rc != gc {
			t.Errorf("LATENCY HISTOGRAM calls\n  redis:  %s\n  target: %s", rc, gc)
		}
		shapePair(t, r, g, "LATENCY", "HISTOGRAM", "nosuch")
		shapePair(t, r, g, "LATENCY", "HELP")
		shapePair(t, r, g, "LATENCY", "NOPE")

		// latency-tracking no: the section is empty.
		for _, c := range []*testserver.Conn{r, g} {
			c.Do("CONFIG", "SET", "latency-tracking", "no")
		}
		rr, gr = shapePair(t, r, g, "INFO", "latencystats")
		if rr.Str != gr.Str {
			t.Errorf("INFO latencystats with latency-tracking no\n  redis:  %q\n  target: %q", rr.Str, gr.Str)
		}
		for _, c := range []*testserver.Conn{r, g} {
			c.Do("CONFIG", "SET", "latency-tracking", "yes")
		}
	})
}

// histogramCalls summarises a LATENCY HISTOGRAM reply as sorted "name=calls ...", checking each
// histogram_usec: increasing buckets and counts, the last count equal to calls.
func histogramCalls(t *testing.T, rep *testserver.Reply) string {
	t.Helper()
	var out []string
	for i := 0; i+1 < len(rep.Elems); i += 2 {
		name, h := rep.Elems[i].Str, rep.Elems[i+1]
		if len(h.Elems) != 4 || h.Elems[0].Str != "calls" || h.Elems[2].Str != "histogram_usec" {
			t.Errorf("LATENCY HISTOGRAM %s: %s", name, h)
			continue
		}
		calls, _ := h.Elems[1].Int()
		prevB, prevC := int64(-1), int64(0)
		cdf := h.Elems[3].Elems
		for j := 0; j+1 < len(cdf); j += 2 {
			b, _ := cdf[j].Int()
			c, _ := cdf[j+1].Int()
			if b <= prevB || c <= prevC {
				t.Errorf("LATENCY HISTOGRAM %s: histogram_usec not increasing: %s", name, h)
			}
			prevB, prevC = b, c
		}
		if prevC != calls {
			t.Errorf("LATENCY HISTOGRAM %s: histogram_usec ends at %d, calls %d", name, prevC, calls)
		}
		out = append(out, name+"="+strconv.FormatInt(calls, 10))
	}
	slices.Sort(out) // a container's subcommands come in Redis's dict order
	return strings.Join(out, " ")
}
