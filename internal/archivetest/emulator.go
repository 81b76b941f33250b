package archivetest

import (
	"testing"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// Emulator starts the DRS emulator on loopback for the length of the test.
func Emulator(t testing.TB, o emulator.Options) *emulator.Server {
	t.Helper()
	emu := emulator.New(o)
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	return emu
}
