package testserver

import "fmt"

func sprintf(format string, args ...any) string {
	s := fmt.Sprintf(format, args...)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
