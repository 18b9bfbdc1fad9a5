//go:build capture

package redisnum

// Capture generators: they send random and hand-picked inputs to a real redis-server 7.0 and
// write its replies to testdata/, which the ordinary unit tests then check line by line.
// They were run once against redis-server 7.0.15:
//
//	redis-server --port 16397 --save '' --appendonly no --daemonize yes
//	go test -tags capture -run TestCapture ./internal/redisnum/ -args -redis=127.0.0.1:16397
//
// The generators are seeded, so a rerun against the same server rewrites identical files.

import (
	"github.com/concord-db/concord/internal/capture"

	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const captureHeader = "# Captured from redis-server 7.0.15 by capture_test.go (go test -tags capture).\n"

func writeTestdata(t *testing.T, name, columns string, lines []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(captureHeader)
	b.WriteString("# " + columns + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// handNumbers are inputs worth checking whatever the random generator produces.
var handNumbers = []string{
	"0", "1", "-1", "10.5", "0.1", "-0.1", "3.0e3", "2.0e2", "5.0e3", "-5000", "5000", "1e308",
	"1e4000", "1e4932", "-1e4932", "1.18973149535723176502e4932", "1.2e4932", "1e-4940",
	"1e-4950", "1e-5000", "1e5000", "2e-4951", "0x1p-16445", "0x1p-16446", "inf", "+inf",
	"-inf", "infinity", "-Infinity", "INF", "nan", "-nan", "NaN", "0x10", "0x1p3", "0X1.8P1",
	"0x", "0x.8", " 1", "1 ", "+1", "+.5", ".5", "5.", ".", "", "1e", "1e+", "1e-", "00012",
	"-0", "-0.0", "0.0", "+0", "1_000", "1,5", "abc", "1.5abc", "9223372036854775807",
	"9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"18446744073709551616", "123456789012345678901234567890", "0.30000000000000004",
	"3.14159265358979323846264338327950288", "1e-20", "-1e-20", "1e17", "1e18", "1e19",
	"1e20", "1e-5", "1e-4", "0.0001", "0.00001", "1.7976931348623157e308",
	"1.7976931348623159e308", "4.9e-324", "2.4e-324", "2.5e-324", "1e-400", "1e400",
	"-1e400", "0x1p-1074", "0x1p-1075", "0x1.8p-1075", "0e99999999999999999999",
	"1e99999999999999999999", "1e-99999999999999999999", "\t1", "1\n", "1\x00", "1\x002",
	"0.000000000000000005", "-0.000000000000000006", "99999999999999999.5", "1.5e+17",
	"0.99999999999999999999", "12345678901234567.89", "-12345678901234567.89",
}

// randNumber returns a random number-like string, mostly valid.
func randNumber(r *rand.Rand) string {
	switch r.Intn(10) {
	case 0:
		return handNumbers[r.Intn(len(handNumbers))]
	case 1: // integers
		return strconv.FormatInt(r.Int63n(2_000_000)-1_000_000, 10)
	case 2: // short decimals
		return strconv.FormatFloat(float64(r.Intn(200000)-100000)/100, 'f', -1, 64)
	case 3: // random doubles in exponent form
		return strconv.FormatFloat((r.Float64()-0.5)*math.Pow(10, float64(r.Intn(60)-30)), 'g', 1+r.Intn(17), 64)
	case 4: // huge or tiny long doubles
		e := 4900 + r.Intn(40)
		if r.Intn(2) == 0 {
			e = -e - r.Intn(30)
		}
		return fmt.Sprintf("%d.%de%d", 1+r.Intn(9), r.Intn(1000), e)
	case 5: // hexadecimal
		return fmt.Sprintf("%s0x%x.%xp%d", []string{"", "-", "+"}[r.Intn(3)], r.Intn(4096), r.Intn(256), r.Intn(80)-40)
	}
	// Long random decimal strings.
	var b strings.Builder
	if r.Intn(3) == 0 {
		b.WriteByte('-')
	}
	n := 1 + r.Intn(30)
	dot := r.Intn(n + 1)
	for i := 0; i < n; i++ {
		if i == dot {
			b.WriteByte('.')
		}
		b.WriteByte(byte('0' + r.Intn(10)))
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, "e%d", r.Intn(80)-40)
	}
	return b.String()
}

func qs(s string) string { return strconv.Quote(s) }

// TestCaptureIncrByFloat writes testdata/incrbyfloat.txt: INCRBYFLOAT and HINCRBYFLOAT on a
// key or field that is missing ("nil") or set to a value, and the reply.
func TestCaptureIncrByFloat(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(1))
	var lines []string
	one := func(cmd string, initial *string, incr string) string {
		c.Do("DEL", "k")
		var reply string
		if cmd == "incrbyfloat" {
			if initial != nil {
				c.Do("SET", "k", *initial)
			}
			reply = c.Do("INCRBYFLOAT", "k", incr)
		} else {
			if initial != nil {
				c.Do("HSET", "k", "f", *initial)
			}
			reply = c.Do("HINCRBYFLOAT", "k", "f", incr)
		}
		init := "nil"
		if initial != nil {
			init = qs(*initial)
		}
		lines = append(lines, cmd+"\t"+init+"\t"+qs(incr)+"\t"+reply)
		return reply
	}
	str := func(s string) *string { return &s }

	// The examples from the brief and the INCRBYFLOAT documentation.
	one("incrbyfloat", str("10.5"), "0.1")
	one("incrbyfloat", str("3.0e3"), "2.0e2")
	one("incrbyfloat", str("5.0e3"), "-5000")
	one("incrbyfloat", str("1e308"), "1e308")
	one("incrbyfloat", str("1e4932"), "1e4932")
	one("incrbyfloat", str("5.0e3"), "2.0e2")
	for _, h := range handNumbers {
		one("incrbyfloat", nil, h)
		one("incrbyfloat", str(h), "1")
		one("hincrbyfloat", str("1.5"), h)
		one("hincrbyfloat", str(h), "0.25")
	}
	for i := 0; i < 300; i++ {
		a, b := randNumber(r), randNumber(r)
		one([]string{"incrbyfloat", "hincrbyfloat"}[i%2], str(a), b)
	}
	// Chains: the stored value is the formatted previous result, parsed again.
	for i := 0; i < 12; i++ {
		v := randNumber(r)
		incr := []string{"0.1", "0.01", "-0.3", "1e-10", "3.7", randNumber(r)}[r.Intn(6)]
		for j := 0; j < 10; j++ {
			reply := one("incrbyfloat", str(v), incr)
			if !strings.HasPrefix(reply, `"`) {
				break
			}
			v, _ = strconv.Unquote(reply)
		}
	}
	writeTestdata(t, "incrbyfloat.txt", "command, initial value (nil: missing), increment, reply", lines)
}

// TestCaptureZIncrBy writes testdata/zincrby.txt: ZINCRBY a then b on a new sorted set
// member, and both replies. This checks ParseFloat, FormatDouble and double addition.
func TestCaptureZIncrBy(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(2))
	var lines []string
	one := func(a, b string) {
		c.Do("DEL", "z")
		r1 := c.Do("ZINCRBY", "z", a, "m")
		r2 := c.Do("ZINCRBY", "z", b, "m")
		lines = append(lines, qs(a)+"\t"+qs(b)+"\t"+r1+"\t"+r2)
	}
	for _, h := range handNumbers {
		one(h, "0")
	}
	for i := 0; i < 300; i++ {
		one(randNumber(r), randNumber(r))
	}
	for _, p := range [][2]string{{"inf", "-inf"}, {"inf", "inf"}, {"1e308", "1e308"},
		{"-1e308", "-1e308"}, {"0.1", "0.2"}, {"-0", "-0"}, {"-0", "0"}, {"4.9e-324", "-4.9e-324"}} {
		one(p[0], p[1])
	}
	writeTestdata(t, "zincrby.txt", "first increment, second increment, first reply, second reply", lines)
}

