package commandspec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	all := All()
	if len(all) != 240 {
		t.Errorf("All() has %d commands, want 240 (COMMAND COUNT of Redis 7.0.15)", len(all))
	}
	if v := RedisVersion(); v != "7.0.15" {
		t.Errorf("RedisVersion() = %q", v)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Name >= all[i].Name {
			t.Errorf("All() not sorted: %q before %q", all[i-1].Name, all[i].Name)
		}
	}
	subs := 0
	for _, c := range all {
		if c.Parent != nil || strings.Contains(c.Name, "|") {
			t.Errorf("%s: top-level command with a parent", c.Name)
		}
		if c.Group == "" {
			t.Errorf("%s: no group", c.Name)
		}
		for _, s := range c.Subcommands {
			subs++
			if s.Parent != c || !strings.HasPrefix(s.Name, c.Name+"|") {
				t.Errorf("%s: bad subcommand %s", c.Name, s.Name)
			}
			if Lookup(s.Name) != s {
				t.Errorf("Lookup(%q) does not find the subcommand", s.Name)
			}
		}
	}
	if subs < 100 {
		t.Errorf("only %d subcommands", subs)
	}
}

func TestLookup(t *testing.T) {
	get := Lookup("get")
	if get == nil || get.Name != "get" || get.Arity != 2 || get.FirstKey != 1 || get.LastKey != 1 || get.Step != 1 || get.Group != "string" {
		t.Fatalf("Lookup(get) = %+v", get)
	}
	if !get.HasFlag("readonly") || !get.HasFlag("fast") || get.HasFlag("write") {
		t.Errorf("get flags = %v", get.Flags)
	}
	for _, name := range []string{"GET", "Get", "gEt"} {
		if Lookup(name) != get {
			t.Errorf("Lookup(%q) != Lookup(get)", name)
		}
	}
	cg := Lookup("config|get")
	if cg == nil || cg.Parent != Lookup("config") || cg.Arity != -3 {
		t.Fatalf("Lookup(config|get) = %+v", cg)
	}
	for _, name := range []string{"CONFIG|GET", "Config|Get"} {
		if Lookup(name) != cg {
			t.Errorf("Lookup(%q) != Lookup(config|get)", name)
		}
	}
	cfg := Lookup("config")
	if cfg.Subcommand("get") != cg || cfg.Subcommand("GET") != cg || cfg.Subcommand("config|get") != cg || cfg.Subcommand("nosuch") != nil {
		t.Error("Subcommand lookups")
	}
	for _, name := range []string{"", "nosuch", "get|x", "config|", "|get", "config|get|x"} {
		if c := Lookup(name); c != nil {
			t.Errorf("Lookup(%q) = %s, want nil", name, c.Name)
		}
	}
	args := func(s ...string) [][]byte {
		var out [][]byte
		for _, a := range s {
			out = append(out, []byte(a))
		}
		return out
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"GET", "k"}, "get"},
		{[]string{"config"}, "config"},
		{[]string{"CONFIG", "Get", "x"}, "config|get"},
		{[]string{"config", "nosuch"}, ""},
		{[]string{"config", "config|get"}, ""},
		{[]string{"nosuch"}, ""},
		{nil, ""},
	} {
		c := LookupArgs(args(tc.args...))
		if (c == nil && tc.want != "") || (c != nil && c.Name != tc.want) {
			t.Errorf("LookupArgs(%q) = %v, want %q", tc.args, c, tc.want)
		}
	}
	xr := Lookup("xread")
	if len(xr.KeySpecs) != 1 || xr.KeySpecs[0].BeginSearch != (BeginSearch{Type: "keyword", Keyword: "STREAMS", StartFrom: 1}) ||
		xr.KeySpecs[0].FindKeys != (FindKeys{Type: "range", LastKey: -1, KeyStep: 1, Limit: 2}) {
		t.Errorf("xread key specs = %+v", xr.KeySpecs)
	}
	zadd := Lookup("zadd")
	if len(zadd.Docs.History) != 3 || zadd.Docs.Arguments[0].KeySpecIndex != 0 || zadd.Docs.Arguments[1].KeySpecIndex != -1 {
		t.Errorf("zadd docs = %+v", zadd.Docs)
	}
	// MIGRATE's key argument is a oneof key | "" (an empty token).
	found := false
	var walk func([]*Argument)
	walk = func(as []*Argument) {
		for _, a := range as {
			found = found || (a.HasToken && a.Token == "")
			walk(a.Arguments)
		}
	}
	walk(Lookup("migrate").Docs.Arguments)
	if !found {
		t.Error("MIGRATE's empty token not found")
	}
}

