// Package compat holds the differential tests: the same seeded command streams are sent to
// redis-server and to Concord, and the replies must be byte-identical.
//
// Run:
//
//	go test ./test/compat/                                  # against Concord (built from ./cmd/concord)
//	CONCORD_DIFF_AGAINST=redis go test ./test/compat/        # redis-server vs redis-server: validates the harness
//	go test ./test/compat/ -run 'TestCompatStrings' -seed 42 # another seed (or CONCORD_DIFF_SEED=42)
//	go test ./test/compat/ -count-scale 10                   # 10x longer streams (or CONCORD_DIFF_SCALE=10)
//
// A mismatch prints the seed, the command index, the command, both replies and the preceding 20
// commands, with a command line that replays exactly that stream.
package compat
