//go:build capture

package geo

// Capture generators: they send seeded random and hand-picked inputs to a real redis-server 7.0
// and write its raw replies to testdata/, which the ordinary tests (geo_test.go) check. They
// were run against redis-server 7.0.15 on x86-64 Linux (glibc 2.36):
//
//	redis-server --port 16540 --save '' --appendonly no --daemonize yes
//	go test -tags capture -run TestCapture ./internal/geo/ -args -redis=127.0.0.1:16540
//
// A rerun against the same server rewrites identical files.

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var captureAddr = flag.String("redis", "127.0.0.1:16540", "address of the redis-server 7.0 to capture from")

type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRedis(t *testing.T) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", *captureAddr)
	if err != nil {
		t.Fatalf("connect to redis-server at %s: %v", *captureAddr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{conn: conn, r: bufio.NewReader(conn)}
}

// do sends a command and returns the raw reply bytes.
func (c *rawClient) do(t *testing.T, args ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := c.read(&out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func (c *rawClient) read(out *strings.Builder) error {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return err
	}
	out.WriteString(line)
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '$', '=', '!':
		n, _ := strconv.Atoi(body)
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := ioReadFull(c.r, buf); err != nil {
				return err
			}
			out.Write(buf)
		}
	case '*', '~', '>', '%', '|':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := c.read(out); err != nil {
				return err
			}
		}
	}
	return nil
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func writeCaptured(t *testing.T, name, columns string, rows [][]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# Captured from redis-server 7.0.15 by capture_test.go (go test -tags capture).\n")
	b.WriteString("# " + columns + "\n")
	for _, r := range rows {
		q := make([]string, len(r))
		for i, f := range r {
			q[i] = strconv.Quote(f)
		}
		b.WriteString(strings.Join(q, "\t") + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// randLonLat returns a coordinate pair, now and then on or near the limits.
func randLonLat(r *rand.Rand) (float64, float64) {
	lon := (r.Float64()*2 - 1) * 180
	lat := (r.Float64()*2 - 1) * LatMax
	switch r.Intn(10) {
	case 0:
		lon = []float64{-180, 180, 0, 179.9999999, -179.9999999}[r.Intn(5)]
	case 1:
		lat = []float64{LatMax, LatMin, 0, 85, -85, 84.99999, 66.5, -80.5}[r.Intn(8)]
	case 2:
		lon, lat = math.Round(lon*100)/100, math.Round(lat*100)/100
	}
	return lon, lat
}

// handPairs are coordinate arguments worth checking, valid or not.
var handPairs = [][2]string{
	{"0", "0"}, {"-180", "-85.05112878"}, {"180", "85.05112878"}, {"180", "0"}, {"-180", "0"},
	{"13.361389", "38.115556"}, {"15.087269", "37.502669"}, {"0.000001", "-0.000001"},
	{"-0", "-0"}, {"1e-300", "1e-300"}, {"179.99999999999", "85.0511287"}, {"180.0000001", "0"},
	{"0", "85.05112879"}, {"0", "-85.05112879"}, {"-180.0000001", "1"}, {"inf", "0"},
	{"0", "-inf"}, {"1e300", "1e300"}, {"-1e30", "5"}, {"0x10", "0x1p3"}, {"+5", ".5"},
	{"123456.789", "-98765.4321"},
}

// TestCapturePoints writes testdata/points.txt: GEOADD of one point, then ZSCORE, GEOPOS and
// GEOHASH of it (or GEOADD's error reply, and nothing else).
func TestCapturePoints(t *testing.T) {
	c := dialRedis(t)
	r := rand.New(rand.NewSource(1))
	var rows [][]string
	add := func(lon, lat string) {
		c.do(t, "DEL", "g")
		reply := c.do(t, "GEOADD", "g", lon, lat, "p")
		if reply[0] == '-' {
			rows = append(rows, []string{lon, lat, reply, "", "", ""})
			return
		}
		rows = append(rows, []string{lon, lat, reply, c.do(t, "ZSCORE", "g", "p"), c.do(t, "GEOPOS", "g", "p"), c.do(t, "GEOHASH", "g", "p")})
	}
	for _, p := range handPairs {
		add(p[0], p[1])
	}
	for i := 0; i < 400; i++ {
		lon, lat := randLonLat(r)
		add(ftoa(lon), ftoa(lat))
	}
	writeCaptured(t, "points.txt", "longitude, latitude, GEOADD reply, ZSCORE, GEOPOS, GEOHASH (raw RESP2)", rows)
}

// TestCaptureScores writes testdata/scores.txt: GEOPOS, GEOHASH and WITHHASH of members given
// arbitrary scores with ZADD (out-of-range scores decode as C's conversions make them).
func TestCaptureScores(t *testing.T) {
	c := dialRedis(t)
	r := rand.New(rand.NewSource(2))
	scores := []string{"0", "1", "-1", "1.5", "-0.5", "4503599627370495", "4503599627370496",
		"9007199254740992", "9007199254740993", "18014398509481984", "9223372036854775807",
		"9223372036854775808", "1e19", "18446744073709551615", "18446744073709551616",
		"-9223372036854775808", "-9223372036854775809", "-1e19", "1e300", "-1e300", "inf", "-inf",
		"2251799813685248", "3377699720527872", "4294967296", "4294967295", "1e-300"}
	for i := 0; i < 100; i++ {
		switch r.Intn(3) {
		case 0:
			scores = append(scores, strconv.FormatUint(r.Uint64()>>12, 10))
		case 1:
			scores = append(scores, strconv.FormatUint(r.Uint64()>>uint(r.Intn(12)), 10))
		default:
			scores = append(scores, ftoa((r.Float64()*2-1)*math.Pow(2, float64(r.Intn(70)))))
		}
	}
	var rows [][]string
	for _, s := range scores {
		c.do(t, "DEL", "g")
		c.do(t, "ZADD", "g", s, "p")
		rows = append(rows, []string{s, c.do(t, "ZSCORE", "g", "p"), c.do(t, "GEOPOS", "g", "p"), c.do(t, "GEOHASH", "g", "p"),
			c.do(t, "GEOSEARCH", "g", "FROMMEMBER", "p", "BYRADIUS", "0", "m", "WITHHASH", "WITHDIST")})
	}
	writeCaptured(t, "scores.txt", "score, ZSCORE, GEOPOS, GEOHASH, GEOSEARCH FROMMEMBER p BYRADIUS 0 m WITHHASH WITHDIST (raw RESP2)", rows)
}

// TestCaptureDistances writes testdata/distances.txt: two points, GEODIST in each unit, and the
// exact distance in meters as GEOSEARCHSTORE ... STOREDIST stores it (ZSCORE, 17 digits).
func TestCaptureDistances(t *testing.T) {
	c := dialRedis(t)
	r := rand.New(rand.NewSource(3))
	var rows [][]string
	for i := 0; i < 400; i++ {
		lon1, lat1 := randLonLat(r)
		lon2, lat2 := randLonLat(r)
		switch i % 4 {
		case 1: // near each other
			lon2 = math.Max(-180, math.Min(180, lon1+(r.Float64()*2-1)*0.01))
			lat2 = math.Max(LatMin, math.Min(LatMax, lat1+(r.Float64()*2-1)*0.01))
		case 2: // across the antimeridian or nearly antipodal
			lon2 = -lon1
			if r.Intn(2) == 0 {
				lat2 = -lat1
			}
		case 3: // on the same meridian
			lon2 = lon1
		}
		c.do(t, "DEL", "g", "d")
		c.do(t, "GEOADD", "g", ftoa(lon1), ftoa(lat1), "a", ftoa(lon2), ftoa(lat2), "b")
		c.do(t, "GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "a", "BYRADIUS", "100000", "km", "STOREDIST")
		row := []string{c.do(t, "ZSCORE", "g", "a"), c.do(t, "ZSCORE", "g", "b")}
		for _, u := range []string{"m", "km", "ft", "mi"} {
			row = append(row, c.do(t, "GEODIST", "g", "a", "b", u))
		}
		row = append(row, c.do(t, "ZSCORE", "d", "b"))
		rows = append(rows, row)
	}
	writeCaptured(t, "distances.txt", "score a, score b, GEODIST a b m|km|ft|mi, STOREDIST score of b from a in km (raw RESP2)", rows)
}

// TestCaptureSearches writes testdata/searches.txt: a seeded set of points (clusters, duplicates,
// poles, the antimeridian) and GEOSEARCH queries with every option, and their raw replies.
func TestCaptureSearches(t *testing.T) {
	c := dialRedis(t)
	r := rand.New(rand.NewSource(4))
	var rows [][]string
	for set := 0; set < 12; set++ {
		c.do(t, "DEL", "g")
		var args []string
		cx, cy := randLonLat(r)
		if set%4 == 3 {
			cx = 179.5
		}
		if set%6 == 5 {
			cy = 84
		}
		n := 20 + r.Intn(150)
		for i := 0; i < n; i++ {
			var lon, lat float64
			switch r.Intn(4) {
			case 0:
				lon, lat = randLonLat(r)
			case 1: // duplicates of the centre
				lon, lat = cx, cy
			default:
				lon = cx + (r.Float64()*2-1)*r.Float64()*3
				lat = cy + (r.Float64()*2-1)*r.Float64()*3
				if lon > 180 {
					lon -= 360
				}
				if lon < -180 {
					lon += 360
				}
				lat = math.Max(LatMin, math.Min(LatMax, lat))
			}
			args = append(args, ftoa(lon), ftoa(lat), fmt.Sprintf("m%d", i))
		}
		c.do(t, append([]string{"GEOADD", "g"}, args...)...)
		pts := c.do(t, "ZRANGE", "g", "0", "-1", "WITHSCORES")
		for q := 0; q < 25; q++ {
			var cmd []string
			if r.Intn(3) == 0 {
				cmd = []string{"GEOSEARCH", "g", "FROMMEMBER", fmt.Sprintf("m%d", r.Intn(n))}
			} else {
				cmd = []string{"GEOSEARCH", "g", "FROMLONLAT", ftoa(cx + (r.Float64()*2-1)*0.5), ftoa(math.Max(LatMin, math.Min(LatMax, cy+(r.Float64()*2-1)*0.5)))}
				if cmd[3] > "180" && cmd[3][0] != '-' && len(cmd[3]) >= 3 {
					if v, _ := strconv.ParseFloat(cmd[3], 64); v > 180 {
						cmd[3] = "180"
					}
				}
			}
			unit := []string{"m", "km", "ft", "mi"}[r.Intn(4)]
			scale := map[string]float64{"m": 1000, "km": 1, "ft": 3280, "mi": 0.62}[unit]
			size := func() string {
				return ftoa(math.Round(r.Float64()*r.Float64()*500*scale*1000) / 1000)
			}
			if r.Intn(2) == 0 {
				cmd = append(cmd, "BYRADIUS", size(), unit)
			} else {
				cmd = append(cmd, "BYBOX", size(), size(), unit)
			}
			switch r.Intn(3) {
			case 0:
				cmd = append(cmd, "ASC")
			case 1:
				cmd = append(cmd, "DESC")
			}
			if r.Intn(2) == 0 {
				cmd = append(cmd, "COUNT", strconv.Itoa(1+r.Intn(30)))
				if r.Intn(3) == 0 {
					cmd = append(cmd, "ANY")
				}
			}
			cmd = append(cmd, "WITHDIST", "WITHHASH", "WITHCOORD")
			if q > 0 {
				pts = "" // the same points as the row above
			}
			rows = append(rows, []string{pts, strings.Join(cmd[2:], " "), c.do(t, cmd...)})
		}
	}
	writeCaptured(t, "searches.txt", "ZRANGE g 0 -1 WITHSCORES (empty: as in the row above), GEOSEARCH g arguments, reply (raw RESP2)", rows)
}
