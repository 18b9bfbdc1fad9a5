// Package metrics exports a member's statistics in the Prometheus text format on the
// metrics-port (0: off). Nothing is added to the command path: a custom collector reads, at
// scrape time and under one brief acquisition of the engine lock, the counters the member
// already keeps for INFO (command statistics and latency histograms, engine statistics, the
// replication layer's INFO crdt fields, the conflict counters of CRDT.CONFLICTS) and turns them
// into constant metrics. The per-command latency histograms are the ones INFO latencystats
// reads (package latency, recorded by the dispatcher); concord_command_duration_seconds is
// built from them at scrape time, so a call costs no client-library work at all. Go runtime and
// process metrics come from the client library's own collectors.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/metrics/latency"
)

// Collector is a prometheus.Collector reading one member.
type Collector struct {
	env  *command.Env
	repl command.Replication // nil for a standalone member
}

// NewCollector returns the collector of the member served by env (repl nil when it has no
// peers).
func NewCollector(env *command.Env, repl command.Replication) *Collector {
	return &Collector{env: env, repl: repl}
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("concord_"+name, help, labels, nil)
}

var (
	dCommands        = desc("commands_total", "Commands executed, by command.", "command")
	dCommandsFailed  = desc("commands_failed_total", "Commands that replied with an error, by command.", "command")
	dCommandsRefused = desc("commands_rejected_total", "Commands refused before running (arity, auth, ...), by command.", "command")
	dCommandSeconds  = desc("command_duration_seconds_total", "Time spent executing commands, by command (INFO commandstats usec).", "command")
	dCommandLatency  = desc("command_duration_seconds", "Latency of commands, by command, while latency-tracking is on (INFO latencystats); bucket bounds are exact to within 1%.", "command")
	dClients         = desc("connected_clients", "Connected clients.")
	dMemory          = desc("memory_used_bytes", "Live heap (INFO used_memory).")
	dKeys            = desc("keys", "Live keys, by database.", "db")
	dExpires         = desc("keys_with_expiry", "Keys with a TTL, by database.", "db")
	dEffects         = desc("effects_total", "Effect batches: made here (local), received and applied (remote), received and dropped as already applied (filtered).", "origin")
	dConflicts       = desc("conflicts_total", "Conflicts between concurrent writes resolved here, by data type and rule.", "type", "rule")
	dPeerUp          = desc("peer_up", "1 when the link pulling from the peer is connected.", "peer", "name")
	dPeerState       = desc("peer_state", "The state of the link pulling from the peer (1 for the current state).", "peer", "name", "state")
	dPeerLagMS       = desc("peer_lag_milliseconds", "Age of the oldest local batch the peer has not acknowledged.", "peer", "name")
	dPeerBytes       = desc("peer_bytes_total", "Bytes on the wire with the peer (both connections), by direction.", "peer", "name", "direction")
	dPeerData        = desc("peer_data_bytes_total", "Payload bytes of data frames sent to the peer, before (uncompressed) and after (wire) compression.", "peer", "name", "stage")
	dOpsLag          = desc("ops_lag", "Local batches not acknowledged by the least (max) and most (min) up-to-date peer.", "bound")
	dDataBytes       = desc("replication_data_bytes_total", "Payload bytes of data frames sent to peers, before (uncompressed) and after (wire) compression.", "stage")
	dSync            = desc("resyncs_total", "Resyncs served to peers: partial_ok, partial_err (backlog miss), full (state transfer).", "kind")
	dMerged          = desc("merged_keys_total", "Keys merged from full resyncs received.")
	dTombPending     = desc("tombstones_pending", "Tombstones waiting for collection.")
	dTombCollected   = desc("tombstones_collected_total", "Tombstones collected.")
	dTombAttempted   = desc("tombstones_examined_total", "Tombstones examined by collections.")
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dCommands, dCommandsFailed, dCommandsRefused, dCommandSeconds, dCommandLatency,
		dClients, dMemory, dKeys, dExpires, dEffects, dConflicts, dPeerUp, dPeerState, dPeerLagMS,
		dPeerBytes, dPeerData, dOpsLag, dDataBytes, dSync, dMerged, dTombPending, dTombCollected, dTombAttempted} {
		ch <- d
	}
}

