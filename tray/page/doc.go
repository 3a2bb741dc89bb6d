// Package page is the Connections page of the MeshMesh tray: the product
// guide's "Connections modal" as a small web page on the loopback
// interface, which the tray opens in the user's browser.
//
// The page lets a person pick a connection method (Quick Connect, Custom
// Connected App, MeshMesh Connected App) and an environment (Production,
// Sandbox, Custom Domain), enter a connected app's credentials, scopes and
// an alias, connect, follow the sign-in as it goes and read the result: the
// org connected, or the diagnosis with its fixes as buttons. It also shows
// the MeshMesh package install URLs of the three environments.
//
// With [Options.Orgs] the page also has an Orgs view at /orgs (open it
// with [Server.OrgsURL]): every connection in a table with search,
// filters and each org's actions (open, quick links, reconnect, remove,
// pin, alias, group), the user's own quick links and "Reconnect all".
// Its rows come in the HTML; the page then polls /orgs.json?since=VERSION
// every 2 s (204 while unchanged, and not while its tab is hidden) and
// posts actions to /orgs/action, which answers {ok, diagnosis}.
//
// The page runs nothing itself: a [Connector] (the tray) signs in. A
// [Server] serves the page only while it is in use.
//
// # Security
//
// The page is served on 127.0.0.1 only, on a port of its own (never the
// OAuth callback port), and only until it has been idle for
// [Options.IdleTimeout]. The URL that [Server.URL] returns carries a random
// token; the first request with it gets an HttpOnly SameSite=Strict
// session cookie and is redirected to the page, so the token leaves the
// address bar. Every other request needs the cookie and a Host header
// naming the page's own address (against DNS rebinding), and every POST a
// CSRF token and no foreign Origin. Every response carries a strict
// Content-Security-Policy. A client secret is never sent back to the
// browser, never put in a URL and never logged; the page keeps none after
// the attempt has started.
package page
