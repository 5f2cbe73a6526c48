package integrity

import (
	"regexp"
	"strings"
)

// rule is one text pattern. Patterns match the visible text lower-cased (ASCII letters
// only, so byte offsets stay those of the text; cheaper than (?i) in Go's regexp); each is
// written against the attacks published on tool poisoning (Invariant Labs' <IMPORTANT>
// examples, "line jumping", MCP rug pulls) and kept narrow enough that the honest
// descriptions of the reference servers pass (see the near-miss tests).
type rule struct {
	kind     Kind
	severity Severity
	// need lists groups of lower-case substrings; the text, lower-cased with each run of
	// white space collapsed to one space, must hold one of each group before re runs. A cheap filter: most strings of a schema match no rule, and Go's
	// regexp costs far more per byte than strings.Contains.
	need [][]string
	re   *regexp.Regexp
	why  string
}

func (r *rule) mayMatch(lower string) bool {
	for _, group := range r.need {
		hit := false
		for _, s := range group {
			if strings.Contains(lower, s) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func oneOf(words ...string) []string { return words }

var rules = []rule{
	// Hidden instructions.
	{HiddenInstruction, High, [][]string{oneOf("ignore", "disregard", "forget", "override")}, regexp.MustCompile(
		`\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(of\s+)?(the\s+|your\s+)?(previous|prior|above|earlier|preceding|other|system)\s+(instructions?|prompts?|rules|messages|directions|guidelines)`),
		"asks the model to ignore its instructions"},
	{HiddenInstruction, High, [][]string{oneOf("user")}, regexp.MustCompile(
		`\b(do\s+not|don'?t|never|must\s+not)\s+(tell|inform|mention|reveal|notify|alert|show|disclose)\s+(this\s+|it\s+|anything\s+)?(to\s+)?the\s+user`),
		"asks the model to keep something from the user"},
	{HiddenInstruction, High, [][]string{oneOf("user")}, regexp.MustCompile(
		`\bwithout\s+(telling|informing|notifying|asking|alerting|showing)\s+the\s+user|\bthe\s+user\s+(must|should|need)\s+not\s+(know|see|notice|be\s+told)|\b(keep|hide)\s+(this|it)\s+(secret\s+|hidden\s+)?from\s+the\s+user`),
		"asks the model to act behind the user's back"},
	{HiddenInstruction, Medium, [][]string{oneOf("<", "[")}, regexp.MustCompile(
		`<\s*/?\s*(important|system|instructions?|secret|hidden|admin|critical|override|prompt|assistant)\s*>|\[\s*/?\s*(system|inst|instructions?)\s*\]`),
		"a pseudo-markup tag that addresses the model (such as <IMPORTANT>)"},
	{HiddenInstruction, Medium, [][]string{oneOf("ai ", "ai,", "ai:", "assistant", "llm", "model", "claude", "gpt", "copilot"), oneOf("must", "should", "need", "required", "have", "will")}, regexp.MustCompile(
		`\b(ai|assistant|llm|language\s+model|claude|chatgpt|gpt|copilot)\b[,:]?\s+(you\s+)?(must|should|need\s+to|are\s+required\s+to|have\s+to|will)\b`),
		"text addressed to the model rather than describing the tool"},
	{HiddenInstruction, Medium, [][]string{oneOf("you are now", "system prompt", "new instructions", "real instructions")}, regexp.MustCompile(
		`\byou\s+are\s+now\b|\b(system\s+prompt|new\s+instructions|real\s+instructions)\b`),
		"text addressed to the model rather than describing the tool"},
	{HiddenInstruction, Medium, [][]string{oneOf("tool"), oneOf("before using", "before calling", "before invoking", "before running", "instead of", "rather than", "when any", "when another", "when the other")}, regexp.MustCompile(
		`\bbefore\s+(using|calling|invoking|running)\s+(this|any|any\s+other|the\s+other)\s+tools?\b[^.]{0,40}\b(must|always|first|call|read|run)|\b(instead\s+of|rather\s+than)\s+(calling|using|invoking)\s+(the\s+|any\s+)?(other|\w+_\w+)\s+tool|\bwhen\s+(any(\s+other)?|another|the\s+other)\s+tools?\s+(is|are)\s+(called|used|invoked)`),
		"tells the model how to use other tools (shadowing)"},

	// Secret paths.
	{SecretPath, High, [][]string{oneOf("ssh", "id_", "authorized_keys")}, regexp.MustCompile(
		`~/\.ssh\b|\.ssh/|\bid_(rsa|dsa|ecdsa|ed25519)\b|\bauthorized_keys\b`),
		"an SSH key location"},
	{SecretPath, High, [][]string{oneOf(".env")}, regexp.MustCompile(
		`(^|[\s/'"` + "`" + `(~=:])\.env(\.[a-z0-9_]+)?\b`),
		"a .env file, which usually holds secrets"},
	{SecretPath, High, [][]string{oneOf(".aws", ".netrc", ".pgpass", ".git-credentials", ".docker", ".kube", ".gnupg", ".npmrc", ".pypirc", "wallet.dat", "gcloud")}, regexp.MustCompile(
		`\.aws/(credentials|config)\b|\.netrc\b|\.pgpass\b|\.git-credentials\b|\.docker/config\.json|\.kube/config\b|\.gnupg\b|\.npmrc\b|\.pypirc\b|\bwallet\.dat\b|gcloud/(credentials|application_default_credentials)`),
		"a credentials file"},
	{SecretPath, High, [][]string{oneOf("/etc/")}, regexp.MustCompile(`/etc/(passwd|shadow|sudoers)\b`), "a system account file"},
	{SecretPath, Medium, [][]string{oneOf("keychain", "credential")}, regexp.MustCompile(`\bkeychains?\b|\.keychain(-db)?\b|\bcredential\s+manager\b`), "an OS secret store"},

	// Exfiltration.
	{Exfiltration, High, [][]string{oneOf("://")}, regexp.MustCompile(
		`\b(send|upload|post|transmit|forward|exfiltrate|leak|submit|report|copy|pipe|curl|wget)\b[^.\n]{0,80}?\bto\s+(https?|ftp)://`),
		"moves data to a URL"},
	{Exfiltration, High, [][]string{oneOf("content", "text", "value"), oneOf("include", "insert", "embed", "pass", "append", "attach", "put", "add")}, regexp.MustCompile(
		`(^|[.!?:;\n]\s*|\b(and|then|also|please|must|should|always|first)\s+)(include|insert|embed|pass|append|attach|put|add)\s+(the\s+|their\s+)?(full\s+|entire\s+|complete\s+|raw\s+)?(contents?|text|value)\s+of\b`),
		"asks the model to copy the contents of something into a call"},
	{Exfiltration, Medium, [][]string{oneOf("read", "cat", "open"), oneOf("pass", "send", "include", "put")}, regexp.MustCompile(
		`\b(read|cat|open)\b(?:[^.\n]|\.\S){0,60}\band\s+(pass|send|include|put)\s+(it|them|its\s+contents?|the\s+contents?|their\s+contents?)\b`),
		"asks the model to read something and pass it on"},
}