// wireCounters is implemented by the replication layer: data payload bytes before and after
// compression.
type wireCounters interface{ DataBytes() (raw, wire uint64) }

// Collect implements prometheus.Collector. The engine lock is held only while copying
// counters; the metrics are built after it is released.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	type cmdStat struct {
		name                          string
		calls, failed, rejected, usec uint64
		latency                       *latency.Snapshot
	}
	var (
		cmds    []cmdStat
		clients int
		keys    []int
		expires []int
		stats   engine.Stats
		counts  [engine.NumTypes][crdt.NumRules]uint64
		ri      command.ReplInfo
		hasRepl = c.repl != nil
	)
	e := c.env.Engine
	e.Lock()
	for _, cmd := range command.Commands() { // the statistics change under the engine lock
		if cmd.Calls+cmd.FailedCalls+cmd.RejectedCalls > 0 {
			cmds = append(cmds, cmdStat{cmd.Name, cmd.Calls, cmd.FailedCalls, cmd.RejectedCalls, cmd.Usec(), cmd.Latency()})
		}
	}
	clients = c.env.ClientCount()
	st := e.Store()
	for i := range st.Len() {
		keys = append(keys, st.DB(i).Size())
		expires = append(expires, st.DB(i).Expires())
	}
	stats = e.Stats
	counts, _ = e.ConflictCounts()
	if hasRepl {
		ri = c.repl.Info()
	}
	e.Unlock()

	for _, s := range cmds {
		ch <- prometheus.MustNewConstMetric(dCommands, prometheus.CounterValue, float64(s.calls), s.name)
		ch <- prometheus.MustNewConstMetric(dCommandsFailed, prometheus.CounterValue, float64(s.failed), s.name)
		ch <- prometheus.MustNewConstMetric(dCommandsRefused, prometheus.CounterValue, float64(s.rejected), s.name)
		ch <- prometheus.MustNewConstMetric(dCommandSeconds, prometheus.CounterValue, float64(s.usec)/1e6, s.name)
		if s.latency != nil {
			ch <- latencyHistogram(s.name, s.latency)
		}
	}
	ch <- prometheus.MustNewConstMetric(dClients, prometheus.GaugeValue, float64(clients))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ch <- prometheus.MustNewConstMetric(dMemory, prometheus.GaugeValue, float64(ms.HeapAlloc))
	for i := range keys {
		db := strconv.Itoa(i)
		ch <- prometheus.MustNewConstMetric(dKeys, prometheus.GaugeValue, float64(keys[i]), db)
		ch <- prometheus.MustNewConstMetric(dExpires, prometheus.GaugeValue, float64(expires[i]), db)
	}
	ch <- prometheus.MustNewConstMetric(dEffects, prometheus.CounterValue, float64(stats.LocalEffects), "local")
	ch <- prometheus.MustNewConstMetric(dEffects, prometheus.CounterValue, float64(stats.RemoteEffects), "remote")
	ch <- prometheus.MustNewConstMetric(dEffects, prometheus.CounterValue, float64(stats.FilteredEffects), "filtered")
	for t := crdt.TypeString; int(t) < engine.NumTypes; t++ {
		if t == crdt.TypeStream {
			continue // no conflict-free streams
		}
		for r := crdt.RuleLWW; r < crdt.NumRules; r++ {
			ch <- prometheus.MustNewConstMetric(dConflicts, prometheus.CounterValue, float64(counts[t][r]),
				engine.TypeName(t), r.String())
		}
	}
	if !hasRepl {
		return
	}
	for _, p := range ri.Peers {
		id := strconv.Itoa(int(p.ID))
		up := 0.0
		if p.State == "connected" {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(dPeerUp, prometheus.GaugeValue, up, id, p.Name)
		for _, s := range []string{"connected", "connecting", "down"} {
			v := 0.0
			if p.State == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(dPeerState, prometheus.GaugeValue, v, id, p.Name, s)
		}
		ch <- prometheus.MustNewConstMetric(dPeerLagMS, prometheus.GaugeValue, float64(p.LagMS), id, p.Name)
		ch <- prometheus.MustNewConstMetric(dPeerBytes, prometheus.CounterValue, float64(p.BytesIn), id, p.Name, "in")
		ch <- prometheus.MustNewConstMetric(dPeerBytes, prometheus.CounterValue, float64(p.BytesOut), id, p.Name, "out")
		ch <- prometheus.MustNewConstMetric(dPeerData, prometheus.CounterValue, float64(p.DataRaw), id, p.Name, "uncompressed")
		ch <- prometheus.MustNewConstMetric(dPeerData, prometheus.CounterValue, float64(p.DataWire), id, p.Name, "wire")
	}
	if len(ri.Peers) > 0 {
		ch <- prometheus.MustNewConstMetric(dOpsLag, prometheus.GaugeValue, float64(ri.Peers[0].MaxOpsLag), "max")
		ch <- prometheus.MustNewConstMetric(dOpsLag, prometheus.GaugeValue, float64(ri.Peers[0].MinOpsLag), "min")
	}
	if w, ok := c.repl.(wireCounters); ok {
		raw, wire := w.DataBytes()
		ch <- prometheus.MustNewConstMetric(dDataBytes, prometheus.CounterValue, float64(raw), "uncompressed")
		ch <- prometheus.MustNewConstMetric(dDataBytes, prometheus.CounterValue, float64(wire), "wire")
	}
	ch <- prometheus.MustNewConstMetric(dSync, prometheus.CounterValue, float64(ri.SyncPartialOK), "partial_ok")
	ch <- prometheus.MustNewConstMetric(dSync, prometheus.CounterValue, float64(ri.SyncPartialErr), "partial_err")
	ch <- prometheus.MustNewConstMetric(dSync, prometheus.CounterValue, float64(ri.SyncFull), "full")
	ch <- prometheus.MustNewConstMetric(dMerged, prometheus.CounterValue, float64(ri.MergeReqs))
	ch <- prometheus.MustNewConstMetric(dTombPending, prometheus.GaugeValue, float64(ri.GCPending))
	ch <- prometheus.MustNewConstMetric(dTombCollected, prometheus.CounterValue, float64(ri.GCCollected))
	ch <- prometheus.MustNewConstMetric(dTombAttempted, prometheus.CounterValue, float64(ri.GCAttempted))
}

