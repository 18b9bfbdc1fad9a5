package persist

import (
	"path/filepath"
	"testing"
)

// heldSync fsyncs operating-system files (and reports their errors), and leaves other files to
// their own Sync.
func TestHeldSync(t *testing.T) {
	f, err := OSFS{}.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	if ok, err := heldSync(f); !ok || err != nil {
		t.Fatalf("heldSync of an os.File = %v, %v; want true, nil", ok, err)
	}
	f.Close()
	if ok, err := heldSync(f); !ok || err == nil {
		t.Fatalf("heldSync of a closed os.File = %v, %v; want true and an error", ok, err)
	}
	ff, err := NewFaultFS().Create("/x/f")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := heldSync(ff); ok {
		t.Fatal("heldSync claims to have synced a FaultFS file")
	}
}
