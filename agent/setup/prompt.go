package setup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrInputEnded is returned when the input ends before the wizard is done; nothing has
// been written then.
var ErrInputEnded = errors.New("input ended before setup was finished; nothing was written")

// prompter asks questions one line at a time. It works the same on a terminal, a pipe and
// in tests.
type prompter struct {
	in     *bufio.Reader
	out    io.Writer
	secret func() (string, error) // reads a line without echo; nil reads a plain line
}

func (p *prompter) say(format string, args ...any) { fmt.Fprintf(p.out, format+"\n", args...) }

func (p *prompter) line() (string, error) {
	s, err := p.in.ReadString('\n')
	if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			return "", ErrInputEnded
		}
		return "", fmt.Errorf("read answer: %w", err)
	}
	return strings.TrimSpace(s), nil
}

// ask shows question [def] and returns the answer, or def for an empty one.
func (p *prompter) ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	s, err := p.line()
	if err != nil {
		return "", err
	}
	if s == "" {
		return def, nil
	}
	return s, nil
}

// askSecret reads without echo when it can; an empty answer keeps keep.
func (p *prompter) askSecret(question, keep string) (string, error) {
	if keep != "" {
		fmt.Fprintf(p.out, "%s [Enter keeps %s]: ", question, mask(keep))
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	var s string
	var err error
	if p.secret != nil {
		s, err = p.secret()
		fmt.Fprintln(p.out)
		s = strings.TrimSpace(s)
	} else {
		s, err = p.line()
	}
	if err != nil {
		return "", err
	}
	if s == "" {
		return keep, nil
	}
	return s, nil
}

// choose asks for one of the options' first letters; Enter picks def.
func (p *prompter) choose(question string, options []string, def byte) (byte, error) {
	for {
		s, err := p.ask(question+" ("+strings.Join(options, ", ")+")", string(def))
		if err != nil {
			return 0, err
		}
		c := strings.ToLower(s)[0]
		for _, o := range options {
			if o[0] == c {
				return c, nil
			}
		}
		p.say("  Please answer with one of: %s.", strings.Join(options, ", "))
	}
}

// mask shows the start of a key only: mcpgw_ab…
func mask(key string) string {
	if len(key) <= 8 {
		return "…"
	}
	return key[:8] + "…"
}
