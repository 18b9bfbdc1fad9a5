// Package rawconn reads and writes plain TCP connections with raw system calls on
// non-blocking sockets, waiting through Go's netpoller only when a socket is not ready.
//
// Why: net.Conn's Read and Write enter the scheduler's syscall state around every read(2) and
// write(2). A member runs with io-threads 1 (GOMAXPROCS=1) by default, and the runtime's sysmon
// thread then takes the only P away from any read or write it sees in progress on two of its
// ticks in a row (at least 20 µs, which a loopback write that wakes the peer, or a vCPU
// preempted by the host, easily lasts), hands it to another thread, and keeps polling every
// 20 µs because it found work; a syscall made while sysmon sleeps deeply also wakes it. Measured
// on client connections at -P 16 that made ~10 % of the server's CPU time sysmon sleeps and
// thread switches, and on peer links as much again on every member. A raw call on a
// non-blocking socket never blocks, so keeping the P through it is what Redis's
// single-threaded event loop does too.
//
// The client connections (internal/server) and the peer links (internal/replication) use it;
// TLS connections and anything that is not a *net.TCPConn keep net.Conn.
package rawconn
