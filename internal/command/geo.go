package command

import (
	"bytes"
	"strconv"

	"github.com/concord-db/concord/internal/crdt/zset"
	"github.com/concord-db/concord/internal/geo"
	"github.com/concord-db/concord/internal/redisnum"
)

// GEO commands (Redis 7.0's geo.c): a GEO key is a sorted set whose scores are 52-bit geohashes
// (package geo owns the geometry). GEOADD is ZADD with the coordinates turned into scores, run
// through ZADD itself as Redis does, so it emits exactly ZADD's effects; the searches read the
// sorted set by score range, one range per geohash cell, in Redis's order; GEORADIUS ... STORE
// and GEOSEARCHSTORE replace their destination as ZRANGESTORE does (storeZset).
func init() {
	define(
		&Command{Name: "geoadd", Arity: -5, Flags: Write, Run: geoaddCommand},
		&Command{Name: "geopos", Arity: -2, Flags: ReadOnly, Run: geoposCommand},
		&Command{Name: "geohash", Arity: -2, Flags: ReadOnly, Run: geohashCommand},
		&Command{Name: "geodist", Arity: -4, Flags: ReadOnly, Run: geodistCommand},
		&Command{Name: "georadius", Arity: -6, Flags: Write, Run: func(c *Ctx) error {
			return georadiusGeneric(c, 1, geoRadiusCoords)
		}},
		&Command{Name: "georadiusbymember", Arity: -5, Flags: Write, Run: func(c *Ctx) error {
			return georadiusGeneric(c, 1, geoRadiusMember)
		}},
		&Command{Name: "georadius_ro", Arity: -6, Flags: ReadOnly, Run: func(c *Ctx) error {
			return georadiusGeneric(c, 1, geoRadiusCoords|geoNoStore)
		}},
		&Command{Name: "georadiusbymember_ro", Arity: -5, Flags: ReadOnly, Run: func(c *Ctx) error {
			return georadiusGeneric(c, 1, geoRadiusMember|geoNoStore)
		}},
		&Command{Name: "geosearch", Arity: -7, Flags: ReadOnly, Run: func(c *Ctx) error {
			return georadiusGeneric(c, 1, geoSearch)
		}},
		&Command{Name: "geosearchstore", Arity: -8, Flags: Write, Run: func(c *Ctx) error {
			return georadiusGeneric(c, 2, geoSearch|geoSearchStore)
		}},
	)
}

// Error texts of geo.c.
const (
	errGeoMember       Error = "ERR could not decode requested zset member"
	errGeoRadius       Error = "ERR need numeric radius"
	errGeoNegative     Error = "ERR radius cannot be negative"
	errGeoWidth        Error = "ERR need numeric width"
	errGeoHeight       Error = "ERR need numeric height"
	errGeoBoxNegative  Error = "ERR height or width cannot be negative"
	errGeoCount        Error = "ERR COUNT must be > 0"
	errGeoAnyNeedCount Error = "ERR the ANY argument requires COUNT argument"
	errGeoUnit         Error = geo.ErrUnit
)

// geoIs reports whether argument b is word in any case, as strcasecmp sees the argument: up to
// its first NUL byte.
func geoIs(b []byte, word string) bool {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return len(b) == len(word) && bytes.EqualFold(b, []byte(word))
}

// geoLonLat is extractLongLatOrReply: two doubles within the Web Mercator limits.
func geoLonLat(lonArg, latArg []byte) (lon, lat float64, err error) {
	lon, ok := redisnum.ParseFloat(lonArg)
	if !ok {
		return 0, 0, ErrNotFloat
	}
	lat, ok = redisnum.ParseFloat(latArg)
	if !ok {
		return 0, 0, ErrNotFloat
	}
	if !geo.ValidLonLat(lon, lat) {
		return 0, 0, Error(geo.InvalidPairError(lon, lat))
	}
	return lon, lat, nil
}

// geoUnit is extractUnitOrReply.
func geoUnit(arg []byte) (float64, error) {
	u, ok := geo.Unit(arg)
	if !ok {
		return 0, errGeoUnit
	}
	return u, nil
}

