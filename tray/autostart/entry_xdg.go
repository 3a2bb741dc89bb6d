//go:build !darwin && !windows

package autostart

// Linux and the BSDs: an XDG autostart entry.

func (e Entry) enabled() (bool, error) { return enabledDesktop(e) }
func (e Entry) enable() error          { return enableDesktop(e) }
func (e Entry) disable() error         { return disableDesktop(e) }
