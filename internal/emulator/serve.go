package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ServeOptions says where and what a standalone emulator serves.
type ServeOptions struct {
	// Listen is the address to listen on; it must be a loopback address
	// ("127.0.0.1:0" picks a free port).
	Listen string
	// History and Faults are the emulator's.
	History Options
	Faults  Faults
}

// CheckListen refuses a listen address that is malformed or off loopback:
// the emulator has no authentication and is for tests.
func CheckListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("listen address %q: the emulator listens on loopback only (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

// Serve runs an emulator on o.Listen until ctx is done, and calls ready
// with its base URL once it accepts connections. It refuses an address
// off loopback: the emulator has no authentication and is for tests.
func Serve(ctx context.Context, o ServeOptions, ready func(url string)) error {
	addr := o.Listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := CheckListen(addr); err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := New(o.History)
	s.SetFaults(o.Faults)
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	ready("http://" + l.Addr().String())
	select {
	case err := <-done:
		return fmt.Errorf("emulator: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("emulator: %w", err)
	}
	return nil
}
