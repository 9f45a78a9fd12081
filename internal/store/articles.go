package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/desk"
)

const articleCols = `id, title, body, tags, author, created_at, updated_at`

func scanArticle(r rowScanner) (desk.Article, error) {
	var a desk.Article
	var tags string
	var created, updated int64
	if err := r.Scan(&a.ID, &a.Title, &a.Body, &tags, &a.Author, &created, &updated); err != nil {
		return a, err
	}
	a.CreatedAt, a.UpdatedAt = fromMicro(created), fromMicro(updated)
	if err := json.Unmarshal([]byte(tags), &a.Tags); err != nil {
		return a, fmt.Errorf("article %s tags: %w", a.ID, err)
	}
	return a, nil
}

func tagsJSON(tags []string) string {
	if tags == nil {
		tags = []string{}
	}
	return string(mustJSON(tags))
}

// CreateArticle adds a knowledge-base article written by by.
func (s *Store) CreateArticle(ctx context.Context, by desk.By, a desk.Article) (desk.Article, error) {
	if err := a.Validate(); err != nil {
		return a, err
	}
	if a.Author == "" {
		a.Author = authorName(by)
	}
	err := s.write(ctx, func(t *tx) error {
		a.ID, a.CreatedAt, a.UpdatedAt = newID("art"), t.now, t.now
		if _, err := t.exec(`INSERT INTO articles (`+articleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Title, a.Body, tagsJSON(a.Tags), a.Author, micro(t.now), micro(t.now)); err != nil {
			return fmt.Errorf("store: create article: %w", err)
		}
		if err := t.byRecords(by, "", false); err != nil {
			return err
		}
		return t.record(by.Actor, "kb.create", "article:"+a.ID, "ok", fmt.Sprintf("title=%q", a.Title))
	})
	return a, err
}

// UpdateArticle replaces an article's title, body and tags; its author and
// creation time stay.
func (s *Store) UpdateArticle(ctx context.Context, by desk.By, a desk.Article) (desk.Article, error) {
	if err := a.Validate(); err != nil {
		return a, err
	}
	var out desk.Article
	err := s.write(ctx, func(t *tx) error {
		old, err := scanArticle(t.queryRow(`SELECT `+articleCols+` FROM articles WHERE id = ?`+t.s.d.ForUpdate, a.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("article", a.ID)
		}
		if err != nil {
			return fmt.Errorf("store: article: %w", err)
		}
		out = old
		out.Title, out.Body, out.Tags, out.UpdatedAt = a.Title, a.Body, a.Tags, t.now
		if _, err := t.exec(`UPDATE articles SET title = ?, body = ?, tags = ?, updated_at = ? WHERE id = ?`,
			out.Title, out.Body, tagsJSON(out.Tags), micro(t.now), out.ID); err != nil {
			return fmt.Errorf("store: update article: %w", err)
		}
		if err := t.byRecords(by, "", false); err != nil {
			return err
		}
		return t.record(by.Actor, "kb.update", "article:"+out.ID, "ok", fmt.Sprintf("title=%q", out.Title))
	})
	return out, err
}

// DeleteArticle removes an article.
func (s *Store) DeleteArticle(ctx context.Context, by desk.By, id string) error {
	return s.write(ctx, func(t *tx) error {
		res, err := t.exec(`DELETE FROM articles WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete article: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("article", id)
		}
		if err := t.byRecords(by, "", false); err != nil {
			return err
		}
		return t.record(by.Actor, "kb.delete", "article:"+id, "ok", "")
	})
}

// GetArticle reads one article.
func (s *Store) GetArticle(ctx context.Context, id string) (desk.Article, error) {
	a, err := scanArticle(s.readRow(ctx, `SELECT `+articleCols+` FROM articles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("article", id)
	}
	if err != nil {
		return a, fmt.Errorf("store: article: %w", err)
	}
	return a, nil
}

// ListArticles returns every article by title.
func (s *Store) ListArticles(ctx context.Context) ([]desk.Article, error) {
	rows, err := s.readRows(ctx, `SELECT `+articleCols+` FROM articles ORDER BY lower(title), id`)
	if err != nil {
		return nil, fmt.Errorf("store: list articles: %w", err)
	}
	defer rows.Close()
	out := []desk.Article{}
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan article: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
