// Package glob is a port of Redis 7.0's glob-style matcher, stringmatchlen()
// in src/util.c, used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and others.
//
// The port keeps Redis's behaviour byte for byte, including its corner cases:
//
//   - '*' matches any run of bytes, '?' exactly one byte.
//   - "[abc]", "[^abc]" and ranges "[a-z]" match one byte; a reversed range
//     such as "[z-a]" is swapped into "[a-z]"; "\x" inside a class matches x
//     literally (case-sensitively, even when nocase is set).
//   - An unterminated class ("[abc") runs to the end of the pattern.
//   - "\x" outside a class matches x literally; a trailing lone backslash
//     matches a backslash.
//   - An empty string is matched only by the empty pattern: the match loop
//     runs while both pattern and string have bytes left, so "*" does not
//     match "". (KEYS * and SCAN without MATCH special-case "*" before
//     calling the matcher; callers that need that must do the same.)
//   - Range bounds and the tested byte are compared as signed 8-bit values,
//     as a C char is on x86-64: "[a-\xff]" is the range -1..'a', which holds
//     0xff and 0x00-'a' but not 'b' or 0x80-0xfe. (On arm64 Linux, where
//     char is unsigned, Redis behaves differently; we follow x86-64.)
//   - nocase folds only ASCII A-Z (the C locale's tolower).
//
// Redis 7.0.9+ protects against patterns such as "a*a*a*a*...b" in two
// ways, both ported here: a '*' that failed to match the rest of the pattern
// at every position sets skipLongerMatches, which makes the enclosing '*'
// give up at once instead of retrying longer prefixes, and recursion deeper
// than 1000 nested '*' fails the match.
package glob

// maxNesting is Redis's limit on nested '*' recursion ("Protection against
// abusive patterns").
const maxNesting = 1000

// Match reports whether s matches the glob pattern, with Redis's semantics.
// With nocase, ASCII letters compare case-insensitively.
func Match(pattern, s []byte, nocase bool) bool {
	skip := false
	return match(pattern, s, nocase, &skip, 0)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	skip := false
	return match([]byte(pattern), []byte(s), nocase, &skip, 0)
}

// at returns p[i], or 0 past the end: Redis's strings are NUL-terminated,
// and stringmatchlen reads that terminator in a few places.
func at(p []byte, i int) byte {
	if i < len(p) {
		return p[i]
	}
	return 0
}

// lower is the C locale's tolower on a char value.
func lower(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// schar converts a byte to a signed C char value.
func schar(b byte) int { return int(int8(b)) }

func match(pattern, str []byte, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > maxNesting {
		return false
	}
	p, s := 0, 0 // indexes into pattern and str
	plen, slen := len(pattern), len(str)
	for plen > 0 && slen > 0 {
		switch pattern[p] {
		case '*':
			for plen > 0 && at(pattern, p+1) == '*' {
				p++
				plen--
			}
			if plen == 1 {
				return true
			}
			for slen > 0 {
				if match(pattern[p+1:p+plen], str[s:s+slen], nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
				slen--
			}
			// No match for the rest of the pattern anywhere in the rest of
			// the string: earlier '*' cannot do better by matching more.
			*skipLonger = true
			return false
		case '?':
			s++
			slen--
		case '[':
			p++
			plen--
			not := at(pattern, p) == '^'
			if not {
				p++
				plen--
			}
			matched := false
			for {
				if at(pattern, p) == '\\' && plen >= 2 {
					p++
					plen--
					if pattern[p] == str[s] {
						matched = true
					}
				} else if at(pattern, p) == ']' {
					break
				} else if plen == 0 {
					p--
					plen++
					break
				} else if plen >= 3 && pattern[p+1] == '-' {
					start := schar(pattern[p])
					end := schar(pattern[p+2])
					c := schar(str[s])
					if start > end {
						start, end = end, start
					}
					if nocase {
						start = lower(start)
						end = lower(end)
						c = lower(c)
					}
					p += 2
					plen -= 2
					if c >= start && c <= end {
						matched = true
					}
				} else {
					if !nocase {
						if pattern[p] == str[s] {
							matched = true
						}
					} else if lower(schar(pattern[p])) == lower(schar(str[s])) {
						matched = true
					}
				}
				p++
				plen--
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s++
			slen--
		case '\\':
			if plen >= 2 {
				p++
				plen--
			}
			fallthrough
		default:
			if !nocase {
				if pattern[p] != str[s] {
					return false
				}
			} else if lower(schar(pattern[p])) != lower(schar(str[s])) {
				return false
			}
			s++
			slen--
		}
		p++
		plen--
		if slen == 0 {
			for at(pattern, p) == '*' && plen > 0 {
				p++
				plen--
			}
			break
		}
	}
	return plen == 0 && slen == 0
}
