package compat

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"math/big"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

const defaultSeed = 20240611

// traceOn (CONCORD_DIFF_TRACE=1) logs every command and the reference reply.
var traceOn = os.Getenv("CONCORD_DIFF_TRACE") != ""

var (
	seedFlag  = flag.Int64("seed", defaultSeed, "base seed of the differential command streams (env CONCORD_DIFF_SEED)")
	scaleFlag = flag.Int("count-scale", 1, "multiply the length of every command stream (env CONCORD_DIFF_SCALE)")
	maxFail   = flag.Int("max-mismatch", 5, "mismatches reported per stream before it stops (env CONCORD_DIFF_MAXFAIL)")
)

func TestMain(m *testing.M) {
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	envInt := func(name string, dst *int64) {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bad %s=%q: %v\n", name, v, err)
				os.Exit(2)
			}
			*dst = n
		}
	}
	if !set["seed"] {
		envInt("CONCORD_DIFF_SEED", seedFlag)
	}
	if !set["count-scale"] {
		var n int64 = int64(*scaleFlag)
		envInt("CONCORD_DIFF_SCALE", &n)
		*scaleFlag = int(n)
	}
	if !set["max-mismatch"] {
		var n int64 = int64(*maxFail)
		envInt("CONCORD_DIFF_MAXFAIL", &n)
		*maxFail = int(n)
	}
	os.Exit(testserver.Main(m))
}

// commonArgs are given to both servers (Concord takes every Redis configuration parameter as a
// flag): DEBUG is disabled by default since Redis 7, and StartRedis turns persistence off, so the
// target gets the same settings for CONFIG GET to agree.
var commonArgs = []string{"--enable-debug-command", "local", "--save", "", "--appendonly", "no"}

// pair is the reference redis-server and the server under test.
type pair struct {
	ref, tgt *testserver.Server
}

// startPair starts redis-server and the target (Concord, or redis-server under
// CONCORD_DIFF_AGAINST=redis) with the same extra arguments.
func startPair(t *testing.T, args ...string) *pair {
	t.Helper()
	all := append(append([]string{}, commonArgs...), args...)
	ref := testserver.StartRedis(t, all...)
	tgt := testserver.StartTarget(t, all)
	return &pair{ref: ref, tgt: tgt}
}

// cmpFunc decides whether two replies are equivalent. nil means byte-identical.
type cmpFunc func(ref, tgt []byte) bool

// stream sends the same commands to both servers over parallel connections and compares replies.
type stream struct {
	t     *testing.T
	p     *pair
	seed  int64
	rnd   *rand.Rand
	ref   []*testserver.Conn
	tgt   []*testserver.Conn
	step  int
	hist  []string
	fails int
	proto int
	keys  []string
	// nowS is the Unix time (seconds) when the stream started; absolute expiry times are derived
	// from it so that both servers get the same values.
	nowS int64
	// incrSpent is, per key, the sum of the magnitudes of the integer increments applied so far
	// (see incrAllowed).
	incrSpent map[string]*big.Int
}

// newStream opens nconns connections to each server (switched to RESP3 if proto is 3), and
// flushes all databases.
func newStream(t *testing.T, p *pair, nconns, proto int) *stream {
	t.Helper()
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	seed := *seedFlag ^ int64(h.Sum64()&0x7fffffffffffffff)
	s := &stream{t: t, p: p, seed: seed, rnd: rand.New(rand.NewSource(seed)), proto: proto, nowS: time.Now().Unix()}
	for i := 0; i < nconns; i++ {
		s.addConn()
	}
	s.on(0, nil, "FLUSHALL")
	return s
}

// addConn opens one more connection on each side and returns its index.
func (s *stream) addConn() int {
	s.t.Helper()
	s.ref = append(s.ref, s.p.ref.Dial(s.t))
	s.tgt = append(s.tgt, s.p.tgt.Dial(s.t))
	i := len(s.ref) - 1
	if s.p.ref.Password != "" {
		s.on(i, nil, "AUTH", s.p.ref.Password)
	}
	if s.proto == 3 {
		s.on(i, cmpHello, "HELLO", "3")
	}
	return i
}

// n scales a stream length by -count-scale.
func n(base int) int { return base * *scaleFlag }

