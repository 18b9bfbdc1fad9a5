package metrics

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/command"
	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
	"github.com/concord-db/concord/internal/engine"
)

// fakeRepl is a replication layer reporting fixed INFO crdt fields.
type fakeRepl struct{ info command.ReplInfo }

func (f *fakeRepl) Info() command.ReplInfo        { return f.info }
func (f *fakeRepl) Forget(clock.MemberID) error   { return nil }
func (f *fakeRepl) DataBytes() (raw, wire uint64) { return 1000, 250 }

func TestCollectorServesMetrics(t *testing.T) {
	e := engine.New(engine.Config{Member: 1, Databases: 2, Clock: &clock.Manual{Millis: 1000}})
	env := command.NewEnv(e, config.Default(), nil)
	cl := command.NewClient(0)
	e.Lock()
	if err := env.Connect(cl); err != nil {
		t.Fatal(err)
	}
	e.Unlock()
	env.Execute(cl, [][]byte{[]byte("SET"), []byte("k"), []byte("v")})
	env.Execute(cl, [][]byte{[]byte("SET"), []byte("k2"), []byte("v")})
	// A peer's SET of k made concurrently: one string/lww conflict.
	e.Lock()
	if err := e.Apply(&effect.Effect{Origin: 2, Seq: 1, HLC: clock.NewHLC(2000, 0),
		Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte("w")}}}); err != nil {
		t.Fatal(err)
	}
	e.Unlock()
	repl := &fakeRepl{info: command.ReplInfo{SyncPartialOK: 3, GCPending: 4, Peers: []command.PeerInfo{
		{ID: 2, Name: "eu", State: "connected", LagMS: 12, MaxOpsLag: 5, MinOpsLag: 5, BytesIn: 10, BytesOut: 20, DataRaw: 300, DataWire: 100}}}}
	srv, err := Listen([]string{"127.0.0.1:0", "-256.0.0.1:0"}, NewCollector(env, repl), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`concord_commands_total{command="set"} 2`,
		`concord_command_duration_seconds_count{command="set"} 2`,
		`concord_command_duration_seconds_bucket{command="set",le="1"} 2`,
		`concord_command_duration_seconds_bucket{command="set",le="+Inf"} 2`,
		`concord_connected_clients 1`,
		`concord_keys{db="0"} 2`,
		`concord_keys{db="1"} 0`,
		`concord_effects_total{origin="local"} 2`,
		`concord_effects_total{origin="remote"} 1`,
		`concord_conflicts_total{rule="lww",type="string"} 1`,
		`concord_conflicts_total{rule="add-wins",type="set"} 0`,
		`concord_peer_up{name="eu",peer="2"} 1`,
		`concord_peer_state{name="eu",peer="2",state="down"} 0`,
		`concord_peer_lag_milliseconds{name="eu",peer="2"} 12`,
		`concord_peer_bytes_total{direction="out",name="eu",peer="2"} 20`,
		`concord_ops_lag{bound="max"} 5`,
		`concord_peer_data_bytes_total{name="eu",peer="2",stage="uncompressed"} 300`,
		`concord_replication_data_bytes_total{stage="wire"} 250`,
		`concord_resyncs_total{kind="partial_ok"} 3`,
		`concord_tombstones_pending 4`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

// The latency histogram follows latency-tracking: calls made while it is off are counted in
// commands_total but not in the histogram, as INFO latencystats.
func TestCommandLatencyFollowsTracking(t *testing.T) {
	e := engine.New(engine.Config{Member: 1, Databases: 1, Clock: &clock.Manual{Millis: 1000}})
	cfg := config.Default()
	env := command.NewEnv(e, cfg, nil)
	cl := command.NewClient(0)
	e.Lock()
	if err := env.Connect(cl); err != nil {
		t.Fatal(err)
	}
	e.Unlock()
	echo := [][]byte{[]byte("ECHO"), []byte("x")}
	env.Execute(cl, echo)
	if err := cfg.Set("latency-tracking", "no"); err != nil {
		t.Fatal(err)
	}
	env.Execute(cl, echo)
	env.Execute(cl, echo)
	text := scrape(t, NewCollector(env, nil))
	for _, want := range []string{
		`concord_commands_total{command="echo"} 3`,
		`concord_command_duration_seconds_count{command="echo"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

func scrape(t *testing.T, c *Collector) string {
	t.Helper()
	srv, err := Listen([]string{"127.0.0.1:0"}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}
