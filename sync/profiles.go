package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
)

// CheckProfiles returns an error naming the first of profiles that neither
// the shared config file nor the shared credentials file holds, so that a
// mistyped profile is refused before any work. It reads those files only,
// never the network; other trouble with them is left for the sync itself
// to report.
func CheckProfiles(ctx context.Context, profiles []string) error {
	for _, p := range profiles {
		_, err := config.LoadSharedConfigProfile(ctx, p)
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return fmt.Errorf("profile %s is in neither the shared config file nor the shared credentials file", p)
		}
	}
	return nil
}
