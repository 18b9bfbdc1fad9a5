package resp

import "github.com/concord-db/concord/internal/redisnum"

// FormatDouble returns the text Redis 7.0's addReplyDouble uses for f:
// "inf" and "-inf" for infinities, otherwise the output of C's
// printf("%.17g", f) (glibc), e.g. "0", "-0", "0.10000000000000001",
// "1.0000000000000001e-05", "1.2345678901234568e+17", "nan".
// The formatting itself belongs to package redisnum.
func FormatDouble(f float64) string { return redisnum.FormatDouble(f) }

// AppendDouble appends FormatDouble(f) to dst without allocating.
func AppendDouble(dst []byte, f float64) []byte { return redisnum.AppendDouble(dst, f) }
