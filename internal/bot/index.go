// Package bot is the service desk's rule-based chat bot for the requester
// portal: it suggests knowledge-base articles with a tf-idf match and drafts a
// ticket from the conversation. It does no I/O, so the web page and the API
// can both carry the conversation and call it.
package bot

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Article is what the bot indexes; the desk converts its own articles to it.
type Article struct {
	ID, Title, Body string
	Tags            []string
}

// Hit is an article found by Search. Score is in (0,1]; Snippet is about 160
// runes of the body around the first matched word.
type Hit struct {
	Article Article
	Score   float64
	Snippet string
}

// Field weights: a word in the title or a tag says more about what an article
// is for than the same word somewhere in its body.
const (
	titleWeight = 3.0
	tagWeight   = 2.5
	bodyWeight  = 1.0
)

// BM25-style constants. k1 saturates repeated words, so an article that says
// "printer" ten times does not bury one that says it in the title; lengthNorm
// keeps long articles from matching everything.
const (
	k1         = 1.2
	lengthNorm = 0.5
)

// Prefix matching of a half-typed last word counts for less than a whole
// word, and a short prefix may match many words, so it is capped.
const (
	prefixFactor  = 0.5
	maxExpansions = 50
	minPrefixLen  = 3
)

// Index is an immutable tf-idf index over articles; it is safe for concurrent
// use.
type Index struct {
	docs   []Article
	bodies []string // collapsed, for snippets
	terms  map[string]termInfo
	vocab  []string // sorted, for prefix lookups
	// unseen is the weight of a query word that no article contains: that of
	// the rarest word seen, so questions mostly about something the knowledge
	// base does not cover score low.
	unseen float64
}

type termInfo struct {
	idf      float64
	postings []posting
}

// posting records how strongly a document is about a term, in (0,1), and
// where the term first appears in its collapsed body (-1 if it does not), so
// snippets need no second pass over the body.
type posting struct {
	doc      int
	strength float64
	first    int
}

// NewIndex indexes articles. It copies them, so later changes by the caller
// do not show in the index.
func NewIndex(articles []Article) *Index {
	ix := &Index{
		docs:   make([]Article, len(articles)),
		bodies: make([]string, len(articles)),
		terms:  make(map[string]termInfo),
	}
	bodies := make([][]word, len(articles))
	var totalLen int
	for i, a := range articles {
		a.Tags = slices.Clone(a.Tags)
		ix.docs[i] = a
		ix.bodies[i] = collapse(a.Body)
		for w := range words(ix.bodies[i]) {
			if t := term(w.text); t != "" {
				bodies[i] = append(bodies[i], word{t, w.pos})
			}
		}
		totalLen += len(bodies[i])
	}
	avgLen := 1.0
	if totalLen > 0 {
		avgLen = float64(totalLen) / float64(len(articles))
	}
	for i, a := range ix.docs {
		weights := make(map[string]float64)
		first := make(map[string]int)
		for _, t := range terms(a.Title) {
			weights[t] += titleWeight
		}
		for _, tag := range a.Tags {
			for _, t := range terms(tag) {
				weights[t] += tagWeight
			}
		}
		norm := 1 - lengthNorm + lengthNorm*float64(len(bodies[i]))/avgLen
		for _, w := range bodies[i] {
			if _, seen := first[w.text]; !seen {
				first[w.text] = w.pos
			}
			weights[w.text] += bodyWeight / norm
		}
		for t, w := range weights {
			p := posting{doc: i, strength: w / (w + k1), first: -1}
			if pos, ok := first[t]; ok {
				p.first = pos
			}
			info := ix.terms[t]
			info.postings = append(info.postings, p)
			ix.terms[t] = info
		}
	}
	n := float64(len(ix.docs))
	for t, info := range ix.terms {
		info.idf = idf(n, float64(len(info.postings)))
		ix.terms[t] = info
		ix.vocab = append(ix.vocab, t)
	}
	sort.Strings(ix.vocab)
	ix.unseen = idf(n, 1)
	return ix
}

// idf is the BM25 inverse document frequency, which stays positive even for a
// word in every article.
func idf(n, df float64) float64 { return math.Log(1 + (n-df+0.5)/(df+0.5)) }

// slot is one word of a query: the terms that satisfy it and how much each
// counts. Only the last word has more than one, from prefix matching.
type slot struct {
	idf  float64
	alts []alt
}

type alt struct {
	term   string
	factor float64
}

// Search returns up to limit articles best matching query, best first. A score
// is the idf-weighted share of the query's words an article matches, each
// scaled by how strongly the article is about it, so it is comparable across
// queries and Respond can apply a fixed threshold.
func (ix *Index) Search(query string, limit int) []Hit {
	if ix == nil || limit <= 0 || len(ix.docs) == 0 {
		return nil
	}
	slots := ix.parse(clean(query))
	if len(slots) == 0 {
		return nil
	}
	scores := make([]float64, len(ix.docs))
	var total float64
	best := make(map[int]float64)
	for _, s := range slots {
		total += s.idf
		clear(best)
		for _, a := range s.alts {
			info := ix.terms[a.term]
			for _, p := range info.postings {
				best[p.doc] = max(best[p.doc], a.factor*p.strength*info.idf)
			}
		}
		for d, v := range best {
			scores[d] += min(v, s.idf)
		}
	}
	var hits []Hit
	var order []int
	for d, s := range scores {
		if s > 0 {
			order = append(order, d)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	if len(order) > limit {
		order = order[:limit]
	}
	for _, d := range order {
		a := ix.docs[d]
		a.Tags = slices.Clone(a.Tags) // the index stays immutable whatever callers do with hits
		hits = append(hits, Hit{
			Article: a,
			Score:   min(1, scores[d]/total),
			Snippet: snippet(ix.bodies[d], ix.firstMatch(d, slots)),
		})
	}
	return hits
}

// firstMatch is the rune offset of the first body word of document d that
// matches a slot, or -1.
func (ix *Index) firstMatch(d int, slots []slot) int {
	pos := -1
	for _, s := range slots {
		for _, a := range s.alts {
			ps := ix.terms[a.term].postings
			i, ok := slices.BinarySearchFunc(ps, d, func(p posting, d int) int { return cmp.Compare(p.doc, d) })
			if ok && ps[i].first >= 0 && (pos < 0 || ps[i].first < pos) {
				pos = ps[i].first
			}
		}
	}
	return pos
}

// parse turns a query into slots, one per distinct term. The last word, if it
// could be half-typed, also matches the indexed terms it begins.
func (ix *Index) parse(query string) []slot {
	words := scan(query)
	var slots []slot
	at := make(map[string]int)
	for _, w := range words {
		t := term(w.text)
		if t == "" {
			continue
		}
		if _, ok := at[t]; ok {
			continue
		}
		at[t] = len(slots)
		weight := ix.unseen
		if info, ok := ix.terms[t]; ok {
			weight = info.idf
		}
		slots = append(slots, slot{idf: weight, alts: []alt{{t, 1}}})
	}
	if len(words) == 0 {
		return slots
	}
	last := words[len(words)-1].text
	i, ok := at[term(last)]
	if !ok || letters(last) < minPrefixLen {
		return slots
	}
	exact := slots[i].alts[0].term
	for j := sort.SearchStrings(ix.vocab, last); j < len(ix.vocab) && len(slots[i].alts) <= maxExpansions; j++ {
		v := ix.vocab[j]
		if !strings.HasPrefix(v, last) {
			break
		}
		if v != exact {
			slots[i].alts = append(slots[i].alts, alt{v, prefixFactor})
		}
	}
	return slots
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}
