package page

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// Time limits of the page's HTTP server: a browser on the same computer
// answers at once, so these only stop a stuck client.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	keepAliveTimeout  = 60 * time.Second
)

// maxAttempts is how many attempts a serving of the page remembers.
const maxAttempts = 32

// Server serves the Connections page while it is in use. Its methods may
// be called from any goroutine.
type Server struct {
	opts Options
	log  *slog.Logger

	// listen opens the page's listener (a net.ListenConfig's Listen; tests
	// replace it).
	listen func(ctx context.Context, network, address string) (net.Listener, error)

	// now tells the time of requests and of the idle check (time.Now;
	// tests freeze it).
	now func() time.Time

	// idleHook, when set, learns each time the idle timer finds the page
	// idle: whether a running attempt kept it up (tests).
	idleHook func(kept bool)

	mu  sync.Mutex
	cur *serving // nil while the page is not served
}

// New returns a Server for opts. It serves nothing until [Server.URL].
func New(opts Options) *Server {
	if opts.Title == "" {
		opts.Title = "MeshMesh"
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var lc net.ListenConfig
	return &Server{opts: opts, log: log, listen: lc.Listen, now: time.Now}
}

// URL starts serving the page if it is not being served (with a new token
// each time it starts), marks it in use, and returns the URL to open:
// http://127.0.0.1:PORT/?token=….
func (s *Server) URL(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		sv, err := s.start(ctx)
		if err != nil {
			return "", err
		}
		s.cur = sv
	}
	s.cur.last = s.now()
	return s.cur.origin + "/?token=" + s.cur.token, nil
}

// OrgsURL is URL for the Orgs view: the page opens at the Orgs view, or,
// with a username, at that org's row with its actions open (field
// "group" or "alias" puts the focus in that field, for the menu's "Move
// to group…" and "Rename…"; "" on the row).
func (s *Server) OrgsURL(ctx context.Context, username, field string) (string, error) {
	u, err := s.URL(ctx)
	if err != nil {
		return "", err
	}
	next := orgsPath
	if username != "" {
		q := url.Values{"org": {username}}
		if field != "" {
			q.Set("field", field)
		}
		next += "?" + q.Encode()
	}
	return u + "&next=" + url.QueryEscape(next), nil
}

// Close stops serving the page now. Serving also stops by itself after
// IdleTimeout without a request while no attempt runs. A later URL serves
// it again.
func (s *Server) Close() error {
	s.mu.Lock()
	sv := s.cur
	s.cur = nil
	s.mu.Unlock()
	if sv == nil {
		return nil
	}
	s.log.Info("connections page closed")
	return sv.stop()
}

// serving is one period of serving the page: its listener, its token and
// session, and the attempts started from it. Its mutable fields are
// guarded by the Server's mu.
type serving struct {
	s      *Server
	ln     net.Listener
	srv    *http.Server
	origin string // http://127.0.0.1:PORT
	hosts  [2]string

	token   string // in the URL: exchanged for the session cookie
	session string // the cookie's value
	csrf    string // in every form

	done  chan struct{} // closed when Serve has returned
	timer *time.Timer

	active   int       // requests being answered
	last     time.Time // when the last request ended, or URL was called
	attempts []*attempt
}

// attempt is a connection started from the page: the connector's id, and
// the form without its secret, for the fix buttons.
type attempt struct {
	handle   string // in the page's URLs
	id       string // the connector's
	form     form
	warnings []string // what looked wrong but did not stop it
	done     bool
}

// start listens and serves a new period. s.mu is held.
func (s *Server) start(ctx context.Context) (*serving, error) {
	ln, err := s.listenLoopback(ctx)
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	sv := &serving{
		s:       s,
		ln:      ln,
		origin:  "http://127.0.0.1:" + strconv.Itoa(port),
		hosts:   [2]string{"127.0.0.1:" + strconv.Itoa(port), "localhost:" + strconv.Itoa(port)},
		token:   rand.Text(),
		session: rand.Text(),
		csrf:    rand.Text(),
		done:    make(chan struct{}),
		last:    s.now(),
	}
	sv.srv = &http.Server{
		Handler:           sv.handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       keepAliveTimeout,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	sv.timer = time.AfterFunc(s.opts.IdleTimeout, func() { s.idle(sv) })
	go func() {
		defer close(sv.done)
		if err := sv.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("connections page stopped", "err", err)
		}
	}()
	s.log.Info("connections page serving", "addr", ln.Addr().String())
	return sv, nil
}

