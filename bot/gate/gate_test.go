package gate

import (
	"github.com/hunterbot/hunterbot/rules"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	job := Policy{SalaryMinK: 15, SalaryMaxK: 20, OwnContacts: []string{"hr_zhang2024", "13911112222"},
		Facts: []string{"餐补20元/天，五险一金，周末双休", "地点：北京市朝阳区望京SOHO T1"}}
	cases := []struct {
		name   string
		p      Policy
		text   string
		recent []string
		want   Reason
	}{
		{"plain answer", job, "您好，岗位在望京，周末双休，方便加个微信细聊吗？", nil, OK},
		{"salary in range", job, "薪资15-20K，看经验定", nil, OK},
		{"salary in range as 万", job, "月薪1.5万到2万", nil, OK},
		{"salary in range as yuan", job, "底薪15000元，综合到手两万左右", nil, OK},
		{"salary above range", job, "薪资可以给到25-30K", nil, Salary},
		{"salary invented in 万", job, "月薪3万起", nil, Salary},
		{"yearly pay converted", job, "年薪36万", nil, Salary},
		{"yearly pay in range", job, "年薪20万到24万", nil, OK},
		{"bare number after a salary word", job, "工资8000", nil, Salary},
		{"no range: every figure blocked", Policy{}, "薪资15K", nil, Salary},
		{"no range, scripts allowed", Policy{AllowSalaryFigures: true}, "薪资15K", nil, OK},
		{"approved fact figure", job, "另外有餐补20元一天", nil, OK},
		{"a fact's number with another unit approves nothing", Policy{SalaryMinK: 15, SalaryMaxK: 20, Facts: []string{"9:30-18:30"}}, "薪资能给到30K", nil, Salary},
		{"small amount not salary", job, "路费报销50块", nil, OK},
		{"time of day is no figure", job, "上班时间9:00-18:00", nil, OK},
		{"year is no figure", job, "公司2015年成立", nil, OK},
		{"url", job, "详情见 https://jobs.example.com/123", nil, URL},
		{"bare host", job, "投递到 hire-me.cn 就行", nil, URL},
		{"allowed url", Policy{AllowedURLPrefixes: []string{"https://careers.acme.com/"}}, "岗位详情 https://careers.acme.com/jobs/9", nil, OK},
		{"allowed prefix but another link too", Policy{AllowedURLPrefixes: []string{"https://careers.acme.com/"}}, "https://careers.acme.com/x 或 www.evil.cn", nil, URL},
		{"foreign phone", job, "有问题打我电话 138 0013 8000", nil, Phone},
		{"own phone", job, "我的电话13911112222", nil, OK},
		{"foreign wechat", job, "加我微信 recruit_li88", nil, WeChat},
		{"own wechat", job, "我微信是hr_zhang2024，加我", nil, OK},
		{"qq", job, "QQ 12345678 也行", nil, QQ},
		{"email", job, "简历发 hr@acme-corp.com", nil, Email},
		{"refusal zh", job, "抱歉，我无法提供该信息。", nil, Refusal},
		{"refusal en", job, "I'm sorry, but I can't help with that.", nil, Refusal},
		{"meta zh", job, "作为一个AI助手，我建议您直接联系HR", nil, Meta},
		{"meta self", job, "我是人工智能，不太清楚具体薪资", nil, Meta},
		{"meta en", job, "As an AI language model I cannot know", nil, Meta},
		{"leaked json", job, `{"nextStep":"normal_chat","content":"好的"}`, nil, Meta},
		{"leaked reasoning", job, "<think>用户问薪资</think>薪资面议", nil, Meta},
		{"leaked grounding", job, "根据您提供的信息，岗位在北京", nil, Meta},
		{"empty", job, "  \n ", nil, Empty},
		{"overlong", job, strings.Repeat("很好", 151), nil, Overlong},
		{"custom length", Policy{MaxRunes: 5}, "六个字的话", nil, OK},
		{"repeated", job, "好的，有问题随时问我！", []string{"您好", "好的,有问题随时问我!"}, Repeated},
		{"short ack may recur", job, "好的！", []string{"好的"}, OK},
		{"not repeated", job, "好的，有问题随时问我", []string{"好的，我加您细聊"}, OK},
		{"full-width url", job, "ｈｔｔｐｓ：／／ｅｖｉｌ．ｃｎ", nil, URL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.p.Check(tc.text, tc.recent)
			if v.Reason != tc.want {
				t.Fatalf("Check(%q) = %q (%s), want %q", tc.text, v.Reason, v.Detail, tc.want)
			}
			if v.Blocked() != (tc.want != OK) {
				t.Fatal("Blocked() disagrees")
			}
		})
	}
}

// The detail never carries a contact (it is logged).
func TestDetailCarriesNoContact(t *testing.T) {
	for _, text := range []string{"加我微信 recruit_li88", "打 13800138000", "hr@acme-corp.com"} {
		v := Policy{}.Check(text, nil)
		if !v.Blocked() || strings.ContainsAny(v.Detail, "0123456789@") {
			t.Fatalf("%q: %+v", text, v)
		}
	}
}

func extractPhones(s string) []string {
	var out []string
	for _, c := range rulesExtract(s) {
		if c.Type == "phone" {
			out = append(out, c.Value)
		}
	}
	return out
}

var rulesExtract = rules.Extract
