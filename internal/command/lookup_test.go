package command

import "testing"

// The client's one-entry command cache must answer exactly as the table does, whatever the
// case and whatever command came before.
func TestClientLookupMatchesTable(t *testing.T) {
	cl := NewClient(0)
	for _, name := range []string{
		"set", "SET", "sEt", "get", "GET", "set", "SETX", "se", "sett", "", "incr", "INCR",
		"incr\x00", "ınc", "GETSET", "getset", "get", "set", "nosuchcommand", "set",
		"client", "CLIENT", "config", "CONFIG",
	} {
		if got, want := cl.lookup([]byte(name)), Lookup([]byte(name)); got != want {
			t.Fatalf("lookup(%q) = %v, table has %v", name, got, want)
		}
	}
}

func TestEqualFoldASCII(t *testing.T) {
	for _, tc := range []struct {
		b     string
		lower string
		want  bool
	}{
		{"SET", "set", true},
		{"set", "set", true},
		{"SeT", "set", true},
		{"SE", "set", false},
		{"SETS", "set", false},
		{"S\xc5T", "set", false},
		{"[ET", "{et", false}, // '[' is not 'A'..'Z': no folding
		{"", "", true},
	} {
		if got := equalFoldASCII([]byte(tc.b), tc.lower); got != tc.want {
			t.Errorf("equalFoldASCII(%q, %q) = %v", tc.b, tc.lower, got)
		}
	}
}
