package scenario

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// crdtInfo is what the runner reads from INFO crdt (replication.md §5).
type crdtInfo struct {
	clock uint64
	ovc   map[int]uint64 // member id -> seq; zero entries dropped so "2:0" equals absence
	peers map[int]string // peer id -> link state
	raw   map[string]string
}

// parseCRDTInfo parses the # CRDT section of an INFO reply.
func parseCRDTInfo(text string) (*crdtInfo, error) {
	info := &crdtInfo{ovc: map[int]uint64{}, peers: map[int]string{}, raw: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		info.raw[k] = v
		switch {
		case k == "crdt_clock":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("crdt_clock:%s: %w", v, err)
			}
			info.clock = n
		case k == "crdt_ovc":
			vc, err := parseVector(v)
			if err != nil {
				return nil, fmt.Errorf("crdt_ovc:%s: %w", v, err)
			}
			info.ovc = vc
		case strings.HasPrefix(k, "crdt_peer"):
			fields := map[string]string{}
			for _, f := range strings.Split(v, ",") {
				fk, fv, _ := strings.Cut(f, "=")
				fields[fk] = fv
			}
			id, err := strconv.Atoi(fields["id"])
			if err != nil {
				return nil, fmt.Errorf("%s:%s: bad id: %w", k, v, err)
			}
			info.peers[id] = fields["state"]
		}
	}
	if _, ok := info.raw["crdt_ovc"]; !ok {
		return nil, fmt.Errorf("no crdt_ovc line in INFO crdt")
	}
	return info, nil
}

// parseVector parses "1:3,2:0,3:7".
func parseVector(s string) (map[int]uint64, error) {
	vc := map[int]uint64{}
	if s == "" {
		return vc, nil
	}
	for _, e := range strings.Split(s, ",") {
		id, seq, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("entry %q is not id:seq", e)
		}
		m, err := strconv.Atoi(id)
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			return nil, err
		}
		if n != 0 {
			vc[m] = n
		}
	}
	return vc, nil
}

// converged reports whether the members' vector clocks are equal and each covers every
// member's own latest effect (replication.md §5); ids[i] is the member id of infos[i].
func converged(ids []int, infos []*crdtInfo) bool {
	for i, in := range infos {
		if !maps.Equal(in.ovc, infos[0].ovc) {
			return false
		}
		if in.ovc[ids[i]] < in.clock {
			return false
		}
	}
	return true
}