// TestCaptureParseInt writes testdata/parseint.txt: INCRBY on a missing key (so the reply is
// the parsed argument) and INCR on a key set to the same string.
func TestCaptureParseInt(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(3))
	inputs := []string{"0", "-0", "00", "01", "-01", "1", "-1", "+1", " 1", "1 ", "", "-",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "18446744073709551615", "18446744073709551616",
		"99999999999999999999", "1e3", "1.0", "0x10", "abc", "12a", "1\x00", "١"}
	for i := 0; i < 120; i++ {
		var s string
		switch r.Intn(4) {
		case 0:
			s = strconv.FormatInt(r.Int63(), 10)
		case 1:
			s = strconv.FormatInt(-r.Int63(), 10)
		case 2:
			s = strconv.FormatInt(r.Int63n(1000)-500, 10)
		default:
			s = randNumber(r)
		}
		inputs = append(inputs, s)
	}
	var lines []string
	for _, s := range inputs {
		c.Do("DEL", "k")
		r1 := c.Do("INCRBY", "k", s)
		c.Do("SET", "k", s)
		r2 := c.Do("INCRBY", "k", "0")
		lines = append(lines, qs(s)+"\t"+r1+"\t"+r2)
	}
	writeTestdata(t, "parseint.txt", "argument, INCRBY missing-key reply, INCRBY 0 on the key SET to it", lines)
}

