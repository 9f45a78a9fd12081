package scimserver

import (
	"errors"
	"net/http"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/scim"
)

func TestToSCIM(t *testing.T) {
	for _, c := range []struct {
		err      error
		status   int
		scimType string
	}{
		{licensing.Errorf(licensing.CodeNotFound, "x"), http.StatusNotFound, ""},
		{licensing.Errorf(licensing.CodeConflict, "x"), http.StatusConflict, scim.Uniqueness},
		{licensing.Errorf(licensing.CodeInvalid, "x"), http.StatusBadRequest, scim.InvalidValue},
		{licensing.Errorf(licensing.CodeInactive, "x"), http.StatusBadRequest, scim.InvalidValue},
		{licensing.Errorf(licensing.CodeMaxedOut, "x"), http.StatusConflict, ""},
		{licensing.Errorf(licensing.CodeRateLimited, "x"), http.StatusTooManyRequests, ""},
		{errPrecondition, http.StatusPreconditionFailed, ""},
		{errors.New("disk on fire"), http.StatusInternalServerError, ""},
	} {
		got := toSCIM(c.err)
		if got.Status != c.status || got.SCIMType != c.scimType {
			t.Errorf("toSCIM(%v) = %d %q, want %d %q", c.err, got.Status, got.SCIMType, c.status, c.scimType)
		}
		if c.status == http.StatusInternalServerError && got.Detail != "internal error" {
			t.Errorf("a 500 leaks %q", got.Detail)
		}
	}
}
