package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "INCRBY c 7", want: []string{"INCRBY", "c", "7"}},
		{in: "  SET   k   v  ", want: []string{"SET", "k", "v"}},
		{in: `SET k "hello world"`, want: []string{"SET", "k", "hello world"}},
		{in: `SET k "say \"hi\""`, want: []string{"SET", "k", `say "hi"`}},
		{in: `SET k "back\\slash"`, want: []string{"SET", "k", `back\slash`}},
		{in: `SET k "keep\n"`, want: []string{"SET", "k", `keep\n`}}, // as a shell: only \" and \\ escape
		{in: `SET k ""`, want: []string{"SET", "k", ""}},
		{in: `SET k 'a "b" c'`, want: []string{"SET", "k", `a "b" c`}},
		{in: `SET k a\ b`, want: []string{"SET", "k", "a b"}},
		{in: `SET k pre"mid dle"post`, want: []string{"SET", "k", "premid dlepost"}},
		{in: "", want: nil},
		{in: `SET k "open`, err: true},
		{in: `SET k 'open`, err: true},
		{in: `SET k \`, err: true},
	}
	for _, c := range cases {
		got, err := splitArgs(c.in)
		if (err != nil) != c.err || (!c.err && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}

func TestSplitLine(t *testing.T) {
	cases := []struct {
		in, cmd, reply string
		has, err       bool
	}{
		{in: `A: INCRBY c 7      => 7       # run on A, expect integer 7`, cmd: "A: INCRBY c 7", reply: "7", has: true},
		{in: `members A B C                 # first line`, cmd: "members A B C"},
		{in: `sync`, cmd: "sync"},
		{in: `A: SET k "a => b" => OK`, cmd: `A: SET k "a => b"`, reply: "OK", has: true},
		{in: `A: SET k "x # y" => OK # c`, cmd: `A: SET k "x # y"`, reply: "OK", has: true},
		{in: `A: SET k a#b => OK`, cmd: `A: SET k a#b`, reply: "OK", has: true},
		{in: `A: SET k 'it''s' => OK`, cmd: `A: SET k 'it''s'`, reply: "OK", has: true},
		{in: `A: GET k => "it's # \" => x"`, cmd: "A: GET k", reply: `"it's # \" => x"`, has: true},
		{in: `A: SET k a=>b`, cmd: `A: SET k a=>b`},
		{in: `A: GET k =>`, cmd: "A: GET k", reply: "", has: true},
		{in: `A: GET "k`, err: true},
	}
	for _, c := range cases {
		cmd, reply, has, err := splitLine(c.in)
		if (err != nil) != c.err || (!c.err && (cmd != c.cmd || reply != c.reply || has != c.has)) {
			t.Errorf("splitLine(%q) = %q, %q, %v, %v; want %q, %q, %v (error %v)",
				c.in, cmd, reply, has, err, c.cmd, c.reply, c.has, c.err)
		}
	}
}

// formatExample is the example of FORMAT.md.
const formatExample = `# A line starting with # is a comment. Blank lines are ignored.
members A B C                 # first line: member names; member ids are 1, 2, 3 in this order
A: INCRBY c 7      => 7       # run on A, expect integer 7
B: INCRBY c 3      => 3

sync                          # every member exchanges everything; wait until all are converged
*: GET c           => "10"    # run on every member, each must reply "10"
sync A B                      # only A and B exchange (their links to the others are cut meanwhile),
                              # wait until A and B are converged with each other
sleep 5                       # milliseconds
cut A C
heal
restart B
C: PING
`

