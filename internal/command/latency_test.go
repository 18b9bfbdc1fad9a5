package command

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/metrics/latency"
)

// INFO latencystats, LATENCY HISTOGRAM and the latency-tracking parameters, in Redis 7.0's
// formats (the durations are real, so values are checked by pattern and by consistency).
func TestLatencyTracking(t *testing.T) {
	s := newSCEnv(t)
	cl := s.client("")
	s.run(cl, []scStep{sc(scOK, "CONFIG", "RESETSTAT")})
	for range 3 {
		s.do(cl, "SET", "k", "v")
	}
	s.do(cl, "GET", "k")
	s.do(cl, "CONFIG", "GET", "hz")

	text := scInfoText(t, s.do(cl, "INFO", "latencystats"))
	num := `\d+\.\d{3}`
	for _, cmd := range []string{"set", "get", "config|get", "config|resetstat"} {
		re := regexp.MustCompile(`(?m)^latency_percentiles_usec_` + regexp.QuoteMeta(cmd) +
			`:p50=` + num + `,p99=` + num + `,p99\.9=` + num + `\r$`)
		if !re.MatchString(text) {
			t.Errorf("INFO latencystats lacks %s:\n%s", cmd, text)
		}
	}
	if !strings.HasPrefix(text, "# Latencystats\r\n") || strings.Contains(text, "usec_info") {
		t.Errorf("INFO latencystats:\n%s", text) // INFO is recorded after it replies
	}

	// The percentiles shown follow latency-tracking-info-percentiles, labelled as Redis does.
	s.run(cl, []scStep{sc(scOK, "CONFIG", "SET", "latency-tracking-info-percentiles", "0 99.99 100 12.5")})
	text = scInfoText(t, s.do(cl, "INFO", "latencystats"))
	re := regexp.MustCompile(`(?m)^latency_percentiles_usec_set:p0=(` + num + `),p99\.99=` + num +
		`,p100=(` + num + `),p12\.5=` + num + `\r$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("INFO latencystats with other percentiles:\n%s", text)
	}
	if p0, _ := strconv.ParseFloat(m[1], 64); func() bool { p100, _ := strconv.ParseFloat(m[2], 64); return p0 > p100 }() {
		t.Errorf("p0 %s above p100 %s", m[1], m[2])
	}
	s.run(cl, []scStep{sc(scOK, "CONFIG", "SET", "latency-tracking-info-percentiles", "")})
	text = scInfoText(t, s.do(cl, "INFO", "latencystats"))
	if !regexp.MustCompile(`(?m)^latency_percentiles_usec_set:\r$`).MatchString(text) {
		t.Errorf("INFO latencystats without percentiles:\n%s", text)
	}

	// LATENCY HISTOGRAM: calls and the cumulative distribution on power-of-two microseconds.
	reply := s.do(cl, "LATENCY", "HISTOGRAM", "set", "nosuchcommand")
	hist := regexp.MustCompile(`^\*2\r\n\$3\r\nset\r\n\*4\r\n\$5\r\ncalls\r\n:3\r\n\$14\r\nhistogram_usec\r\n\*(\d+)\r\n((?::\d+\r\n)*)$`)
	m = hist.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("LATENCY HISTOGRAM set: %q", reply)
	}
	checkCDF(t, m[2], 3)
	// A container brings its subcommands; the reply is a RESP3 map.
	s.do(cl, "HELLO", "3")
	reply = s.do(cl, "LATENCY", "HISTOGRAM", "CONFIG")
	if !strings.HasPrefix(reply, "%3\r\n$10\r\nconfig|get\r\n%2\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n%") ||
		!strings.Contains(reply, "$16\r\nconfig|resetstat\r\n") || !strings.Contains(reply, "$10\r\nconfig|set\r\n") {
		t.Errorf("LATENCY HISTOGRAM CONFIG: %q", reply)
	}
	s.do(cl, "HELLO", "2")

	// latency-tracking no: INFO latencystats is empty and histograms stop, as in Redis; they
	// are kept and still shown by LATENCY HISTOGRAM. Commandstats still count.
	s.run(cl, []scStep{sc(scOK, "CONFIG", "SET", "latency-tracking", "no")})
	s.do(cl, "SET", "k", "v")
	if text := scInfoText(t, s.do(cl, "INFO", "latencystats")); text != "# Latencystats\r\n" {
		t.Errorf("INFO latencystats with latency-tracking no: %q", text)
	}
	if reply := s.do(cl, "LATENCY", "HISTOGRAM", "set"); !hist.MatchString(reply) {
		t.Errorf("LATENCY HISTOGRAM set after latency-tracking no: %q", reply)
	}
	text = scInfoText(t, s.do(cl, "INFO", "commandstats"))
	cs := regexp.MustCompile(`(?m)^cmdstat_set:calls=4,usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=0,failed_calls=0\r$`).FindStringSubmatch(text)
	if cs == nil {
		t.Fatalf("INFO commandstats:\n%s", text)
	}
	usec, _ := strconv.ParseFloat(cs[1], 64)
	if want := strconv.FormatFloat(usec/4, 'f', 2, 64); cs[2] != want {
		t.Errorf("usec_per_call %s, want %s", cs[2], want)
	}

	// CONFIG RESETSTAT drops the histograms.
	s.run(cl, []scStep{
		sc(scOK, "CONFIG", "SET", "latency-tracking", "yes"),
		sc(scOK, "CONFIG", "RESETSTAT"),
		sc("*0\r\n", "LATENCY", "HISTOGRAM", "set"),
	})
	// only CONFIG RESETSTAT itself, recorded after the reset
	reply = s.do(cl, "LATENCY", "HISTOGRAM", "config|resetstat", "set")
	if !regexp.MustCompile(`^\*2\r\n\$16\r\nconfig\|resetstat\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n\*2\r\n:\d+\r\n:1\r\n$`).MatchString(reply) {
		t.Errorf("LATENCY HISTOGRAM after CONFIG RESETSTAT: %q", reply)
	}
	s.run(cl, []scStep{
		sc("-ERR unknown subcommand 'NOPE'. Try LATENCY HELP.\r\n", "LATENCY", "NOPE"),
		sc(scArity("latency"), "LATENCY"),
	})
}

// checkCDF checks a histogram_usec body: power-of-two microsecond buckets, increasing, with a
// growing cumulative count that ends at calls.
func checkCDF(t *testing.T, body string, calls int) {
	t.Helper()
	var nums []int
	for _, l := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		n, err := strconv.Atoi(strings.TrimPrefix(l, ":"))
		if err != nil {
			t.Fatalf("histogram_usec: %q", body)
		}
		nums = append(nums, n)
	}
	if len(nums)%2 != 0 || len(nums) == 0 {
		t.Fatalf("histogram_usec: %q", body)
	}
	prevB, prevC := -1, 0
	for i := 0; i < len(nums); i += 2 {
		b, c := nums[i], nums[i+1]
		if b <= prevB || c <= prevC {
			t.Fatalf("histogram_usec not increasing: %v", nums)
		}
		prevB, prevC = b, c
	}
	if prevC != calls {
		t.Fatalf("histogram_usec ends at %d, want %d: %v", prevC, calls, nums)
	}
}

// BenchmarkLatencyHook is what the dispatcher adds to every call: two clock reads and the
// accounting, with latency-tracking on and off; "sampled" is what it did before (timing one
// call in 16 with time.Now), for comparison.
func BenchmarkLatencyHook(b *testing.B) {
	cmd := &Command{Name: "bench"}
	for _, tracking := range []string{"yes", "no"} {
		b.Run("tracking-"+tracking, func(b *testing.B) {
			env := &Env{Config: config.Default()}
			if err := env.Config.Set("latency-tracking", tracking); err != nil {
				b.Fatal(err)
			}
			for b.Loop() { // what call does around cmd.Run
				if track := env.Config.BoolID(latencyTracking); track || cmd.Calls%durationSample == 0 {
					start := latency.Start()
					cmd.observe(track, latency.Elapsed(start))
				}
				cmd.Calls++
			}
		})
	}
	b.Run("sampled", func(b *testing.B) {
		var calls, usec uint64
		for b.Loop() {
			if calls%16 == 0 {
				start := time.Now()
				usec += uint64(time.Since(start).Microseconds()) * 16
			}
			calls++
		}
	})
}