// do runs a command on connection 0 and compares the replies byte for byte.
func (s *stream) do(args ...string) *testserver.Reply {
	s.t.Helper()
	return s.on(0, nil, args...)
}

// doCmp runs a command on connection 0 and compares the replies with cmp.
func (s *stream) doCmp(cmp cmpFunc, args ...string) *testserver.Reply {
	s.t.Helper()
	return s.on(0, cmp, args...)
}

// on runs a command on connection i of both servers, compares the replies (with cmp, or
// byte-for-byte when cmp is nil) and returns the parsed reference reply.
func (s *stream) on(i int, cmp cmpFunc, args ...string) *testserver.Reply {
	s.t.Helper()
	s.step++
	label := fmt.Sprintf("#%d c%d %s", s.step, i, fmtCmd(args))
	if err := s.ref[i].SendErr(args...); err != nil {
		s.t.Fatalf("reference %s: send %s: %v", s.p.ref.Name(), label, err)
	}
	terr := s.tgt[i].SendErr(args...)
	refRaw, err := s.ref[i].ReadRawErr()
	if err != nil {
		s.t.Fatalf("reference %s: %s: %v", s.p.ref.Name(), label, err)
	}
	var tgtRaw []byte
	if terr == nil {
		tgtRaw, terr = s.tgt[i].ReadRawErr()
	}
	if terr != nil {
		s.mismatch(label, refRaw, nil, terr)
		s.t.FailNow()
	}
	if !equal(cmp, refRaw, tgtRaw) {
		s.mismatch(label, refRaw, tgtRaw, nil)
	}
	s.record(label, refRaw)
	return testserver.MustParse(refRaw)
}

func closedNote(closed bool) string {
	if closed {
		return " <connection closed>"
	}
	return " <connection open>"
}

// check compares two values the harness computed itself (e.g. the set of keys over a full SCAN).
func (s *stream) check(label string, ref, tgt []byte) {
	s.t.Helper()
	s.step++
	label = fmt.Sprintf("#%d %s", s.step, label)
	if !bytes.Equal(ref, tgt) {
		s.mismatch(label, ref, tgt, nil)
	}
	s.record(label, ref)
}

func (s *stream) record(label string, refRaw []byte) {
	q := testserver.Quote(refRaw)
	if traceOn {
		s.t.Logf("%s  -> %s", label, q)
	}
	if len(q) > 160 {
		q = q[:160] + "..."
	}
	s.hist = append(s.hist, label+"  -> "+q)
	if len(s.hist) > 21 {
		s.hist = s.hist[1:]
	}
}

func (s *stream) mismatch(label string, refRaw, tgtRaw []byte, tgtErr error) {
	s.t.Helper()
	s.fails++
	var b strings.Builder
	fmt.Fprintf(&b, "MISMATCH at command %s\n", label)
	fmt.Fprintf(&b, "  seed: %d (replay: go test ./test/compat/ -run '^%s$' -seed %d)\n", *seedFlag, runPattern(s.t.Name()), *seedFlag)
	fmt.Fprintf(&b, "  redis   (%s): %s\n", s.p.ref.Name(), testserver.Quote(refRaw))
	if tgtErr != nil {
		fmt.Fprintf(&b, "  target  (%s): ERROR %v\n", s.p.tgt.Name(), tgtErr)
	} else {
		fmt.Fprintf(&b, "  target  (%s): %s\n", s.p.tgt.Name(), testserver.Quote(tgtRaw))
	}
	if len(s.hist) > 0 {
		fmt.Fprintf(&b, "  preceding commands (reference replies):\n")
		start := 0
		if len(s.hist) > 20 {
			start = len(s.hist) - 20
		}
		for _, h := range s.hist[start:] {
			fmt.Fprintf(&b, "    %s\n", h)
		}
	}
	s.t.Error(b.String())
	if s.fails >= *maxFail {
		s.t.Fatalf("stopping this stream after %d mismatches (later ones may be consequences of earlier ones)", s.fails)
	}
}

func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = regexpQuote(p)
	}
	return strings.Join(parts, "$/^")
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func equal(cmp cmpFunc, a, b []byte) bool {
	if cmp == nil {
		return bytes.Equal(a, b)
	}
	return cmp(a, b)
}

