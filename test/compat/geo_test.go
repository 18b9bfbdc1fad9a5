package compat

import (
	"fmt"
	"math"
	"strconv"
	"testing"
)

// TestCompatGeo: the GEO commands (GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH GEOSEARCHSTORE
// GEORADIUS GEORADIUSBYMEMBER and the _RO forms) against redis-server, byte for byte in RESP2
// and RESP3: coordinates, distances (4 decimals, and every bit of a STOREDIST score read back
// with ZRANGE ... WITHSCORES), hashes and the order of search results are deterministic in Redis
// (cell order, then score order; glibc's merge sort or Redis's pqsort for ASC/DESC, ties
// included), so no reply is compared loosely. The points cluster around a few centres (with
// exact duplicates, so that equal distances are common), and include the poles' limits, the
// antimeridian and invalid coordinates.
func TestCompatGeo(t *testing.T) {
	t.Parallel()
	p := startPair(t)
	needTargetCommands(t, p, "geoadd", "geosearch", "zadd")
	forProtocols(t, func(t *testing.T, proto int) {
		for _, sub := range []struct {
			name string
			gen  func(s *stream)
			len  int
		}{
			{"geoadd", genGeoAdd, 400},
			{"reads", genGeoReads, 400},
			{"search", genGeoSearch, 500},
			{"radius", genGeoRadius, 400},
			{"store", genGeoStore, 300},
			{"scores", genGeoScores, 200},
			{"wrongtype", genGeoWrongType, 250},
			{"edges", genGeoEdges, 1},
		} {
			sub := sub
			t.Run(sub.name, func(t *testing.T) {
				s := newStream(t, p, 1, proto)
				s.keys = []string{"g1", "g2", "{g}3"}
				if sub.name != "edges" {
					for i := 0; i < 6; i++ {
						s.geoFill(s.keys[i%len(s.keys)])
					}
				}
				for i := 0; i < n(sub.len); i++ {
					sub.gen(s)
				}
				s.dumpState(1)
				s.do("DEBUG", "DIGEST")
			})
		}
	})
}

// geoCentres are where points cluster: Sicily, near the antimeridian, near the northern and
// southern limits, the origin.
var geoCentres = [][2]float64{{13.361389, 38.115556}, {179.9, -16.5}, {-179.95, 65.2}, {10, 85}, {-70, -84.9}, {0, 0}}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// gmember picks a member name: mostly a small set, so that members are re-added and searched.
func (s *stream) gmember() string {
	if s.chance(0.05) {
		return s.pick("", "a b", "\x00bin", "ünï", "Palermo")
	}
	if s.chance(0.5) {
		return fmt.Sprintf("m%d", s.intn(8))
	}
	return fmt.Sprintf("m%d", s.intn(25))
}

// gcoord picks a valid coordinate pair: near a centre (sometimes exactly on it), on the limits,
// or anywhere.
func (s *stream) gcoord() (string, string) {
	switch s.intn(10) {
	case 0:
		return s.pick("-180", "180", "0", "179.99999", "-179.99999"), ftoa((s.rnd.Float64()*2 - 1) * 85.05112878)
	case 1:
		return ftoa((s.rnd.Float64()*2 - 1) * 180), s.pick("85.05112878", "-85.05112878", "0", "85", "-85", "66.6", "-80.2")
	case 2:
		return ftoa((s.rnd.Float64()*2 - 1) * 180), ftoa((s.rnd.Float64()*2 - 1) * 85.05112878)
	case 3, 4:
		c := geoCentres[s.intn(len(geoCentres))]
		return ftoa(c[0]), ftoa(c[1])
	}
	c := geoCentres[s.intn(len(geoCentres))]
	spread := s.pick("0.001", "0.05", "0.5", "3")
	d, _ := strconv.ParseFloat(spread, 64)
	lon := c[0] + (s.rnd.Float64()*2-1)*d
	lat := c[1] + (s.rnd.Float64()*2-1)*d
	if lon > 180 {
		lon -= 360
	}
	if lon < -180 {
		lon += 360
	}
	lat = math.Max(-85.05112878, math.Min(85.05112878, lat))
	return ftoa(math.Round(lon*1e7) / 1e7), ftoa(math.Round(lat*1e7) / 1e7)
}

