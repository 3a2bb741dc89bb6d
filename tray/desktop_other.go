//go:build !linux

package tray

import (
	"context"
	"time"
)

// CheckDesktop reports why a tray cannot show here. macOS and Windows
// always have a menu bar or notification area.
func CheckDesktop(ctx context.Context, wait time.Duration) error { return nil }
