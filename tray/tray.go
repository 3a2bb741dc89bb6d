package tray

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"fyne.io/systray"

	"github.com/meshmesh/meshmesh/icons"
	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// Options configure a tray.
type Options struct {
	// Title names the tray in its menu, tooltip and pages: "MeshMesh", or
	// "MeshMesh Demo".
	Title string
	// Store holds the connections the tray shows and refreshes.
	Store *keychain.Store
	// Engine runs the sign-ins: the store's engine.
	Engine *oauth.Engine
	// Log receives what the tray does (never a secret); nil discards it.
	Log *slog.Logger

	Notifier  Notifier  // nil: no notifications
	Autostart Autostart // nil: Start at login is disabled
	// Clipboard copies text; nil means [CopyText].
	Clipboard func(ctx context.Context, text string) error
	// Demo says the connections are the demo's, which the command line
	// does not see: notifications name no meshmesh commands.
	Demo bool
	// Show receives a value when a second start of the tray asks this one
	// to open the Connections page.
	Show <-chan struct{}

	HealthEvery time.Duration // 0: DefaultHealthEvery
	PollEvery   time.Duration // 0: DefaultPollEvery
	Parallel    int           // connections checked at once; 0: DefaultParallel
	PerHost     int           // of them at one login host; 0: DefaultPerHost
}

func (o *Options) setDefaults() {
	if o.Title == "" {
		o.Title = "MeshMesh"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clipboard == nil {
		o.Clipboard = CopyText
	}
	if o.HealthEvery <= 0 {
		o.HealthEvery = DefaultHealthEvery
	}
	if o.PollEvery <= 0 {
		o.PollEvery = DefaultPollEvery
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
}

// Run shows the tray and runs it until Quit is chosen or ctx ends. It takes
// over the calling goroutine, which must be the main one (macOS draws the
// menu bar there), and may run once per process. Call [CheckDesktop]
// first: without a session bus or tray host, systray would hang.
func Run(ctx context.Context, opts Options) error {
	if opts.Store == nil || opts.Engine == nil {
		return errors.New("tray: Options.Store and Options.Engine are required")
	}
	opts.setDefaults()
	u := &systrayUI{started: time.Now()}
	a := newApp(ctx, opts, u)
	u.events, u.done = a.events, a.ctx.Done()

	// Icon, title and tooltip are set before Run: set in onReady, they can
	// be lost for the life of the process (a start-up race in systray).
	u.setIcon(icons.Normal)
	systray.SetTitle(opts.Title)
	u.setTooltip(opts.Title)

	done := make(chan struct{})
	showTray(a, u, func() {
		// onReady must not block: the menu is not served until it returns.
		go func() {
			defer close(done)
			a.loop()
		}()
	}, func() {
		a.cancel() // Quit from elsewhere (a signal): stop the loop
	})
	a.cancel()
	<-done
	a.log().Info("tray: quit")
	return nil
}

// NoDesktop is the code of CheckDesktop's diagnoses: the tray cannot show
// here.
const NoDesktop oauth.Code = "no_desktop"

func noDesktop(title string, err error, advice string) *oauth.Diagnosis {
	return &oauth.Diagnosis{Code: NoDesktop, Title: title, Advice: advice, Err: err}
}
