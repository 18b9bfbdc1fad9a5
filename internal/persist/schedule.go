package persist

import (
	"strconv"
	"strings"
)

// savePoint is one "seconds changes" pair of the save parameter: snapshot when at least
// changes changes happened and seconds passed since the last save.
type savePoint struct {
	seconds int64
	changes int64
}

// parseSavePoints reads the save parameter as CONFIG GET prints it ("3600 1 300 100").
func parseSavePoints(s string) []savePoint {
	f := strings.Fields(s)
	var out []savePoint
	for i := 0; i+1 < len(f); i += 2 {
		sec, err1 := strconv.ParseInt(f[i], 10, 64)
		ch, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 == nil && err2 == nil {
			out = append(out, savePoint{sec, ch})
		}
	}
	return out
}
