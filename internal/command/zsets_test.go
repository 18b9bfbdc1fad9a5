package command

import (
	"slices"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/crdt"
	"github.com/concord-db/concord/internal/effect"
)

// TestZsetCommands replays sequences whose replies were captured from redis-server 7.0.15
// (zsets_cases_test.go; each case on an empty server with the default listpack limits,
// "resp3" cases after HELLO 3).
func TestZsetCommands(t *testing.T) {
	for _, tc := range zsetCases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetsEnv(t)
			if strings.HasPrefix(tc.name, "resp3") {
				s.do("HELLO", "3")
			}
			for i, st := range tc.steps {
				got := s.do(splitArgs(st.cmd)...)
				want := st.want
				if st.unordered {
					got, want = unorderedReply(got), unorderedReply(want)
				}
				if got != want {
					t.Fatalf("step %d %s:\n got  %q\n want %q", i, st.cmd, got, want)
				}
			}
		})
	}
}

// The effects of the write commands: what is replicated.
func TestZsetEffects(t *testing.T) {
	s := newSetsEnv(t)
	last := func() *effect.Effect { return s.batches[len(s.batches)-1] }
	kinds := func(b *effect.Effect) []effect.Kind {
		var out []effect.Kind
		for _, op := range b.Ops {
			out = append(out, op.Kind)
		}
		return out
	}
	s.do("ZADD", "z", "1", "a", "2", "b", "3", "a")
	if b := last(); !slices.Equal(kinds(b), []effect.Kind{effect.ZsetSet}) || len(b.Ops[0].Elems) != 2 ||
		!slices.Equal(b.Ops[0].Scores, []float64{3, 2}) {
		t.Fatalf("ZADD: %+v", b.Ops)
	}
	n := len(s.batches)
	s.do("ZADD", "z", "3", "a") // re-adding is a fresh add: an effect, reply 0
	if len(s.batches) != n+1 {
		t.Fatal("re-add emitted nothing")
	}
	n = len(s.batches)
	s.do("ZADD", "z", "NX", "5", "a") // nothing changes: no effect
	s.do("ZADD", "z", "GT", "1", "a")
	s.do("ZREM", "z", "nope")
	s.do("ZPOPMIN", "nokey")
	s.do("ZREMRANGEBYSCORE", "z", "100", "200")
	s.do("ZINTERSTORE", "nokey2", "1", "nokey")
	s.do("ZINCRBY", "z", "inf", "a")
	s.do("ZINCRBY", "z", "-inf", "a") // NaN: refused
	n++                               // the +inf increment
	if len(s.batches) != n {
		t.Fatalf("commands that change nothing emitted %d batches", len(s.batches)-n)
	}
	s.do("ZINCRBY", "z", "0.5", "b")
	if b := last(); !slices.Equal(kinds(b), []effect.Kind{effect.ZsetAdd}) || b.Ops[0].Scores[0] != 0.5 {
		t.Fatalf("ZINCRBY: %+v", b.Ops)
	}
	// A ZADD after an increment stops what it saw: the offsets travel with it.
	s.do("ZADD", "z", "7", "b")
	if b := last(); len(b.Ops[0].ElemOffsets) != 1 || len(b.Ops[0].ElemOffsets[0]) != 1 {
		t.Fatalf("ZADD after ZINCRBY carries no offsets: %+v", b.Ops)
	}
	s.do("ZPOPMIN", "z")
	if b := last(); !slices.Equal(kinds(b), []effect.Kind{effect.ZsetRemove}) || string(b.Ops[0].Elems[0]) != "b" {
		t.Fatalf("ZPOPMIN: %+v", b.Ops)
	}
	s.do("ZREM", "z", "a") // the last member: the key is deleted (with its TTL)
	if b := last(); !slices.Equal(kinds(b), []effect.Kind{effect.Delete}) || b.Ops[0].Type != crdt.TypeZSet {
		t.Fatalf("ZREM of the last member: %+v", b.Ops)
	}
	s.do("ZADD", "z", "1", "a")
	s.do("SET", "dst", "x")
	s.do("ZUNIONSTORE", "dst", "1", "z")
	if b := last(); !slices.Equal(kinds(b), []effect.Kind{effect.Delete, effect.ZsetSet, effect.Expire}) || b.Ops[0].Type != crdt.TypeString {
		t.Fatalf("ZUNIONSTORE: %+v", b.Ops)
	}
	s.do("EXPIRE", "z", "100")
	s.do("RENAME", "z", "r")
	if b := last(); !slices.Equal(kinds(b), []effect.Kind{effect.ZsetSet, effect.Expire, effect.Delete}) || b.Ops[1].At != 1704067200000+100_000 {
		t.Fatalf("RENAME: %+v", b.Ops)
	}
	// MULTI: ZINCRBY, ZREM, ZINCRBY in one batch: the second increment is not lost.
	s.do("MULTI")
	s.do("ZINCRBY", "m", "1", "x")
	s.do("ZADD", "m", "1", "y")
	s.do("ZREM", "m", "x")
	s.do("ZINCRBY", "m", "2", "x")
	if got := s.do("EXEC"); got != "*4\r\n$1\r\n1\r\n:1\r\n:1\r\n$1\r\n2\r\n" {
		t.Fatalf("EXEC: %q", got)
	}
	if got := s.do("ZSCORE", "m", "x"); got != "$1\r\n2\r\n" {
		t.Fatalf("ZSCORE after MULTI: %q", got)
	}
}

// zsetWrite and zsetPop are what GEOADD and the blocking pops use.
func TestZsetHelpers(t *testing.T) {
	s := newSetsEnv(t)
	s.env.Engine.Lock()
	c := &Ctx{Env: s.env, Client: s.cl, E: s.env.Engine, W: s.cl.W}
	added := zsetWrite(c, 0, "g", [][]byte{[]byte("a"), []byte("b")}, []float64{2, 1})
	again := zsetWrite(c, 0, "g", [][]byte{[]byte("a")}, []float64{5})
	members, scores := zsetPop(c, 0, "g", false, 1)
	s.env.Engine.Unlock()
	if added != 2 || again != 0 {
		t.Fatalf("zsetWrite added %d then %d", added, again)
	}
	if len(members) != 1 || string(members[0]) != "b" || scores[0] != 1 {
		t.Fatalf("zsetPop: %q %v", members, scores)
	}
	if got := s.do("ZRANGE", "g", "0", "-1", "WITHSCORES"); got != "*2\r\n$1\r\na\r\n$1\r\n5\r\n" {
		t.Fatalf("after the helpers: %q", got)
	}
}
