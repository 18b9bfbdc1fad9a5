#!/usr/bin/env bash
# Compare Concord's throughput with redis-server's, on this machine, in the same run.
#
# Both servers are started by this script on free loopback ports, and redis-benchmark is run
# against them ALTERNATING (redis, concord, redis, concord, ...) for ROUNDS rounds, so that drift
# in the machine's load affects both alike. The report is a markdown table of the median
# requests/s per test and the ratio Concord/Redis; rows below 0.8 are marked.
#
# Usage: bench/compare.sh [options]
#   -r N          rounds (default 3; env BENCH_ROUNDS)
#   -n N          requests per test at -P 1; pipelined runs use N*P/2 (default 100000; env BENCH_REQUESTS)
#   -c N          parallel clients (default 50; env BENCH_CLIENTS)
#   -t LIST       redis-benchmark tests (default set,get,incr,mset; env BENCH_TESTS); lpop and rpop
#                 pop what lpush/rpush pushed earlier in the same run (redis-benchmark runs its tests
#                 in a fixed order, pushes first), so lpush is added when neither push test is listed.
#                 Issue 3's collection rows: -t sadd,hset,zadd,lpush,lpop,lrange_100
#   -x LIST       extra tests appended to -t, e.g. sadd,hset,lpush,zadd (env BENCH_EXTRA_TESTS)
#   -P LIST       pipeline depths, space or comma separated (default "1 16"; env BENCH_PIPELINES)
#   -k N          keyspace size for -r of redis-benchmark (default 100000; env BENCH_KEYSPACE)
#   -b PATH       use this Concord binary instead of building ./cmd/concord (env CONCORD_BIN)
#   -o FILE       also write the markdown report to FILE
#   -h            help
# Env BENCH_AGAINST=redis runs a second redis-server in Concord's place (to check the script).
# Env BENCH_THRESHOLD (default 0.8) sets the ratio under which rows are marked.
set -euo pipefail

ROUNDS=${BENCH_ROUNDS:-3}
REQUESTS=${BENCH_REQUESTS:-100000}
CLIENTS=${BENCH_CLIENTS:-50}
TESTS=${BENCH_TESTS:-set,get,incr,mset}
EXTRA_TESTS=${BENCH_EXTRA_TESTS:-}
PIPELINES=${BENCH_PIPELINES:-"1 16"}
KEYSPACE=${BENCH_KEYSPACE:-100000}
THRESHOLD=${BENCH_THRESHOLD:-0.8}
CONCORD_BIN=${CONCORD_BIN:-}
OUT=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while getopts "r:n:c:t:x:P:k:b:o:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	n) REQUESTS=$OPTARG ;;
	c) CLIENTS=$OPTARG ;;
	t) TESTS=$OPTARG ;;
	x) EXTRA_TESTS=$OPTARG ;;
	P) PIPELINES=$OPTARG ;;
	k) KEYSPACE=$OPTARG ;;
	b) CONCORD_BIN=$OPTARG ;;
	o) OUT=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
