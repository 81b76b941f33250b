package query

// SetComputeHook makes Finish call f when it starts matching the records
// it copied; nil removes the hook.
func SetComputeHook(f func()) { computeHook = f }