// fmtCmd renders a command for messages, quoting arguments that are not plain.
func fmtCmd(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if len(a) > 80 {
			b.WriteString(strconv.Quote(a[:40]) + fmt.Sprintf("...(%d bytes)", len(a)))
			continue
		}
		plain := a != ""
		for _, c := range []byte(a) {
			if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '\'' {
				plain = false
				break
			}
		}
		if plain {
			b.WriteString(a)
		} else {
			b.WriteString(strconv.Quote(a))
		}
	}
	return b.String()
}

// ---- comparison helpers ----

// parsed applies f to both parsed replies and compares the re-encoded results.
func parsed(f func(r *testserver.Reply)) cmpFunc {
	return func(a, b []byte) bool {
		ra, err1 := testserver.ParseReply(a)
		rb, err2 := testserver.ParseReply(b)
		if err1 != nil || err2 != nil {
			return bytes.Equal(a, b)
		}
		if !ra.IsError() {
			f(ra)
		}
		if !rb.IsError() {
			f(rb)
		}
		return bytes.Equal(ra.Bytes(), rb.Bytes())
	}
}

// cmpSorted compares aggregates as multisets (KEYS, PUBSUB CHANNELS ...).
var cmpSorted = parsed(func(r *testserver.Reply) {
	if r.IsAggregate() {
		r.SortElems()
	}
})

// cmpPairs compares a map (RESP3) or a flat key/value array (RESP2) regardless of entry order
// (CONFIG GET with a pattern).
var cmpPairs = parsed(func(r *testserver.Reply) {
	if r.Type == '%' {
		r.SortElems()
	} else if r.IsAggregate() {
		r.SortPairs()
	}
})

// cmpHello compares HELLO replies except for the client id.
var cmpHello = parsed(maskHelloID)

// maskHelloID replaces the client id in a HELLO reply (a map, or a flat array in RESP2, with the
// keys server, version, proto, id ...) by 0.
func maskHelloID(r *testserver.Reply) {
	if !r.IsAggregate() || len(r.Elems) < 8 || r.Elems[0].Str != "server" {
		return
	}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		if r.Elems[i].Str == "id" {
			r.Elems[i+1] = &testserver.Reply{Type: ':', Str: "0"}
		}
	}
}

// maskHelloIDs masks the client id of every HELLO reply in a sequence of raw replies.
func maskHelloIDs(raw []byte) []byte {
	var out []byte
	for len(raw) > 0 {
		r, n, err := parseOne(raw)
		if err != nil {
			return append(out, raw...)
		}
		maskHelloID(r)
		out = r.AppendTo(out)
		raw = raw[n:]
	}
	return out
}

// cmpTolerance compares integer replies that measure time: negative values (-1, -2) must be
// equal, non-negative ones may differ by at most tol. Anything else must be identical.
func cmpTolerance(tol int64) cmpFunc {
	return func(a, b []byte) bool {
		ra, err1 := testserver.ParseReply(a)
		rb, err2 := testserver.ParseReply(b)
		if err1 != nil || err2 != nil || ra.Type != ':' || rb.Type != ':' {
			return bytes.Equal(a, b)
		}
		x, _ := ra.Int()
		y, _ := rb.Int()
		if x < 0 || y < 0 {
			return x == y
		}
		d := x - y
		if d < 0 {
			d = -d
		}
		return d <= tol
	}
}

var (
	cmpTTL      = cmpTolerance(2)
	cmpPTTL     = cmpTolerance(2000)
	cmpExpTime  = cmpTolerance(2)
	cmpPExpTime = cmpTolerance(2000)
)

// ---- random helpers ----

func (s *stream) intn(n int) int        { return s.rnd.Intn(n) }
func (s *stream) chance(p float64) bool { return s.rnd.Float64() < p }
func (s *stream) pick(xs ...string) string {
	return xs[s.rnd.Intn(len(xs))]
}

// key picks one of the stream's hot keys (set s.keys first).
func (s *stream) key() string { return s.keys[s.rnd.Intn(len(s.keys))] }

// keysN picks 1..max hot keys (possibly repeated).
func (s *stream) keysN(max int) []string {
	k := 1 + s.rnd.Intn(max)
	out := make([]string, k)
	for i := range out {
		out[i] = s.key()
	}
	return out
}

