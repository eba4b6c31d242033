package state

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

var (
	ixOnce  sync.Once
	ixBig   *contactIndex
	ixBytes uint64 // heap the index holds
	ixBuild time.Duration
)

// bigIndex builds the in-memory index alone over 1,000,000 synthetic
// contacts (no bbolt) to measure the query path by itself.
func bigIndex() *contactIndex {
	ixOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		sur := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏")
		giv := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彩春菊凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷")
		jobs := []string{"产品经理", "前端工程师", "后端工程师", "Go开发", "Python开发", "Java开发", "测试工程师", "运维工程师", "数据分析师", "UI设计师",
			"销售经理", "客服专员", "人事专员", "财务会计", "市场专员", "算法工程师", "项目经理", "运营专员", "行政助理", "架构师"}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		ix := newContactIndex()
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= 1_000_000; i++ {
			c := wire.Contact{ID: uint64(i), Name: string(sur[rng.IntN(len(sur))]) + string(giv[rng.IntN(len(giv))]) + string(giv[rng.IntN(len(giv))]),
				Position: jobs[rng.IntN(len(jobs))], CreatedAt: base.Add(time.Duration(i) * 31 * time.Second)}
			switch rng.IntN(3) {
			case 0:
				c.Contact = fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1_000_000_000))
			case 1:
				c.Contact = fmt.Sprintf("wechat:wx_%x", rng.Uint32())
			}
			if rng.IntN(3) == 0 {
				c.ReplyStatus = wire.ReplyYes
			}
			c.WechatExchanged = rng.IntN(5) == 0
			ix.putLocked(&c)
		}
		ix.trim()
		ixBuild = time.Since(t0)
		runtime.GC()
		runtime.ReadMemStats(&after)
		ixBytes = after.HeapAlloc - before.HeapAlloc
		ixBig = ix
	})
	return ixBig
}

func BenchmarkIndexQuery1M(b *testing.B) {
	ix := bigIndex()
	// The index's own figures: heap held and time to build (as at Open,
	// without the bbolt read and JSON decode).
	b.Run("index", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ix.funnel()
		}
		b.ReportMetric(float64(ixBytes)/(1<<20), "index-MB")
		b.ReportMetric(ixBuild.Seconds(), "build-s")
	})
	yes, no := true, false
	narrow := wire.ContactFilter{Search: "138", Replied: &yes, From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 7, 0, 0, 0, 0, time.UTC)}
	b.Run("138/one-week", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ix.match(narrow, 0, 20)
		}
	})
	for _, q := range []string{"产品", "张伟", "138", "wx_a", "工程师", "李", ""} {
		for _, wx := range []*bool{nil, &yes, &no} {
			name := q + "/wechat=any"
			if wx != nil {
				name = fmt.Sprintf("%s/wechat=%v", q, *wx)
			}
			b.Run(name, func(b *testing.B) {
				f := wire.ContactFilter{Search: q, Replied: &yes, WechatExchanged: wx,
					From: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 11, 30, 0, 0, 0, 0, time.UTC)}
				for i := 0; i < b.N; i++ {
					ix.match(f, 40, 20)
				}
			})
		}
	}
}
