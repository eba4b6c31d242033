package brain

import (
	"fmt"
	"strings"
)

// JobFacts is a job's approved facts sheet: the only facts a model may
// state to a candidate (jobConfig.facts; YAML jobs[].facts). The send gate
// blocks salary figures outside SalaryMinK..SalaryMaxK.
type JobFacts struct {
	// SalaryMinK and SalaryMaxK are the monthly salary range in K.
	SalaryMinK float64 `json:"salary_min_k,omitempty" yaml:"salary_min_k"`
	SalaryMaxK float64 `json:"salary_max_k,omitempty" yaml:"salary_max_k"`
	// Salary is how the range is said (e.g. "15-20K，13薪").
	Salary string `json:"salary,omitempty" yaml:"salary"`
	// Location is the workplace address.
	Location string `json:"location,omitempty" yaml:"location"`
	// Hours are the working hours.
	Hours string `json:"hours,omitempty" yaml:"hours"`
	// Benefits (insurance, meals, bonuses).
	Benefits string `json:"benefits,omitempty" yaml:"benefits"`
	// Process is the hiring process (interviews, start date).
	Process string `json:"process,omitempty" yaml:"process"`
}

// IsZero reports an empty sheet.
func (f JobFacts) IsZero() bool { return f == JobFacts{} }

// Texts are the sheet's statements, for the gate's approved numbers.
func (f JobFacts) Texts() []string {
	var out []string
	for _, s := range []string{f.Salary, f.Location, f.Hours, f.Benefits, f.Process} {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate checks the sheet; errors name the key under prefix.
func (f JobFacts) Validate(prefix string) error {
	if f.SalaryMinK < 0 || f.SalaryMaxK < f.SalaryMinK {
		return fmt.Errorf("%ssalary_max_k: want 0 <= salary_min_k <= salary_max_k, got %g..%g", prefix, f.SalaryMinK, f.SalaryMaxK)
	}
	if f.Salary != "" && f.SalaryMaxK == 0 {
		return fmt.Errorf("%ssalary_max_k: required with salary (the gate needs the approved range)", prefix)
	}
	return nil
}

// HostingPlan is what seed 002's marketing-notice plan says about an
// AI-hosted conversation: the model's prompt and grounding, and the scenes
// to watch for. The plan API fills it; the built-in brain reads it from
// jobConfig.plan (YAML jobs[].plan).
type HostingPlan struct {
	// Prompt is the plan's instruction to the model (role, tone, goal).
	Prompt string `json:"prompt,omitempty" yaml:"prompt"`
	// BackgroundInfo, TimeInfo and ReferenceCase ground the model.
	BackgroundInfo string `json:"backgroundInfo,omitempty" yaml:"backgroundInfo"`
	TimeInfo       string `json:"timeInfo,omitempty" yaml:"timeInfo"`
	ReferenceCase  string `json:"referenceCase,omitempty" yaml:"referenceCase"`
	// Scenes are detected on every candidate message.
	Scenes []Scene `json:"scenes,omitempty" yaml:"scenes"`
}

// Scene is one of a plan's classifiers (seed 002 scene: name,
// statisticalMethod, prompt, sceneType) plus the strategy applied when it
// fires.
type Scene struct {
	ID   string `json:"id,omitempty" yaml:"id"`
	Name string `json:"name" yaml:"name"`
	// StatisticalMethod is GRAND_TOTAL (count every hit) or ONLY (count a
	// conversation once).
	StatisticalMethod string `json:"statisticalMethod,omitempty" yaml:"statisticalMethod"`
	// Prompt asks the model whether the scene happened (used when a model
	// is configured and no keyword matched).
	Prompt string `json:"prompt,omitempty" yaml:"prompt"`
	// Keywords are the rules fast path: any one in the candidate's
	// message fires the scene without asking the model.
	Keywords []string `json:"keywords,omitempty" yaml:"keywords"`
	// SceneType is free text from the plan (e.g. CUSTOM).
	SceneType string `json:"sceneType,omitempty" yaml:"sceneType"`
	// Strategy is what happens when the scene fires (the monitoring
	// strategies of the plan API, api/wire): "" (count only),
	// AI_SERVICE_END_UNTIL_RESTART or COMPLETE_SERVICE (hosting ends:
	// noTalk), CUSTOMER_SERVICE_INTERVENES (need_ensure: a human takes over).
	Strategy string `json:"strategy,omitempty" yaml:"strategy"`
}

// Scene statistical methods and strategies.
const (
	StatGrandTotal          = "GRAND_TOTAL"
	StatOnly                = "ONLY"
	StrategyEndUntilRestart = "AI_SERVICE_END_UNTIL_RESTART"
	StrategyHandToHuman     = "CUSTOMER_SERVICE_INTERVENES"
	StrategyCompleteService = "COMPLETE_SERVICE"
)

// Validate checks the plan; errors name the key under prefix.
func (p HostingPlan) Validate(prefix string) error {
	seen := map[string]bool{}
	for i, s := range p.Scenes {
		k := fmt.Sprintf("%sscenes[%d].", prefix, i)
		if strings.TrimSpace(s.Name) == "" {
			return fmt.Errorf("%sname: required", k)
		}
		if seen[s.Name] {
			return fmt.Errorf("%sname: duplicate scene %q", k, s.Name)
		}
		seen[s.Name] = true
		switch s.StatisticalMethod {
		case "", StatGrandTotal, StatOnly:
		default:
			return fmt.Errorf("%sstatisticalMethod: want GRAND_TOTAL or ONLY, got %q", k, s.StatisticalMethod)
		}
		switch s.Strategy {
		case "", StrategyEndUntilRestart, StrategyHandToHuman, StrategyCompleteService:
		default:
			return fmt.Errorf("%sstrategy: want AI_SERVICE_END_UNTIL_RESTART, CUSTOMER_SERVICE_INTERVENES or COMPLETE_SERVICE, got %q", k, s.Strategy)
		}
		if strings.TrimSpace(s.Prompt) == "" && len(s.Keywords) == 0 {
			return fmt.Errorf("%skeywords: a scene needs keywords or a prompt", k)
		}
	}
	return nil
}
