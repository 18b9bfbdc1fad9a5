package geo

// The coordinate limits of Redis's geohash (geohash.h): the Web Mercator square.
const (
	LongMin = -180.0
	LongMax = 180.0
	LatMin  = -85.05112878
	LatMax  = 85.05112878

	// StepMax is the number of bits per coordinate of a stored score (GEO_STEP_MAX).
	StepMax = 26
)

// HashBits is a geohash of Step bits per coordinate (GeoHashBits): latitude on the even bits,
// longitude on the odd bits.
type HashBits struct {
	Bits uint64
	Step uint8
}

// IsZero is HASHISZERO: the marker of a neighbour cell excluded from a search.
func (h HashBits) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// Align52 is geohashAlign52Bits: the hash shifted to the 52-bit score scale.
func (h HashBits) Align52() uint64 { return h.Bits << (52 - uint(h.Step)*2) }

// Range is a coordinate interval (GeoHashRange).
type Range struct{ Min, Max float64 }

func (r Range) isZero() bool { return r.Min == 0 && r.Max == 0 }

// Area is the cell of a hash (GeoHashArea).
type Area struct {
	Hash      HashBits
	Longitude Range
	Latitude  Range
}

var (
	wgs84Long = Range{LongMin, LongMax}
	wgs84Lat  = Range{LatMin, LatMax}
	// The ranges of the standard geohash that GEOHASH prints.
	standardLong = Range{-180, 180}
	standardLat  = Range{-90, 90}
)

// interleave64 puts the bits of x on the even positions and those of y on the odd ones.
func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
		0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

// deinterleave64 reverses interleave64: the even bits in the low 32 bits of the result, the odd
// bits in the high 32.
func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
		0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := 0; i < 6; i++ {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// Encode is geohashEncode: the hash of (longitude, latitude) in the given ranges with step bits
// per coordinate. It fails outside the Web Mercator limits (whatever the ranges) and outside
// the ranges.
func Encode(longRange, latRange Range, longitude, latitude float64, step uint8) (HashBits, bool) {
	if step > 32 || step == 0 || latRange.isZero() || longRange.isZero() {
		return HashBits{}, false
	}
	if longitude > LongMax || longitude < LongMin || latitude > LatMax || latitude < LatMin {
		return HashBits{}, false
	}
	if latitude < latRange.Min || latitude > latRange.Max ||
		longitude < longRange.Min || longitude > longRange.Max {
		return HashBits{Step: step}, false
	}
	latOffset := (latitude - latRange.Min) / (latRange.Max - latRange.Min)
	longOffset := (longitude - longRange.Min) / (longRange.Max - longRange.Min)
	// Fixed point on the step: the offsets are in [0, 2^step], converted as C converts a
	// double argument to uint32_t (truncation).
	latOffset *= float64(uint64(1) << step)
	longOffset *= float64(uint64(1) << step)
	return HashBits{Bits: interleave64(uint32(latOffset), uint32(longOffset)), Step: step}, true
}

// EncodeWGS84 is geohashEncodeWGS84.
func EncodeWGS84(longitude, latitude float64, step uint8) (HashBits, bool) {
	return Encode(wgs84Long, wgs84Lat, longitude, latitude, step)
}

// Decode is geohashDecode: the cell of a hash.
func Decode(longRange, latRange Range, hash HashBits) (Area, bool) {
	if hash.IsZero() || latRange.isZero() || longRange.isZero() {
		return Area{}, false
	}
	sep := deinterleave64(hash.Bits)
	latScale := latRange.Max - latRange.Min
	longScale := longRange.Max - longRange.Min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << hash.Step)
	// ilato+1 is computed in 32 bits, as in C (it wraps for out-of-range scores).
	return Area{
		Hash: hash,
		Latitude: Range{
			Min: latRange.Min + (float64(ilato)*1.0/div)*latScale,
			Max: latRange.Min + (float64(ilato+1)*1.0/div)*latScale,
		},
		Longitude: Range{
			Min: longRange.Min + (float64(ilono)*1.0/div)*longScale,
			Max: longRange.Min + (float64(ilono+1)*1.0/div)*longScale,
		},
	}, true
}

// centre is geohashDecodeAreaToLongLat: the middle of the cell, clamped to the limits.
func (a Area) centre() (longitude, latitude float64) {
	longitude = (a.Longitude.Min + a.Longitude.Max) / 2
	if longitude > LongMax {
		longitude = LongMax
	}
	if longitude < LongMin {
		longitude = LongMin
	}
	latitude = (a.Latitude.Min + a.Latitude.Max) / 2
	if latitude > LatMax {
		latitude = LatMax
	}
	if latitude < LatMin {
		latitude = LatMin
	}
	return longitude, latitude
}

// Neighbors are the 8 cells around a hash (GeoHashNeighbors).
type Neighbors struct {
	North, East, West, South                   HashBits
	NorthEast, SouthEast, NorthWest, SouthWest HashBits
}

func moveX(h HashBits, d int) HashBits {
	if d == 0 {
		return h
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	h.Bits = x | y
	return h
}

func moveY(h HashBits, d int) HashBits {
	if d == 0 {
		return h
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	h.Bits = x | y
	return h
}

// NeighborsOf is geohashNeighbors.
func NeighborsOf(h HashBits) Neighbors {
	return Neighbors{
		East:      moveX(h, 1),
		West:      moveX(h, -1),
		South:     moveY(h, -1),
		North:     moveY(h, 1),
		NorthWest: moveY(moveX(h, -1), 1),
		NorthEast: moveY(moveX(h, 1), 1),
		SouthEast: moveY(moveX(h, 1), -1),
		SouthWest: moveY(moveX(h, -1), -1),
	}
}
