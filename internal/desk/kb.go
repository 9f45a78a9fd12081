package desk

import (
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Article is a knowledge-base article.
type Article struct {
	ID        string
	Title     string
	Body      string
	Tags      []string
	Author    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks and normalises an article.
func (a *Article) Validate() error {
	a.Title = strings.TrimSpace(a.Title)
	if a.Title == "" || len(a.Title) > MaxTitle {
		return licensing.FieldErrorf(licensing.CodeInvalid, "title", "title is required (at most %d bytes)", MaxTitle)
	}
	if len(a.Body) > MaxDescription*5 {
		return licensing.FieldErrorf(licensing.CodeInvalid, "body", "body is longer than %d bytes", MaxDescription*5)
	}
	if len(a.Tags) > 32 {
		return licensing.FieldErrorf(licensing.CodeInvalid, "tags", "at most 32 tags")
	}
	seen := map[string]bool{}
	tags := make([]string, 0, len(a.Tags))
	for _, t := range a.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || len(t) > 64 {
			return licensing.FieldErrorf(licensing.CodeInvalid, "tags", "tags are 1 to 64 bytes")
		}
		if !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	a.Tags = tags
	return nil
}
