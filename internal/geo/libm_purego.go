//go:build !cgo

package geo

import "math"

// libmName says which implementation of sin, cos and asin is in use (for tests and reports).
const libmName = "go"

func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	return haversineGo(lon1, lat1, lon2, lat2, math.Sin, math.Cos, math.Asin)
}

func cosine(x float64) float64 { return math.Cos(x) }
