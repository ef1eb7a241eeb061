package export

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrExists means an output file is already there and replacing it was not asked for.
var ErrExists = errors.New("output exists")

// maxAlternatives bounds the search for a free name when the wanted one was taken meanwhile.
const maxAlternatives = 100

// WriteFile renders doc into path atomically: the text goes to a temporary file in the same folder,
// is synced, and only then takes the final name, so a crash or a full disk never leaves half a
// transcript where a whole one (or an older file) was.
//
// With overwrite, an existing file is replaced and its permissions are kept; a new file is 0600. Without
// it an existing file is never replaced: callers check beforehand (see Exists), and when another process
// creates the file meanwhile, the name is claimed without replacing (a hard link fails when the name
// exists) and the result goes to the first free alternative, path-2.txt, …, so that no result is lost.
// It returns the path written.
func WriteFile(path, format string, doc Doc, overwrite bool) (string, error) {
	var buf bytes.Buffer
	if err := Write(&buf, format, doc); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create output folder for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".verbatim-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(buf.Bytes())
	if werr == nil {
		werr = tmp.Sync() // the data is on disk before the name points at it
	}
	if overwrite && werr == nil {
		werr = keepMode(tmp, path)
	}
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	written := path
	if overwrite {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	} else if written, err = claim(tmp.Name(), path, buf.Bytes()); err != nil {
		return "", err
	}
	syncDir(dir)
	return written, nil
}

// Exists reports whether something is at path already (a dangling symlink counts: replacing it would
// still lose it).
func Exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// keepMode gives the temporary file the permissions of the file it replaces.
func keepMode(tmp *os.File, path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file; not replacing it", path)
	}
	return tmp.Chmod(st.Mode().Perm())
}

// claim gives the finished temporary file the name path, or the first free alternative when path (or
// an alternative) exists, never replacing anything.
func claim(tmp, path string, data []byte) (string, error) {
	for i := 1; i <= maxAlternatives; i++ {
		name := alternative(path, i)
		err := os.Link(tmp, name)
		if err == nil {
			return name, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// Some file systems (FAT, some network mounts) have no hard links: claim the name with O_EXCL
		// and write in place. Not atomic, but it still never replaces anything.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if err = errors.Join(err, f.Close()); err != nil {
			os.Remove(name)
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		return name, nil
	}
	return "", fmt.Errorf("write %s: %w, and so do its %d alternatives", path, ErrExists, maxAlternatives-1)
}

// alternative is path for i == 1, else path with -i before its extension: talk.txt → talk-2.txt.
func alternative(path string, i int) string {
	if i == 1 {
		return path
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(path, ext), i, ext)
}

// syncDir makes the new name durable; best effort (not every platform can fsync a folder).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