func TestParseFormatExample(t *testing.T) {
	s, err := Parse("example.scn", []byte(formatExample))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Members, []string{"A", "B", "C"}) {
		t.Fatalf("members %q", s.Members)
	}
	type brief struct {
		line    int
		kind    StepKind
		on      string
		args    []string
		expect  string
		members []string
		sleep   time.Duration
	}
	want := []brief{
		{line: 3, kind: StepCommand, on: "A", args: []string{"INCRBY", "c", "7"}, expect: "7"},
		{line: 4, kind: StepCommand, on: "B", args: []string{"INCRBY", "c", "3"}, expect: "3"},
		{line: 6, kind: StepSync},
		{line: 7, kind: StepCommand, on: "*", args: []string{"GET", "c"}, expect: `"10"`},
		{line: 8, kind: StepSync, members: []string{"A", "B"}},
		{line: 10, kind: StepSleep, sleep: 5 * time.Millisecond},
		{line: 11, kind: StepCut, members: []string{"A", "C"}},
		{line: 12, kind: StepHeal},
		{line: 13, kind: StepRestart, members: []string{"B"}},
		{line: 14, kind: StepCommand, on: "C", args: []string{"PING"}},
	}
	var got []brief
	for _, st := range s.Steps {
		b := brief{line: st.Line, kind: st.Kind, on: st.On, args: st.Args, members: st.Members, sleep: st.Sleep}
		if st.Expect != nil {
			b.expect = st.Expect.Source
		}
		if len(b.members) == 0 {
			b.members = nil
		}
		got = append(got, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("steps:\n got %+v\nwant %+v", got, want)
	}
	if e := s.Steps[0].Expect; e.Kind != ExpectInt || e.Int != 7 {
		t.Fatalf("=> 7 parsed as %+v", e)
	}
	if e := s.Steps[3].Expect; e.Kind != ExpectBulk || e.Str != "10" {
		t.Fatalf(`=> "10" parsed as %+v`, e)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"", `no "members" line`},
		{"# only a comment\n", `no "members" line`},
		{"A: PING\n", "first step must be"},
		{"members\n", "between 1 and"},
		{"members A A\n", "listed twice"},
		{"members A b*\n", "bad member name"},
		{"members A B\nC: PING\n", `unknown member "C"`},
		{"members A B\nA:\n", "empty command"},
		{"members A B\nA: GET k => \n", `nothing after "=>"`},
		{"members A B\nA: GET k => [a\n", `missing ']'`},
		{"members A B\nA: GET k => a b\n", "after the reply"},
		{"members A B\nA: GET k => same\n", `"same" needs "*:"`},
		{"members A B\nA: GET k => \"\\q\"\n", "unknown escape"},
		{"members A B\nA: GET k => ~x\n", "bad number"},
		{"members A B\nA: GET \"k\n", "unterminated quote"},
		{"members A B\nsync C\n", `unknown member "C"`},
		{"members A B\nsync => OK\n", "only follows a command"},
		{"members A B\ncut A\n", "cut takes two members"},
		{"members A B\ncut A A\n", "listed twice"},
		{"members A B\nheal now\n", "heal takes no arguments"},
		{"members A B\nsleep\n", "milliseconds"},
		{"members A B\nsleep -1\n", "not a number"},
		{"members A B\nrestart\n", "restart takes one member"},
		{"members A B\nmembers A B\n", "only once"},
		{"members A B\nfrobnicate\n", `unknown step "frobnicate"`},
	}
	for _, c := range cases {
		_, err := Parse("x.scn", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error %v, want one containing %q", c.src, err, c.want)
		}
	}
	_, err := Parse("x.scn", []byte("members A\n\n# c\nA: GET k => [\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "x.scn:4: ") {
		t.Errorf("error %v does not name x.scn:4", err)
	}
}

// TestParseScenarioFiles checks that every scenario file parses, so that a typo in one shows up
// here, without processes, and names its line.
func TestParseScenarioFiles(t *testing.T) {
	var files []string
	for _, dir := range scenarioDirs {
		found, _ := filepath.Glob(filepath.Join(dir, "*.scn"))
		if len(found) == 0 {
			t.Errorf("no scenario files in %s", dir)
		}
		files = append(files, found...)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(filepath.Base(f), src)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if len(s.Steps) == 0 {
			t.Errorf("%s has no steps", f)
		}
	}
}