// geoDistance is extractDistanceOrReply: a non-negative radius and its unit.
func geoDistance(radiusArg, unitArg []byte) (radius, conversion float64, err error) {
	radius, ok := redisnum.ParseFloat(radiusArg)
	if !ok {
		return 0, 0, errGeoRadius
	}
	if radius < 0 {
		return 0, 0, errGeoNegative
	}
	conversion, err = geoUnit(unitArg)
	return radius, conversion, err
}

// geoBox is extractBoxOrReply: a non-negative width and height and their unit.
func geoBox(widthArg, heightArg, unitArg []byte) (width, height, conversion float64, err error) {
	width, ok := redisnum.ParseFloat(widthArg)
	if !ok {
		return 0, 0, 0, errGeoWidth
	}
	height, ok = redisnum.ParseFloat(heightArg)
	if !ok {
		return 0, 0, 0, errGeoHeight
	}
	if height < 0 || width < 0 {
		return 0, 0, 0, errGeoBoxNegative
	}
	conversion, err = geoUnit(unitArg)
	return width, height, conversion, err
}

// geoMemberPos is longLatFromMember: the decoded position of a member (false when missing).
func geoMemberPos(c *Ctx, z *zset.ZSet, member []byte) (lon, lat float64, ok bool) {
	s, ok := z.ScoreBytes(member)
	if !ok {
		return 0, 0, false
	}
	lon, lat = geo.DecodeScore(zsetVisible(c, z, s))
	return lon, lat, true
}

// geoReplyCoord replies a coordinate as addReplyHumanLongDouble does: a bulk string in RESP2, a
// double with the same text in RESP3.
func (c *Ctx) geoReplyCoord(f float64) {
	var buf [48]byte
	if c.W.Protocol() == 2 {
		c.W.Bulk(geo.AppendCoord(buf[:0], f))
		return
	}
	b := geo.AppendCoord(append(buf[:0], ','), f)
	c.W.Raw(append(b, '\r', '\n'))
}

// geoaddCommand is GEOADD key [NX|XX] [CH] longitude latitude member ...: the options are
// checked, every pair is turned into its score, and the command is run as ZADD key [options]
// score member ..., as Redis does (replaceClientCommandVector + zaddCommand).
func geoaddCommand(c *Ctx) error {
	var xx, nx bool
	// The options as ZADD will read them (spelled plainly: strcasecmp stops at a NUL byte).
	var opts [][]byte
	longIdx := 2
	for ; longIdx < len(c.Args); longIdx++ {
		a := c.Args[longIdx]
		switch {
		case geoIs(a, "nx"):
			nx = true
			opts = append(opts, []byte("nx"))
		case geoIs(a, "xx"):
			xx = true
			opts = append(opts, []byte("xx"))
		case geoIs(a, "ch"):
			opts = append(opts, []byte("ch"))
		default:
			goto parsed
		}
	}
parsed:
	if (len(c.Args)-longIdx)%3 != 0 || (xx && nx) {
		return ErrSyntax
	}
	elements := (len(c.Args) - longIdx) / 3
	argv := make([][]byte, 0, longIdx+2*elements)
	argv = append(argv, []byte("zadd"), c.Args[1])
	argv = append(argv, opts...)
	for i := 0; i < elements; i++ {
		at := longIdx + 3*i
		lon, lat, err := geoLonLat(c.Args[at], c.Args[at+1])
		if err != nil {
			return err
		}
		bits, _ := geo.Hash52(lon, lat)
		// Redis passes the hash to ZADD as its decimal text; the score is that text parsed.
		argv = append(argv, strconv.AppendUint(nil, bits, 10), c.Args[at+2])
	}
	orig := c.Args
	c.Args = argv
	defer func() { c.Args = orig }()
	return zaddGeneric(c, false)
}

func geoposCommand(c *Ctx) error {
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		lon, lat, ok := geoMemberPos(c, z, m)
		if !ok {
			c.W.NullArray()
			continue
		}
		c.W.ArrayLen(2)
		c.geoReplyCoord(lon)
		c.geoReplyCoord(lat)
	}
	return nil
}

func geohashCommand(c *Ctx) error {
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	c.W.ArrayLen(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		s, ok := z.ScoreBytes(m)
		if !ok {
			c.W.Null()
			continue
		}
		c.W.BulkString(geo.HashString(zsetVisible(c, z, s)))
	}
	return nil
}