// listenLoopback listens on a free port of 127.0.0.1 other than the OAuth
// callback port (which Quick Connect's sf and the engine need).
func (s *Server) listenLoopback(ctx context.Context) (net.Listener, error) {
	var held []net.Listener // reserved ports kept open so the next try gets another
	defer func() {
		for _, ln := range held {
			ln.Close()
		}
	}()
	for range 8 {
		ln, err := s.listen(ctx, "tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("page: listening on 127.0.0.1: %w", err)
		}
		if !s.reserved(ln.Addr().(*net.TCPAddr).Port) {
			return ln, nil
		}
		held = append(held, ln)
	}
	return nil, errors.New("page: listening on 127.0.0.1: got only the OAuth callback port")
}

// reserved reports whether port is one the page must leave free.
func (s *Server) reserved(port int) bool {
	return port == oauth.DefaultCallbackPort || port == s.opts.Settings.CallbackPort
}

// stop closes the listener and every connection, and waits for Serve to
// return.
func (sv *serving) stop() error {
	sv.timer.Stop()
	err := sv.srv.Close()
	<-sv.done
	return err
}

// idle runs when sv's idle timer fires: it stops serving unless a request
// came or is being answered since, or an attempt is still running.
func (s *Server) idle(sv *serving) {
	s.mu.Lock()
	if s.cur != sv {
		s.mu.Unlock()
		return
	}
	if sv.active > 0 {
		sv.timer.Reset(s.opts.IdleTimeout)
		s.mu.Unlock()
		return
	}
	if rest := s.opts.IdleTimeout - s.now().Sub(sv.last); rest > 0 {
		sv.timer.Reset(rest)
		s.mu.Unlock()
		return
	}
	var running []*attempt
	for _, a := range sv.attempts {
		if !a.done {
			running = append(running, a)
		}
	}
	s.mu.Unlock()

	// Ask the connector without holding the lock.
	alive := false
	for _, a := range running {
		p, ok := s.opts.Connector.Progress(a.id)
		if ok && !p.Done {
			alive = true
			break
		}
	}

	s.mu.Lock()
	if s.cur != sv {
		s.mu.Unlock()
		return
	}
	if alive || sv.active > 0 || s.now().Sub(sv.last) < s.opts.IdleTimeout {
		sv.timer.Reset(s.opts.IdleTimeout)
		s.mu.Unlock()
		if alive && s.idleHook != nil {
			s.idleHook(true)
		}
		return
	}
	s.cur = nil
	s.mu.Unlock()
	s.log.Info("connections page closed after being idle", "idle", s.opts.IdleTimeout)
	sv.stop()
	if s.idleHook != nil {
		s.idleHook(false)
	}
}

// begin and end bracket an authenticated request: while one is being
// answered, and for IdleTimeout after, the page stays up.
func (sv *serving) begin() {
	sv.s.mu.Lock()
	sv.active++
	sv.s.mu.Unlock()
}

func (sv *serving) end() {
	sv.s.mu.Lock()
	sv.active--
	sv.last = sv.s.now()
	sv.s.mu.Unlock()
}

// track remembers an attempt the connector started, and returns its
// handle for the page's URLs.
func (sv *serving) track(id string, f form, warnings []string) *attempt {
	a := &attempt{handle: rand.Text(), id: id, form: f.public(), warnings: warnings}
	sv.s.mu.Lock()
	defer sv.s.mu.Unlock()
	sv.attempts = append(sv.attempts, a)
	if len(sv.attempts) > maxAttempts {
		sv.attempts = sv.attempts[len(sv.attempts)-maxAttempts:]
	}
	return a
}

// lookup returns the attempt with handle h.
func (sv *serving) lookup(h string) (*attempt, bool) {
	sv.s.mu.Lock()
	defer sv.s.mu.Unlock()
	for _, a := range sv.attempts {
		if a.handle == h {
			return a, true
		}
	}
	return nil, false
}

// finished marks a as done.
func (sv *serving) finished(a *attempt) {
	sv.s.mu.Lock()
	a.done = true
	sv.s.mu.Unlock()
}
