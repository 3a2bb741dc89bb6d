package oauth

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// errorInBody finds an OAuth error pair in a page, as Salesforce renders
// it for a bad client_id or redirect_uri: error=…&error_description=…
var errorInBody = regexp.MustCompile(`error=([A-Za-z0-9_\-]+)(?:&amp;|&)error_description=([^<&"'\s]*)`)

// preflightErrors are the errors Salesforce shows before sign-in without
// ever calling back: a login would wait for its timeout.
var preflightErrors = map[string]bool{
	"invalid_client_id":     true,
	"redirect_uri_mismatch": true,
	"redirect_uri_missing":  true,
}

// preflight GETs the authorize URL without following redirects, before the
// browser opens, and returns the diagnosis of what it sees: an unreachable
// host, an error page that real Salesforce shows in the browser and never
// reports to the callback, or an error redirect to our own callback.
func (e *Engine) preflight(ctx context.Context, authURL, redirectURL string, sit Situation) error {
	ctx, cancel := context.WithTimeout(ctx, PreflightTimeout)
	defer cancel()
	c := *e.httpClient()
	c.Timeout = PreflightTimeout
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		return Diagnose(redactURLError(err), sit)
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" && strings.HasPrefix(loc, redirectURL) {
		if u, err := url.Parse(loc); err == nil && u.Query().Get("error") != "" {
			q := u.Query()
			sit.Step = StepAuthorize
			return diagnoseSalesforce(q.Get("error"), q.Get("error_description"), 0, sit,
				&SalesforceError{Code: q.Get("error"), Description: q.Get("error_description")})
		}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if m := errorInBody.FindSubmatch(body); m != nil && preflightErrors[string(m[1])] {
		desc, err := url.QueryUnescape(string(m[2]))
		if err != nil {
			desc = string(m[2])
		}
		sit.Step = StepAuthorize
		return diagnoseSalesforce(string(m[1]), desc, resp.StatusCode, sit,
			&SalesforceError{Status: resp.StatusCode, Code: string(m[1]), Description: desc})
	}
	return nil
}