// The package's RESP3 type table knows every path the generator recorded.
func TestRESP3TypesKnown(t *testing.T) {
	var f struct {
		RESP3Types map[string]string `json:"resp3_types"`
	}
	if err := json.Unmarshal([]byte(commandsJSON), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.RESP3Types) == 0 {
		t.Fatal("no resp3_types")
	}
	for name, typ := range f.RESP3Types {
		base, _ := strings.CutSuffix(name, "(empty)")
		if _, ok := pathIndex[base]; !ok {
			t.Errorf("resp3_types: unknown path %q", name)
		}
		if _, ok := kindNames[typ]; !ok {
			t.Errorf("resp3_types: %s: unknown type %q", name, typ)
		}
	}
	tt := &load().types
	for p := range numPaths {
		if tt.kinds[p] == kindDefault && p != pArgSummary { // argument.summary: no 7.0 command has one
			t.Errorf("no RESP3 type for %s", pathNames[p])
		}
	}
}

// ---------------------------------------------------------------------------
// The schema-specific decoder against encoding/json.

type refFile struct {
	Comment      string            `json:"comment"`
	RedisVersion string            `json:"redis_version"`
	RESP3Types   map[string]string `json:"resp3_types"`
	Commands     []*refCommand     `json:"commands"`
}

type refCommand struct {
	Name          string        `json:"name"`
	Arity         int           `json:"arity"`
	Flags         []string      `json:"flags"`
	FirstKey      int           `json:"first_key"`
	LastKey       int           `json:"last_key"`
	Step          int           `json:"step"`
	ACLCategories []string      `json:"acl_categories"`
	Tips          []string      `json:"tips"`
	KeySpecs      []refKeySpec  `json:"key_specs"`
	Subcommands   []*refCommand `json:"subcommands"`
	Docs          *refDocs      `json:"docs"`
}

type refKeySpec struct {
	Notes       string   `json:"notes"`
	Flags       []string `json:"flags"`
	BeginSearch struct {
		Type string `json:"type"`
		Spec struct {
			Index     int    `json:"index"`
			Keyword   string `json:"keyword"`
			StartFrom int    `json:"startfrom"`
		} `json:"spec"`
	} `json:"begin_search"`
	FindKeys struct {
		Type string `json:"type"`
		Spec struct {
			LastKey   int `json:"lastkey"`
			KeyStep   int `json:"keystep"`
			Limit     int `json:"limit"`
			KeyNumIdx int `json:"keynumidx"`
			FirstKey  int `json:"firstkey"`
		} `json:"spec"`
	} `json:"find_keys"`
}

type refDocs struct {
	Summary         string         `json:"summary"`
	Since           string         `json:"since"`
	Group           string         `json:"group"`
	Complexity      string         `json:"complexity"`
	DocFlags        []string       `json:"doc_flags"`
	DeprecatedSince string         `json:"deprecated_since"`
	ReplacedBy      string         `json:"replaced_by"`
	History         [][2]string    `json:"history"`
	Arguments       []*refArgument `json:"arguments"`
}

