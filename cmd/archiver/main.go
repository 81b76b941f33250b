// Command archiver keeps the job history of AWS Elastic Disaster Recovery
// (and, in time, Snowball and SMS) in a local archive, long after the services
// forget it, and answers questions about it offline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
