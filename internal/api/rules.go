package api

import (
	"context"
	"net/http"

	"github.com/seatkeeper/seatkeeper/internal/entitle"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
	"github.com/seatkeeper/seatkeeper/internal/provision"
)

// The preview's JSON shapes live in provision, shared with the CLI; these
// names keep the API's own (OpenAPI schema checks and tests use them).
type (
	ruleChangeJSON  = provision.ChangeJSON
	overflowJSON    = provision.OverflowJSON
	rulePreviewJSON = provision.PreviewJSON
)

func previewOut(d entitle.Diff) rulePreviewJSON { return provision.DiffJSON(d) }

func (s *Server) reconciler() *provision.Reconciler { return s.rec }

// ruleIn decodes a rule body strictly and checks it: the rule on its own
// (entitle's Validate), then that every granted SKU exists.
func (s *Server) ruleIn(w http.ResponseWriter, r *http.Request, putID string) (entitle.Rule, error) {
	var j provision.RuleJSON
	if err := decode(w, r, &j); err != nil {
		return entitle.Rule{}, err
	}
	if putID != "" {
		if j.ID != "" && j.ID != putID {
			return entitle.Rule{}, licensing.FieldErrorf(licensing.CodeInvalid, "id", "id in body differs from the path")
		}
		j.ID = putID
	}
	rule := j.Rule()
	if err := rule.Validate(); err != nil {
		return rule, err
	}
	if err := s.checkGrants(r.Context(), rule); err != nil {
		return rule, err
	}
	return rule, nil
}

func (s *Server) checkGrants(ctx context.Context, rule entitle.Rule) error {
	for _, g := range rule.Grant {
		if _, err := s.store.GetSKU(ctx, g.SKU); err != nil {
			if licensing.ErrorCode(err) == licensing.CodeNotFound {
				return licensing.FieldErrorf(licensing.CodeInvalid, "grant.sku", "sku %q does not exist", g.SKU)
			}
			return err
		}
	}
	return nil
}

// ruleOut answers a stored rule in its JSON shape, version and enabled set.
func ruleOut(rule entitle.Rule) provision.RuleJSON { return provision.ToJSON(rule) }

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) {
	recs, err := s.store.ListRules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]provision.RuleJSON, 0, len(recs))
	for _, rec := range recs {
		rule, err := provision.FromRecord(rec)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out = append(out, ruleOut(rule))
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": out})
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) {
	rec, err := s.store.GetRule(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := provision.FromRecord(rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ruleOut(rule))
}

// storeRule writes a rule, reconciles everyone and answers the stored rule.
func (s *Server) storeRule(w http.ResponseWriter, r *http.Request, rule entitle.Rule, create bool) {
	rec, err := provision.ToRecord(rule)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec.Version = rule.Version
	status := http.StatusOK
	if create {
		rec.Version = 0
		rec, err = s.store.CreateRule(r.Context(), actorOf(r), rec)
		status = http.StatusCreated
	} else {
		rec, err = s.store.UpdateRule(r.Context(), actorOf(r), rec)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.reconciler().ReconcileAll(r.Context(), actorOf(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	stored, err := provision.FromRecord(rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if create {
		w.Header().Set("Location", "/api/v1/rules/"+rec.ID)
	}
	writeJSON(w, status, ruleOut(stored))
}

func (s *Server) createRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.ruleIn(w, r, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.storeRule(w, r, rule, true)
}

func (s *Server) updateRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.ruleIn(w, r, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.storeRule(w, r, rule, false)
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteRule(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.reconciler().ReconcileAll(r.Context(), actorOf(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// previewRule plans a new or changed rule over everyone; nothing changes.
func (s *Server) previewRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.ruleIn(w, r, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.reconciler().Preview(r.Context(), rule, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, previewOut(d))
}
