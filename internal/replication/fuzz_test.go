package replication

import (
	"bytes"
	"io"
	"testing"

	"github.com/concord-db/concord/internal/clock"
	"github.com/concord-db/concord/internal/engine"
	"github.com/concord-db/concord/internal/peerwire"
)

// FuzzListenHandshake plays arbitrary bytes as the dialing side of a handshake: the listener
// must refuse (or, impossibly without the secret, accept) without panicking.
func FuzzListenHandshake(f *testing.F) {
	hello := peerwire.AppendFrame(nil, peerwire.Hello, 0, peerwire.AppendHello(nil, peerwire.HelloMsg{Version: peerwire.Version, Member: 1, Name: "a"}))
	f.Add(hello)
	f.Add(append(append([]byte{}, hello...), peerwire.AppendFrame(nil, peerwire.Auth, 0, make([]byte, 32))...))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := peerwire.NewReader(bytes.NewReader(data))
		wr := peerwire.NewWriter(io.Discard, false)
		_, err := listenHandshake(rd, wr, 2, "b", "secret", func(clock.MemberID) error { return nil })
		if err == nil {
			t.Fatal("handshake accepted without the secret")
		}
	})
}

// FuzzInbound feeds arbitrary frames to a link's receiving side after its handshake: it may
// refuse them, never panic; and whatever it applied went through the engine's checks.
func FuzzInbound(f *testing.F) {
	var seed []byte
	seed = peerwire.AppendFrame(seed, peerwire.Data, 0, peerwire.AppendRecord(nil, batchOf(2, 1, nil, "k", "v")))
	seed = peerwire.AppendFrame(seed, peerwire.Data, 0, peerwire.AppendRecord(nil, batchOf(2, 3, nil, "k", "v")))
	seed = peerwire.AppendFrame(seed, peerwire.StateBegin, 0, appendUvarint(peerwire.AppendVector(nil, nil), 3))
	seed = peerwire.AppendFrame(seed, peerwire.StateChunk, 0, []byte("abc"))
	seed = peerwire.AppendFrame(seed, peerwire.StateEnd, 0, nil)
	f.Add(seed)
	// Compressed Data frames, as links send them: S2 (level 1, the default) and zstd.
	for _, level := range []int{1, 3} {
		var recs []byte
		for seq := uint64(1); seq <= 40; seq++ {
			recs = peerwire.AppendRecord(recs, batchOf(2, seq, nil, "key", "value-value-value"))
		}
		var buf bytes.Buffer
		w := peerwire.NewWriter(&buf, false)
		w.SetCompression(level)
		w.Write(peerwire.Data, recs)
		w.Flush()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := engine.New(engine.Config{Member: 1, KeepTombstones: true})
		r, err := New(e, Config{Member: 1, Peers: []Peer{{ID: 2, Addr: "x"}}, PendingLimit: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
		in := inbound{r: r, p: r.peers[2]}
		rd := peerwire.NewReader(bytes.NewReader(data))
		for range 64 {
			fr, err := rd.Read()
			if err != nil {
				return
			}
			if in.handle(fr) != nil {
				return
			}
		}
	})
}
