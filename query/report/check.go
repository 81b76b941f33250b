package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// CheckSchemaVersion names the layout of 'archiver check --output json'.
const CheckSchemaVersion = "archiver.check/v1"

// Policy is what every protected server must meet; a zero limit leaves its
// rule out.
type Policy struct {
	// MaxDrillAge bounds the time from a server's last drill that launched
	// to the period's end; a server never drilled breaks it.
	MaxDrillAge time.Duration
	// MaxRTO bounds the time to launch of a server's latest launch in the
	// period, and MaxRPO its recovery point.
	MaxRTO time.Duration
	MaxRPO time.Duration
}

// Rules of a policy.
const (
	RuleDrillAge = "max-drill-age"
	RuleRTO      = "max-rto"
	RuleRPO      = "max-rpo"
)

// Breach is one server breaking one rule, with its evidence.
type Breach struct {
	ServerRef
	Region  string `json:"region"`
	Account string `json:"account"`
	Rule    string `json:"rule"`
	// LimitSeconds is the rule's limit; ValueSeconds the measure that
	// broke it (absent for a server never drilled).
	LimitSeconds float64  `json:"limitSeconds"`
	ValueSeconds *float64 `json:"valueSeconds,omitempty"`
	// JobID and At name the record the measure came from.
	JobID    string     `json:"jobID,omitempty"`
	At       *time.Time `json:"at,omitempty"`
	Evidence string     `json:"evidence"`
}

// CheckResult is the outcome of a check; its JSON is --output json.
type CheckResult struct {
	Schema   string        `json:"schema"`
	Checked  time.Time     `json:"checkedAt"`
	Filters  Filters       `json:"filters"`
	Policy   PolicySeconds `json:"policy"`
	Archive  ArchiveState  `json:"archive"`
	Servers  int           `json:"servers"`
	Breaches []Breach      `json:"breaches"`
}

// PolicySeconds is a Policy in seconds, as --output json states it (0: the
// rule was not given).
type PolicySeconds struct {
	MaxDrillAgeSeconds float64 `json:"maxDrillAgeSeconds,omitempty"`
	MaxRTOSeconds      float64 `json:"maxRTOSeconds,omitempty"`
	MaxRPOSeconds      float64 `json:"maxRPOSeconds,omitempty"`
}

// Check applies p to every server of rep.
func Check(rep *Report, p Policy) CheckResult {
	res := CheckResult{
		Schema: CheckSchemaVersion, Checked: rep.GeneratedAt, Filters: rep.Filters, Archive: rep.Archive,
		Policy:   PolicySeconds{p.MaxDrillAge.Seconds(), p.MaxRTO.Seconds(), p.MaxRPO.Seconds()},
		Servers:  len(rep.Servers),
		Breaches: []Breach{},
	}
	for _, s := range rep.Servers {
		b := Breach{ServerRef: ServerRef{SourceServerID: s.SourceServerID, Hostname: s.Hostname}, Region: s.Region, Account: s.Account}
		if p.MaxDrillAge > 0 {
			b := b
			b.Rule, b.LimitSeconds = RuleDrillAge, p.MaxDrillAge.Seconds()
			switch {
			case s.LastDrill == nil:
				b.Evidence = "never drilled: no drill of it launched in the archive"
				res.Breaches = append(res.Breaches, b)
			case rep.Filters.To.Sub(s.LastDrill.LaunchedAt) > p.MaxDrillAge:
				age := rep.Filters.To.Sub(s.LastDrill.LaunchedAt).Seconds()
				at := s.LastDrill.LaunchedAt
				b.ValueSeconds, b.JobID, b.At = &age, s.LastDrill.JobID, &at
				b.Evidence = fmt.Sprintf("last drill %s launched %s, %s before %s", s.LastDrill.JobID, stamp(at), Duration(age), stamp(rep.Filters.To))
				res.Breaches = append(res.Breaches, b)
			}
		}
		for _, r := range []struct {
			rule  string
			limit time.Duration
			m     *Measure
			what  string
		}{{RuleRTO, p.MaxRTO, s.LastTimeToLaunch, "time to launch"}, {RuleRPO, p.MaxRPO, s.LastRecoveryPoint, "recovery point"}} {
			if r.limit <= 0 || r.m == nil || r.m.Seconds <= r.limit.Seconds() {
				continue
			}
			b := b
			v, at := r.m.Seconds, r.m.At
			b.Rule, b.LimitSeconds, b.ValueSeconds, b.JobID, b.At = r.rule, r.limit.Seconds(), &v, r.m.JobID, &at
			b.Evidence = fmt.Sprintf("latest launch %s: %s %s (archiver query --job-id %s)", r.m.JobID, r.what, Duration(v), r.m.JobID)
			res.Breaches = append(res.Breaches, b)
		}
	}
	return res
}

