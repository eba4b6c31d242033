package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

// pngBytes is a distinct small PNG per seed.
func pngBytes(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(0, 0, color.RGBA{uint8(seed), uint8(seed >> 8), 7, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a multipart form as curl --form does; fields in order.
func (e *env) upload(token, path string, fields [][3]string, content []byte) (int, []byte, http.Header) {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		if f[0] == "file" {
			w, _ := mw.CreateFormFile("file", f[1])
			w.Write(content)
		} else {
			mw.WriteField(f[0], f[1])
		}
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := e.do(req)
	return resp.StatusCode, b, resp.Header
}

func (e *env) uploadFile(name string, content []byte) uint64 {
	e.t.Helper()
	code, b, _ := e.upload(e.token, "/api/v1/file", [][3]string{{"file", name}, {"moduleName", "notification"}}, content)
	if code != 200 {
		e.t.Fatalf("upload %s: %d %s", name, code, b)
	}
	var a struct{ ID uint64 }
	mustJSON(e.t, b, &a)
	return a.ID
}

// seedShape checks every key of the seed's example exists in got with the
// same JSON kind (null in the example allows a string or null), recursing
// into objects and the first element of arrays.
func seedShape(t *testing.T, path string, seed, got any) {
	t.Helper()
	switch sv := seed.(type) {
	case map[string]any:
		gv, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: want an object, got %T (%v)", path, got, got)
			return
		}
		for k, v := range sv {
			g, ok := gv[k]
			if !ok {
				t.Errorf("%s.%s: missing in the answer", path, k)
				continue
			}
			seedShape(t, path+"."+k, v, g)
		}
	case []any:
		gv, ok := got.([]any)
		if !ok {
			t.Errorf("%s: want an array, got %T", path, got)
			return
		}
		if len(sv) > 0 && len(gv) > 0 {
			seedShape(t, path+"[0]", sv[0], gv[0])
		}
	case nil:
		if _, ok := got.(string); got != nil && !ok {
			t.Errorf("%s: want null or a string, got %T", path, got)
		}
	default:
		if fmt.Sprintf("%T", seed) != fmt.Sprintf("%T", got) {
			t.Errorf("%s: want a %T like %v, got %T %v", path, seed, seed, got, got)
		}
	}
}

// stripComments removes the seed's // comments (its examples are not JSON
// otherwise).
func stripComments(s string) string {
	return regexp.MustCompile(`(?m)\s*//[^\n"]*$`).ReplaceAllString(s, "")
}

var timeFmt = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// TestSeedFileExamples replays 《文件上传与访问》: the curl upload with the
// Bearer header, the answer field by field, deduplication, the download
// headers, and every validation rule with a 400 naming the field.
func TestSeedFileExamples(t *testing.T) {
	e := newEnv(t)
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
	code, b, _ := e.upload(e.token, "/api/file", [][3]string{{"file", "report.pdf"}, {"moduleName", "notification"}}, pdf)
	if code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	seedAnswer := `{"id": 123456, "fileName": "report.pdf", "signature": "a1b2c3d4", "fileSize": 1048576, "createTime": 1741773532634}`
	got := decodeAny(t, b)
	seedShape(t, "upload", decodeAny(t, []byte(seedAnswer)), got)
	var a struct {
		ID         uint64
		FileName   string
		Signature  string
		FileSize   int64
		CreateTime int64
	}
	mustJSON(t, b, &a)
	sum := sha256.Sum256(pdf)
	if a.FileName != "report.pdf" || a.Signature != hex.EncodeToString(sum[:]) || a.FileSize != int64(len(pdf)) ||
		a.CreateTime != e.clk.Now().UnixMilli() || a.ID == 0 {
		t.Fatalf("upload answer %+v", a)
	}
	if len(got.(map[string]any)) != 5 {
		t.Errorf("upload answer has extra fields: %s", b)
	}
	// The same content again (another name) is the same file.
	code, b, _ = e.upload(e.token, "/api/v1/file", [][3]string{{"moduleName", "other_module"}, {"file", "copy.pdf"}}, pdf)
	var a2 struct{ ID uint64 }
	mustJSON(t, b, &a2)
	if code != 200 || a2.ID != a.ID {
		t.Fatalf("dedup: %d %s, want id %d", code, b, a.ID)
	}
	if fi, err := os.Stat(filepath.Join(e.data, "files", a.Signature)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stored file: %v %v", fi, err)
	}

	// A PDF is personal data: no token, no file (and no hint it exists).
	path := fmt.Sprintf("/api/v1/file/%d", a.ID)
	if code, _ := e.callAs("", "GET", path, ""); code != 401 {
		t.Fatalf("pdf without token: %d", code)
	}
	if code, _ := e.callAs("", "GET", "/api/v1/file/999", ""); code != 401 {
		t.Fatalf("unknown id without token: %d", code)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, body := e.do(req)
	if resp.StatusCode != 200 || !bytes.Equal(body, pdf) {
		t.Fatalf("pdf with token: %d", resp.StatusCode)
	}
	want := map[string]string{
		"Content-Type":        "application/pdf",
		"Content-Disposition": `inline; filename="report.pdf"`,
		"Content-Length":      fmt.Sprint(len(pdf)),
		"Last-Modified":       e.clk.Now().UTC().Format(http.TimeFormat),
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
	}

	// An image is message content: served without a token (seed: 本接口无需认证).
	img := pngBytes(t, 1)
	id := e.uploadFile("海报 1.png", img)
	resp, body = e.do(mustReq(t, "GET", fmt.Sprintf("%s/api/file/%d", e.srv.URL, id)))
	if resp.StatusCode != 200 || !bytes.Equal(body, img) {
		t.Fatalf("image without token: %d", resp.StatusCode)
	}
	if resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		resp.Header.Get("Content-Length") != fmt.Sprint(len(img)) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline; ") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=utf-8''%E6%B5%B7%E6%8A%A5%201.png") {
		t.Fatalf("image headers %v", resp.Header)
	}

	// Validation: each a 400 naming the field, nothing stored.
	big := bytes.Repeat([]byte("x"), 21<<20)
	for _, c := range []struct {
		fields  [][3]string
		content []byte
		field   string
	}{
		{[][3]string{{"file", "a.txt"}}, []byte("hi"), "moduleName"},
		{[][3]string{{"moduleName", "notification"}}, nil, "file"},
		{[][3]string{{"file", "a.txt"}, {"moduleName", ""}}, []byte("hi"), "moduleName"},
		{[][3]string{{"file", "a.txt"}, {"moduleName", "bad-name"}}, []byte("hi"), "moduleName"},
		{[][3]string{{"file", "a.txt"}, {"moduleName", strings.Repeat("m", 51)}}, []byte("hi"), "moduleName"},
		{[][3]string{{"moduleName", "notification"}, {"file", "empty.txt"}}, []byte{}, "file"},
		{[][3]string{{"moduleName", "notification"}, {"file", ""}}, []byte("hi"), "file"},
		{[][3]string{{"moduleName", "notification"}, {"file", "big.bin"}}, big, "file"},
		{[][3]string{{"moduleName", "notification"}, {"file", "a.txt"}, {"extra", "1"}}, []byte("hi"), "extra"},
	} {
		code, b, _ := e.upload(e.token, "/api/v1/file", c.fields, c.content)
		var er struct{ Field string }
		json.Unmarshal(b, &er)
		if code != 400 || er.Field != c.field {
			t.Errorf("%v: %d %s, want 400 naming %s", c.fields, code, b, c.field)
		}
	}
	if code, _, _ := e.upload("", "/api/v1/file", [][3]string{{"file", "a.txt"}, {"moduleName", "m"}}, []byte("x")); code != 401 {
		t.Errorf("upload without token: %d", code)
	}
	entries, _ := os.ReadDir(filepath.Join(e.data, "files"))
	if len(entries) != 2 {
		for _, en := range entries {
			t.Log(en.Name())
		}
		t.Errorf("files dir holds %d entries, want the pdf and the png only", len(entries))
	}
}

func mustReq(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// seedNotifyCreate is the seed's creation example, literally (comments and all).
const seedNotifyCreate = `{
"taskName": "双十一促销提醒",
"taskType": "CUSTOMER_RESOURCE_REMINDER",
"scheduledStartTime": "2023-11-10 09:00:00",
"scheduledEndTime": "2023-11-10 19:00:00",
"contents": [
{
"contentType": "TEXT",
"contentValue": "尊敬的{{name}},您的专属优惠即将到期!"
},
{
"contentType": "IMAGE",
"contentValue": "https://szhl.hypers.com.cn/api/file/17"
}
],
"fileIds": [12345, 45678], // 通过文件上传接口上传的Excel的文件ID,与members仅能选一个
"members": [ // 直接通过接口传入会员列表(以及动态参数)
{
"userId": "222", // 与ciq必须存在一个
"ciq": "333",
"nickname": "zhangsan"
}
]
}`

const seedNotifyCreateAnswer = `{"id": 34, "createTime": "2025-04-24 14:48:40", "lastUpdateTime": "2025-04-24 14:49:19",
"taskName": "双十一促销提醒", "taskType": "CUSTOMER_RESOURCE_REMINDER", "status": "PENDING",
"scheduledStartTime": "2025-04-24 17:36:40", "scheduledEndTime": "2025-04-24 18:36:40", "totalMembers": 2}`

const seedGetAnswer = `{"id": 789, "taskName": "双十一促销提醒", "taskType": "CUSTOMER_RESOURCE_REMINDER", "status": "COMPLETED",
"scheduledStartTime": "2023-11-10 09:00:00", "scheduledEndTime": "2023-11-10 19:00:05",
"statistics": {"totalMembers": 3, "successCount": 2},
"contents": [{"type":"TEXT","value":"尊敬的{{name}}..."}, {"type":"IMAGE","value":"https://..."}],
"fileIds": [12345, 45678], "members": []}`

const seedListAnswer = `{"page": {"current": 0, "size": 20, "total": 14}, "records": [{"id": 789, "taskName": "双十一促销提醒",
"taskType": "CUSTOMER_RESOURCE_REMINDER", "status": "COMPLETED", "scheduledStartTime": "2023-11-10 09:00:00",
"scheduledEndTime": "2023-11-10 19:00:00", "contents": [{"contentType":"TEXT","contentValue":"尊敬的{{name}}..."},
{"contentType":"IMAGE","contentValue":"https://..."}]}]}`

const seedExecAnswer = `{"page": {"current": 0, "size": 20, "total": 14}, "records": [
{"memberId": 123, "memberName": "张三(nickname)", "status": "COMPLETED", "executeTime": "2024-11-10 09:00:05"},
{"memberId": 124, "memberName": "李四", "status": "FAILED", "executeTime": null}]}`

// seedEnv is a control plane on 2023-11-10 08:00 Shanghai (the seed's
// day) with 17 uploaded images (the example points at file 17) and 333
// contacts on account acc1, the 333rd being candidate 222 (the example's
// userId 222 / ciq 333).
func seedEnv(t *testing.T) *env {
	e := newEnvAt(t, time.Date(2023, 11, 10, 8, 0, 0, 0, clock.Shanghai))
	for i := 1; i <= 17; i++ {
		if id := e.uploadFile(fmt.Sprintf("img%d.png", i), pngBytes(t, i)); id != uint64(i) {
			t.Fatalf("image %d got id %d", i, id)
		}
	}
	var cs []wire.ContactInput
	for i := 1; i <= 333; i++ {
		cs = append(cs, wire.ContactInput{Account: "acc1", CandidateID: fmt.Sprint(90000 + i), Name: fmt.Sprintf("候选人%d", i)})
	}
	cs[332].CandidateID, cs[332].Name = "222", "张三"
	if res := e.pushContacts(cs...); res[332].ID != 333 {
		t.Fatalf("contact ids: %+v", res[332])
	}
	return e
}

// TestSeedNotificationExamples replays every notification-task example of
// seed 002 literally with the Bearer header and compares the answers with
// the seed's examples field by field.
func TestSeedNotificationExamples(t *testing.T) {
	e := seedEnv(t)
	// The literal example gives fileIds AND members, which its own rule
	// (与members仅能选一个) forbids: 400 naming fileIds.
	code, b := e.call("POST", "/api/v1/notification-tasks", stripComments(seedNotifyCreate))
	var er struct{ Field, Detail string }
	mustJSON(t, b, &er)
	if code != 400 || er.Field != "fileIds" {
		t.Fatalf("literal example: %d %s, want 400 on fileIds", code, b)
	}
	// Without fileIds it is created.
	body := strings.Replace(stripComments(seedNotifyCreate), `"fileIds": [12345, 45678],`, "", 1)
	code, b = e.call("POST", "/api/v1/notification-tasks", body)
	if code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	got := decodeAny(t, b).(map[string]any)
	seedShape(t, "create", decodeAny(t, []byte(seedNotifyCreateAnswer)), got)
	for k, v := range map[string]any{"taskName": "双十一促销提醒", "taskType": "CUSTOMER_RESOURCE_REMINDER", "status": "PENDING",
		"scheduledStartTime": "2023-11-10 09:00:00", "scheduledEndTime": "2023-11-10 19:00:00", "totalMembers": 1.0,
		"createTime": "2023-11-10 08:00:00", "lastUpdateTime": "2023-11-10 08:00:00"} {
		if got[k] != v {
			t.Errorf("create.%s = %v, want %v", k, got[k], v)
		}
	}
	id := uint64(got["id"].(float64))

	// GET before the window: PENDING, the seed's shape.
	code, b = e.call("GET", fmt.Sprintf("/api/v1/notification-tasks/%d", id), "")
	if code != 200 {
		t.Fatalf("get: %d %s", code, b)
	}
	g := decodeAny(t, b).(map[string]any)
	seedGet := decodeAny(t, []byte(seedGetAnswer)).(map[string]any)
	seedGet["members"] = []any{map[string]any{"userId": "222"}} // the seed's list is empty; ours echoes the inline members
	seedShape(t, "get", seedGet, g)
	if g["status"] != "PENDING" || g["statistics"].(map[string]any)["totalMembers"] != 1.0 ||
		g["contents"].([]any)[1].(map[string]any)["value"] != "https://szhl.hypers.com.cn/api/file/17" {
		t.Fatalf("get: %s", b)
	}
	m := g["members"].([]any)[0].(map[string]any)
	if m["userId"] != "222" || m["memberId"] != 333.0 || m["nickname"] != "zhangsan" {
		t.Errorf("echoed member %v", m)
	}

	// List (taskType is required).
	if code, b := e.call("GET", "/api/v1/notification-tasks", ""); code != 400 || !bytes.Contains(b, []byte(`"field":"taskType"`)) {
		t.Errorf("list without taskType: %d %s", code, b)
	}
	code, b = e.call("GET", "/api/v1/notification-tasks?taskType=CUSTOMER_RESOURCE_REMINDER&current=0&size=20", "")
	if code != 200 {
		t.Fatalf("list: %d %s", code, b)
	}
	seedShape(t, "list", decodeAny(t, []byte(seedListAnswer)), decodeAny(t, b))
	var list struct {
		Page    struct{ Current, Size, Total int }
		Records []struct{ ID uint64 }
	}
	mustJSON(t, b, &list)
	if list.Page.Total != 1 || list.Page.Size != 20 || len(list.Records) != 1 || list.Records[0].ID != id {
		t.Errorf("list: %s", b)
	}

	// Inside the window the task is EXECUTING; the worker of acc1 gets the
	// member with {{name}} rendered from the nickname.
	e.clk.Set(time.Date(2023, 11, 10, 9, 30, 0, 0, clock.Shanghai))
	ds, err := e.db.NotifyDeliveries(testWorker, 5)
	if err != nil || len(ds) != 1 || ds[0].CandidateID != "222" || ds[0].Account != "acc1" ||
		ds[0].Parts[0].ContentValue != "尊敬的zhangsan,您的专属优惠即将到期!" || ds[0].Parts[1].FileID != 17 {
		t.Fatalf("deliveries %+v %v", ds, err)
	}

	// Terminate: the seed's request and answer.
	code, b = e.call("PUT", fmt.Sprintf("/api/v1/notification-tasks/%d/termination", id), `{
"reason": "客户临时取消活动"
}`)
	if code != 200 || string(bytes.TrimSpace(b)) != `{"currentStatus":"TERMINATED","previousStatus":"EXECUTING"}` {
		t.Fatalf("terminate: %d %s", code, b)
	}
	// Only PENDING or EXECUTING tasks: a second termination is a 400.
	code, b = e.call("PUT", fmt.Sprintf("/api/v1/notification-tasks/%d/termination", id), `{"reason": "again"}`)
	if code != 400 || !bytes.Contains(b, []byte(`"field":"status"`)) {
		t.Errorf("second termination: %d %s", code, b)
	}
	if ds, _ := e.db.NotifyDeliveries(testWorker, 5); len(ds) != 0 {
		t.Errorf("a terminated task still hands out %d deliveries", len(ds))
	}

	// Executions: the seed's shape; the member failed with the reason.
	code, b = e.call("GET", fmt.Sprintf("/api/v1/notification-tasks/%d/executions?current=0&size=20&orderBy=executeTime&orderDirection=DESC", id), "")
	if code != 200 {
		t.Fatalf("executions: %d %s", code, b)
	}
	seedExec := decodeAny(t, []byte(seedExecAnswer)).(map[string]any)
	seedExec["records"] = seedExec["records"].([]any)[1:] // our only member failed, like the seed's second record
	seedShape(t, "executions", seedExec, decodeAny(t, b))
	var ex struct {
		Page    struct{ Total int }
		Records []map[string]any
	}
	mustJSON(t, b, &ex)
	r := ex.Records[0]
	if ex.Page.Total != 1 || r["memberId"] != 333.0 || r["memberName"] != "zhangsan" || r["status"] != "FAILED" ||
		r["executeTime"] != nil || r["failureReason"] != "task terminated: 客户临时取消活动" {
		t.Errorf("executions %s", b)
	}
	code, b = e.call("GET", fmt.Sprintf("/api/v1/notification-tasks/%d", id), "")
	mustJSON(t, b, &g)
	if g["status"] != "TERMINATED" || g["statistics"].(map[string]any)["successCount"] != 0.0 {
		t.Errorf("after termination: %s", b)
	}
	for _, bad := range []string{"/api/v1/notification-tasks/0", "/api/v1/notification-tasks/x/executions"} {
		if code, b := e.call("GET", bad, ""); code != 400 || !bytes.Contains(b, []byte(`"field":"taskId"`)) {
			t.Errorf("%s: %d %s", bad, code, b)
		}
	}
	if code, _ := e.call("GET", "/api/v1/notification-tasks/99", ""); code != 404 {
		t.Errorf("unknown task: %d", code)
	}
	if code, _ := e.callAs("", "GET", "/api/v1/notification-tasks?taskType=APPOINTMENT_REMINDER", ""); code != 401 {
		t.Errorf("list without token: %d", code)
	}
}

// TestNotifyValidation: every rule of the seed, each a 400 naming the
// field, and nothing created.
func TestNotifyValidation(t *testing.T) {
	e := seedEnv(t)
	base := map[string]any{
		"taskName": "t", "taskType": "APPOINTMENT_REMINDER", "scheduledStartTime": "2023-11-10 09:00:00",
		"contents": []any{map[string]any{"contentType": "TEXT", "contentValue": "你好{{name}},{{city}}见"}},
		"members":  []any{map[string]any{"userId": "222", "name": "张三", "city": "杭州"}},
	}
	with := func(k string, v any) string {
		m := map[string]any{}
		for kk, vv := range base {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	xlsx := e.uploadFile("members.xlsx", memberXLSX(t, []string{"userId", "name"}, [][]string{{"222", "张三"}}))
	pdf := e.uploadFile("a.pdf", []byte("%PDF-1.4 x"))
	cases := []struct{ body, field string }{
		{with("taskName", nil), "taskName"},
		{with("taskName", "  "), "taskName"},
		{with("taskName", strings.Repeat("名", 121)), "taskName"},
		{with("taskType", nil), "taskType"},
		{with("taskType", "GROUP"), "taskType"},
		{with("scheduledStartTime", nil), "scheduledStartTime"},
		{with("scheduledStartTime", "2023-11-10T09:00:00"), "scheduledStartTime"},
		{with("scheduledEndTime", "2023-11-11 09:30:00"), "scheduledEndTime"},
		{with("scheduledEndTime", "2023-11-10 08:59:00"), "scheduledEndTime"},
		{with("scheduledEndTime", "10:00"), "scheduledEndTime"},
		{with("scheduledStartTime", "2023-11-10 22:30:00"), "scheduledEndTime"}, // default 22:00 not after start
		{with("scheduledStartTime", "2023-11-09 09:00:00"), "scheduledEndTime"}, // window already over
		{with("contents", []any{}), "contents"},
		{with("contents", []any{map[string]any{"contentValue": "x"}}), "contents[0].contentType"},
		{with("contents", []any{map[string]any{"contentType": "VIDEO", "contentValue": "x"}}), "contents[0].contentType"},
		{with("contents", []any{map[string]any{"contentType": "TEXT"}}), "contents[0].contentValue"},
		{with("contents", []any{map[string]any{"contentType": "TEXT", "contentValue": strings.Repeat("字", 1025)}}), "contents[0].contentValue"},
		{with("contents", []any{map[string]any{"contentType": "IMAGE", "contentValue": "https://example.com/a.png"}}), "contents[0].contentValue"},
		{with("contents", []any{map[string]any{"contentType": "IMAGE", "contentValue": "http://x/api/v1/file/999"}}), "contents[0].contentValue"},
		{with("contents", []any{map[string]any{"contentType": "IMAGE", "contentValue": fmt.Sprintf("http://x/api/v1/file/%d", pdf)}}), "contents[0].contentValue"},
		{with("members", nil), "members"},
		{with("members", []any{map[string]any{"nickname": "x", "name": "a", "city": "b"}}), "members[0].userId"},
		{with("members", []any{map[string]any{"userId": "222", "name": "张三"}}), "members[0].city"},
		{with("members", []any{map[string]any{"userId": "222", "name": "张三", "city": ""}}), "members[0].city"},
		{with("members", []any{map[string]any{"userId": "222", "ciq": "abc", "name": "a", "city": "b"}}), "members[0].ciq"},
		{with("members", []any{map[string]any{"userId": "222", "name": "a", "city": []any{1}}}), "members[0].city"},
		{with("members", []any{map[string]any{"userId": "222", "bad-key": "a", "name": "a", "city": "b"}}), "members[0].bad-key"},
		{with("fileIds", []any{xlsx}), "fileIds"},   // both fileIds and members
		{`{"taskName":"t","unknown":1}`, "unknown"}, // unknown fields are rejected by name
		{with("fileIds", "12"), "fileIds"},          // wrong type
		{with("members", []any{map[string]any{"userId": "222", "name": "张三", "city": strings.Repeat("c", 513)}}), "members[0].city"},
	}
	for i, c := range cases {
		code, b := e.call("POST", "/api/v1/notification-tasks", c.body)
		var er struct{ Field string }
		json.Unmarshal(b, &er)
		if code != 400 || er.Field != c.field {
			t.Errorf("case %d: %d %s, want 400 naming %s", i, code, b, c.field)
		}
	}
	// fileIds alone: unknown file, not a spreadsheet, missing column.
	noMembers := func(ids ...uint64) string {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		delete(m, "members")
		m["fileIds"] = ids
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, c := range []struct {
		body, field, detail string
	}{
		{noMembers(999), "fileIds[0]", "does not exist"},
		{noMembers(pdf), "fileIds[0]", "not a readable .xlsx"},
		{noMembers(xlsx), "fileIds[0]", `no column \"city\"`},
	} {
		code, b := e.call("POST", "/api/v1/notification-tasks", c.body)
		if code != 400 || !bytes.Contains(b, []byte(`"field":"`+c.field+`"`)) || !bytes.Contains(b, []byte(c.detail)) {
			t.Errorf("%s: %d %s", c.body, code, b)
		}
	}
	if tasks, total, _ := e.db.ListNotifyTasks(wire.NotifyTaskFilter{TaskType: wire.NotifyAppointmentReminder}, 0, 10); total != 0 {
		t.Errorf("rejected requests created %d tasks: %+v", total, tasks)
	}
}

// newEnvAt is newEnv with the store's and the server's clock starting at
// start (the seed's examples are dated 2023-11-10).
func newEnvAt(t *testing.T, start time.Time) *env {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewManual(start)
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser(testUser, testPassword), db.PutClient(testClient, testSecret), db.PutWorker(testWorker, testWorkerTk)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, db: db, clk: clk, data: dir}
	e.srv = httptest.NewServer(nil)
	t.Cleanup(e.srv.Close)
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: e.srv.URL, MaxBodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	e.api = s
	e.srv.Config.Handler = s.Handler()
	e.token = e.login(testUser, testPassword).AccessToken
	return e
}

// memberXLSX builds a member list.
func memberXLSX(t testing.TB, header []string, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	row := func(i int, cells []string) {
		vals := make([]any, len(cells))
		for j, c := range cells {
			vals[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, vals); err != nil {
			t.Fatal(err)
		}
	}
	row(1, header)
	for i, r := range rows {
		row(i+2, r)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNotifyExcelMembersAndLifecycle: a task from an Excel list (with a
// per-row report for a bad list), resolution of members to accounts,
// delivery inside the window, claim, acks, the window's end and the
// executions' orders.
func TestNotifyExcelMembersAndLifecycle(t *testing.T) {
	e := seedEnv(t)
	e.clk.Advance(time.Second)
	e.pushContacts(wire.ContactInput{Account: "acc2", CandidateID: "90001", Name: "另一个"}) // 90001 also talks to acc2 (newer)

	// The published template is a valid (if example) member list.
	req := mustReq(t, "GET", e.srv.URL+"/api/v1/notification-tasks/member-template")
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, tpl := e.do(req)
	if resp.StatusCode != 200 {
		t.Fatalf("template: %d", resp.StatusCode)
	}
	sheet, err := excelize.OpenReader(bytes.NewReader(tpl))
	if err != nil {
		t.Fatal(err)
	}
	hdr, _ := sheet.GetRows(sheet.GetSheetList()[0])
	if strings.Join(hdr[0], ",") != "userId,ciq,account,nickname,name" {
		t.Errorf("template header %v", hdr[0])
	}

	bad := e.uploadFile("bad.xlsx", memberXLSX(t, []string{"userId", "ciq", "name"}, [][]string{
		{"90002", "", "王五"}, {"", "", "no id"}, {"90003", "x1", "赵六"}, {"90004", "", ""},
	}))
	body := fmt.Sprintf(`{"taskName":"excel","taskType":"APPOINTMENT_REMINDER","scheduledStartTime":"2023-11-10 09:00:00",
"scheduledEndTime":"2023-11-10 10:00:00","contents":[{"contentType":"TEXT","contentValue":"{{name}}您好"}],"fileIds":[%d]}`, bad)
	code, b := e.call("POST", "/api/v1/notification-tasks", body)
	var rep struct {
		Field  string
		Errors []struct {
			Row     int
			Column  string
			Message string
		}
	}
	mustJSON(t, b, &rep)
	if code != 400 || rep.Field != "fileIds[0]" || len(rep.Errors) != 3 || rep.Errors[0].Row != 3 || rep.Errors[1].Column != "ciq" ||
		rep.Errors[2].Row != 5 || rep.Errors[2].Column != "name" {
		t.Fatalf("bad list: %d %s", code, b)
	}

	var rows [][]string
	for i := 1; i <= 6; i++ {
		rows = append(rows, []string{fmt.Sprint(90000 + i), "", fmt.Sprintf("成员%d", i)})
	}
	rows = append(rows, []string{"no-such-candidate", "", "路人"}, []string{"", "5", "按联系人"}, []string{"90001", "", "指定账号"})
	rows[8] = append(rows[8], "acc1")
	good := e.uploadFile("good.xlsx", memberXLSX(t, []string{"userId", "ciq", "name", "account"}, rows))
	body = strings.Replace(body, fmt.Sprintf("[%d]", bad), fmt.Sprintf("[%d]", good), 1)
	code, b = e.call("POST", "/api/v1/notification-tasks", body)
	if code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	var task struct {
		ID           uint64
		TotalMembers int
		Status       string
	}
	mustJSON(t, b, &task)
	if task.TotalMembers != 9 || task.Status != "PENDING" {
		t.Fatalf("task %s", b)
	}
	if ds, _ := e.db.NotifyDeliveries(testWorker, 100); len(ds) != 0 {
		t.Fatalf("deliveries before the window: %d", len(ds))
	}
	e.clk.Set(time.Date(2023, 11, 10, 9, 0, 0, 0, clock.Shanghai))
	ds, err := e.db.NotifyDeliveries(testWorker, 100)
	if err != nil {
		t.Fatal(err)
	}
	byAcc := map[string][]string{}
	for _, d := range ds {
		byAcc[d.Account] = append(byAcc[d.Account], d.CandidateID+":"+d.Parts[0].ContentValue)
	}
	// 90001 goes through acc2 (its newer conversation), except the row
	// that pins acc1; ciq 5 is contact 5 (candidate 90005 on acc1).
	wantAcc1 := "90002:成员2您好,90003:成员3您好,90004:成员4您好,90005:成员5您好,90006:成员6您好,90005:按联系人您好,90001:指定账号您好"
	if strings.Join(byAcc["acc1"], ",") != wantAcc1 || strings.Join(byAcc["acc2"], ",") != "90001:成员1您好" {
		t.Fatalf("deliveries %v", byAcc)
	}
	// The batch limit bounds what one pull hands out per account.
	if ds, _ := e.db.NotifyDeliveries(testWorker, 2); len(ds) != 3 {
		t.Errorf("limit 2 per account: %d deliveries", len(ds))
	}
	// Another worker cannot claim or ack acc1's members.
	if err := e.db.PutWorker("worker-002", "token-of-worker-two-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ClaimNotify("worker-002", task.ID, 2, 0); err == nil {
		t.Fatal("a foreign worker claimed a member")
	}
	// Member 2 succeeds (claim, ack), member 3 fails, member 4 is claimed
	// and never reported; then the window ends.
	at := time.Date(2023, 11, 10, 9, 5, 0, 0, clock.Shanghai)
	if r, err := e.db.ClaimNotify(testWorker, task.ID, 2, 0); err != nil || !r.OK {
		t.Fatalf("claim: %+v %v", r, err)
	}
	for _, a := range []wire.NotifyAck{{TaskID: task.ID, Seq: 2, Sent: true, At: at}, {TaskID: task.ID, Seq: 2, Sent: true, At: at.Add(time.Hour)},
		{TaskID: task.ID, Seq: 3, Sent: false, Reason: "the candidate opted out"}} {
		if err := e.db.AckNotify(testWorker, a); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := e.db.ClaimNotify(testWorker, task.ID, 4, 0); !r.OK || r.Resumed {
		t.Fatalf("claim 4: %+v", r)
	}
	if r, _ := e.db.ClaimNotify(testWorker, task.ID, 4, 0); !r.OK || !r.Resumed {
		t.Fatalf("claim 4 again (after a crash): %+v", r)
	}
	e.clk.Set(time.Date(2023, 11, 10, 10, 0, 0, 0, clock.Shanghai))
	if r, _ := e.db.ClaimNotify(testWorker, task.ID, 5, 0); r.OK {
		t.Fatal("claimed after the window")
	}
	code, b = e.call("GET", fmt.Sprintf("/api/v1/notification-tasks/%d/executions?orderBy=status&size=100", task.ID), "")
	var ex struct {
		Records []struct {
			MemberName, Status, FailureReason string
			ExecuteTime                       *string
		}
	}
	mustJSON(t, b, &ex)
	var got []string
	for _, r := range ex.Records {
		got = append(got, r.MemberName+"/"+r.Status+"/"+r.FailureReason)
	}
	// FAILED first, then PENDING, then SUCCESS; member order inside.
	want := "成员1/FAILED/scheduledEndTime reached before delivery,成员3/FAILED/the candidate opted out," +
		"成员5/FAILED/scheduledEndTime reached before delivery,成员6/FAILED/scheduledEndTime reached before delivery," +
		"路人/FAILED/no conversation with this candidate on any account," +
		"按联系人/FAILED/scheduledEndTime reached before delivery,指定账号/FAILED/scheduledEndTime reached before delivery," +
		"成员4/PENDING/,成员2/SUCCESS/"
	if code != 200 || strings.Join(got, ",") != want {
		t.Fatalf("executions by status:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	if ex.Records[8].ExecuteTime == nil || *ex.Records[8].ExecuteTime != "2023-11-10 09:05:00" || !timeFmt.MatchString(*ex.Records[8].ExecuteTime) {
		t.Errorf("execute time %v", ex.Records[8].ExecuteTime)
	}
	t1, _ := e.db.NotifyTask(task.ID)
	if t1.Status != wire.NotifyExecuting || t1.SuccessCount != 1 || t1.FailedCount != 7 {
		t.Fatalf("task while member 4 is out: %+v", t1)
	}
	// The claimed member reports late: counted, and the task completes.
	if err := e.db.AckNotify(testWorker, wire.NotifyAck{TaskID: task.ID, Seq: 4, Sent: true, At: at}); err != nil {
		t.Fatal(err)
	}
	t1, _ = e.db.NotifyTask(task.ID)
	if t1.Status != wire.NotifyCompleted || t1.SuccessCount != 2 || t1.FailedCount != 7 {
		t.Fatalf("task after the last ack: %+v", t1)
	}
	// executeTime DESC: successes (newest first), then the nulls.
	code, b = e.call("GET", fmt.Sprintf("/api/v1/notification-tasks/%d/executions?orderBy=executeTime&orderDirection=DESC&size=2&current=0", task.ID), "")
	mustJSON(t, b, &ex)
	if len(ex.Records) != 2 || ex.Records[0].Status != "SUCCESS" || ex.Records[1].Status != "SUCCESS" {
		t.Errorf("DESC page: %s", b)
	}
	// Member order pages (seek straight to the page).
	for q, want := range map[string]string{
		"size=4&current=1":                     "成员5,成员6,路人,按联系人",
		"size=4&current=1&orderDirection=DESC": "成员5,成员4,成员3,成员2",
		"size=4&current=2":                     "指定账号",
		"size=4&current=2&orderDirection=DESC": "成员1",
		"size=4&current=3":                     "",
		"size=4&current=3&orderDirection=DESC": "",
	} {
		code, b := e.call("GET", fmt.Sprintf("/api/v1/notification-tasks/%d/executions?%s", task.ID, q), "")
		var pg struct{ Records []struct{ MemberName string } }
		mustJSON(t, b, &pg)
		var names []string
		for _, r := range pg.Records {
			names = append(names, r.MemberName)
		}
		if code != 200 || strings.Join(names, ",") != want {
			t.Errorf("%s: %d %v, want %s", q, code, names, want)
		}
	}
	for _, q := range []string{"size=101", "size=0", "current=-1", "orderBy=name", "orderDirection=UP"} {
		code, b := e.call("GET", fmt.Sprintf("/api/v1/notification-tasks/%d/executions?%s", task.ID, q), "")
		if code != 400 {
			t.Errorf("%s: %d %s", q, code, b)
		}
	}
	// Filters of the list.
	for q, n := range map[string]int{
		"taskType=APPOINTMENT_REMINDER":                                        1,
		"taskType=APPOINTMENT_REMINDER&status=COMPLETED":                       1,
		"taskType=APPOINTMENT_REMINDER&status=PENDING":                         0,
		"taskType=CUSTOMER_RESOURCE_REMINDER":                                  0,
		"taskType=APPOINTMENT_REMINDER&startTime=2023-11-10%2009:00:01":        0,
		"taskType=APPOINTMENT_REMINDER&endTime=2023-11-10%2009:00:00":          1,
		"taskType=APPOINTMENT_REMINDER&startTime=2023-11-10%2008:00:00&size=1": 1,
	} {
		code, b := e.call("GET", "/api/v1/notification-tasks?"+q, "")
		var l struct{ Page struct{ Total int } }
		mustJSON(t, b, &l)
		if code != 200 || l.Page.Total != n {
			t.Errorf("%s: %d %s, want total %d", q, code, b, n)
		}
	}
	_ = io.Discard
}

// TestNotifyRoutesNeedAuth: every files and notification route refuses a
// missing, garbage or wrong-kind token; only an image is served without one.
func TestNotifyRoutesNeedAuth(t *testing.T) {
	e := newEnv(t)
	pdf := e.uploadFile("a.pdf", []byte("%PDF-1.4 personal data"))
	img := e.uploadFile("a.png", pngBytes(t, 9))
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/file"}, {"POST", "/api/file"}, {"GET", fmt.Sprintf("/api/v1/file/%d", pdf)},
		{"GET", fmt.Sprintf("/api/file/%d", pdf)}, {"GET", "/api/v1/file/999"},
		{"POST", "/api/v1/notification-tasks"}, {"GET", "/api/v1/notification-tasks"},
		{"GET", "/api/v1/notification-tasks/member-template"}, {"GET", "/api/v1/notification-tasks/1"},
		{"PUT", "/api/v1/notification-tasks/1/termination"}, {"GET", "/api/v1/notification-tasks/1/executions"},
		{"GET", "/api/worker/notify-deliveries"}, {"POST", "/api/worker/notify-claim"}, {"POST", "/api/worker/notify-acks"},
	}
	for _, rt := range routes {
		for _, tok := range []string{"", "garbage", testWorkerTk, e.token} {
			isWorker := strings.HasPrefix(rt.path, "/api/worker/")
			if (tok == testWorkerTk && isWorker) || (tok == e.token && !isWorker) {
				continue // the right credential
			}
			if code, body := e.callAs(tok, rt.method, rt.path, ""); code != 401 {
				t.Errorf("%s %s with token %q: %d %s", rt.method, rt.path, tok, code, body)
			}
		}
	}
	for _, tok := range []string{"", "garbage", testWorkerTk} {
		if code, _ := e.callAs(tok, "GET", fmt.Sprintf("/api/v1/file/%d", img), ""); code != 200 {
			t.Errorf("image with token %q: %d", tok, code)
		}
	}
}
