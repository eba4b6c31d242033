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
// wins over a hand-over. The API's scenes have no keywords: they are
// detected through the model only.
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
		out.Scenes = append(out.Scenes, Scene{ID: strconv.FormatUint(sc.ID, 10), Name: sc.Name, StatisticalMethod: sc.StatisticalMethod,
			Prompt: sc.Prompt, SceneType: sc.SceneType, Strategy: strategy})
	}
	return out
}
