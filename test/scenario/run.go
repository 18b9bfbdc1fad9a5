package scenario

import (
	"fmt"
	"time"

	"github.com/concord-db/concord/test/testserver"
)

// Failure is the first step of a scenario that did not go as written.
type Failure struct {
	File string
	Step Step
	Msg  string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("%s:%d: %s\n    %s", f.File, f.Step.Line, f.Step.Source, f.Msg)
}

// Run executes the steps of s on c, in order, and returns the first failure (nil when every
// step went as written).
func Run(s *Script, c *Cluster) *Failure {
	for _, st := range s.Steps {
		if msg := runStep(st, c); msg != "" {
			return &Failure{File: s.Name, Step: st, Msg: msg}
		}
	}
	return nil
}

func runStep(st Step, c *Cluster) string {
	switch st.Kind {
	case StepCommand:
		return runCommand(st, c)
	case StepSync:
		if err := c.Sync(st.Members...); err != nil {
			return err.Error()
		}
	case StepCut:
		c.Cut(st.Members[0], st.Members[1])
	case StepHeal:
		c.Heal()
	case StepSleep:
		time.Sleep(st.Sleep)
	case StepRestart:
		if err := c.Restart(st.Members[0]); err != nil {
			return err.Error()
		}
	default:
		return fmt.Sprintf("unknown step kind %d", st.Kind)
	}
	return ""
}

func runCommand(st Step, c *Cluster) string {
	on := []string{st.On}
	if st.On == "*" {
		on = c.Names()
	}
	replies := make([]*testserver.Reply, len(on))
	for i, name := range on {
		rep, err := c.Do(name, st.Args...)
		if err != nil {
			return fmt.Sprintf("on %s: %v", name, err)
		}
		replies[i] = rep
		switch {
		case st.Expect == nil:
			if rep.IsError() {
				return fmt.Sprintf("on %s: unexpected error reply %s", name, Render(rep))
			}
		case st.Expect.Kind == ExpectSame:
		default:
			if err := st.Expect.Match(rep); err != nil {
				return fmt.Sprintf("on %s: %v", name, err)
			}
		}
	}
	if st.Expect != nil && st.Expect.Kind == ExpectSame {
		if err := SameReplies(on, replies); err != nil {
			return err.Error()
		}
	}
	return ""
}
