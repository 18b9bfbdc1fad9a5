package config

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var fileErrorCases = []struct {
	content string
	line    int
	text    string
	reason  string
}{
	{"port 16399\nport abc\n", 2, "port abc", "argument couldn't be parsed into an integer"},
	{"# comment\n\n  foo bar\n", 3, "foo bar", "Bad directive or wrong number of arguments"},
	{"port \"16399\n", 1, "port \"16399", "Unbalanced quotes in configuration line"},
	{"daemonize \"yes\"x\n", 1, "daemonize \"yes\"x", "Unbalanced quotes in configuration line"},
	{"maxmemory 1 2\n", 1, "maxmemory 1 2", "wrong number of arguments"},
	{"maxmemory\n", 1, "maxmemory", "wrong number of arguments"},
	{"save 10\n", 1, "save 10", "Invalid save parameters"},
	{"save 1 1 \"\"\n", 1, "save 1 1 \"\"", "Invalid save parameters"},
	{"loglevel loud\n", 1, "loglevel loud", "argument(s) must be one of the following: debug, verbose, notice, warning"},
	{"protected-mode maybe\n", 1, "protected-mode maybe", "argument must be 'yes' or 'no'"},
	{"port 70000\n", 1, "port 70000", "argument must be between 0 and 65535 inclusive"},
	{"maxmemory 1x\n", 1, "maxmemory 1x", "argument must be a memory value"},
	{"sentinel foo\n", 1, "sentinel foo", "sentinel directive while not in sentinel mode"},
	{"a.b\n", 1, "a.b", "Module config specified without value"},
	{"dbfilename a/b\n", 1, "dbfilename a/b", "dbfilename can't be a path, just a filename"},
	{"appendfilename \"\"\n", 1, "appendfilename \"\"", "appendfilename can't be empty"},
	{"appenddirname a/b\n", 1, "appenddirname a/b", "appenddirname can't be a path, just a dirname"},
	{"\t port 1 2 \r\n", 1, "port 1 2", "wrong number of arguments"},
	{"port 1 # a comment\n", 1, "port 1 # a comment", "wrong number of arguments"},
	{"include\n", 1, "include", "Bad directive or wrong number of arguments"},
	{"rename-command foo\n", 1, "rename-command foo", "Bad directive or wrong number of arguments"},
	{"user\n", 1, "user", "Bad directive or wrong number of arguments"},
	{"list-max-ziplist-entries 5 6\n", 1, "list-max-ziplist-entries 5 6", "Bad directive or wrong number of arguments"},
	{"replicaof host\n", 1, "replicaof host", "wrong number of arguments"},
	{"slaveof host 99999\n", 1, "slaveof host 99999", "Invalid master port"},
	{"bind " + strings.Repeat("127.0.0.1 ", 17) + "\n", 1, "bind " + strings.TrimSpace(strings.Repeat("127.0.0.1 ", 17)), "Too many bind addresses specified."},
	{"unixsocketperm 999\n", 1, "unixsocketperm 999", "argument couldn't be parsed as an octal number"},
	{"unixsocketperm 1000\n", 1, "unixsocketperm 1000", "argument must be between 0 and 777 inclusive"},
	{"socket-mark-id -1\n", 1, "socket-mark-id -1", "argument must be between 0 and 4294967295 inclusive"},
	{"hash-max-ziplist-entries -1\n", 1, "hash-max-ziplist-entries -1", "argument must be between 0 and 9223372036854775807 inclusive"},
	{"notify-keyspace-events a b\n", 1, "notify-keyspace-events a b", "wrong number of arguments"},
	{"oom-score-adj-values 1 2\n", 1, "oom-score-adj-values 1 2", "wrong number of arguments"},
	{"shutdown-on-sigint save nosave\n", 1, "shutdown-on-sigint save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously"},
	{"dir /nonexistent-concord-dir\n", 1, "dir /nonexistent-concord-dir", "No such file or directory"},
	{"PORT abc\n", 1, "PORT abc", "argument couldn't be parsed into an integer"},
	{"cluster-enabled yes\nreplicaof 127.0.0.1 6379\n", 0, "", "replicaof directive not allowed in cluster mode"},
	{"logfile /nonexistent-concord-dir/x.log\n", 0, "", "Can't open the log file: No such file or directory"},
}

