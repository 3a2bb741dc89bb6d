package tray

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// CopyText puts text on the system clipboard with the platform's tool:
// pbcopy on macOS, clip on Windows, wl-copy on Wayland, else xclip or
// xsel on X11.
func CopyText(ctx context.Context, text string) error {
	argv, err := clipboardCommand(os.Getenv, exec.LookPath)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(text)
	// xclip and wl-copy stay behind to serve the selection: no pipe of
	// ours may keep them, or Run would wait for them.
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w", argv[0], err)
	}
	return nil
}

// errNoClipboard says which tool to install.
var errNoClipboard = errors.New("no clipboard tool found: install wl-clipboard (Wayland) or xclip (X11)")

func clipboardCommand(getenv func(string) string, lookPath func(string) (string, error)) ([]string, error) {
	var candidates [][]string
	switch runtime.GOOS {
	case "darwin":
		candidates = [][]string{{"pbcopy"}}
	case "windows":
		candidates = [][]string{{"clip"}}
	default:
		if getenv("WAYLAND_DISPLAY") != "" {
			candidates = append(candidates, []string{"wl-copy"})
		}
		if getenv("DISPLAY") != "" {
			candidates = append(candidates, []string{"xclip", "-selection", "clipboard"}, []string{"xsel", "--clipboard", "--input"})
		}
		if len(candidates) == 0 {
			return nil, errors.New("no display to hold a clipboard (neither WAYLAND_DISPLAY nor DISPLAY is set)")
		}
	}
	for _, c := range candidates {
		if p, err := lookPath(c[0]); err == nil {
			return append([]string{p}, c[1:]...), nil
		}
	}
	return nil, errNoClipboard
}