// geodistCommand is GEODIST key member1 member2 [unit]: the unit is checked before the key.
func geodistCommand(c *Ctx) error {
	toMeter := 1.0
	switch {
	case len(c.Args) == 5:
		u, err := geoUnit(c.Args[4])
		if err != nil {
			return err
		}
		toMeter = u
	case len(c.Args) > 5:
		return ErrSyntax
	}
	z, err := c.readZset(c.Key(1))
	if err != nil {
		return err
	}
	if z == nil {
		c.W.Null()
		return nil
	}
	lon1, lat1, ok1 := geoMemberPos(c, z, c.Args[2])
	if !ok1 {
		c.W.Null()
		return nil
	}
	lon2, lat2, ok2 := geoMemberPos(c, z, c.Args[3])
	if !ok2 {
		c.W.Null()
		return nil
	}
	c.W.Bulk(geo.AppendDistance(nil, geo.Distance(lon1, lat1, lon2, lat2)/toMeter))
	return nil
}

// The variants of georadiusGeneric.
const (
	geoRadiusCoords = 1 << iota // GEORADIUS: around coordinates
	geoRadiusMember             // GEORADIUSBYMEMBER: around a member
	geoNoStore                  // the _RO forms: no STORE / STOREDIST
	geoSearch                   // GEOSEARCH's arguments
	geoSearchStore              // GEOSEARCHSTORE: only STOREDIST
)

