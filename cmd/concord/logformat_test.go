package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLogFormat(t *testing.T) {
	for _, tt := range []struct {
		format string
		check  func(line string) bool
	}{
		{"text", func(l string) bool {
			return strings.Contains(l, `msg="peer link up"`) && strings.Contains(l, "member=2")
		}},
		{"json", func(l string) bool {
			var m map[string]any
			return json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "peer link up" && m["member"] == float64(2)
		}},
	} {
		cfg, err := loadConfig([]string{"--log-format", tt.format})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		log, err := newLogger(cfg, &buf)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("peer link up", "member", 2)
		if line := strings.TrimSpace(buf.String()); !tt.check(line) {
			t.Errorf("log-format %s: %q", tt.format, line)
		}
	}
	if _, err := loadConfig([]string{"--log-format", "xml"}); err == nil {
		t.Error("log-format xml accepted")
	}
}
