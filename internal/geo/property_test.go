package geo

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/concord-db/concord/internal/redisnum"
)

func genLonLat(t *rapid.T) (float64, float64) {
	return rapid.Float64Range(LongMin, LongMax).Draw(t, "lon"), rapid.Float64Range(LatMin, LatMax).Draw(t, "lat")
}

// A stored point decodes to the centre of its cell: within half a cell of where it was added.
func TestScoreRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lon, lat := genLonLat(t)
		score, ok := Score(lon, lat)
		if !ok {
			t.Fatalf("Score(%v, %v) failed", lon, lat)
		}
		x, y := DecodeScore(score)
		cellLon, cellLat := 360/math.Exp2(StepMax), (LatMax-LatMin)/math.Exp2(StepMax)
		if lon == LongMax {
			// The hash carries into bit 53, and the score (a double) loses its lowest bit: a
			// latitude bit. Redis stores the same rounded score.
			cellLat *= 2
		}
		if math.Abs(x-lon) > cellLon || math.Abs(y-lat) > cellLat {
			t.Fatalf("(%v, %v) decoded as (%v, %v)", lon, lat, x, y)
		}
		// Decoding is stable: the centre encodes to the same score.
		if again, _ := Score(x, y); again != score && lon != LongMax && lat != LatMax {
			t.Fatalf("centre (%v, %v) of score %v encodes to %v", x, y, score, again)
		}
		h := HashString(score)
		if len(h) != 11 || h[10] != '0' || strings.Trim(h, geoAlphabet) != "" {
			t.Fatalf("GEOHASH %q", h)
		}
	})
}

// Any score decodes (Redis never fails) to coordinates within the limits.
func TestDecodeAnyScoreProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := math.Float64frombits(rapid.Uint64().Draw(t, "bits"))
		if math.IsNaN(s) {
			return
		}
		x, y := DecodeScore(s)
		if !ValidLonLat(x, y) {
			t.Fatalf("score %v decodes outside the limits: (%v, %v)", s, x, y)
		}
		_ = HashString(s)
	})
}

// The 9 cells cover every point within the radius that Redis's own estimate can reach: a point
// inside the shape and inside one of the cells is found, and nothing outside the shape is.
func TestSearchFindsContainedPointsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cx, cy := genLonLat(t)
		shape := Shape{Lon: cx, Lat: cy, Radius: rapid.Float64Range(0, 500).Draw(t, "km"), Conversion: 1000}
		if rapid.Bool().Draw(t, "box") {
			shape = Shape{Box: true, Lon: cx, Lat: cy, Width: rapid.Float64Range(0, 800).Draw(t, "w"),
				Height: rapid.Float64Range(0, 800).Draw(t, "h"), Conversion: 1000}
		}
		var z zset
		for i := range rapid.IntRange(0, 40).Draw(t, "n") {
			dx := rapid.Float64Range(-5, 5).Draw(t, "dx")
			dy := rapid.Float64Range(-5, 5).Draw(t, "dy")
			x := math.Max(LongMin, math.Min(LongMax, cx+dx))
			y := math.Max(LatMin, math.Min(LatMax, cy+dy))
			s, _ := Score(x, y)
			z = append(z, struct {
				member string
				score  float64
			}{"p" + strconv.Itoa(i), s})
		}
		slices.SortFunc(z, func(a, b struct {
			member string
			score  float64
		}) int {
			return cmp.Or(cmp.Compare(a.score, b.score), strings.Compare(a.member, b.member))
		})
		found := map[string]bool{}
		for _, p := range shape.Search(z.rangeFunc, 0) {
			if found[p.Member] {
				t.Fatalf("%s found twice", p.Member)
			}
			found[p.Member] = true
			if _, _, _, ok := shape.Contains(p.Score); !ok {
				t.Fatalf("%s found outside the shape", p.Member)
			}
		}
		cells := shape.Areas().Cells()
		for _, e := range z {
			_, _, _, in := shape.Contains(e.score)
			inCell := false
			for _, c := range cells {
				inCell = inCell || c.Min <= e.score && e.score < c.Max
			}
			if in && inCell && !found[e.member] {
				t.Fatalf("%s (score %v) is inside the shape and a cell but was not found", e.member, e.score)
			}
		}
	})
}

