package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/concord-db/concord/internal/persist"
)

const checkAOFUsage = `Usage: concord check-aof [--fix] FILE

Checks a Concord append-only file (appendonly.aof.N): framing, checksums and every batch's
encoding. With --fix, after confirming, truncates the file at the end of the last good record;
the records after it are lost, so keep a copy of the file first.
`

// checkAOF is `concord check-aof [--fix] FILE`, the counterpart of redis-check-aof. Exit status:
// 0 when the file is valid (or was fixed), 1 when it is not, 2 for a usage error.
func checkAOF(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fix := false
	var file string
	for _, a := range args {
		switch {
		case a == "--fix":
			fix = true
		case a == "-h" || a == "--help":
			fmt.Fprint(stdout, checkAOFUsage)
			return 0
		case strings.HasPrefix(a, "-") || file != "":
			fmt.Fprint(stderr, checkAOFUsage)
			return 2
		default:
			file = a
		}
	}
	if file == "" {
		fmt.Fprint(stderr, checkAOFUsage)
		return 2
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "Cannot read %s: %v\n", file, err)
		return 1
	}
	res := persist.CheckAOF(data)
	if res.Problem == nil {
		fmt.Fprintf(stdout, "AOF %s is valid: %d records, %d bytes\n", file, res.Records, res.Size)
		return 0
	}
	kind := "corrupt"
	if errors.Is(res.Problem, persist.ErrTruncated) {
		kind = "truncated"
	}
	fmt.Fprintf(stdout, "AOF %s is %s at offset %d: %v\n", file, kind, res.Good, res.Problem)
	fmt.Fprintf(stdout, "%d valid records in the first %d bytes; %d bytes after them\n", res.Records, res.Good, res.Size-res.Good)
	if !fix {
		fmt.Fprintf(stdout, "Run `concord check-aof --fix %s` to truncate it at offset %d.\n", file, res.Good)
		return 1
	}
	fmt.Fprintf(stdout, "This will shrink the AOF from %d bytes, with %d bytes, to %d bytes\nContinue? [y/N]: ", res.Size, res.Size-res.Good, res.Good)
	answer, _ := bufio.NewReader(stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		fmt.Fprintln(stdout, "Aborting...")
		return 1
	}
	if err := os.Truncate(file, res.Good); err != nil {
		fmt.Fprintf(stderr, "Failed to truncate AOF: %v\n", err)
		return 1
	}
	if f, err := os.OpenFile(file, os.O_WRONLY, 0); err == nil {
		_ = f.Sync()
		f.Close()
	}
	fmt.Fprintln(stdout, "Successfully truncated AOF")
	return 0
}
