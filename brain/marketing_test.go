package brain_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/scenes"
)

func TestHostingPlanFromMarketing(t *testing.T) {
	p := wire.MNPlanData{Prompt: "p", BackgroundInfo: "b", TimeInfo: "t", ReferenceCase: "r", SceneIDs: []uint64{1, 2},
		MonitoringStrategy: []wire.MNMonitoring{{SceneID: 1, Strategy: []string{wire.StrategyHandToHuman, wire.StrategyEndUntilRestart}},
			{SceneID: 3, Strategy: []string{wire.StrategyEndUntilRestart}}}}
	scenes := []wire.MNScene{{ID: 1, Name: "拒绝", StatisticalMethod: wire.SceneOnly, Prompt: "候选人拒绝"},
		{ID: 2, Name: "问薪资", StatisticalMethod: "GRAND_TOTAL", Prompt: "问薪资"}, {ID: 3, Name: "别的计划", Prompt: "x"}}
	got := brain.HostingPlanFromMarketing(p, scenes)
	if got.Prompt != "p" || got.BackgroundInfo != "b" || got.TimeInfo != "t" || got.ReferenceCase != "r" {
		t.Fatalf("plan %+v", got)
	}
	if len(got.Scenes) != 2 || got.Scenes[0].Strategy != brain.StrategyEndUntilRestart || got.Scenes[0].ID != "1" ||
		got.Scenes[1].Strategy != "" || got.Scenes[1].Name != "问薪资" {
		t.Fatalf("scenes %+v", got.Scenes)
	}
	if err := got.Validate("plan."); err != nil {
		t.Fatal(err)
	}
	if len(got.Scenes[0].Keywords) != 0 || len(got.Scenes[1].Keywords) != 0 {
		t.Fatalf("CUSTOM scenes got keywords: %+v", got.Scenes)
	}
	// The wire's strategy names are the brain's.
	for _, s := range []string{wire.StrategyEndUntilRestart, wire.StrategyHandToHuman, wire.StrategyCompleteService} {
		if err := (brain.HostingPlan{Scenes: []brain.Scene{{Name: "a", Prompt: "x", Strategy: s}}}).Validate(""); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// job/register carries the facts sheet and the plan in jobConfig; bad
// values are errors naming the key.
func TestJobConfigFactsAndPlan(t *testing.T) {
	var c brain.JobConfig
	in := `{"facts":{"salary_min_k":15,"salary_max_k":20,"salary":"15-20K","location":"望京"},
		"plan":{"prompt":"p","scenes":[{"name":"拒绝","keywords":["不考虑"],"strategy":"AI_SERVICE_END_UNTIL_RESTART"}]}}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.Facts.SalaryMaxK != 20 || c.Plan.Prompt != "p" || len(c.Plan.Scenes) != 1 {
		t.Fatalf("%+v", c)
	}
	for bad, want := range map[string]string{
		`{"facts":{"salary_min_k":30,"salary_max_k":20}}`:                    "jobConfig.facts.salary_max_k",
		`{"plan":{"scenes":[{"name":"a","keywords":["x"],"strategy":"X"}]}}`: "jobConfig.plan.scenes[0].strategy",
	} {
		if err := json.Unmarshal([]byte(bad), &c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// The SYSTEM scenes are detected without a model, by their built-in
// keywords; a CUSTOM scene is not.
func TestSystemScenesWithoutAModel(t *testing.T) {
	p := wire.MNPlanData{SceneIDs: []uint64{2, 3, 4, 1, 9}}
	sys := []wire.MNScene{
		{ID: 1, Name: "联系成功", SceneType: wire.SceneSystem, StatisticalMethod: wire.SceneOnly, Prompt: "候选人给出了微信、手机号或简历"},
		{ID: 2, Name: "有效沟通", SceneType: wire.SceneSystem, StatisticalMethod: wire.SceneOnly, Prompt: "候选人就职位进行了实质性的回复"},
		{ID: 3, Name: "邀约成功", SceneType: wire.SceneSystem, StatisticalMethod: wire.SceneOnly, Prompt: "候选人同意面试或到店"},
		{ID: 4, Name: "转人工", SceneType: wire.SceneSystem, StatisticalMethod: wire.SceneGrandTotal, Prompt: "候选人要求人工或对话需要人工介入"},
		{ID: 9, Name: "问加班", SceneType: wire.SceneCustom, StatisticalMethod: wire.SceneOnly, Prompt: "候选人问加班"},
	}
	det := scenes.NewDetector(brain.HostingPlanFromMarketing(p, sys), nil)
	for msg, want := range map[string]string{
		"这个岗位工资多少？":   "有效沟通",
		"好的，我明天可以去面试": "邀约成功",
		"你是不是机器人啊":    "转人工",
		"我想做人工智能方向":   "",
		"经常加班吗":       "", // CUSTOM: the model's only
	} {
		hits, err := det.Detect(context.Background(), msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, h := range hits {
			got += h.Scene
		}
		if got != want {
			t.Errorf("%q fired %q, want %q", msg, got, want)
		}
	}
}
