package redisnum

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readCaptured reads a testdata file written by a capture generator (capture_test.go): one
// case a line, fields separated by tabs, '#' lines are comments.
func readCaptured(t *testing.T, name string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		row := strings.Split(line, "\t")
		if len(row) != fields {
			t.Fatalf("%s: %d fields in %q", name, len(row), line)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return rows
}

// unq decodes a quoted bulk-string field.
func unq(t *testing.T, field string) string {
	t.Helper()
	s, err := strconv.Unquote(field)
	if err != nil {
		t.Fatalf("bad quoted field %q", field)
	}
	return s
}

// bulk encodes a bulk-string reply as the capture files do.
func bulk(s string) string { return strconv.Quote(s) }

// errReply encodes an error reply as the capture files do.
func errReply(text string) string { return "-" + text }
