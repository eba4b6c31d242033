package brain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// This file holds the wire types whose shape differs between the reference
// server's two code lines (v2.0_maimai_add_friend, v3.0) and the built-in
// brain. Each one decodes every observed shape and encodes the one all
// three accept. docs/brain.md has the compatibility table.

// TaskFilter is a task's "filter". The built-in brain answers a bool
// (whether to ask candidate/filter before greeting); the reference answers
// its search criteria object ({"city":…,"education":[…],"pay":[…],
// "status":[…]}, v3.0 also boss_job_name…). An object means "ask": the
// reference's own clients always ask candidate/filter, and its task/report
// needs the candidate the filter call stored.
type TaskFilter struct {
	// Ask tells the bot to call candidate/filter before greeting.
	Ask bool
	// Criteria is the reference's object as received (nil for the bool
	// form); it is passed back unchanged.
	Criteria json.RawMessage
}

// FilterBool is the bool form of TaskFilter.
func FilterBool(ask bool) TaskFilter { return TaskFilter{Ask: ask} }

// MarshalJSON writes the object when there is one, else the bool.
func (f TaskFilter) MarshalJSON() ([]byte, error) {
	if len(f.Criteria) > 0 {
		return f.Criteria, nil
	}
	return json.Marshal(f.Ask)
}

// UnmarshalJSON accepts true/false, null (false) or an object (ask).
func (f *TaskFilter) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = TaskFilter{}
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case bytes.Equal(b, []byte("true")):
		f.Ask = true
		return nil
	case bytes.Equal(b, []byte("false")):
		return nil
	case len(b) > 0 && b[0] == '{':
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
		f.Ask, f.Criteria = true, append(json.RawMessage(nil), b...)
		return nil
	}
	return fmt.Errorf("filter: want a bool or an object, got %.40s", b)
}

// UnmarshalYAML accepts the same two forms in the built-in brain's config.
func (f *TaskFilter) UnmarshalYAML(n *yaml.Node) error {
	*f = TaskFilter{}
	switch n.Kind {
	case yaml.ScalarNode:
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("filter: want a bool or a mapping: %w", err)
		}
		f.Ask = b
		return nil
	case yaml.MappingNode:
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("filter: %w", err)
		}
		f.Ask, f.Criteria = true, raw
		return nil
	}
	return fmt.Errorf("filter: want a bool or a mapping (line %d)", n.Line)
}

// MsgTime is a historyMsg time: epoch milliseconds on the wire, which is
// what the reference divides by 1000 (its own browser client sends
// Date.now()). It decodes numbers (ms, or s when small), numeric strings and
// "2006-01-02 15:04:05" wall times in Asia/Shanghai (older bots).
type MsgTime int64

// MsgTimeOf converts t (zero stays zero, so the key is omitted).
func MsgTimeOf(t time.Time) MsgTime {
	if t.IsZero() {
		return 0
	}
	return MsgTime(t.UnixMilli())
}

// historyInSeconds returns a copy of h with every time in epoch seconds.
// The v3.0 line reads historyMsg times with Python's
// datetime.fromtimestamp, i.e. seconds (milliseconds overflow the year and
// it silently uses "now" instead); v2.0 divides them by 1000 first.
func historyInSeconds(h []ChatMessage) []ChatMessage {
	out := make([]ChatMessage, len(h))
	for i, m := range h {
		m.Time /= 1000
		out[i] = m
	}
	return out
}

// Time returns the instant (zero for 0).
func (m MsgTime) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m))
}

// UnmarshalJSON accepts a number, a numeric string, a wall-time string,
// "" or null.
func (m *MsgTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*m = 0
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("time: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			for _, layout := range []string{time.DateTime, "2006-01-02 15:04", time.RFC3339} {
				if t, err := time.ParseInLocation(layout, s, clock.Shanghai); err == nil {
					*m = MsgTime(t.UnixMilli())
					return nil
				}
			}
			return fmt.Errorf("time: %q is neither epoch milliseconds nor 2006-01-02 15:04:05", s)
		}
		b = []byte(s)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return fmt.Errorf("time: %.40s is not epoch milliseconds", b)
	}
	if f < 1e11 { // seconds: 1e11 ms is 1973, 1e11 s is the year 5138
		f *= 1000
	}
	*m = MsgTime(int64(f))
	return nil
}

// TaskConfigs is account/register's taskConfig. The reference stores and
// reads a list of {jobID, taskType, helloSum, timeMount, filter}; earlier
// built-in brains took a map keyed by jobID. Both decode; it encodes as the
// list, which both servers accept.
type TaskConfigs map[string]TaskConfig

