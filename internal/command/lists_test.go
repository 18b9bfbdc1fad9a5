package command

import (
	"slices"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/effect"
)

// TestListCommands replays sequences whose replies were captured from redis-server 7.0.15
// (lists_cases_test.go, made by running the same commands against it).
func TestListCommands(t *testing.T) {
	for _, tc := range listCases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetsEnv(t)
			if strings.HasPrefix(tc.name, "resp3") {
				s.do("HELLO", "3")
			}
			for i, st := range tc.steps {
				if got := s.do(splitArgs(st.cmd)...); got != st.want {
					t.Fatalf("step %d %s:\n got  %q\n want %q", i, st.cmd, got, st.want)
				}
			}
		})
	}
}

// The effects of the list write commands: what is replicated.
func TestListEffects(t *testing.T) {
	s := newSetsEnv(t)
	kinds := func() []effect.Kind {
		var out []effect.Kind
		for _, op := range s.batches[len(s.batches)-1].Ops {
			out = append(out, op.Kind)
		}
		return out
	}
	s.do("RPUSH", "l", "a", "b", "c")
	if k := kinds(); !slices.Equal(k, []effect.Kind{effect.ListInsert}) || len(s.batches[len(s.batches)-1].Ops[0].Elems) != 3 {
		t.Fatalf("RPUSH: %v", k)
	}
	n := len(s.batches)
	for _, cmd := range [][]string{
		{"LPUSHX", "nokey", "a"}, {"LPOP", "nokey"}, {"LPOP", "l", "0"}, {"LREM", "l", "0", "zz"},
		{"LINSERT", "l", "BEFORE", "zz", "x"}, {"LTRIM", "l", "0", "-1"}, {"LMOVE", "l", "l", "LEFT", "LEFT"},
		{"LMPOP", "1", "nokey", "LEFT"}, {"LSET", "l", "9", "x"},
	} {
		s.do(cmd...)
		if len(s.batches) != n {
			t.Fatalf("%v emitted a batch", cmd)
		}
	}
	s.do("LSET", "l", "0", "A")
	if k := kinds(); !slices.Equal(k, []effect.Kind{effect.ListSet}) {
		t.Fatalf("LSET: %v", k)
	}
	s.do("LMOVE", "l", "d", "LEFT", "RIGHT")
	if k := kinds(); !slices.Equal(k, []effect.Kind{effect.ListRemove, effect.ListInsert}) {
		t.Fatalf("LMOVE: %v", k)
	}
	s.do("LTRIM", "l", "1", "0")
	if b := s.batches[len(s.batches)-1]; b.Ops[0].Kind != effect.ListRemove || len(b.Ops[0].Elems) != 2 {
		t.Fatalf("LTRIM: %+v", b.Ops)
	}
	if got := s.do("EXISTS", "l"); got != ":0\r\n" {
		t.Fatalf("EXISTS after LTRIM: %q", got)
	}
	// An emptied list with a TTL: the next push starts without it, as Redis deleted the key.
	s.do("RPUSH", "t", "x")
	s.do("EXPIRE", "t", "100")
	s.do("RPOP", "t")
	s.do("RPUSH", "t", "y")
	if got := s.do("TTL", "t"); got != ":-1\r\n" {
		t.Fatalf("TTL after re-creation: %q", got)
	}
	// A list keeps its TTL through pops, LMOVE onto itself and LSET.
	s.do("RPUSH", "u", "a", "b")
	s.do("EXPIRE", "u", "100")
	s.do("LMOVE", "u", "u", "LEFT", "RIGHT")
	s.do("LSET", "u", "0", "z")
	if got := s.do("TTL", "u"); got != ":100\r\n" {
		t.Fatalf("TTL: %q", got)
	}
}

// The helpers the blocking commands use.
func TestListHelpers(t *testing.T) {
	s := newSetsEnv(t)
	c := &Ctx{Env: s.env, Client: s.cl, E: s.env.Engine, W: s.cl.W}
	s.env.Engine.Lock()
	if n := listPush(c, 0, "q", true, [][]byte{[]byte("a"), []byte("b")}); n != 2 {
		t.Fatalf("listPush: %d", n)
	}
	if n := listPush(c, 0, "q", false, [][]byte{[]byte("c")}); n != 3 {
		t.Fatalf("listPush: %d", n)
	}
	if v := listPop(c, 0, "q", false, 2); len(v) != 2 || string(v[0]) != "c" || string(v[1]) != "a" {
		t.Fatalf("listPop: %q", v)
	}
	if v, err := listMove(c, 0, "q", "r", true, true); err != nil || string(v) != "b" {
		t.Fatalf("listMove: %q %v", v, err)
	}
	if v := listPop(c, 0, "q", true, 1); v != nil {
		t.Fatalf("pop of a missing key: %q", v)
	}
	s.env.Engine.Unlock()
	if got := s.do("LRANGE", "r", "0", "-1"); got != "*1\r\n$1\r\nb\r\n" {
		t.Fatalf("r: %q", got)
	}
}
