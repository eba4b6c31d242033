package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// Candidate generation: every field is drawn from a PCG stream keyed by the
// seed and the candidate's place (account, job, index), so a candidate does
// not change when another job's size changes, and the same seed always
// yields the same people.

var (
	surnames     = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡"}
	maleGiven    = []string{"伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "浩", "鹏", "宇", "斌", "辉", "俊杰", "子豪", "志强", "建国", "文博", "浩然", "晨阳", "家豪", "天宇", "一鸣", "振华"}
	femaleGiven  = []string{"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "琳", "欣怡", "梓涵", "雨婷", "佳琪", "思雨", "晓燕", "美玲", "诗涵", "慧敏", "婉清", "雅琴", "若曦", "梦瑶"}
	universities = []string{"北京大学", "清华大学", "浙江大学", "复旦大学", "上海交通大学", "南京大学", "武汉大学", "华中科技大学", "中山大学", "四川大学", "电子科技大学", "西安电子科技大学", "北京邮电大学", "哈尔滨工业大学", "同济大学", "东南大学", "厦门大学", "山东大学", "湖南大学", "重庆大学", "北京理工大学", "华南理工大学", "南开大学", "天津大学", "吉林大学", "大连理工大学"}
	colleges     = []string{"深圳职业技术学院", "南京工业职业技术大学", "浙江机电职业技术学院", "武汉职业技术学院", "成都职业技术学院", "北京信息职业技术学院", "广东轻工职业技术学院", "杭州职业技术学院"}
	majors       = []string{"计算机科学与技术", "软件工程", "电子信息工程", "通信工程", "信息管理与信息系统", "数学与应用数学", "自动化", "网络工程", "物联网工程", "统计学", "数据科学与大数据技术", "市场营销", "工商管理"}
	companies    = []string{"字节跳动", "阿里巴巴", "腾讯", "美团", "京东", "百度", "网易", "快手", "小米", "拼多多", "滴滴出行", "携程", "蚂蚁集团", "华为", "中兴通讯", "金山软件", "用友网络", "科大讯飞", "顺丰科技", "贝壳找房", "哔哩哔哩", "小红书", "得物", "米哈游", "深信服", "海康威视", "大华股份", "汇丰软件", "东软集团", "中软国际"}
	// emphasis holds skills per position category (see positionCategory).
	emphasis = map[string][]string{
		"技术": {"Go", "Java", "Python", "MySQL", "Redis", "Kafka", "Kubernetes", "Docker", "微服务", "高并发", "分布式系统", "Linux", "gRPC", "Elasticsearch", "Vue", "React"},
		"销售": {"大客户销售", "渠道拓展", "客户关系管理", "商务谈判", "招投标", "To B销售", "电话销售", "团队管理"},
		"运营": {"用户增长", "活动策划", "内容运营", "社群运营", "数据分析", "新媒体运营", "私域流量"},
		"产品": {"需求分析", "产品规划", "Axure", "用户研究", "数据分析", "B端产品", "项目管理"},
	}
	duties = map[string]string{
		"技术": "负责%s相关系统的设计与开发，主要使用%s。",
		"销售": "负责%s相关的客户开发与维护，完成季度销售目标，擅长%s。",
		"运营": "负责%s相关的用户运营与活动执行，侧重%s。",
		"产品": "负责%s相关的产品规划与需求落地，擅长%s。",
	}
	activeDescs = []string{"刚刚活跃", "今日活跃", "3日内活跃", "本周活跃"}
	applyDescs  = []string{"离职-随时到岗", "在职-暂不考虑", "在职-考虑机会", "在职-月内到岗"}
	feedbacks   = []Feedback{{1, "工作经历不匹配"}, {2, "期望薪资过高"}, {3, "期望城市不符"}, {4, "学历不符合"}, {5, "其他原因"}}
	wechatWords = []string{"sky", "sun", "moon", "river", "tiger", "cloud", "coder", "dev", "happy", "lucky", "star", "blue", "go", "fly", "leo", "max"}
)

// degrees from low to high with the minimum age at graduation.
var degrees = []struct {
	name     string
	gradAge  int
	years    int
	weight   int
	college  bool
	graduate bool
}{
	{"大专", 21, 3, 25, true, false},
	{"本科", 22, 4, 50, false, false},
	{"硕士", 25, 3, 20, false, true},
	{"博士", 29, 4, 5, false, true},
}

// candidate is the sim's full knowledge of one generated person.
type candidate struct {
	id         int64
	encrypt    string
	securityID string
	name       string
	gender     int // 0 female, 1 male
	account    *account
	job        *Job
	persona    string
	wechat     string
	phone      string
	disclose   string // wechat | phone | cv, what the candidate gives in text
	how        string // text | text_obfuscated
	item       GeekItem
	rng        *rand.Rand // behaviour stream (reply delays, wording)
	explicit   bool
}

func streamKey(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func opaque(seed int64, n int, parts ...string) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(seed, parts)))
	s := base64.RawURLEncoding.EncodeToString(sum[:])
	for len(s) < n {
		sum = sha256.Sum256(sum[:])
		s += base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return s[:n]
}

// newCandidate generates candidate number idx of job for account a.
func newCandidate(seed int64, a *account, job *Job, idx int, ex *ExplicitCandidate, personas []weighted, now time.Time) *candidate {
	key := fmt.Sprintf("%s/%d/%d", a.cfg.ID, job.ID, idx)
	if ex != nil {
		key = fmt.Sprintf("%s/%d/explicit/%d", a.cfg.ID, job.ID, idx)
	}
	r := rand.New(rand.NewPCG(uint64(seed), streamKey("gen", key)))
	c := &candidate{account: a, job: job}
	c.rng = rand.New(rand.NewPCG(uint64(seed), streamKey("behave", key)))
	idSum := sha256.Sum256([]byte(fmt.Sprint(seed, key)))
	// 8-digit geek ids like the real site's; collisions are resolved by
	// the caller.
	c.id = 40000000 + int64(binary.BigEndian.Uint32(idSum[:4])%50000000)
	c.encrypt = opaque(seed, 28, "geek", key) + "~~"
	c.encrypt = c.encrypt[:28]
	c.securityID = opaque(seed, 96, "security", key)

	c.gender = r.IntN(2)
	if ex != nil && ex.Gender != "" {
		c.gender = map[string]int{"female": 0, "male": 1}[ex.Gender]
	}
	given := femaleGiven
	if c.gender == 1 {
		given = maleGiven
	}
	c.name = pick(r, surnames) + pick(r, given)
	if ex != nil && ex.Name != "" {
		c.name = ex.Name
	}

	// Degree, age and years of work are drawn together so they agree.
	total := 0
	for _, d := range degrees {
		total += d.weight
	}
	n, di := r.IntN(total), 0
	for i, d := range degrees {
		if n < d.weight {
			di = i
			break
		}
		n -= d.weight
	}
	deg := degrees[di]
	category := positionCategory(job.Name)
	skills := emphasis[category]
	workYears := r.IntN(13) // 0 = fresh graduate
	if r.IntN(6) == 0 {
		workYears = 0
	}
	age := deg.gradAge + workYears + r.IntN(2)
	year := now.Year()
	gradYear := year - workYears
	if workYears == 0 && now.Month() < 7 {
		gradYear = year // graduating this summer
	}
	var edus []Edu
	school := pick(r, universities)
	if deg.college {
		school = pick(r, colleges)
	}
	major := pick(r, majors)
	edus = append(edus, Edu{School: school, Major: major, DegreeName: deg.name,
		StartDate: fmt.Sprintf("%d.09", gradYear-deg.years), EndDate: fmt.Sprintf("%d.06", gradYear)})
	if deg.graduate { // a bachelor's degree before the master's / PhD
		edus = append(edus, Edu{School: pick(r, universities), Major: major, DegreeName: "本科",
			StartDate: fmt.Sprintf("%d.09", gradYear-deg.years-4), EndDate: fmt.Sprintf("%d.06", gradYear-deg.years)})
	}

	lo, hi, _ := parseSalary(job.Salary)
	// Expectations cluster around the job's range, higher with experience.
	low := lo - 3 + r.IntN(max(1, (hi-lo)*2/3)) + workYears/3
	if low < 3 {
		low = 3
	}
	high := low + 3 + r.IntN(low/3+3)

	var works []Work
	if workYears > 0 {
		nw := 1 + r.IntN(min(3, workYears))
		end := now
		// Months between graduation (June) and now, less one month of gap
		// between jobs, so the first job starts after graduating.
		left := workYears*12 + int(now.Month()) - 6 - 1 - (nw - 1)
		if left < nw {
			left = nw
		}
		for w := 0; w < nw; w++ {
			months := left / (nw - w)
			if w < nw-1 {
				months = max(1, min(left-(nw-w-1), months-3+r.IntN(7)))
			}
			left -= months
			start := end.AddDate(0, -months, 0)
			wk := Work{Company: pick(r, companies), PositionName: job.Name, PositionCategory: category,
				StartDate: start.Format("2006.01"), WorkTime: fmt.Sprintf("%d年%d个月", months/12, months%12)}
			if w == 0 && r.IntN(3) > 0 {
				wk.Current = true
			} else {
				wk.EndDate = end.Format("2006.01")
			}
			e1, e2 := pick(r, skills), pick(r, skills)
			wk.WorkEmphasisList = []string{e1}
			if e2 != e1 {
				wk.WorkEmphasisList = append(wk.WorkEmphasisList, e2)
			}
			wk.Responsibility = fmt.Sprintf(duties[category], job.Name, strings.Join(wk.WorkEmphasisList, "、"))
			works = append(works, wk)
			end = start.AddDate(0, -1, 0)
		}
	}
	workYearDesc := fmt.Sprintf("%d年", workYears)
	switch {
	case workYears == 0:
		workYearDesc = "应届生"
	case workYears >= 10:
		workYearDesc = "10年以上"
	}
	apply := r.IntN(len(applyDescs))
	if workYears == 0 {
		apply = 0
	}
	activeIdx := r.IntN(len(activeDescs))
	activeAgo := []time.Duration{time.Duration(r.IntN(30)) * time.Minute, time.Duration(1+r.IntN(10)) * time.Hour,
		time.Duration(25+r.IntN(47)) * time.Hour, time.Duration(73+r.IntN(90)) * time.Hour}[activeIdx]

	fresh := 0
	if workYears == 0 {
		fresh = 1
	}
	city := job.City
	desc := fmt.Sprintf("%s，%s毕业，%s。熟悉%s，期望在%s从事%s工作。", workYearDesc, school, deg.name, pick(r, skills), city, job.Name)
	card := GeekCard{
		GeekID: c.id, GeekName: c.name, EncryptGeekID: c.encrypt, SecurityID: c.securityID,
		GeekAvatar:   fmt.Sprintf("/static/avatar/%d.png", 1+r.IntN(12)),
		GeekGender:   c.gender,
		GeekWorkYear: workYearDesc, GeekDegree: deg.name, FreshGraduate: fresh,
		GeekDesc: GeekDesc{Content: desc},
		Salary:   fmt.Sprintf("%d-%dK", low, high), LowSalary: low, HighSalary: high,
		ExpectPositionName: job.Name, ExpectPositionCode: 100000 + int(streamKey(job.Name)%900000),
		ExpectLocationName: city, ExpectLocationCode: cityCodes[city],
		ApplyStatus: apply, ApplyStatusDesc: applyDescs[apply],
		ActiveTime: now.Add(-activeAgo).Unix(),
		AgeDesc:    fmt.Sprintf("%d岁", age),
		GeekEdus:   edus, GeekWorks: works,
		JobID: job.ID, EncryptJobID: opaque(seed, 24, "job", fmt.Sprint(job.ID)),
		Lid: opaque(seed, 32, "lid", key),
	}
	if works == nil {
		card.GeekWorks = []Work{}
	}
	c.item = GeekItem{
		EncryptGeekID: c.encrypt, ActiveTimeDesc: activeDescs[activeIdx],
		GeekCard: card, ShowEdus: card.GeekEdus, ShowWorks: card.GeekWorks,
		Feedback: feedbacks,
	}
	if len(works) > 0 {
		c.item.GeekLastWork = works[0]
	}

	// Persona and contacts.
	c.persona = pickPersona(r, personas)
	c.wechat = genWeChat(r, c)
	c.phone = genPhone(r)
	c.disclose = DisclosureWeChat
	if c.persona == PersonaPhoneOnly {
		c.disclose = DisclosurePhone
	} else if c.persona == PersonaCVSender {
		c.disclose = DisclosureCV
	} else if r.IntN(4) == 0 {
		c.disclose = DisclosurePhone
	}
	c.how = HowText
	if c.persona == PersonaObfuscator {
		c.how = HowTextObfuscated
	}
	if ex != nil {
		c.explicit = true
		c.persona = ex.Persona
		if ex.WeChat != "" {
			c.wechat = ex.WeChat
		}
		if ex.Phone != "" {
			c.phone = ex.Phone
		}
		switch {
		case ex.Disclose != "":
			c.disclose = ex.Disclose
		case ex.WeChat != "" && ex.Phone == "":
			c.disclose = DisclosureWeChat // the contact the scenario pinned
		case ex.Phone != "" && ex.WeChat == "":
			c.disclose = DisclosurePhone
		}
		if ex.How != "" {
			c.how = ex.How
		} else if c.persona == PersonaObfuscator {
			c.how = HowTextObfuscated
		}
	}
	return c
}

func positionCategory(job string) string {
	switch {
	case strings.Contains(job, "销售"):
		return "销售"
	case strings.Contains(job, "运营"):
		return "运营"
	case strings.Contains(job, "产品"):
		return "产品"
	}
	return "技术"
}

var pinyin = map[string]string{"王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu", "郭": "guo", "何": "he", "高": "gao", "林": "lin", "罗": "luo", "郑": "zheng", "梁": "liang", "谢": "xie", "宋": "song", "唐": "tang", "许": "xu", "韩": "han", "冯": "feng", "邓": "deng", "曹": "cao", "彭": "peng", "曾": "zeng", "肖": "xiao", "田": "tian", "董": "dong", "袁": "yuan", "潘": "pan", "于": "yu", "蒋": "jiang", "蔡": "cai"}

func genWeChat(r *rand.Rand, c *candidate) string {
	base := pinyin[string([]rune(c.name)[:1])]
	if base == "" {
		base = "wx"
	}
	id := fmt.Sprintf("%s_%s%d", base, pick(r, wechatWords), 10+r.IntN(990))
	if len(id) > 20 {
		id = id[:20]
	}
	return id
}

func genPhone(r *rand.Rand) string {
	prefixes := []string{"13", "15", "17", "18", "19"}
	p := pick(r, prefixes) + fmt.Sprint(r.IntN(10))
	for i := 0; i < 8; i++ {
		p += fmt.Sprint(r.IntN(10))
	}
	return p
}
