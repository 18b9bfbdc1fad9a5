package scenario

import (
	"strings"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		expect string
		raw    string
		ok     bool
	}{
		// Integers.
		{"7", ":7\r\n", true},
		{"-3", ":-3\r\n", true},
		{"7", ":8\r\n", false},
		{"7", "$1\r\n7\r\n", false}, // a bulk "7" is not the integer 7
		{":7", ":7\r\n", true},
		// Bulk strings and escapes.
		{`"10"`, "$2\r\n10\r\n", true},
		{`"10"`, ":10\r\n", false},
		{`"10"`, "+10\r\n", false},
		{`""`, "$0\r\n\r\n", true},
		{`"a\nb"`, "$3\r\na\nb\r\n", true},
		{`"say \"hi\""`, "$8\r\nsay \"hi\"\r\n", true},
		{`"back\\slash"`, "$10\r\nback\\slash\r\n", true},
		{`"\x00\xff"`, "$2\r\n\x00\xff\r\n", true},
		{`"\x41"`, "$1\r\nA\r\n", true},
		{`"v3"`, "$-1\r\n", false},
		// nil.
		{"nil", "$-1\r\n", true},
		{"nil", "*-1\r\n", true},
		{"nil", "_\r\n", true},
		{"nil", "$0\r\n\r\n", false},
		{"nil", "*0\r\n", false},
		// Statuses.
		{"OK", "+OK\r\n", true},
		{"PONG", "+PONG\r\n", true},
		{"QUEUED", "+QUEUED\r\n", true},
		{"OK", "$2\r\nOK\r\n", false},
		{"OK", "-OK\r\n", false},
		// Errors.
		{"!WRONGTYPE", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", true},
		{"!", "-ERR anything\r\n", true},
		{"!ERR value is not", "-ERR value is not an integer or out of range\r\n", true},
		{"!WRONGTYPE", "-ERR no\r\n", false},
		{"!", "+OK\r\n", false},
		{"!ERR", "!7\r\nERR bad\r\n", true}, // RESP3 blob error
		// Numbers within 1e-9.
		{"~3.1", "$3\r\n3.1\r\n", true},
		{"~3.1", "$18\r\n3.1000000000000001\r\n", true},
		{"~3.1", ",3.1\r\n", true},
		{"~4.75", "$4\r\n4.75\r\n", true},
		{"~2.0", "$1\r\n2\r\n", true},
		{"~2.1", "$3\r\n2.2\r\n", false},
		{"~1e300", "$6\r\n1e+300\r\n", true},
		{"~0", "$1\r\n0\r\n", true},
		{"~2.1", ":2\r\n", false},
		{"~2.1", "$-1\r\n", false},
		{"~2.1", "$3\r\nabc\r\n", false},
		// Ordered arrays.
		{`[a "b c" :3 nil [d]]`, "*5\r\n$1\r\na\r\n$3\r\nb c\r\n:3\r\n$-1\r\n*1\r\n$1\r\nd\r\n", true},
		{`[a "b c" :3 nil [d]]`, "*5\r\n$1\r\na\r\n$3\r\nb c\r\n:3\r\n$-1\r\n*1\r\n$1\r\ne\r\n", false},
		{`[world hello]`, "*2\r\n$5\r\nworld\r\n$5\r\nhello\r\n", true},
		{`[world hello]`, "*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n", false},
		{`["1" "3"]`, "*2\r\n$1\r\n1\r\n$1\r\n3\r\n", true},
		{`[1 3]`, "*2\r\n$1\r\n1\r\n$1\r\n3\r\n", true}, // bare words in arrays are bulk strings
		{`[1 3]`, "*2\r\n:1\r\n:3\r\n", false},
		{`[a]`, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", false},
		{`[]`, "*0\r\n", true},
		{`[]`, "*-1\r\n", false},
		{`[]`, "$0\r\n\r\n", false},
		{`[y]`, "*1\r\n+y\r\n", false},
		// Unordered.
		{`{a b c}`, "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n", true},
		{`{a b c}`, "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\na\r\n", false},
		{`{a b}`, "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n", false},
		{`{a a b}`, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n", true},
		{`{a a b}`, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nb\r\n", false},
		{`{field1 a field2 b}`, "*4\r\n$6\r\nfield2\r\n$1\r\nb\r\n$6\r\nfield1\r\n$1\r\na\r\n", true},
		{`{a b}`, "~2\r\n$1\r\nb\r\n$1\r\na\r\n", true}, // RESP3 set
		{`{}`, "*0\r\n", true},
		// A wildcard must not take the element only the literal can match.
		{`{* a}`, "*2\r\n$1\r\na\r\n$1\r\nz\r\n", true},
		{`{~1 ~1.0}`, "*2\r\n$1\r\n1\r\n$3\r\n1.0\r\n", true},
		{`[x {b a}]`, "*2\r\n$1\r\nx\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n", true},
		// Anything.
		{"*", "-ERR x\r\n", true},
		{"*", "$-1\r\n", true},
		{"[* b]", "*2\r\n:1\r\n$1\r\nb\r\n", true},
	}
	for _, c := range cases {
		e, err := ParseExpect(c.expect)
		if err != nil {
			t.Errorf("ParseExpect(%q): %v", c.expect, err)
			continue
		}
		r, err := testserver.ParseReply([]byte(c.raw))
		if err != nil {
			t.Fatalf("bad test reply %q: %v", c.raw, err)
		}
		err = e.Match(r)
		if (err == nil) != c.ok {
			t.Errorf("%s against %q: match error %v, want match %v", c.expect, c.raw, err, c.ok)
		}
	}
}

func TestMatchMessage(t *testing.T) {
	e, _ := ParseExpect(`"10"`)
	r := testserver.MustParse([]byte("*2\r\n$1\r\n7\r\n:3\r\n"))
	err := e.Match(r)
	if err == nil || err.Error() != `expected "10", got ["7" :3]` {
		t.Fatalf("message %v", err)
	}
}

func TestSameReplies(t *testing.T) {
	p := func(raw string) *testserver.Reply { return testserver.MustParse([]byte(raw)) }
	names := []string{"A", "B", "C"}
	if err := SameReplies(names, []*testserver.Reply{p("*1\r\n$1\r\nx\r\n"), p("*1\r\n$1\r\nx\r\n"), p("*1\r\n$1\r\nx\r\n")}); err != nil {
		t.Fatal(err)
	}
	err := SameReplies(names, []*testserver.Reply{p("*2\r\n$1\r\nx\r\n$1\r\ny\r\n"), p("*2\r\n$1\r\nx\r\n$1\r\ny\r\n"), p("*2\r\n$1\r\ny\r\n$1\r\nx\r\n")})
	if err == nil || !strings.Contains(err.Error(), "from C") {
		t.Fatalf("different order not reported: %v", err)
	}
	if err := SameReplies(names, []*testserver.Reply{p("-ERR x\r\n"), p("-ERR x\r\n"), p("-ERR x\r\n")}); err == nil {
		t.Fatal("identical errors accepted as the same reply")
	}
}

func TestRender(t *testing.T) {
	cases := map[string]string{
		":7\r\n":                           "7",
		"$2\r\n10\r\n":                     `"10"`,
		"$3\r\na\"\n\r\n":                  `"a\"\n"`,
		"$1\r\n\x01\r\n":                   `"\x01"`,
		"$-1\r\n":                          "nil",
		"+OK\r\n":                          "OK",
		"-ERR x\r\n":                       "!ERR x",
		",1.5\r\n":                         "~1.5",
		"*3\r\n:1\r\n+OK\r\n$-1\r\n":       "[:1 +OK nil]",
		"*1\r\n*1\r\n$1\r\na\r\n":          `[["a"]]`,
		"%1\r\n$1\r\nk\r\n$1\r\nv\r\n":     `["k" "v"]`,
		"#t\r\n":                           "(bool) t",
		"*2\r\n$1\r\na\r\n$4\r\nb c\"\r\n": `["a" "b c\""]`,
	}
	for raw, want := range cases {
		if got := Render(testserver.MustParse([]byte(raw))); got != want {
			t.Errorf("Render(%q) = %s, want %s", raw, got, want)
		}
	}
}

// TestRenderParsesBack: what Render prints for a bulk string, integer or nil is an expectation
// that matches the reply (so a failure message can be pasted into a scenario).
func TestRenderParsesBack(t *testing.T) {
	for _, raw := range []string{":7\r\n", "$3\r\na\nb\r\n", "$-1\r\n", "+OK\r\n", "$2\r\n\x00\"\r\n"} {
		r := testserver.MustParse([]byte(raw))
		e, err := ParseExpect(Render(r))
		if err != nil {
			t.Fatalf("ParseExpect(Render(%q)): %v", raw, err)
		}
		if err := e.Match(r); err != nil {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

func TestParseExpectKinds(t *testing.T) {
	cases := map[string]ExpectKind{
		"7": ExpectInt, "-3": ExpectInt, ":0": ExpectInt, `"x"`: ExpectBulk, "nil": ExpectNil,
		"OK": ExpectStatus, "-": ExpectStatus, "!": ExpectError, "!ERR x y": ExpectError,
		"~3.1": ExpectFloat, "[]": ExpectArray, "{}": ExpectUnordered, "*": ExpectAny, "same": ExpectSame,
	}
	for src, kind := range cases {
		e, err := ParseExpect(src)
		if err != nil || e.Kind != kind {
			t.Errorf("ParseExpect(%q) = %+v, %v; want kind %d", src, e, err, kind)
		}
	}
	for _, bad := range []string{"", "[", "]", "{a", "[a}", `"x`, `"\x4"`, `"\xzz"`, ":x", ":", "~", "~nan", "[same]", "[!ERR]", "a b", "[a] b"} {
		if e, err := ParseExpect(bad); err == nil {
			t.Errorf("ParseExpect(%q) = %+v, want an error", bad, e)
		}
	}
}
