package brain

import (
	"slices"
	"strconv"

	"github.com/hunterbot/hunterbot/api/wire"
)

// HostingPlanFromMarketing builds the brain's view of a seed-002
// marketing-notice plan (the plan API's stored data) and its scenes: the
// prompt and grounding fields as they are, and the plan's scenes (those in
// SceneIDs) with the monitoring strategy that names them. When several
// strategies name one scene, ending hosting wins over completing, which
// wins over a hand-over. The API's scenes carry no keywords: a CUSTOM scene
// is detected through the model only; the SYSTEM scenes get built-in
// keywords (systemSceneKeywords), so they are detected without a model too.
func HostingPlanFromMarketing(p wire.MNPlanData, scenes []wire.MNScene) HostingPlan {
	out := HostingPlan{Prompt: p.Prompt, BackgroundInfo: p.BackgroundInfo, TimeInfo: p.TimeInfo, ReferenceCase: p.ReferenceCase}
	rank := map[string]int{"": 0, StrategyHandToHuman: 1, StrategyCompleteService: 2, StrategyEndUntilRestart: 3}
	for _, sc := range scenes {
		if !slices.Contains(p.SceneIDs, sc.ID) {
			continue
		}
		strategy := ""
		for _, m := range p.MonitoringStrategy {
			if m.SceneID != sc.ID {
				continue
			}
			for _, st := range m.Strategy {
				if r, ok := rank[st]; ok && r > rank[strategy] {
					strategy = st
				}
			}
		}
		var keywords []string
		if sc.SceneType == wire.SceneSystem {
			keywords = systemSceneKeywords[sc.Name]
		}
		out.Scenes = append(out.Scenes, Scene{ID: strconv.FormatUint(sc.ID, 10), Name: sc.Name, StatisticalMethod: sc.StatisticalMethod,
			Prompt: sc.Prompt, Keywords: keywords, SceneType: sc.SceneType, Strategy: strategy})
	}
	return out
}

// systemSceneKeywords are the rules fast path of the SYSTEM scenes (the
// plan API's scenes carry only a prompt): without a model they are how
// those scenes are detected, and with one a keyword hit spares the model
// call. 联系成功 has none (the worker reports it when it captures a contact)
// and neither has 完成服务 (whether the goal is met is the model's call, or
// a strategy's). Each keyword names the scene on its own; words that also
// occur in ordinary talk about a job (人工 in 人工智能) are avoided.
var systemSceneKeywords = map[string][]string{
	"有效沟通": {"薪资", "工资", "待遇", "底薪", "提成", "五险", "社保", "上班时间", "几点上班", "双休", "单休", "在哪里", "地址", "工作内容", "具体做什么"},
	"邀约成功": {"同意面试", "可以面试", "参加面试", "去面试", "来面试", "几点面试", "什么时候面试", "面试时间", "到店面试", "过去面谈"},
	"转人工":  {"转人工", "人工客服", "找人工", "真人", "机器人吗", "是机器人", "是不是机器人"},
}