func TestLoadFileErrors(t *testing.T) {
	redisBin, _ := lookPathRedis()
	if testing.Short() {
		redisBin = ""
	}
	for i, tc := range fileErrorCases {
		dir := t.TempDir()
		path := filepath.Join(dir, "t"+strconv.Itoa(i)+".conf")
		writeFile(t, path, tc.content)
		c := Default()
		before := c.Get("*")
		err := c.LoadFile(path)
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%q: got %v, want a *FileError", tc.content, err)
			continue
		}
		if fe.Path != path || fe.Line != tc.line || fe.Text != tc.text || fe.Reason != tc.reason {
			t.Errorf("%q: got {%s %d %q %q}, want {%s %d %q %q}", tc.content, fe.Path, fe.Line, fe.Text, fe.Reason,
				path, tc.line, tc.text, tc.reason)
		}
		if strings.Join(c.Get("*"), "\x00") != strings.Join(before, "\x00") || c.File() != "" {
			t.Errorf("%q: a failed load changed the configuration", tc.content)
		}
		if redisBin != "" {
			line, text, reason := redisFileError(t, redisBin, dir, path)
			if line != tc.line || text != tc.text || reason != tc.reason {
				t.Errorf("redis-server on %q: {%d %q %q}, want {%d %q %q}", tc.content, line, text, reason,
					tc.line, tc.text, tc.reason)
			}
		}
	}
}

var fatalRE = regexp.MustCompile(`\*\*\* FATAL CONFIG FILE ERROR \(Redis [^)]*\) \*\*\*\n(?:Reading the configuration file, at line (\d+)\n>>> '(.*)'\n)?(.*)\n`)

// redisFileError runs redis-server on a configuration file and returns the
// error it reports (line 0 and reason "accepted" if it accepted the file).
func redisFileError(t *testing.T, bin, dir, path string) (line int, text, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// "--port 0" with no unix socket makes a valid configuration exit at
	// once ("Configured to not listen anywhere").
	cmd := exec.CommandContext(ctx, bin, path, "--port", "0")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	m := fatalRE.FindStringSubmatch(string(out))
	if m == nil {
		return 0, "", "accepted: " + string(out)
	}
	line, _ = strconv.Atoi(m[1])
	return line, m[2], m[3]
}

