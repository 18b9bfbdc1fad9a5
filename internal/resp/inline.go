package resp

import "bytes"

// Inline commands: a request that does not start with '*' is a single line
// split into arguments the way Redis's sdssplitargs does it.

// isCSpace reports whether c is a space in the C locale (isspace).
func isCSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexDigitValue(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// splitInline splits line into arguments exactly like Redis 7.0's
// sdssplitargs and appends each argument's [start, end) offsets (relative
// to line, plus base) to offs.
//
// The unescaped arguments are written back into line itself: every input
// byte produces at most one output byte, so the write position never passes
// the read position and the arguments can alias the line. Redis works on
// C strings: the line ends at its first NUL byte, if any (the Reader never
// passes one: a line with a NUL never completes).
//
// ok is false when the quotes are unbalanced (or a closing quote is not
// followed by a space), the "unbalanced quotes in request" error.
func splitInline(line []byte, base int, offs []int) (_ []int, ok bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	n := len(line)
	at := func(i int) byte {
		if i < n {
			return line[i]
		}
		return 0
	}
	p, w := 0, 0
	for {
		// Skip blanks.
		for p < n && isCSpace(line[p]) {
			p++
		}
		if p >= n {
			return offs, true
		}
		inq, insq, done := false, false, false
		start := w
		for !done {
			c := at(p)
			switch {
			case inq:
				if c == '\\' && at(p+1) == 'x' && isHexDigit(at(p+2)) && isHexDigit(at(p+3)) {
					line[w] = hexDigitValue(line[p+2])<<4 | hexDigitValue(line[p+3])
					w++
					p += 3
				} else if c == '\\' && at(p+1) != 0 {
					p++
					switch e := line[p]; e {
					case 'n':
						line[w] = '\n'
					case 'r':
						line[w] = '\r'
					case 't':
						line[w] = '\t'
					case 'b':
						line[w] = '\b'
					case 'a':
						line[w] = '\a'
					default:
						line[w] = e
					}
					w++
				} else if c == '"' {
					// The closing quote must be followed by a space or
					// nothing at all.
					if nx := at(p + 1); nx != 0 && !isCSpace(nx) {
						return offs, false
					}
					done = true
				} else if c == 0 {
					return offs, false // unterminated quotes
				} else {
					line[w] = c
					w++
				}
			case insq:
				if c == '\\' && at(p+1) == '\'' {
					p++
					line[w] = '\''
					w++
				} else if c == '\'' {
					if nx := at(p + 1); nx != 0 && !isCSpace(nx) {
						return offs, false
					}
					done = true
				} else if c == 0 {
					return offs, false
				} else {
					line[w] = c
					w++
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					line[w] = c
					w++
				}
			}
			if at(p) != 0 {
				p++
			}
		}
		offs = append(offs, base+start, base+w)
	}
}
