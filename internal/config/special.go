package config

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// special implements a parameter with its own syntax (createSpecialConfig
// in config.c).
type special struct {
	// set parses args into a new value. prev is the current value (some
	// parameters update it partially); reason is "" on success.
	set func(prev value, args []string, ctx *setCtx) (v value, reason string)
	// rewrite adds the parameter's lines to a CONFIG REWRITE.
	rewrite func(st *rewriteState, name string, v value, snap *snapshot)
}

// setCtx tells a setter where the value comes from.
type setCtx struct {
	fromFile bool
	// appendMode: a directive that may be repeated in a file (save, peer)
	// was already seen in this load, so this line adds to it.
	appendMode bool
}

var (
	spDir                     = &special{set: setDir, rewrite: rewriteDir}
	spSave                    = &special{set: setSave, rewrite: rewriteSave}
	spClientOutputBufferLimit = &special{set: setClientOutputBufferLimit, rewrite: rewriteClientOutputBufferLimit}
	spOOMScoreAdjValues       = &special{set: setOOMScoreAdjValues, rewrite: rewriteOOMScoreAdjValues}
	spNotifyKeyspaceEvents    = &special{set: setNotifyKeyspaceEvents, rewrite: rewriteNotifyKeyspaceEvents}
	spBind                    = &special{set: setBind, rewrite: rewriteBind}
	spReplicaOf               = &special{set: setReplicaOf, rewrite: rewriteReplicaOf}
	spLatencyPercentiles      = &special{set: setLatencyPercentiles, rewrite: rewriteLatencyPercentiles}
	spPeer                    = &special{set: setPeer, rewrite: rewritePeer}
)

const errWrongArgs = "wrong number of arguments"

// ---- dir

// setDir validates the directory like chdir(2) would. Concord does not
// change its working directory: it keeps the absolute, symlink-free path
// (what Redis's getcwd() reports) and the server resolves files against it.
func setDir(prev value, args []string, _ *setCtx) (value, string) {
	if len(args) != 1 {
		return value{}, errWrongArgs
	}
	path := args[0]
	if path == "" {
		return value{}, "No such file or directory"
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(prev.s, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return value{}, strerror(err)
	}
	if !fi.IsDir() {
		return value{}, "Not a directory"
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	return value{s: filepath.Clean(path)}, ""
}

func rewriteDir(st *rewriteState, name string, v value, _ *snapshot) {
	st.rewriteLine(name, name+" "+repr(v.s), true)
}

// ---- save

type savePoint struct {
	seconds int64
	changes int32
}

func parseSavePoints(s string) []savePoint {
	f := strings.Fields(s)
	var out []savePoint
	for i := 0; i+1 < len(f); i += 2 {
		sec, _ := strconv.ParseInt(f[i], 10, 64)
		ch, _ := strconv.ParseInt(f[i+1], 10, 32)
		out = append(out, savePoint{sec, int32(ch)})
	}
	return out
}

func formatSavePoints(ps []savePoint) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(p.seconds, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(int64(p.changes), 10))
	}
	return b.String()
}

func setSave(prev value, args []string, ctx *setCtx) (value, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return value{}, "Invalid save parameters"
	}
	var pts []savePoint
	for j := 0; j < len(args); j++ {
		v, whole, _ := cStrtoll(args[j], 10)
		if !whole || (j%2 == 0 && v < 1) || (j%2 == 1 && v < 0) {
			return value{}, "Invalid save parameters"
		}
	}
	for j := 0; j < len(args); j += 2 {
		sec, _, _ := cStrtoll(args[j], 10)
		ch, _, _ := cStrtoll(args[j+1], 10)
		pts = append(pts, savePoint{sec, int32(ch)}) // changes is a C int
	}
	if ctx.appendMode {
		pts = append(parseSavePoints(prev.s), pts...)
	}
	return value{s: formatSavePoints(pts)}, ""
}

