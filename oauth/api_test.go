package oauth

import (
	"testing"
	"time"
)

func TestParseSalesforceTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time // zero: unreadable
	}{
		{"2026-12-31T23:59:59.000+0000", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)}, // as the REST API writes a dateTime
		{"2026-12-31T23:59:59.123+0000", time.Date(2026, 12, 31, 23, 59, 59, 123e6, time.UTC)},
		{"2027-01-01T01:00:00.000+0100", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-12-31T23:59:59Z", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)}, // RFC 3339
		{"2026-12-31T23:59:59.5Z", time.Date(2026, 12, 31, 23, 59, 59, 5e8, time.UTC)},
		{"2027-01-01T00:30:00-08:00", time.Date(2027, 1, 1, 8, 30, 0, 0, time.UTC)},
		{"2026-12-31", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}, // a date
		{"", time.Time{}},
		{"soon", time.Time{}},
		{"31/12/2026", time.Time{}},
		{"2026-13-01", time.Time{}},
		{"2026-12-31T23:59:59", time.Time{}},
	} {
		got := parseSalesforceTime(tt.in)
		if !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("parseSalesforceTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
