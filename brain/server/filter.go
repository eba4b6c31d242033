package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/brain"
)

// degreeRank orders degrees; unknown degrees are absent.
var degreeRank = map[string]int{
	"初中及以下": 1, "初中": 1, "中专/中技": 2, "中专": 2, "中技": 2, "高中": 3,
	"大专": 4, "本科": 5, "硕士": 6, "研究生": 6, "博士": 7,
}

// Degrees is the accepted set for filter_args.degree_min, in order.
var Degrees = []string{"初中及以下", "中专/中技", "高中", "大专", "本科", "硕士", "博士"}

// flexString accepts a JSON string or number (geekId is an int on BOSS,
// a string elsewhere).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// flexNum accepts a JSON number or a numeric string.
type flexNum float64

func (f *flexNum) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return fmt.Errorf("not a number: %q", string(s))
	}
	*f = flexNum(v)
	return nil
}

// candidateRecord is the part of a recommend-list item the filter reads.
type candidateRecord struct {
	EncryptGeekID  string   `json:"encryptGeekId"`
	ActiveTimeDesc string   `json:"activeTimeDesc"`
	GeekCard       geekCard `json:"geekCard"`
}

type geekCard struct {
	GeekID             flexString               `json:"geekId"`
	EncryptGeekID      string                   `json:"encryptGeekId"`
	GeekDegree         string                   `json:"geekDegree"`
	GeekDesc           struct{ Content string } `json:"geekDesc"`
	LowSalary          flexNum                  `json:"lowSalary"`
	HighSalary         flexNum                  `json:"highSalary"`
	ExpectPositionName string                   `json:"expectPositionName"`
	ExpectLocationName string                   `json:"expectLocationName"`
	ApplyStatusDesc    string                   `json:"applyStatusDesc"`
	ActiveTime         flexNum                  `json:"activeTime"`
	ActiveTimeDesc     string                   `json:"activeTimeDesc"`
	AgeDesc            string                   `json:"ageDesc"`
	GeekEdus           []struct {
		School     string `json:"school"`
		DegreeName string `json:"degreeName"`
	} `json:"geekEdus"`
	GeekWorks []struct {
		Company          string   `json:"company"`
		PositionName     string   `json:"positionName"`
		PositionCategory string   `json:"positionCategory"`
		Responsibility   string   `json:"responsibility"`
		WorkEmphasisList []string `json:"workEmphasisList"`
	} `json:"geekWorks"`
}

// candidateID is the id the brain keys a candidate by: geekCard.geekId,
// else the encrypted id.
func (r candidateRecord) candidateID() string {
	switch {
	case r.GeekCard.GeekID != "":
		return string(r.GeekCard.GeekID)
	case r.GeekCard.EncryptGeekID != "":
		return r.GeekCard.EncryptGeekID
	}
	return r.EncryptGeekID
}

// Check is one evaluated filter criterion.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

var ageRe = regexp.MustCompile(`(\d+)\s*岁`)