// cmdName randomises the case of a command name now and then.
func (s *stream) cmdName(name string) string {
	switch s.rnd.Intn(8) {
	case 0:
		return strings.ToLower(name)
	case 1:
		b := []byte(strings.ToLower(name))
		for i := range b {
			if s.rnd.Intn(2) == 0 && b[i] >= 'a' && b[i] <= 'z' {
				b[i] -= 32
			}
		}
		return string(b)
	}
	return name
}

// cmd builds a command with a randomly cased name.
func (s *stream) cmd(name string, args ...string) []string {
	return append([]string{s.cmdName(name)}, args...)
}

// futureS is an absolute Unix time in seconds well in the future (days to months ahead).
func (s *stream) futureS() int64 { return s.nowS + 100000 + int64(s.rnd.Intn(10000000)) }

// pastS is an absolute Unix time in the past.
func (s *stream) pastS() int64 { return s.nowS - 1000 - int64(s.rnd.Intn(1000000)) }

// relS is a relative TTL in seconds, long enough that nothing expires during a test and spread
// wide so that GT/LT comparisons never depend on when exactly a command ran.
func (s *stream) relS() int64 { return 100000 + int64(s.rnd.Intn(10000000)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// concordMaxExpireMs is Concord's deliberate limit on expiry times (2^49 ms after the Unix epoch,
// about the year 19800): a larger one is refused with "ERR invalid expire time", where Redis
// accepts anything up to int64. Streams keep out expiry arguments that Redis would accept as a time
// beyond that limit (with a day of margin); ones that both refuse stay in.
const concordMaxExpireMs = int64(1)<<49 - 86400000

// expireOK reports whether an expiry argument gives the same outcome on Redis and on Concord.
// seconds: the unit is seconds (EX, EXAT, EXPIRE, EXPIREAT, SETEX); relative: it is added to now.
func (s *stream) expireOK(val string, seconds, relative bool) bool {
	v, ok := parseRedisInt(val)
	if !ok {
		return true // not an integer: both refuse
	}
	ms := new(big.Int).Set(v)
	if seconds {
		if v.Cmp(big.NewInt(9223372036854775807/1000)) > 0 {
			return true // Redis refuses: would overflow
		}
		ms.Mul(ms, big.NewInt(1000))
	}
	if relative {
		ms.Add(ms, big.NewInt(s.nowS*1000+100000))
	}
	if !inInt64(ms) {
		return true // Redis refuses: overflow
	}
	return ms.Int64() <= concordMaxExpireMs
}

// forProtocols runs f as subtests resp2 and resp3.
func forProtocols(t *testing.T, f func(t *testing.T, proto int)) {
	for _, proto := range []int{2, 3} {
		proto := proto
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) { f(t, proto) })
	}
}

// dumpState compares the whole keyspace of databases 0..ndb-1 at the end of a stream: the key set,
// and each key's type, value and TTL class.
func (s *stream) dumpState(ndb int) {
	s.t.Helper()
	for db := 0; db < ndb; db++ {
		s.do("SELECT", itoa(int64(db)))
		keys := s.doCmp(cmpSorted, "KEYS", "*")
		names := keys.Strings()
		for _, k := range names {
			typ := s.do("TYPE", k)
			switch typ.Str {
			case "string":
				s.do("GET", k)
			case "list":
				s.do("LRANGE", k, "0", "-1")
			case "set":
				s.doCmp(cmpSorted, "SMEMBERS", k)
			case "hash":
				s.doCmp(cmpPairs, "HGETALL", k)
			case "zset":
				s.do("ZRANGE", k, "0", "-1", "WITHSCORES")
			}
			s.doCmp(cmpTTL, "TTL", k)
		}
	}
	s.do("SELECT", "0")
}

// otherTypeCommands are the commands the wrong-type and other-type streams use to create keys of
// the collection types.
var otherTypeCommands = []string{"RPUSH", "SADD", "HSET", "ZADD"}

// needTargetCommands skips a stream whose commands the target does not implement yet, naming
// them; the stream runs again by itself as soon as the target has them (COMMAND INFO answers).
func needTargetCommands(t *testing.T, p *pair, names ...string) {
	t.Helper()
	c := p.tgt.Dial(t)
	var missing []string
	for _, name := range names {
		r := c.DoReply("COMMAND", "INFO", name)
		if len(r.Elems) != 1 || r.Elems[0].Null {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Skipf("the target does not implement %v yet (collections are a later milestone)", missing)
	}
}
