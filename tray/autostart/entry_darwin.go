package autostart

// macOS: a LaunchAgent.

func (e Entry) enabled() (bool, error) { return enabledAgent(e) }
func (e Entry) enable() error          { return enableAgent(e) }
func (e Entry) disable() error         { return disableAgent(e) }
