package scenario

import "testing"

const infoA = "# CRDT\r\ncrdt_config_version:1\r\ncrdt_replid:1\r\ncrdt_member_name:us\r\ncrdt_clock:3\r\n" +
	"crdt_ovc:1:3,2:5,3:0\r\ncrdt_effect_reqs:5\r\n" +
	"crdt_peer0:id=2,name=eu,addr=127.0.0.1:17002,state=connected,lag_ms=0,max_ops_lag=0,min_ops_lag=0,bytes_in=1,bytes_out=2\r\n" +
	"crdt_peer1:id=3,name=asia,addr=127.0.0.1:17003,state=connecting,lag_ms=0,max_ops_lag=0,min_ops_lag=0,bytes_in=0,bytes_out=0\r\n"

func TestParseCRDTInfo(t *testing.T) {
	in, err := parseCRDTInfo(infoA)
	if err != nil {
		t.Fatal(err)
	}
	if in.clock != 3 || len(in.ovc) != 2 || in.ovc[1] != 3 || in.ovc[2] != 5 {
		t.Fatalf("clock %d ovc %v", in.clock, in.ovc)
	}
	if in.peers[2] != "connected" || in.peers[3] != "connecting" || len(in.peers) != 2 {
		t.Fatalf("peers %v", in.peers)
	}
	for _, bad := range []string{"# CRDT\r\ncrdt_clock:1\r\n", "crdt_ovc:1:x\r\n", "crdt_ovc:1\r\n", "crdt_clock:-1\r\ncrdt_ovc:\r\n", "crdt_ovc:\r\ncrdt_peer0:id=x\r\n"} {
		if _, err := parseCRDTInfo(bad); err == nil {
			t.Errorf("parseCRDTInfo(%q) accepted", bad)
		}
	}
}

func TestConverged(t *testing.T) {
	info := func(clock uint64, ovc string) *crdtInfo {
		vc, err := parseVector(ovc)
		if err != nil {
			t.Fatal(err)
		}
		return &crdtInfo{clock: clock, ovc: vc}
	}
	cases := []struct {
		infos []*crdtInfo
		want  bool
	}{
		{[]*crdtInfo{info(0, "1:0,2:0"), info(0, "")}, true},                // zero entries are absence
		{[]*crdtInfo{info(2, "1:2,2:1"), info(1, "1:2,2:1")}, true},         // equal and covering
		{[]*crdtInfo{info(2, "1:2,2:1"), info(1, "1:1,2:1")}, false},        // B lacks A's second write
		{[]*crdtInfo{info(3, "1:2,2:1"), info(1, "1:2,2:1")}, false},        // equal but A's latest is missing
		{[]*crdtInfo{info(2, "1:2,2:1,3:4"), info(1, "1:2,2:1")}, false},    // A knows C's writes, B does not
		{[]*crdtInfo{info(2, "1:2,2:1,3:4"), info(1, "1:2,2:1,3:4")}, true}, // a partial sync of A and B
	}
	for i, c := range cases {
		if got := converged([]int{1, 2}, c.infos); got != c.want {
			t.Errorf("case %d: converged = %v, want %v", i, got, c.want)
		}
	}
}
