package compat

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// Pub/sub streams use three connections per server. After every command, each connection gets a
// barrier (PING <token>; allowed in subscribed mode) and everything it received up to the barrier's
// reply is compared: command replies, subscription confirmations, message and pmessage pushes.
// Two things whose order Redis leaves to hash-table iteration are normalised: the order of several
// pmessage deliveries of one message to one connection (one per matching pattern), and the order of
// the channels in the replies of an argument-less UNSUBSCRIBE / PUNSUBSCRIBE.

func TestCompatPubSub(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	forProtocols(t, func(t *testing.T, proto int) {
		t.Run("scenarios", func(t *testing.T) {
			s := newPubSubStream(t, p, proto)
			pubsubScenarios(s)
		})
		t.Run("random", func(t *testing.T) {
			s := newPubSubStream(t, p, proto)
			for i := 0; i < n(400); i++ {
				genPubSub(s)
			}
		})
	})
}

func newPubSubStream(t *testing.T, p *pair, proto int) *stream {
	s := newStream(t, p, 3, proto)
	if proto == 2 {
		// mix protocols: connection 2 speaks RESP3 while 0 and 1 speak RESP2
		s.on(2, cmpHello, "HELLO", "3")
	}
	return s
}

// ps sends a command on connection i and compares what every connection receives up to a barrier.
func (s *stream) ps(i int, args ...string) {
	s.t.Helper()
	s.step++
	label := fmt.Sprintf("#%d c%d %s", s.step, i, fmtCmd(args))
	s.ref[i].Send(args...)
	terr := s.tgt[i].SendErr(args...)
	noArgUnsub := len(args) == 1 && (strings.EqualFold(args[0], "UNSUBSCRIBE") || strings.EqualFold(args[0], "PUNSUBSCRIBE"))
	channels := len(args) >= 2 && strings.EqualFold(args[0], "PUBSUB") && strings.EqualFold(args[1], "CHANNELS")
	order := []int{i}
	for j := range s.ref {
		if j != i {
			order = append(order, j)
		}
	}
	for _, j := range order {
		token := fmt.Sprintf("barrier-%d-%d", s.step, j)
		what := label
		if j != i {
			what = fmt.Sprintf("%s (what connection c%d received)", label, j)
		}
		s.ref[j].Send("PING", token)
		if terr == nil {
			terr = s.tgt[j].SendErr("PING", token)
		}
		r, err := collect(s.ref[j], token)
		if err != nil {
			s.t.Fatalf("reference %s: %s: %v (got %s)", s.p.ref.Name(), what, err, testserver.Quote(r))
		}
		var tg []byte
		if terr == nil {
			tg, terr = collect(s.tgt[j], token)
		}
		if terr != nil {
			s.mismatch(what+" + PING "+token, r, tg, terr)
			s.t.FailNow()
		}
		rn := maskHelloIDs(normalizePubSub(r, j == i && noArgUnsub, j == i && channels))
		tn := maskHelloIDs(normalizePubSub(tg, j == i && noArgUnsub, j == i && channels))
		if !bytes.Equal(rn, tn) {
			s.mismatch(what+" + PING "+token, r, tg, nil)
		}
		s.record(what+" + PING "+token, r)
	}
}

// collect reads replies until the reply to PING token (a bulk string in RESP2 normal mode and in
// RESP3, ["pong", token] in RESP2 subscribed mode), and returns all the bytes.
func collect(c *testserver.Conn, token string) ([]byte, error) {
	var out []byte
	deadline := time.Now().Add(5 * time.Second)
	for n := 0; n < 10000; n++ {
		raw, err := c.ReadRawTimeout(time.Until(deadline))
		out = append(out, raw...)
		if err != nil {
			return out, fmt.Errorf("waiting for the reply to PING %s: %v", token, err)
		}
		rep, err := testserver.ParseReply(raw)
		if err != nil {
			return out, err
		}
		if rep.Type == '$' && rep.Str == token {
			return out, nil
		}
		if rep.Type == '*' && len(rep.Elems) == 2 && rep.Elems[0].Str == "pong" && rep.Elems[1].Str == token {
			return out, nil
		}
	}
	return out, fmt.Errorf("no reply to PING %s after 10000 replies", token)
}

