package migrations

import "testing"

// SetStepsForTest replaces the schema history with s until the test ends,
// so that a test can add a step that fails.
func SetStepsForTest(t testing.TB, s []Step) {
	t.Helper()
	old := steps
	steps = s
	t.Cleanup(func() { steps = old })
}
