package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// ErrCrashed is returned by every FaultFS operation after the simulated crash point: the
// process is considered dead, nothing more reaches the disk.
var ErrCrashed = errors.New("faultfs: crashed")

// ErrInjected is the error of an injected fault (failed fsync, short write).
var ErrInjected = errors.New("faultfs: injected fault")

// FaultFS is an in-memory filesystem for tests that injects faults and simulates crashes. It
// tracks what an operating system would keep: after a process crash (kill -9) everything
// written stays; after a power loss (PowerLoss) only what was fsynced, and only the directory
// entries made durable by SyncDir.
type FaultFS struct {
	mu      sync.Mutex
	live    map[string]*inode // path → file, as the running system sees it
	durable map[string]*inode // path → file, as a power loss would leave it
	ops     int

	// CrashAt, when > 0, makes the CrashAt-th operation (counted from 1) and every later one
	// fail with ErrCrashed; a crashing write first writes half of its bytes (a torn write).
	CrashAt int
	// FailSyncs makes the next n file Syncs fail (the data stays unsynced).
	FailSyncs int
	// ShortWrites makes the next n writes write half of their bytes and fail.
	ShortWrites int
}

type inode struct {
	data, synced []byte
}

// NewFaultFS returns an empty filesystem.
func NewFaultFS() *FaultFS {
	return &FaultFS{live: map[string]*inode{}, durable: map[string]*inode{}}
}

// Ops is the number of operations performed so far (to choose CrashAt points).
func (f *FaultFS) Ops() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops
}

// Restart clears the crash point and the injected faults: a new process on the same disk.
func (f *FaultFS) Restart() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.CrashAt, f.FailSyncs, f.ShortWrites, f.ops = 0, 0, 0, 0
}

// PowerLoss drops everything that was not made durable, then restarts.
func (f *FaultFS) PowerLoss() {
	f.mu.Lock()
	live := map[string]*inode{}
	for name, ino := range f.durable {
		ino.data = slices.Clone(ino.synced)
		live[name] = ino
	}
	f.live = live
	f.mu.Unlock()
	f.Restart()
}

// step counts an operation and reports whether the process has crashed at it.
func (f *FaultFS) step() bool {
	f.ops++
	return f.CrashAt > 0 && f.ops >= f.CrashAt
}

// Bytes returns the live content of a file (nil if missing), for tests.
func (f *FaultFS) Bytes(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ino := f.live[filepath.Clean(name)]; ino != nil {
		return slices.Clone(ino.data)
	}
	return nil
}

// SetBytes replaces a file's content (live and durable), for tests that corrupt files.
func (f *FaultFS) SetBytes(name string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ino := &inode{data: slices.Clone(data), synced: slices.Clone(data)}
	f.live[filepath.Clean(name)] = ino
	f.durable[filepath.Clean(name)] = ino
}

type faultFile struct {
	fs     *FaultFS
	ino    *inode
	name   string
	closed bool
}

func (f *faultFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.fs.step() {
		n := len(p) / 2
		f.ino.data = append(f.ino.data, p[:n]...)
		return n, ErrCrashed
	}
	if f.fs.ShortWrites > 0 {
		f.fs.ShortWrites--
		n := len(p) / 2
		f.ino.data = append(f.ino.data, p[:n]...)
		return n, fmt.Errorf("write %s: %w (short write)", f.name, ErrInjected)
	}
	f.ino.data = append(f.ino.data, p...)
	return len(p), nil
}

func (f *faultFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.fs.step() {
		return ErrCrashed
	}
	if f.fs.FailSyncs > 0 {
		f.fs.FailSyncs--
		return fmt.Errorf("fsync %s: %w", f.name, ErrInjected)
	}
	f.ino.synced = slices.Clone(f.ino.data)
	return nil
}

func (f *faultFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.fs.step() {
		return ErrCrashed
	}
	if size < int64(len(f.ino.data)) {
		f.ino.data = f.ino.data[:size]
	}
	return nil
}

func (f *faultFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.closed = true
	return nil
}

func (f *FaultFS) open(name string, trunc bool) (File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.step() {
		return nil, ErrCrashed
	}
	name = filepath.Clean(name)
	ino := f.live[name]
	if ino == nil || trunc {
		ino = &inode{}
		f.live[name] = ino
	}
	return &faultFile{fs: f, ino: ino, name: name}, nil
}

// Append opens name for appending.
func (f *FaultFS) Append(name string) (File, error) { return f.open(name, false) }

// Create creates or truncates name (a new inode: the old one stays where it is durable).
func (f *FaultFS) Create(name string) (File, error) { return f.open(name, true) }

// ReadFile returns a copy of the live content.
func (f *FaultFS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.CrashAt > 0 && f.ops >= f.CrashAt {
		return nil, ErrCrashed
	}
	ino := f.live[filepath.Clean(name)]
	if ino == nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	return slices.Clone(ino.data), nil
}

// Rename moves a live entry.
func (f *FaultFS) Rename(oldname, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.step() {
		return ErrCrashed
	}
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	ino := f.live[oldname]
	if ino == nil {
		return &os.PathError{Op: "rename", Path: oldname, Err: os.ErrNotExist}
	}
	delete(f.live, oldname)
	f.live[newname] = ino
	return nil
}

// Remove removes a live entry (missing: no error).
func (f *FaultFS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.step() {
		return ErrCrashed
	}
	delete(f.live, filepath.Clean(name))
	return nil
}

// Truncate cuts a file.
func (f *FaultFS) Truncate(name string, size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.step() {
		return ErrCrashed
	}
	ino := f.live[filepath.Clean(name)]
	if ino == nil {
		return &os.PathError{Op: "truncate", Path: name, Err: os.ErrNotExist}
	}
	if size < int64(len(ino.data)) {
		ino.data = ino.data[:size]
	}
	return nil
}

// SyncDir makes the live entries of dir durable.
func (f *FaultFS) SyncDir(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.step() {
		return ErrCrashed
	}
	dir = filepath.Clean(dir)
	for name := range f.durable {
		if filepath.Dir(name) == dir {
			delete(f.durable, name)
		}
	}
	for name, ino := range f.live {
		if filepath.Dir(name) == dir {
			f.durable[name] = ino
		}
	}
	return nil
}

// List lists the live entries directly in dir.
func (f *FaultFS) List(dir string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir = filepath.Clean(dir)
	var out []string
	for name := range f.live {
		if filepath.Dir(name) == dir && !strings.Contains(name[len(dir):], "/../") {
			out = append(out, filepath.Base(name))
		}
	}
	slices.Sort(out)
	return out, nil
}
