package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// These tests check the runner itself on real processes: that the links really are paused
// between syncs, cut by cut, opened among the listed members only by a partial sync, that a
// restarted member rejoins, and that a wrong expectation fails on its line.

func runInline(t *testing.T, src string, syncTimeout time.Duration) (*Failure, *Cluster) {
	t.Helper()
	s, err := Parse(t.Name()+".scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := StartCluster(s.Members, ClusterOptions{
		Binary: testserver.ConcordBinary(t), BaseDir: t.TempDir(), Secret: "runner-test",
		SyncTimeout: syncTimeout, CommandTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("member logs:\n%s", c.Output(20))
		}
	})
	return Run(s, c), c
}

func TestRunnerPausesLinksBetweenSyncs(t *testing.T) {
	f, _ := runInline(t, `members A B
A: SET k 1                => OK
sleep 300
B: GET k                  => nil
B: INCR n                 => 1
sync
B: GET k                  => "1"
A: GET n                  => "1"
A: SET k 2                => OK
sleep 300
B: GET k                  => "1"
`, 30*time.Second)
	if f != nil {
		t.Fatal(f)
	}
}

func TestRunnerReportsFirstFailingLine(t *testing.T) {
	f, _ := runInline(t, `members A B
A: SET k 1                => OK
sync
B: GET k                  => "2"
B: GET k                  => "3"
`, 30*time.Second)
	if f == nil {
		t.Fatal("a wrong expectation passed")
	}
	if f.Step.Line != 4 || !strings.Contains(f.Msg, `on B: expected "2", got "1"`) {
		t.Fatalf("failure %v, want line 4 with expected \"2\" and actual \"1\"", f)
	}
	f, _ = runInline(t, "members A B\n*: GET k => same\n*: INCR k => same\n*: SET k v => same\nA: LPUSH k x\n", 30*time.Second)
	if f == nil || f.Step.Line != 5 || !strings.Contains(f.Msg, "unexpected error reply !WRONGTYPE") {
		t.Fatalf("failure %v, want line 5 with an unexpected WRONGTYPE", f)
	}
}

func TestRunnerCutNeedsHeal(t *testing.T) {
	// Two members with their only link cut cannot converge: the sync must time out.
	f, _ := runInline(t, `members A B
cut A B
A: SET k 1                => OK
sync
`, 2*time.Second)
	if f == nil || f.Step.Line != 4 || !strings.Contains(f.Msg, "not converged") {
		t.Fatalf("failure %v, want a sync that does not converge on line 4", f)
	}
	f, _ = runInline(t, `members A B
cut A B
A: SET k 1                => OK
heal
sync
B: GET k                  => "1"
`, 30*time.Second)
	if f != nil {
		t.Fatal(f)
	}
}

func TestRunnerPartialSync(t *testing.T) {
	f, _ := runInline(t, `members A B C
A: SET k 1                => OK
sync A B
B: GET k                  => "1"
sleep 300
C: GET k                  => nil
sync
C: GET k                  => "1"
`, 30*time.Second)
	if f != nil {
		t.Fatal(f)
	}
}

func TestRunnerRestart(t *testing.T) {
	f, _ := runInline(t, `members A B
A: SET k 1                => OK
sync
restart B
B: PING                   => PONG
sync
B: GET k                  => "1"
A: SET k 2                => OK
sync
B: GET k                  => "2"
`, 30*time.Second)
	if f != nil {
		t.Fatal(f)
	}
}
