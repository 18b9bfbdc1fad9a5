package script

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzStr2Number: str2number never panics, accepts what Go's ParseFloat accepts of plain
// decimals, and agrees with it on them.
func FuzzStr2Number(f *testing.F) {
	for _, s := range []string{"10", " 0x1p4 ", "1e", "-inf", "nan(abc)", "0x", ".5", "5.", "1\x00x", "- 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := str2number(s)
		plain := s != "" && strings.Trim(s, "0123456789") == ""
		if plain {
			want, err := strconv.ParseFloat(s, 64)
			if err == nil && (!ok || got != want) {
				t.Fatalf("str2number(%q) = %v, %v; want %v", s, got, ok, want)
			}
		}
	})
}

// FuzzLibraryErrors runs string.format, tonumber and select on fuzzed arguments: whatever the
// input, the reply is a value or a Lua error, never an internal error (a Go panic recovered).
func FuzzLibraryErrors(f *testing.F) {
	for _, s := range []string{"%d", "%5.2s", "%q", "%-----d", "%123d", "%", "%y", "ff", "#"} {
		f.Add(s, "12", int64(16))
	}
	r := New(nil)
	h := &cannedHost{}
	f.Fuzz(func(t *testing.T, format, arg string, base int64) {
		q := func(s string) string { return strconv.Quote(s) }
		for _, body := range []string{
			"return string.format(" + q(format) + ", " + q(arg) + ", 1.5, -3)",
			"return tonumber(" + q(arg) + ", " + strconv.FormatInt(base, 10) + ")",
			"return tonumber(" + q(format) + ")",
			"return select(" + q(arg) + ", 1, 2)",
		} {
			if got := eval(t, r, h, 2, body); strings.Contains(got, "internal error") {
				t.Fatalf("%s: %q", body, got)
			}
		}
	})
}