// rangeScores are the scores of the sorted set ZCOUNT runs on in TestCaptureZCount.
var rangeScores = []string{"-inf", "-1e300", "-1", "-0.5", "-5e-324", "0", "5e-324", "0.5",
	"1", "2", "1e300", "inf"}

// TestCaptureZCount writes testdata/zcount.txt: ZCOUNT z v +inf and ZCOUNT z -inf v on a
// sorted set with the scores rangeScores, checking ParseRangeFloat.
func TestCaptureZCount(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(4))
	c.Do("DEL", "z")
	for i, s := range rangeScores {
		c.Do("ZADD", "z", s, "m"+strconv.Itoa(i))
	}
	inputs := append([]string{"(", "((1", "(-1", "(0", "( 1", "(1e-400", "(-1e-400",
		"(inf", "(-inf", "(nan", " ", "  1", "\t-1", "\n1", "1\x00x", "\x001", "(\x00"}, handNumbers...)
	for i := 0; i < 60; i++ {
		inputs = append(inputs, randNumber(r))
	}
	var lines []string
	for _, s := range inputs {
		lines = append(lines, qs(s)+"\t"+c.Do("ZCOUNT", "z", s, "+inf")+"\t"+c.Do("ZCOUNT", "z", "-inf", s))
	}
	writeTestdata(t, "zcount.txt", "bound, ZCOUNT z bound +inf, ZCOUNT z -inf bound (scores: "+strings.Join(rangeScores, " ")+")", lines)
}

// TestCaptureGeoPos writes testdata/geopos.txt: GEOPOS replies, whose coordinates are doubles
// printed by addReplyHumanLongDouble.
func TestCaptureGeoPos(t *testing.T) {
	c := capture.Dial(t)
	r := rand.New(rand.NewSource(5))
	c.Do("DEL", "g")
	var lines []string
	for i := 0; i < 150; i++ {
		lon := (r.Float64()*2 - 1) * 180
		lat := (r.Float64()*2 - 1) * 85.05112878
		if i < 6 {
			lon, lat = []float64{0, -180, 180, 13.361389, 0.000001, -0.000001}[i], []float64{0, 85.05112878, -85.05112878, 38.115556, 0.000001, -0.000001}[i]
		}
		c.Do("GEOADD", "g", strconv.FormatFloat(lon, 'g', -1, 64), strconv.FormatFloat(lat, 'g', -1, 64), "p")
		lines = append(lines, c.Do("GEOPOS", "g", "p"))
	}
	writeTestdata(t, "geopos.txt", "GEOPOS reply: [[longitude,latitude]]", lines)
}
