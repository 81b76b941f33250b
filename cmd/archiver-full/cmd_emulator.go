package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// emulatorCommand starts the DRS, Snowball and SMS emulator the tests and
// the demo use, on its own, for the aws CLI or any other tool.
func emulatorCommand() *cli.Command {
	return &cli.Command{
		Name:      "emulator",
		Hidden:    true,
		Usage:     "serve the AWS DRS, Snowball and SMS emulator on loopback until interrupted",
		UsageText: "archiver emulator [--listen ADDR] [--seed N] [--jobs N] [--log-items N] [fault options]",
		Description: `Serves, on a loopback address, the emulator archiver's tests and demo use:
DRS, Snowball, SMS and STS answering as AWS does, over a history made up
from --seed (the same seed gives the same history). It prints its URL and
serves until interrupted (Ctrl-C), so that the aws CLI, a notebook or any
SDK can be pointed at it with --endpoint-url. Any access key is accepted.
The fault options make it throttle, fail or slow down on purpose.

EXAMPLES:
   archiver emulator --listen 127.0.0.1:4566 --seed 7
   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws drs describe-jobs \
       --endpoint-url http://127.0.0.1:4566 --region us-east-1
   archiver sync --endpoint-url http://127.0.0.1:4566 --region us-east-1
   archiver emulator --throttle-rate 0.2 --latency 50ms`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "loopback address to listen on (port 0 picks a free one)"},
			&cli.Int64Flag{Name: "seed", Value: emulator.DefaultSeed, Usage: "seed of the made-up history"},
			&cli.StringFlag{Name: "region", Value: emulator.DefaultRegion, Usage: "region the history is in"},
			&cli.StringFlag{Name: "account", Value: emulator.DefaultAccount, Usage: "account the history is in"},
			&cli.IntFlag{Name: "jobs", Value: emulator.DefaultJobs, Usage: "DRS jobs in the history"},
			&cli.IntFlag{Name: "servers", Usage: "DRS source servers (default: enough for the jobs)"},
			&cli.IntFlag{Name: "log-items", Value: emulator.DefaultLogItemsPerJob, Usage: "log items per DRS job"},
			&cli.Float64Flag{Name: "throttle-rate", Usage: "fraction of calls answered with a throttling error, 0 to 1"},
			&cli.Float64Flag{Name: "server-error-rate", Usage: "fraction of calls answered with a 5xx error, 0 to 1"},
			&cli.StringFlag{Name: "latency", Value: "0s", Usage: "delay before every answer, a `DURATION` such as 50ms"},
		},
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			for _, n := range []string{"throttle-rate", "server-error-rate"} {
				if r := c.Float64(n); r < 0 || r > 1 {
					return cliapp.Usagef("--%s %g: want 0 to 1", n, r)
				}
			}
			for _, n := range []string{"jobs", "log-items", "servers"} {
				if c.Int(n) < 0 {
					return cliapp.Usagef("--%s %d: want 0 or more", n, c.Int(n))
				}
			}
			if err := emulator.CheckListen(c.String("listen")); err != nil {
				return cliapp.UsageError{Err: fmt.Errorf("--listen: %w", err), Command: "emulator"}
			}
			latency, err := time.ParseDuration(c.String("latency"))
			if err != nil || latency < 0 {
				return cliapp.UsageError{Err: fmt.Errorf("--latency %q: want a duration of 0 or more, such as 50ms", c.String("latency")), Command: "emulator"}
			}
			o := emulator.ServeOptions{
				Listen: c.String("listen"),
				History: emulator.Options{
					Seed: c.Int64("seed"), Region: c.String("region"), Account: c.String("account"),
					Jobs: c.Int("jobs"), Servers: c.Int("servers"), LogItemsPerJob: c.Int("log-items"),
				},
				Faults: emulator.Faults{ThrottleRate: c.Float64("throttle-rate"), ServerErrorRate: c.Float64("server-error-rate"), Latency: latency},
			}
			return emulator.Serve(c.Context, o, func(url string) {
				fmt.Fprintf(c.App.Writer, "%s\n", url)
				fmt.Fprintf(c.App.ErrWriter, "archiver: emulator serving DRS, Snowball, SMS and STS for %s in %s at %s until interrupted\n",
					o.History.Account, o.History.Region, url)
			})
		},
	}
}
