package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Uploaded files (seed 002 《文件上传与访问》): metadata in control.db, the
// bytes in <data dir>/files/<sha256> (0600, directory 0700). The store is
// shared by every feature that takes fileIds (notification tasks, marketing
// notices): SaveFile, File and OpenFile are its whole API.

var (
	bucketFiles      = []byte("files")            // id -> wire.File
	bucketFilesBySig = []byte("idx_files_by_sig") // sha256 hex -> id
)

// fileBuckets are created by the "files and notification tasks" migration.
var fileBuckets = [][]byte{bucketFiles, bucketFilesBySig}

// FilesDir is where file contents live, next to control.db.
func (db *DB) FilesDir() string { return filepath.Join(filepath.Dir(db.Path()), "files") }

// cleanFileName keeps the last path element of a client-supplied name and
// refuses names that are empty, not UTF-8, too long or hold control
// characters (they end up in a Content-Disposition header).
func cleanFileName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	switch {
	case name == "" || name == "." || name == "..":
		return "", fieldErr("file", "file name must not be empty")
	case !utf8.ValidString(name):
		return "", fieldErr("file", "file name must be valid UTF-8")
	case utf8.RuneCountInString(name) > wire.MaxFileName:
		return "", fieldErr("file", "file name must be at most %d characters", wire.MaxFileName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '"' {
			return "", fieldErr("file", "file name must not hold control characters or quotes")
		}
	}
	return name, nil
}

// SaveFile stores content (at most max bytes) under name for module and
// returns its record. Content already stored (same SHA-256) is not stored
// twice: the first record is returned and dup is true. The content type is
// sniffed from the bytes. An empty content is a field error on "file".
func (db *DB) SaveFile(name, module, by string, content io.Reader, max int64) (f wire.File, dup bool, err error) {
	if name, err = cleanFileName(name); err != nil {
		return f, false, err
	}
	if err := wire.ValidModuleName(module); err != nil {
		return f, false, err
	}
	dir := db.FilesDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return f, false, err
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return f, false, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // no-op after the rename
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return f, false, err
	}
	h := sha256.New()
	head := make([]byte, 0, 512)
	n, err := io.Copy(io.MultiWriter(tmp, h, &headWriter{buf: &head}), io.LimitReader(content, max+1))
	if err != nil {
		return f, false, err
	}
	if n == 0 {
		return f, false, fieldErr("file", "file content must not be empty")
	}
	if n > max {
		return f, false, fmt.Errorf("file: %w (%d bytes)", wire.ErrFileTooLarge, max)
	}
	if err := tmp.Sync(); err != nil {
		return f, false, err
	}
	sig := hex.EncodeToString(h.Sum(nil))
	f = wire.File{FileName: name, ModuleName: module, Signature: sig, Size: n,
		ContentType: sniff(head, name), CreatedAt: db.now(), CreatedBy: by}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		fb, ib := tx.Bucket(bucketFiles), tx.Bucket(bucketFilesBySig)
		if id := ib.Get([]byte(sig)); id != nil {
			dup = true
			return getJSON(fb, id, &f)
		}
		id, err := fb.NextSequence()
		if err != nil {
			return err
		}
		f.ID = id
		// The bytes go in place before the record commits: a crash in
		// between leaves an unreferenced file, never a record without bytes.
		if err := os.Rename(tmp.Name(), filepath.Join(dir, sig)); err != nil {
			return err
		}
		if err := putJSON(fb, u64(id), f); err != nil {
			return err
		}
		return ib.Put([]byte(sig), u64(id))
	})
	return f, dup, err
}

// headWriter keeps the first 512 bytes for content sniffing.
type headWriter struct{ buf *[]byte }

func (w *headWriter) Write(p []byte) (int, error) {
	if room := cap(*w.buf) - len(*w.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		*w.buf = append(*w.buf, p[:room]...)
	}
	return len(p), nil
}

// sniff decides the content type from the bytes (http.DetectContentType),
// refined for Office files, which it only sees as zip.
func sniff(head []byte, name string) string {
	ct := http.DetectContentType(head)
	if ct == "application/zip" {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".xlsx":
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		case ".docx":
			return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		}
	}
	return ct
}

// File returns the record of file id (wire.ErrNotFound when unknown).
func (db *DB) File(id uint64) (wire.File, error) {
	var f wire.File
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketFiles), u64(id), &f); err != nil {
			return fmt.Errorf("file %d: %w", id, err)
		}
		return nil
	})
	return f, err
}

// OpenFile returns the record of file id and its content; the caller closes
// the file.
func (db *DB) OpenFile(id uint64) (wire.File, io.ReadSeekCloser, error) {
	f, err := db.File(id)
	if err != nil {
		return f, nil, err
	}
	fh, err := os.Open(filepath.Join(db.FilesDir(), f.Signature))
	if err != nil {
		return f, nil, fmt.Errorf("file %d content: %w", id, err)
	}
	return f, fh, nil
}
