package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// maxBody bounds every request body; larger ones are refused unread.
const maxBody = 1 << 20

// statusOf is the one table from error code to HTTP status.
var statusOf = map[string]int{
	licensing.CodeInvalid:             http.StatusBadRequest,
	licensing.CodeUnauthorized:        http.StatusUnauthorized,
	licensing.CodeForbidden:           http.StatusForbidden,
	licensing.CodeNotFound:            http.StatusNotFound,
	licensing.CodeConflict:            http.StatusConflict,
	licensing.CodeMaxedOut:            http.StatusConflict,
	licensing.CodeNoLicence:           http.StatusForbidden,
	licensing.CodeModuleMissing:       http.StatusForbidden,
	licensing.CodeInactive:            http.StatusForbidden,
	licensing.CodeMultiplexingBlocked: http.StatusForbidden,
	licensing.CodeTooLarge:            http.StatusRequestEntityTooLarge,
	licensing.CodeRateLimited:         http.StatusTooManyRequests,
	licensing.CodeInternal:            http.StatusInternalServerError,
	licensing.CodeLinkExpired:         http.StatusGone,
	licensing.CodeLinkRevoked:         http.StatusGone,
	licensing.CodeMethodNotAllowed:    http.StatusMethodNotAllowed,
	licensing.CodeUnsupportedMedia:    http.StatusUnsupportedMediaType,
	licensing.CodeIntegrationCap:      http.StatusConflict,
	licensing.CodeAmbiguous:           http.StatusConflict,
}

// Status is the HTTP status an error code is answered with, here and on
// the web pages.
func Status(code string) int {
	if status, ok := statusOf[code]; ok {
		return status
	}
	return http.StatusBadRequest
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code          string `json:"code"`
	Message       string `json:"message"`
	Field         string `json:"field,omitempty"`
	RetryAfter    int    `json:"retry_after,omitempty"`
	QueuePosition int    `json:"queue_position,omitempty"`
}

// writeJSON sends v with status.
// Every answer is private (and some carry a secret shown once: a token,
// an integration's): never stored by a browser or a proxy.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail sends err in the one error shape. Only internal errors are logged:
// the rest are the client's and are answered, not alarmed about.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := licensing.AsError(err)
	if !ok {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &licensing.Error{Code: licensing.CodeInternal, Message: "internal error"}
	}
	status := Status(e.Code)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field, RetryAfter: e.RetryAfter, QueuePosition: e.QueuePosition}})
}

// decode reads one JSON object strictly: declared as JSON (or not
// declared), bounded size, known fields only and spelt exactly, no key
// twice, right types, nothing after it.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := jsonContentType(r); err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	// A malformed document is left to the decoder below, whose errors say
	// where; only a well-formed one is checked for keys.
	if json.Valid(body) {
		if err := strictKeys(body, reflect.TypeOf(v)); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		if err != nil {
			if tooLarge := jsonError(err); licensing.ErrorCode(tooLarge) == licensing.CodeTooLarge {
				return tooLarge
			}
		}
		return licensing.Errorf(licensing.CodeInvalid, "request body must hold exactly one JSON object")
	}
	return nil
}

// emptyBody is the message decode gives an empty body.
const emptyBody = "request body is empty"

func isEmptyBody(err error) bool {
	e, ok := licensing.AsError(err)
	return ok && e.Message == emptyBody
}

// decodeAt decodes a PUT body whose own key, if it names one, must be the
// one in the path (param); the path's key is then filled in.
func decodeAt(w http.ResponseWriter, r *http.Request, v any, key *string, param, field string) error {
	if err := decode(w, r, v); err != nil {
		return err
	}
	path := r.PathValue(param)
	if *key != "" && *key != path {
		return licensing.FieldErrorf(licensing.CodeInvalid, field, "%s in body differs from the path", field)
	}
	*key = path
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return licensing.Errorf(licensing.CodeTooLarge, "request body exceeds %d bytes", big.Limit)
	case errors.As(err, &syn):
		return licensing.Errorf(licensing.CodeInvalid, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return licensing.Errorf(licensing.CodeInvalid, "request body must be a JSON object, not %s", typ.Value)
	case errors.As(err, &typ):
		return licensing.FieldErrorf(licensing.CodeInvalid, typ.Field, "%s must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind()), typ.Value)
	case errors.Is(err, io.EOF):
		return licensing.Errorf(licensing.CodeInvalid, emptyBody)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return licensing.Errorf(licensing.CodeInvalid, "malformed JSON: unexpected end")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for unknown fields.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return licensing.FieldErrorf(licensing.CodeInvalid, name, "unknown field %q", name)
	}
	return licensing.Errorf(licensing.CodeInvalid, "malformed JSON: %v", err)
}

// jsonKind names a Go kind in JSON's words, so errors never leak Go types.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// queryInt reads an optional integer query parameter within [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, licensing.FieldErrorf(licensing.CodeInvalid, name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// noRoute answers a request no route took: 405 with an Allow header when
// the API path is known under other methods, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			if slices.Contains(allow, http.MethodGet) {
				allow = append(allow, http.MethodHead)
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: licensing.CodeMethodNotAllowed,
				Message: fmt.Sprintf("%s takes %s, not %s", r.URL.Path, strings.Join(allow, ", "), r.Method)}})
			return
		}
	}
	if s.pageNotFound != nil && !strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/scim/") {
		s.pageNotFound.ServeHTTP(w, r) // a person's browser gets a page
		return
	}
	writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: licensing.CodeNotFound, Message: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)}})
}

// SetPageNotFound answers paths outside /api/ and /scim/ that nothing
// serves with h (the web pages' HTML 404) instead of JSON.
func (s *Server) SetPageNotFound(h http.Handler) { s.pageNotFound = h }
