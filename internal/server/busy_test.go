package server

import (
	"testing"
	"time"
)

// A client that connects while a script is busy is served without the engine lock: BUSY for
// its commands, HELLO and MULTI answered, SCRIPT KILL stops the script; then it is registered
// and runs commands normally. Run with -race.
func TestConnectDuringBusyScript(t *testing.T) {
	s, env, stop := startTestServer(t)
	defer stop()
	a := dial(t, s)
	a.send([]string{"CONFIG", "SET", "busy-reply-threshold", "50"})
	a.expect("+OK\r\n")
	a.send([]string{"EVAL", "while true do end", "0"})
	time.Sleep(150 * time.Millisecond)

	b := dial(t, s) // connects while the script holds the engine
	b.send([]string{"GET", "k"})
	b.expect("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
	b.send([]string{"MULTI"})
	b.expect("+OK\r\n")
	b.send([]string{"SET", "k", "1"})
	b.expect("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
	b.send([]string{"EXEC"})
	b.expect("-EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
	b.send([]string{"FUNCTION", "KILL"})
	b.expect("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
	b.send([]string{"SCRIPT", "KILL"})
	b.expect("+OK\r\n")
	a.expect("-ERR Script killed by user with SCRIPT KILL... script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.\r\n")

	// Registered at its next command, which runs normally.
	b.send([]string{"SET", "k", "v"})
	b.expect("+OK\r\n")
	env.Engine.Lock()
	n := env.ClientCount()
	env.Engine.Unlock()
	if n != 2 {
		t.Fatalf("%d clients registered, want 2", n)
	}
}
