package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Call runs one API route in-process as who, so the console's actions go
// through the very handlers, checks, settling and audit of the API (and a
// role that may not do something is refused the same way). body, when not
// nil, is sent as JSON; out, when not nil, receives the answer. A refusal
// comes back as the API's *licensing.Error; source is the browser's address
// for the audit.
func (s *Server) Call(ctx context.Context, who Who, method, path string, body, out any) error {
	var rd bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("api: call %s %s: %w", method, path, err)
		}
		rd.Reset(b)
	}
	who.via = viaCall
	r, err := http.NewRequestWithContext(context.WithValue(ctx, whoKey{}, who), method, path, &rd)
	if err != nil {
		return fmt.Errorf("api: call %s %s: %w", method, path, err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	r.RemoteAddr = who.Actor.Source + ":0"
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	if rec.status < 200 || rec.status > 299 {
		var eb errorBody
		if json.Unmarshal(rec.body.Bytes(), &eb) != nil || eb.Error.Code == "" {
			if rec.status < 400 { // a redirect: the path named no route (".." in a key, say)
				return licensing.Errorf(licensing.CodeNotFound, "there is no such %s", path)
			}
			return fmt.Errorf("api: call %s %s: status %d", method, path, rec.status)
		}
		return &licensing.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field, RetryAfter: eb.Error.RetryAfter, QueuePosition: eb.Error.QueuePosition}
	}
	if out != nil && rec.body.Len() > 0 {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return fmt.Errorf("api: call %s %s: read the answer: %w", method, path, err)
		}
	}
	return nil
}

// recorder keeps an in-process answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.wrote = true
	return w.body.Write(b)
}