// normalizePubSub sorts runs of consecutive pmessage pushes, and (for an argument-less
// (P)UNSUBSCRIBE) the channel names within runs of unsubscribe replies, keeping their counts, and
// (for PUBSUB CHANNELS) the channels of the first reply.
func normalizePubSub(raw []byte, unsub, sortFirst bool) []byte {
	var reps []*testserver.Reply
	rest := raw
	for len(rest) > 0 {
		r, n, err := parseOne(rest)
		if err != nil {
			return raw
		}
		reps = append(reps, r)
		rest = rest[n:]
	}
	if sortFirst && len(reps) > 0 && reps[0].IsAggregate() {
		reps[0].SortElems()
	}
	kind := func(r *testserver.Reply) string {
		if (r.Type == '*' || r.Type == '>') && len(r.Elems) >= 3 {
			return strings.ToLower(r.Elems[0].Str)
		}
		return ""
	}
	for i := 0; i < len(reps); {
		k := kind(reps[i])
		j := i
		for j < len(reps) && kind(reps[j]) == k {
			j++
		}
		run := reps[i:j]
		switch {
		case k == "pmessage" && len(run) > 1:
			sort.SliceStable(run, func(a, b int) bool { return bytes.Compare(run[a].Bytes(), run[b].Bytes()) < 0 })
		case unsub && (k == "unsubscribe" || k == "punsubscribe") && len(run) > 1:
			names := make([]*testserver.Reply, len(run))
			for x, r := range run {
				names[x] = r.Elems[1]
			}
			sort.SliceStable(names, func(a, b int) bool { return bytes.Compare(names[a].Bytes(), names[b].Bytes()) < 0 })
			for x, r := range run {
				r.Elems[1] = names[x]
			}
		}
		if j == i {
			j++
		}
		i = j
	}
	var out []byte
	for _, r := range reps {
		out = r.AppendTo(out)
	}
	return out
}

func parseOne(b []byte) (*testserver.Reply, int, error) {
	// find the length of the first reply by re-encoding the parsed prefix
	for end := 1; end <= len(b); end++ {
		if b[end-1] != '\n' {
			continue
		}
		if r, err := testserver.ParseReply(b[:end]); err == nil {
			return r, end, nil
		}
	}
	return nil, 0, fmt.Errorf("incomplete reply")
}

var (
	psChannels = []string{"ch1", "ch2", "news.a", "news.b", "", "a*"}
	psPatterns = []string{"news.*", "ch?", "*", "n[ae]ws.*", "ch1", "[", "a\\*", "news.[ab]"}
)