func rewriteSave(st *rewriteState, name string, v value, _ *snapshot) {
	pts := parseSavePoints(v.s)
	if len(pts) == 0 {
		st.rewriteLine(name, `save ""`, true)
	}
	for _, p := range pts {
		st.rewriteLine(name, "save "+formatSavePoints([]savePoint{p}), true)
	}
	st.markProcessed(name)
}

// ---- client-output-buffer-limit

type obufLimit struct {
	hard, soft uint64
	seconds    int32
}

var obufClassNames = [3]string{"normal", "slave", "pubsub"}

var obufDefaults = [3]obufLimit{{0, 0, 0}, {256 << 20, 64 << 20, 60}, {32 << 20, 8 << 20, 60}}

func parseObuf(s string) [3]obufLimit {
	f := strings.Fields(s)
	var out [3]obufLimit
	for i := 0; i+3 < len(f); i += 4 {
		c := obufClass(f[i])
		if c < 0 || c > 2 {
			continue
		}
		h, _ := strconv.ParseUint(f[i+1], 10, 64)
		so, _ := strconv.ParseUint(f[i+2], 10, 64)
		sec, _ := strconv.ParseInt(f[i+3], 10, 32)
		out[c] = obufLimit{h, so, int32(sec)}
	}
	return out
}

func formatObuf(l [3]obufLimit) string {
	parts := make([]string, 0, 3)
	for i, x := range l {
		parts = append(parts, obufClassNames[i]+" "+strconv.FormatUint(x.hard, 10)+" "+
			strconv.FormatUint(x.soft, 10)+" "+strconv.FormatInt(int64(x.seconds), 10))
	}
	return strings.Join(parts, " ")
}

// obufClass is getClientTypeByName: 0 normal, 1 replica, 2 pubsub, 3 master.
func obufClass(s string) int {
	switch asciiLower(s) {
	case "normal":
		return 0
	case "slave", "replica":
		return 1
	case "pubsub":
		return 2
	case "master":
		return 3
	}
	return -1
}

