package geo

import "math"

// Shape is a search area (GeoShape): a circle of Radius or a box of Width × Height, in units of
// Conversion meters, centred on (Lon, Lat).
type Shape struct {
	Box        bool
	Lon, Lat   float64
	Radius     float64
	Width      float64
	Height     float64
	Conversion float64
}

// boundingBox is geohashBoundingBox: min longitude, min latitude, max longitude, max latitude.
func (s *Shape) boundingBox() [4]float64 {
	var height, width float64
	if s.Box {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	} else {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	}
	latDelta := radDeg(height / EarthRadius)
	longDeltaTop := radDeg(width / EarthRadius / cosine(degRad(s.Lat+latDelta)))
	longDeltaBottom := radDeg(width / EarthRadius / cosine(degRad(s.Lat-latDelta)))
	var b [4]float64
	if s.Lat < 0 { // the southern hemisphere's box is widest at its bottom
		b[0] = s.Lon - longDeltaBottom
		b[2] = s.Lon + longDeltaBottom
	} else {
		b[0] = s.Lon - longDeltaTop
		b[2] = s.Lon + longDeltaTop
	}
	b[1] = s.Lat - latDelta
	b[3] = s.Lat + latDelta
	return b
}

// Areas is the result of geohashCalculateAreasByShapeWGS84: the centre cell and its neighbours,
// the ones the bounding box does not reach set to zero.
type Areas struct {
	Hash      HashBits
	Area      Area
	Neighbors Neighbors
}

// Areas is geohashCalculateAreasByShapeWGS84.
func (s *Shape) Areas() Areas {
	bounds := s.boundingBox()
	minLon, minLat, maxLon, maxLat := bounds[0], bounds[1], bounds[2], bounds[3]
	var radiusMeters float64
	if s.Box {
		radiusMeters = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	} else {
		radiusMeters = s.Radius
	}
	radiusMeters *= s.Conversion
	steps := EstimateSteps(radiusMeters, s.Lat)

	hash, _ := Encode(wgs84Long, wgs84Lat, s.Lon, s.Lat, steps)
	neighbors := NeighborsOf(hash)
	area, _ := Decode(wgs84Long, wgs84Lat, hash)

	// The estimated step can be too fine when the search area is near an edge of the centre
	// cell: one of the 4 direct neighbours does not reach the bounding box.
	decrease := false
	north, _ := Decode(wgs84Long, wgs84Lat, neighbors.North)
	south, _ := Decode(wgs84Long, wgs84Lat, neighbors.South)
	east, _ := Decode(wgs84Long, wgs84Lat, neighbors.East)
	west, _ := Decode(wgs84Long, wgs84Lat, neighbors.West)
	if north.Latitude.Max < maxLat {
		decrease = true
	}
	if south.Latitude.Min > minLat {
		decrease = true
	}
	if east.Longitude.Max < maxLon {
		decrease = true
	}
	if west.Longitude.Min > minLon {
		decrease = true
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = Encode(wgs84Long, wgs84Lat, s.Lon, s.Lat, steps)
		neighbors = NeighborsOf(hash)
		area, _ = Decode(wgs84Long, wgs84Lat, hash)
	}

	// Exclude the cells the bounding box does not reach.
	if steps >= 2 {
		if area.Latitude.Min < minLat {
			neighbors.South, neighbors.SouthWest, neighbors.SouthEast = HashBits{}, HashBits{}, HashBits{}
		}
		if area.Latitude.Max > maxLat {
			neighbors.North, neighbors.NorthEast, neighbors.NorthWest = HashBits{}, HashBits{}, HashBits{}
		}
		if area.Longitude.Min < minLon {
			neighbors.West, neighbors.SouthWest, neighbors.NorthWest = HashBits{}, HashBits{}, HashBits{}
		}
		if area.Longitude.Max > maxLon {
			neighbors.East, neighbors.SouthEast, neighbors.NorthEast = HashBits{}, HashBits{}, HashBits{}
		}
	}
	return Areas{Hash: hash, Area: area, Neighbors: neighbors}
}

