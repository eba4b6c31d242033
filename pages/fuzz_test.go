package pages

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeEnvelope feeds arbitrary bodies to the decoder of the site's
// XHR answers (recommend list, chat list, history, user info): it must
// return data or an error, never panic, and report success only for a
// body whose code is 0.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"code":0,"message":"Success","zpData":{"hasMore":true,"geekList":[{"encryptGeekId":"e1"},{"encryptGeekId":"e2"}]}}`,
		`{"code":0,"message":"Success","zpData":{"userId":8800123}}`,
		`{"code":7,"message":"当前登录状态已失效"}`, `{"code":9,"message":"请求过于频繁"}`, `{"code":1,"message":"今日沟通已达上限"}`,
		`{"code":37,"message":"环境异常","zpData":{}}`,
		`{"code":0,"zpData":{"friendList":[{"encryptUid":"u1","name":"张三","lastMsg":"你好","lastTime":1700000000000,"unreadCount":2}]}}`,
		`{"code":0,"zpData":{"messages":[{"mid":1,"from":{"uid":1},"to":{"uid":2},"body":{"type":1,"text":"微信 abc"},"time":1}],"hasMore":false}}`,
		`{"code":0,"zpData":null}`, `{"message":"no code"}`, `[]`, `null`, ``, `{"code":"0"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&GeekPage{}, &friendList{}, &History{}, &UserInfo{}, nil}
		for _, v := range targets {
			err := DecodeEnvelope(body, v)
			if err != nil {
				var se *SiteError
				if errors.As(err, &se) && se.Code == 0 {
					t.Fatalf("%q: site error with code 0", body)
				}
				continue
			}
			var env struct {
				Code *int `json:"code"`
			}
			if json.Unmarshal(body, &env) != nil || env.Code == nil || *env.Code != 0 {
				t.Fatalf("%q: success reported for a body whose code is not 0", body)
			}
		}
	})
}
