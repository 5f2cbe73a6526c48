package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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
// file is rotated (path now names another file) or truncated, it finishes the old file and
// continues with the new one from its start. It polls every interval (default 250 ms). A
// path that does not exist yet is waited for.
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
			if nf != nil {
				f = nf
				if _, err := f.Seek(offset, io.SeekStart); err != nil {
					return fmt.Errorf("follow %s: %w", path, err)
				}
			}
		}
		if f != nil {
			reopen, err := drain(f, path, &offset, out)
			if err != nil {
				return err
			}
			if reopen {
				catchUp(f, path, out)
				f.Close()
				f, offset = nil, 0
				continue // the new file may already hold lines
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// drain copies f to EOF and reports whether path now names another file, or f shrank.
func drain(f *os.File, path string, offset *int64, out io.Writer) (bool, error) {
	n, err := io.Copy(out, f)
	*offset += n
	if err != nil {
		return false, fmt.Errorf("follow %s: %w", path, err)
	}
	cur, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("follow %s: %w", path, err)
	}
	now, err := os.Stat(path)
	if err != nil {
		return false, nil // between a rename and the new file; look again next time
	}
	if !os.SameFile(cur, now) {
		// Rotated: the writer closed f before renaming it, so what it holds now is final.
		n, err := io.Copy(out, f)
		*offset += n
		return true, err
	}
	if cur.Size() < *offset { // truncated in place
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, err
		}
		*offset = 0
	}
	return false, nil
}

// catchUp copies the files rotated after old, when several rotations happened between two
// looks: old is now path.k, so path.k-1 … path.1 are copied whole, oldest first.
func catchUp(old *os.File, path string, out io.Writer) {
	oldInfo, err := old.Stat()
	if err != nil {
		return
	}
	k := 0
	for i := 1; i <= maxScan; i++ {
		st, err := os.Stat(fmt.Sprintf("%s.%d", path, i))
		if err != nil {
			break
		}
		if os.SameFile(st, oldInfo) {
			k = i
			break
		}
	}
	for i := k - 1; i >= 1; i-- {
		if f, err := os.Open(fmt.Sprintf("%s.%d", path, i)); err == nil {
			_, _ = io.Copy(out, f)
			f.Close()
		}
	}
}

// maxScan bounds the rotated files catchUp looks at.
const maxScan = 100
