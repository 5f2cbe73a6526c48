package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Store keeps each backend's credentials. Load returns nil, nil when there are none.
// Implementations seal what they write: the stored bytes never hold a token in clear.
type Store interface {
	Load(ctx context.Context, backend string) (*Credentials, error)
	Save(ctx context.Context, backend string, c *Credentials) error
}

// Sealer encrypts a value bound to where it is stored (the hub's master key is one).
type Sealer interface {
	Seal(plaintext, where string) string
	Open(sealed, where string) (string, error)
}

// Where names a backend's credentials for sealing: a sealed value moved to another
// backend's place does not open.
func Where(backend string) string { return "oauth:backend:" + backend }

// Seal encodes and seals c for backend.
func Seal(s Sealer, backend string, c *Credentials) (string, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return s.Seal(string(raw), Where(backend)), nil
}

// Open opens what Seal made for backend.
func Open(s Sealer, backend, sealed string) (*Credentials, error) {
	plain, err := s.Open(sealed, Where(backend))
	if err != nil {
		return nil, fmt.Errorf("credentials of backend %q: %w", backend, err)
	}
	var c Credentials
	if err := json.Unmarshal([]byte(plain), &c); err != nil {
		return nil, fmt.Errorf("credentials of backend %q: %w", backend, err)
	}
	return &c, nil
}

// FileStore keeps credentials in one JSON file (mode 0600) of sealed values by backend name,
// read afresh on every Load, so a login written by another process (the agent's `backends
// login`) is seen by the running one.
type FileStore struct {
	path   string
	sealer Sealer
	mu     sync.Mutex // serialises this process's read-modify-write
}

// NewFileStore returns a store in path, sealing with s.
func NewFileStore(path string, s Sealer) *FileStore { return &FileStore{path: path, sealer: s} }

func (f *FileStore) read() (map[string]string, error) {
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	return m, nil
}

// Load returns backend's credentials, nil when it has none.
func (f *FileStore) Load(_ context.Context, backend string) (*Credentials, error) {
	f.mu.Lock()
	m, err := f.read()
	f.mu.Unlock()
	if err != nil || m[backend] == "" {
		return nil, err
	}
	return Open(f.sealer, backend, m[backend])
}

// Save replaces backend's credentials; nil removes them.
func (f *FileStore) Save(_ context.Context, backend string, c *Credentials) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	if c == nil {
		delete(m, backend)
	} else if m[backend], err = Seal(f.sealer, backend, c); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(f.path, raw)
}

// writeFile replaces path with data (mode 0600) through a temporary file and a rename, so a
// reader never sees half of it.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if serr := tmp.Sync(); err == nil {
		err = serr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// MemoryStore keeps credentials in this process's memory only: for one-shot clients (the
// conformance client), which write nothing to disk.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]*Credentials
}

// Load returns a copy of backend's credentials, nil when it has none.
func (s *MemoryStore) Load(_ context.Context, backend string) (*Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.m[backend]; c != nil {
		cp := *c
		return &cp, nil
	}
	return nil, nil
}

// Save replaces backend's credentials; nil removes them.
func (s *MemoryStore) Save(_ context.Context, backend string, c *Credentials) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*Credentials{}
	}
	if c == nil {
		delete(s.m, backend)
		return nil
	}
	cp := *c
	s.m[backend] = &cp
	return nil
}
