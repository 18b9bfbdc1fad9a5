package resp

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestFormatDouble(t *testing.T) {
	// Expected texts: C printf("%.17g") (glibc), which redis-server 7.0.15
	// also returned for these values as ZSCORE replies.
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{-1, "-1"},
		{0.1, "0.10000000000000001"},
		{0.3, "0.29999999999999999"},
		{0.5, "0.5"},
		{1.5, "1.5"},
		{2.5, "2.5"},
		{100, "100"},
		{123.456, "123.456"},
		{3.141592653589793, "3.1415926535897931"},
		{1e-5, "1.0000000000000001e-05"},
		{1e-4, "0.0001"},
		{0.00012345, "0.00012344999999999999"},
		{0.000099999999999999991, "9.9999999999999991e-05"},
		{123e-20, "1.23e-18"},
		{-2.5e-10, "-2.5000000000000002e-10"},
		{1e15, "1000000000000000"},
		{1e16, "10000000000000000"},
		{12345678901234567, "12345678901234568"},
		{9007199254740993, "9007199254740992"},
		{4503599627370497.5, "4503599627370498"},
		{1e17, "1e+17"},
		{99999999999999999, "1e+17"},
		{123456789012345678, "1.2345678901234568e+17"},
		{1e21, "1e+21"},
		{1.5e300, "1.5000000000000001e+300"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{2.2250738585072014e-308, "2.2250738585072014e-308"},
		{1e-310, "9.9999999999999694e-311"},
		{5e-324, "4.9406564584124654e-324"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{math.Copysign(math.NaN(), -1), "-nan"},
	} {
		if got := FormatDouble(c.f); got != c.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

// TestFormatDoubleVectors checks thousands of values (random bit patterns,
// decimals, integers, powers of 10 and 2) against glibc's "%.17g".
func TestFormatDoubleVectors(t *testing.T) {
	f, err := os.Open("testdata/doubles.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		hex, want, ok := strings.Cut(line, " ")
		bits, err := strconv.ParseUint(hex, 16, 64)
		if !ok || err != nil {
			t.Fatalf("bad line %q", line)
		}
		x := math.Float64frombits(bits)
		if got := FormatDouble(x); got != want {
			t.Errorf("FormatDouble(%#016x = %g) = %q, want %q", bits, x, got, want)
		}
		n++
	}
	if n < 3000 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestAppendDoubleDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(1000, func() {
		buf = AppendDouble(buf[:0], 1.2345678901234567e-123)
	})
	if allocs != 0 {
		t.Errorf("AppendDouble allocates %v times", allocs)
	}
}
