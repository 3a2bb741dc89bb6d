package sftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// firstAPIVersion is the oldest REST API version served.
const firstAPIVersion = 31

// restError is one element of a REST API error array.
type restError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// writeRESTError writes [{"message":…,"errorCode":…}].
func writeRESTError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []restError{{Message: msg, ErrorCode: code}})
}

// Common REST API errors.
func writeInvalidSession(w http.ResponseWriter, status int) {
	writeRESTError(w, status, "INVALID_SESSION_ID", "Session expired or invalid")
}

func writeNotFound(w http.ResponseWriter) {
	writeRESTError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
}

// parseVersion parses "64.0" into 64.
func parseVersion(v string) (int, error) {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || minor != "0" {
		return 0, fmt.Errorf("bad version %q", v)
	}
	return strconv.Atoi(major)
}

// versionLabel returns the release name of API version v, e.g. "Summer '25"
// for 64: three releases a year, Winter '15 being 32.0.
func versionLabel(v int) string {
	n := v - 32
	year := 15 + n/3
	season := n % 3
	if n < 0 {
		year, season = 15+(n-2)/3, (n%3+3)%3
	}
	return fmt.Sprintf("%s '%02d", [...]string{"Winter", "Spring", "Summer"}[season], year)
}

// serveData is the REST API under /services/data.
func (s *Server) serveData(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/services/data"), "/")
	if rest == "" {
		// The version list needs no session.
		type version struct {
			Label   string `json:"label"`
			URL     string `json:"url"`
			Version string `json:"version"`
		}
		var list []version
		for v := firstAPIVersion; v <= s.newest; v++ {
			list = append(list, version{versionLabel(v), fmt.Sprintf("/services/data/v%d.0", v), fmt.Sprintf("%d.0", v)})
		}
		writeJSON(w, http.StatusOK, list)
		return
	}
	seg := strings.Split(rest, "/")
	v, err := parseVersion(strings.TrimPrefix(seg[0], "v"))
	if !strings.HasPrefix(seg[0], "v") || err != nil || v < firstAPIVersion || v > s.newest {
		writeNotFound(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.validAccess(r)
	if at == nil {
		writeInvalidSession(w, http.StatusUnauthorized)
		return
	}
	org := at.user.Org
	if s.apiDisabled[org] {
		writeRESTError(w, http.StatusForbidden, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.")
		return
	}
	base := "/services/data/" + seg[0]
	switch {
	case len(seg) == 1:
		res := map[string]string{"identity": at.idURL}
		for _, name := range []string{"tooling", "metadata", "eclair", "folders", "chatter", "tabs", "appMenu",
			"quickActions", "queryAll", "wave", "analytics", "search", "composite", "parameterizedSearch",
			"theme", "nouns", "event", "recent", "connect", "licensing", "limits", "process", "query",
			"compactLayouts", "sobjects", "actions", "support"} {
			res[name] = base + "/" + name
		}
		writeJSON(w, http.StatusOK, res)
	case len(seg) == 2 && seg[1] == "query":
		s.serveQuery(w, r.URL.Query().Get("q"), base, org)
	case len(seg) == 4 && seg[1] == "sobjects" && strings.EqualFold(seg[2], "User"):
		for _, u := range s.users {
			if u.Org == org && sameID(u.ID, seg[3]) {
				writeJSON(w, http.StatusOK, s.userRecord(u, base, userFields))
				return
			}
		}
		writeNotFound(w)
	default:
		writeNotFound(w)
	}
}

// Fields of the queryable objects, canonical spelling.
var (
	orgFields  = []string{"Id", "Name", "IsSandbox", "InstanceName", "OrganizationType", "TrialExpirationDate", "NamespacePrefix"}
	userFields = []string{"Id", "Username", "Name", "FirstName", "LastName", "Email", "IsActive", "UserType"}
)

// record is a REST API record: attributes first, then the fields in order.
type record struct {
	typ, url string
	fields   []string
	values   []any
}

func (rec record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	attrs, _ := json.Marshal(map[string]string{"type": rec.typ, "url": rec.url})
	b.WriteString(`{"attributes":`)
	b.Write(attrs)
	for i, f := range rec.fields {
		v, err := json.Marshal(rec.values[i])
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, `,%q:`, f)
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// orgRecord returns o with the given fields (canonical names).
func orgRecord(o *Org, base string, fields []string) record {
	rec := record{typ: "Organization", url: base + "/sobjects/Organization/" + o.ID, fields: fields}
	for _, f := range fields {
		var v any
		switch f {
		case "Id":
			v = o.ID
		case "Name":
			v = o.Name
		case "IsSandbox":
			v = o.Sandbox
		case "InstanceName":
			v = o.InstanceName
		case "OrganizationType":
			v = o.OrganizationType
		case "TrialExpirationDate":
			if !o.TrialExpires.IsZero() {
				v = o.TrialExpires.UTC().Format("2006-01-02T15:04:05.000+0000")
			}
		}
		rec.values = append(rec.values, v)
	}
	return rec
}

// userRecord returns u with the given fields (canonical names).
func (s *Server) userRecord(u *User, base string, fields []string) record {
	rec := record{typ: "User", url: base + "/sobjects/User/" + u.ID, fields: fields}
	first, last := splitName(u.Name)
	for _, f := range fields {
		var v any
		switch f {
		case "Id":
			v = u.ID
		case "Username":
			v = u.Username
		case "Name":
			v = u.Name
		case "FirstName":
			v = first
		case "LastName":
			v = last
		case "Email":
			v = u.Email
		case "IsActive":
			v = true
		case "UserType":
			v = "Standard"
		}
		rec.values = append(rec.values, v)
	}
	return rec
}

// soql matches the tiny SOQL subset served.
var soql = regexp.MustCompile(`(?is)^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*=\s*'([^']*)')?(?:\s+LIMIT\s+(\d+))?\s*$`)

// fieldName matches a plain field name.
var fieldName = regexp.MustCompile(`^\w+$`)

// serveQuery runs q against org. s.mu is held.
func (s *Server) serveQuery(w http.ResponseWriter, q, base string, org *Org) {
	if strings.TrimSpace(q) == "" {
		writeRESTError(w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	m := soql.FindStringSubmatch(q)
	if m == nil {
		writeRESTError(w, http.StatusBadRequest, "MALFORMED_QUERY", "unexpected token: '"+firstWord(q)+"'")
		return
	}
	object, known := "", []string(nil)
	switch {
	case strings.EqualFold(m[2], "Organization"):
		object, known = "Organization", orgFields
	case strings.EqualFold(m[2], "User"):
		object, known = "User", userFields
	default:
		writeRESTError(w, http.StatusBadRequest, "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", m[2]))
		return
	}
	canon := func(name string) string {
		for _, k := range known {
			if strings.EqualFold(k, name) {
				return k
			}
		}
		return ""
	}
	noColumn := func(name string) {
		writeRESTError(w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf(
			"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, object))
	}
	var fields []string
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if !fieldName.MatchString(f) {
			writeRESTError(w, http.StatusBadRequest, "MALFORMED_QUERY", "unexpected token: '"+f+"'")
			return
		}
		c := canon(f)
		if c == "" {
			noColumn(f)
			return
		}
		fields = append(fields, c)
	}
	where := ""
	if m[3] != "" {
		if where = canon(m[3]); where == "" {
			noColumn(m[3])
			return
		}
	}
	limit := -1
	if m[5] != "" {
		limit, _ = strconv.Atoi(m[5])
	}
	var all []record
	if object == "Organization" {
		all = append(all, orgRecord(org, base, append([]string{where}, fields...)))
	} else {
		for _, u := range s.users {
			if u.Org == org {
				all = append(all, s.userRecord(u, base, append([]string{where}, fields...)))
			}
		}
	}
	records := []record{}
	for _, rec := range all {
		if where != "" && !whereMatches(rec.values[0], m[4]) {
			continue
		}
		if limit >= 0 && len(records) >= limit {
			break
		}
		rec.fields, rec.values = rec.fields[1:], rec.values[1:]
		records = append(records, rec)
	}
	writeJSON(w, http.StatusOK, map[string]any{"totalSize": len(records), "done": true, "records": records})
}

// whereMatches compares a field value with a WHERE literal (ids by their
// first 15 characters, other strings ignoring case).
func whereMatches(v any, lit string) bool {
	switch v := v.(type) {
	case string:
		if len(v) == 18 && (len(lit) == 15 || len(lit) == 18) && sameID(v, lit) {
			return true
		}
		return strings.EqualFold(v, lit)
	case bool:
		return strings.EqualFold(strconv.FormatBool(v), lit)
	}
	return false
}

// firstWord returns the first word of q.
func firstWord(q string) string {
	if f := strings.Fields(q); len(f) > 0 {
		return f[0]
	}
	return q
}
