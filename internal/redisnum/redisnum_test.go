package redisnum

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"testing/quick"
)

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		// The cases of Redis's own string2ll unit test.
		{"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"01", 0, false},
		{"-1", -1, true}, {"0", 0, true}, {"1", 1, true}, {"99", 99, true}, {"-99", -99, true},
		{"-9223372036854775808", math.MinInt64, true}, {"-9223372036854775809", 0, false},
		{"9223372036854775807", math.MaxInt64, true}, {"9223372036854775808", 0, false},
		// More edges.
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"00", 0, false}, {"1a", 0, false},
		{"18446744073709551615", 0, false}, {"18446744073709551616", 0, false},
		{"184467440737095516150", 0, false}, {"1\x00", 0, false}, {"1e3", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if got2, ok2 := ParseIntString(tc.in); got2 != got || ok2 != ok {
			t.Errorf("ParseIntString(%q) = %d, %v; want %d, %v", tc.in, got2, ok2, got, ok)
		}
	}
}

// TestParseIntCaptured checks INCRBY on a missing key (the argument path) and on a key SET to
// the same string (the stored value path); both are string2ll in Redis 7.0.
func TestParseIntCaptured(t *testing.T) {
	for _, row := range readCaptured(t, "parseint.txt", 3) {
		in := unq(t, row[0])
		want := errReply(ErrNotInteger)
		if v, ok := ParseInt([]byte(in)); ok {
			want = ":" + strconv.FormatInt(v, 10)
		}
		if row[1] != want || row[2] != want {
			t.Errorf("ParseInt(%q): emulated reply %s, redis %s and %s", in, want, row[1], row[2])
		}
	}
}