// georadiusGeneric is Redis 7.0's georadiusGeneric: GEORADIUS, GEORADIUSBYMEMBER, their _RO
// forms, GEOSEARCH and GEOSEARCHSTORE. Arguments are checked in Redis's order, so that the same
// mistake gets the same error.
func georadiusGeneric(c *Ctx, srcKeyIndex int, flags int) error {
	var storeKey []byte
	storeDist := false

	z, err := c.readZset(c.Key(srcKeyIndex))
	if err != nil {
		return err
	}

	var baseArgs int
	var shape geo.Shape
	switch {
	case flags&geoRadiusCoords != 0:
		baseArgs = 6
		if shape.Lon, shape.Lat, err = geoLonLat(c.Args[2], c.Args[3]); err != nil {
			return err
		}
		if shape.Radius, shape.Conversion, err = geoDistance(c.Args[4], c.Args[5]); err != nil {
			return err
		}
	case flags&geoRadiusMember != 0 && z == nil:
		// No source key: the options are still parsed, for the reply to depend on STORE.
		baseArgs = 5
	case flags&geoRadiusMember != 0:
		baseArgs = 5
		var ok bool
		if shape.Lon, shape.Lat, ok = geoMemberPos(c, z, c.Args[2]); !ok {
			return errGeoMember
		}
		if shape.Radius, shape.Conversion, err = geoDistance(c.Args[3], c.Args[4]); err != nil {
			return err
		}
	default: // GEOSEARCH, GEOSEARCHSTORE
		baseArgs = 2
		if flags&geoSearchStore != 0 {
			baseArgs = 3
			storeKey = c.Args[1]
		}
	}

	var withDist, withHash, withCoord bool
	var fromMember, fromLoc, byRadius, byBox, anyOpt bool
	order := geo.Unsorted
	var count int64
	remaining := len(c.Args) - baseArgs
	for i := 0; i < remaining; i++ {
		at := baseArgs + i
		arg := c.Args[at]
		switch {
		case geoIs(arg, "withdist"):
			withDist = true
		case geoIs(arg, "withhash"):
			withHash = true
		case geoIs(arg, "withcoord"):
			withCoord = true
		case geoIs(arg, "any"):
			anyOpt = true
		case geoIs(arg, "asc"):
			order = geo.Asc
		case geoIs(arg, "desc"):
			order = geo.Desc
		case geoIs(arg, "count") && i+1 < remaining:
			n, err := c.Int(at + 1)
			if err != nil {
				return err
			}
			if n <= 0 {
				return errGeoCount
			}
			count = n
			i++
		case geoIs(arg, "store") && i+1 < remaining && flags&geoNoStore == 0 && flags&geoSearch == 0:
			storeKey, storeDist = c.Args[at+1], false
			i++
		case geoIs(arg, "storedist") && i+1 < remaining && flags&geoNoStore == 0 && flags&geoSearch == 0:
			storeKey, storeDist = c.Args[at+1], true
			i++
		case geoIs(arg, "storedist") && flags&geoSearch != 0 && flags&geoSearchStore != 0:
			storeDist = true
		case geoIs(arg, "frommember") && i+1 < remaining && flags&geoSearch != 0 && !fromLoc:
			if z != nil {
				var ok bool
				if shape.Lon, shape.Lat, ok = geoMemberPos(c, z, c.Args[at+1]); !ok {
					return errGeoMember
				}
			}
			fromMember = true
			i++
		case geoIs(arg, "fromlonlat") && i+2 < remaining && flags&geoSearch != 0 && !fromMember:
			if shape.Lon, shape.Lat, err = geoLonLat(c.Args[at+1], c.Args[at+2]); err != nil {
				return err
			}
			fromLoc = true
			i += 2
		case geoIs(arg, "byradius") && i+2 < remaining && flags&geoSearch != 0 && !byBox:
			if shape.Radius, shape.Conversion, err = geoDistance(c.Args[at+1], c.Args[at+2]); err != nil {
				return err
			}
			shape.Box = false
			byRadius = true
			i += 2
		case geoIs(arg, "bybox") && i+3 < remaining && flags&geoSearch != 0 && !byRadius:
			if shape.Width, shape.Height, shape.Conversion, err = geoBox(c.Args[at+1], c.Args[at+2], c.Args[at+3]); err != nil {
				return err
			}
			shape.Box = true
			byBox = true
			i += 3
		default:
			return ErrSyntax
		}
	}

	if storeKey != nil && (withDist || withHash || withCoord) {
		if flags&geoSearchStore != 0 {
			return Error("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		}
		return Error("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	}
	if flags&geoSearch != 0 && !(fromMember || fromLoc) {
		return errorf("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s", cBytes(c.Args[0]))
	}
	if flags&geoSearch != 0 && !(byRadius || byBox) {
		return errorf("ERR exactly one of BYRADIUS and BYBOX can be specified for %s", cBytes(c.Args[0]))
	}
	if anyOpt && count == 0 {
		return errGeoAnyNeedCount
	}

	if z == nil {
		if storeKey != nil {
			c.storeZset(string(storeKey), nil, nil)
		} else {
			c.W.ArrayLen(0)
		}
		return nil
	}

	q := geo.Query{Shape: shape, Order: order, Count: int(count), Any: anyOpt}
	// A listpack reads "-0" back as 0 (zsetVisible); decided once, not per member.
	listpack := zsetListpack(c, z)
	points := q.Run(func(min, max float64, fn func(string, float64) bool) {
		first, last := z.ScoreRank(zset.ScoreRange{Min: min, Max: max, MaxEx: true})
		if first > last {
			return
		}
		it := z.Seek(first)
		for r := first; r <= last && it.Valid(); r++ {
			s := it.Score()
			if s == 0 && listpack {
				s = 0
			}
			if !fn(it.Name(), s) {
				return
			}
			it.Next()
		}
	})

	if storeKey == nil {
		options := 0
		for _, on := range []bool{withDist, withHash, withCoord} {
			if on {
				options++
			}
		}
		var buf [32]byte
		c.W.ArrayLen(len(points))
		for i := range points {
			p := &points[i]
			if options > 0 {
				c.W.ArrayLen(options + 1)
			}
			c.W.BulkString(p.Member)
			if withDist {
				c.W.Bulk(geo.AppendDistance(buf[:0], p.Dist/shape.Conversion))
			}
			if withHash {
				c.W.Int(geo.HashInt(p.Score))
			}
			if withCoord {
				c.W.ArrayLen(2)
				c.geoReplyCoord(p.Lon)
				c.geoReplyCoord(p.Lat)
			}
		}
		return nil
	}
	members := make([][]byte, len(points))
	scores := make([]float64, len(points))
	for i := range points {
		members[i] = []byte(points[i].Member)
		if storeDist {
			scores[i] = points[i].Dist / shape.Conversion
		} else {
			scores[i] = points[i].Score
		}
	}
	c.storeZset(string(storeKey), members, scores)
	return nil
}
