package logview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// maxLine bounds a line kept in memory while waiting for its newline; a
// longer one is emitted in pieces rather than growing without limit.
const maxLine = 1 << 20

// Tail reads a file's complete lines as they are appended, like `tail -F`:
// when the path is renamed and recreated (lumberjack's rotation) it drains
// the old file, reads whole any backups rotated since (several rotations
// between two polls), then reads the new file from its start; when the
// file is truncated it reads again from the start. A missing path is
// waited for. A truncation followed by more writes than were read before
// the next poll cannot be told from appends (as with tail -F).
type Tail struct {
	path    string
	f       *os.File
	info    os.FileInfo // of f, to recognise a different file at path
	last    os.FileInfo // the last file read to its end (after a rotation)
	offset  int64
	partial []byte
	buf     []byte
}

// OpenTail starts tailing path from its beginning. A path that does not
// exist yet is not an error: Poll picks the file up when it appears.
func OpenTail(path string) (*Tail, error) {
	t := &Tail{path: path, buf: make([]byte, 64<<10)}
	if err := t.open(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return t, nil
}

// Path returns the tailed path.
func (t *Tail) Path() string { return t.path }

func (t *Tail) open() error {
	f, err := os.Open(t.path)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	t.f, t.info, t.offset, t.partial = f, info, 0, t.partial[:0]
	return nil
}

// Poll emits every complete line appended since the last call, in order,
// without its newline. It handles rotation and truncation as described on
// Tail. The slice passed to emit is only valid during the call.
func (t *Tail) Poll(emit func(line []byte)) error {
	if t.f == nil {
		return t.reopen(emit)
	}
	// Truncated in place (copytruncate, or `> file`): start over.
	if st, err := t.f.Stat(); err == nil && st.Size() < t.offset {
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		t.offset, t.partial = 0, t.partial[:0]
	}
	if err := t.drain(emit); err != nil {
		return err
	}
	cur, err := os.Stat(t.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // renamed away and not recreated yet: keep the old file
	case err != nil:
		return err
	case os.SameFile(cur, t.info):
		return nil
	}
	// A new file at path: whatever reached the old one before the rename is
	// drained above, and a rotating writer does not write to it afterwards.
	// Drain once more in case the writer was mid-line, then switch.
	if err := t.drain(emit); err != nil {
		return err
	}
	t.Flush(emit) // the old file ended without a newline
	t.last = t.info
	t.f.Close()
	t.f = nil
	return t.reopen(emit)
}

// reopen opens the file now at path, first reading whole the backups
// rotated after the last file read (the writer rotated more than once
// since): it opens before listing so that one more rotation meanwhile
// leaves its file among the backups rather than skipped.
func (t *Tail) reopen(emit func(line []byte)) error {
	if err := t.open(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if t.last != nil {
		var now os.FileInfo // nil: the path is gone again, every later backup is unread
		if t.f != nil {
			now = t.info
		}
		for _, b := range t.backupsAfter(t.last, now) {
			if err := readWhole(b.path, emit); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			t.last = b.info
		}
	}
	if t.f == nil {
		return nil // picked up by a later poll
	}
	return t.drain(emit)
}

// backupsAfter lists lumberjack backups of the tailed path that were
// rotated after the file old (found by identity among the backups) and
// are not cur (the file now open; nil for none), oldest first. Without old
// among the backups (renamed some other way, or already deleted) nothing
// can be known.
func (t *Tail) backupsAfter(old, cur os.FileInfo) []backup {
	dir, base := filepath.Split(t.path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return nil
	}
	var found []backup // ReadDir sorts by name: the timestamps sort in time order
	oldAt := -1
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, prefix) || !IsRotated(n) || filepath.Ext(n) != ext {
			continue
		}
		p := filepath.Join(dir, n)
		info, err := os.Stat(p)
		if err != nil || (cur != nil && os.SameFile(info, cur)) {
			continue
		}
		if os.SameFile(info, old) {
			oldAt = len(found)
		}
		found = append(found, backup{p, info})
	}
	if oldAt < 0 {
		return nil
	}
	return found[oldAt+1:]
}

// backup is a rotated file and its identity.
type backup struct {
	path string
	info os.FileInfo
}

// readWhole emits every line of the file at path, the last one even
// without a newline.
func readWhole(path string, emit func(line []byte)) error {
	t, err := OpenTail(path)
	if err != nil {
		return err
	}
	defer t.Close()
	if t.f == nil {
		return nil // gone already
	}
	if err := t.drain(emit); err != nil {
		return err
	}
	t.Flush(emit)
	return nil
}

