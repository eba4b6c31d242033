package pages

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/testwait"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// fixtureServer serves testdata/ plus a few JSON endpoints in the site's
// envelope.
func fixtureServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/fixtures/", http.StripPrefix("/fixtures/", http.FileServer(http.Dir("testdata"))))
	mux.HandleFunc("/web/user/safe/verify-slider", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<html><body>安全验证</body></html>"))
	})
	mux.HandleFunc("/web/user/", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<html><body>登录</body></html>"))
	})
	mux.HandleFunc("/wapi/zpjob/rec/geek/list", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page") == "2" {
			w.Write([]byte(`{"code":37,"message":"环境异常","zpData":{}}`))
			return
		}
		w.Write([]byte(`{"code":0,"message":"Success","zpData":{"hasMore":true,"geekList":[{"encryptGeekId":"e1"},{"encryptGeekId":"e2"}]}}`))
	})
	mux.HandleFunc("/wapi/zpchat/boss/historyMsg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		gid := r.URL.Query().Get("gid")
		fmt.Fprintf(w, `{"code":0,"message":"Success","zpData":{"hasMore":false,"messages":[{"mid":1,"type":1,"from":{"uid":%s},"body":{"type":1,"text":"hello %s"}}]}}`, gid, gid)
	})
	mux.HandleFunc("/wapi/other", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{}`)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestInspectClassifiesRiskSignals(t *testing.T) {
	srv := fixtureServer(t)
	page := browsertest.Page(t)
	sel := DefaultSelectors()
	tests := []struct {
		path string
		want RiskKind
		err  error
	}{
		{"/fixtures/normal.html", RiskNone, nil},
		{"/fixtures/risk_hidden.html", RiskNone, nil},
		{"/fixtures/risk_captcha.html", RiskCaptcha, ErrRisk},
		{"/fixtures/risk_text.html", RiskCaptcha, ErrRisk},
		{"/fixtures/quota_in_frame.html", RiskQuota, ErrQuota},
		{"/web/user/safe/verify-slider", RiskVerify, ErrRisk},
		{"/web/user/?ka=header-login", RiskLogin, ErrLoggedOut},
	}
	for _, tt := range tests {
		if err := page.Navigate(srv.URL + tt.path); err != nil {
			t.Fatal(err)
		}
		if err := page.WaitLoad(); err != nil {
			t.Fatal(err)
		}
		r, err := Inspect(page, sel)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if r.Kind != tt.want {
			t.Errorf("%s: kind %q (%s), want %q", tt.path, r.Kind, r.Detail, tt.want)
		}
		if tt.err != nil && !errors.Is(r.Err(), tt.err) {
			t.Errorf("%s: Err() = %v, want %v", tt.path, r.Err(), tt.err)
		}
		if tt.err == nil && r.Err() != nil {
			t.Errorf("%s: Err() = %v on a normal page", tt.path, r.Err())
		}
	}
}

func TestWatcherReadsThePagesOwnXHR(t *testing.T) {
	srv := fixtureServer(t)
	page := browsertest.Page(t)
	if err := page.Navigate(srv.URL + "/fixtures/xhr.html"); err != nil {
		t.Fatal(err)
	}
	if err := page.WaitLoad(); err != nil {
		t.Fatal(err)
	}
	w := Watch(page, "/wapi/zpjob/rec/geek/list", "/wapi/zpchat/boss/geekInfo")
	defer w.Stop()
	ctx := testwait.Context(t, nil)
	if w.Seen("/wapi/zpjob/rec/geek/list") {
		t.Fatal("Seen before the page asked")
	}

	for _, id := range []string{"#other", "#load"} {
		el, err := page.Context(ctx).Element(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := el.Click("left", 1); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := w.Next(ctx, "geek/list")
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		HasMore  bool `json:"hasMore"`
		GeekList []struct {
			EncryptGeekID string `json:"encryptGeekId"`
		} `json:"geekList"`
	}
	if err := DecodeEnvelope(resp.Body, &data); err != nil {
		t.Fatal(err)
	}
	if !data.HasMore || len(data.GeekList) != 2 || data.GeekList[1].EncryptGeekID != "e2" || resp.Status != 200 {
		t.Fatalf("decoded %+v from %s", data, resp.Body)
	}
	// The second page answers the risk code: it decodes to ErrRisk.
	el, _ := page.Context(ctx).Element("#load")
	if err := el.Click("left", 1); err != nil {
		t.Fatal(err)
	}
	resp, err = w.Next(ctx, "geek/list")
	if err != nil {
		t.Fatal(err)
	}
	if err := DecodeEnvelope(resp.Body, nil); !errors.Is(err, ErrRisk) {
		t.Fatalf("code 37 decoded to %v, want ErrRisk", err)
	}
	if other := w.Drain("/wapi/other"); len(other) != 0 {
		t.Fatalf("watcher collected an unwatched URL: %v", other)
	}
	// Seen tells a request this page makes from one it never makes.
	if !w.Seen("/wapi/zpjob/rec/geek/list") || w.Seen("/wapi/zpchat/boss/geekInfo") {
		t.Fatalf("Seen: geek/list %v, geekInfo %v; want true, false", w.Seen("/wapi/zpjob/rec/geek/list"), w.Seen("/wapi/zpchat/boss/geekInfo"))
	}
	w.Stop()
	if _, err := w.Next(ctx, "geek/list"); !errors.Is(err, ErrWatchStopped) {
		t.Fatalf("Next after Stop = %v", err)
	}
}

func TestDecodeEnvelope(t *testing.T) {
	var v struct {
		UserID int64 `json:"userId"`
	}
	if err := DecodeEnvelope([]byte(`{"code":0,"message":"Success","zpData":{"userId":8800123}}`), &v); err != nil || v.UserID != 8800123 {
		t.Fatalf("ok envelope: %v %+v", err, v)
	}
	for body, want := range map[string]error{
		`{"code":7,"message":"当前登录状态已失效"}`: ErrLoggedOut,
		`{"code":9,"message":"请求过于频繁"}`:    ErrRisk,
		`{"code":1,"message":"今日沟通已达上限"}`:  ErrQuota,
	} {
		if err := DecodeEnvelope([]byte(body), nil); !errors.Is(err, want) {
			t.Errorf("%s -> %v, want %v", body, err, want)
		}
	}
	if err := DecodeEnvelope([]byte(`{"message":"x"}`), nil); err == nil {
		t.Error("an envelope without code was accepted")
	}
}

func TestLoadSelectors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s, err := LoadSelectors(write("ok.yaml", "greet_button: button.new-greet\nrisk_texts: [人机验证]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.GreetButton != "button.new-greet" || s.Editor != DefaultSelectors().Editor || s.RiskTexts[0] != "人机验证" {
		t.Fatalf("override not merged onto defaults: %+v", s)
	}
	_, err = LoadSelectors(write("typo.yaml", "greet_buton: x\n"))
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), `"greet_buton"`) {
		t.Fatalf("typo error = %v", err)
	}
	_, err = LoadSelectors(write("empty.yaml", "editor: \"\"\n"))
	if err == nil || !strings.Contains(err.Error(), "editor: must not be empty") {
		t.Fatalf("emptied selector error = %v", err)
	}
	if _, err := LoadSelectors(""); err != nil {
		t.Fatal(err)
	}
}

// configs/selectors.yaml documents the defaults: loading it must give them.
func TestSelectorsFileMatchesDefaults(t *testing.T) {
	s, err := LoadSelectors(filepath.Join("..", "configs", "selectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, DefaultSelectors()) {
		t.Fatalf("configs/selectors.yaml differs from DefaultSelectors():\n%+v\n%+v", s, DefaultSelectors())
	}
}