// ParseInt accepts exactly the canonical decimal form of an int64.
func TestParseIntCanonicalProperty(t *testing.T) {
	f := func(v int64) bool {
		got, ok := ParseInt([]byte(strconv.FormatInt(v, 10)))
		return ok && got == v
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
	r := rand.New(rand.NewSource(1))
	alphabet := "-+0123456789 x"
	for i := 0; i < 200000; i++ {
		b := make([]byte, 1+r.Intn(21))
		for j := range b {
			b[j] = alphabet[r.Intn(len(alphabet))]
		}
		v, ok := ParseInt(b)
		if ok != (strconv.FormatInt(v, 10) == string(b)) {
			t.Fatalf("ParseInt(%q) = %d, %v", b, v, ok)
		}
	}
}

func TestParseFloat(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {"+1", 1, true}, {".5", 0.5, true}, {"5.", 5, true},
		{"00012", 12, true}, {"1e3", 1000, true}, {"1E+3", 1000, true}, {"-0", negZero, true},
		{"0x10", 16, true}, {"0x1p3", 8, true}, {"0X1.8P1", 3, true}, {"0x.8", 0.5, true},
		{"inf", math.Inf(1), true}, {"+inf", math.Inf(1), true}, {"-inf", math.Inf(-1), true},
		{"infinity", math.Inf(1), true}, {"-INFINITY", math.Inf(-1), true}, {"Inf", math.Inf(1), true},
		{"4.9e-324", 5e-324, true}, {"2.5e-324", 5e-324, true}, {"0x1p-1074", 5e-324, true},
		{"1.7976931348623157e308", math.MaxFloat64, true}, {"0e99999999999999999999", 0, true},
		// Rejected.
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"\t1", 0, false}, {"1\x00", 0, false},
		{"nan", 0, false}, {"-nan", 0, false}, {"NaN", 0, false}, {"nan(1)", 0, false},
		{".", 0, false}, {"-", 0, false}, {"+", 0, false}, {"e1", 0, false}, {"1e", 0, false},
		{"1e+", 0, false}, {"0x", 0, false}, {"0x1p", 0, false}, {"infin", 0, false},
		{"1_0", 0, false}, {"1,5", 0, false}, {"abc", 0, false},
		{"1e400", 0, false}, {"-1e400", 0, false}, {"1.7976931348623159e308", 0, false},
		{"1e-400", 0, false}, {"2.4e-324", 0, false}, {"0x1p-1075", 0, false},
		{"1e99999999999999999999", 0, false}, {"1e-99999999999999999999", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseFloat([]byte(tc.in))
		if ok != tc.ok || math.Float64bits(got) != math.Float64bits(tc.want) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// ParseFloat reads back every double in shortest, %.17g and hexadecimal form.
func TestParseFloatRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 100000; i++ {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		for _, s := range []string{strconv.FormatFloat(f, 'g', -1, 64), FormatDouble(f), strconv.FormatFloat(f, 'x', -1, 64)} {
			got, ok := ParseFloat([]byte(s))
			if !ok || math.Float64bits(got) != math.Float64bits(f) {
				t.Fatalf("ParseFloat(%q) = %v, %v; want %v", s, got, ok, f)
			}
		}
	}
}

// TestZIncrByCaptured replays ZINCRBY z a m; ZINCRBY z b m (string2d, double addition and
// addReplyDouble).
func TestZIncrByCaptured(t *testing.T) {
	const errNaN = "ERR resulting score is not a number (NaN)"
	for _, row := range readCaptured(t, "zincrby.txt", 4) {
		a, b := unq(t, row[0]), unq(t, row[1])
		exists := false
		var score float64
		want1 := errReply(ErrNotFloat)
		if v, ok := ParseFloat([]byte(a)); ok {
			exists, score = true, v
			want1 = bulk(FormatDouble(v))
			// A small sorted set is a listpack, where Redis 7.0 stores -0 as 0.
			if score == 0 {
				score = 0
			}
		}
		want2 := errReply(ErrNotFloat)
		if v, ok := ParseFloat([]byte(b)); ok {
			if exists {
				v += score
			}
			if math.IsNaN(v) {
				want2 = errReply(errNaN)
			} else {
				want2 = bulk(FormatDouble(v))
			}
		}
		if row[2] != want1 || row[3] != want2 {
			t.Errorf("ZINCRBY %q then %q: emulated %s %s, redis %s %s", a, b, want1, want2, row[2], row[3])
		}
	}
}

func TestParseRangeFloat(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"", 0, true}, {"\x00", 0, true}, {"1\x00x", 1, true}, {" 1", 1, true}, {"\t\n\v\f\r -1", -1, true},
		{"1e400", math.Inf(1), true}, {"-1e400", math.Inf(-1), true}, {"1e-400", 0, true},
		{"-1e-400", negZero, true}, {"inf", math.Inf(1), true}, {"-inf", math.Inf(-1), true},
		{"0x1p1", 2, true}, {"5e-324", 5e-324, true},
		{" ", 0, false}, {"1 ", 0, false}, {"+ 1", 0, false}, {"nan", 0, false}, {"(1", 0, false},
		{"-", 0, false}, {".", 0, false}, {"1e", 0, false}, {"x", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseRangeFloat([]byte(tc.in))
		if ok != tc.ok || math.Float64bits(got) != math.Float64bits(tc.want) {
			t.Errorf("ParseRangeFloat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestParseRangeFloatCaptured replays ZCOUNT with one bound under test, on a sorted set with
// known scores.
func TestParseRangeFloatCaptured(t *testing.T) {
	scores := []float64{math.Inf(-1), -1e300, -1, -0.5, -5e-324, 0, 5e-324, 0.5, 1, 2, 1e300, math.Inf(1)}
	parse := func(s string) (v float64, ex, ok bool) {
		if strings.HasPrefix(s, "(") {
			s, ex = s[1:], true
		}
		v, ok = ParseRangeFloat([]byte(s))
		return v, ex, ok
	}
	zcount := func(min, max string) string {
		lo, loex, ok1 := parse(min)
		hi, hiex, ok2 := parse(max)
		if !ok1 || !ok2 {
			return errReply(ErrMinMaxNotFloat)
		}
		n := 0
		for _, s := range scores {
			if (s > lo || !loex && s == lo) && (s < hi || !hiex && s == hi) {
				n++
			}
		}
		return ":" + strconv.Itoa(n)
	}
	for _, row := range readCaptured(t, "zcount.txt", 3) {
		b := unq(t, row[0])
		if got := zcount(b, "+inf"); got != row[1] {
			t.Errorf("ZCOUNT z %q +inf: emulated %s, redis %s", b, got, row[1])
		}
		if got := zcount("-inf", b); got != row[2] {
			t.Errorf("ZCOUNT z -inf %q: emulated %s, redis %s", b, got, row[2])
		}
	}
}

func TestFormatDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1, "1"}, {-1.5, "-1.5"},
		{0.1, "0.10000000000000001"}, {1e16, "10000000000000000"}, {1e17, "1e+17"},
		{1e-4, "0.0001"}, {1e-5, "1.0000000000000001e-05"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{5e-324, "4.9406564584124654e-324"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{123456789012345678, "1.2345678901234568e+17"}, {12345678901234567, "12345678901234568"},
		{math.NaN(), "nan"},
	}
	for _, tc := range tests {
		if got := FormatDouble(tc.in); got != tc.want {
			t.Errorf("FormatDouble(%v) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatDistance: expected values captured from glibc 2.36 printf("%.4f") on x86-64.
func TestFormatDistance(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0000"}, {math.Copysign(0, -1), "-0.0000"}, {166274.15156960033, "166274.1516"},
		{0.00005, "0.0001"}, {0.00015, "0.0001"}, {1.00005, "1.0001"}, {2.5e-5, "0.0000"},
		{0.12345, "0.1235"}, {1e20, "100000000000000000000.0000"}, {-3.14159, "-3.1416"},
		{123.45675, "123.4567"}, {0.000049999, "0.0000"}, {12345678.99995, "12345678.9999"},
		{1e-10, "0.0000"}, {5e-5, "0.0001"}, {1.5e-4, "0.0001"}, {0x1.0001p-14, "0.0001"},
		{math.Inf(1), "inf"},
	}
	for _, tc := range tests {
		if got := FormatDistance(tc.in); got != tc.want {
			t.Errorf("FormatDistance(%v) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatHumanDoubleCaptured checks GEOPOS coordinates: each printed coordinate reads back
// as the double Redis printed, which must print the same way.
func TestFormatHumanDoubleCaptured(t *testing.T) {
	for _, row := range readCaptured(t, "geopos.txt", 1) {
		inner := strings.TrimSuffix(strings.TrimPrefix(row[0], "[["), "]]")
		for _, q := range strings.Split(inner, ",") {
			s := unq(t, q)
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := FormatHumanDouble(f); got != s {
				t.Errorf("FormatHumanDouble(%v) = %q; redis printed %q", f, got, s)
			}
		}
	}
}

// TestIncrByFloatCaptured replays INCRBYFLOAT and HINCRBYFLOAT as Redis 7.0 runs them.
func TestIncrByFloatCaptured(t *testing.T) {
	incrbyfloat := func(initial *string, incr string) string {
		var cur LongDouble
		if initial != nil {
			v, ok := ParseLongDouble([]byte(*initial))
			if !ok {
				return errReply(ErrNotFloat)
			}
			cur = v
		}
		inc, ok := ParseLongDouble([]byte(incr))
		if !ok {
			return errReply(ErrNotFloat)
		}
		v := cur.Add(inc)
		if v.IsNaN() || v.IsInf() {
			return errReply(ErrIncrNaNOrInf)
		}
		return bulk(FormatLongDouble(v, LDStrHuman))
	}
	hincrbyfloat := func(initial *string, incr string) string {
		inc, ok := ParseLongDouble([]byte(incr))
		if !ok {
			return errReply(ErrNotFloat)
		}
		if inc.IsNaN() || inc.IsInf() {
			return errReply(ErrValueNaNOrInf)
		}
		var cur LongDouble
		if initial != nil {
			v, ok := ParseLongDouble([]byte(*initial))
			if !ok {
				return errReply(ErrHashValueNotFloat)
			}
			cur = v
		}
		v := cur.Add(inc)
		if v.IsNaN() || v.IsInf() {
			return errReply(ErrIncrNaNOrInf)
		}
		return bulk(FormatLongDouble(v, LDStrHuman))
	}
	rows := readCaptured(t, "incrbyfloat.txt", 4)
	for _, row := range rows {
		var initial *string
		if row[1] != "nil" {
			s := unq(t, row[1])
			initial = &s
		}
		incr := unq(t, row[2])
		var got string
		switch row[0] {
		case "incrbyfloat":
			got = incrbyfloat(initial, incr)
		case "hincrbyfloat":
			got = hincrbyfloat(initial, incr)
		default:
			t.Fatalf("unknown command %q", row[0])
		}
		if got != row[3] {
			t.Errorf("%s %s %s: emulated %.200s, redis %.200s", row[0], row[1], row[2], got, row[3])
		}
	}
}

func TestParseLongDouble(t *testing.T) {
	tests := []struct {
		in   string
		want string // LDStrAuto, or "" when rejected
	}{
		{"1", "1"}, {"0.1", "0.1"}, {"+.5", "0.5"}, {"-0", "-0"},
		{"1e4000", "1e+4000"}, {"1e4932", "1e+4932"}, {"1.2e4932", ""}, {"1e-4940", "9.9999999999605325e-4941"},
		{"0x1p-16445", "3.6451995318824746e-4951"}, {"0x1p-16446", ""}, {"0x1.8p-16446", "3.6451995318824746e-4951"},
		{"1e-5000", ""}, {"inf", "inf"}, {"-Infinity", "-inf"}, {"nan", ""}, {"", ""}, {" 1", ""},
		{"1 ", ""}, {"1\x00", ""}, {"0x10", "16"}, {"1e", ""},
		{"1." + strings.Repeat("0", 5117), "1"}, {"1." + strings.Repeat("0", 5118), ""},
	}
	for _, tc := range tests {
		x, ok := ParseLongDouble([]byte(tc.in))
		got := ""
		if ok {
			got = FormatLongDouble(x, LDStrAuto)
		}
		if got != tc.want {
			t.Errorf("ParseLongDouble(%.40q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatLongDoubleAuto: expected values captured from glibc 2.36 printf("%.17Lg") on
// x86-64, the inputs converted by strtold. (No Redis 7.0 command replies with LD_STR_AUTO.)
func TestFormatLongDoubleAuto(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"}, {"-0", "-0"}, {"1", "1"}, {"-1", "-1"}, {"0.1", "0.1"}, {"10.5", "10.5"},
		{"1e16", "10000000000000000"}, {"1e17", "1e+17"}, {"123456789012345678", "1.2345678901234568e+17"},
		{"12345678901234567", "12345678901234567"}, {"1e-4", "0.0001"}, {"1e-5", "1e-05"},
		{"0.00012345678901234567891", "0.00012345678901234568"}, {"3.14159265358979323846", "3.1415926535897932"},
		{"1e4932", "1e+4932"}, {"1.18973149535723176502e4932", "1.1897314953572318e+4932"},
		{"-2.5e-300", "-2.5e-300"}, {"0x1p-16445", "3.6451995318824746e-4951"},
		{"0x1p-16382", "3.3621031431120935e-4932"}, {"1e-4940", "9.9999999999605325e-4941"},
		{"100", "100"}, {"1e100", "1e+100"}, {"9.99999999999999999999e16", "1e+17"},
		{"99999999999999999", "99999999999999999"}, {"0.3", "0.3"}, {"2.5", "2.5"},
		{"-123.456e-7", "-1.23456e-05"}, {"6.02214076e23", "6.02214076e+23"},
	}
	for _, tc := range tests {
		x, ok := ParseLongDouble([]byte(tc.in))
		if !ok {
			t.Fatalf("ParseLongDouble(%q) failed", tc.in)
		}
		if got := FormatLongDouble(x, LDStrAuto); got != tc.want {
			t.Errorf("FormatLongDouble(%s, LDStrAuto) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestLongDoubleArithmetic(t *testing.T) {
	p := func(s string) LongDouble {
		x, ok := ParseLongDouble([]byte(s))
		if !ok {
			t.Fatalf("ParseLongDouble(%q) failed", s)
		}
		return x
	}
	human := func(x LongDouble) string { return FormatLongDouble(x, LDStrHuman) }

	if got := human(p("10.5").Add(p("0.1"))); got != "10.6" {
		t.Errorf("10.5+0.1 = %s", got)
	}
	if got := p("1.1e4932").Add(p("1.1e4932")); !got.IsInf() || got.Signbit() {
		t.Errorf("1.1e4932*2 = %s, want +Inf", human(got))
	}
	if got := p("-1.1e4932").Add(p("-1.1e4932")); !got.IsInf() || !got.Signbit() {
		t.Errorf("-1.1e4932*2 = %s, want -Inf", human(got))
	}
	if got := p("inf").Add(p("-inf")); !got.IsNaN() || got.IsInf() {
		t.Errorf("inf-inf = %s, want NaN", human(got))
	}
	if got := FormatLongDouble(p("inf").Add(p("1")), LDStrHuman); got != "inf" {
		t.Errorf("inf+1 = %s", got)
	}
	// Subnormals add exactly.
	if got := FormatLongDouble(p("0x1p-16445").Add(p("0x1p-16445")), LDStrAuto); got != "7.2903990637649492e-4951" {
		t.Errorf("2*min subnormal = %s", got)
	}
	// Zero signs: -0 + -0 = -0 (shown as "0" by LD_STR_HUMAN), x + -x = +0.
	z := p("-0").Add(p("-0"))
	if !z.Signbit() || human(z) != "0" || FormatLongDouble(z, LDStrAuto) != "-0" {
		t.Errorf("-0 + -0 = %s / %s", human(z), FormatLongDouble(z, LDStrAuto))
	}
	if z := p("1.5").Add(p("-1.5")); z.Signbit() {
		t.Errorf("1.5 + -1.5 is negative zero")
	}
	// Integers convert exactly, including the extremes (64 mantissa bits).
	if got := human(LongDoubleFromInt64(math.MinInt64).Add(LongDoubleFromInt64(-1))); got != "-9223372036854775809" {
		t.Errorf("MinInt64-1 = %s", got)
	}
	if got := human(LongDoubleFromInt64(math.MaxInt64)); got != "9223372036854775807" {
		t.Errorf("MaxInt64 = %s", got)
	}
	if got := LongDoubleFromFloat64(0.1).Float64(); got != 0.1 {
		t.Errorf("Float64 round trip = %v", got)
	}
	var zero LongDouble
	if human(zero) != "0" || zero.IsInf() || zero.IsNaN() || zero.Signbit() {
		t.Errorf("zero value is not +0")
	}
	if !LongDoubleFromFloat64(math.NaN()).IsNaN() || human(LongDoubleFromFloat64(math.NaN())) != "nan" {
		t.Errorf("NaN")
	}
}

func BenchmarkParseFloat(b *testing.B) {
	in := []byte("3.14159265358979")
	for i := 0; i < b.N; i++ {
		ParseFloat(in)
	}
}

func BenchmarkIncrByFloat(b *testing.B) {
	cur, incr := []byte("10.5"), []byte("0.1")
	for i := 0; i < b.N; i++ {
		x, _ := ParseLongDouble(cur)
		y, _ := ParseLongDouble(incr)
		_ = FormatLongDouble(x.Add(y), LDStrHuman)
	}
}
