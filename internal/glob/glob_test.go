package glob

import (
	"bytes"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"time"
)

type matchCase struct {
	pattern, s string
	nocase     bool
	want       bool
}

// matchCases were checked against redis-server 7.0.15 (KEYS for nocase=false,
// CONFIG GET-style matching for nocase=true); TestAgainstRedis re-checks the
// case-sensitive ones whenever redis-server is installed.
var matchCases = []matchCase{
	// literals and '?'
	{"", "", false, true},
	{"", "a", false, false},
	{"a", "", false, false},
	{"abc", "abc", false, true},
	{"abc", "abcd", false, false},
	{"abcd", "abc", false, false},
	{"a?c", "abc", false, true},
	{"a?c", "ac", false, false},
	{"???", "ab", false, false},
	{"?", "\xff", false, true},
	// '*'
	{"*", "", false, false}, // Redis quirk: "*" does not match the empty string
	{"**", "", false, false},
	{"*", "anything", false, true},
	{"a*", "a", false, true},
	{"a**", "a", false, true},
	{"*a", "a", false, true},
	{"a*b", "ab", false, true},
	{"a*b", "axxxb", false, true},
	{"a*b", "axxxbc", false, false},
	{"a*b*c", "abbbcbc", false, true},
	{"*b*", "abc", false, true},
	{"*x*", "abc", false, false},
	{"h*llo", "hello", false, true},
	{"h*llo", "heeeello", false, true},
	{"h*llo", "hllo", false, true},
	{"a*?", "a", false, false},
	{"a*?", "ab", false, true},
	// classes
	{"h[ae]llo", "hello", false, true},
	{"h[ae]llo", "hallo", false, true},
	{"h[ae]llo", "hillo", false, false},
	{"h[^e]llo", "hallo", false, true},
	{"h[^e]llo", "hello", false, false},
	{"h[a-b]llo", "hbllo", false, true},
	{"h[a-b]llo", "hcllo", false, false},
	{"h[b-a]llo", "hallo", false, true}, // reversed range
	{"[z-a]", "m", false, true},
	{"[a-]", "-", false, false}, // the range a-] (swapped to ]-a), then unterminated
	{"[a-]", "a", false, true},
	{"[a-]", "_", false, true},
	{"[-a]", "-", false, true},
	{"[]]", "]", false, false}, // "[]" is an empty class, then a literal ']'
	{"[]]", "]]", false, false},
	{"[]", "a", false, false},
	{"[^]", "a", false, true},
	{"[^]a", "xa", false, true},
	{"[\\]]", "]", false, true},
	{"[\\-]", "-", false, true},
	{"[a\\-z]", "b", false, false},
	{"[a\\-z]", "-", false, true},
	{"[*]", "*", false, true},
	{"[*]", "a", false, false},
	{"[?]", "?", false, true},
	{"[abc", "a", false, true}, // unterminated class runs to the end
	{"[abc", "d", false, false},
	{"[abc", "ab", false, false},
	{"[", "[", false, false},
	{"[", "a", false, false},
	{"[^", "a", false, true},
	{"[^", "", false, false},
	{"a[", "a", false, false},
	{"[a-", "b", false, false},
	{"[a-", "-", false, true},
	{"[\\", "\\", false, true},
	{"[\\", "a", false, false},
	{"[a-c]*", "b", false, true},
	// escapes
	{"\\*", "*", false, true},
	{"\\*", "a", false, false},
	{"\\?", "?", false, true},
	{"\\[a]", "[a]", false, true},
	{"\\a", "a", false, true},
	{"a\\", "a\\", false, true}, // trailing backslash is literal
	{"\\", "\\", false, true},
	{"\\\\", "\\", false, true},
	{"*\\*", "abc*", false, true},
	// binary and signed-char ranges (x86-64)
	{"\x00", "\x00", false, true},
	{"a\x00b", "a\x00b", false, true},
	{"*\x00*", "xx\x00yy", false, true},
	{"[\x80-\xff]", "\x90", false, true},
	{"[a-\xff]", "\xff", false, true},
	{"[a-\xff]", "\x00", false, true},
	{"[a-\xff]", "b", false, false},
	{"[a-\xff]", "\x90", false, false},
	{"[\x01-\x7f]", "\x80", false, false},
	// nocase
	{"HELLO", "hello", true, true},
	{"HELLO", "hello", false, false},
	{"h?LLO", "HeLlo", true, true},
	{"[A-C]", "b", true, true},
	{"[a-c]", "B", true, true},
	{"[A-C]", "b", false, false},
	{"[^A]", "a", true, false},
	{"[\\A]", "a", true, false}, // escaped class members are compared exactly
	{"\\A", "a", true, true},
	{"\xc4", "\xe4", true, false}, // only ASCII folds
	{"*PORT", "tls-port", true, true},
	{"[Z-a]", "_", false, true},
	{"[Z-a]", "_", true, false}, // nocase folds the bounds: [z-a] -> 'a'..'z'
}

