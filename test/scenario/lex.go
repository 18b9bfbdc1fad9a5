package scenario

import (
	"errors"
	"strings"
)

// splitLine separates one line into its command part and its expected-reply part (after the
// first "=>" word outside quotes) and drops a trailing comment (a "#" that starts a word
// outside quotes, as in a shell). hasReply reports whether "=>" was present.
func splitLine(line string) (cmd, reply string, hasReply bool, err error) {
	var quote byte // the open quote character, 0 outside quotes
	replyStart := -1
	end := len(line)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		if quote != 0 {
			switch {
			case ch == '\\' && quote == '"':
				i++ // the escaped character cannot close the quote
			case ch == quote:
				quote = 0
			}
			continue
		}
		wordStart := i == 0 || isSpace(line[i-1])
		switch {
		case ch == '"' || (ch == '\'' && replyStart < 0):
			// Single quotes are shell quoting in commands; in replies ' is an ordinary character.
			quote = ch
		case ch == '\\' && replyStart < 0:
			i++
		case ch == '#' && wordStart:
			end = i
			i = len(line)
		case ch == '=' && wordStart && replyStart < 0 && strings.HasPrefix(line[i:], "=>") &&
			(i+2 == len(line) || isSpace(line[i+2])):
			replyStart = i
			i++
		}
	}
	if quote != 0 {
		return "", "", false, errors.New("unterminated quote")
	}
	if replyStart < 0 {
		return strings.TrimSpace(line[:end]), "", false, nil
	}
	return strings.TrimSpace(line[:replyStart]), strings.TrimSpace(line[replyStart+2 : end]), true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// splitArgs splits a command into arguments as a POSIX shell does for words: whitespace
// separates, double quotes group (inside them \" and \\ are escapes and any other backslash is
// kept), single quotes group literally, and outside quotes a backslash escapes the next
// character. An empty quoted string is an empty argument.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case isSpace(ch):
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '"':
			inWord = true
			closed := false
			for i++; i < len(s); i++ {
				c := s[i]
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
					c = s[i]
				}
				cur.WriteByte(c)
			}
			if !closed {
				return nil, errors.New("unterminated double quote")
			}
		case ch == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case ch == '\\':
			inWord = true
			if i+1 == len(s) {
				return nil, errors.New("backslash at the end of the command")
			}
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(ch)
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