type refArgument struct {
	Name            string         `json:"name"`
	Type            string         `json:"type"`
	KeySpecIndex    *int           `json:"key_spec_index"`
	Token           *string        `json:"token"`
	Summary         string         `json:"summary"`
	Since           string         `json:"since"`
	DeprecatedSince string         `json:"deprecated_since"`
	Flags           []string       `json:"flags"`
	Arguments       []*refArgument `json:"arguments"`
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func refConvert(rc *refCommand, parent *Command) *Command {
	c := &Command{
		Name: rc.Name, Arity: rc.Arity, Flags: nilIfEmpty(rc.Flags),
		FirstKey: rc.FirstKey, LastKey: rc.LastKey, Step: rc.Step,
		Categories: nilIfEmpty(rc.ACLCategories), Tips: nilIfEmpty(rc.Tips),
		Parent: parent, Group: rc.Docs.Group,
		Docs: Docs{
			Summary: rc.Docs.Summary, Since: rc.Docs.Since, Complexity: rc.Docs.Complexity,
			DocFlags: nilIfEmpty(rc.Docs.DocFlags), DeprecatedSince: rc.Docs.DeprecatedSince,
			ReplacedBy: rc.Docs.ReplacedBy, Arguments: refArgs(rc.Docs.Arguments),
		},
	}
	for _, ks := range rc.KeySpecs {
		c.KeySpecs = append(c.KeySpecs, KeySpec{
			Notes: ks.Notes, Flags: nilIfEmpty(ks.Flags),
			BeginSearch: BeginSearch{ks.BeginSearch.Type, ks.BeginSearch.Spec.Index, ks.BeginSearch.Spec.Keyword, ks.BeginSearch.Spec.StartFrom},
			FindKeys: FindKeys{ks.FindKeys.Type, ks.FindKeys.Spec.LastKey, ks.FindKeys.Spec.KeyStep, ks.FindKeys.Spec.Limit,
				ks.FindKeys.Spec.KeyNumIdx, ks.FindKeys.Spec.FirstKey},
		})
	}
	for _, h := range rc.Docs.History {
		c.Docs.History = append(c.Docs.History, History{h[0], h[1]})
	}
	for _, s := range rc.Subcommands {
		c.Subcommands = append(c.Subcommands, refConvert(s, c))
	}
	c.prepareKeys()
	return c
}

func refArgs(in []*refArgument) []*Argument {
	var out []*Argument
	for _, ra := range in {
		a := &Argument{
			Name: ra.Name, Type: ra.Type, KeySpecIndex: -1, Summary: ra.Summary, Since: ra.Since,
			DeprecatedSince: ra.DeprecatedSince, Flags: nilIfEmpty(ra.Flags), Arguments: refArgs(ra.Arguments),
		}
		if ra.KeySpecIndex != nil {
			a.KeySpecIndex = *ra.KeySpecIndex
		}
		if ra.Token != nil {
			a.Token, a.HasToken = *ra.Token, true
		}
		out = append(out, a)
	}
	return out
}

// clearFuncs zeroes the getKeys functions (reflect.DeepEqual cannot compare
// them) after checking that both trees agree on them.
func clearFuncs(t *testing.T, a, b *Command) {
	if (a.getKeys == nil) != (b.getKeys == nil) {
		t.Errorf("%s: getKeys differs", a.Name)
	}
	a.getKeys, b.getKeys = nil, nil
	if len(a.Subcommands) == len(b.Subcommands) {
		for i := range a.Subcommands {
			clearFuncs(t, a.Subcommands[i], b.Subcommands[i])
		}
	}
}

func TestDecoderMatchesEncodingJSON(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(commandsJSON))
	dec.DisallowUnknownFields()
	var f refFile
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	got, err := parse(commandsJSON)
	if err != nil {
		t.Fatal(err)
	}
	if got.version != f.RedisVersion || len(got.all) != len(f.Commands) || len(got.byName) == 0 {
		t.Fatalf("version %q / %d commands, want %q / %d", got.version, len(got.all), f.RedisVersion, len(f.Commands))
	}
	var want typeTable
	if err := want.fill(f.RESP3Types); err != nil {
		t.Fatal(err)
	}
	if got.types != want {
		t.Error("RESP3 type tables differ")
	}
	for i, rc := range f.Commands {
		w := refConvert(rc, nil)
		g := got.all[i]
		clearFuncs(t, g, w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: decoded differently:\n got %+v\nwant %+v", rc.Name, g, w)
		}
	}
}

func TestDecoderErrors(t *testing.T) {
	for _, in := range []string{
		``, `{`, `{"commands": [}`, `{"commands": [{"name": "x"}]}`, `{"redis_version": 1}`,
		`{"commands": [{"name": "a", "arity": 1.5, "docs": {}}]}`, `{} x`, `{"a": "\x01"}`,
		`{"commands": [{"name": "a", "docs": {}}, {"name": "a", "docs": {}}]}`,
		`{"resp3_types": {"info": "nosuchtype"}}`,
	} {
		if _, err := parse(in); err == nil {
			t.Errorf("parse(%q) succeeded", in)
		}
	}
	r, err := parse(`{"extra": [1, {"x": null}, "y\"z", true], "redis_version": "v\u0031", "commands": [{"name": "a", "docs": {"group": "g"}}]}`)
	if err != nil || r.version != "v1" || len(r.all) != 1 || r.all[0].Group != "g" {
		t.Errorf("parse with extra fields and escapes: %v %+v", err, r)
	}
}

// Load cost: the brief is to stay well under ~5 ms.
func TestParseCost(t *testing.T) {
	start := time.Now()
	const n = 5
	for range n {
		if _, err := parse(commandsJSON); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("parsing %d bytes of commands.json: %v per load", len(commandsJSON), time.Since(start)/n)
}

func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(commandsJSON)))
	for b.Loop() {
		if _, err := parse(commandsJSON); err != nil {
			b.Fatal(err)
		}
	}
}

// ---------------------------------------------------------------------------
// A ReplyWriter producing RESP bytes, as redis-server writes them.

type testWriter struct {
	proto int
	buf   bytes.Buffer
}

func (w *testWriter) Protocol() int   { return w.proto }
func (w *testWriter) Simple(s string) { w.line('+', s) }
func (w *testWriter) Error(s string)  { w.line('-', s) }
func (w *testWriter) Int(n int64)     { w.line(':', itoa(n)) }
func (w *testWriter) Bulk(b []byte)   { w.BulkString(string(b)) }
func (w *testWriter) ArrayLen(n int)  { w.line('*', itoa(int64(n))) }
func (w *testWriter) BulkString(s string) {
	w.line('$', itoa(int64(len(s))))
	w.buf.WriteString(s + "\r\n")
}

