//go:build !linux

package oplog

// prefault does nothing where MADV_POPULATE_WRITE does not exist: pages fault in as appends
// touch them.
func prefault([]byte) {}
