package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidSession reports that Salesforce no longer accepts an access
// token (401 INVALID_SESSION_ID, or 403 from singleaccess): refresh it and
// try once more.
var ErrInvalidSession = errors.New("salesforce session expired or invalid")

// Is makes errors.Is(err, ErrInvalidSession) true for a 401, an
// INVALID_SESSION_ID, and userinfo's 403 Bad_OAuth_Token.
func (e *SalesforceError) Is(target error) bool {
	return target == ErrInvalidSession && (e.Status == http.StatusUnauthorized ||
		strings.EqualFold(e.Code, "INVALID_SESSION_ID") || strings.EqualFold(e.Code, "Bad_OAuth_Token"))
}

// maxBody bounds what is read of any response.
const maxBody = 1 << 20

// getJSON GETs rawURL with the access token and decodes a 2xx JSON body
// into out. Any other answer is a *SalesforceError.
func (e *Engine) getJSON(ctx context.Context, rawURL, accessToken string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := e.httpClient().Do(req)
	if err != nil {
		return redactURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return parseAPIError(resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("reading %s: %w", (&url.URL{Path: req.URL.Path}).String(), err)
	}
	return nil
}

// parseAPIError reads Salesforce's error shapes: the REST API's
// [{"message","errorCode"}], OAuth's {"error","error_description"}, a
// form-encoded error=…&error_description=…, or anything else as text.
func parseAPIError(status int, body []byte) *SalesforceError {
	e := &SalesforceError{Status: status}
	var list []struct{ Message, ErrorCode string }
	var pair struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	switch {
	case json.Unmarshal(body, &list) == nil && len(list) > 0:
		e.Code, e.Description = list[0].ErrorCode, list[0].Message
	case json.Unmarshal(body, &pair) == nil && pair.Error != "":
		e.Code, e.Description = pair.Error, pair.ErrorDescription
	default:
		if v, err := url.ParseQuery(strings.TrimSpace(string(body))); err == nil && v.Get("error") != "" {
			e.Code, e.Description = v.Get("error"), v.Get("error_description")
			break
		}
		text := strings.TrimSpace(string(body))
		if text != "" && len(text) < 64 && !strings.ContainsAny(text, " <{") {
			e.Code = text // a bare error word, as userinfo's 403 Bad_OAuth_Token
			break
		}
		e.Code = "HTTP_" + strconv.Itoa(status)
		e.Description = text
		if len(e.Description) > 200 {
			e.Description = e.Description[:200]
		}
	}
	return e
}

// redactURLError drops the query of the URL a *url.Error names: a URL we
// call may carry a token (revoke by GET does) and must not reach a log.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// Identify asks the org who the token belongs to (userinfo) and what the
// org is (the Organization record, at the newest API version).
func (e *Engine) Identify(ctx context.Context, instanceURL, accessToken string) (Org, error) {
	base := strings.TrimRight(instanceURL, "/")
	var ui struct {
		UserID            string `json:"user_id"`
		OrganizationID    string `json:"organization_id"`
		PreferredUsername string `json:"preferred_username"`
	}
	if err := e.getJSON(ctx, base+"/services/oauth2/userinfo", accessToken, &ui); err != nil {
		return Org{}, err
	}
	org := Org{Username: ui.PreferredUsername, UserID: ui.UserID, OrgID: ui.OrganizationID, InstanceURL: base}

	version, err := e.LatestAPIVersion(ctx, base, accessToken)
	if err != nil {
		return Org{}, err
	}
	var res struct {
		Records []struct {
			Name                string
			IsSandbox           bool
			InstanceName        string
			OrganizationType    string
			TrialExpirationDate *string // null for orgs that do not expire
		} `json:"records"`
	}
	q := url.Values{"q": {"SELECT Id, Name, IsSandbox, InstanceName, OrganizationType, TrialExpirationDate FROM Organization"}}
	if err := e.getJSON(ctx, base+"/services/data/v"+version+"/query?"+q.Encode(), accessToken, &res); err != nil {
		return Org{}, err
	}
	if len(res.Records) > 0 {
		r := res.Records[0]
		org.OrgName, org.IsSandbox, org.InstanceName, org.OrganizationType = r.Name, r.IsSandbox, r.InstanceName, r.OrganizationType
		if r.TrialExpirationDate != nil {
			org.TrialExpires = parseSalesforceTime(*r.TrialExpirationDate)
		}
	}
	return org, nil
}

// LatestAPIVersion returns the newest REST API version the org serves
// (GET /services/data), e.g. "64.0".
func (e *Engine) LatestAPIVersion(ctx context.Context, instanceURL, accessToken string) (string, error) {
	var versions []struct{ Version string }
	if err := e.getJSON(ctx, strings.TrimRight(instanceURL, "/")+"/services/data", accessToken, &versions); err != nil {
		return "", err
	}
	if len(versions) == 0 {
		return "", &SalesforceError{Status: http.StatusOK, Code: "NO_API_VERSIONS", Description: "GET /services/data listed no API versions"}
	}
	newest := slices.MaxFunc(versions, func(a, b struct{ Version string }) int {
		af, _ := strconv.ParseFloat(a.Version, 64)
		bf, _ := strconv.ParseFloat(b.Version, 64)
		switch {
		case af < bf:
			return -1
		case af > bf:
			return 1
		}
		return 0
	})
	return newest.Version, nil
}

// parseSalesforceTime reads a dateTime as the REST API writes it,
// 2026-12-31T23:59:59.000+0000; the zero time when it cannot.
func parseSalesforceTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
