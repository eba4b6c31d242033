package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
)

// baseCandidate passes every criterion of baseArgs at filterNow.
const baseCandidate = `{
  "encryptGeekId": "enc-1",
  "activeTimeDesc": "今日活跃",
  "geekCard": {
    "geekId": 46232784, "geekName": "张女士", "geekDegree": "本科", "ageDesc": "28岁",
    "geekDesc": {"content": "五年心理咨询经验，持国家二级心理咨询师证"},
    "salary": "12-18K", "lowSalary": 12, "highSalary": 18,
    "expectPositionName": "心理咨询师", "expectLocationName": "北京",
    "applyStatus": 2, "applyStatusDesc": "离职-随时到岗",
    "activeTime": 1795420800,
    "geekEdus": [{"school": "北京邮电大学", "major": "心理学", "degreeName": "本科"}],
    "geekWorks": [{"company": "阳光心理工作室", "positionName": "咨询师", "responsibility": "个体咨询与团体辅导",
                   "workEmphasisList": ["认知行为疗法", "沙盘"]}]
  }
}`

var filterNow = time.Unix(1795420800, 0).Add(5 * time.Hour)

func baseArgs() brain.FilterArgs {
	return brain.FilterArgs{
		AgeMin: 22, AgeMax: 40, DegreeMin: "本科", SchoolTier: "211",
		Locations: []string{"北京"}, JobTags: []string{"心理咨询"},
		NegativeWords: []string{"兼职"}, NegativeCompanies: []string{"竞品心理"},
		SalaryMin: 10, SalaryMax: 25,
		ApplyStatus:       []string{"离职-随时到岗", "在职-考虑机会"},
		ActiveWithinHours: 72,
	}
}

// mutate returns baseCandidate with one geekCard (or top-level) field replaced.
func mutate(t *testing.T, path string, v any) candidateRecord {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(baseCandidate), &m); err != nil {
		t.Fatal(err)
	}
	if path != "" {
		target := m
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			target = target[p].(map[string]any)
		}
		if v == nil {
			delete(target, parts[len(parts)-1])
		} else {
			target[parts[len(parts)-1]] = v
		}
	}
	raw, _ := json.Marshal(m)
	var rec candidateRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestFilterCriteria(t *testing.T) {
	work := func(company, position, resp string, tags ...string) []any {
		return []any{map[string]any{"company": company, "positionName": position, "responsibility": resp, "workEmphasisList": tags}}
	}
	tests := []struct {
		name      string
		args      func(*brain.FilterArgs)
		path      string
		value     any
		wantTouch bool
		failing   string // the check that must fail
	}{
		{"all pass", nil, "", nil, true, ""},
		{"age below min", nil, "geekCard.ageDesc", "20岁", false, "age"},
		{"age above max", nil, "geekCard.ageDesc", "45岁", false, "age"},
		{"age at max passes", nil, "geekCard.ageDesc", "40岁", true, ""},
		{"age unknown", nil, "geekCard.ageDesc", nil, false, "age"},
		{"age unchecked when disabled", func(a *brain.FilterArgs) { a.AgeMin, a.AgeMax = 0, 0 }, "geekCard.ageDesc", "60岁", true, ""},
		{"degree below", nil, "geekCard.geekDegree", "大专", false, "degree"},
		{"degree above", nil, "geekCard.geekDegree", "硕士", true, ""},
		{"degree 中专/中技 vs 高中", func(a *brain.FilterArgs) { a.DegreeMin = "高中" }, "geekCard.geekDegree", "中专/中技", false, "degree"},
		{"degree unknown", nil, "geekCard.geekDegree", "其他", false, "degree"},
		{"school 211 accepts 985", nil, "geekCard.geekEdus", []any{map[string]any{"school": "浙江大学"}}, true, ""},
		{"school 985 rejects 211-only", func(a *brain.FilterArgs) { a.SchoolTier = "985" }, "", nil, false, "school"},
		{"school campus suffix", nil, "geekCard.geekEdus", []any{map[string]any{"school": "中国石油大学（华东）"}}, true, ""},
		{"independent college is not its parent", nil, "geekCard.geekEdus", []any{map[string]any{"school": "南京大学金陵学院"}}, false, "school"},
		{"school extra list", func(a *brain.FilterArgs) { a.Schools = []string{"首都师范大学"} }, "geekCard.geekEdus", []any{map[string]any{"school": "首都师范大学"}}, true, ""},
		{"location mismatch", nil, "geekCard.expectLocationName", "上海", false, "location"},
		{"job tag in skill tags only", func(a *brain.FilterArgs) { a.JobTags = []string{"沙盘"} }, "", nil, true, ""},
		{"job tag in responsibility", func(a *brain.FilterArgs) { a.JobTags = []string{"团体辅导"} }, "", nil, true, ""},
		{"job tag missing", func(a *brain.FilterArgs) { a.JobTags = []string{"会计"} }, "", nil, false, "job_tags"},
		{"negative word in description", nil, "geekCard.geekDesc", map[string]any{"content": "只找兼职"}, false, "negative_words"},
		{"negative company", nil, "geekCard.geekWorks", work("北京竞品心理有限公司", "心理咨询师", "咨询"), false, "negative_companies"},
		{"salary above range", nil, "geekCard.lowSalary", 30, false, "salary"},
		{"salary below range", func(a *brain.FilterArgs) { a.SalaryMin = 20 }, "", nil, false, "salary"},
		{"salary overlap at edge", func(a *brain.FilterArgs) { a.SalaryMin = 18 }, "", nil, true, ""},
		{"salary negotiable passes", nil, "geekCard.lowSalary", 0, true, ""},
		{"apply status not accepted", nil, "geekCard.applyStatusDesc", "在职-暂不考虑", false, "apply_status"},
		{"inactive", nil, "geekCard.activeTime", 1795420800 - 10*24*3600, false, "activity"},
		{"刚刚活跃 overrides stale activeTime", nil, "activeTimeDesc", "刚刚活跃", true, ""},
		{"activeTime in ms", nil, "geekCard.activeTime", int64(1795420800) * 1000, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := baseArgs()
			if tt.args != nil {
				tt.args(&args)
			}
			rec := mutate(t, tt.path, tt.value)
			if tt.name == "salary negotiable passes" {
				rec.GeekCard.HighSalary = 0 // 面议: both bounds zero
			}
			if tt.name == "刚刚活跃 overrides stale activeTime" {
				rec.GeekCard.ActiveTime = flexNum(1795420800 - 30*24*3600)
			}
			touch, checks := evaluateFilter(args, rec, filterNow)
			if touch != tt.wantTouch {
				t.Fatalf("touch = %v, want %v; checks %+v", touch, tt.wantTouch, checks)
			}
			for _, c := range checks {
				if !c.OK && c.Name != tt.failing {
					t.Errorf("check %s failed unexpectedly: %s", c.Name, c.Detail)
				}
				if c.Name == tt.failing && c.OK {
					t.Errorf("check %s passed, want failure", c.Name)
				}
				if c.Detail == "" {
					t.Errorf("check %s has no detail", c.Name)
				}
			}
		})
	}
}

