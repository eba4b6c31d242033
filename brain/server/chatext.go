package server

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/scenes"
	"github.com/hunterbot/hunterbot/internal/llm"
)

// The built-in brain's side of hunterbot's chat extension (brain/chatext.go):
// a request carrying a plan is grounded and scene-checked on that plan
// instead of the job's, and its answer carries the scenes found, a mood
// value and a short summary.

// chatPlan is the plan a chat is grounded on: the request's, else the job's.
func chatPlan(job *jobRec, req brain.ChatRequest) brain.HostingPlan {
	if req.Hunterbot != nil && req.Hunterbot.Plan != nil {
		return *req.Hunterbot.Plan
	}
	return job.Config.Plan
}

// sceneKey is the counters' key of a chat's scenes.
func sceneKey(job *jobRec, req brain.ChatRequest) string {
	if req.Hunterbot != nil && req.Hunterbot.Plan != nil {
		return "plan:" + req.Hunterbot.PlanID
	}
	if job == nil {
		return ""
	}
	return job.JobID
}

// moods are the mood values the brain reports.
var moods = []string{brain.MoodSatisfied, brain.MoodNeutral, brain.MoodUnsatisfied}

// summarizer is a model that can write a mood and summary (*llm.Client).
type summarizer interface {
	Summarize(ctx context.Context, msgs []llm.Message, moods []string) (llm.Summary, error)
}

// maxSummaryHistory bounds the conversation a summary is written from.
const maxSummaryHistory = 30

// summarize starts the model's mood and summary of a plan-hosted chat and
// returns the function that waits for it (nil: no extension, no model, or
// a model that cannot summarize). A failed summary is nil: the rule-based
// one stands in.
func (s *Server) summarize(ctx context.Context, req brain.ChatRequest) func() *llm.Summary {
	sm, ok := s.model.(summarizer)
	if !ok || req.Hunterbot == nil || len(req.HistoryMsg) == 0 {
		return nil
	}
	msgs := append([]llm.Message{{Role: llm.RoleSystem, Content: "你在为招聘顾问写候选人沟通日报。根据下面的聊天记录，" +
		"判断候选人最新的情绪（只能是：满意、一般、不满），并用不超过60字概括到目前为止的沟通情况（候选人的意向、问过的问题、是否留了联系方式）。" +
		"只写聊天里出现过的事实。只输出JSON：{\"mood\": \"满意\" | \"一般\" | \"不满\", \"summary\": \"概括\"}。"}},
		modelHistory(req.HistoryMsg, maxSummaryHistory)...)
	ch := make(chan *llm.Summary, 1)
	go func() {
		sum, err := sm.Summarize(ctx, msgs, moods)
		if err != nil {
			s.llm.add(OutcomeSummaryFailed)
			ch <- nil
			return
		}
		s.llm.add(OutcomeSummary)
		ch <- &sum
	}()
	return func() *llm.Summary { return <-ch }
}

// Outcomes of the summary call (LLMStats.Outcomes).
const (
	OutcomeSummary       = "summary"        // the model's summary was used
	OutcomeSummaryFailed = "summary_failed" // timeout, error or invalid: rule-based
)

// answerExtension is the answer's extension for a request that carried
// one (nil otherwise: a chat without the extension answers as before).
func answerExtension(req brain.ChatRequest, d chatDecision, hits []scenes.Hit, sum *llm.Summary) *brain.ChatAnswerExtension {
	if req.Hunterbot == nil {
		return nil
	}
	ext := &brain.ChatAnswerExtension{}
	for _, h := range hits {
		ext.Scenes = append(ext.Scenes, brain.SceneHit{ID: h.ID, Name: h.Scene, Strategy: h.Strategy})
	}
	turn := latestTurn(req.HistoryMsg)
	if sum != nil {
		ext.Mood, ext.Summary = sum.Mood, sum.Summary
	} else {
		ext.Mood, ext.Summary = ruleMood(turn, d), ruleSummary(req.HistoryMsg, d, hits)
	}
	return ext
}

// Mood words of the rule-based mood (checked after refusalWords).
var (
	unhappyWords = []string{"太低", "太少", "太远", "骗", "垃圾", "烦", "差劲", "算了", "不靠谱", "不满意", "坑"}
	happyWords   = []string{"好的", "可以", "行", "感兴趣", "谢谢", "没问题", "愿意", "不错", "好啊", "嗯嗯", "方便", "ok", "OK", "满意"}
)

// ruleMood reads the candidate's latest turn: a refusal or a complaint is
// 不满, agreement or interest 满意, anything else 一般 ("" without a turn).
func ruleMood(turn string, d chatDecision) string {
	if strings.TrimSpace(turn) == "" {
		return ""
	}
	if d.Refused {
		return brain.MoodUnsatisfied
	}
	for _, w := range refusalWords {
		if strings.Contains(turn, w) {
			return brain.MoodUnsatisfied
		}
	}
	for _, w := range unhappyWords {
		if strings.Contains(turn, w) {
			return brain.MoodUnsatisfied
		}
	}
	for _, w := range happyWords {
		if strings.Contains(turn, w) {
			return brain.MoodSatisfied
		}
	}
	return brain.MoodNeutral
}

// ruleSummary states what the conversation shows: the questions asked,
// a contact given, a refusal, the scenes found; else the candidate's
// latest words, clipped.
func ruleSummary(hist []brain.ChatMessage, d chatDecision, hits []scenes.Hit) string {
	var user []string
	for _, m := range hist {
		if m.Speaker == brain.SpeakerUser {
			user = append(user, m.Msg)
		}
	}
	if len(user) == 0 {
		return "候选人尚未回复"
	}
	all := strings.Join(user, "\n")
	var parts, asked []string
	for _, q := range []struct {
		name string
		has  bool
	}{{"薪资", salaryQ.MatchString(all)}, {"工作地点", locationQ.MatchString(all)}, {"公司情况", companyQ.MatchString(all)}} {
		if q.has {
			asked = append(asked, q.name)
		}
	}
	if len(asked) > 0 {
		parts = append(parts, "候选人询问了"+strings.Join(asked, "、"))
	}
	contact := false
	for _, m := range hist {
		contact = contact || m.Speaker == brain.SpeakerSystem || (m.Speaker == brain.SpeakerUser && contactInText.MatchString(m.Msg))
	}
	if contact {
		parts = append(parts, "已留联系方式")
	}
	if d.Refused {
		parts = append(parts, "表示不考虑")
	}
	if len(hits) > 0 {
		var names []string
		for _, h := range hits {
			names = append(names, h.Scene)
		}
		parts = append(parts, "触发场景："+strings.Join(names, "、"))
	}
	if len(parts) == 0 {
		parts = append(parts, "候选人回复："+clipRunes(user[len(user)-1], 30))
	}
	return strings.Join(parts, "；")
}

// clipRunes shortens s to n runes (with an ellipsis).
func clipRunes(s string, n int) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
