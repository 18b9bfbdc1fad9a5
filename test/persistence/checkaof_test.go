package persistence

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// A record corrupted in the middle of the AOF stops the start with an error naming the file,
// the offset and `concord check-aof --fix`; check-aof reports it, --fix cuts the file at the last
// good record after confirming, and the member then starts with the records before it.
func TestCorruptAOFAndCheckAOF(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", "always"}
	s := start(t, dir, args...)
	c := s.Dial(t)
	for i := range 100 {
		run(t, c, [][]string{{"SET", fmt.Sprint("k", i), "value"}})
	}
	s.Stop()
	file := filepath.Join(dir, "appendonly.aof.1")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := testserver.ConcordBinary(t)

	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"start", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("started with a corrupt AOF:\n%s", out.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("started with a corrupt AOF (still running):\n%s", out.String())
	}
	for _, want := range []string{file, "offset", "concord check-aof --fix " + file} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start error does not say %q:\n%s", want, out.String())
		}
	}

	check := func(stdin string, a ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"check-aof"}, a...)...)
		cmd.Stdin = strings.NewReader(stdin)
		b, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(b), code
	}
	if o, code := check("", file); code != 1 || !strings.Contains(o, "is corrupt at offset") {
		t.Fatalf("check-aof: exit %d\n%s", code, o)
	}
	if o, code := check("n\n", "--fix", file); code != 1 || !strings.Contains(o, "Aborting") {
		t.Fatalf("check-aof --fix answered no: exit %d\n%s", code, o)
	}
	if b, _ := os.ReadFile(file); !bytes.Equal(b, data) {
		t.Fatal("the file changed without confirmation")
	}
	if o, code := check("y\n", "--fix", file); code != 0 || !strings.Contains(o, "Successfully truncated AOF") {
		t.Fatalf("check-aof --fix: exit %d\n%s", code, o)
	}
	if o, code := check("", file); code != 0 || !strings.Contains(o, "is valid") {
		t.Fatalf("check-aof after the fix: exit %d\n%s", code, o)
	}
	s = start(t, dir, args...)
	c = s.Dial(t)
	n, _ := c.DoReply("DBSIZE").Int()
	if n < 40 || n >= 100 {
		t.Fatalf("after the fix %d keys, want the ones before the corrupt record", n)
	}
	for i := range int(n) { // exactly the first n writes survive
		if r := c.DoReply("GET", fmt.Sprint("k", i)); r.Str != "value" {
			t.Fatalf("k%d: %s", i, r)
		}
	}
}