// PolicyError is returned by RunCheck when servers break the policy.
type PolicyError struct {
	Servers, Breaches int
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("%d %s break the policy (%d %s)", e.Servers, pluralS(e.Servers, "server"), e.Breaches, pluralS(e.Breaches, "breach"))
}

func pluralS(n int, noun string) string {
	if n == 1 {
		return noun
	}
	if strings.HasSuffix(noun, "ch") {
		return noun + "es"
	}
	return noun + "s"
}

// CheckOptions are a check request.
type CheckOptions struct {
	ArchiveDir string
	Selection
	Policy
	// Output is "text" or "json".
	Output      string
	LockTimeout time.Duration
	// Build is the running archiver's build.
	Build buildinfo.Info
}

// RunCheck checks o's policy against the archive as at now and prints every
// breach; it returns a *PolicyError when there is one.
func RunCheck(ctx context.Context, o CheckOptions, now time.Time, stdout, stderr io.Writer) error {
	sel := o.Selection.Resolve(now)
	d, err := Gather(ctx, o.ArchiveDir, o.LockTimeout, sel, stderr)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	rep := Compute(d, sel, now, o.Build)
	res := Check(rep, o.Policy)
	if o.Output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		for _, br := range res.Breaches {
			fmt.Fprintf(&b, "%s %s (%s, %s): %s: %s\n", br.SourceServerID, orDash(br.Hostname), br.Region, br.Account, br.Rule, breachText(br))
		}
		fmt.Fprintf(&b, "%d of %d servers break the policy, %s to %s\n", breakers(res), res.Servers, stamp(sel.Range.From), stamp(sel.Range.To))
		if _, err := io.WriteString(stdout, b.String()); err != nil {
			return err
		}
	}
	if len(res.Breaches) > 0 {
		return &PolicyError{Servers: breakers(res), Breaches: len(res.Breaches)}
	}
	return nil
}

func breachText(b Breach) string {
	if b.ValueSeconds == nil {
		return fmt.Sprintf("limit %s; %s", Duration(b.LimitSeconds), b.Evidence)
	}
	return fmt.Sprintf("%s over the limit %s; %s", Duration(*b.ValueSeconds), Duration(b.LimitSeconds), b.Evidence)
}

func breakers(res CheckResult) int {
	seen := map[string]bool{}
	for _, b := range res.Breaches {
		seen[serverKey(b.SourceServerID, b.Region, b.Account)] = true
	}
	return len(seen)
}

// ErrBadLimit is returned for a policy limit that is not a positive
// duration.
var ErrBadLimit = errors.New("not a positive duration (want a number and a unit: s, m, h, d or w, such as 90d, 1h, 15m or 1d12h)")

// ParseLimit reads a policy limit: terms of a whole number and a unit run
// together, the units s, m (minutes), h, d (24 hours) and w (7 days), such
// as 90d, 1h, 15m or 1d12h.
func ParseLimit(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	rest := in
	var total time.Duration
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] < unicode.MaxASCII && unicode.IsDigit(rune(rest[i])) {
			i++
		}
		if i == 0 || i == len(rest) || i > 9 {
			return 0, fmt.Errorf("%q: %w", in, ErrBadLimit)
		}
		n, err := strconv.Atoi(rest[:i])
		unit, ok := units[rest[i]]
		if err != nil || !ok {
			return 0, fmt.Errorf("%q: %w", in, ErrBadLimit)
		}
		step := time.Duration(n) * unit
		if step/unit != time.Duration(n) || total+step < total {
			return 0, fmt.Errorf("%q: %w", in, ErrBadLimit)
		}
		total += step
		rest = rest[i+1:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("%q: %w", in, ErrBadLimit)
	}
	return total, nil
}