func setClientOutputBufferLimit(prev value, args []string, _ *setCtx) (value, string) {
	if len(args)%4 != 0 {
		return value{}, "Wrong number of arguments in buffer limit configuration."
	}
	cur := parseObuf(prev.s)
	var vals [3]obufLimit
	var set [3]bool
	for j := 0; j < len(args); j += 4 {
		class := obufClass(args[j])
		if class < 0 || class == 3 {
			return value{}, "Invalid client class specified in buffer limit configuration."
		}
		hard, okH := memtoull(args[j+1])
		soft, okS := memtoull(args[j+2])
		sec, whole, _ := cStrtoll(args[j+3], 10)
		secs := int32(sec) // soft_seconds is a C int
		if !okH || !okS || secs < 0 || !whole {
			return value{}, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		vals[class] = obufLimit{hard, soft, secs}
		set[class] = true
	}
	for i := range cur {
		if set[i] {
			cur[i] = vals[i]
		}
	}
	return value{s: formatObuf(cur)}, ""
}

func rewriteClientOutputBufferLimit(st *rewriteState, name string, v value, _ *snapshot) {
	l := parseObuf(v.s)
	for i, x := range l {
		force := x != obufDefaults[i]
		class := obufClassNames[i]
		if class == "slave" {
			class = "replica"
		}
		line := name + " " + class + " " + formatMemory(int64(x.hard)) + " " +
			formatMemory(int64(x.soft)) + " " + strconv.FormatInt(int64(x.seconds), 10)
		st.rewriteLine(name, line, force)
	}
}

// ---- oom-score-adj-values

func setOOMScoreAdjValues(_ value, args []string, _ *setCtx) (value, string) {
	if len(args) != 3 {
		return value{}, errWrongArgs
	}
	out := make([]string, 3)
	for i, a := range args {
		v, whole, _ := cStrtoll(a, 10)
		if !whole || v < -2000 || v > 2000 {
			return value{}, "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
		}
		out[i] = strconv.FormatInt(v, 10)
	}
	return value{s: strings.Join(out, " ")}, ""
}

func rewriteOOMScoreAdjValues(st *rewriteState, name string, v value, _ *snapshot) {
	st.rewriteLine(name, name+" "+v.s, v.s != "0 200 800")
}

// ---- notify-keyspace-events

func setNotifyKeyspaceEvents(_ value, args []string, _ *setCtx) (value, string) {
	if len(args) != 1 {
		return value{}, errWrongArgs
	}
	f := keyspaceEventsStringToFlags(args[0])
	if f == -1 {
		return value{}, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	}
	return value{s: keyspaceEventsFlagsToString(f), n: f}, ""
}

func rewriteNotifyKeyspaceEvents(st *rewriteState, name string, v value, _ *snapshot) {
	st.rewriteLine(name, name+" "+repr(v.s), v.n != 0)
}

// ---- bind

const bindAddrMax = 16 // CONFIG_BINDADDR_MAX

func setBind(_ value, args []string, _ *setCtx) (value, string) {
	if len(args) > bindAddrMax {
		return value{}, "Too many bind addresses specified."
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	addrs := make([]string, len(args))
	for i, a := range args {
		addrs[i] = cString(a) // Redis keeps C strings
	}
	return value{s: strings.Join(addrs, " "), l: strings.Join(addrs, "\x00")}, ""
}

func rewriteBind(st *rewriteState, name string, v value, _ *snapshot) {
	if v.s == "* -::*" {
		st.markProcessed(name)
		return
	}
	// Redis joins the addresses as they are; quoting the odd ones (empty,
	// with blanks or quotes) keeps the rewritten file loadable.
	var addrs []string
	if v.s != "" || v.l != "" {
		for _, a := range strings.Split(v.l, "\x00") {
			addrs = append(addrs, quoteIfNeeded(a))
		}
	}
	line := strings.Join(addrs, " ")
	if len(addrs) == 0 {
		line = `""`
	}
	st.rewriteLine(name, name+" "+line, true)
}

// ---- replicaof

func setReplicaOf(_ value, args []string, _ *setCtx) (value, string) {
	if len(args) != 2 {
		return value{}, errWrongArgs
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return value{}, ""
	}
	port, whole, overflow := cStrtoll(args[1], 10)
	if port < 0 || port > 65535 || !whole || overflow {
		return value{}, "Invalid master port"
	}
	return value{s: args[0] + " " + strconv.FormatInt(port, 10)}, ""
}

func rewriteReplicaOf(st *rewriteState, name string, v value, snap *snapshot) {
	if v.s == "" || snap.vals[idCluster].n != 0 {
		st.markProcessed(name)
		return
	}
	i := strings.LastIndexByte(v.s, ' ')
	st.rewriteLine(name, name+" "+quoteIfNeeded(v.s[:i])+v.s[i:], true)
}

// quoteIfNeeded returns s, or repr(s) when SplitArgs would not read s back
// as one argument.
func quoteIfNeeded(s string) string {
	if s == "" {
		return repr(s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			return repr(s)
		}
	}
	return s
}

// ---- latency-tracking-info-percentiles

func setLatencyPercentiles(_ value, args []string, _ *setCtx) (value, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	out := make([]string, 0, len(args))
	for _, a := range args {
		f, ok := string2d(a)
		if !ok {
			return value{}, "Invalid latency-tracking-info-percentiles parameters"
		}
		if f > 100 || f < 0 {
			return value{}, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		out = append(out, formatPercentile(f))
	}
	return value{s: strings.Join(out, " ")}, ""
}

func rewriteLatencyPercentiles(st *rewriteState, name string, v value, _ *snapshot) {
	line := name + " " + v.s
	if v.s == "" {
		line = name + ` ""`
	}
	st.rewriteLine(name, line, true)
}

// ---- peer (Concord)

// Peer is one entry of the peer parameter.
type Peer struct {
	ID   int    // member-id of the peer, 1..64
	Addr string // host:port
}

func parsePeers(s string) []Peer {
	var out []Peer
	for _, f := range strings.Fields(s) {
		id, addr, _ := strings.Cut(f, "=")
		n, _ := strconv.Atoi(id)
		out = append(out, Peer{ID: n, Addr: addr})
	}
	return out
}

func setPeer(prev value, args []string, ctx *setCtx) (value, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	var peers []Peer
	if ctx.appendMode {
		peers = parsePeers(prev.s)
	}
	for _, a := range args {
		id, addr, ok := strings.Cut(a, "=")
		host, port, err := net.SplitHostPort(addr)
		if !ok || err != nil || host == "" || strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return value{}, "Invalid peer '" + a + "', must be ID=HOST:PORT"
		}
		n, ok := string2ll(id)
		if !ok || n < 1 || n > 64 {
			return value{}, "Invalid peer ID in '" + a + "', must be between 1 and 64"
		}
		p, ok := string2ll(port)
		if !ok || p < 1 || p > 65535 {
			return value{}, "Invalid peer port in '" + a + "', must be between 1 and 65535"
		}
		for _, q := range peers {
			if q.ID == int(n) {
				return value{}, "Duplicate peer ID " + id
			}
		}
		peers = append(peers, Peer{ID: int(n), Addr: net.JoinHostPort(host, port)})
	}
	parts := make([]string, len(peers))
	for i, p := range peers {
		parts[i] = strconv.Itoa(p.ID) + "=" + p.Addr
	}
	return value{s: strings.Join(parts, " ")}, ""
}

func rewritePeer(st *rewriteState, name string, v value, _ *snapshot) {
	if v.s == "" {
		st.markProcessed(name)
		return
	}
	st.rewriteLine(name, name+" "+v.s, true)
}

// ---- string validators

func pathIsBaseName(s string) bool { return !strings.ContainsAny(s, "/\\") }

func validDBFilename(s string) string {
	if !pathIsBaseName(s) {
		return "dbfilename can't be a path, just a filename"
	}
	return ""
}

func validAOFFilename(s string) string {
	if s == "" {
		return "appendfilename can't be empty"
	}
	if !pathIsBaseName(s) {
		return "appendfilename can't be a path, just a filename"
	}
	return ""
}

func validAOFDirname(s string) string {
	if s == "" {
		return "appenddirname can't be empty"
	}
	if !pathIsBaseName(s) {
		return "appenddirname can't be a path, just a dirname"
	}
	return ""
}

func validHostname(s string) string {
	if len(s) >= 256 { // NET_HOST_STR_LEN
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// validProcTitleTemplate expands the template as Redis's sdstemplate does
// ("{{" is a literal '{', a variable is "{name}") with the values Redis uses
// when validating, and refuses unknown variables, a dangling '{', or a
// template that expands to blanks only.
func validProcTitleTemplate(s string) string {
	const bad = "template format is invalid or contains unknown variables"
	vars := map[string]string{
		"title":       "",
		"listen-addr": "*:6379",
		"server-mode": "",
		"port":        "6379",
		"tls-port":    "0",
		"unixsocket":  "",
		"config-file": "redis.conf",
	}
	var out strings.Builder
	for p := 0; p < len(s); {
		i := strings.IndexByte(s[p:], '{')
		if i < 0 {
			out.WriteString(s[p:])
			break
		}
		out.WriteString(s[p : p+i])
		sv := p + i + 1
		if sv >= len(s) {
			return bad
		}
		if s[sv] == '{' {
			out.WriteByte('{')
			p = sv + 1
			continue
		}
		j := strings.IndexByte(s[sv:], '}')
		if j < 0 {
			return bad
		}
		v, ok := vars[s[sv:sv+j]]
		if !ok {
			return bad
		}
		out.WriteString(v)
		p = sv + j + 1
	}
	if strings.Trim(out.String(), " ") == "" {
		return bad
	}
	return ""
}