// evaluateFilter applies every configured criterion of args to rec and
// returns touch (all passed) and the checks in a fixed order.
func evaluateFilter(args brain.FilterArgs, rec candidateRecord, now time.Time) (bool, []Check) {
	g := rec.GeekCard
	checks := make([]Check, 0, 11) // one per criterion
	add := func(name string, ok bool, format string, a ...any) {
		checks = append(checks, Check{Name: name, OK: ok, Detail: detailf(format, a...)})
	}

	if args.AgeMin > 0 || args.AgeMax > 0 {
		if m := ageRe.FindStringSubmatch(g.AgeDesc); m == nil {
			add("age", false, "age unknown (ageDesc %q)", g.AgeDesc)
		} else {
			age, _ := strconv.Atoi(m[1])
			switch {
			case args.AgeMin > 0 && age < args.AgeMin:
				add("age", false, "age %d < min %d", age, args.AgeMin)
			case args.AgeMax > 0 && age > args.AgeMax:
				add("age", false, "age %d > max %d", age, args.AgeMax)
			default:
				add("age", true, "age %d within range", age)
			}
		}
	}

	if args.DegreeMin != "" {
		want := degreeRank[args.DegreeMin]
		got, known := degreeRank[strings.TrimSpace(g.GeekDegree)]
		switch {
		case !known:
			add("degree", false, "degree unknown (%q)", g.GeekDegree)
		case got < want:
			add("degree", false, "degree %s below %s", g.GeekDegree, args.DegreeMin)
		default:
			add("degree", true, "degree %s >= %s", g.GeekDegree, args.DegreeMin)
		}
	}

	if args.SchoolTier != "" || len(args.Schools) > 0 {
		extra := map[string]bool{}
		for _, s := range args.Schools {
			extra[normalizeSchool(s)] = true
		}
		match := ""
		for _, e := range g.GeekEdus {
			n := normalizeSchool(e.School)
			if extra[n] || schools985[n] || (args.SchoolTier == "211" && schools211[n]) {
				match = e.School
				break
			}
		}
		tier := args.SchoolTier
		if tier == "" {
			tier = "listed"
		}
		if match == "" {
			add("school", false, "no %s school among %d education entries", tier, len(g.GeekEdus))
		} else {
			add("school", true, "%s school %s", tier, match)
		}
	}

	if len(args.Locations) > 0 {
		loc := strings.TrimSpace(g.ExpectLocationName)
		ok := loc != "" && slices.ContainsFunc(args.Locations, func(l string) bool {
			return strings.Contains(loc, l) || strings.Contains(l, loc)
		})
		add("location", ok, "expected location %q vs %v", loc, args.Locations)
	}

	if len(args.JobTags) > 0 {
		corpus := []string{g.ExpectPositionName}
		for _, w := range g.GeekWorks {
			corpus = append(corpus, w.PositionName, w.PositionCategory, w.Responsibility)
			corpus = append(corpus, w.WorkEmphasisList...)
		}
		text := strings.Join(corpus, "\n")
		hit := ""
		for _, tag := range args.JobTags {
			if tag != "" && strings.Contains(text, tag) {
				hit = tag
				break
			}
		}
		if hit == "" {
			add("job_tags", false, "none of %v in positions, responsibilities or skill tags", args.JobTags)
		} else {
			add("job_tags", true, "tag %q found", hit)
		}
	}

	if len(args.NegativeWords) > 0 {
		corpus := []string{g.GeekDesc.Content, g.ExpectPositionName}
		for _, w := range g.GeekWorks {
			corpus = append(corpus, w.PositionName, w.Responsibility)
		}
		text := strings.Join(corpus, "\n")
		hit := ""
		for _, word := range args.NegativeWords {
			if word != "" && strings.Contains(text, word) {
				hit = word
				break
			}
		}
		if hit != "" {
			add("negative_words", false, "negative word %q present", hit)
		} else {
			add("negative_words", true, "no negative word")
		}
	}

	if len(args.NegativeCompanies) > 0 {
		hit := ""
		for _, w := range g.GeekWorks {
			for _, c := range args.NegativeCompanies {
				if c != "" && strings.Contains(w.Company, c) {
					hit = c
				}
			}
		}
		if hit != "" {
			add("negative_companies", false, "worked at negative company %q", hit)
		} else {
			add("negative_companies", true, "no negative company")
		}
	}

	if args.SalaryMin > 0 || args.SalaryMax > 0 {
		low, high := float64(g.LowSalary), float64(g.HighSalary)
		if high == 0 {
			high = low
		}
		switch {
		case low == 0 && high == 0:
			add("salary", true, "salary negotiable/unknown")
		case args.SalaryMax > 0 && low > float64(args.SalaryMax):
			add("salary", false, "expects %g-%gK above max %dK", low, high, args.SalaryMax)
		case args.SalaryMin > 0 && high < float64(args.SalaryMin):
			add("salary", false, "expects %g-%gK below min %dK", low, high, args.SalaryMin)
		default:
			add("salary", true, "expects %g-%gK overlaps %d-%dK", low, high, args.SalaryMin, args.SalaryMax)
		}
	}

	if len(args.ApplyStatus) > 0 {
		ok := slices.Contains(args.ApplyStatus, g.ApplyStatusDesc)
		add("apply_status", ok, "apply status %q vs %v", g.ApplyStatusDesc, args.ApplyStatus)
	}

	if args.ActiveWithinHours > 0 {
		desc := rec.ActiveTimeDesc
		if desc == "" {
			desc = g.ActiveTimeDesc
		}
		at := int64(g.ActiveTime)
		if at > 1e12 { // milliseconds
			at /= 1000
		}
		limit := time.Duration(args.ActiveWithinHours) * time.Hour
		switch {
		case desc == "刚刚活跃":
			add("activity", true, "刚刚活跃")
		case at > 0 && now.Sub(time.Unix(at, 0)) <= limit:
			add("activity", true, "active %s ago", now.Sub(time.Unix(at, 0)).Round(time.Minute))
		case at > 0:
			add("activity", false, "last active %s ago > %dh", now.Sub(time.Unix(at, 0)).Round(time.Minute), args.ActiveWithinHours)
		default:
			add("activity", false, "activity unknown (activeTimeDesc %q)", desc)
		}
	}

	touch := true
	for _, c := range checks {
		touch = touch && c.OK
	}
	return touch, checks
}