func TestFileErrorFormat(t *testing.T) {
	e := &FileError{Path: "x.conf", Line: 2, Text: "port abc", Reason: "argument couldn't be parsed into an integer"}
	want := "*** FATAL CONFIG FILE ERROR (Concord) ***\nReading the configuration file, at line 2\n>>> 'port abc'\nargument couldn't be parsed into an integer"
	if e.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Error(), want)
	}
	e = &FileError{Path: "x.conf", Reason: "replicaof directive not allowed in cluster mode"}
	if want := "*** FATAL CONFIG FILE ERROR (Concord) ***\nreplicaof directive not allowed in cluster mode"; e.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Error(), want)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	writeFile(t, inc, "maxclients 500\n")
	confd := filepath.Join(dir, "conf.d")
	os.Mkdir(confd, 0o755)
	writeFile(t, filepath.Join(confd, "a.conf"), "timeout 10\n")
	writeFile(t, filepath.Join(confd, "b.conf"), "timeout 20\nsave 7 7\n")
	path := filepath.Join(dir, "main.conf")
	content := strings.Join([]string{
		"# Concord test configuration",
		"   # indented comment",
		"",
		"port 7000\r",
		"\tBIND 127.0.0.1 \"::1\"",
		"dir " + repr(dir),
		"requirepass \"p a\\x41ss\\n\"",
		"masterauth 'it\\'s'",
		"maxmemory 2GB",
		"maxmemory-clients 10%",
		"hash-max-ziplist-entries 100",
		"slave-priority 5",
		"lua-time-limit 100",
		"save 100 1",
		"save 200 2 300 3",
		"notify-keyspace-events Ex",
		"client-output-buffer-limit replica 1mb 512kb 10",
		"list-max-ziplist-entries 5",
		"lua-replicate-commands yes",
		"rename-command FLUSHALL \"\"",
		"user alice on >secret ~* +@all",
		"loadmodule /x/y.so a b",
		"mymod.param 5",
		"include " + inc,
		"include " + filepath.Join(confd, "*.conf"),
		"include " + filepath.Join(dir, "none", "*.conf"),
		"unixsocketperm 700",
		"hz 0",
		"latency-tracking-info-percentiles 50.0 99.90",
		"logfile \"\"",
		"member-id 3",
		"peer 2=127.0.0.1:7002 [::1]:7003",
	}, "\n")
	// The peer line above is wrong on purpose (no ID in the second entry);
	// the right one replaces it below.
	content = strings.Replace(content, "[::1]:7003", "3=[::1]:7003", 1)
	content += "\npeer 4=host:7004\n"
	writeFile(t, path, content)
	c := Default()
	var changes []string
	c.OnChange(func(name, value string) { changes = append(changes, name) })
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"port":                              "7000",
		"bind":                              "127.0.0.1 ::1",
		"requirepass":                       "p aAss\n",
		"masterauth":                        "it's",
		"maxmemory":                         "2147483648",
		"maxmemory-clients":                 "10%",
		"hash-max-listpack-entries":         "100",
		"hash-max-ziplist-entries":          "100",
		"replica-priority":                  "5",
		"busy-reply-threshold":              "100",
		"save":                              "100 1 200 2 300 3 7 7",
		"notify-keyspace-events":            "xE",
		"client-output-buffer-limit":        "normal 0 0 0 slave 1048576 524288 10 pubsub 33554432 8388608 60",
		"maxclients":                        "500",
		"timeout":                           "20",
		"unixsocketperm":                    "700",
		"hz":                                "1",
		"latency-tracking-info-percentiles": "50 99.9",
		"member-id":                         "3",
		"peer":                              "2=127.0.0.1:7002 3=[::1]:7003 4=host:7004",
	}
	for k, v := range want {
		if got := c.String(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := c.Int("maxmemory-clients"); got != -10 {
		t.Errorf("Int(maxmemory-clients) = %d, want -10", got)
	}
	if got := c.Int("unixsocketperm"); got != 0o700 {
		t.Errorf("Int(unixsocketperm) = %o", got)
	}
	if got := c.Peers(); len(got) != 3 || got[1] != (Peer{3, "[::1]:7003"}) {
		t.Errorf("Peers() = %v", got)
	}
	if c.File() != path {
		t.Errorf("File() = %q, want %q", c.File(), path)
	}
	wantDirectives := [][]string{
		{"rename-command", "FLUSHALL", ""},
		{"user", "alice", "on", ">secret", "~*", "+@all"},
		{"loadmodule", "/x/y.so", "a", "b"},
		{"mymod.param", "5"},
	}
	if got := c.Directives(); !equalArgs(got, wantDirectives) {
		t.Errorf("Directives() = %q, want %q", got, wantDirectives)
	}
	if len(changes) == 0 {
		t.Error("OnChange was not called")
	}
	for _, n := range changes {
		if p, _ := Lookup(n); p.Name != n {
			t.Errorf("OnChange got %q, not a parameter name", n)
		}
	}
}

func equalArgs(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}

func TestLoadFileSaveReset(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.conf")
	// The first save line replaces the defaults, later ones add to it; an
	// empty one after a save line adds nothing (as in Redis).
	for content, want := range map[string]string{
		"save \"\"\n":                 "",
		"save 5 5\n":                  "5 5",
		"save 5 5\nsave \"\"\n":       "5 5",
		"save \"\"\nsave 5 5\n":       "5 5",
		"port 1\n":                    "3600 1 300 100 60 10000",
		"save 1 99999999999\n":        "1 1215752191",
		"save 99999999999999999999 1": "9223372036854775807 1",
	} {
		writeFile(t, path, content)
		c := Default()
		if err := c.LoadFile(path); err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if got := c.String("save"); got != want {
			t.Errorf("%q: save = %q, want %q", content, got, want)
		}
	}
}

func TestLoadFileMissing(t *testing.T) {
	c := Default()
	err := c.LoadFile("/nonexistent-concord-dir/x.conf")
	var fe *FileError
	if !errors.As(err, &fe) || fe.Reason != "Fatal error, can't open config file '/nonexistent-concord-dir/x.conf': No such file or directory" {
		t.Errorf("got %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "a.conf")
	writeFile(t, path, "port 1\ninclude /nonexistent-concord-dir/y.conf\n")
	err = c.LoadFile(path)
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(fe.Reason, "can't open config file") {
		t.Errorf("got %#v", err)
	}
	// An include loop is refused instead of recursing forever.
	writeFile(t, path, "include "+path+"\n")
	if err := c.LoadFile(path); err == nil || !strings.Contains(err.Error(), "include nesting") {
		t.Errorf("include loop: got %v", err)
	}
	// Errors inside an included file name that file and its line.
	inc := filepath.Join(dir, "inc.conf")
	writeFile(t, inc, "\n\nport abc\n")
	writeFile(t, path, "include "+inc+"\n")
	err = c.LoadFile(path)
	if !errors.As(err, &fe) || fe.Path != inc || fe.Line != 3 {
		t.Errorf("error in include: got %#v", err)
	}
}

// FuzzLoadLine feeds arbitrary text to the configuration parser: it must
// never panic, and whatever it accepts must survive a rewrite.
func FuzzLoadLine(f *testing.F) {
	for _, tc := range fileErrorCases {
		f.Add(tc.content)
	}
	f.Add("save \"\"\nsave 1 2\nbind '' \nrequirepass \"\\x00\\xff\"\n")
	f.Add("client-output-buffer-limit pubsub 1 1 1 replica 2 2 2\nnotify-keyspace-events KEA\n")
	f.Add("maxmemory-clients 5%\nlatency-tracking-info-percentiles 0x1p3 1e-7\nshutdown-on-sigint now force\n")
	f.Fuzz(func(t *testing.T, content string) {
		if strings.Contains(content, "include") || strings.Contains(content, "logfile") {
			return // keep the fuzzer away from the file system
		}
		c := Default()
		st := &loadState{vals: append([]value(nil), c.snap.Load().vals...), seen: map[int]bool{}}
		err := st.loadString("fuzz.conf", content, 0)
		if err == nil {
			err = st.sanityCheck("fuzz.conf")
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Reason == "" {
				t.Fatalf("error %v is not a *FileError with a reason", err)
			}
			return
		}
		c.snap.Store(&snapshot{vals: st.vals})
		path := filepath.Join(t.TempDir(), "r.conf")
		if err := c.Rewrite(path); err != nil {
			t.Fatal(err)
		}
		c2 := Default()
		if err := c2.LoadFile(path); err != nil {
			data, _ := os.ReadFile(path)
			t.Fatalf("rewritten file does not load: %v\n%s", err, data)
		}
		if a, b := strings.Join(c.Get("*"), "\x00"), strings.Join(c2.Get("*"), "\x00"); a != b {
			t.Fatalf("rewrite round trip changed the configuration")
		}
	})
}