// LatencyBuckets are the upper bounds (seconds) of concord_command_duration_seconds: from 1 µs,
// where the fastest commands are, to 1 s, the longest duration the histograms track.
var LatencyBuckets = []float64{
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
	1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1,
}

// latencyHistogram is one command's latency histogram as a Prometheus histogram. The counts
// come from the HDR histogram's sub-buckets: a bucket's count includes the values of the
// sub-bucket its bound falls in, so a bound is exact to within the sub-bucket's width (under 1%).
func latencyHistogram(name string, s *latency.Snapshot) prometheus.Metric {
	buckets := make(map[float64]uint64, len(LatencyBuckets))
	for _, b := range LatencyBuckets {
		buckets[b] = s.CountUpTo(int64(b * 1e9))
	}
	return prometheus.MustNewConstHistogram(dCommandLatency, s.Count(), float64(s.Sum())/1e9, buckets, name)
}

// Handler returns the HTTP handler serving c (and the Go runtime and process collectors) on
// /metrics.
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: nil}))
	return mux
}

// Server serves /metrics until Close.
type Server struct {
	srv *http.Server
	lns []net.Listener
}

// Listen binds every address (host:port; a host prefixed with "-" may fail to bind, as in
// Redis's bind) and serves c on them in the background.
func Listen(addrs []string, c *Collector, log *slog.Logger) (*Server, error) {
	s := &Server{srv: &http.Server{Handler: Handler(c), ReadHeaderTimeout: 5 * time.Second}}
	for _, a := range addrs {
		optional := strings.HasPrefix(a, "-")
		ln, err := net.Listen("tcp", strings.TrimPrefix(a, "-"))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range s.lns {
				l.Close()
			}
			return nil, fmt.Errorf("metrics: %w", err)
		}
		s.lns = append(s.lns, ln)
	}
	if len(s.lns) == 0 {
		return nil, errors.New("metrics: no address to listen on")
	}
	for _, ln := range s.lns {
		go func() {
			if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
				log.Error("metrics server stopped", "err", err)
			}
		}()
	}
	return s, nil
}

// Addr is the first address the server listens on.
func (s *Server) Addr() net.Addr { return s.lns[0].Addr() }

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
