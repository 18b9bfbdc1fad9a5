package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/effect"
)

// TestCRDTConflicts applies a peer's SET made concurrently with a local one (its dependencies
// do not cover the local write) and reads the conflict back with CRDT.CONFLICTS and on the
// pub/sub channel.
func TestCRDTConflicts(t *testing.T) {
	s := newSCEnv(t, "member-id 1", "peer 2=127.0.0.1:7002")
	s.env.Engine.OnConflict = s.env.publishConflict // SetReplication installs it
	cl, sub := s.client(""), s.client("")
	s.do(sub, "SUBSCRIBE", ConflictChannel)
	s.run(cl, []scStep{
		sc(scOK, "SET", "k", "local"),
		sc(scOK, "SET", "other", "x"),
		sc("*0\r\n", "CRDT.CONFLICTS"),
	})
	// Member 2's SET of k, 5 ms later by its clock, made without having seen member 1's.
	remote := &effect.Effect{Origin: 2, Seq: 1, HLC: clock.NewHLC(s.clock.Millis+5, 0),
		Ops: []effect.Op{{Kind: effect.StringSet, Key: "k", Value: []byte("remote")}}}
	s.env.Engine.Lock()
	if err := s.env.Engine.Apply(remote); err != nil {
		t.Fatal(err)
	}
	s.env.Engine.Unlock()

	got := s.do(cl, "CRDT.CONFLICTS")
	want := "*1\r\n*26\r\n$4\r\ntime\r\n:" + Itoa(s.clock.Millis) + "\r\n$2\r\ndb\r\n:0\r\n$3\r\nkey\r\n$1\r\nk\r\n" +
		"$4\r\ntype\r\n$6\r\nstring\r\n$4\r\nrule\r\n$3\r\nlww\r\n$7\r\nelement\r\n$0\r\n\r\n" +
		"$13\r\nwinner-member\r\n:2\r\n$10\r\nwinner-seq\r\n:1\r\n$11\r\nwinner-time\r\n:" + Itoa(s.clock.Millis+5) + "\r\n" +
		"$12\r\nloser-member\r\n:1\r\n$9\r\nloser-seq\r\n:1\r\n$10\r\nloser-time\r\n:" + Itoa(s.clock.Millis) + "\r\n" +
		"$11\r\nloser-value\r\n$5\r\nlocal\r\n"
	if got != want {
		t.Fatalf("CRDT.CONFLICTS:\n got %q\nwant %q", got, want)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"CRDT.CONFLICTS", "COUNT", "0"}, "*0\r\n"},
		{[]string{"CRDT.CONFLICTS", "KEY", "o*"}, "*0\r\n"},
		{[]string{"CRDT.CONFLICTS", "KEY", "k*", "COUNT", "5"}, want},
		{[]string{"CRDT.CONFLICTS", "COUNT", "-1"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"CRDT.CONFLICTS", "COUNT"}, "-ERR syntax error\r\n"},
		{[]string{"CRDT.CONFLICTS", "BOGUS", "1"}, "-ERR syntax error\r\n"},
	} {
		if got := s.do(cl, tt.args...); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.args, got, tt.want)
		}
	}
	if info := s.do(cl, "INFO", "crdt"); !strings.Contains(info, "crdt_conflicts:1\r\n") {
		t.Errorf("INFO crdt: %s", info)
	}
	var out bytes.Buffer
	if _, err := sub.Out.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	msg := `{"time":` + Itoa(s.clock.Millis) + `,"db":0,"key":"k","type":"string","rule":"lww",` +
		`"winner":{"member":2,"seq":1,"time":` + Itoa(s.clock.Millis+5) + `},` +
		`"loser":{"member":1,"seq":1,"time":` + Itoa(s.clock.Millis) + `},"loser_value":"local"}`
	if !strings.Contains(out.String(), "$18\r\n"+ConflictChannel+"\r\n$"+Itoa(int64(len(msg)))+"\r\n"+msg+"\r\n") {
		t.Errorf("subscriber got %q\nwant message %s", out.String(), msg)
	}
}
