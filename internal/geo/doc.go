// Package geo owns the geometry behind Redis's GEO commands, ported from Redis 7.0's
// src/geohash.c, src/geohash_helper.c and the arithmetic of src/geo.c, so that Concord's GEO
// replies are byte-identical to redis-server 7.0.15's. It is pure: no I/O, no clock, no
// knowledge of the keyspace; the command layer hands it sorted-set score ranges to read.
//
// Score format (the only format this package defines, and it is Redis's): a point is stored as
// a sorted-set member whose score is a 52-bit interleaved geohash (26 bits of longitude on the
// odd bits, 26 of latitude on the even bits) over longitude [-180, 180] and latitude
// [-85.05112878, 85.05112878] (the Web Mercator limits), converted to a double (exact below
// 2^53). Decoding gives the centre of the cell, clamped to those limits. GEOHASH strings
// re-encode that centre over latitude [-90, 90] as 10 base-32 characters plus a final '0'.
//
// Search. A radius or box query is answered as Redis does: the step (cell size) is estimated
// from the radius, the centre cell and its 8 neighbours are computed (some dropped when the
// bounding box does not reach them), each cell is read as a score range [min, max) in ascending
// (score, member) order, every candidate is filtered by its exact distance, and the results are
// sorted with the same algorithms Redis uses (glibc's merge sort for a full sort, Redis's
// pqsort for a partial one), so that ties come out in Redis's order.
//
// Version. The reference is the behaviour of redis-server 7.0.15 as captured (testdata/), which
// differs from the 7.0.0 sources in two places that show in replies: two points on the same
// meridian are LatDistance apart (not the haversine's value, which can differ in the last bit),
// and distances print through fixedpoint_d2string (AppendDistance), not "%.4f".
//
// Floating point. Distances use the haversine formula with Redis's earth radius
// 6372797.560856 m. Redis calls glibc's sin, cos and asin, which are not correctly rounded and
// differ from Go's math package in the last bit for about a third of the arguments; a distance
// stored by GEOSEARCHSTORE ... STOREDIST shows every bit. When cgo is available the package calls
// the C library's functions (libm_cgo.go), giving the same bits as a redis-server on the same
// machine; without cgo it falls back to Go's math package (libm_purego.go), whose distances can
// differ in the last bit (rarely, in practice, in the 4 decimals GEODIST prints).
//
// Text. Coordinates print as addReplyHumanLongDouble does ("%.17Lf" trimmed, AppendCoord),
// distances as Redis 7.0.15's fixedpoint_d2string with 4 digits (AppendDistance: scaled by 10^4
// and rounded with llrint, which differs from printf's "%.4f" on values within an ULP of a tie),
// invalid coordinates as "%f" (InvalidPairError).
package geo
