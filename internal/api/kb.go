package api

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/bot"
	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

type articleJSON struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Tags      []string  `json:"tags"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Score     float64   `json:"score,omitempty"`
	Snippet   string    `json:"snippet,omitempty"`
}

func articleOut(a desk.Article) articleJSON {
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	return articleJSON{ID: a.ID, Title: a.Title, Body: a.Body, Tags: tags, Author: a.Author, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func (s *Server) listArticles(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query().Get("q")
	if len(q) > 500 {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "q", "query is longer than 500 bytes"))
		return
	}
	limit, err := queryInt(r, "limit", 10, 1, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all, hits, err := s.desk.SearchArticles(r.Context(), p, q, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []articleJSON{}
	for _, a := range all {
		out = append(out, articleOut(a))
	}
	for _, h := range hits {
		out = append(out, s.hitOut(h))
	}
	writeJSON(w, http.StatusOK, map[string]any{"articles": out})
}

func (s *Server) getArticle(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.desk.GetArticle(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, articleOut(a))
}

// hitOut is a search hit or bot suggestion: the article as indexed, with
// its score and snippet.
func (s *Server) hitOut(h bot.Hit) articleJSON {
	a, ok := s.desk.Indexed(h.Article.ID)
	if !ok {
		a = desk.Article{ID: h.Article.ID, Title: h.Article.Title, Body: h.Article.Body, Tags: h.Article.Tags}
	}
	j := articleOut(a)
	j.Score, j.Snippet = h.Score, h.Snippet
	return j
}

type articleIn struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Body  string   `json:"body"`
	Tags  []string `json:"tags"`
}

func (s *Server) saveArticle(w http.ResponseWriter, r *http.Request) {
	var in articleIn
	status := http.StatusCreated
	if r.Method == http.MethodPut {
		if err := decodeAt(w, r, &in, &in.ID, "id", "id"); err != nil {
			s.fail(w, r, err)
			return
		}
		status = http.StatusOK
	} else if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	} else if in.ID != "" {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "id", "ids are assigned by the server"))
		return
	}
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.desk.SaveArticle(r.Context(), p, desk.Article{ID: in.ID, Title: in.Title, Body: in.Body, Tags: in.Tags})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, articleOut(a))
}

func (s *Server) deleteArticle(w http.ResponseWriter, r *http.Request) {
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.desk.DeleteArticle(r.Context(), p, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type turnJSON struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// chat answers one message to the bot; the conversation so far travels
// with the request, so the server keeps no chat state.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var in struct {
		History []turnJSON `json:"history"`
		Message string     `json:"message"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Message == "" || len(in.Message) > 2000 {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "message", "message is required (at most 2000 bytes)"))
		return
	}
	if len(in.History) > 40 {
		s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "history", "history holds at most 40 turns"))
		return
	}
	hist := make([]bot.Turn, len(in.History))
	for i, t := range in.History {
		if t.From != "user" && t.From != "bot" {
			s.fail(w, r, licensing.FieldErrorf(licensing.CodeInvalid, "history", "a turn is from user or bot"))
			return
		}
		hist[i] = bot.Turn{From: t.From, Text: t.Text}
	}
	p, err := s.principal(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.desk.Chat(r.Context(), p, hist, in.Message)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"text": rep.Text, "intent": string(rep.Intent), "suggestions": []articleJSON{}}
	sugg := []articleJSON{}
	for _, h := range rep.Suggestions {
		sugg = append(sugg, s.hitOut(h))
	}
	out["suggestions"] = sugg
	if rep.Draft != nil {
		out["draft"] = map[string]string{"title": rep.Draft.Title, "description": rep.Draft.Description, "category": rep.Draft.Category}
	}
	writeJSON(w, http.StatusOK, out)
}
