package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Files API (seed 002 《文件上传与访问》): POST /api/v1/file stores an
// upload, GET /api/v1/file/{id} streams it back. Images (message content)
// are served without a token as the seed says; every other file (member
// lists hold personal data) needs the operator's Bearer token.

type filesStore interface {
	SaveFile(name, module, by string, content io.Reader, max int64) (wire.File, bool, error)
	File(id uint64) (wire.File, error)
	OpenFile(id uint64) (wire.File, fileReader, error)
}

// fileReader is an open file's content (an *os.File in the bbolt backend).
type fileReader = io.ReadSeekCloser

// DefaultMaxFileBytes bounds one upload when Options.MaxFileBytes is 0.
const DefaultMaxFileBytes = 20 << 20

// multipartSlack is the room a multipart envelope and the moduleName field
// take on top of the file itself.
const multipartSlack = 64 << 10

func (s *Server) fileRoutes() []route {
	return []route{
		{"POST /api/v1/file", famPlain, authUser, s.uploadFile},
		{"GET /api/v1/file/{id}", famPlain, authNone, s.downloadFile},
		// The seed's examples also use the unversioned path.
		{"POST /api/file", famPlain, authUser, s.uploadFile},
		{"GET /api/file/{id}", famPlain, authNone, s.downloadFile},
	}
}

// bodyLimit is the request body bound of a route: uploads get the file
// limit, everything else MaxBodyBytes.
func (s *Server) bodyLimit(rt route) int64 {
	if rt.pattern == "POST /api/v1/file" || rt.pattern == "POST /api/file" {
		return s.maxFileBytes() + multipartSlack
	}
	return s.opt.MaxBodyBytes
}

func (s *Server) maxFileBytes() int64 {
	if s.opt.MaxFileBytes > 0 {
		return s.opt.MaxFileBytes
	}
	return DefaultMaxFileBytes
}

// fileAnswer is the seed's upload answer.
type fileAnswer struct {
	ID         uint64 `json:"id"`
	FileName   string `json:"fileName"`
	Signature  string `json:"signature"`
	FileSize   int64  `json:"fileSize"`
	CreateTime int64  `json:"createTime"` // epoch milliseconds
}

func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return errBadRequest("Content-Type", "must be multipart/form-data with a boundary")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return errBadRequest("body", "not a multipart body: %v", err)
	}
	// The whole form is read before anything is stored, so a request
	// rejected for any field stores nothing. The file is held in memory
	// (bounded by the body limit).
	var module, name string
	var data []byte
	var haveModule, haveFile bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return errBadRequest("file", "larger than %d bytes", s.maxFileBytes())
			}
			return errBadRequest("body", "malformed multipart body: %v", err)
		}
		switch part.FormName() {
		case "moduleName":
			if haveModule {
				return errBadRequest("moduleName", "given more than once")
			}
			b, err := io.ReadAll(io.LimitReader(part, wire.MaxModuleName+1))
			if err != nil {
				return s.uploadErr(err)
			}
			module, haveModule = string(b), true
			if err := wire.ValidModuleName(module); err != nil {
				return err
			}
		case "file":
			if haveFile {
				return errBadRequest("file", "given more than once")
			}
			haveFile = true
			if name = part.FileName(); name == "" {
				return errBadRequest("file", "file name must not be empty")
			}
			if data, err = io.ReadAll(io.LimitReader(part, s.maxFileBytes()+1)); err != nil {
				return s.uploadErr(err)
			}
			if int64(len(data)) > s.maxFileBytes() {
				return errBadRequest("file", "larger than %d bytes", s.maxFileBytes())
			}
		default:
			return errBadRequest(part.FormName(), "unknown form field")
		}
	}
	if !haveFile {
		return errBadRequest("file", "required")
	}
	if !haveModule {
		return errBadRequest("moduleName", "required")
	}
	f, dup, err := s.store.SaveFile(name, module, userFrom(r), bytes.NewReader(data), s.maxFileBytes())
	if err != nil {
		return s.uploadErr(err)
	}
	s.log.Info().Uint64("file", f.ID).Str("module", module).Int64("size", f.Size).Bool("dedup", dup).Msg("file uploaded")
	writeJSON(w, http.StatusOK, fileAnswer{ID: f.ID, FileName: f.FileName, Signature: f.Signature,
		FileSize: f.Size, CreateTime: f.CreatedAt.UnixMilli()})
	return nil
}

func (s *Server) uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.Is(err, wire.ErrFileTooLarge) || errors.As(err, &mbe) {
		return errBadRequest("file", "larger than %d bytes", s.maxFileBytes())
	}
	return err
}

// downloadFile streams a file with the seed's headers. Images need no
// token; any other file needs a valid operator token (checked before the
// answer says whether the id exists).
func (s *Server) downloadFile(w http.ResponseWriter, r *http.Request) error {
	v := r.PathValue("id")
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 {
		return errBadRequest("id", "must be a positive integer, got %q", v)
	}
	f, err := s.store.File(id)
	if (err != nil || !f.IsImage()) && !s.validOperator(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hunterbot"`)
		return errUnauthorized("this file needs a Bearer token (only images are public)")
	}
	if err != nil {
		return err
	}
	f, body, err := s.store.OpenFile(id)
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", contentDisposition(f.FileName))
	h.Set("X-Content-Type-Options", "nosniff")
	if f.IsImage() {
		// Content never changes under an id (deduplicated by its hash).
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, max-age=31536000")
	}
	h.Set("ETag", `"`+f.Signature+`"`)
	// ServeContent sets Content-Length and Last-Modified and answers
	// If-Modified-Since / Range.
	http.ServeContent(w, r, "", f.CreatedAt.Truncate(time.Second), body)
	return nil
}

// contentDisposition keeps the original name: plain ASCII names in
// filename="…", others also in RFC 5987's filename*.
func contentDisposition(name string) string {
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 || name[i] < 0x20 || name[i] == '"' || name[i] == '\\' {
			ascii = false
			break
		}
	}
	if ascii {
		return `inline; filename="` + name + `"`
	}
	fallback := strings.Map(func(r rune) rune {
		if r >= 0x80 || r < 0x20 || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	// RFC 6266: filename for old clients, filename* (RFC 5987) with the
	// real name.
	ext := mime.FormatMediaType("inline", map[string]string{"filename": name})
	return `inline; filename="` + fallback + `"` + strings.TrimPrefix(ext, "inline")
}

// validOperator reports whether r carries a valid operator access token.
func (s *Server) validOperator(r *http.Request) bool {
	tok, ok := bearer(r)
	if !ok {
		return false
	}
	_, err := s.store.CheckAccessToken(tok)
	return err == nil
}
