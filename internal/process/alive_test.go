package process_test

import (
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/archiver-dev/archiver/internal/process"
)

// childEnv makes the test binary a child that runs until its standard
// input ends.
const childEnv = "ARCHIVER_TEST_PROCESS_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child starts the test binary as a child that runs until stop is called;
// stop waits for it to end.
func child(t *testing.T) (pid int, stop func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v", cmd.Process.Pid, err)
		}
	}
	t.Cleanup(stop)
	return cmd.Process.Pid, stop
}

// TestAlive: this process and a running child are alive; a child that has
// ended (and been waited for) is not, nor is an id no process can have.
func TestAlive(t *testing.T) {
	running, _ := child(t)
	ended, stop := child(t)
	stop()
	for _, tc := range []struct {
		name string
		pid  int
		want bool
	}{
		{"this process", os.Getpid(), true},
		{"running child", running, true},
		{"ended child", ended, false},
		{"zero", 0, false},
		{"negative", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := process.Alive(tc.pid); got != tc.want {
				t.Errorf("Alive(%d) = %v, want %v", tc.pid, got, tc.want)
			}
		})
	}
}
