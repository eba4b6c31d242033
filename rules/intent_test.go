package rules

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		text                      string
		optOut, refusal, question bool
	}{
		{"不需要，谢谢", true, false, false},
		{"暂时不需要了", true, false, false},
		{"别发了", true, false, false},
		{"已入职，谢谢关注", true, false, false},
		{"我已经找到工作了", true, false, false},
		{"不考虑换工作", true, false, false},
		{"请勿打扰", true, false, false},
		{"不感兴趣", true, false, false},
		{"不需要出差就行", false, false, false},
		{"不考虑外地的岗位，只看上海", false, false, false},
		{"不需要简历吗？", false, false, true},
		{"你们不考虑应届生吗", false, false, true},
		{"不是不考虑，是想先了解一下", false, false, false},
		{"微信不方便给", false, true, false},
		{"先不加微信了，在这里聊吧", false, true, false},
		{"薪资多少？", false, false, true},
		{"在哪里上班呢", false, false, true},
		{"什么时候都行", false, false, false},
		{"好的，明天下午可以", false, false, false},
		{"我不了解这个行业，能介绍一下吗", false, false, true},
		{"不加班就好", false, false, false},
	}
	for _, tt := range tests {
		got := Classify(tt.text)
		if got.OptOut != tt.optOut || got.Refusal != tt.refusal || got.Question != tt.question {
			t.Errorf("Classify(%q) = %+v, want optOut=%v refusal=%v question=%v", tt.text, got, tt.optOut, tt.refusal, tt.question)
		}
		if IsOptOut(tt.text) != tt.optOut {
			t.Errorf("IsOptOut(%q) = %v", tt.text, !tt.optOut)
		}
	}
	if p := Classify("已入职").Phrase; p != "已入职" {
		t.Errorf("Phrase = %q, want 已入职", p)
	}
}
