package reczip

import (
	"fmt"

	"github.com/klauspost/compress/dict"
)

// DictSize is the largest dictionary Train builds.
const DictSize = 32 << 10

// MinSamples is the fewest samples Train accepts: fewer say too little
// about a kind for a dictionary to pay for itself.
const MinSamples = 8

// Train builds a zstd dictionary with ID id from samples.
func Train(samples [][]byte, id uint64) ([]byte, error) {
	if len(samples) < MinSamples {
		return nil, fmt.Errorf("train dictionary: %d samples, at least %d needed", len(samples), MinSamples)
	}
	if id == 0 || id > 1<<32-1 {
		return nil, fmt.Errorf("train dictionary: ID %d out of range", id)
	}
	d, err := dict.BuildZstdDict(samples, dict.Options{
		MaxDictSize: DictSize,
		HashBytes:   8,
		ZstdDictID:  uint32(id),
		ZstdLevel:   Level,
	})
	if err != nil {
		return nil, fmt.Errorf("train dictionary: %w", err)
	}
	return d, nil
}
