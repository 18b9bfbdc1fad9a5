// Package replication tests active-active replication with real member processes on loopback:
// convergence, relaying around a cut link, restart with full resync, refused secrets, pub/sub
// across members and concurrent counters. Every peer link goes through a small TCP proxy owned
// by the test, so that links can be cut and healed.
package replication
