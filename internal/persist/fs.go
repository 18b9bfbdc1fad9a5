package persist

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
)

// File is an open file being written: an append-only file or a snapshot's temporary file.
type File interface {
	Write(p []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// FS is every filesystem operation persistence makes, so that tests can inject faults (short
// writes, failed fsyncs, crashes between steps) with FaultFS. Names are full paths.
type FS interface {
	// Append opens name for appending, creating it if needed.
	Append(name string) (File, error)
	// Create creates or truncates name for writing.
	Create(name string) (File, error)
	// ReadFile returns the whole content of name (os.ErrNotExist wrapped when it is missing).
	ReadFile(name string) ([]byte, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	Truncate(name string, size int64) error
	// SyncDir makes the directory's entries (creations, renames, removals) durable.
	SyncDir(dir string) error
	// List returns the names (not paths) of the entries of dir, sorted.
	List(dir string) ([]string, error)
}

// OSFS is the real filesystem.
type OSFS struct{}

// Append opens name with O_APPEND.
func (OSFS) Append(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

// Create opens name truncated.
func (OSFS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
}

// ReadFile reads name.
func (OSFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// Rename renames atomically (same directory).
func (OSFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// Remove removes name; a missing file is not an error.
func (OSFS) Remove(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Truncate cuts name to size bytes.
func (OSFS) Truncate(name string, size int64) error { return os.Truncate(name, size) }

// SyncDir fsyncs the directory.
func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// List lists dir.
func (OSFS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names, nil
}

// join is filepath.Join, named for readability at call sites.
func join(dir, name string) string { return filepath.Join(dir, name) }