// taskConfigItem is one element of the list form.
type taskConfigItem struct {
	JobID    string `json:"jobID"`
	TaskType string `json:"taskType,omitempty"`
	TaskConfig
}

// MarshalJSON writes the list form, jobs in id order (the caller's job
// order lives in "jobs").
func (t TaskConfigs) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	ids := make([]string, 0, len(t))
	for id := range t {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]taskConfigItem, 0, len(ids))
	for _, id := range ids {
		out = append(out, taskConfigItem{JobID: id, TaskType: TaskTypeBatchTouch, TaskConfig: t[id]})
	}
	return json.Marshal(out)
}

// UnmarshalJSON accepts the list or the map form; errors name the item.
func (t *TaskConfigs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return fmt.Errorf("taskConfig: %w", err)
		}
		out := TaskConfigs{}
		for i, raw := range items {
			var it taskConfigItem
			if err := json.Unmarshal(raw, &it); err != nil {
				return fmt.Errorf("taskConfig[%d]: %w", i, err)
			}
			if strings.TrimSpace(it.JobID) == "" {
				return fmt.Errorf("taskConfig[%d].jobID: required", i)
			}
			if it.TaskType != "" && it.TaskType != TaskTypeBatchTouch {
				return fmt.Errorf("taskConfig[%d].taskType: unknown %q (only %s)", i, it.TaskType, TaskTypeBatchTouch)
			}
			if _, dup := out[it.JobID]; dup {
				return fmt.Errorf("taskConfig[%d].jobID: duplicate %s", i, it.JobID)
			}
			out[it.JobID] = it.TaskConfig
		}
		*t = out
		return nil
	}
	var m map[string]TaskConfig
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("taskConfig: want the list of {jobID, helloSum, timeMount, filter} or a map by jobID: %w", err)
	}
	*t = m
	return nil
}

// DefaultTaskConfig is the plan the reference generates for a job of an
// account registered without taskConfig: 50 greetings, 25 from 09:00 and
// 25 from 16:00, with its default search criteria.
func DefaultTaskConfig() TaskConfig {
	return TaskConfig{
		HelloSum:  50,
		TimeMount: []TimeMount{{Time: "09:00", Mount: 25}, {Time: "16:00", Mount: 25}},
		Filter: TaskFilter{Ask: true, Criteria: json.RawMessage(
			`{"city":{"area":"北京"},"education":["中专/中技","高中","大专","本科","硕士","博士"],"pay":["5-10K"],"status":["离职-随时到岗"]}`)},
	}
}

// jobConfigWire is JobConfig's own keys.
type jobConfigWire struct {
	Texts        JobTexts        `json:"texts"`
	FilterArgs   *FilterArgs     `json:"filter_args"`
	TouchMsg     string          `json:"touch_msg"`
	FilterConfig string          `json:"filter_config"`
	GroupMsg     string          `json:"group_msg"`
	Dynamic      json.RawMessage `json:"dynamic_job_config"`
	Facts        JobFacts        `json:"facts"`
	Plan         HostingPlan     `json:"plan"`
}

// jobConfigIgnored are keys of the reference's jobConfig that concern its
// own services (chat robot, recall strategy, WeCom group), accepted and not
// used by the built-in brain.
var jobConfigIgnored = []string{"chat_config", "recall_config", "recall_config_filter", "custom_filter", "robot_template", "share"}

// UnmarshalJSON accepts the built-in keys (texts, filter_args) and the
// reference's: touch_msg, filter_config, filter_args with its key names,
// and v3.0's dynamic_job_config (filter keys and touch_msg). Unknown keys
// are errors naming the key.
func (c *JobConfig) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("jobConfig: %w", err)
	}
	for k := range keys {
		switch k {
		case "texts", "filter_args", "touch_msg", "filter_config", "group_msg", "dynamic_job_config", "facts", "plan":
		default:
			if !slices.Contains(jobConfigIgnored, k) {
				return fmt.Errorf("jobConfig.%s: unknown key", k)
			}
		}
	}
	var w jobConfigWire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("jobConfig: %w", err)
	}
	*c = JobConfig{Texts: w.Texts, TouchMsg: w.TouchMsg, FilterConfig: w.FilterConfig, GroupMsg: w.GroupMsg, Facts: w.Facts, Plan: w.Plan}
	if err := c.Facts.Validate("jobConfig.facts."); err != nil {
		return err
	}
	if err := c.Plan.Validate("jobConfig.plan."); err != nil {
		return err
	}
	if w.FilterArgs != nil {
		c.FilterArgs = *w.FilterArgs
	}
	if len(w.Dynamic) > 0 && !bytes.Equal(bytes.TrimSpace(w.Dynamic), []byte("null")) {
		var dyn map[string]json.RawMessage
		if err := json.Unmarshal(w.Dynamic, &dyn); err != nil {
			return fmt.Errorf("jobConfig.dynamic_job_config: %w", err)
		}
		if tm, ok := dyn["touch_msg"]; ok {
			if c.TouchMsg == "" {
				if err := json.Unmarshal(tm, &c.TouchMsg); err != nil {
					return fmt.Errorf("jobConfig.dynamic_job_config.touch_msg: %w", err)
				}
			}
			delete(dyn, "touch_msg")
		}
		for _, k := range []string{"job_name", "jd", "hello_msg", "recall_msg", "requirement_config"} {
			delete(dyn, k) // texts of its web console, not filter criteria
		}
		if err := c.FilterArgs.mergeReference("jobConfig.dynamic_job_config.", dyn); err != nil {
			return err
		}
	}
	if c.FilterConfig != "" {
		preset, ok := referenceFilterPresets[c.FilterConfig]
		if !ok {
			return fmt.Errorf("jobConfig.filter_config: unknown filter %q (known: %s)", c.FilterConfig, strings.Join(ReferenceFilterNames(), ", "))
		}
		if preset != nil && c.FilterArgs.isZero() {
			c.FilterArgs = *preset
		}
	}
	return nil
}

