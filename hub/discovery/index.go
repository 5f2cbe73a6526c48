// Package discovery ranks a hub's catalog (tools, prompts, resources) for a free-text query:
// a BM25F score over tokenised names, descriptions, argument names and risk, built once per
// catalog and searched in microseconds. The gateway's discovery surface serves it.
package discovery

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Kinds of catalog entries.
const (
	KindTool     = "tool"
	KindPrompt   = "prompt"
	KindResource = "resource"
	KindTemplate = "resource_template"
)

// Arg is one argument of a tool or prompt.
type Arg struct {
	Name        string
	Type        string // JSON Schema type, "" when the schema gives none
	Description string
	Required    bool
}

// Doc is one catalog entry as the ranker sees it.
type Doc struct {
	Kind        string
	Name        string // the exposed name (a URI or URI template for resources)
	Original    string // the backend's own name, when it differs from Name
	Title       string
	Description string
	Agent       string
	Backend     string
	Risk        string // tools only
	Args        []Arg
}

// Query is one search: free text and filters. Empty filters match everything.
type Query struct {
	Text    string
	Kind    string   // one of the Kind constants, or "" for every kind
	Agent   string   // exact agent id ("" for any; hub-local backends have none)
	Backend string   // exact backend name
	Risk    []string // any of these risk classes
	Limit   int      // at most this many hits; default 10
}

// Hit is one ranked entry: its position in the docs the index was built from.
type Hit struct {
	Doc   int
	Score float64
}

// Fields of a document and their weights (w) and length normalisation (b) in BM25F: a
// word in the name counts most, then argument names, then the description.
const (
	fName = iota
	fArgs
	fDesc
	fArgDesc
	fSource // agent and backend
	fRisk
	nFields
)

var (
	fieldWeight = [nFields]float64{fName: 4, fArgs: 1.5, fDesc: 1, fArgDesc: 0.4, fSource: 1, fRisk: 0.8}
	fieldB      = [nFields]float64{fName: 0.3, fArgs: 0.5, fDesc: 0.75, fArgDesc: 0.75, fSource: 0, fRisk: 0}
)

const (
	k1            = 1.2
	synonymWeight = 0.6
	prefixWeight  = 0.5
	maxPrefixes   = 8
	exactBoost    = 20 // the query is a tool's name
	nameBoost     = 1  // every word of the tool's own name is in the query: + this × their idf
)

type posting struct {
	doc int32
	tf  float32 // BM25F pseudo term frequency: weighted and length-normalised over fields
}

// Index is an immutable search index over a list of docs.
type Index struct {
	docs  []Doc
	post  map[string][]posting
	idf   map[string]float64
	vocab []string         // sorted terms, for prefix expansion
	names map[string][]int // lower-cased name, original name and title → docs
	own   [][]string       // each doc's own name as distinct terms
	pool  sync.Pool        // *[]float32 score buffers
}

// Build indexes docs; hits refer to their positions.
func Build(docs []Doc) *Index {
	x := &Index{docs: docs, post: map[string][]posting{}, names: map[string][]int{}, own: make([][]string, len(docs))}
	var total [nFields]float64
	perDoc := make([][nFields][]string, len(docs))
	for i := range docs {
		d := &docs[i]
		f := &perDoc[i]
		own := d.Original
		if own == "" {
			own = d.Name
		}
		f[fName] = tokens(d.Title, tokens(own, nil))
		x.own[i] = distinct(tokens(own, nil))
		for _, a := range d.Args {
			f[fArgs] = tokens(a.Name, f[fArgs])
			f[fArgDesc] = tokens(a.Description, f[fArgDesc])
		}
		f[fDesc] = tokens(d.Description, nil)
		f[fSource] = tokens(d.Backend, tokens(d.Agent, nil))
		if d.Risk != "" {
			f[fRisk] = tokens(d.Risk, nil)
		}
		for k := range nFields {
			total[k] += float64(len(f[k]))
		}
		for _, n := range []string{d.Name, d.Original, d.Title} {
			if n = strings.ToLower(n); n != "" && !slices.Contains(x.names[n], i) {
				x.names[n] = append(x.names[n], i)
			}
		}
	}
	var avg [nFields]float64
	for k := range nFields {
		avg[k] = max(total[k]/float64(max(len(docs), 1)), 1)
	}
	tf := map[string]float64{}
	for i := range docs {
		clear(tf)
		for k := range nFields {
			words := perDoc[i][k]
			norm := 1 - fieldB[k] + fieldB[k]*float64(len(words))/avg[k]
			for _, w := range words {
				tf[w] += fieldWeight[k] / norm
			}
		}
		for w, v := range tf {
			x.post[w] = append(x.post[w], posting{doc: int32(i), tf: float32(v)})
		}
	}
	n := float64(len(docs))
	x.idf = make(map[string]float64, len(x.post))
	x.vocab = make([]string, 0, len(x.post))
	for w, p := range x.post {
		df := float64(len(p))
		x.idf[w] = math.Log(1 + (n-df+0.5)/(df+0.5))
		x.vocab = append(x.vocab, w)
	}
	sort.Strings(x.vocab)
	x.pool.New = func() any { s := make([]float32, len(docs)); return &s }
	return x
}

