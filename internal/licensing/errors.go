// Package licensing holds Seatkeeper's domain — SKUs, pools, people, seats,
// leases, the capability policy and decisions — and the in-memory engine that
// decides every request. It does no I/O: stores and the API depend on it, never
// the other way round.
package licensing

import (
	"errors"
	"fmt"
)

// Stable error codes. Clients branch on these, so they never change meaning.
const (
	CodeInvalid             = "invalid_request"
	CodeNotFound            = "not_found"
	CodeConflict            = "conflict"
	CodeUnauthorized        = "unauthorized"
	CodeForbidden           = "forbidden"
	CodeNoLicence           = "no_licence"
	CodeModuleMissing       = "module_missing"
	CodeMaxedOut            = "licence_maxed_out"
	CodeInactive            = "inactive"
	CodeMultiplexingBlocked = "multiplexing_blocked"
	CodeTooLarge            = "request_too_large"
	CodeRateLimited         = "rate_limited"
	CodeInternal            = "internal"
	// A share link past its expiry, or revoked (410: it existed, and is
	// gone for good).
	CodeLinkExpired = "link_expired"
	CodeLinkRevoked = "link_revoked"
	// A known path called with a method it does not take (405, with Allow).
	CodeMethodNotAllowed = "method_not_allowed"
	// A body declared as something other than JSON on a JSON route (415).
	CodeUnsupportedMedia = "unsupported_media_type"
	// An integration already holds as many seats of a pool as it may (409).
	CodeIntegrationCap = "integration_seat_cap"
	// A key (email, employee or external ID) names several people (409).
	CodeAmbiguous = "ambiguous_identity"
)

// Error is the one error type that crosses package boundaries with a stable
// code. Anything else is reported as CodeInternal.
type Error struct {
	Code    string
	Message string
	// Field names the input at fault, if any.
	Field string
	// RetryAfter and QueuePosition accompany licence_maxed_out.
	RetryAfter    int
	QueuePosition int
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error blaming one input field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the stable code of err, or CodeInternal when err carries none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return CodeInternal
}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
