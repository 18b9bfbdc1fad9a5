//go:build !linux

package persist

// heldSync is the Linux fdatasync without releasing the processor (heldsync_linux.go);
// elsewhere the caller uses f.Sync.
func heldSync(File) (ok bool, err error) { return false, nil }