func TestMatch(t *testing.T) {
	for _, tc := range matchCases {
		if got := MatchString(tc.pattern, tc.s, tc.nocase); got != tc.want {
			t.Errorf("MatchString(%q, %q, %v) = %v, want %v", tc.pattern, tc.s, tc.nocase, got, tc.want)
		}
		if got := Match([]byte(tc.pattern), []byte(tc.s), tc.nocase); got != tc.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", tc.pattern, tc.s, tc.nocase, got, tc.want)
		}
	}
}

// TestPathological: without the skipLongerMatches pruning these take
// exponential time.
func TestPathological(t *testing.T) {
	long := strings.Repeat("a", 100000)
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{strings.Repeat("a*", 30) + "b", strings.Repeat("a", 500), false},
		{strings.Repeat("*a", 50) + "*b", long, false},
		{strings.Repeat("a*", 50) + "a", long, true},
		{"*" + strings.Repeat("?*", 40) + "b", long, false},
		{strings.Repeat("[a-z]*", 40) + "b", strings.Repeat("ab", 2000) + "c", false},
	}
	for _, tc := range cases {
		start := time.Now()
		got := MatchString(tc.pattern, tc.s, false)
		if got != tc.want {
			t.Errorf("pattern %.20q...: got %v, want %v", tc.pattern, got, tc.want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("pattern %.20q... took %v", tc.pattern, d)
		}
	}
}

// TestNestingLimit: more than 1000 nested '*' fail, as in Redis, even where a
// plain matcher would succeed; the call stack stays bounded.
func TestNestingLimit(t *testing.T) {
	n := 1001
	s := strings.Repeat("a", n+1)
	if !MatchString(strings.Repeat("a*", 999)+"a", s, false) {
		t.Error("999 stars: expected a match")
	}
	if MatchString(strings.Repeat("a*", n+1)+"a", s+"a", false) {
		t.Error("1002 stars: expected the nesting limit to fail the match")
	}
	// Stars that are collapsed ("**") do not count as nesting.
	if !MatchString("a"+strings.Repeat("*", 5000)+"a", "aba", false) {
		t.Error("collapsed stars: expected a match")
	}
}

// refMatch is the same algorithm without the pruning and without the nesting
// limit, memoized so that it stays polynomial: the pruning must never change
// a result when fewer than 1000 stars nest.
func refMatch(pattern, str []byte, nocase bool) bool {
	type key struct{ p, s int }
	if len(str) == 0 {
		return len(pattern) == 0 // the match loop never runs
	}
	memo := map[key]bool{}
	var rec func(pattern, str []byte) bool
	rec = func(pattern, str []byte) bool {
		k := key{len(pattern), len(str)}
		if v, ok := memo[k]; ok {
			return v
		}
		skip := false
		// Use the real matcher for everything but '*' by giving it a
		// pattern without stars, or recurse by hand at the first star.
		i := firstTopLevelStar(pattern)
		var res bool
		if i < 0 {
			res = match(pattern, str, nocase, &skip, 0)
		} else {
			// Match the star-free prefix byte by byte through the real
			// matcher: the prefix must consume exactly some prefix of str.
			prefix := pattern[:i]
			rest := pattern[i:]
			for n := 0; n <= len(str); n++ {
				skip = false
				if (len(prefix) == 0 && n == 0) || (n > 0 && match(prefix, str[:n], nocase, &skip, 0)) {
					if starRest(rest, str[n:], rec) {
						res = true
						break
					}
				}
			}
		}
		memo[k] = res
		return res
	}
	return rec(pattern, str)
}

