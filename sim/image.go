package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // decoders for the formats the chat accepts
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Image messages. The recruiter's chat toolbar holds a 图片 button over a
// hidden <input type="file" accept="image/*">: picking a file uploads it
// (POST /wapi/zpupload/chat/image, multipart "file" + gid + securityId →
// zpData {url, width, height}) and the page then sends the message
// (POST /wapi/zpchat/boss/sendImage {gid, securityId, url, width,
// height}). The history shows it as body type 3 with the image's url and
// the text 图片 placeholder the conversation list shows ("[图片]").
// /work/shared/spec/recruiter-site.md does not describe the real site's
// image send; this follows the upload-then-send shape of its other
// attachments, with the selectors in pages.Selectors (configs/selectors.yaml)
// so a different real page is a configuration change.

// BodyImage is the body type of an image message.
const BodyImage = 3

// ImageText is the text an image message carries (the list's preview).
const ImageText = "[图片]"

// maxChatImage bounds an uploaded chat image.
const maxChatImage = 10 << 20

// KindImage is the truth kind of an image message (in MessagesAfterOptOut
// and MessagesAfterHuman).
const KindImage = "image"

// RecruiterImage is one image the recruiter's side sent.
type RecruiterImage struct {
	CandidateID int64     `json:"candidate_id"`
	SHA256      string    `json:"sha256"`
	Bytes       int       `json:"bytes"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Time        time.Time `json:"time"`
	By          string    `json:"by"`
	MID         int64     `json:"mid"`
}

// chatImage is an uploaded image, served at its url.
type chatImage struct {
	data          []byte
	ctype         string
	sha           string
	width, height int
	account       string
}

// imageStore holds the uploads of one sim (in memory, like everything
// else of the sim).
type imageStore struct {
	byURL map[string]*chatImage
	seq   int
}

func (s *Sim) handleImageUpload(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	r.Body = http.MaxBytesReader(w, r.Body, maxChatImage+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		envelope(w, 17, "参数错误: "+err.Error(), nil)
		return
	}
	f := map[string]string{"gid": r.FormValue("gid"), "securityId": r.FormValue("securityId")}
	if s.convParam(a, f) == nil {
		envelope(w, 1, "好友关系校验失败", nil)
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		envelope(w, 17, "参数错误: file", nil)
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxChatImage+1))
	if err != nil || len(data) == 0 || len(data) > maxChatImage {
		envelope(w, 17, "图片大小不符合要求", nil)
		return
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		envelope(w, 17, "图片格式不支持", nil)
		return
	}
	sum := sha256.Sum256(data)
	if s.imgs.byURL == nil {
		s.imgs.byURL = map[string]*chatImage{}
	}
	s.imgs.seq++
	url := fmt.Sprintf("/wapi/zpupload/img/%d.%s", s.imgs.seq, format)
	s.imgs.byURL[url] = &chatImage{data: data, ctype: "image/" + format, sha: hex.EncodeToString(sum[:]),
		width: cfg.Width, height: cfg.Height, account: a.cfg.ID}
	envelope(w, 0, "", map[string]any{"url": url, "width": cfg.Width, "height": cfg.Height})
}

func (s *Sim) apiSendImage(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	f, conv, ok := s.convForm(w, r, a)
	if !ok {
		return
	}
	img := s.imgs.byURL[f["url"]]
	if img == nil || img.account != a.cfg.ID {
		envelope(w, 19, "参数错误: url", nil)
		return
	}
	if code, msg := s.checkAction(a, false, now); code != 0 {
		envelope(w, code, msg, nil)
		return
	}
	m := s.recruiterImage(conv, f["url"], img, ByBot, now)
	envelope(w, 0, "", SendResult{MID: m.MID, Time: m.Time})
}

// recruiterImage stores an image message and its truth.
func (s *Sim) recruiterImage(conv *conversation, url string, img *chatImage, by string, now time.Time) *Message {
	m := s.appendMsg(conv, true, MsgTypeChat, MsgBody{Type: BodyImage, Text: ImageText, URL: url}, now)
	a := conv.acct
	ri := RecruiterImage{CandidateID: conv.cand.id, SHA256: img.sha, Bytes: len(img.data), Width: img.width, Height: img.height,
		Time: now, By: by, MID: m.MID}
	// A duplicate is the same picture to the same candidate with no
	// candidate message in between, within one sim hour (as for texts).
	key := "\x00image:" + img.sha
	if prev, ok := conv.sinceCand[key]; ok && now.Sub(prev) < time.Hour {
		a.truth.DuplicateImages = append(a.truth.DuplicateImages, ri)
	}
	if conv.sinceCand == nil {
		conv.sinceCand = map[string]time.Time{}
	}
	conv.sinceCand[key] = now
	a.truth.Images = append(a.truth.Images, ri)
	s.afterRecruiter(conv, RecruiterMessage{CandidateID: conv.cand.id, Text: ImageText, Time: now, By: by, Kind: KindImage, MID: m.MID}, by)
	conv.recruiter++
	return m
}

// handleImage serves an uploaded image to the account's own session.
func (s *Sim) handleImage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ss := s.sessionOf(r, s.now())
	img := s.imgs.byURL["/wapi/zpupload/img/"+r.PathValue("file")]
	s.mu.Unlock()
	if ss == nil || img == nil || img.account != ss.acct.cfg.ID || strings.Contains(r.PathValue("file"), "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", img.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(img.data)))
	w.Write(img.data)
}
