package archive

// SetCompressBatch makes CompressRecords compress at most n records a
// transaction until the test ends.
func SetCompressBatch(n int) (restore func()) {
	was, wasScan := compressPerTx, scanWithin
	compressPerTx, scanWithin = n, 8*n
	return func() { compressPerTx, scanWithin = was, wasScan }
}

// SetCompressHook makes CompressRecords call fn after each transaction it
// commits; an error from fn stops it there, as a killed process would.
func SetCompressHook(fn func(CompressResult) error) (restore func()) {
	was := compressHook
	compressHook = fn
	return func() { compressHook = was }
}

// TrainAt is the number of records of a kind whose write trains the
// kind's dictionary.
const TrainAt = trainAt

// BlockCacheSize is how many blocks a Reader keeps.
const BlockCacheSize = blockCacheSize

// SetSparse makes CompactSparseFile rewrite files of which what holds
// nothing takes share and min bytes.
func SetSparse(share float64, min int64) (restore func()) {
	was, wasMin := sparseShare, sparseMin
	sparseShare, sparseMin = share, min
	return func() { sparseShare, sparseMin = was, wasMin }
}
