// Package scenario runs scenario files (format in testdata/shared/FORMAT.md) against real
// Concord processes on loopback: testdata/shared holds a copy of the specification's
// timelines (../shared/spec/scenarios, kept identical by TestSharedScenariosInSync) and
// testdata/own the project's own, one file per rule of semantics.md that no shared file covers.
//
// Parts:
//
//   - script.go, lex.go, expect.go: the parser of the scenario format (steps, shell-like
//     command splitting, expected replies), and match.go, the matcher of expected replies
//     against RESP replies. They do no I/O and are unit- and fuzz-tested on their own.
//   - cluster.go, info.go: a Cluster starts one `concord start` process per member (ids 1, 2, 3,
//     ... in the order of the members line, each with its own --dir), and one
//     internal/wanproxy proxy per ordered pair of members: member i is configured with
//     `--peer j=<proxy i→j>`, so every connection i opens to j goes through a proxy the runner
//     controls. Convergence is read from INFO crdt (replication.md §5: equal crdt_ovc lines
//     covering every member's crdt_clock).
//   - run.go: executes the steps; scenario_test.go runs every file as a subtest and prints
//     "ok" or the first failing line per file and a summary "N passed, M failed".
//
// Links are paused between syncs. A scenario's timeline says which writes are concurrent:
// everything written between two syncs on different members. With live links, a write on A
// would reach B within a millisecond, before the next line runs on B, and B's command would
// observe it (the scenario "A: SET c 10, B: INCR c => 6" would get 11). So the runner keeps
// every link paused (wanproxy holds the bytes, losing nothing and closing no connection) and
// opens them only inside sync: `sync` resumes every link that is not cut, waits until every
// member is converged, and pauses them again; `sync A B` resumes only the links among A and
// B (the others stay paused, which is the scenario's "cut meanwhile": nothing crosses them)
// and waits until A and B are converged with each other. `cut A B` closes the A–B connections
// and refuses new ones until `heal`, so a following sync must converge by relaying through
// the other members; `heal` lifts cuts and leaves links paused until the next sync. Before the
// first step the runner waits until every member reports every peer link connected, then
// pauses, so no step waits for a link's first dial or its retry backoff.
//
// `restart NAME` kills the process with SIGKILL and starts it again with the same ports and
// data directory; its links reconnect through the same proxies.
//
// Details of the format that FORMAT.md leaves open, as this runner reads them: a "#" starts a
// comment where it starts a word outside quotes (as in a shell), so steps may end with one;
// commands also accept single quotes (literal) and a backslash outside quotes; expected
// strings also accept \r and \t; inside arrays, {...}, ~N and * may be nested like [...], and
// a bulk string that reads like one of those ("*", "~1", "nil") is written quoted; "same"
// fails when the members' identical replies are errors (an error reply is never a value).
//
// Environment:
//
//	CONCORD_SCENARIOS=DIR              run the *.scn files of DIR instead of testdata/shared and testdata/own
//	CONCORD_SCENARIO_LATENCY=80ms      one-way latency of every peer link (default 0)
//	CONCORD_SCENARIO_JITTER=20ms       random extra delay per link (default 0)
//	CONCORD_SCENARIO_SYNC_TIMEOUT=30s  how long a sync may take before the scenario fails
//	CONCORD_BIN=/path/to/concord       use this binary instead of building ./cmd/concord
package scenario