// Docs returns the docs the index was built from.
func (x *Index) Docs() []Doc { return x.docs }

// Len is the number of docs.
func (x *Index) Len() int { return len(x.docs) }

// Search ranks the docs that pass q's filters and keep (nil: all) for q.Text, best first,
// and returns at most q.Limit of them with the number that matched in all. An empty text
// matches every doc that passes the filters, in the docs' order.
func (x *Index) Search(q Query, keep func(i int) bool) ([]Hit, int) {
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	pass := func(i int) bool {
		d := &x.docs[i]
		return (q.Kind == "" || d.Kind == q.Kind) && (q.Agent == "" || d.Agent == q.Agent) &&
			(q.Backend == "" || d.Backend == q.Backend) && (len(q.Risk) == 0 || slices.Contains(q.Risk, d.Risk)) &&
			(keep == nil || keep(i))
	}
	terms := x.queryTerms(q.Text)
	if len(terms) == 0 && strings.TrimSpace(q.Text) == "" {
		var hits []Hit
		total := 0
		for i := range x.docs {
			if pass(i) {
				if total++; len(hits) < limit {
					hits = append(hits, Hit{Doc: i})
				}
			}
		}
		return hits, total
	}
	bufp := x.pool.Get().(*[]float32)
	scores := *bufp
	defer func() { clear(scores); x.pool.Put(bufp) }()
	qset := make(map[string]bool, len(terms))
	for _, t := range terms {
		if t.weight == 1 {
			qset[t.word] = true
		}
		w := float32(t.weight * x.idf[t.word])
		for _, p := range x.post[t.word] {
			scores[p.doc] += w * p.tf * (k1 + 1) / (k1 + p.tf)
		}
	}
	// A doc whose own name's words are all in the query is most likely the one meant.
	for i, own := range x.own {
		if scores[i] > 0 && len(own) > 0 && all(own, qset) {
			var s float64
			for _, w := range own {
				s += x.idf[w]
			}
			scores[i] += float32(nameBoost * s)
		}
	}
	for _, i := range x.names[strings.ToLower(strings.TrimSpace(q.Text))] {
		scores[i] += exactBoost
	}
	top := make([]Hit, 0, limit+1)
	total := 0
	for i, s := range scores {
		if s <= 0 || !pass(i) {
			continue
		}
		total++
		top = insertTop(top, Hit{Doc: i, Score: float64(s)}, limit, x.docs)
	}
	return top, total
}

// insertTop adds h to top (best first, at most limit long); ties go to the earlier name.
func insertTop(top []Hit, h Hit, limit int, docs []Doc) []Hit {
	better := func(a, b Hit) bool {
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return docs[a.Doc].Name < docs[b.Doc].Name
	}
	if len(top) == limit && !better(h, top[len(top)-1]) {
		return top
	}
	i := sort.Search(len(top), func(j int) bool { return better(h, top[j]) })
	top = slices.Insert(top, i, h)
	if len(top) > limit {
		top = top[:limit]
	}
	return top
}

type qterm struct {
	word   string
	weight float64
}

// queryTerms are the query's own terms (weight 1), their synonyms and, for a word the index
// does not hold, the index terms it begins (partial words: "dir" → "directory").
func (x *Index) queryTerms(text string) []qterm {
	var out []qterm
	add := func(w string, weight float64) {
		for i := range out {
			if out[i].word == w {
				out[i].weight = max(out[i].weight, weight)
				return
			}
		}
		out = append(out, qterm{w, weight})
	}
	words := tokens(text, nil)
	for _, w := range words {
		add(w, 1)
	}
	for _, w := range words {
		for _, s := range synonymTerms[w] {
			add(s, synonymWeight)
		}
		if _, ok := x.post[w]; ok || len(w) < 3 {
			continue
		}
		i := sort.SearchStrings(x.vocab, w)
		for n := 0; i < len(x.vocab) && n < maxPrefixes && strings.HasPrefix(x.vocab[i], w); i, n = i+1, n+1 {
			add(x.vocab[i], prefixWeight)
		}
	}
	return out
}

func distinct(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func all(words []string, set map[string]bool) bool {
	for _, w := range words {
		if !set[w] {
			return false
		}
	}
	return true
}
func lower(s string) string { return strings.ToLower(s) }