func (w *testWriter) Null() {
	if w.proto == 3 {
		w.buf.WriteString("_\r\n")
	} else {
		w.buf.WriteString("$-1\r\n")
	}
}

func (w *testWriter) NullArray() {
	if w.proto == 3 {
		w.buf.WriteString("_\r\n")
	} else {
		w.buf.WriteString("*-1\r\n")
	}
}

func (w *testWriter) MapLen(n int) {
	if w.proto == 3 {
		w.line('%', itoa(int64(n)))
	} else {
		w.ArrayLen(2 * n)
	}
}

func (w *testWriter) SetLen(n int) {
	if w.proto == 3 {
		w.line('~', itoa(int64(n)))
	} else {
		w.ArrayLen(n)
	}
}

// Double formats like Redis's addReplyDouble: "%.17g", inf and -inf.
func (w *testWriter) Double(f float64) {
	var s string
	switch {
	case f > 0 && f*0.5 == f: // +Inf
		s = "inf"
	case f < 0 && f*0.5 == f:
		s = "-inf"
	default:
		s = formatG17(f)
	}
	if w.proto == 3 {
		w.line(',', s)
	} else {
		w.BulkString(s)
	}
}

func (w *testWriter) Bool(b bool) {
	switch {
	case w.proto == 3 && b:
		w.buf.WriteString("#t\r\n")
	case w.proto == 3:
		w.buf.WriteString("#f\r\n")
	case b:
		w.Int(1)
	default:
		w.Int(0)
	}
}

func (w *testWriter) line(c byte, s string) {
	w.buf.WriteByte(c)
	w.buf.WriteString(s)
	w.buf.WriteString("\r\n")
}

var _ ReplyWriter = (*testWriter)(nil)

// Golden replies from redis-server 7.0.15, so that the encoders are tested
// without a server too (the full comparison is in redis_test.go).
func TestEncodersGolden(t *testing.T) {
	get := Lookup("get")
	golden := map[int]struct{ info, docs string }{
		2: {
			"*10 $3 get :2 *2 +readonly +fast :1 :1 :1 *3 +@read +@string +@fast *0 " +
				"*1 *6 $5 flags *2 +RO +access $12 begin_search *4 $4 type $5 index $4 spec *2 $5 index :1 " +
				"$9 find_keys *4 $4 type $5 range $4 spec *6 $7 lastkey :0 $7 keystep :1 $5 limit :0 *0",
			"*10 $7 summary $22 Get the value of a key $5 since $5 1.0.0 $5 group $6 string $10 complexity $4 O(1) " +
				"$9 arguments *1 *6 $4 name $3 key $4 type $3 key $14 key_spec_index :0",
		},
		3: {
			"*10 $3 get :2 ~2 +readonly +fast :1 :1 :1 ~3 +@read +@string +@fast ~0 " +
				"~1 %3 $5 flags ~2 +RO +access $12 begin_search %2 $4 type $5 index $4 spec %1 $5 index :1 " +
				"$9 find_keys %2 $4 type $5 range $4 spec %3 $7 lastkey :0 $7 keystep :1 $5 limit :0 ~0",
			"%5 $7 summary $22 Get the value of a key $5 since $5 1.0.0 $5 group $6 string $10 complexity $4 O(1) " +
				"$9 arguments *1 %3 $4 name $3 key $4 type $3 key $14 key_spec_index :0",
		},
	}
	for proto, g := range golden {
		w := &testWriter{proto: proto}
		get.WriteInfo(w)
		if got := spaced(w.buf.String()); got != g.info {
			t.Errorf("RESP%d INFO get:\n got %s\nwant %s", proto, got, g.info)
		}
		w = &testWriter{proto: proto}
		get.WriteDocs(w)
		if got := spaced(w.buf.String()); got != g.docs {
			t.Errorf("RESP%d DOCS get:\n got %s\nwant %s", proto, got, g.docs)
		}
	}
}

func spaced(s string) string {
	return strings.ReplaceAll(strings.TrimSuffix(s, "\r\n"), "\r\n", " ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// formatG17 is C's printf("%.17g") (Go's 'g' formatting with a precision
// agrees with C's, exponent form included), with C's spelling of NaN.
func formatG17(f float64) string {
	if f != f {
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

func TestLookupAllocs(t *testing.T) {
	load()
	args := toArgs([]string{"CONFIG", "GET", "x"})
	if n := testing.AllocsPerRun(100, func() {
		if Lookup("GET") == nil || Lookup("get") == nil || LookupArgs(args) == nil {
			t.Fatal("lookup failed")
		}
	}); n != 0 {
		t.Errorf("%v allocations per lookup", n)
	}
	long := strings.Repeat("x", 100)
	if Lookup(long) != nil || LookupArgs(toArgs([]string{long})) != nil {
		t.Error("long name found")
	}
}
