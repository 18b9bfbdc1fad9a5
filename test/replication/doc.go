// Package replication tests active-active replication with real member processes on loopback:
// convergence, relaying around a cut link, restart with full resync, refused secrets, pub/sub
// across members and concurrent counters. Every peer link goes through an internal/wanproxy
// proxy owned by the test, so that links can be cut, healed and moved.
package replication
