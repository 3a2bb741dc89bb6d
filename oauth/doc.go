// Package oauth talks OAuth 2.0 to Salesforce for MeshMesh: it works out where
// to log in (Production, Sandbox or a custom My Domain), runs the browser
// login through a short-lived loopback redirect server with PKCE, exchanges
// the code, finds out who and where the user is, and later refreshes,
// revokes and opens sessions.
//
// Every failure it returns is, or wraps, a [*Diagnosis]: a stable code, a
// one-line title, advice on what to do, Salesforce's own error words and,
// where one exists, a fix a user interface can offer.
//
// The package knows nothing of storage or user interfaces: results go back
// to the caller as values. Its tests run against the fake Salesforce in
// [github.com/meshmesh/meshmesh/oauth/sftest].
package oauth
