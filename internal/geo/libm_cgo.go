//go:build cgo

package geo

/*
#cgo LDFLAGS: -lm
#include <math.h>

// No fused multiply-add: Redis is built for baseline x86-64, where C never fuses.
#pragma STDC FP_CONTRACT OFF
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("fp-contract=off")
#endif

// Redis 7.0.15's geohashGetDistance, word for word, so that the C library's sin, cos and asin
// give the bits redis-server gets: points on the same meridian take the exact latitude
// difference (geohashGetLatDistance), others the haversine formula.
static const double concord_geo_dr = M_PI / 180.0;
static const double concord_geo_earth = 6372797.560856;

static double concord_geo_distance(double lon1d, double lat1d, double lon2d, double lat2d) {
	double lat1r, lon1r, lat2r, lon2r, u, v, a;
	lon1r = lon1d * concord_geo_dr;
	lon2r = lon2d * concord_geo_dr;
	v = sin((lon2r - lon1r) / 2);
	if (v == 0.0)
		return concord_geo_earth * fabs(lat2d * concord_geo_dr - lat1d * concord_geo_dr);
	lat1r = lat1d * concord_geo_dr;
	lat2r = lat2d * concord_geo_dr;
	u = sin((lat2r - lat1r) / 2);
	a = u * u + cos(lat1r) * cos(lat2r) * v * v;
	return 2.0 * concord_geo_earth * asin(sqrt(a));
}

static double concord_geo_cos(double x) { return cos(x); }
*/
import "C"

// libmName says which implementation of sin, cos and asin is in use (for tests and reports).
const libmName = "libc"

func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	return float64(C.concord_geo_distance(C.double(lon1), C.double(lat1), C.double(lon2), C.double(lat2)))
}

func cosine(x float64) float64 { return float64(C.concord_geo_cos(C.double(x))) }
