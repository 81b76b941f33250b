package cliapp

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// CheckDurations refuses a duration flag of the command of c that is not
// positive: a check every command makes before any work.
func CheckDurations(c *cli.Context) error {
	cmd := c.Command
	for _, f := range cmd.Flags {
		df, ok := f.(*cli.DurationFlag)
		if !ok {
			continue
		}
		if d := c.Duration(df.Name); d <= 0 {
			return UsageError{Err: fmt.Errorf("--%s must be positive (got %s)", df.Name, d), Command: cmd.Name}
		}
	}
	return nil
}
