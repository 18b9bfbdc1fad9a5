package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/concord-db/concord/test/testserver"
)

// FuzzParse: the parser never panics or hangs, and what it accepts is consistent: a member
// line first, only known members, a reply on command steps only.
func FuzzParse(f *testing.F) {
	f.Add([]byte(formatExample))
	f.Add([]byte("members A B\nA: SET k \"a \\\" b\" => [a \"b\\x41\" :3 nil [d {e}]] # c\n*: GET k => same\n"))
	f.Add([]byte("members A B C\ncut A C\nsync A B\nrestart C\nheal\nsleep 10\n*: X => !ERR x\n*: Y => ~1e3\n"))
	if files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.scn")); len(files) > 0 {
		for _, p := range files {
			if src, err := os.ReadFile(p); err == nil {
				f.Add(src)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("fuzz.scn", src)
		if err != nil {
			return
		}
		known := map[string]bool{}
		for _, m := range s.Members {
			known[m] = true
		}
		for _, st := range s.Steps {
			switch st.Kind {
			case StepCommand:
				if len(st.Args) == 0 || (st.On != "*" && !known[st.On]) {
					t.Fatalf("line %d: bad command step %+v", st.Line, st)
				}
				if st.Expect != nil && st.Expect.Kind == ExpectSame && st.On != "*" {
					t.Fatalf("line %d: same without *:", st.Line)
				}
			case StepCut:
				if len(st.Members) != 2 {
					t.Fatalf("line %d: cut of %v", st.Line, st.Members)
				}
			}
			for _, m := range st.Members {
				if !known[m] {
					t.Fatalf("line %d: unknown member %q accepted", st.Line, m)
				}
			}
		}
	})
}

// FuzzExpect: parsing an expected reply and matching it against any reply never panics, and
// every expectation but "same" accepts what "*" accepts only when it matches.
func FuzzExpect(f *testing.F) {
	for _, s := range []string{`[a "b c" :3 nil [d]]`, `{a b c}`, `~3.1`, `!WRONGTYPE`, `"\x41\n"`, `same`, `*`} {
		f.Add(s, []byte("*\x02$a:3"))
	}
	f.Fuzz(func(t *testing.T, expect string, shape []byte) {
		e, err := ParseExpect(expect)
		if err != nil {
			return
		}
		r := replyFromBytes(&shape, 0)
		if e.Match(r) == nil && e.Kind == ExpectSame {
			t.Fatalf("%q matched a single reply", expect)
		}
	})
}

// replyFromBytes builds a reply tree from fuzz bytes: a type byte, then for strings one length
// byte and the bytes, for arrays one count byte and the elements. The replies are built
// directly rather than parsed, so that the fuzzing stays on this package's code.
func replyFromBytes(data *[]byte, depth int) *testserver.Reply {
	next := func() byte {
		if len(*data) == 0 {
			return 0
		}
		b := (*data)[0]
		*data = (*data)[1:]
		return b
	}
	str := func() string {
		n := min(int(next()%16), len(*data))
		s := string((*data)[:n])
		*data = (*data)[n:]
		return s
	}
	switch t := next(); t {
	case '*', '~':
		if depth > 4 {
			return &testserver.Reply{Type: '*', Null: true}
		}
		r := &testserver.Reply{Type: t}
		for range int(next() % 8) {
			r.Elems = append(r.Elems, replyFromBytes(data, depth+1))
		}
		return r
	case ':':
		return &testserver.Reply{Type: ':', Str: fmt.Sprint(int8(next()))}
	case '+', '-', ',':
		return &testserver.Reply{Type: t, Str: str()}
	case '_':
		return &testserver.Reply{Type: '_'}
	case 0:
		return &testserver.Reply{Type: '$', Null: true}
	default:
		return &testserver.Reply{Type: '$', Str: str()}
	}
}
