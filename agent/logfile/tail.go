package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"
)

// Tail returns the last n lines of the log: from path, and from path.1 when path has fewer.
// A missing path is an error matching fs.ErrNotExist.
func Tail(path string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	lines, err := lastLines(path, n)
	if err != nil {
		return nil, err
	}
	if len(lines) < n {
		older, err := lastLines(path+".1", n-len(lines))
		if err == nil {
			lines = append(older, lines...)
		}
	}
	return lines, nil
}

// lastLines reads backwards in blocks until it has n lines or the start of the file.
func lastLines(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	const block = 32 << 10
	var buf []byte
	end := st.Size()
	for end > 0 && bytes.Count(bytes.TrimSuffix(buf, []byte("\n")), []byte("\n")) < n {
		start := max(0, end-block)
		chunk := make([]byte, end-start)
		if _, err := f.ReadAt(chunk, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		buf = append(chunk, buf...)
		end = start
	}
	text := string(bytes.TrimSuffix(buf, []byte("\n")))
	if text == "" {
		return nil, nil
	}
	lines := bytes.Split([]byte(text), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = string(bytes.TrimSuffix(l, []byte("\r")))
	}
	return out, nil
}

// Follow copies what is appended to path to out, from offset, until ctx ends. When the
// file is rotated it finishes the old file and goes on with the next one — file by file,
// matched by identity, so several rotations between two looks lose nothing as long as the
// rotated files are kept. A file truncated in place is read again from its start. It polls
// every interval (default 250 ms); a path that does not exist yet is waited for.
func Follow(ctx context.Context, path string, offset int64, out io.Writer, interval time.Duration) error {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for {
		if f == nil {
			nf, err := os.Open(path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("follow %s: %w", path, err)
			}
			if f = nf; f != nil {
				if _, err := f.Seek(offset, io.SeekStart); err != nil {
					return fmt.Errorf("follow %s: %w", path, err)
				}
			}
		}
		for f != nil {
			next, err := drain(f, path, &offset, out)
			if err != nil {
				return err
			}
			if next == nil {
				break
			}
			f.Close()
			f, offset = next, 0 // read the next file at once: it may be complete already
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// drain copies f to EOF. When f is no longer the current file it copies what is left and
// returns the file written after it.
func drain(f *os.File, path string, offset *int64, out io.Writer) (*os.File, error) {
	n, err := io.Copy(out, f)
	*offset += n
	if err != nil {
		return nil, fmt.Errorf("follow %s: %w", path, err)
	}
	cur, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("follow %s: %w", path, err)
	}
	now, err := os.Stat(path)
	if err != nil {
		return nil, nil // between a rename and the new file; look again next time
	}
	if os.SameFile(cur, now) {
		if cur.Size() < *offset { // truncated in place
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return nil, err
			}
			*offset = 0
		}
		return nil, nil
	}
	// Rotated: the writer closed f before renaming it, so what it holds now is final.
	if _, err := io.Copy(out, f); err != nil {
		return nil, fmt.Errorf("follow %s: %w", path, err)
	}
	return successor(path, cur)
}

type named struct {
	name string
	info os.FileInfo
}

// successor opens the file that was written after prev. Names shift while the writer
// rotates, so files are matched by identity and the scan is repeated when a name moved
// between the scan and the open. If prev is gone (rotated past Keep), the oldest file kept
// is next: what was between is lost.
func successor(path string, prev os.FileInfo) (*os.File, error) {
	for try := range 50 {
		if try > 0 {
			time.Sleep(time.Millisecond) // a rotation is under way: let it finish
		}
		chain := stableScan(path) // oldest first, path last
		if len(chain) == 0 {
			return nil, nil
		}
		i := slices.IndexFunc(chain, func(n named) bool { return os.SameFile(n.info, prev) })
		if i == len(chain)-1 {
			return nil, nil // prev is the current file again (a rename we raced with)
		}
		if i < 0 && try < 10 {
			continue // renamed while we looked; look again before calling it lost
		}
		want := chain[i+1] // i == -1 gives the oldest
		f, err := os.Open(want.name)
		if err != nil {
			continue
		}
		if st, err := f.Stat(); err == nil && os.SameFile(st, want.info) {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("follow %s: the log rotates faster than it can be followed", path)
}

// stableScan scans until two scans in a row agree: a rotation renames every file, so a
// scan that overlapped one differs from the next.
func stableScan(path string) []named {
	last := scan(path)
	for range 20 {
		next := scan(path)
		if slices.EqualFunc(last, next, func(a, b named) bool { return a.name == b.name && os.SameFile(a.info, b.info) }) {
			return next
		}
		last = next
	}
	return last
}

func scan(path string) []named {
	var rotated []named
	for i, misses := 1, 0; i <= maxScan && misses < 2; i++ {
		name := fmt.Sprintf("%s.%d", path, i)
		st, err := os.Stat(name)
		if err != nil {
			misses++ // one name is vacant while the writer shifts the others
			continue
		}
		misses = 0
		rotated = append(rotated, named{name, st})
	}
	slices.Reverse(rotated)
	if st, err := os.Stat(path); err == nil {
		rotated = append(rotated, named{path, st})
	}
	return rotated
}

// maxScan bounds the rotated files successor looks at.
const maxScan = 100
