package command

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/concord-db/concord/internal/effect"
)

type geoStep struct {
	cmd  string
	want string
}

// TestGeoCommands replays sequences whose replies were captured from redis-server 7.0.15 (each
// case on an empty server; "resp3" cases after HELLO 3). Every reply is deterministic in Redis,
// so every one is compared byte for byte.
func TestGeoCommands(t *testing.T) {
	for _, tc := range geoCases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetsEnv(t)
			if strings.HasPrefix(tc.name, "resp3") {
				s.do("HELLO", "3")
			}
			for i, st := range tc.steps {
				if got := s.do(splitArgs(st.cmd)...); got != st.want {
					t.Fatalf("step %d %s:\n got  %q\n want %q", i, st.cmd, got, st.want)
				}
			}
		})
	}
}

// GEOADD emits exactly the effects of the ZADD it stands for; reads emit nothing; a STORE
// replaces its destination like ZRANGESTORE.
func TestGeoEffects(t *testing.T) {
	geoEnv, zaddEnv := newSetsEnv(t), newSetsEnv(t)
	ops := func(s *setsEnv) []effect.Op {
		var out []effect.Op
		for _, b := range s.batches {
			out = append(out, b.Ops...)
		}
		return out
	}
	geoEnv.do("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
	zaddEnv.do("ZADD", "g", "3479099956230698", "Palermo", "3479447370796909", "Catania")
	geoEnv.do("GEOADD", "g", "XX", "CH", "13", "38", "Palermo", "1", "1", "nope")
	zaddEnv.do("ZADD", "g", "XX", "CH", "3479065152021743", "Palermo", "3377699720527872", "nope")
	g, z := ops(geoEnv), ops(zaddEnv)
	if len(g) != len(z) || len(g) != 2 {
		t.Fatalf("GEOADD ops %+v, ZADD ops %+v", g, z)
	}
	for i := range g {
		if g[i].Kind != effect.ZsetSet || g[i].Kind != z[i].Kind || g[i].Key != z[i].Key ||
			!slices.Equal(g[i].Scores, z[i].Scores) || len(g[i].Elems) != len(z[i].Elems) {
			t.Fatalf("op %d: GEOADD %+v, ZADD %+v", i, g[i], z[i])
		}
		for j := range g[i].Elems {
			if string(g[i].Elems[j]) != string(z[i].Elems[j]) {
				t.Fatalf("op %d elem %d: %q vs %q", i, j, g[i].Elems[j], z[i].Elems[j])
			}
		}
	}

	n := len(geoEnv.batches)
	for _, c := range [][]string{
		{"GEOPOS", "g", "Palermo"}, {"GEOHASH", "g", "Palermo"}, {"GEODIST", "g", "Palermo", "Catania"},
		{"GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km"},
		{"GEORADIUS", "g", "15", "37", "200", "km"}, {"GEOADD", "nokey", "XX", "1", "1", "a"},
		{"GEOADD", "g", "NX", "1", "1", "Palermo"}, {"GEOADD", "g", "200", "1", "x"},
		{"GEOSEARCHSTORE", "nodst", "nokey", "FROMMEMBER", "Palermo", "BYRADIUS", "0", "m", "COUNT", "1", "ANY"},
		{"GEOSEARCHSTORE", "nodst", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"},
	} {
		geoEnv.do(c...)
	}
	if len(geoEnv.batches) != n {
		t.Fatalf("commands that change nothing emitted %d batches", len(geoEnv.batches)-n)
	}
	geoEnv.do("SET", "d", "x")
	geoEnv.do("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "STOREDIST")
	b := geoEnv.batches[len(geoEnv.batches)-1]
	var kinds []effect.Kind
	for _, op := range b.Ops {
		kinds = append(kinds, op.Kind)
	}
	if !slices.Equal(kinds, []effect.Kind{effect.Delete, effect.ZsetSet, effect.Expire}) || len(b.Ops[1].Elems) != 2 || b.Ops[1].Scores[0] != 0 {
		t.Fatalf("GEOSEARCHSTORE STOREDIST: %+v", b.Ops)
	}
	geoEnv.do("GEORADIUS", "g", "0", "0", "1", "m", "STORE", "d")
	if b := geoEnv.batches[len(geoEnv.batches)-1]; len(b.Ops) != 1 || b.Ops[0].Kind != effect.Delete {
		t.Fatalf("empty GEORADIUS STORE: %+v", b.Ops)
	}
}

// geoCases were captured from redis-server 7.0.15.
var geoCases = []struct {
	name  string
	steps []geoStep
}{
	{"geoadd_flags", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", ":2\r\n"},
		{"GEOADD g 13.361389 38.115556 Palermo", ":0\r\n"},
		{"GEOADD g CH 13.361389 38.115556 Palermo 13 38 Palermo", ":1\r\n"},
		{"GEOADD g XX 1 1 nope", ":0\r\n"},
		{"GEOADD g NX 1 1 Palermo 2 2 new", ":1\r\n"},
		{"GEOADD g CH XX 3 3 new 4 4 other", ":1\r\n"},
		{"GEOADD g nx xx 1 1 x", "-ERR syntax error\r\n"},
		{"GEOADD g ch ch ch", "-ERR syntax error\r\n"},
		{"GEOADD g 1 2", "-ERR wrong number of arguments for 'geoadd' command\r\n"},
		{"GEOADD g GT 1 2 a", "-ERR syntax error\r\n"},
		{"GEOADD g 1 2 dup 3 4 dup", ":1\r\n"},
		{"GEOADD nokey XX 1 1 a", ":0\r\n"},
		{"EXISTS nokey", ":0\r\n"},
		{"ZRANGE g 0 -1 WITHSCORES", "*8\r\n$3\r\nnew\r\n$16\r\n3379368329318596\r\n$3\r\ndup\r\n$16\r\n3379626039612548\r\n$7\r\nPalermo\r\n$16\r\n3479065152021743\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n"},
	}},
	{"resp3_geoadd_flags", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", ":2\r\n"},
		{"GEOADD g 13.361389 38.115556 Palermo", ":0\r\n"},
		{"GEOADD g CH 13.361389 38.115556 Palermo 13 38 Palermo", ":1\r\n"},
		{"GEOADD g XX 1 1 nope", ":0\r\n"},
		{"GEOADD g NX 1 1 Palermo 2 2 new", ":1\r\n"},
		{"GEOADD g CH XX 3 3 new 4 4 other", ":1\r\n"},
		{"GEOADD g nx xx 1 1 x", "-ERR syntax error\r\n"},
		{"GEOADD g ch ch ch", "-ERR syntax error\r\n"},
		{"GEOADD g 1 2", "-ERR wrong number of arguments for 'geoadd' command\r\n"},
		{"GEOADD g GT 1 2 a", "-ERR syntax error\r\n"},
		{"GEOADD g 1 2 dup 3 4 dup", ":1\r\n"},
		{"GEOADD nokey XX 1 1 a", ":0\r\n"},
		{"EXISTS nokey", ":0\r\n"},
		{"ZRANGE g 0 -1 WITHSCORES", "*4\r\n*2\r\n$3\r\nnew\r\n,3379368329318596\r\n*2\r\n$3\r\ndup\r\n,3379626039612548\r\n*2\r\n$7\r\nPalermo\r\n,3479065152021743\r\n*2\r\n$7\r\nCatania\r\n,3479447370796909\r\n"},
	}},
	{"geoadd_invalid", []geoStep{
		{"GEOADD g 200 100 x", "-ERR invalid longitude,latitude pair 200.000000,100.000000\r\n"},
		{"GEOADD g 180.0000001 0 x", "-ERR invalid longitude,latitude pair 180.000000,0.000000\r\n"},
		{"GEOADD g 0 85.05112879 x", "-ERR invalid longitude,latitude pair 0.000000,85.051129\r\n"},
		{"GEOADD g inf 0 x", "-ERR invalid longitude,latitude pair inf,0.000000\r\n"},
		{"GEOADD g 0 -inf x", "-ERR invalid longitude,latitude pair 0.000000,-inf\r\n"},
		{"GEOADD g abc 0 x", "-ERR value is not a valid float\r\n"},
		{"GEOADD g 1e400 0 x", "-ERR value is not a valid float\r\n"},
		{"GEOADD g 1e300 1e300 x", "-ERR invalid longitude,latitude pair 1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000,1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000\r\n"},
		{"GEOADD g 1 1 ok 2 200 bad", "-ERR invalid longitude,latitude pair 2.000000,200.000000\r\n"},
		{"EXISTS g", ":0\r\n"},
	}},
	{"resp3_geoadd_invalid", []geoStep{
		{"GEOADD g 200 100 x", "-ERR invalid longitude,latitude pair 200.000000,100.000000\r\n"},
		{"GEOADD g 180.0000001 0 x", "-ERR invalid longitude,latitude pair 180.000000,0.000000\r\n"},
		{"GEOADD g 0 85.05112879 x", "-ERR invalid longitude,latitude pair 0.000000,85.051129\r\n"},
		{"GEOADD g inf 0 x", "-ERR invalid longitude,latitude pair inf,0.000000\r\n"},
		{"GEOADD g 0 -inf x", "-ERR invalid longitude,latitude pair 0.000000,-inf\r\n"},
		{"GEOADD g abc 0 x", "-ERR value is not a valid float\r\n"},
		{"GEOADD g 1e400 0 x", "-ERR value is not a valid float\r\n"},
		{"GEOADD g 1e300 1e300 x", "-ERR invalid longitude,latitude pair 1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000,1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000\r\n"},
		{"GEOADD g 1 1 ok 2 200 bad", "-ERR invalid longitude,latitude pair 2.000000,200.000000\r\n"},
		{"EXISTS g", ":0\r\n"},
	}},
	{"geoadd_limits", []geoStep{
		{"GEOADD g 180 85.05112878 ne -180 -85.05112878 sw 180 0 east -180 0 west 0 0 origin", ":5\r\n"},
		{"ZRANGE g 0 -1 WITHSCORES", "*10\r\n$2\r\nsw\r\n$1\r\n0\r\n$4\r\nwest\r\n$16\r\n1125899906842624\r\n$6\r\norigin\r\n$16\r\n3377699720527872\r\n$4\r\neast\r\n$17\r\n10133099161583616\r\n$2\r\nne\r\n$17\r\n13510798882111488\r\n"},
		{"GEOPOS g ne sw east west origin", "*5\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$3\r\n180\r\n$19\r\n0.00000126736058093\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$19\r\n0.00000126736058093\r\n*2\r\n$19\r\n0.00000268220901489\r\n$19\r\n0.00000126736058093\r\n"},
		{"GEOHASH g ne sw east west origin", "*5\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\n80000000000\r\n$11\r\n80000000000\r\n$11\r\ns0000000000\r\n"},
		{"GEODIST g east west", "$6\r\n0.2983\r\n"},
		{"GEODIST g ne sw km", "$10\r\n18919.8446\r\n"},
	}},
	{"resp3_geoadd_limits", []geoStep{
		{"GEOADD g 180 85.05112878 ne -180 -85.05112878 sw 180 0 east -180 0 west 0 0 origin", ":5\r\n"},
		{"ZRANGE g 0 -1 WITHSCORES", "*5\r\n*2\r\n$2\r\nsw\r\n,0\r\n*2\r\n$4\r\nwest\r\n,1125899906842624\r\n*2\r\n$6\r\norigin\r\n,3377699720527872\r\n*2\r\n$4\r\neast\r\n,10133099161583616\r\n*2\r\n$2\r\nne\r\n,13510798882111488\r\n"},
		{"GEOPOS g ne sw east west origin", "*5\r\n*2\r\n,180\r\n,85.0511287799999991\r\n*2\r\n,-179.99999731779098511\r\n,-85.05112751263942528\r\n*2\r\n,180\r\n,0.00000126736058093\r\n*2\r\n,-179.99999731779098511\r\n,0.00000126736058093\r\n*2\r\n,0.00000268220901489\r\n,0.00000126736058093\r\n"},
		{"GEOHASH g ne sw east west origin", "*5\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\n80000000000\r\n$11\r\n80000000000\r\n$11\r\ns0000000000\r\n"},
		{"GEODIST g east west", "$6\r\n0.2983\r\n"},
		{"GEODIST g ne sw km", "$10\r\n18919.8446\r\n"},
	}},
	{"radius_store", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2", ":4\r\n"},
		{"GEORADIUS g 15 37 200 km WITHDIST WITHCOORD ASC", "*2\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"},
		{"GEORADIUS g 15 37 200 km STORE d", ":2\r\n"},
		{"ZRANGE d 0 -1 WITHSCORES", "*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n"},
		{"GEORADIUS g 15 37 200 km STOREDIST d", ":2\r\n"},
		{"ZRANGE d 0 -1 WITHSCORES", "*4\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n"},
		{"GEORADIUS g 15 37 200 km STOREDIST d WITHDIST", "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"},
		{"GEORADIUS_RO g 15 37 200 km STORE d", "-ERR syntax error\r\n"},
		{"GEORADIUS g 15 37 200", "-ERR wrong number of arguments for 'georadius' command\r\n"},
		{"GEORADIUS g 15 37 200 km COUNT", "-ERR syntax error\r\n"},
		{"GEORADIUSBYMEMBER g Palermo 200 km WITHDIST", "*3\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$5\r\nedge1\r\n$7\r\n91.4007\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n"},
		{"GEORADIUSBYMEMBER g nope 200 km", "-ERR could not decode requested zset member\r\n"},
		{"GEORADIUSBYMEMBER nokey nope 200 km STORE d", ":0\r\n"},
		{"EXISTS d", ":0\r\n"},
		{"GEORADIUSBYMEMBER_RO g Palermo 200 km WITHDIST WITHHASH", "*3\r\n*3\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n:3479099956230698\r\n*3\r\n$5\r\nedge1\r\n$7\r\n91.4007\r\n:3479273021651468\r\n*3\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n:3479447370796909\r\n"},
		{"GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 200 km STOREDIST", ":3\r\n"},
		{"ZRANGE d 0 -1 WITHSCORES", "*6\r\n$7\r\nPalermo\r\n$1\r\n0\r\n$5\r\nedge1\r\n$18\r\n91.400658605814272\r\n$7\r\nCatania\r\n$18\r\n166.27415156960032\r\n"},
		{"GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 200 km WITHDIST", "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"},
		{"SET s str", "+OK\r\n"},
		{"GEOSEARCHSTORE s g FROMMEMBER Palermo BYRADIUS 200 km", ":3\r\n"},
		{"TYPE s", "+zset\r\n"},
		{"GEOSEARCHSTORE s g FROMMEMBER Palermo BYRADIUS 0 m", ":1\r\n"},
		{"EXISTS s", ":1\r\n"},
		{"GEOSEARCHSTORE s nokey FROMMEMBER Palermo BYRADIUS 0 m", ":0\r\n"},
		{"GEOSEARCH g FROMLONLAT 15 37 BYBOX 400 400 km WITHCOORD WITHDIST", "*4\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*3\r\n$5\r\nedge1\r\n$8\r\n279.7405\r\n*2\r\n$19\r\n12.7584877610206604\r\n$20\r\n38.78813451624225195\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*3\r\n$5\r\nedge2\r\n$8\r\n279.7403\r\n*2\r\n$20\r\n17.24151045083999634\r\n$20\r\n38.78813451624225195\r\n"},
	}},
	{"resp3_radius_store", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2", ":4\r\n"},
		{"GEORADIUS g 15 37 200 km WITHDIST WITHCOORD ASC", "*2\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n"},
		{"GEORADIUS g 15 37 200 km STORE d", ":2\r\n"},
		{"ZRANGE d 0 -1 WITHSCORES", "*2\r\n*2\r\n$7\r\nPalermo\r\n,3479099956230698\r\n*2\r\n$7\r\nCatania\r\n,3479447370796909\r\n"},
		{"GEORADIUS g 15 37 200 km STOREDIST d", ":2\r\n"},
		{"ZRANGE d 0 -1 WITHSCORES", "*2\r\n*2\r\n$7\r\nCatania\r\n,56.441257870158204\r\n*2\r\n$7\r\nPalermo\r\n,190.44242984775784\r\n"},
		{"GEORADIUS g 15 37 200 km STOREDIST d WITHDIST", "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"},
		{"GEORADIUS_RO g 15 37 200 km STORE d", "-ERR syntax error\r\n"},
		{"GEORADIUS g 15 37 200", "-ERR wrong number of arguments for 'georadius' command\r\n"},
		{"GEORADIUS g 15 37 200 km COUNT", "-ERR syntax error\r\n"},
		{"GEORADIUSBYMEMBER g Palermo 200 km WITHDIST", "*3\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$5\r\nedge1\r\n$7\r\n91.4007\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n"},
		{"GEORADIUSBYMEMBER g nope 200 km", "-ERR could not decode requested zset member\r\n"},
		{"GEORADIUSBYMEMBER nokey nope 200 km STORE d", ":0\r\n"},
		{"EXISTS d", ":0\r\n"},
		{"GEORADIUSBYMEMBER_RO g Palermo 200 km WITHDIST WITHHASH", "*3\r\n*3\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n:3479099956230698\r\n*3\r\n$5\r\nedge1\r\n$7\r\n91.4007\r\n:3479273021651468\r\n*3\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n:3479447370796909\r\n"},
		{"GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 200 km STOREDIST", ":3\r\n"},
		{"ZRANGE d 0 -1 WITHSCORES", "*3\r\n*2\r\n$7\r\nPalermo\r\n,0\r\n*2\r\n$5\r\nedge1\r\n,91.400658605814272\r\n*2\r\n$7\r\nCatania\r\n,166.27415156960032\r\n"},
		{"GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 200 km WITHDIST", "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"},
		{"SET s str", "+OK\r\n"},
		{"GEOSEARCHSTORE s g FROMMEMBER Palermo BYRADIUS 200 km", ":3\r\n"},
		{"TYPE s", "+zset\r\n"},
		{"GEOSEARCHSTORE s g FROMMEMBER Palermo BYRADIUS 0 m", ":1\r\n"},
		{"EXISTS s", ":1\r\n"},
		{"GEOSEARCHSTORE s nokey FROMMEMBER Palermo BYRADIUS 0 m", ":0\r\n"},
		{"GEOSEARCH g FROMLONLAT 15 37 BYBOX 400 400 km WITHCOORD WITHDIST", "*4\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n*3\r\n$5\r\nedge1\r\n$8\r\n279.7405\r\n*2\r\n,12.7584877610206604\r\n,38.78813451624225195\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n*3\r\n$5\r\nedge2\r\n$8\r\n279.7403\r\n*2\r\n,17.24151045083999634\r\n,38.78813451624225195\r\n"},
	}},
	{"reads", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", ":2\r\n"},
		{"GEOPOS g Palermo nope Catania", "*3\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n"},
		{"GEOPOS nokey a", "*1\r\n*-1\r\n"},
		{"GEOHASH g Palermo Catania nope", "*3\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$-1\r\n"},
		{"GEOHASH nokey a", "*1\r\n$-1\r\n"},
		{"GEODIST g Palermo Catania", "$11\r\n166274.1516\r\n"},
		{"GEODIST g Palermo Catania KM", "$8\r\n166.2742\r\n"},
		{"GEODIST g Palermo Catania mi", "$8\r\n103.3182\r\n"},
		{"GEODIST g Palermo Catania ft", "$11\r\n545518.8700\r\n"},
		{"GEODIST g Palermo Catania cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEODIST g Palermo Catania km x", "-ERR syntax error\r\n"},
		{"GEODIST g Palermo nope", "$-1\r\n"},
		{"GEODIST nokey a b", "$-1\r\n"},
		{"GEODIST nokey a b cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEOPOS g", "*0\r\n"},
		{"GEOHASH g", "*0\r\n"},
	}},
	{"resp3_reads", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", ":2\r\n"},
		{"GEOPOS g Palermo nope Catania", "*3\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n"},
		{"GEOPOS nokey a", "*1\r\n_\r\n"},
		{"GEOHASH g Palermo Catania nope", "*3\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n_\r\n"},
		{"GEOHASH nokey a", "*1\r\n_\r\n"},
		{"GEODIST g Palermo Catania", "$11\r\n166274.1516\r\n"},
		{"GEODIST g Palermo Catania KM", "$8\r\n166.2742\r\n"},
		{"GEODIST g Palermo Catania mi", "$8\r\n103.3182\r\n"},
		{"GEODIST g Palermo Catania ft", "$11\r\n545518.8700\r\n"},
		{"GEODIST g Palermo Catania cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEODIST g Palermo Catania km x", "-ERR syntax error\r\n"},
		{"GEODIST g Palermo nope", "_\r\n"},
		{"GEODIST nokey a b", "_\r\n"},
		{"GEODIST nokey a b cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEOPOS g", "*0\r\n"},
		{"GEOHASH g", "*0\r\n"},
	}},
	{"search", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 10 10 m0 10 10 m1 10 10 m2 10 10 m3 10 10 m4 10 10 m5 10 10 m6 10 10 m7 10 10 m8 10 10 m9 10.001 10 n1 10.002 10 n2", ":14\r\n"},
		{"GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH", "*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"},
		{"GEOSEARCH g FROMLONLAT 15 37 BYBOX 400 400 km DESC WITHDIST", "*2\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km", "*12\r\n$2\r\nm0\r\n$2\r\nm1\r\n$2\r\nm2\r\n$2\r\nm3\r\n$2\r\nm4\r\n$2\r\nm5\r\n$2\r\nm6\r\n$2\r\nm7\r\n$2\r\nm8\r\n$2\r\nm9\r\n$2\r\nn1\r\n$2\r\nn2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km DESC COUNT 3", "*3\r\n$2\r\nn2\r\n$2\r\nn1\r\n$2\r\nm2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km DESC COUNT 11", "*11\r\n$2\r\nn2\r\n$2\r\nn1\r\n$2\r\nm2\r\n$2\r\nm3\r\n$2\r\nm4\r\n$2\r\nm5\r\n$2\r\nm0\r\n$2\r\nm7\r\n$2\r\nm8\r\n$2\r\nm9\r\n$2\r\nm6\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km ASC", "*12\r\n$2\r\nm0\r\n$2\r\nm1\r\n$2\r\nm2\r\n$2\r\nm3\r\n$2\r\nm4\r\n$2\r\nm5\r\n$2\r\nm6\r\n$2\r\nm7\r\n$2\r\nm8\r\n$2\r\nm9\r\n$2\r\nn1\r\n$2\r\nn2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km COUNT 3 ANY DESC", "*3\r\n$2\r\nm0\r\n$2\r\nm1\r\n$2\r\nm2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km COUNT 2", "*2\r\n$2\r\nm0\r\n$2\r\nm1\r\n"},
		{"GEOSEARCH g FROMLONLAT 10 10 BYRADIUS 0 m WITHHASH", "*0\r\n"},
		{"GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 4 WITHDIST", "*4\r\n*2\r\n$2\r\nm0\r\n$9\r\n1568.9633\r\n*2\r\n$2\r\nm1\r\n$9\r\n1568.9633\r\n*2\r\n$2\r\nm2\r\n$9\r\n1568.9633\r\n*2\r\n$2\r\nm3\r\n$9\r\n1568.9633\r\n"},
		{"GEOSEARCH g FROMMEMBER nope BYRADIUS 1 km", "-ERR could not decode requested zset member\r\n"},
		{"GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km", "*0\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km COUNT 0", "-ERR COUNT must be > 0\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km COUNT x", "-ERR value is not an integer or out of range\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km ANY", "-ERR the ANY argument requires COUNT argument\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS -1 km", "-ERR radius cannot be negative\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS x km", "-ERR need numeric radius\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 -1 km", "-ERR height or width cannot be negative\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX x 1 km", "-ERR need numeric width\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 x km", "-ERR need numeric height\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 1 km BYRADIUS 1 km", "-ERR syntax error\r\n"},
		{"GEOSEARCH g BYRADIUS 1 km", "-ERR wrong number of arguments for 'geosearch' command\r\n"},
		{"geosearch g FROMLONLAT 1 1", "-ERR wrong number of arguments for 'geosearch' command\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 FROMMEMBER m1 BYRADIUS 1 km", "-ERR syntax error\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km STORE x", "-ERR syntax error\r\n"},
		{"GEOSEARCH g FROMLONLAT 200 1 BYRADIUS 1 km", "-ERR invalid longitude,latitude pair 200.000000,1.000000\r\n"},
		{"GEOSEARCH g FROMLONLAT 10 10 BYRADIUS 1 km 'WITHDIST\x00x'", "*12\r\n*2\r\n$2\r\nm0\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm1\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm2\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm3\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm4\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm5\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm6\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm7\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm8\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm9\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nn1\r\n$6\r\n0.1095\r\n*2\r\n$2\r\nn2\r\n$6\r\n0.2188\r\n"},
	}},
	{"resp3_search", []geoStep{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 10 10 m0 10 10 m1 10 10 m2 10 10 m3 10 10 m4 10 10 m5 10 10 m6 10 10 m7 10 10 m8 10 10 m9 10.001 10 n1 10.002 10 n2", ":14\r\n"},
		{"GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH", "*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n"},
		{"GEOSEARCH g FROMLONLAT 15 37 BYBOX 400 400 km DESC WITHDIST", "*2\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km", "*12\r\n$2\r\nm0\r\n$2\r\nm1\r\n$2\r\nm2\r\n$2\r\nm3\r\n$2\r\nm4\r\n$2\r\nm5\r\n$2\r\nm6\r\n$2\r\nm7\r\n$2\r\nm8\r\n$2\r\nm9\r\n$2\r\nn1\r\n$2\r\nn2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km DESC COUNT 3", "*3\r\n$2\r\nn2\r\n$2\r\nn1\r\n$2\r\nm2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km DESC COUNT 11", "*11\r\n$2\r\nn2\r\n$2\r\nn1\r\n$2\r\nm2\r\n$2\r\nm3\r\n$2\r\nm4\r\n$2\r\nm5\r\n$2\r\nm0\r\n$2\r\nm7\r\n$2\r\nm8\r\n$2\r\nm9\r\n$2\r\nm6\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km ASC", "*12\r\n$2\r\nm0\r\n$2\r\nm1\r\n$2\r\nm2\r\n$2\r\nm3\r\n$2\r\nm4\r\n$2\r\nm5\r\n$2\r\nm6\r\n$2\r\nm7\r\n$2\r\nm8\r\n$2\r\nm9\r\n$2\r\nn1\r\n$2\r\nn2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km COUNT 3 ANY DESC", "*3\r\n$2\r\nm0\r\n$2\r\nm1\r\n$2\r\nm2\r\n"},
		{"GEOSEARCH g FROMMEMBER m3 BYRADIUS 1 km COUNT 2", "*2\r\n$2\r\nm0\r\n$2\r\nm1\r\n"},
		{"GEOSEARCH g FROMLONLAT 10 10 BYRADIUS 0 m WITHHASH", "*0\r\n"},
		{"GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 4 WITHDIST", "*4\r\n*2\r\n$2\r\nm0\r\n$9\r\n1568.9633\r\n*2\r\n$2\r\nm1\r\n$9\r\n1568.9633\r\n*2\r\n$2\r\nm2\r\n$9\r\n1568.9633\r\n*2\r\n$2\r\nm3\r\n$9\r\n1568.9633\r\n"},
		{"GEOSEARCH g FROMMEMBER nope BYRADIUS 1 km", "-ERR could not decode requested zset member\r\n"},
		{"GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km", "*0\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km COUNT 0", "-ERR COUNT must be > 0\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km COUNT x", "-ERR value is not an integer or out of range\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km ANY", "-ERR the ANY argument requires COUNT argument\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS -1 km", "-ERR radius cannot be negative\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS x km", "-ERR need numeric radius\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 -1 km", "-ERR height or width cannot be negative\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX x 1 km", "-ERR need numeric width\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 x km", "-ERR need numeric height\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYBOX 1 1 km BYRADIUS 1 km", "-ERR syntax error\r\n"},
		{"GEOSEARCH g BYRADIUS 1 km", "-ERR wrong number of arguments for 'geosearch' command\r\n"},
		{"geosearch g FROMLONLAT 1 1", "-ERR wrong number of arguments for 'geosearch' command\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 FROMMEMBER m1 BYRADIUS 1 km", "-ERR syntax error\r\n"},
		{"GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km STORE x", "-ERR syntax error\r\n"},
		{"GEOSEARCH g FROMLONLAT 200 1 BYRADIUS 1 km", "-ERR invalid longitude,latitude pair 200.000000,1.000000\r\n"},
		{"GEOSEARCH g FROMLONLAT 10 10 BYRADIUS 1 km 'WITHDIST\x00x'", "*12\r\n*2\r\n$2\r\nm0\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm1\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm2\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm3\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm4\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm5\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm6\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm7\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm8\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nm9\r\n$6\r\n0.0003\r\n*2\r\n$2\r\nn1\r\n$6\r\n0.1095\r\n*2\r\n$2\r\nn2\r\n$6\r\n0.2188\r\n"},
	}},
	{"weird_scores", []geoStep{
		{"ZADD g -1 neg 1e19 big inf pinf -inf ninf 1.5 frac 9007199254740993 b53", ":6\r\n"},
		{"GEOPOS g neg big pinf ninf frac b53", "*6\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$3\r\n180\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112497791824921\r\n*2\r\n$3\r\n180\r\n$21\r\n-85.05112751263942528\r\n"},
		{"GEOHASH g neg big pinf ninf frac b53", "*6\r\n$11\r\nbp05b5048p0\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj210\r\n$11\r\n00bh0hbj200\r\n"},
		{"GEODIST g neg frac", "$13\r\n18919844.3072\r\n"},
		{"GEOSEARCH g FROMMEMBER neg BYRADIUS 1 km WITHHASH WITHDIST", "*0\r\n"},
	}},
	{"resp3_weird_scores", []geoStep{
		{"ZADD g -1 neg 1e19 big inf pinf -inf ninf 1.5 frac 9007199254740993 b53", ":6\r\n"},
		{"GEOPOS g neg big pinf ninf frac b53", "*6\r\n*2\r\n,180\r\n,85.0511287799999991\r\n*2\r\n,180\r\n,85.0511287799999991\r\n*2\r\n,-179.99999731779098511\r\n,-85.05112751263942528\r\n*2\r\n,180\r\n,-85.05112751263942528\r\n*2\r\n,-179.99999731779098511\r\n,-85.05112497791824921\r\n*2\r\n,180\r\n,-85.05112751263942528\r\n"},
		{"GEOHASH g neg big pinf ninf frac b53", "*6\r\n$11\r\nbp05b5048p0\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj210\r\n$11\r\n00bh0hbj200\r\n"},
		{"GEODIST g neg frac", "$13\r\n18919844.3072\r\n"},
		{"GEOSEARCH g FROMMEMBER neg BYRADIUS 1 km WITHHASH WITHDIST", "*0\r\n"},
	}},
	{"wrongtype", []geoStep{
		{"SET s x", "+OK\r\n"},
		{"GEOADD s 1 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEOADD s 200 1 a", "-ERR invalid longitude,latitude pair 200.000000,1.000000\r\n"},
		{"GEOPOS s a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEOHASH s a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEODIST s a b", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEODIST s a b cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEORADIUS s 1 1 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEORADIUSBYMEMBER s a 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	}},
	{"resp3_wrongtype", []geoStep{
		{"SET s x", "+OK\r\n"},
		{"GEOADD s 1 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEOADD s 200 1 a", "-ERR invalid longitude,latitude pair 200.000000,1.000000\r\n"},
		{"GEOPOS s a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEOHASH s a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEODIST s a b", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEODIST s a b cm", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"},
		{"GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEORADIUS s 1 1 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEORADIUSBYMEMBER s a 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	}},
}

// BenchmarkGeoSearch: GEOSEARCH ... BYRADIUS 50 km WITHDIST WITHCOORD ASC in a key of 100,000
// points spread over a 10°×10° square (about 780 points returned).
func BenchmarkGeoSearch(b *testing.B) {
	s := newSetsEnv(&testing.T{})
	x := uint64(88172645463325252)
	args := []string{"GEOADD", "g"}
	for i := 0; i < 100_000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		args = append(args, strconv.FormatFloat(float64(x%10_000_000)/1e6, 'f', 6, 64),
			strconv.FormatFloat(float64((x>>32)%10_000_000)/1e6, 'f', 6, 64), "m"+strconv.Itoa(i))
		if len(args) > 3000 {
			s.do(args...)
			args = args[:2]
		}
	}
	s.do(args...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.do("GEOSEARCH", "g", "FROMLONLAT", "5", "5", "BYRADIUS", "50", "km", "WITHDIST", "WITHCOORD", "ASC")
	}
}

// BenchmarkGeoAdd: GEOADD of one new member (the ZADD path, effects included).
func BenchmarkGeoAdd(b *testing.B) {
	s := newSetsEnv(&testing.T{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.do("GEOADD", "g", "13.361389", "38.115556", "m"+strconv.Itoa(i))
	}
}