// Cell is the score range [Min, Max) of the members inside one geohash cell
// (scoresOfGeoHashBox).
type Cell struct{ Min, Max float64 }

func cellOf(h HashBits) Cell {
	min := h.Align52()
	h.Bits++
	return Cell{Min: float64(min), Max: float64(h.Align52())}
}

// Cells lists the score ranges a search reads, in Redis's order (membersOfAllNeighbors): the
// centre, N, S, E, W, NE, NW, SE, SW, without the excluded ones and without a cell equal to the
// one read just before it (huge radii make neighbours coincide).
func (a Areas) Cells() []Cell {
	n := [9]HashBits{a.Hash, a.Neighbors.North, a.Neighbors.South, a.Neighbors.East,
		a.Neighbors.West, a.Neighbors.NorthEast, a.Neighbors.NorthWest,
		a.Neighbors.SouthEast, a.Neighbors.SouthWest}
	cells := make([]Cell, 0, 9)
	last := 0
	for i, h := range n {
		if h.IsZero() {
			continue
		}
		// As in Redis, index 0 never counts as "processed before" (last_processed is 0).
		if last != 0 && h == n[last] {
			continue
		}
		cells = append(cells, cellOf(h))
		last = i
	}
	return cells
}

// Contains is geoWithinShape: whether the point a score designates is inside the shape, with
// its decoded coordinates and its distance from the centre in meters.
func (s *Shape) Contains(score float64) (lon, lat, dist float64, ok bool) {
	lon, lat = DecodeScore(score)
	if s.Box {
		dist, ok = inRectangle(s.Width*s.Conversion, s.Height*s.Conversion, s.Lon, s.Lat, lon, lat)
	} else {
		dist, ok = inRadius(s.Lon, s.Lat, lon, lat, s.Radius*s.Conversion)
	}
	return lon, lat, dist, ok
}

// Point is a search result (geoPoint); Dist is in meters.
type Point struct {
	Member string
	Score  float64
	Lon    float64
	Lat    float64
	Dist   float64
}

// RangeFunc reads the members of a sorted set whose score is in [min, max), in ascending
// (score, member) order, calling fn for each until it returns false.
type RangeFunc func(min, max float64, fn func(member string, score float64) bool)

// Search is membersOfAllNeighbors: the points of the sorted set inside the shape, in the order
// Redis finds them. With limit > 0 (COUNT n ANY) it stops as soon as limit points are found.
func (s *Shape) Search(rng RangeFunc, limit int) []Point {
	var out []Point
	for _, c := range s.Areas().Cells() {
		if limit > 0 && len(out) >= limit {
			break
		}
		rng(c.Min, c.Max, func(member string, score float64) bool {
			if lon, lat, dist, ok := s.Contains(score); ok {
				out = append(out, Point{Member: member, Score: score, Lon: lon, Lat: lat, Dist: dist})
			}
			return !(limit > 0 && len(out) >= limit)
		})
	}
	return out
}

// Order is the ordering option of a search.
type Order int

// The orderings: none (the order points are found in), ascending or descending distance.
const (
	Unsorted Order = iota
	Asc
	Desc
)

// Query is a whole GEOSEARCH / GEORADIUS query: the shape, the ordering and COUNT [ANY].
type Query struct {
	Shape Shape
	Order Order
	Count int // 0: no limit
	Any   bool
}

// Run answers the query as georadiusGeneric does: COUNT without ANY and without an ordering
// sorts ascending (the closest are wanted); COUNT with ANY stops the search at Count points;
// only the points returned are sorted completely (pqsort) when fewer than found are returned.
func (q *Query) Run(rng RangeFunc) []Point {
	order := q.Order
	if q.Count != 0 && order == Unsorted && !q.Any {
		order = Asc
	}
	limit := 0
	if q.Any {
		limit = q.Count
	}
	ps := q.Shape.Search(rng, limit)
	returned := len(ps)
	if q.Count != 0 && q.Count < returned {
		returned = q.Count
	}
	if order != Unsorted {
		if returned == len(ps) {
			Sort(ps, order == Desc, 0)
		} else {
			Sort(ps, order == Desc, returned)
		}
	}
	return ps[:returned]
}
