package scimserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/scim"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Paging bounds: ServiceProviderConfig announces maxResults. A filter SQL
// cannot express is matched in memory over at most maxScan resources;
// beyond that it is refused (tooMany) rather than left to load everything
// on every call.
const (
	defaultCount = 100
	maxResults   = 1000
	maxScan      = 200_000
)

// listParams are a query's filter, page, order and projection, from the
// query string of a GET or the body of a POST …/.search.
type listParams struct {
	filter     scim.Filter
	startIndex int // 1-based
	count      int
	sortBy     string
	desc       bool
	attributes []string
	excluded   []string
}

func badValue(format string, args ...any) *scim.Error {
	return &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.InvalidValue, Detail: fmt.Sprintf(format, args...)}
}

// collection returns the GET and POST …/.search handlers of a resource
// type: both read a listParams and hand it to query.
func (s *Server) collection(query func(http.ResponseWriter, *http.Request, listParams)) (list, search func(http.ResponseWriter, *http.Request, licensing.Actor)) {
	list = func(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
		p, err := parseListQuery(r.URL.Query())
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		query(w, r, p)
	}
	search = func(w http.ResponseWriter, r *http.Request, _ licensing.Actor) {
		body, err := readBody(w, r)
		if err == nil {
			var p listParams
			if p, err = parseSearch(body); err == nil {
				query(w, r, p)
				return
			}
		}
		s.failErr(w, r, err)
	}
	return list, search
}

func parseListQuery(q url.Values) (listParams, error) {
	return parseList(q.Get("filter"), q.Get("startIndex"), q.Get("count"), q.Get("sortBy"), q.Get("sortOrder"),
		splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes")))
}

// searchRequest is the body of POST …/.search (RFC 7644 §3.4.3).
type searchRequest struct {
	Schemas            []string        `json:"schemas"`
	Filter             string          `json:"filter"`
	StartIndex         json.RawMessage `json:"startIndex"`
	Count              json.RawMessage `json:"count"`
	SortBy             string          `json:"sortBy"`
	SortOrder          string          `json:"sortOrder"`
	Attributes         []string        `json:"attributes"`
	ExcludedAttributes []string        `json:"excludedAttributes"`
}

const searchRequestSchema = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

func parseSearch(body []byte) (listParams, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req searchRequest
	if err := dec.Decode(&req); err != nil {
		return listParams{}, &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.InvalidSyntax, Detail: "request body is not a SearchRequest: " + err.Error()}
	}
	found := false
	for _, s := range req.Schemas {
		found = found || strings.EqualFold(s, searchRequestSchema)
	}
	if !found {
		return listParams{}, badValue("schemas must list %s", searchRequestSchema)
	}
	return parseList(req.Filter, numberText(req.StartIndex), numberText(req.Count), req.SortBy, req.SortOrder, req.Attributes, req.ExcludedAttributes)
}

// numberText is a JSON number (or numeric string) as text, "" when absent.
func numberText(raw json.RawMessage) string {
	return strings.Trim(strings.TrimSpace(string(raw)), `"`)
}

func parseList(filter, start, count, sortBy, sortOrder string, attrs, excluded []string) (listParams, error) {
	p := listParams{startIndex: 1, count: defaultCount, sortBy: strings.TrimSpace(sortBy), attributes: attrs, excluded: excluded}
	var err error
	if p.filter, err = scim.ParseFilter(filter); err != nil {
		return p, err
	}
	if start != "" && start != "null" {
		n, err := strconv.Atoi(start)
		if err != nil {
			return p, badValue("startIndex must be an integer")
		}
		p.startIndex = max(n, 1) // RFC 7644 §3.4.2.4: less than 1 means 1
	}
	if count != "" && count != "null" {
		n, err := strconv.Atoi(count)
		if err != nil {
			return p, badValue("count must be an integer")
		}
		p.count = min(max(n, 0), maxResults)
	}
	switch strings.ToLower(strings.TrimSpace(sortOrder)) {
	case "", "ascending":
	case "descending":
		p.desc = true
	default:
		return p, badValue("sortOrder must be ascending or descending")
	}
	return p, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// listResponse is a ListResponse message (RFC 7644 §3.4.2).
type listResponse struct {
	Schemas      []string        `json:"schemas"`
	TotalResults int             `json:"totalResults"`
	StartIndex   int             `json:"startIndex"`
	ItemsPerPage int             `json:"itemsPerPage"`
	Resources    []scim.Resource `json:"Resources"`
}

func newList(p listParams, total int, rs []scim.Resource, schema *scim.Schema) listResponse {
	out := listResponse{Schemas: []string{scim.ListResponseSchema}, TotalResults: total, StartIndex: p.startIndex, Resources: make([]scim.Resource, 0, len(rs))}
	for _, r := range rs {
		out.Resources = append(out.Resources, scim.Project(r, p.attributes, p.excluded, schema))
	}
	out.ItemsPerPage = len(out.Resources)
	return out
}

// query is the store query for p: the filter pushed down to SQL when every
// part of it has a column (pushed false otherwise: the caller then loads
// every row in order and filters with scim.Filter.Match), the sort column,
// and the page.
func (p listParams) query(cols map[string]scim.Column, sorts map[string]string, schema *scim.Schema, scanLimit int) (q store.DirectoryQuery, pushed bool, err error) {
	if err := p.filter.Check(schema); err != nil {
		return q, false, err
	}
	q.OrderBy, q.Desc = "", p.desc
	if p.sortBy != "" {
		key := strings.ToLower(p.sortBy)
		key = strings.TrimPrefix(key, strings.ToLower(schema.ID)+":")
		col, ok := sorts[key]
		if !ok {
			return q, false, badValue("cannot sort by %q", p.sortBy)
		}
		q.OrderBy = col
	}
	where, args, ok := p.filter.SQL(cols)
	if !ok {
		q.Limit = scanLimit + 1
		return q, false, nil
	}
	q.Where, q.Args = where, args
	q.Offset, q.Limit = p.startIndex-1, p.count
	return q, true, nil
}

// tooMany refuses an in-memory filter over more than limit resources.
func tooMany(limit int) *scim.Error {
	return &scim.Error{Status: http.StatusBadRequest, SCIMType: scim.TooMany,
		Detail: fmt.Sprintf("this filter is matched in memory, over at most %d resources: filter on userName, externalId, displayName or another stored attribute", limit)}
}

// page filters rs with p's filter and returns the page p asks for and the
// number that matched: the path for filters SQL cannot express.
func (p listParams) page(rs []scim.Resource) ([]scim.Resource, int) {
	var hits []scim.Resource
	for _, r := range rs {
		if p.filter.Match(r) {
			hits = append(hits, r)
		}
	}
	total := len(hits)
	from := min(p.startIndex-1, total)
	return hits[from:min(from+p.count, total)], total
}