// starRest matches str against rest, which starts with a '*', following the
// Redis loop: collapse stars, a lone final star matches, otherwise try every
// non-empty suffix (the loop runs while the string is non-empty).
func starRest(rest, str []byte, rec func(p, s []byte) bool) bool {
	for len(rest) > 1 && rest[1] == '*' {
		rest = rest[1:]
	}
	if len(str) == 0 {
		// The caller reached here with the string exhausted: Redis skips
		// the trailing stars and succeeds only if nothing else is left.
		return len(bytes.TrimLeft(rest, "*")) == 0
	}
	if len(rest) == 1 {
		return true
	}
	for j := 0; j < len(str); j++ {
		if rec(rest[1:], str[j:]) {
			return true
		}
	}
	return false
}

// firstTopLevelStar returns the index of the first '*' that the matcher
// would treat as a wildcard, or -1. It walks the pattern like the matcher
// does, skipping escapes and classes.
func firstTopLevelStar(p []byte) int {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
			return i
		case '\\':
			if i+1 < len(p) {
				i++
			}
		case '[':
			// A class: in Redis it ends at the first unescaped ']' or
			// runs to the end of the pattern.
			j := i + 1
			if j < len(p) && p[j] == '^' {
				j++
			}
			for j < len(p) {
				if p[j] == '\\' && len(p)-j >= 2 {
					j += 2
					continue
				}
				if p[j] == ']' {
					break
				}
				if len(p)-j >= 3 && p[j+1] == '-' {
					j += 3
					continue
				}
				j++
			}
			i = j
		}
	}
	return -1
}

func countStars(p []byte) int { return bytes.Count(p, []byte("*")) }

func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alpha := []byte("ab*?[]^-\\\x00\xff")
	for i := 0; i < 200000; i++ {
		p := randBytes(rng, alpha, rng.Intn(10))
		s := randBytes(rng, []byte("ab*?[]-\\\x00\xff"), rng.Intn(10))
		nocase := rng.Intn(2) == 0
		if got, want := Match(p, s, nocase), refMatch(p, s, nocase); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v, reference says %v", p, s, nocase, got, want)
		}
	}
}

func randBytes(rng *rand.Rand, alpha []byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.Intn(len(alpha))]
	}
	return b
}

// TestAgainstRegexp checks well-formed patterns against an independent
// translation to regular expressions.
func TestAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	type tok struct{ glob, re string }
	toks := []tok{
		{"a", "a"}, {"b", "b"}, {"c", "c"}, {"?", "."}, {"*", ".*"},
		{"[ab]", "[ab]"}, {"[^a]", "[^a]"}, {"[a-b]", "[a-b]"}, {"[c-a]", "[a-c]"},
		{"\\*", "\\*"}, {"\\a", "a"}, {"[\\]]", "\\]"}, {"*", ".*"},
	}
	for i := 0; i < 100000; i++ {
		var g, r strings.Builder
		for n := rng.Intn(8); n > 0; n-- {
			tk := toks[rng.Intn(len(toks))]
			g.WriteString(tk.glob)
			r.WriteString(tk.re)
		}
		re := regexp.MustCompile(`^(?s:` + r.String() + `)$`)
		s := string(randBytes(rng, []byte("abc*]"), 1+rng.Intn(8)))
		if got, want := MatchString(g.String(), s, false), re.MatchString(s); got != want {
			t.Fatalf("MatchString(%q, %q) = %v, regexp %s says %v", g.String(), s, got, re, want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, tc := range matchCases {
		f.Add([]byte(tc.pattern), []byte(tc.s), tc.nocase)
	}
	f.Add([]byte(strings.Repeat("a*", 1100)+"b"), []byte(strings.Repeat("a", 2000)), false)
	f.Fuzz(func(t *testing.T, p, s []byte, nocase bool) {
		got := Match(p, s, nocase)
		if len(p) > 64 || len(s) > 64 || countStars(p) >= maxNesting {
			return // the reference is only polynomial for small inputs
		}
		if want := refMatch(p, s, nocase); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v, reference says %v", p, s, nocase, got, want)
		}
	})
}