PIPELINES=${PIPELINES//,/ }
if [[ -n $EXTRA_TESTS ]]; then
	TESTS="$TESTS,$EXTRA_TESTS"
fi
# Without a push test before them, LPOP and RPOP would time pops of an empty list (nil replies).
tests_lc=",${TESTS,,},"
if [[ $tests_lc =~ ,(lpop|rpop), && ! $tests_lc =~ ,(lpush|rpush), ]]; then
	echo "compare.sh: adding lpush to the tests so that lpop/rpop pop what it pushed" >&2
	TESTS="lpush,$TESTS"
fi

for tool in redis-server redis-benchmark redis-cli; do
	if ! command -v "$tool" >/dev/null; then
		echo "compare.sh: $tool not found on PATH (apt-get install redis-server redis-tools)" >&2
		exit 1
	fi
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/concord-bench.XXXXXX")
REDIS_PID=""
CONCORD_PID=""
BENCH_PID=""

cleanup() {
	local pid
	if [[ -n $BENCH_PID ]]; then
		kill "$BENCH_PID" 2>/dev/null || true
	fi
	for pid in "$REDIS_PID" "$CONCORD_PID"; do
		if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -9 "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port prints a loopback TCP port nobody listens on.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "compare.sh: no free port found" >&2
	return 1
}

# wait_ready PORT PID LOG waits until the server answers PING.
wait_ready() {
	local port=$1 pid=$2 log=$3
	for _ in $(seq 200); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "compare.sh: the server on port $port exited; its log:" >&2
			cat "$log" >&2
			exit 1
		fi
		if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
			return 0
		fi
		sleep 0.05
	done
	echo "compare.sh: the server on port $port did not answer PING within 10 s; its log:" >&2
	cat "$log" >&2
	exit 1
}

start_redis() { # start_redis NAME -> sets LAST_PID, LAST_PORT
	local name=$1 port
	port=$(free_port)
	mkdir -p "$WORK/$name"
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/$name" \
		--daemonize no --logfile "" >"$WORK/$name.log" 2>&1 &
	LAST_PID=$!
	LAST_PORT=$port
	wait_ready "$port" "$LAST_PID" "$WORK/$name.log"
}

echo "== starting servers"
start_redis redis
REDIS_PID=$LAST_PID
REDIS_PORT=$LAST_PORT
CONCORD_NAME=concord
if [[ ${BENCH_AGAINST:-} == redis ]]; then
	CONCORD_NAME="redis#2 (BENCH_AGAINST=redis)"
	start_redis redis2
	CONCORD_PID=$LAST_PID
	CONCORD_PORT=$LAST_PORT
else
	if [[ -z $CONCORD_BIN ]]; then
		echo "== building ./cmd/concord"
		(cd "$ROOT" && go build -o "$WORK/concord" ./cmd/concord)
		CONCORD_BIN=$WORK/concord
	fi
	CONCORD_PORT=$(free_port)
	mkdir -p "$WORK/concord-data"
	"$CONCORD_BIN" start --bind 127.0.0.1 --port "$CONCORD_PORT" --dir "$WORK/concord-data" --save "" --appendonly no >"$WORK/concord.log" 2>&1 &
	CONCORD_PID=$!
	wait_ready "$CONCORD_PORT" "$CONCORD_PID" "$WORK/concord.log"
fi
echo "redis-server on port $REDIS_PORT, $CONCORD_NAME on port $CONCORD_PORT"
echo "tests: $TESTS; clients: $CLIENTS; pipelines: $PIPELINES; rounds: $ROUNDS; requests at -P 1: $REQUESTS; cores: $(nproc)"

RESULTS=$WORK/results.csv # server,pipeline,round,test,rps
: >"$RESULTS"

run_bench() { # run_bench SERVER PORT PIPELINE ROUND
	local server=$1 port=$2 pipe=$3 round=$4 n out
	n=$REQUESTS
	if ((pipe > 1)); then
		n=$((REQUESTS * pipe / 2))
	fi
	redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null
	# in the background, so that a signal interrupts the wait and the trap cleans up at once
	redis-benchmark -h 127.0.0.1 -p "$port" -q --csv -t "$TESTS" -c "$CLIENTS" -n "$n" -P "$pipe" -r "$KEYSPACE" \
		>"$WORK/bench.out" 2>&1 &
	BENCH_PID=$!
	if ! wait "$BENCH_PID"; then
		BENCH_PID=""
		echo "compare.sh: redis-benchmark failed against $server (port $port):" >&2
		cat "$WORK/bench.out" >&2
		exit 1
	fi
	BENCH_PID=""
	out=$(cat "$WORK/bench.out")
	# "SET","43103.45",... ; the header starts with "test"
	echo "$out" | awk -F'","' -v s="$server" -v p="$pipe" -v r="$round" '
		/^"test"/ { next }
		NF >= 2 { t = $1; sub(/^"/, "", t); printf "%s,%s,%s,%s,%s\n", s, p, r, t, $2 }' >>"$RESULTS"
	echo "$out" | awk -F'","' -v s="$server" -v p="$pipe" -v r="$round" '
		/^"test"/ { next }
		NF >= 2 { t = $1; sub(/^"/, "", t); printf "  round %s  %-8s -P %-3s %-16s %12s req/s\n", r, s, p, t, $2 }'
}

for round in $(seq "$ROUNDS"); do
	echo "== round $round/$ROUNDS"
	for pipe in $PIPELINES; do
		run_bench redis "$REDIS_PORT" "$pipe" "$round"
		run_bench concord "$CONCORD_PORT" "$pipe" "$round"
	done
done

# median SERVER PIPELINE TEST
median() {
	awk -F, -v s="$1" -v p="$2" -v t="$3" '$1 == s && $2 == p && $4 == t { print $5 }' "$RESULTS" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) { print "" } else if (NR % 2) { print v[(NR + 1) / 2] } else { printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

REPORT=$WORK/report.md
{
	echo
	echo "### Concord vs Redis: median requests/s over $ROUNDS alternating rounds"
	echo
	echo "redis-benchmark -c $CLIENTS -r $KEYSPACE, -n $REQUESTS at -P 1 (N*P/2 when pipelined); $(nproc) cores; redis-server $(redis-server --version | sed -n "s/.*v=\([0-9.]*\).*/\1/p")"
	echo
	echo "| test | -P | redis req/s | concord req/s | concord/redis | |"
	echo "|---|---:|---:|---:|---:|---|"
	mapfile -t test_names < <(awk -F, '{ print $4 }' "$RESULTS" | awk '!seen[$0]++')
	for pipe in $PIPELINES; do
		for t in "${test_names[@]}"; do
			r=$(median redis "$pipe" "$t")
			c=$(median concord "$pipe" "$t")
			if [[ -z $r || -z $c ]]; then
				echo "| $t | $pipe | ${r:-n/a} | ${c:-n/a} | n/a | **missing** |"
				continue
			fi
			awk -v t="$t" -v p="$pipe" -v r="$r" -v c="$c" -v th="$THRESHOLD" 'BEGIN {
				ratio = (r > 0) ? c / r : 0
				mark = (ratio < th) ? "**below " th "**" : ""
				printf "| %s | %s | %.0f | %.0f | %.3f | %s |\n", t, p, r, c, ratio, mark
			}'
		done
	done
} | tee "$REPORT"
if [[ -n $OUT ]]; then
	cp "$REPORT" "$OUT"
	echo
	echo "report written to $OUT"
fi
