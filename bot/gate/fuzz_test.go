package gate

import (
	"testing"
	"unicode/utf8"
)

// FuzzCheck: the gate never panics, is deterministic, blocks empty text,
// and a text it passes contains no mobile number (the property that
// matters most: nothing that dials somebody else leaves the bot).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"薪资15-20K", "加我微信 abc12345", "https://x.cn", "作为AI", "", "月薪1.5万至2万元", "13800138000", "１３８００１３８０００", "年薪 30w", "9:00-18:00"} {
		f.Add(s)
	}
	p := Policy{SalaryMinK: 10, SalaryMaxK: 20, OwnContacts: []string{"own_wx_001"}}
	f.Fuzz(func(t *testing.T, s string) {
		v1 := p.Check(s, []string{"好的"})
		v2 := p.Check(s, []string{"好的"})
		if v1 != v2 {
			t.Fatalf("not deterministic: %+v %+v", v1, v2)
		}
		if !utf8.ValidString(v1.Detail) {
			t.Fatalf("invalid detail %q", v1.Detail)
		}
		if !v1.Blocked() {
			for _, c := range extractPhones(s) {
				t.Fatalf("passed a text with phone %q", c)
			}
		}
	})
}
