package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// scenarioDir finds the shared scenarios: $CONCORD_SCENARIOS, or spec/scenarios of the shared
// directory beside the repository.
func scenarioDir(t *testing.T) string {
	if d := os.Getenv("CONCORD_SCENARIOS"); d != "" {
		return d
	}
	root, err := testserver.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(root), "shared", "spec", "scenarios")
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		t.Fatalf("bad %s=%q: want a duration such as 80ms", name, v)
	}
	return d
}

// TestScenarios runs every scenario file against real processes, one subtest per file.
func TestScenarios(t *testing.T) {
	dir := scenarioDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.scn"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("scenario directory %s does not exist (set CONCORD_SCENARIOS to run another one)", dir)
	}
	if len(files) == 0 {
		t.Fatalf("no *.scn file in %s", dir)
	}
	slices.Sort(files)
	opts := ClusterOptions{
		Binary:         testserver.ConcordBinary(t),
		Secret:         "scenario-secret",
		Latency:        envDuration(t, "CONCORD_SCENARIO_LATENCY", 0),
		Jitter:         envDuration(t, "CONCORD_SCENARIO_JITTER", 0),
		SyncTimeout:    envDuration(t, "CONCORD_SCENARIO_SYNC_TIMEOUT", 30*time.Second),
		CommandTimeout: 10 * time.Second,
	}
	var report []string
	passed, failed := 0, 0
	for _, path := range files {
		name := filepath.Base(path)
		var result string
		ran := false
		ok := t.Run(name, func(t *testing.T) {
			ran = true
			result = runFile(t, path, opts)
			if result != "ok" {
				t.Error(result)
			}
		})
		if !ran { // left out by -run
			continue
		}
		if result == "" { // the subtest stopped before deciding (e.g. t.Fatal in a helper)
			result = "FAIL"
		}
		if ok {
			passed++
		} else {
			failed++
		}
		report = append(report, fmt.Sprintf("%-28s %s", name, firstLine(result)))
	}
	report = append(report, fmt.Sprintf("%d passed, %d failed", passed, failed))
	t.Log("scenario results:\n" + strings.Join(report, "\n"))
}

// runFile runs one scenario file and returns "ok" or what went wrong first.
func runFile(t *testing.T, path string, opts ClusterOptions) string {
	src, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	s, err := Parse(filepath.Base(path), src)
	if err != nil {
		return "parse error: " + err.Error()
	}
	opts.BaseDir = t.TempDir()
	c, err := StartCluster(s.Members, opts)
	if err != nil {
		return fmt.Sprintf("%s: starting members %v: %v", s.Name, s.Members, err)
	}
	defer c.Close()
	if f := Run(s, c); f != nil {
		t.Logf("member logs (last lines):\n%s", c.Output(30))
		return "FAIL " + f.Error()
	}
	return "ok"
}

func firstLine(s string) string {
	first, rest, _ := strings.Cut(s, "\n")
	if strings.HasPrefix(first, "FAIL ") || strings.Contains(first, ".scn:") {
		// The failing line and the reason: the two lines a reader needs.
		reason, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
		if reason != "" {
			return first + " — " + reason
		}
	}
	return first
}
