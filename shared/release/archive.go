package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// ErrArchive is matched by every error about an archive's content.
var ErrArchive = errors.New("bad release archive")

// ExtractBinary returns the agent binary for goos from a release archive (tar.gz, or zip when
// archiveName ends in .zip). The binary must be a regular file at the top of the archive (or
// in one top directory); an entry with an absolute path or "..", or a second copy of the
// binary, makes the archive refused. Other files (README, LICENSE) are skipped unread.
func ExtractBinary(archive []byte, archiveName, goos string) ([]byte, error) {
	if len(archive) > MaxArchiveSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrArchive, MaxArchiveSize)
	}
	want := BinaryName(goos)
	var bin []byte
	var err error
	if strings.HasSuffix(archiveName, ".zip") {
		bin, err = extractZip(archive, want)
	} else {
		bin, err = extractTarGz(archive, want)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrArchive, archiveName, err)
	}
	return bin, nil
}

// entryIsBinary checks an entry's path and reports whether it is the binary wanted.
func entryIsBinary(name, want string) (bool, error) {
	clean := strings.TrimPrefix(name, "./")
	if strings.HasPrefix(clean, "/") || strings.Contains(clean, "\\") || path.IsAbs(clean) {
		return false, fmt.Errorf("entry %q has an absolute or Windows path", name)
	}
	for _, part := range strings.Split(clean, "/") {
		if part == ".." {
			return false, fmt.Errorf("entry %q leaves the archive's directory", name)
		}
	}
	clean = path.Clean(clean)
	depth := strings.Count(clean, "/")
	return path.Base(clean) == want && depth <= 1, nil
}

func extractTarGz(archive []byte, want string) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	tr := tar.NewReader(zr)
	var bin []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		match, err := entryIsBinary(h.Name, want)
		if err != nil {
			return nil, err
		}
		if !match {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%s is not a regular file (tar type %q)", h.Name, h.Typeflag)
		}
		if bin != nil {
			return nil, fmt.Errorf("%s appears twice", want)
		}
		if bin, err = readLimited(tr, h.Size); err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
	}
	if bin == nil {
		return nil, fmt.Errorf("no %s in it", want)
	}
	return bin, nil
}

func extractZip(archive []byte, want string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, fmt.Errorf("not a zip: %w", err)
	}
	var bin []byte
	for _, f := range zr.File {
		match, err := entryIsBinary(f.Name, want)
		if err != nil {
			return nil, err
		}
		if !match {
			continue
		}
		if !f.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", f.Name)
		}
		if bin != nil {
			return nil, fmt.Errorf("%s appears twice", want)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		bin, err = readLimited(rc, int64(f.UncompressedSize64))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	if bin == nil {
		return nil, fmt.Errorf("no %s in it", want)
	}
	return bin, nil
}

// readLimited reads an entry that declares size bytes, refusing more than MaxBinarySize
// whatever the header says.
func readLimited(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > MaxBinarySize {
		return nil, fmt.Errorf("declared size %d is over the %d-byte limit", size, MaxBinarySize)
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxBinarySize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBinarySize {
		return nil, fmt.Errorf("larger than %d bytes", MaxBinarySize)
	}
	if len(b) == 0 {
		return nil, errors.New("is empty")
	}
	return b, nil
}

// WriteArchive writes an archive for goos (zip for windows, tar.gz otherwise) holding the
// binary under BinaryName(goos), executable. Goreleaser builds the real ones; tests and
// hand-made releases use this.
func WriteArchive(w io.Writer, goos string, binary []byte) error {
	name := BinaryName(goos)
	mtime := time.Unix(0, 0)
	if goos == "windows" {
		zw := zip.NewWriter(w)
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(0o755)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(binary); err != nil {
			return err
		}
		return zw.Close()
	}
	gw := gzip.NewWriter(w)
	tw := tar.NewWriter(gw)
	h := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(binary)), Typeflag: tar.TypeReg, ModTime: mtime}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := tw.Write(binary); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gw.Close()
}
