package geo

import "math"

// EarthRadius is Redis's EARTH_RADIUS_IN_METERS.
const EarthRadius = 6372797.560856

const mercatorMax = 20037726.37

// piDouble is M_PI as a double; dR is D_R (M_PI / 180.0) divided in double precision, as C
// does, which is not the same as Go's exact constant math.Pi/180 rounded once.
var (
	piDouble = math.Pi
	dR       = piDouble / 180.0
)

func degRad(ang float64) float64 { return ang * dR }
func radDeg(ang float64) float64 { return ang / dR }

// EstimateSteps is geohashEstimateStepsByRadius: the step of the 9 cells of a search.
func EstimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2 // make sure the range is included in most of the base cases
	// Wider range towards the poles.
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	if step < 1 {
		step = 1
	}
	if step > 26 {
		step = 26
	}
	return uint8(step)
}

// Distance is geohashGetDistance as redis-server 7.0.15 computes it: the haversine
// great-circle distance in meters, or, for two points on the same meridian (the sine of half
// the longitude difference is 0), the latitude difference times the radius (LatDistance).
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	return haversine(lon1, lat1, lon2, lat2)
}

// LatDistance is geohashGetLatDistance: the distance along a meridian.
func LatDistance(lat1d, lat2d float64) float64 {
	return EarthRadius * math.Abs(degRad(lat2d)-degRad(lat1d))
}

// haversineGo is the Go expression of geohashGetDistance, evaluated in the same order as C.
func haversineGo(lon1d, lat1d, lon2d, lat2d float64, sin, cos, asin func(float64) float64) float64 {
	lon1r := degRad(lon1d)
	lon2r := degRad(lon2d)
	v := sin((lon2r - lon1r) / 2)
	if v == 0 {
		return LatDistance(lat1d, lat2d)
	}
	lat1r := degRad(lat1d)
	lat2r := degRad(lat2d)
	u := sin((lat2r - lat1r) / 2)
	a := u*u + cos(lat1r)*cos(lat2r)*v*v
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

// inRadius is geohashGetDistanceIfInRadius.
func inRadius(x1, y1, x2, y2, radius float64) (float64, bool) {
	d := Distance(x1, y1, x2, y2)
	return d, !(d > radius)
}

// inRectangle is geohashGetDistanceIfInRectangle as redis-server 7.0.15 has it: the point
// (x2, y2) is in the box of widthM × heightM meters centred on (x1, y1) when its distance along
// the meridian (checked first, it is cheaper) and along its parallel are within the half sides.
func inRectangle(widthM, heightM, x1, y1, x2, y2 float64) (float64, bool) {
	if LatDistance(y2, y1) > heightM/2 {
		return 0, false
	}
	if Distance(x2, y2, x1, y2) > widthM/2 {
		return 0, false
	}
	return Distance(x1, y1, x2, y2), true
}
