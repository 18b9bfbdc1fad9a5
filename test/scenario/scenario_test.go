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

// The scenario files live in testdata: shared/ is a copy of ../shared/spec/scenarios (the
// specification's timelines, kept identical by TestSharedScenariosInSync) and own/ holds the
// project's scenarios for the rules no shared file covers. CONCORD_SCENARIOS=DIR runs the *.scn
// files of DIR instead of both.
var scenarioDirs = []string{filepath.Join("testdata", "shared"), filepath.Join("testdata", "own")}

// specScenarioDir is the specification's scenario directory beside the repository.
func specScenarioDir(t *testing.T) string {
	root, err := testserver.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(root), "shared", "spec", "scenarios")
}

// TestSharedScenariosInSync fails when testdata/shared differs from the specification's
// scenario directory (a file added, removed or changed there), so the copy the tests run never
// silently falls behind. Where the specification is not checked out beside the repository
// (a bare clone), there is nothing to compare with.
func TestSharedScenariosInSync(t *testing.T) {
	spec := specScenarioDir(t)
	if _, err := os.Stat(spec); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s does not exist: nothing to compare testdata/shared with", spec)
	}
	read := func(dir string) map[string][]byte {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[e.Name()] = b
		}
		return files
	}
	want, have := read(spec), read(scenarioDirs[0])
	for name, b := range want {
		if h, ok := have[name]; !ok {
			t.Errorf("%s is missing from testdata/shared (cp %s test/scenario/testdata/shared/)", name, filepath.Join(spec, name))
		} else if string(h) != string(b) {
			t.Errorf("testdata/shared/%s differs from %s (copy it again)", name, filepath.Join(spec, name))
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			t.Errorf("testdata/shared/%s is no longer in %s (remove it)", name, spec)
		}
	}
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
	dirs := scenarioDirs
	if d := os.Getenv("CONCORD_SCENARIOS"); d != "" {
		dirs = []string{d}
	}
	var files []string
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("scenario directory: %v", err)
		}
		found, err := filepath.Glob(filepath.Join(dir, "*.scn"))
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 0 {
			t.Fatalf("no *.scn file in %s", dir)
		}
		slices.Sort(found)
		files = append(files, found...)
	}
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
		name := filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path))
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