// referenceFilterPresets maps the reference's filter_config names to the
// built-in criteria. nil: the criteria come from filter_args (the
// "autoload" filters) or there are none (no_condition_common_filter).
var referenceFilterPresets = map[string]*FilterArgs{
	"no_condition_common_filter": nil,
	// Its hard-coded customer-service filter (age 18–35, 中专+, 北京,
	// 客服/电话销售 wished or done, recently active).
	"common_custom_service_filter": {AgeMin: 18, AgeMax: 35, DegreeMin: "中专/中技", Locations: []string{"北京"},
		JobTags: []string{"客服", "电话销售"}, ActiveWithinHours: 1},
	"boss_autoload_filter":    nil,
	"boss_autoload_filter_v2": nil,
	"boss_autoload_filter_v3": nil,
}

// ReferenceFilterNames lists the filter_config values the built-in brain
// understands.
func ReferenceFilterNames() []string {
	out := make([]string, 0, len(referenceFilterPresets))
	for k := range referenceFilterPresets {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// filterArgsOwnKeys are FilterArgs' own JSON keys.
var filterArgsOwnKeys = []string{"unapplied", "age_min", "age_max", "degree_min", "school_tier", "schools", "locations", "job_tags",
	"negative_words", "negative_companies", "salary_min", "salary_max", "apply_status", "active_within_hours"}

// UnmarshalJSON accepts the built-in keys and the reference's filter_args
// keys (age_range, min_age, max_age, min_degree, location, school,
// active_threshold, neg_words, neg_company, min_salary, max_salary,
// expect_jobs, status); a built-in key wins over its reference synonym.
// Unknown keys are errors naming the key.
func (f *FilterArgs) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("filter_args: %w", err)
	}
	// job_tags is a key of both, but the reference also writes "" or a
	// single string: it goes through the tolerant reader below.
	own := map[string]json.RawMessage{}
	for _, k := range filterArgsOwnKeys {
		if v, ok := keys[k]; ok && k != "job_tags" {
			own[k] = v
			delete(keys, k)
		}
	}
	raw, err := json.Marshal(own)
	if err != nil {
		return err
	}
	type plain FilterArgs
	var p plain
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("filter_args: %w", err)
	}
	*f = FilterArgs(p)
	// The reference skips empty entries.
	for _, l := range []*[]string{&f.Schools, &f.Locations, &f.NegativeWords, &f.NegativeCompanies, &f.ApplyStatus} {
		*l = slices.DeleteFunc(*l, func(s string) bool { return strings.TrimSpace(s) == "" })
	}
	return f.mergeReference("filter_args.", keys)
}

func (f *FilterArgs) isZero() bool {
	return f.AgeMin == 0 && f.AgeMax == 0 && f.DegreeMin == "" && f.SchoolTier == "" && len(f.Schools) == 0 &&
		len(f.Locations) == 0 && len(f.JobTags) == 0 && len(f.NegativeWords) == 0 && len(f.NegativeCompanies) == 0 &&
		f.SalaryMin == 0 && f.SalaryMax == 0 && len(f.ApplyStatus) == 0 && f.ActiveWithinHours == 0
}

