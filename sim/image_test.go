package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"
)

func (h *harness) uploadImage(gid int64, data []byte) map[string]any {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("gid", fmt.Sprint(gid))
	_ = mw.WriteField("securityId", "x")
	w, _ := mw.CreateFormFile("file", "pic.png")
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", h.srv.URL+"/wapi/zpupload/chat/image", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp := h.do(req)
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// TestImageSend: the chat's image upload and send, the history's image
// message, the truth's images and duplicates, and the refusals.
func TestImageSend(t *testing.T) {
	h := newHarness(t, 5, nil)
	h.login()
	c := h.geekList(1001, 1).ZPData.GeekList[0].GeekCard
	if g := h.greet(GeekItem{GeekCard: c}); g.Code != 0 {
		t.Fatalf("greet %+v", g)
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 5, 3)))
	pic := buf.Bytes()
	up := h.uploadImage(c.GeekID, pic)
	data, _ := up["zpData"].(map[string]any)
	if up["code"] != 0.0 || data["width"] != 5.0 || data["height"] != 3.0 {
		t.Fatalf("upload %v", up)
	}
	u := data["url"].(string)
	send := func() Envelope[SendResult] {
		b, _ := json.Marshal(map[string]any{"gid": c.GeekID, "securityId": "x", "url": u, "width": 5, "height": 3})
		req, _ := http.NewRequest("POST", h.srv.URL+"/wapi/zpchat/boss/sendImage", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		resp := h.do(req)
		defer resp.Body.Close()
		var env Envelope[SendResult]
		_ = json.NewDecoder(resp.Body).Decode(&env)
		return env
	}
	h.advance(time.Minute)
	if s := send(); s.Code != 0 || s.ZPData.MID == 0 {
		t.Fatalf("sendImage %+v", s)
	}
	msgs := h.history(c.GeekID, 0).ZPData.Messages
	last := msgs[len(msgs)-1]
	if last.Body.Type != BodyImage || last.Body.Text != ImageText || last.Body.URL != u || last.From.UID != 8800123 {
		t.Fatalf("history %+v", last)
	}
	resp := h.get(u)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, pic) || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("image %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The same picture again without a candidate message: a duplicate.
	if s := send(); s.Code != 0 {
		t.Fatalf("second send %+v", s)
	}
	sum := sha256.Sum256(pic)
	tr := h.sim.Truth().Accounts["acc"]
	if len(tr.Images) != 2 || tr.Images[0].SHA256 != hex.EncodeToString(sum[:]) || tr.Images[0].CandidateID != c.GeekID ||
		len(tr.DuplicateImages) != 1 || tr.Images[0].By != ByBot {
		t.Fatalf("truth images %+v duplicates %+v", tr.Images, tr.DuplicateImages)
	}
	for _, m := range tr.Messages {
		if m.Text == ImageText {
			t.Fatalf("an image counted as a text message: %+v", m)
		}
	}
	// Not an image; an unknown url; another account's session.
	if up := h.uploadImage(c.GeekID, []byte("not a picture")); up["code"] != 17.0 {
		t.Errorf("non-image upload %v", up)
	}
	u = "/wapi/zpupload/img/999.png"
	if s := send(); s.Code != 19 {
		t.Errorf("unknown url: %+v", s)
	}
	h.cl = newClient(t) // no session
	if resp := h.get(data["url"].(string)); resp.StatusCode != 404 {
		t.Errorf("image without session: %d", resp.StatusCode)
	}
}
