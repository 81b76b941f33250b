package reczip

import (
	"errors"
	"fmt"

	"github.com/klauspost/compress/dict"
)

// DictSize is the largest dictionary Train builds.
const DictSize = 32 << 10

// MinSamples is the fewest samples Train accepts: fewer say too little
// about a kind for a dictionary to pay for itself.
const MinSamples = 8

// ErrTrain is wrapped by the errors of Train (and so of Table.Add) that
// say the samples made no dictionary: records of the kind are then stored
// plainly, which is as valid, and nothing else need fail.
var ErrTrain = errors.New("no dictionary could be trained")

// Train builds a zstd dictionary with ID id from samples.
func Train(samples [][]byte, id uint64) (d []byte, err error) {
	if len(samples) < MinSamples {
		return nil, fmt.Errorf("%w: %d samples, at least %d needed", ErrTrain, len(samples), MinSamples)
	}
	if id == 0 || id > 1<<32-1 {
		return nil, fmt.Errorf("train dictionary: ID %d out of range", id)
	}
	// The builder is young code: whatever it meets, training must not
	// stop the write it happens in.
	defer func() {
		if p := recover(); p != nil {
			d, err = nil, fmt.Errorf("%w: %v", ErrTrain, p)
		}
	}()
	d, err = dict.BuildZstdDict(samples, dict.Options{
		MaxDictSize: DictSize,
		HashBytes:   8,
		ZstdDictID:  uint32(id),
		ZstdLevel:   Level,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrain, err)
	}
	return d, nil
}
