package api

import (
	"testing"
)

// TestIntegrationRotateAndDisable: rotating an integration's token refuses
// the old secret at once and lets the new one call; disabling refuses its
// calls, keeps its settings, and rotation enables it again; each step is
// audited and refused to a token that is not admin.
func TestIntegrationRotateAndDisable(t *testing.T) {
	e, platformTok := deskFixture(t)
	hub := e.newIntegration("slack-hub", "monitor")
	e.must(200, "PUT", "/api/v1/integrations/slack-hub", `{"hold_seconds":30,"max_seats":2}`)
	ticket := func(token string) reply {
		return e.request("POST", "/api/v1/tickets", token, `{"title":"From Slack"}`, as("bob@example.com")...)
	}
	if r := ticket(hub.Token); r.Status != 201 {
		t.Fatalf("before rotation: status %d; body %s", r.Status, r)
	}
	if !hub.Enabled || hub.TokenID == "" {
		t.Errorf("created integration: enabled %t, token_id %q", hub.Enabled, hub.TokenID)
	}

	var rot integrationJSON
	e.must(200, "POST", "/api/v1/integrations/slack-hub/rotate-token", nil).into(t, &rot)
	if rot.Token == "" || rot.Token == hub.Token || rot.TokenID == hub.TokenID || !rot.Enabled {
		t.Fatalf("rotate answered %+v, want a new token, a new token id, enabled", rot)
	}
	if rot.HoldSeconds != 30 || rot.MaxSeats != 2 || rot.Mode != "monitor" {
		t.Errorf("rotate changed the settings: %+v", rot)
	}
	wantError(t, ticket(hub.Token), 401, "unauthorized", "-")
	if r := ticket(rot.Token); r.Status != 201 {
		t.Errorf("new token: status %d; body %s", r.Status, r)
	}
	var got integrationJSON
	e.must(200, "GET", "/api/v1/integrations/slack-hub", nil).into(t, &got)
	if got.TokenID != rot.TokenID || got.Token != "" {
		t.Errorf("GET after rotation: token_id %q (want %q), token %q (never shown again)", got.TokenID, rot.TokenID, got.Token)
	}

	var off integrationJSON
	e.must(200, "POST", "/api/v1/integrations/slack-hub/disable", nil).into(t, &off)
	if off.Enabled || off.TokenID != rot.TokenID {
		t.Errorf("disable answered %+v, want enabled false and the same token id", off)
	}
	wantError(t, ticket(rot.Token), 401, "unauthorized", "-")
	wantError(t, e.call("POST", "/api/v1/integrations/slack-hub/disable", nil), 409, "conflict", "-")
	var list struct {
		Integrations []integrationJSON `json:"integrations"`
	}
	e.must(200, "GET", "/api/v1/integrations", nil).into(t, &list)
	if len(list.Integrations) != 1 || list.Integrations[0].Enabled {
		t.Errorf("list after disable: %+v, want slack-hub, disabled", list.Integrations)
	}

	var back integrationJSON
	e.must(200, "POST", "/api/v1/integrations/slack-hub/rotate-token", nil).into(t, &back)
	if !back.Enabled || back.Token == "" {
		t.Errorf("rotate of a disabled integration: %+v, want enabled with a new token", back)
	}
	if r := ticket(back.Token); r.Status != 201 {
		t.Errorf("re-enabled token: status %d; body %s", r.Status, r)
	}
	wantError(t, ticket(rot.Token), 401, "unauthorized", "-")

	// Only admin tokens (and licence administrators) may.
	for _, p := range []string{"/api/v1/integrations/slack-hub/rotate-token", "/api/v1/integrations/slack-hub/disable"} {
		wantError(t, e.request("POST", p, platformTok, nil), 403, "forbidden", "")
		wantError(t, e.request("POST", p, back.Token, nil, as("bob@example.com")...), 403, "forbidden", "")
		wantError(t, e.call("POST", "/api/v1/integrations/nope/"+p[len("/api/v1/integrations/slack-hub/"):], nil), 404, "not_found", "-")
	}

	var actions []string
	for _, a := range e.lastAudit(20) {
		if a["subject"] == "integration:slack-hub" {
			actions = append(actions, a["action"].(string))
		}
	}
	want := []string{"integration.create", "integration.update", "integration.token_rotate", "integration.disable", "integration.token_rotate"}
	if len(actions) < len(want) || !equalTail(actions, want) {
		t.Errorf("audit of slack-hub: %v, want it to end with %v", actions, want)
	}
	if ok := e.auditCount(); ok == 0 {
		t.Errorf("the chain is empty")
	}
}

func equalTail(got, want []string) bool {
	got = got[len(got)-len(want):]
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
