package command

import (
	"strconv"
	"strings"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/metrics/latency"
)

// Per-command latency, as Redis 7.0 keeps it: while latency-tracking is on (the default),
// every call is timed; the time goes into INFO commandstats (usec) and into the command's
// histogram (package latency), which INFO latencystats, LATENCY HISTOGRAM and the metrics
// (concord_command_duration_seconds) read. While it is off, commandstats's usec is estimated
// from one call in 16, which saves the clock reads.
//
// The clock is read twice per call, through package latency's Start and Elapsed: the
// processor's invariant time-stamp counter where it is the cheaper read, else the monotonic
// clock (see latency/clock.go); docs/benchmarks.md has the measured cost. Redis measures in
// whole microseconds and records them times 1000; Concord records nanoseconds, so that
// sub-microsecond commands get percentiles rather than all falling on 1 ns.

func init() {
	define(&Command{Name: "latency", Arity: -2, Subcommands: subcommands("latency",
		&Command{Name: "histogram", Arity: -2, Flags: Admin, Run: latencyHistogramCommand},
		&Command{Name: "help", Arity: 2, Run: helpCommand("LATENCY", latencyHelp)},
	)})
}

var latencyHelp = []string{
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
}

// latencyTracking is the latency-tracking parameter, resolved once: the dispatcher reads it on
// every call.
var latencyTracking = config.MustID("latency-tracking")

// durationSample: while latency-tracking is off, the duration of one call in durationSample is
// measured and counted durationSample times in INFO commandstats (the cost of timing every
// call is then saved; call counts stay exact).
const durationSample = 16

// observe accounts a call that took ns nanoseconds: timed because latency-tracking is on
// (track), or as the sample of durationSample calls.
func (cmd *Command) observe(track bool, ns int64) {
	if !track {
		cmd.Nanos += uint64(ns) * durationSample
		return
	}
	cmd.Nanos += uint64(ns)
	h := cmd.latency.Load()
	if h == nil {
		h = cmd.newHistogram()
	}
	h.Record(ns)
}

// newHistogram allocates the command's histogram at its first tracked call (24 KiB each, so
// only for the commands that run). The command table is shared by every member in the
// process: two may race to allocate it, and one wins (the histogram itself is updated under
// the engine lock, as the command's other statistics).
//
//go:noinline
func (cmd *Command) newHistogram() *latency.Histogram {
	cmd.latency.CompareAndSwap(nil, new(latency.Histogram))
	return cmd.latency.Load()
}

// Usec is the time spent in the command's calls, in microseconds (INFO commandstats usec).
func (cmd *Command) Usec() uint64 { return cmd.Nanos / 1000 }

// Latency returns a copy of the command's latency histogram, nil when no call was tracked since
// the statistics were last reset.
func (cmd *Command) Latency() *latency.Snapshot {
	if h := cmd.latency.Load(); h != nil {
		return h.Snapshot()
	}
	return nil
}

// resetLatency drops the histogram, as CONFIG RESETSTAT frees Redis's.
func (cmd *Command) resetLatency() { cmd.latency.Store(nil) }

// infoLatencystats is INFO's Latencystats section (genRedisInfoStringLatencyStats): one line per
// command with a histogram, at the latency-tracking-info-percentiles, empty while
// latency-tracking is off. Commands come in commandstats's order (Redis's is its dict's).
func infoLatencystats(c *Ctx, w *infoWriter) {
	if !c.Env.Config.BoolID(latencyTracking) {
		return
	}
	labels, percentiles := infoPercentiles(c.Env.Config.String("latency-tracking-info-percentiles"))
	line := func(cmd *Command) {
		s := cmd.Latency()
		if s == nil {
			return
		}
		w.b = append(w.b, "latency_percentiles_usec_"...)
		w.b = append(w.b, infoSafe(cmd.Name)...)
		w.b = append(w.b, ':')
		for i, p := range percentiles {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, 'p')
			w.b = append(w.b, labels[i]...)
			w.b = append(w.b, '=')
			w.b = strconv.AppendFloat(w.b, float64(s.ValueAtPercentile(p))/1000, 'f', 3, 64)
		}
		w.b = append(w.b, '\r', '\n')
	}
	for _, cmd := range topCommands() {
		line(cmd)
		for _, sub := range sortedSubcommands(cmd) {
			line(sub)
		}
	}
}

// infoPercentiles parses latency-tracking-info-percentiles and labels each as Redis does: "%f"
// with the trailing zeros (and point) trimmed (trimDoubleString).
func infoPercentiles(s string) (labels []string, ps []float64) {
	for _, f := range strings.Fields(s) {
		p, err := strconv.ParseFloat(f, 64)
		if err != nil {
			continue // the parameter's setter validated it
		}
		l := strconv.FormatFloat(p, 'f', 6, 64)
		if strings.Contains(l, ".") {
			l = strings.TrimRight(strings.TrimRight(l, "0"), ".")
		}
		labels, ps = append(labels, l), append(ps, p)
	}
	return labels, ps
}

// infoSafe is getSafeInfoString: the characters that would break INFO's format become '_'.
func infoSafe(s string) string {
	if !strings.ContainsAny(s, "#:\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("#:\r\n", r) {
			return '_'
		}
		return r
	}, s)
}

// latencyHistogramCommand is LATENCY HISTOGRAM [command ...]: for each command with a histogram,
// its calls and the cumulative distribution of its latencies on power-of-two microsecond
// buckets (latencyAllCommandsFillCDF / latencySpecificCommandsFillCDF). A named container
// brings its subcommands; unknown names are skipped.
func latencyHistogramCommand(c *Ctx) error {
	var cmds []*Command
	add := func(cmd *Command) {
		if cmd.latency.Load() != nil {
			cmds = append(cmds, cmd)
		}
	}
	if len(c.Args) == 2 {
		for _, cmd := range topCommands() {
			add(cmd)
			for _, sub := range sortedSubcommands(cmd) {
				add(sub)
			}
		}
	} else {
		for _, a := range c.Args[2:] {
			cmd := findCommand(string(a))
			if cmd == nil {
				continue
			}
			add(cmd)
			for _, sub := range sortedSubcommands(cmd) {
				add(sub)
			}
		}
	}
	c.W.MapLen(len(cmds))
	for _, cmd := range cmds {
		s := cmd.Latency()
		c.W.BulkString(cmd.Name)
		c.W.MapLen(2)
		c.W.BulkString("calls")
		c.W.Int(int64(s.Count()))
		c.W.BulkString("histogram_usec")
		// fillCommandCDF: log-scale steps from 1024 ns doubling, each with the cumulative
		// count, only those where the count grew.
		var steps []latency.Step
		prev := uint64(0)
		for _, st := range s.LogSteps(1024, 2) {
			if st.Cumulative > prev {
				steps = append(steps, st)
			}
			prev = st.Cumulative
		}
		c.W.MapLen(len(steps))
		for _, st := range steps {
			c.W.Int(st.Value / 1000)
			c.W.Int(int64(st.Cumulative))
		}
	}
	return nil
}