// drain reads f to EOF, emitting complete lines.
func (t *Tail) drain(emit func(line []byte)) error {
	for {
		n, err := t.f.Read(t.buf)
		if n > 0 {
			t.offset += int64(n)
			data := t.buf[:n]
			for {
				i := bytes.IndexByte(data, '\n')
				if i < 0 {
					break
				}
				if len(t.partial) > 0 {
					t.partial = append(t.partial, data[:i]...)
					emit(t.partial)
					t.partial = t.partial[:0]
				} else {
					emit(data[:i])
				}
				data = data[i+1:]
			}
			t.partial = append(t.partial, data...)
			if len(t.partial) >= maxLine {
				emit(t.partial)
				t.partial = t.partial[:0]
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", t.path, err)
		}
	}
}

// Close releases the file.
func (t *Tail) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// FollowOptions tunes Follow.
type FollowOptions struct {
	// Interval between polls (default 250ms).
	Interval time.Duration
	// Clock sleeps between polls (default the real clock).
	Clock clock.Clock
	// Discover, when set, is called every poll for paths that should be
	// followed too (e.g. CurrentFiles of a directory); paths already
	// followed are ignored, new ones are read from their start.
	Discover func() ([]string, error)
	// AfterPoll, when set, runs after every poll round (flush output).
	AfterPoll func()
}

// Follow polls the tails and emits their new lines until ctx is done; it
// then closes every tail it opened and returns nil. emit receives the path
// of the tail the line came from.
func Follow(ctx context.Context, tails []*Tail, opts FollowOptions, emit func(path string, line []byte)) error {
	if opts.Interval <= 0 {
		opts.Interval = 250 * time.Millisecond
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	known := map[string]bool{}
	for _, t := range tails {
		known[t.path] = true
	}
	var opened []*Tail
	defer func() {
		for _, t := range opened {
			t.Close()
		}
	}()
	for {
		if opts.Discover != nil {
			paths, err := opts.Discover()
			if err != nil {
				return err
			}
			for _, p := range paths {
				if known[p] {
					continue
				}
				t, err := OpenTail(p)
				if err != nil {
					return err
				}
				known[p] = true
				tails = append(tails, t)
				opened = append(opened, t)
			}
		}
		for _, t := range tails {
			if err := t.Poll(func(line []byte) { emit(t.path, line) }); err != nil {
				return err
			}
		}
		if opts.AfterPoll != nil {
			opts.AfterPoll()
		}
		if err := opts.Clock.Sleep(ctx, opts.Interval); err != nil {
			return nil
		}
	}
}

// Flush emits a last line that has no newline (the end of a file that is
// not written any more).
func (t *Tail) Flush(emit func(line []byte)) {
	if len(t.partial) > 0 {
		emit(t.partial)
		t.partial = t.partial[:0]
	}
}

// CurrentFiles returns the *.log files of dir that are not rotated
// backups, in the order of Files.
func CurrentFiles(dir string) ([]string, error) {
	all, err := Files(dir)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, p := range all {
		if !IsRotated(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// rotatedName matches lumberjack's backups: <name>-2006-01-02T15-04-05.000.log.
var rotatedName = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.log$`)

// IsRotated reports whether name is a rotated backup (not written any more).
func IsRotated(name string) bool { return rotatedName.MatchString(filepath.Base(name)) }

// Files returns the *.log files of dir, oldest first by modification
// time (a backup is older than the file it was rotated from).
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".log" {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed by rotation while listing
			}
			return nil, err
		}
		files = append(files, file{filepath.Join(dir, e.Name()), info.ModTime()})
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, b := files[i], files[j]
		if !a.mod.Equal(b.mod) {
			return a.mod.Before(b.mod)
		}
		// Same mtime: a backup first, then by name.
		if ra, rb := IsRotated(a.path), IsRotated(b.path); ra != rb {
			return ra
		}
		return a.path < b.path
	})
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out, nil
}

// Item is one file of a Snapshot: a backup to read whole (Tail nil) or a
// live file, opened for following.
type Item struct {
	Path string
	Tail *Tail
}

// Snapshot opens dir's live *.log files first, then lists the backups to
// read before them, so that a rotation happening meanwhile neither drops
// nor repeats a file: a backup that is (or was rotated after) a file a Tail
// already holds is left to that Tail, which reads it in Poll. Items are in
// the order of Files. The caller closes the tails.
func Snapshot(dir string) ([]Item, error) {
	live, err := CurrentFiles(dir)
	if err != nil {
		return nil, err
	}
	tails := map[string]*Tail{}
	closeAll := func() {
		for _, t := range tails {
			t.Close()
		}
	}
	for _, p := range live {
		t, err := OpenTail(p)
		if err != nil {
			closeAll()
			return nil, err
		}
		tails[p] = t
	}
	all, err := Files(dir)
	if err != nil {
		closeAll()
		return nil, err
	}
	// Where each tail's own file now sits among the backups (if rotated).
	held := map[string]string{} // live path -> backup path of the tail's file
	infos := map[string]os.FileInfo{}
	for _, p := range all {
		if !IsRotated(p) {
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			continue // deleted by the writer's clean-up
		}
		infos[p] = info
		if t := tails[ownerOf(p)]; t != nil && t.info != nil && os.SameFile(info, t.info) {
			held[ownerOf(p)] = p
		}
	}
	var items []Item
	newest := map[string]string{} // live path -> its newest backup read as history
	defer func() {
		// A live path caught between rename and create has no file yet: its
		// tail continues after the newest backup read here.
		for p, t := range tails {
			if b, ok := newest[p]; ok && t.f == nil {
				t.last = infos[b]
			}
		}
	}()
	for _, p := range all {
		if !IsRotated(p) {
			if t := tails[p]; t != nil {
				items = append(items, Item{Path: p, Tail: t})
			}
			// A live file that appeared after the tails were opened is left
			// to the follower's discovery.
			continue
		}
		info, ok := infos[p]
		if !ok {
			continue
		}
		owner := ownerOf(p)
		if t := tails[owner]; t != nil && t.info != nil {
			if os.SameFile(info, t.info) {
				continue // the tail holds it
			}
			if hp, ok := held[owner]; ok && filepath.Base(p) > filepath.Base(hp) {
				continue // rotated after the tail's file: the tail reads it
			}
		}
		items = append(items, Item{Path: p})
		if prev, ok := newest[owner]; !ok || filepath.Base(p) > filepath.Base(prev) {
			newest[owner] = p
		}
	}
	return items, nil
}

// ownerOf maps a lumberjack backup path to the live file it came from.
func ownerOf(backup string) string { return rotatedName.ReplaceAllString(backup, ".log") }

// ReadFile emits every line of the file at path, the last one even without
// a newline.
func ReadFile(path string, emit func(line []byte)) error { return readWhole(path, emit) }