func TestFilterNoArgsTouchesEveryone(t *testing.T) {
	touch, checks := evaluateFilter(brain.FilterArgs{}, mutate(t, "", nil), filterNow)
	if !touch || len(checks) != 0 {
		t.Fatalf("touch = %v checks = %v; want true with no checks", touch, checks)
	}
}

func TestCandidateIDFromGeekCard(t *testing.T) {
	rec := mutate(t, "", nil)
	if got := rec.candidateID(); got != "46232784" {
		t.Fatalf("candidateID = %q, want the int geekId as text", got)
	}
	rec = mutate(t, "geekCard.geekId", "abc")
	if got := rec.candidateID(); got != "abc" {
		t.Fatalf("candidateID = %q, want string geekId", got)
	}
}

func TestValidateFilterArgs(t *testing.T) {
	bad := map[string]brain.FilterArgs{
		"age_min":             {AgeMin: 40, AgeMax: 30},
		"degree_min":          {DegreeMin: "学士"},
		"school_tier":         {SchoolTier: "double-first-class"},
		"salary_min":          {SalaryMin: 30, SalaryMax: 10},
		"active_within_hours": {ActiveWithinHours: -1},
	}
	for key, a := range bad {
		err := validateFilterArgs("jobs[0].filter_args.", a)
		if err == nil || !strings.Contains(err.Error(), "jobs[0].filter_args."+key) {
			t.Errorf("%s: err = %v; want it to name the key", key, err)
		}
	}
	if err := validateFilterArgs("", baseArgs()); err != nil {
		t.Errorf("valid args rejected: %v", err)
	}
}

// TestDetailfIsSprintf: every format evaluateFilter uses gives what
// fmt.Sprintf gives, and anything else falls back to it.
func TestDetailfIsSprintf(t *testing.T) {
	for _, c := range []struct {
		format string
		args   []any
	}{
		{"age unknown (ageDesc %q)", []any{"二十\"八\n岁"}},
		{"age %d < min %d", []any{19, 22}},
		{"degree %s >= %s", []any{"硕士", "本科"}},
		{"no %s school among %d education entries", []any{"211", 0}},
		{"expected location %q vs %v", []any{"北京", []string{"北京", "上海"}}},
		{"none of %v in positions", []any{[]string{}}},
		{"expects %g-%gK overlaps %d-%dK", []any{12.5, 18.0, 10, 25}},
		{"expects %g-%gK above max %dK", []any{1e21, 0.000001, -3}},
		{"active %s ago", []any{90 * time.Minute}},
		{"last active %s ago > %dh", []any{time.Duration(0), 72}},
		{"no negative word", nil},
		{"100%% %x", []any{255}},
		{"missing %d %d", []any{1}},
		{"extra %d", []any{1, 2}},
		{"bool %v", []any{true}},
	} {
		if got, want := detailf(c.format, c.args...), fmt.Sprintf(c.format, c.args...); got != want {
			t.Errorf("detailf(%q) = %q; Sprintf gives %q", c.format, got, want)
		}
	}
}