// Sort orders by distance: fully (stable) when every point is returned, and with COUNT the first
// count are the count smallest, in order.
func TestSortProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 120).Draw(t, "n")
		ps := make([]Point, n)
		for i := range ps {
			ps[i] = Point{Member: strconv.Itoa(i), Dist: float64(rapid.IntRange(0, 15).Draw(t, "d"))}
		}
		desc := rapid.Bool().Draw(t, "desc")
		count := 0
		if n > 0 && rapid.Bool().Draw(t, "count") {
			count = rapid.IntRange(1, n).Draw(t, "c")
		}
		want := slices.Clone(ps)
		slices.SortStableFunc(want, func(a, b Point) int {
			if desc {
				return cmp.Compare(b.Dist, a.Dist)
			}
			return cmp.Compare(a.Dist, b.Dist)
		})
		got := slices.Clone(ps)
		Sort(got, desc, count)
		if count == 0 || count == n {
			if !slices.Equal(got, want) {
				t.Fatalf("full sort: got %v, want %v", got, want)
			}
			return
		}
		for i := 0; i < count; i++ {
			if got[i].Dist != want[i].Dist {
				t.Fatalf("partial sort position %d: got %v, want %v", i, got[:count], want[:count])
			}
		}
		seen := map[string]bool{}
		for _, p := range got {
			seen[p.Member] = true
		}
		if len(seen) != n {
			t.Fatalf("partial sort lost or duplicated points: %v", got)
		}
	})
}

// The error text for coordinates outside the limits is printf's "%f" of each.
func TestInvalidPairError(t *testing.T) {
	for _, c := range []struct {
		lon, lat float64
		want     string
	}{
		{200, 100, "ERR invalid longitude,latitude pair 200.000000,100.000000"},
		{math.Inf(1), 0, "ERR invalid longitude,latitude pair inf,0.000000"},
		{0, math.Inf(-1), "ERR invalid longitude,latitude pair 0.000000,-inf"},
		{1, -85.05112879, "ERR invalid longitude,latitude pair 1.000000,-85.051129"},
		{1e300, 0, "ERR invalid longitude,latitude pair " + strconv.FormatFloat(1e300, 'f', 6, 64) + ",0.000000"},
	} {
		if got := InvalidPairError(c.lon, c.lat); got != c.want {
			t.Errorf("InvalidPairError(%v, %v) = %q, want %q", c.lon, c.lat, got, c.want)
		}
	}
}

func BenchmarkDistance(b *testing.B) {
	b.ReportAllocs()
	var d float64
	for i := 0; i < b.N; i++ {
		d += Distance(13.361389, 38.115556, 15.087269+float64(i&7)*1e-3, 37.502669)
	}
	_ = d
}

func BenchmarkScore(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Score(13.361389+float64(i&1023)*1e-4, 38.115556)
	}
}

func BenchmarkHashString(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		HashString(3479099956230698 + float64(i&1023))
	}
}

// BenchmarkSearch: a 50 km radius query in a set of 1,000,000 points spread over a 20°×20°
// square (about 250 points found, ~1,300 candidates read).
func BenchmarkSearch(b *testing.B) {
	const n = 1_000_000
	z := make(zset, n)
	x := uint64(88172645463325252)
	for i := range z {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		lon := float64(x%20_000_000) / 1e6
		lat := float64((x>>32)%20_000_000) / 1e6
		s, _ := Score(lon, lat)
		z[i].member, z[i].score = "m"+strconv.Itoa(i), s
	}
	slices.SortFunc(z, func(a, b struct {
		member string
		score  float64
	}) int {
		return cmp.Or(cmp.Compare(a.score, b.score), strings.Compare(a.member, b.member))
	})
	q := Query{Shape: Shape{Lon: 10, Lat: 10, Radius: 50, Conversion: 1000}, Order: Asc}
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for i := 0; i < b.N; i++ {
		found = len(q.Run(z.rangeFunc))
	}
	b.ReportMetric(float64(found), "points")
}

func TestAppendCoordProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var f float64
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			f = rapid.Float64Range(-180, 180).Draw(t, "coord")
		case 1:
			f = math.Float64frombits(rapid.Uint64().Draw(t, "bits"))
			if math.IsNaN(f) || math.Abs(f) > 1e30 {
				return
			}
		default:
			lon, lat := DecodeScore(float64(rapid.Uint64Range(0, 1<<52).Draw(t, "score")))
			f = lon
			if rapid.Bool().Draw(t, "lat") {
				f = lat
			}
		}
		if got, want := string(AppendCoord(nil, f)), redisnum.FormatHumanDouble(f); got != want {
			t.Fatalf("AppendCoord(%v) = %q, redisnum %q", f, got, want)
		}
	})
}

func BenchmarkAppendCoord(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf = AppendCoord(buf[:0], 13.36138933897018433+float64(i&7))
	}
}

func TestAppendDistance(t *testing.T) {
	for _, c := range []struct {
		d    float64
		want string
	}{
		{0, "0.0000"}, {math.Copysign(0, -1), "0.0000"}, {1, "1.0000"}, {0.00005, "0.0000"},
		{0.00015, "0.0001"} /* 1.4999999999999998 after scaling */, {0.0005, "0.0005"}, {0.1234, "0.1234"}, {166274.1516, "166274.1516"},
		{57675624.866250000894069671630859375, "57675624.8662"}, // llrint of the scaled value, a tie
		{12.34565, "12.3456"}, {math.NaN(), "-922337203685477.5808"}, {1e300, "-922337203685477.5808"},
	} {
		if got := string(AppendDistance(nil, c.d)); got != c.want {
			t.Errorf("AppendDistance(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// FuzzQuery runs searches with arbitrary centres, sizes and orderings over a fixed set of points
// (arbitrary scores included): no panic, every point found is inside the shape and found once,
// and the reply texts are well formed.
func FuzzQuery(f *testing.F) {
	f.Add(13.361389, 38.115556, 200.0, 0.0, 1000.0, false, uint8(1), 3, false)
	f.Add(180.0, 85.05112878, 20000.0, 1.0, 1.0, true, uint8(2), 0, false)
	f.Add(-180.0, -85.05112878, math.Inf(1), 5.0, 0.3048, false, uint8(0), 2, true)
	var z zset
	for i, s := range []float64{0, 1, -1, 3479099956230698, 3479447370796909, 1 << 52, 1<<53 + 2, 1e19, math.Inf(1), 3377699720527872} {
		z = append(z, struct {
			member string
			score  float64
		}{"p" + strconv.Itoa(i), s})
	}
	slices.SortFunc(z, func(a, b struct {
		member string
		score  float64
	}) int {
		return cmp.Or(cmp.Compare(a.score, b.score), strings.Compare(a.member, b.member))
	})
	f.Fuzz(func(t *testing.T, lon, lat, size, height, conv float64, box bool, order uint8, count int, anyOpt bool) {
		if !ValidLonLat(lon, lat) || size < 0 || height < 0 || math.IsNaN(size) || math.IsNaN(height) || !(conv > 0) {
			return
		}
		q := Query{Shape: Shape{Box: box, Lon: lon, Lat: lat, Radius: size, Width: size, Height: height, Conversion: conv},
			Order: Order(order % 3), Count: max(0, count%20), Any: anyOpt}
		seen := map[string]bool{}
		for _, p := range q.Run(z.rangeFunc) {
			if seen[p.Member] {
				t.Fatalf("%s found twice", p.Member)
			}
			seen[p.Member] = true
			if _, _, _, ok := q.Shape.Contains(p.Score); !ok {
				t.Fatalf("%s outside the shape", p.Member)
			}
			if d := AppendDistance(nil, p.Dist/conv); len(d) < 6 {
				t.Fatalf("distance %q", d)
			}
			_ = AppendCoord(nil, p.Lon)
			_ = HashString(p.Score)
		}
	})
}