// gbadCoord returns an invalid or unparsable pair now and then, a valid one otherwise.
func (s *stream) gcoordMaybeBad() (string, string) {
	if s.chance(0.06) {
		pairs := [][2]string{{"180.0000001", "0"}, {"-180.5", "10"}, {"0", "85.05112879"}, {"0", "-85.06"},
			{"inf", "0"}, {"0", "-inf"}, {"abc", "1"}, {"1", ""}, {"1e400", "0"}, {"nan", "1"}, {"1e300", "-1e300"}, {" 1", "2"}}
		p := pairs[s.intn(len(pairs))]
		return p[0], p[1]
	}
	return s.gcoord()
}

// gunit picks a unit, sometimes in another case or invalid.
func (s *stream) gunit() string {
	if s.chance(0.04) {
		return s.pick("cm", "", "kms", "m\x00", "MILES")
	}
	return s.pick("m", "km", "ft", "mi", "M", "Km", "FT", "mI")
}

// gradius picks a radius (or box side) for a unit: mostly tens of km, sometimes 0, tiny, the whole
// globe, or invalid.
func (s *stream) gradius(unit string) string {
	if s.chance(0.04) {
		return s.pick("-1", "abc", "", "inf", "-0", "1e400")
	}
	var km float64
	switch s.intn(8) {
	case 0:
		km = 0
	case 1:
		km = s.rnd.Float64() * 0.5
	case 2:
		km = 5000 + s.rnd.Float64()*20000
	default:
		km = s.rnd.Float64() * 400
	}
	per := map[string]float64{"m": 1000, "km": 1, "ft": 3280.84, "mi": 0.621371}
	f, ok := per[lower(unit)]
	if !ok {
		f = 1
	}
	return ftoa(math.Round(km*f*1000) / 1000)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// geoAddArgs builds GEOADD's arguments after the key: options, then 1..max triples.
func (s *stream) geoAddArgs(max int) []string {
	var args []string
	for s.chance(0.25) {
		args = append(args, s.pick("NX", "XX", "CH", "nx", "ch", "xx"))
	}
	k := 1 + s.intn(max)
	for i := 0; i < k; i++ {
		lon, lat := s.gcoordMaybeBad()
		args = append(args, lon, lat, s.gmember())
	}
	if s.chance(0.03) {
		args = append(args, "1") // a triple cut short
	}
	return args
}

func (s *stream) geoFill(k string) {
	s.do(append([]string{"GEOADD", k}, s.geoAddArgs(12)...)...)
}

// geoFillBig adds 100 to 200 points at once (past zset-max-listpack-entries: a skiplist in Redis).
func (s *stream) geoFillBig(k string) {
	args := []string{"GEOADD", k}
	for i := 0; i < 100+s.intn(100); i++ {
		lon, lat := s.gcoord()
		args = append(args, lon, lat, fmt.Sprintf("b%d", i))
	}
	s.do(args...)
	s.do("OBJECT", "ENCODING", k)
}

func genGeoAdd(s *stream) {
	k := s.key()
	switch s.intn(10) {
	case 0, 1, 2, 3, 4:
		s.do(append(s.cmd("GEOADD", k), s.geoAddArgs(6)...)...)
	case 5:
		s.do(s.cmd("ZRANGE", k, "0", "-1", "WITHSCORES")...)
	case 6:
		s.do(s.cmd("ZCARD", k)...)
	case 7:
		s.do("ZREM", k, s.gmember(), s.gmember())
	case 8:
		s.do(s.cmd(s.pick("DEL", "EXISTS", "TYPE"), k)...)
	default:
		s.do(s.cmd("GEOPOS", k, s.gmember(), s.gmember())...)
	}
}

func genGeoReads(s *stream) {
	k := s.key()
	if s.chance(0.1) {
		k = "nokey"
	}
	switch s.intn(9) {
	case 0, 1:
		s.geoFill(s.key())
	case 2, 3:
		args := []string{k}
		for i := 0; i < 1+s.intn(4); i++ {
			args = append(args, s.gmember())
		}
		s.do(s.cmd("GEOPOS", args...)...)
	case 4:
		args := []string{k}
		for i := 0; i < 1+s.intn(4); i++ {
			args = append(args, s.gmember())
		}
		s.do(s.cmd("GEOHASH", args...)...)
	case 5:
		s.do(s.cmd("GEOPOS", k)...)
	default:
		args := []string{k, s.gmember(), s.gmember()}
		if s.chance(0.7) {
			args = append(args, s.gunit())
		}
		if s.chance(0.03) {
			args = append(args, "km")
		}
		s.do(s.cmd("GEODIST", args...)...)
	}
}

// geoFrom returns GEOSEARCH's FROMMEMBER or FROMLONLAT arguments.
func (s *stream) geoFrom() []string {
	if s.chance(0.35) {
		return []string{s.pick("FROMMEMBER", "frommember"), s.gmember()}
	}
	lon, lat := s.gcoordMaybeBad()
	return []string{s.pick("FROMLONLAT", "fromlonlat"), lon, lat}
}

// geoBy returns GEOSEARCH's BYRADIUS or BYBOX arguments.
func (s *stream) geoBy() []string {
	u := s.gunit()
	if s.chance(0.5) {
		return []string{s.pick("BYRADIUS", "byradius"), s.gradius(u), u}
	}
	return []string{s.pick("BYBOX", "bybox"), s.gradius(u), s.gradius(u), u}
}

// geoOptions returns the reply and order options of a search, shuffled.
func (s *stream) geoOptions(with bool) []string {
	var opts [][]string
	if with {
		for _, w := range []string{"WITHDIST", "WITHHASH", "WITHCOORD"} {
			if s.chance(0.4) {
				opts = append(opts, []string{w})
			}
		}
	}
	if s.chance(0.6) {
		opts = append(opts, []string{s.pick("ASC", "DESC", "asc", "desc")})
	}
	if s.chance(0.5) {
		c := []string{"COUNT", itoa(int64(1 + s.intn(12)))}
		if s.chance(0.05) {
			c[1] = s.pick("0", "-1", "abc", "9223372036854775807", "1000")
		}
		opts = append(opts, c)
		if s.chance(0.3) {
			opts = append(opts, []string{"ANY"})
		}
	} else if s.chance(0.03) {
		opts = append(opts, []string{"ANY"}) // ANY without COUNT
	}
	s.rnd.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	var out []string
	for _, o := range opts {
		out = append(out, o...)
	}
	return out
}

func genGeoSearch(s *stream) {
	k := s.key()
	if s.chance(0.05) {
		k = "nokey"
	}
	switch s.intn(10) {
	case 0:
		if s.chance(0.15) {
			s.geoFillBig(s.key())
		} else {
			s.geoFill(s.key())
		}
	case 1:
		s.geoFill(s.key())
	default:
		parts := [][]string{s.geoFrom(), s.geoBy()}
		if s.chance(0.5) {
			parts[0], parts[1] = parts[1], parts[0]
		}
		if s.chance(0.04) {
			parts = parts[:1] // FROM or BY missing
		}
		if s.chance(0.03) {
			parts = append(parts, s.geoFrom()) // both FROM forms, or FROM twice
		}
		args := s.cmd("GEOSEARCH", k)
		for _, p := range parts {
			args = append(args, p...)
		}
		args = append(args, s.geoOptions(true)...)
		if s.chance(0.02) {
			args = append(args, s.pick("STORE", "STOREDIST", "BOGUS"))
		}
		s.do(args...)
	}
}

func genGeoRadius(s *stream) {
	k := s.key()
	if s.chance(0.05) {
		k = "nokey"
	}
	u := s.gunit()
	switch s.intn(10) {
	case 0, 1:
		s.geoFill(s.key())
	case 2, 3, 4, 5:
		lon, lat := s.gcoordMaybeBad()
		name := s.pick("GEORADIUS", "GEORADIUS_RO")
		args := append(s.cmd(name, k, lon, lat, s.gradius(u), u), s.geoOptions(true)...)
		if name == "GEORADIUS" && s.chance(0.2) {
			args = append(args, s.pick("STORE", "STOREDIST"), s.pick("dst", k))
		}
		s.do(args...)
	default:
		name := s.pick("GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO")
		args := append(s.cmd(name, k, s.gmember(), s.gradius(u), u), s.geoOptions(true)...)
		if s.chance(0.2) {
			args = append(args, s.pick("STORE", "STOREDIST"), s.pick("dst", k))
		}
		s.do(args...)
	}
	if s.chance(0.3) {
		s.do("ZRANGE", "dst", "0", "-1", "WITHSCORES")
	}
}

func genGeoStore(s *stream) {
	k := s.key()
	if s.chance(0.05) {
		k = "nokey"
	}
	dst := s.pick("dst", "dst2", s.key())
	switch s.intn(8) {
	case 0:
		s.geoFill(s.key())
	case 1:
		if s.chance(0.2) {
			s.geoFillBig(s.key())
		} else {
			s.geoFill(s.key())
		}
	case 2:
		s.do("SET", "dst2", "string")
	case 3, 4, 5:
		args := append(s.cmd("GEOSEARCHSTORE", dst, k), s.geoFrom()...)
		args = append(args, s.geoBy()...)
		args = append(args, s.geoOptions(s.chance(0.05))...)
		if s.chance(0.5) {
			args = append(args, s.pick("STOREDIST", "storedist"))
		}
		s.do(args...)
		s.do("ZRANGE", dst, "0", "-1", "WITHSCORES")
		s.do("OBJECT", "ENCODING", dst)
		s.doCmp(cmpTTL, "TTL", dst)
	default:
		lon, lat := s.gcoord()
		u := s.gunit()
		args := append(s.cmd("GEORADIUS", k, lon, lat, s.gradius(u), u), s.geoOptions(false)...)
		args = append(args, s.pick("STORE", "STOREDIST"), dst)
		s.do(args...)
		s.do("ZRANGE", dst, "0", "-1", "WITHSCORES")
		if s.chance(0.2) {
			s.do("EXPIRE", dst, itoa(s.relS()))
		}
	}
}

// genGeoScores gives members arbitrary scores with ZADD (out of the 52-bit range, negative,
// fractional, infinite) and reads them with the GEO commands, which decode any score as Redis's
// C conversions do.
func genGeoScores(s *stream) {
	k := s.key()
	switch s.intn(6) {
	case 0, 1:
		score := s.pick("0", "1", "-1", "1.5", "-0.5", "4503599627370496", "9007199254740992", "1e19",
			"9223372036854775808", "-9223372036854775809", "1e300", "-1e300", "inf", "-inf",
			"3471579339700058", "2251799813685248", "4294967296")
		if s.chance(0.5) {
			score = strconv.FormatUint(s.rnd.Uint64()>>uint(11+s.intn(3)), 10)
		}
		s.do("ZADD", k, score, s.gmember())
	case 2:
		s.do(s.cmd("GEOPOS", k, s.gmember(), s.gmember())...)
	case 3:
		s.do(s.cmd("GEOHASH", k, s.gmember(), s.gmember())...)
	case 4:
		s.do(s.cmd("GEODIST", k, s.gmember(), s.gmember(), s.gunit())...)
	default:
		args := append(s.cmd("GEOSEARCH", k), s.geoFrom()...)
		args = append(args, s.geoBy()...)
		s.do(append(args, s.geoOptions(true)...)...)
	}
}

func genGeoWrongType(s *stream) {
	k, o := s.key(), s.key()
	switch s.intn(6) {
	case 0:
		s.do("DEL", k)
		switch s.intn(4) {
		case 0:
			s.do("SET", k, "v")
		case 1:
			s.do("SADD", k, "f")
		case 2:
			s.do("HSET", k, "f", "v")
		default:
			s.do("RPUSH", k, "v")
		}
	case 1:
		s.geoFill(k)
	default:
		m := s.gmember()
		cmds := [][]string{{"GEOADD", k, "1", "2", m}, {"GEOADD", k, "200", "2", m}, {"GEOPOS", k, m},
			{"GEOHASH", k, m}, {"GEODIST", k, m, m}, {"GEODIST", k, m, m, "cm"},
			{"GEOSEARCH", k, "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"},
			{"GEOSEARCH", k, "FROMMEMBER", m, "BYBOX", "1", "1", "km"},
			{"GEOSEARCHSTORE", o, k, "FROMLONLAT", "1", "2", "BYRADIUS", "100", "km"},
			{"GEOSEARCHSTORE", k, o, "FROMLONLAT", "1", "2", "BYRADIUS", "20000", "km"},
			{"GEORADIUS", k, "1", "2", "10", "km"}, {"GEORADIUS", k, "1", "2", "10", "km", "STORE", o},
			{"GEORADIUSBYMEMBER", k, m, "10", "km"}, {"GEORADIUSBYMEMBER_RO", k, m, "10", "km"},
			{"GEORADIUS_RO", k, "1", "2", "10", "km"}, {"TYPE", k}, {"GET", k}}
		s.do(cmds[s.intn(len(cmds))]...)
	}
}

func genGeoEdges(s *stream) {
	for _, c := range [][]string{
		{"GEOADD", "e", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
		{"GEOADD", "e", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "180", "0", "east", "-180", "0", "west"},
		{"GEOADD", "e", "0", "0", "origin", "0.000001", "-0.000001", "tiny"},
		{"GEOPOS", "e", "ne", "sw", "east", "west", "origin", "tiny", "nope"},
		{"GEOHASH", "e", "ne", "sw", "east", "west", "origin", "tiny", "nope"},
		{"GEODIST", "e", "east", "west"}, {"GEODIST", "e", "ne", "sw", "km"}, {"GEODIST", "e", "origin", "origin"},
		{"GEOSEARCH", "e", "FROMMEMBER", "east", "BYRADIUS", "1", "km", "WITHDIST"},
		{"GEOSEARCH", "e", "FROMLONLAT", "179.9999", "0", "BYRADIUS", "50", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "-179.9999", "0", "BYBOX", "100", "100", "km", "WITHDIST", "ASC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "85.05", "BYRADIUS", "20000", "km", "WITHCOORD", "DESC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "0", "m", "WITHHASH"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYBOX", "0", "0", "m", "WITHHASH"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "m", "COUNT", "3", "ANY"},
		{"GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYBOX", "inf", "1", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "1", "ANY", "DESC"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ANY"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "0"},
		{"GEOSEARCH", "e", "FROMMEMBER", "nope", "BYRADIUS", "200", "km"},
		{"GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYRADIUS", "200", "km"},
		{"GEOSEARCH", "e", "BYRADIUS", "200", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37"},
		{"geosearch", "e", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "1"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYBOX", "x", "y", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYBOX", "1", "y", "km"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "parsec"},
		{"GEOSEARCH", "e", "FROMLONLAT", "200", "37", "BYRADIUS", "1", "km"},
		{"GEOSEARCHSTORE", "d", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"},
		{"GEOSEARCHSTORE", "d", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"},
		{"ZRANGE", "d", "0", "-1", "WITHSCORES"},
		{"GEOSEARCHSTORE", "d", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "x"},
		{"GEOSEARCHSTORE", "d", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"},
		{"EXISTS", "d"},
		{"GEORADIUS", "e", "15", "37", "200", "km", "STORE", "d", "WITHDIST"},
		{"GEORADIUS", "e", "15", "37", "200", "km", "STOREDIST", "d", "COUNT", "1", "DESC"},
		{"ZRANGE", "d", "0", "-1", "WITHSCORES"},
		{"GEORADIUS_RO", "e", "15", "37", "200", "km", "STORE", "d"},
		{"GEORADIUS", "e", "15", "37", "200"},
		{"GEORADIUS", "e", "15", "37", "200", "km", "STORE"},
		{"GEORADIUSBYMEMBER", "e", "nope", "200", "km"},
		{"GEORADIUSBYMEMBER", "nokey", "nope", "200", "km", "STORE", "d"},
		{"EXISTS", "d"},
		{"GEORADIUSBYMEMBER", "nokey", "nope", "abc", "km", "BOGUS"},
		{"GEORADIUSBYMEMBER", "e", "Palermo", "abc", "km"},
		{"GEOADD", "e"}, {"GEOADD", "e", "1", "2"}, {"GEOADD", "e", "NX", "XX", "1", "2", "a"},
		{"GEOADD", "e", "CH", "CH", "CH"}, {"GEOADD", "e", "GT", "1", "2", "a"}, {"GEOADD", "e", "INCR", "1", "2"},
		{"GEOADD", "e", "XX", "CH", "1", "2", "Palermo", "3", "4", "newone"},
		{"GEOADD", "e", "1", "2", "dup", "3", "4", "dup"},
		{"GEOPOS", "e", "dup"},
		{"GEODIST", "e"}, {"GEODIST", "e", "a", "b", "c", "d"}, {"GEOHASH", "e"}, {"GEOPOS", "e"},
		{"GEORADIUS", "e", "15", "37", "200", "km", "COUNT"},
		{"GEORADIUS", "e", "15", "37", "200", "km", "COUNT", "1", "ANY", "WITHDIST"},
		{"GEORADIUS_RO", "e", "15", "37", "200", "km", "STOREDIST", "d"},
		{"GEOSEARCH", "e", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST\x00junk"},
		{"OBJECT", "ENCODING", "e"},
	} {
		s.do(c...)
	}
}