// validateFilterArgs checks args; the error names the key.
func validateFilterArgs(prefix string, a brain.FilterArgs) error {
	switch {
	case a.AgeMin < 0:
		return fmt.Errorf("%sage_min: must be >= 0", prefix)
	case a.AgeMax < 0:
		return fmt.Errorf("%sage_max: must be >= 0", prefix)
	case a.AgeMax > 0 && a.AgeMin > a.AgeMax:
		return fmt.Errorf("%sage_min: %d exceeds age_max %d", prefix, a.AgeMin, a.AgeMax)
	case a.DegreeMin != "" && !slices.Contains(Degrees, a.DegreeMin):
		return fmt.Errorf("%sdegree_min: %q is not one of %v", prefix, a.DegreeMin, Degrees)
	case a.SchoolTier != "" && a.SchoolTier != "211" && a.SchoolTier != "985":
		return fmt.Errorf("%sschool_tier: %q: want \"211\" or \"985\"", prefix, a.SchoolTier)
	case a.SalaryMin < 0:
		return fmt.Errorf("%ssalary_min: must be >= 0", prefix)
	case a.SalaryMax < 0:
		return fmt.Errorf("%ssalary_max: must be >= 0", prefix)
	case a.SalaryMax > 0 && a.SalaryMin > a.SalaryMax:
		return fmt.Errorf("%ssalary_min: %d exceeds salary_max %d", prefix, a.SalaryMin, a.SalaryMax)
	case a.ActiveWithinHours < 0:
		return fmt.Errorf("%sactive_within_hours: must be >= 0", prefix)
	}
	return nil
}

// detailf is fmt.Sprintf for the verbs and types check details use (%q %s
// %d %g %v of string, int, float64, []string, time.Duration), without
// fmt's reflection: every filter request formats about ten details. Other
// verbs or types fall back to fmt.
func detailf(format string, a ...any) string {
	var sb strings.Builder // String() does not copy: one allocation per detail
	sb.Grow(len(format) + 48)
	b := make([]byte, 0, 64)
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		verb := format[i]
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if n >= len(a) {
			return fmt.Sprintf(format, a...)
		}
		switch v := a[n].(type) {
		case string:
			switch verb {
			case 's', 'v':
				b = append(b, v...)
			case 'q':
				b = strconv.AppendQuote(b, v)
			default:
				return fmt.Sprintf(format, a...)
			}
		case int:
			if verb != 'd' && verb != 'v' {
				return fmt.Sprintf(format, a...)
			}
			b = strconv.AppendInt(b, int64(v), 10)
		case float64:
			if verb != 'g' && verb != 'v' {
				return fmt.Sprintf(format, a...)
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		case []string:
			if verb != 'v' {
				return fmt.Sprintf(format, a...)
			}
			b = append(b, '[')
			for j, s := range v {
				if j > 0 {
					b = append(b, ' ')
				}
				b = append(b, s...)
			}
			b = append(b, ']')
		case time.Duration:
			if verb != 's' && verb != 'v' {
				return fmt.Sprintf(format, a...)
			}
			b = append(b, v.String()...)
		default:
			return fmt.Sprintf(format, a...)
		}
		n++
	}
	if n != len(a) {
		return fmt.Sprintf(format, a...)
	}
	sb.Write(b)
	return sb.String()
}
