package discovery

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// ToolDoc reads a tool definition (a tools/list item) into a Doc: title, description and
// the arguments of its input schema's top-level properties. Kind, Name and the governance
// fields (Agent, Backend, Risk, Original) are left to the caller.
func ToolDoc(raw []byte) Doc {
	var t struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		InputSchema struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"inputSchema"`
		Annotations struct {
			Title string `json:"title"`
		} `json:"annotations"`
	}
	_ = json.Unmarshal(raw, &t) // the router checked it is an object; a bad schema has no args
	d := Doc{Kind: KindTool, Title: t.Title, Description: t.Description}
	if d.Title == "" {
		d.Title = t.Annotations.Title
	}
	// Properties in the order the schema writes them: authors put the main ones first.
	for _, name := range propertyOrder(raw) {
		p, ok := t.InputSchema.Properties[name]
		if !ok {
			continue
		}
		var prop struct {
			Type        json.RawMessage `json:"type"`
			Description string          `json:"description"`
		}
		_ = json.Unmarshal(p, &prop)
		a := Arg{Name: name, Type: schemaType(prop.Type), Description: prop.Description}
		for _, r := range t.InputSchema.Required {
			a.Required = a.Required || r == name
		}
		d.Args = append(d.Args, a)
	}
	return d
}

// PromptDoc reads a prompts/list item into a Doc.
func PromptDoc(raw []byte) Doc {
	var p struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Arguments   []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			Required    bool   `json:"required"`
		} `json:"arguments"`
	}
	_ = json.Unmarshal(raw, &p)
	d := Doc{Kind: KindPrompt, Title: p.Title, Description: p.Description}
	for _, a := range p.Arguments {
		d.Args = append(d.Args, Arg{Name: a.Name, Type: "string", Description: a.Description, Required: a.Required})
	}
	return d
}

// ResourceDoc reads a resources/list item (or, with template set, a resources/templates/list
// item) into a Doc named by its URI (template).
func ResourceDoc(raw []byte, template bool) Doc {
	var r struct {
		URI         string `json:"uri"`
		URITemplate string `json:"uriTemplate"`
		Name        string `json:"name"`
		Title       string `json:"title"`
		Description string `json:"description"`
		MimeType    string `json:"mimeType"`
	}
	_ = json.Unmarshal(raw, &r)
	d := Doc{Kind: KindResource, Name: r.URI, Title: r.Name, Description: r.Description}
	if template {
		d.Kind, d.Name = KindTemplate, r.URITemplate
	}
	if r.Title != "" {
		d.Title = r.Title + " " + r.Name
	}
	if r.MimeType != "" {
		d.Args = []Arg{{Name: "mimeType", Type: r.MimeType}}
	}
	return d
}

// propertyOrder lists the member names of inputSchema.properties in the order written.
func propertyOrder(raw []byte) []string {
	var t struct {
		InputSchema struct {
			Properties json.RawMessage `json:"properties"`
		} `json:"inputSchema"`
	}
	if json.Unmarshal(raw, &t) != nil || len(t.InputSchema.Properties) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(t.InputSchema.Properties)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return names
		}
		name, _ := tok.(string)
		names = append(names, name)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return names
		}
	}
	return names
}

func schemaType(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, "|")
	}
	return ""
}

// Summary is the first sentence of a description, cut at max bytes (on a word) with "…".
func Summary(desc string, max int) string {
	desc = strings.Join(strings.Fields(desc), " ")
	for i := 0; i+1 < len(desc); i++ {
		if (desc[i] == '.' || desc[i] == '!' || desc[i] == '?') && desc[i+1] == ' ' {
			desc = desc[:i+1]
			break
		}
	}
	if len(desc) <= max {
		return desc
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(desc[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(desc[:cut], ' '); sp > max/2 {
		cut = sp
	}
	return strings.TrimRight(desc[:cut], " ,;:") + "…"
}

// Line is a hit as one line a model reads to pick a tool: its name, kind (unless a tool),
// risk, one-line summary and arguments ("name*: type", * for required). Long argument
// lists are cut after maxArgs.
func (d *Doc) Line() string {
	const maxArgs = 8
	var b strings.Builder
	b.WriteString(d.Name)
	switch {
	case d.Kind != KindTool:
		b.WriteString(" [" + d.Kind + "]")
	case d.Risk != "":
		b.WriteString(" [" + d.Risk + "]")
	}
	if s := Summary(d.Description, 160); s != "" {
		b.WriteString(" — " + s)
	} else if d.Title != "" {
		b.WriteString(" — " + d.Title)
	}
	if d.Kind == KindResource || d.Kind == KindTemplate {
		return b.String()
	}
	b.WriteString(" (")
	for i, a := range d.Args {
		if i == maxArgs {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name)
		if a.Required {
			b.WriteByte('*')
		}
		if a.Type != "" {
			b.WriteString(": " + a.Type)
		}
	}
	b.WriteByte(')')
	return b.String()
}