// mergeReference maps the reference's filter keys onto f where f has no
// value yet. prefix names the keys in errors.
func (f *FilterArgs) mergeReference(prefix string, keys map[string]json.RawMessage) error {
	for k, raw := range keys {
		name := prefix + k
		switch k {
		case "age_range":
			var r []json.RawMessage
			if err := json.Unmarshal(raw, &r); err != nil || len(r) != 2 {
				return fmt.Errorf("%s: want [min, max]", name)
			}
			lo, err1 := looseInt(r[0])
			hi, err2 := looseInt(r[1])
			if err1 != nil || err2 != nil {
				return fmt.Errorf("%s: want two numbers", name)
			}
			setInt(&f.AgeMin, lo)
			setInt(&f.AgeMax, hi)
		case "min_age", "max_age", "min_salary", "max_salary", "active_threshold", "school":
			n, err := looseInt(raw)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			switch k {
			case "min_age":
				setInt(&f.AgeMin, n)
			case "max_age":
				setInt(&f.AgeMax, n)
			case "min_salary":
				setInt(&f.SalaryMin, n)
			case "max_salary":
				setInt(&f.SalaryMax, n)
			case "active_threshold": // minutes; the built-in criterion is in hours
				if n > 0 {
					setInt(&f.ActiveWithinHours, (n+59)/60)
				}
			case "school": // 0 any, 1 211 (or 985), 2 985
				if f.SchoolTier == "" {
					switch n {
					case 0:
					case 1:
						f.SchoolTier = "211"
					case 2:
						f.SchoolTier = "985"
					default:
						return fmt.Errorf("%s: want 0 (any), 1 (211) or 2 (985), got %d", name, n)
					}
				}
			}
		case "min_degree":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("%s: want a string", name)
			}
			if f.DegreeMin == "" {
				f.DegreeMin = strings.TrimSpace(s)
			}
		case "location", "job_tags", "expect_jobs", "neg_words", "neg_company", "status":
			list, err := looseStrings(raw)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			var dst *[]string
			switch k {
			case "location":
				dst = &f.Locations
			case "job_tags", "expect_jobs":
				dst = &f.JobTags
			case "neg_words":
				dst = &f.NegativeWords
			case "neg_company":
				dst = &f.NegativeCompanies
			case "status":
				dst = &f.ApplyStatus
			}
			for _, s := range list {
				if !slices.Contains(*dst, s) {
					*dst = append(*dst, s)
				}
			}
		case "ex_company", "cur_company", "languages":
			// Criteria of the reference's LinkedIn/maimai filters that have
			// no counterpart on a BOSS card: accepted, listed in
			// docs/brain.md as not applied.
			f.Unapplied = append(f.Unapplied, k)
		default:
			return fmt.Errorf("%s: unknown key", name)
		}
	}
	slices.Sort(f.Unapplied)
	return nil
}

func setInt(dst *int, v int) {
	if *dst == 0 {
		*dst = v
	}
}

// looseInt reads a number, a numeric string or "" (0).
func looseInt(raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, nil
		}
	} else {
		s = string(raw)
	}
	if s == "null" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, fmt.Errorf("want a whole number, got %.40s", raw)
	}
	return int(f), nil
}

// looseStrings reads a list of strings (numbers allowed), a single string,
// "" or null; empty entries are dropped (the reference skips them too).
func looseStrings(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if s = strings.TrimSpace(s); s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("want a list of strings")
	}
	var out []string
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err != nil {
			var n json.Number
			if err := json.Unmarshal(it, &n); err != nil {
				return nil, fmt.Errorf("[%d]: want a string", i)
			}
			s = n.String()
		}
		if s = strings.TrimSpace(s); s != "" && s != "None" && s != "NULL" {
			out = append(out, s)
		}
	}
	return out, nil
}

// UnmarshalJSON reads taskToDo's data: the reference's {"task":[…]} or the
// built-in brain's {"task_list":[…]} (it sends both).
func (l *WechatTaskList) UnmarshalJSON(b []byte) error {
	var w struct {
		Task     []WechatTask `json:"task"`
		TaskList []WechatTask `json:"task_list"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	l.TaskList = w.TaskList
	if len(l.TaskList) == 0 {
		l.TaskList = w.Task
	}
	// v3.0's add_friend items are {alias_id, msg}: the note is msg, the
	// WeChat id stays on the reference's side.
	for i := range l.TaskList {
		if l.TaskList[i].TaskType != WechatAddFriend {
			continue
		}
		for k := range l.TaskList[i].Content {
			c := &l.TaskList[i].Content[k]
			if c.HelloMsg == "" {
				c.HelloMsg = c.Msg
			}
		}
	}
	return nil
}

// MarshalJSON writes both keys, so clients of either shape read it.
func (l WechatTaskList) MarshalJSON() ([]byte, error) {
	list := l.TaskList
	if list == nil {
		list = []WechatTask{}
	}
	return json.Marshal(struct {
		Task     []WechatTask `json:"task"`
		TaskList []WechatTask `json:"task_list"`
	}{list, list})
}
