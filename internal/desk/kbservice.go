package desk

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/bot"
)

// kbIndex is the bot's search index over the articles, rebuilt after a
// change through this process and at most kbTTL after one through another.
type kbIndex struct {
	ix    *bot.Index
	byID  map[string]Article
	built time.Time
}

const kbTTL = 10 * time.Second

func (s *Service) index(ctx context.Context) (*bot.Index, error) {
	if k := s.kb.Load(); k != nil && time.Since(k.built) < kbTTL {
		return k.ix, nil
	}
	arts, err := s.store.ListArticles(ctx)
	if err != nil {
		return nil, fmt.Errorf("desk: index articles: %w", err)
	}
	docs := make([]bot.Article, len(arts))
	byID := make(map[string]Article, len(arts))
	for i, a := range arts {
		docs[i] = bot.Article{ID: a.ID, Title: a.Title, Body: a.Body, Tags: a.Tags}
		byID[a.ID] = a
	}
	k := &kbIndex{ix: bot.NewIndex(docs), byID: byID, built: time.Now()}
	s.kb.Store(k)
	return k.ix, nil
}

// Indexed returns the article behind a search hit or bot suggestion, as
// indexed (without a database read).
func (s *Service) Indexed(id string) (Article, bool) {
	k := s.kb.Load()
	if k == nil {
		return Article{}, false
	}
	a, ok := k.byID[id]
	return a, ok
}

// SearchArticles finds articles for a query; an empty query lists them all.
func (s *Service) SearchArticles(ctx context.Context, p Principal, query string, limit int) ([]Article, []bot.Hit, error) {
	if _, err := s.authorize(ctx, p, "kb.read", "Searched articles"); err != nil {
		return nil, nil, err
	}
	if query == "" {
		arts, err := s.store.ListArticles(ctx)
		if len(arts) > limit {
			arts = arts[:limit]
		}
		return arts, nil, err
	}
	ix, err := s.index(ctx)
	if err != nil {
		return nil, nil, err
	}
	return nil, ix.Search(query, limit), nil
}

// GetArticle reads one article.
func (s *Service) GetArticle(ctx context.Context, p Principal, id string) (Article, error) {
	if _, err := s.authorize(ctx, p, "kb.read", "Read an article"); err != nil {
		return Article{}, err
	}
	return s.store.GetArticle(ctx, id)
}

// SaveArticle creates (no id) or updates an article; it needs kb.write.
func (s *Service) SaveArticle(ctx context.Context, p Principal, a Article) (Article, error) {
	if err := a.Validate(); err != nil {
		return Article{}, err
	}
	g, err := s.authorize(ctx, p, "kb.write", "Edited article "+a.Title)
	if err != nil {
		return Article{}, err
	}
	if g.propose {
		return Article{}, errNoProposal("an article change")
	}
	defer s.kb.Store(nil)
	if a.ID == "" {
		a.Author = g.by.UserName
		return s.store.CreateArticle(ctx, g.by, a)
	}
	return s.store.UpdateArticle(ctx, g.by, a)
}

// DeleteArticle removes an article; it needs kb.write.
func (s *Service) DeleteArticle(ctx context.Context, p Principal, id string) error {
	g, err := s.authorize(ctx, p, "kb.write", "Deleted article "+id)
	if err != nil {
		return err
	}
	if g.propose {
		return errNoProposal("an article deletion")
	}
	defer s.kb.Store(nil)
	return s.store.DeleteArticle(ctx, g.by, id)
}

// Chat answers one message of a conversation with the bot. It needs only
// chat.use (free tier).
func (s *Service) Chat(ctx context.Context, p Principal, history []bot.Turn, message string) (bot.Reply, error) {
	if _, err := s.authorize(ctx, p, "chat.use", "Chatted with the bot"); err != nil {
		return bot.Reply{}, err
	}
	ix, err := s.index(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	rep := ix.Respond(history, message)
	if d := rep.Draft; d != nil {
		// A long conversation must still make a ticket the desk accepts.
		d.Title, d.Description = truncate(d.Title, MaxTitle), truncate(d.Description, MaxDescription)
	}
	return rep, nil
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
