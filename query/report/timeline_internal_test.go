package report

import (
	"testing"
	"time"
)

// TestTimeTicks checks the time labels of periods from minutes to decades:
// at most tlMaxTicks and at least two (three once the period allows),
// inside the period, evenly spaced, and round for their spacing.
func TestTimeTicks(t *testing.T) {
	start := time.Date(2026, 3, 7, 5, 17, 42, 0, time.UTC)
	tests := []struct {
		name   string
		period time.Duration
		layout string
		ends   bool // labelled at its two ends
	}{
		{"ten minutes", 10 * time.Minute, "01-02 15:04", true},
		{"three hours", 3 * time.Hour, "01-02 15:04", false},
		{"one day", 24 * time.Hour, "01-02 15:04", false},
		{"three days", 3 * 24 * time.Hour, "01-02 15:04", false},
		{"four days", 4 * 24 * time.Hour, "2006-01-02", false},
		{"thirty days", 30 * 24 * time.Hour, "2006-01-02", false},
		{"ninety days", 90 * 24 * time.Hour, "2006-01-02", false},
		{"a year", 365 * 24 * time.Hour, "2006-01-02", false},
		{"three years", 3 * 365 * 24 * time.Hour, "2006-01-02", false},
		{"forty years", 40 * 365 * 24 * time.Hour, "2006-01-02", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := start, start.Add(tt.period)
			ticks, layout := timeTicks(from, to)
			if layout != tt.layout {
				t.Errorf("layout %q, want %q", layout, tt.layout)
			}
			if tt.ends {
				if len(ticks) != 2 || !ticks[0].Equal(from) || !ticks[1].Equal(to) {
					t.Errorf("ticks %v, want the period's ends", ticks)
				}
				return
			}
			if len(ticks) < 3 || len(ticks) > tlMaxTicks {
				t.Fatalf("%d ticks %v, want 3 to %d", len(ticks), ticks, tlMaxTicks)
			}
			for i, tk := range ticks {
				if tk.Before(from) || tk.After(to) {
					t.Errorf("tick %v outside %v to %v", tk, from, to)
				}
				if tk.Minute() != 0 || tk.Second() != 0 || tk.Nanosecond() != 0 {
					t.Errorf("tick %v is not on the hour", tk)
				}
				if i == 0 {
					continue
				}
				step := tk.Sub(ticks[i-1])
				switch {
				case step >= 28*24*time.Hour:
					if tk.Day() != 1 || tk.Hour() != 0 {
						t.Errorf("tick %v of a spacing of months is not the first of a month", tk)
					}
					months := func(x time.Time) int { return x.Year()*12 + int(x.Month()) }
					if i > 1 && months(tk)-months(ticks[i-1]) != months(ticks[1])-months(ticks[0]) {
						t.Errorf("ticks %v are not evenly spaced", ticks)
					}
				case step >= 24*time.Hour:
					if tk.Hour() != 0 {
						t.Errorf("tick %v of a spacing of days is not a midnight", tk)
					}
					fallthrough
				default:
					if step != ticks[1].Sub(ticks[0]) {
						t.Errorf("ticks %v are not evenly spaced", ticks)
					}
				}
			}
		})
	}
}
