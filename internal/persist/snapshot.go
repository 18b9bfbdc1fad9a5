package persist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"

	"github.com/concord-db/concord/internal/engine"
)

// Snapshot format: see the package doc.
const (
	snapMagic     = "CNCD"
	snapVersion   = 1
	snapHeaderLen = 8 + 8 + 8 // magic, version, 3 reserved; created ms; state length
)

// ErrBadSnapshot is wrapped by every error about a snapshot file's content.
var ErrBadSnapshot = errors.New("bad snapshot file")

// encodeSnapshot frames an engine state (engine.ExportState) as a snapshot file.
func encodeSnapshot(state []byte, createdMillis int64) []byte {
	out := make([]byte, 0, snapHeaderLen+len(state)+4)
	out = append(out, snapMagic...)
	out = append(out, snapVersion, 0, 0, 0)
	out = binary.LittleEndian.AppendUint64(out, uint64(createdMillis))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(state)))
	out = append(out, state...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// DecodeSnapshot validates a snapshot file and returns the engine state it holds and when it
// was taken (Unix ms). The state itself is validated again by engine.LoadState.
func DecodeSnapshot(data []byte) (state []byte, createdMillis int64, err error) {
	if len(data) < snapHeaderLen+4 {
		return nil, 0, fmt.Errorf("%w: %d bytes, shorter than a header", ErrBadSnapshot, len(data))
	}
	if string(data[:4]) != snapMagic {
		return nil, 0, fmt.Errorf("%w: not a Concord snapshot (bad magic)", ErrBadSnapshot)
	}
	if v := data[4]; v != snapVersion {
		return nil, 0, fmt.Errorf("%w: format version %d, this build reads version %d", ErrBadSnapshot, v, snapVersion)
	}
	created := int64(binary.LittleEndian.Uint64(data[8:]))
	n := binary.LittleEndian.Uint64(data[16:])
	if n != uint64(len(data)-snapHeaderLen-4) {
		return nil, 0, fmt.Errorf("%w: state length %d, file holds %d bytes for it (truncated?)", ErrBadSnapshot, n, len(data)-snapHeaderLen-4)
	}
	end := len(data) - 4
	if crc32.Checksum(data[:end], castagnoli) != binary.LittleEndian.Uint32(data[end:]) {
		return nil, 0, fmt.Errorf("%w: checksum mismatch", ErrBadSnapshot)
	}
	return data[snapHeaderLen:end], created, nil
}

// writeSnapshot writes a snapshot file the crash-safe way: a temporary file in the same
// directory, fsynced, renamed over path, and the directory fsynced. A crash at any step leaves
// either the old file or the new one at path, never a partial one. The state is given in
// pieces (engine.Export.FinishChunks), written one after the other.
func writeSnapshot(fs FS, path string, state [][]byte, createdMillis int64) error {
	tmp := filepath.Join(filepath.Dir(path), "temp-"+filepath.Base(path))
	f, err := fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	n := 0
	for _, c := range state {
		n += len(c)
	}
	head := make([]byte, 0, snapHeaderLen)
	head = append(head, snapMagic...)
	head = append(head, snapVersion, 0, 0, 0)
	head = binary.LittleEndian.AppendUint64(head, uint64(createdMillis))
	head = binary.LittleEndian.AppendUint64(head, uint64(n))
	sum := engine.Checksum(0, head)
	for _, c := range state {
		sum = engine.Checksum(sum, c)
	}
	pieces := append(append([][]byte{head}, state...), binary.LittleEndian.AppendUint32(nil, sum))
	// Written in pieces of at most a megabyte, so that a crash or a full disk can stop it half
	// way, as in real life.
	const chunk = 1 << 20
	for _, p := range pieces {
		for off := 0; off < len(p); off += chunk {
			if _, err := f.Write(p[off:min(off+chunk, len(p))]); err != nil {
				f.Close()
				_ = fs.Remove(tmp)
				return fmt.Errorf("write %s: %w", tmp, err)
			}
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		_ = fs.Remove(tmp)
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := fs.Rename(tmp, path); err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	if err := fs.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("fsync directory %s: %w", filepath.Dir(path), err)
	}
	return nil
}
