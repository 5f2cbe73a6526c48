package risk

import (
	"strings"
	"unicode"
)

// Word lists. A word is matched whole after splitting names on _ - . / and camelCase and
// after trimming common English inflections, so "deleteFile", "delete-file" and "Deletes a
// file" all find "delete".
var (
	destructiveWords = set("delete", "remove", "rm", "del", "drop", "kill", "destroy", "purge",
		"wipe", "truncate", "erase", "terminate", "unlink", "rmdir", "uninstall", "shred")
	executeWords = set("exec", "execute", "run", "shell", "command", "cmd", "eval", "evaluate",
		"bash", "sh", "powershell", "terminal", "spawn", "script", "subprocess", "invoke")
	writeWords = set("write", "create", "update", "edit", "move", "set", "put", "post", "add",
		"insert", "modify", "rename", "patch", "append", "save", "copy", "toggle", "enable",
		"disable", "change", "replace", "mkdir", "commit", "push", "merge", "upload", "send",
		"publish", "assign", "start", "stop", "restart", "install", "apply",
		"upsert", "overwrite", "trigger", "compress", "gzip", "archive", "import")
	readWords = set("read", "get", "list", "search", "fetch", "query", "describe", "show",
		"find", "view", "cat", "ls", "head", "tail", "count", "check", "inspect", "lookup",
		"stat", "info", "retrieve", "return", "browse", "download", "echo", "tree", "explain",
		"summarize", "analyze", "status", "diff", "grep", "export")
	// Admin: verbs that are administrative on their own, and nouns that make a write admin.
	adminVerbs = set("admin", "administer", "grant", "revoke", "sudo", "chmod", "chown",
		"impersonate", "ban", "suspend", "promote", "demote", "invite")
	adminNouns = set("user", "role", "permission", "acl", "iam", "policy", "config",
		"configuration", "setting", "member", "group", "credential", "secret", "token", "apikey",
		"password", "privilege", "account", "tenant", "org", "organization")
	externalWords = set("http", "https", "url", "uri", "web", "webhook", "api", "email", "mail",
		"smtp", "slack", "github", "gitlab", "jira", "discord", "twitter", "browser", "internet",
		"website", "graphql", "sms", "stripe")
)

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// classifyText returns the strongest category the words of s support and which word decided.
func classifyText(s string) (Category, string) {
	best, why := Unclassified, ""
	mutating, adminNoun := "", ""
	for _, w := range tokens(s) {
		c, stem := categoryOf(w)
		if c == Write || c == Destructive {
			mutating = stem
		}
		if adminNouns[stem] {
			adminNoun = stem
		}
		if c.Stronger(best) {
			best, why = c, "word "+quote(stem)
		}
	}
	if adminNoun != "" && mutating != "" && Admin.Stronger(best) {
		best, why = Admin, "words "+quote(mutating)+" and "+quote(adminNoun)
	}
	return best, why
}

// categoryOf returns the category of one lower-case word and the dictionary form matched.
func categoryOf(w string) (Category, string) {
	for _, stem := range stems(w) {
		switch {
		case destructiveWords[stem]:
			return Destructive, stem
		case executeWords[stem]:
			return Execute, stem
		case adminVerbs[stem]:
			return Admin, stem
		case externalWords[stem]:
			return ExternalAPI, stem
		case writeWords[stem]:
			return Write, stem
		case readWords[stem]:
			return Read, stem
		case adminNouns[stem]:
			return Unclassified, stem
		}
	}
	return Unclassified, w
}

// stems returns w and the forms it may be an inflection of: lists → list, deletes → delete,
// deleting → delete, stopped → stop, policies → policy.
func stems(w string) []string {
	out := []string{w}
	add := func(s string) {
		if len(s) >= 2 {
			out = append(out, s)
		}
	}
	switch {
	case strings.HasSuffix(w, "ies"):
		add(w[:len(w)-3] + "y")
	case strings.HasSuffix(w, "es"):
		add(w[:len(w)-2])
		add(w[:len(w)-1])
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		add(w[:len(w)-1])
	case strings.HasSuffix(w, "ing"):
		// No doubled-consonant rule: "long-running" is an adjective far more often than
		// "running" is a command in a tool name; "runs" and "run" still match.
		b := w[:len(w)-3]
		add(b)
		add(b + "e")
	case strings.HasSuffix(w, "ed"):
		b := w[:len(w)-2]
		add(b)
		add(b + "e")
		if n := len(b); n >= 2 && b[n-1] == b[n-2] {
			add(b[:n-1])
		}
	}
	return out
}

// tokens splits s into lower-case words on non-letters and camelCase boundaries.
func tokens(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		// A lower→Upper step (deleteFile) or the last capital of an acronym (HTTPRequest).
		if unicode.IsUpper(r) && len(cur) > 0 &&
			(unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// firstSentence is the description up to its first sentence end or line break: descriptions
// go on to caveats ("does not delete anything") that would mislead a word match.
func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\n"); i >= 0 {
		s = s[:i]
	}
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == '.' || s[i] == '!' || s[i] == '?') && (s[i+1] == ' ' || s[i+1] == '\t') {
			return s[:i+1]
		}
	}
	return s
}