func pubsubScenarios(s *stream) {
	a, b, c := 0, 1, 2
	steps := []struct {
		conn int
		args []string
	}{
		{b, []string{"PUBLISH", "ch1", "nobody"}},
		{a, []string{"SUBSCRIBE", "ch1", "ch2", "ch1"}},
		{b, []string{"PUBLISH", "ch1", "hello"}},
		{b, []string{"PUBLISH", "ch2", ""}},
		{b, []string{"PUBLISH", "ch3", "x"}},
		{a, []string{"PING"}},
		{a, []string{"PING", "msg"}},
		{a, []string{"PING", "a", "b"}},
		{a, []string{"GET", "x"}},
		{a, []string{"SET", "x", "1"}},
		{a, []string{"PUBLISH", "ch1", "self"}},
		{a, []string{"SELECT", "1"}},
		{a, []string{"ECHO", "x"}},
		{a, []string{"PSUBSCRIBE", "news.*", "ch?"}},
		{b, []string{"PUBLISH", "ch1", "both"}},
		{b, []string{"PUBLISH", "news.a", "pat"}},
		{c, []string{"PSUBSCRIBE", "*"}},
		{c, []string{"SUBSCRIBE", "ch1"}},
		{c, []string{"GET", "x"}},
		{b, []string{"PUBLISH", "ch1", "three"}},
		{b, []string{"PUBSUB", "CHANNELS"}},
		{b, []string{"PUBSUB", "CHANNELS", "ch*"}},
		{b, []string{"PUBSUB", "NUMSUB", "ch1", "ch2", "nope"}},
		{b, []string{"PUBSUB", "NUMSUB"}},
		{b, []string{"PUBSUB", "NUMPAT"}},
		{b, []string{"PUBSUB", "FOO"}},
		{b, []string{"PUBSUB"}},
		{a, []string{"UNSUBSCRIBE", "ch2", "nope"}},
		{a, []string{"UNSUBSCRIBE"}},
		{a, []string{"PUNSUBSCRIBE", "nope"}},
		{a, []string{"GET", "x"}},
		{a, []string{"PUNSUBSCRIBE"}},
		{a, []string{"GET", "x"}},
		{a, []string{"UNSUBSCRIBE"}},
		{a, []string{"PUNSUBSCRIBE"}},
		{a, []string{"SUBSCRIBE"}},
		{a, []string{"PSUBSCRIBE"}},
		{a, []string{"SUBSCRIBE", "x", "y"}},
		{a, []string{"RESET"}},
		{a, []string{"GET", "x"}},
		{b, []string{"PUBLISH", "x", "after reset"}},
		{b, []string{"PUBLISH"}},
		{b, []string{"PUBLISH", "ch1"}},
		{c, []string{"UNSUBSCRIBE"}},
		{c, []string{"PUNSUBSCRIBE"}},
		{b, []string{"PUBSUB", "NUMPAT"}},
	}
	for _, st := range steps {
		s.ps(st.conn, st.args...)
	}
}

func genPubSub(s *stream) {
	c := s.intn(3)
	switch s.intn(14) {
	case 0, 1:
		args := []string{"SUBSCRIBE"}
		for i := 1 + s.intn(3); i > 0; i-- {
			args = append(args, s.pick(psChannels...))
		}
		s.ps(c, s.cmd(args[0], args[1:]...)...)
	case 2:
		args := []string{"PSUBSCRIBE"}
		for i := 1 + s.intn(2); i > 0; i-- {
			args = append(args, s.pick(psPatterns...))
		}
		s.ps(c, s.cmd(args[0], args[1:]...)...)
	case 3:
		args := []string{"UNSUBSCRIBE"}
		for i := s.intn(3); i > 0; i-- {
			args = append(args, s.pick(psChannels...))
		}
		s.ps(c, s.cmd(args[0], args[1:]...)...)
	case 4:
		args := []string{"PUNSUBSCRIBE"}
		for i := s.intn(2); i > 0; i-- {
			args = append(args, s.pick(psPatterns...))
		}
		s.ps(c, s.cmd(args[0], args[1:]...)...)
	case 5, 6, 7, 8:
		s.ps(c, s.cmd("PUBLISH", s.pick(psChannels...), s.pick("m", "", "hello world", "\x00\xff"))...)
	case 9:
		switch s.intn(4) {
		case 0:
			s.ps(c, "PUBSUB", "CHANNELS")
		case 1:
			s.ps(c, "PUBSUB", "CHANNELS", s.pick(psPatterns...))
		case 2:
			s.ps(c, append([]string{"PUBSUB", "NUMSUB"}, s.pick(psChannels...), s.pick(psChannels...))...)
		default:
			s.ps(c, "PUBSUB", "NUMPAT")
		}
	case 10:
		s.ps(c, s.pick2([]string{"GET", "k"}, []string{"SET", "k", "v"}, []string{"PING"}, []string{"ECHO", "e"},
			[]string{"SELECT", "0"}, []string{"QUIT2"}, []string{"PING", "x"})...)
	case 11:
		if s.chance(0.2) {
			s.ps(c, "RESET")
			if c == 2 && s.proto == 2 || s.proto == 3 {
				s.ps(c, "HELLO", "3") // RESET went back to RESP2
			}
		} else {
			s.ps(c, "PING")
		}
	default:
		s.ps(c, "PUBLISH", s.pick("ch1", "news.a"), "x")
	}
}
