package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// ErrorSchema is the schema URN of every SCIM error body (RFC 7644 §3.12).
const ErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

// SCIM error types (RFC 7644 §3.12, table 9). The HTTP layer copies them into
// the error body so identity providers can tell a bad filter from a clash.
const (
	InvalidFilter = "invalidFilter"
	TooMany       = "tooMany"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	InvalidValue  = "invalidValue"
	InvalidVers   = "invalidVers"
	Sensitive     = "sensitive"
)

// Error is the one error type of the package. Every error returned by
// ParseFilter, ParsePath and ApplyPatch is an *Error, so the HTTP layer can
// answer in SCIM's own shape without looking at message text.
type Error struct {
	Status   int    // HTTP status, 400 for everything this package detects
	SCIMType string // one of the constants above, empty for 401/404/500
	Detail   string // human-readable, safe to show to the client
}

func (e *Error) Error() string {
	if e.SCIMType == "" {
		return fmt.Sprintf("scim: %d: %s", e.Status, e.Detail)
	}
	return fmt.Sprintf("scim: %d %s: %s", e.Status, e.SCIMType, e.Detail)
}

// ErrorResponse is the JSON body of a SCIM error (RFC 7644 §3.12). Status is a
// string there, as the RFC's examples and Entra's validator expect.
type ErrorResponse struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	SCIMType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// Response returns the SCIM error body for e.
func (e *Error) Response() ErrorResponse {
	return ErrorResponse{
		Schemas:  []string{ErrorSchema},
		Status:   strconv.Itoa(e.Status),
		SCIMType: e.SCIMType,
		Detail:   e.Detail,
	}
}

// MarshalJSON encodes e as a SCIM error body.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(e.Response())
}

// ErrorFrom returns err as an *Error. Anything that is not one becomes a 500
// without detail, so internal messages never reach a client.
func ErrorFrom(err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	return &Error{Status: http.StatusInternalServerError, Detail: "internal error"}
}

// badRequest builds a 400 error of the given SCIM type.
func badRequest(scimType, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, SCIMType: scimType, Detail: fmt.Sprintf(format, args...)}
}
