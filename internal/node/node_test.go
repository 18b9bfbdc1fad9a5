package node

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/effect"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Several members run in one process (what concord demo does): Start, write, converge, Close.
func TestStartSeveralMembersInOneProcess(t *testing.T) {
	const n = 3
	peerPorts := make([]int, n)
	for i := range peerPorts {
		peerPorts[i] = freePort(t)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes []*Node
	for i := range n {
		d := [][]string{{"bind", "127.0.0.1"}, {"port", "0"}, {"dir", t.TempDir()},
			{"member-id", fmt.Sprint(i + 1)}, {"peer-port", fmt.Sprint(peerPorts[i])}, {"peer-secret", "S"}}
		for j := range n {
			if j != i {
				d = append(d, []string{"peer", fmt.Sprintf("%d=127.0.0.1:%d", j+1, peerPorts[j])})
			}
		}
		cfg := config.Default()
		if err := cfg.Load("", d); err != nil {
			t.Fatal(err)
		}
		nd, err := Start(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, nd)
	}
	for i, nd := range nodes {
		nd.Engine.Lock()
		nd.Engine.Emit(effect.Op{Kind: effect.StringAdd, Key: "c", Int: int64(i + 1)})
		nd.Engine.Unlock()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := true
		for _, nd := range nodes {
			nd.Engine.Lock()
			v := nd.Engine.Vector()
			nd.Engine.Unlock()
			for m := 1; m <= n; m++ {
				if v.Get(clockID(m)) != 1 {
					ok = false
				}
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("members did not converge")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, nd := range nodes {
		if nd.PeerAddr() == "" {
			t.Error("no peer address")
		}
		nd.Close()
	}
}
