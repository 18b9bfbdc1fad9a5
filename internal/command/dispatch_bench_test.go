package command

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/concord-db/concord/internal/config"
	"github.com/concord-db/concord/internal/engine"
)

func benchEnv(b *testing.B) (*Env, *Client) {
	e := engine.New(engine.Config{Member: 1, Databases: 16})
	env := NewEnv(e, config.Default(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	cl := NewClient(0)
	e.Lock()
	if err := env.Connect(cl); err != nil {
		b.Fatal(err)
	}
	e.Unlock()
	return env, cl
}

// BenchmarkExecute measures the whole command path without sockets: dispatch, engine lock,
// effect stamping and apply, reply encoding.
func BenchmarkExecute(b *testing.B) {
	for _, tc := range []struct {
		name string
		args func(i int) [][]byte
	}{
		{"SET", func(i int) [][]byte {
			return [][]byte{[]byte("SET"), []byte(fmt.Sprint("key:", (i*7919)%100000)), []byte("xxx")}
		}},
		{"GET", func(i int) [][]byte { return [][]byte{[]byte("GET"), []byte(fmt.Sprint("key:", (i*7919)%100000))} }},
		{"INCR", func(i int) [][]byte { return [][]byte{[]byte("INCR"), []byte(fmt.Sprint("counter:", (i*7919)%100000))} }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			env, cl := benchEnv(b)
			for i := range 100000 {
				env.Execute(cl, [][]byte{[]byte("SET"), []byte(fmt.Sprint("key:", i)), []byte("xxx")})
			}
			cmds := make([][][]byte, 1<<16)
			for i := range cmds {
				cmds[i] = tc.args(i)
			}
			cl.Out.WriteTo(io.Discard)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				env.Execute(cl, cmds[i%len(cmds)])
				if i%64 == 0 {
					cl.Out.WriteTo(io.Discard)
				}
			}
		})
	}
}
