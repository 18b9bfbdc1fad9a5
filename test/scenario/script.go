package scenario

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// StepKind is what a step of a scenario does.
type StepKind int

const (
	StepCommand StepKind = iota + 1 // NAME: command [=> reply], *: command [=> reply]
	StepSync                        // sync [N1 N2 ...]
	StepCut                         // cut N1 N2
	StepHeal                        // heal
	StepSleep                       // sleep MS
	StepRestart                     // restart NAME
)

// Step is one line of a scenario after the members line.
type Step struct {
	Line   int    // 1-based line number in the file
	Source string // the line without its comment, for messages
	Kind   StepKind

	// StepCommand: On is a member name or "*"; Expect is nil when the reply is not checked.
	On     string
	Args   []string
	Expect *Expect

	// StepSync (empty: every member), StepCut (two), StepRestart (one).
	Members []string
	// StepSleep.
	Sleep time.Duration
}

// Script is a parsed scenario file.
type Script struct {
	Name    string
	Members []string // in order: member ids are 1, 2, 3, ...
	Steps   []Step
}

// MaxMembers is replication.md's largest database.
const MaxMembers = 64

var memberName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Parse reads a scenario (FORMAT.md). Errors name the file and line.
func Parse(name string, src []byte) (*Script, error) {
	s := &Script{Name: name}
	known := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if t := strings.TrimSpace(text); t == "" || t[0] == '#' {
			continue
		}
		cmd, reply, hasReply, err := splitLine(text)
		if err != nil {
			return nil, fail("%v", err)
		}
		if cmd == "" {
			return nil, fail("no step before %q", "=>")
		}
		if s.Members == nil {
			words := strings.Fields(cmd)
			if words[0] != "members" || hasReply {
				return nil, fail("the first step must be \"members N1 N2 ...\"")
			}
			if len(words) < 2 || len(words)-1 > MaxMembers {
				return nil, fail("members: between 1 and %d names", MaxMembers)
			}
			for _, w := range words[1:] {
				if !memberName.MatchString(w) {
					return nil, fail("bad member name %q (letters, digits, _ and -)", w)
				}
				if known[w] {
					return nil, fail("member %q listed twice", w)
				}
				known[w] = true
			}
			s.Members = words[1:]
			continue
		}
		step := Step{Line: line, Source: cmd}
		if hasReply {
			step.Source += " => " + reply
		}
		if err := parseStep(&step, cmd, reply, hasReply, known); err != nil {
			return nil, fail("%v", err)
		}
		s.Steps = append(s.Steps, step)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.Members == nil {
		return nil, fmt.Errorf("%s: no \"members\" line", name)
	}
	return s, nil
}

func parseStep(step *Step, cmd, reply string, hasReply bool, known map[string]bool) error {
	if on, rest, ok := strings.Cut(cmd, ":"); ok && (on == "*" || memberName.MatchString(on)) {
		if on != "*" && !known[on] {
			return fmt.Errorf("unknown member %q", on)
		}
		args, err := splitArgs(rest)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			return errors.New("empty command")
		}
		step.Kind, step.On, step.Args = StepCommand, on, args
		if hasReply {
			e, err := ParseExpect(reply)
			if err != nil {
				return fmt.Errorf("reply %q: %w", reply, err)
			}
			if e.Kind == ExpectSame && on != "*" {
				return errors.New(`"same" needs "*:" (it compares the members' replies)`)
			}
			step.Expect = e
		}
		return nil
	}
	if hasReply {
		return errors.New(`"=>" only follows a command`)
	}
	words := strings.Fields(cmd)
	names := words[1:]
	checkNames := func() error {
		seen := map[string]bool{}
		for _, n := range names {
			if !known[n] {
				return fmt.Errorf("unknown member %q", n)
			}
			if seen[n] {
				return fmt.Errorf("member %q listed twice", n)
			}
			seen[n] = true
		}
		return nil
	}
	switch words[0] {
	case "sync":
		step.Kind, step.Members = StepSync, names
		return checkNames()
	case "cut":
		if len(names) != 2 {
			return errors.New("cut takes two members")
		}
		step.Kind, step.Members = StepCut, names
		return checkNames()
	case "heal":
		if len(names) != 0 {
			return errors.New("heal takes no arguments")
		}
		step.Kind = StepHeal
		return nil
	case "sleep":
		if len(names) != 1 {
			return errors.New("sleep takes a number of milliseconds")
		}
		ms, err := strconv.ParseUint(names[0], 10, 32)
		if err != nil {
			return fmt.Errorf("sleep %q: not a number of milliseconds", names[0])
		}
		step.Kind, step.Sleep = StepSleep, time.Duration(ms)*time.Millisecond
		return nil
	case "restart":
		if len(names) != 1 {
			return errors.New("restart takes one member")
		}
		step.Kind, step.Members = StepRestart, names
		return checkNames()
	case "members":
		return errors.New(`"members" may appear only once, as the first step`)
	}
	return fmt.Errorf("unknown step %q (commands look like \"NAME: COMMAND ...\")", words[0])
}
