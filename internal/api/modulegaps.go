package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

// Warning codes an answer may carry beside a success.
const (
	// WarnModuleWithoutFulfiller: the person holds a module seat but no
	// seat of the fulfiller SKU the module requires, so the module lets
	// them do nothing (every module action is refused with module_missing)
	// while it is paid for.
	WarnModuleWithoutFulfiller = "module_without_fulfiller"
)

// warningJSON is one warning of a successful answer: the change was made,
// but something about it needs the administrator's attention.
type warningJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// memberAnswer is PUT …/members/{user}'s answer: the member, and what the
// grant leaves wrong.
type memberAnswer struct {
	memberJSON
	Warnings []warningJSON `json:"warnings,omitempty"`
}

// memberWarnings warns when m is a seat of a module whose required
// fulfiller SKU the person holds no seat of.
func (s *Server) memberWarnings(ctx context.Context, m licensing.Member) ([]warningJSON, error) {
	p, ok := s.engine.Pool(m.Pool)
	if !ok {
		return nil, nil
	}
	if k, ok := s.engine.SKU(p.SKU); !ok || k.Tier != licensing.TierModule {
		return nil, nil
	}
	gaps, err := s.store.ModuleGaps(ctx, m.User)
	if err != nil {
		return nil, fmt.Errorf("api: module gaps: %w", err)
	}
	var out []warningJSON
	for _, g := range gaps {
		if g.Pool == m.Pool {
			out = append(out, moduleWarning(g))
		}
	}
	return out, nil
}

func moduleWarning(g store.ModuleGap) warningJSON {
	return warningJSON{Code: WarnModuleWithoutFulfiller, Message: fmt.Sprintf(
		"the person %s holds a seat of the module %s but no seat of %s, which it requires: module actions stay refused (module_missing) until they get one",
		g.UserName, g.SKU, strings.Join(g.Missing, " or "))}
}

// moduleGapJSON is one person holding a module seat without the fulfiller
// seat it requires.
type moduleGapJSON struct {
	User        string    `json:"user"`
	UserID      string    `json:"user_id"`
	DisplayName string    `json:"display_name"`
	Pool        string    `json:"pool"`
	SKU         string    `json:"sku"`
	Missing     []string  `json:"missing"`
	Source      string    `json:"source"`
	Since       time.Time `json:"since"`
}

// moduleGaps lists everyone who holds a module seat without the fulfiller
// seat it requires, for the licence console.
func (s *Server) moduleGaps(w http.ResponseWriter, r *http.Request) {
	for k := range r.URL.Query() {
		// The list takes no filter: a parameter is a typo, not a filter
		// that silently did nothing.
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, k, "unknown parameter %q: the list takes none", k))
		return
	}
	gaps, err := s.store.ModuleGaps(r.Context(), "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]moduleGapJSON, len(gaps))
	for i, g := range gaps {
		out[i] = moduleGapJSON{User: g.UserName, UserID: g.UserID, DisplayName: g.DisplayName, Pool: g.Pool, SKU: g.SKU, Missing: g.Missing, Source: g.Source, Since: g.Since}
	}
	writeJSON(w, http.StatusOK, map[string]any{"gaps": out})
}
