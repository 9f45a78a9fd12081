package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBaseURL: with --base-url, share links, SCIM locations and the
// like name the configured host whatever Host and X-Forwarded-* say; a bad
// base URL refuses to start.
func TestServeBaseURL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "base.db")
	ok(t, "migrate", "--db", db)
	token := lastLine(ok(t, "token", "create", "--db", db, "--name", "root", "--scope", "admin").stdout)
	var out bytes.Buffer
	env := Env{Getenv: noenv, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}
	addr, _ := serveForTest(t, env, serveConfig{db: db, baseURL: "https://seats.example.com/"})
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/shares", strings.NewReader(`{"report":"cost"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var share struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &share); err != nil || resp.StatusCode != 201 || !strings.HasPrefix(share.URL, "https://seats.example.com/share/") {
		t.Fatalf("share: %d %s; want a link under the base URL", resp.StatusCode, body)
	}
	if r := run(t, "serve", "--db", db, "--addr", "127.0.0.1:0", "--base-url", "seats.example.com"); r.err == nil || !strings.Contains(r.err.Error(), "--base-url") {
		t.Errorf("serve with a relative base URL: %v", r.err)
	}
}
