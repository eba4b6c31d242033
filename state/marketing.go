package state

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Seed 002's marketing notices: AI-hosted conversation plans, their groups
// and the scenes a conversation can trigger. The sets are small (dozens to
// a few thousand records), so lists read a whole bucket and the API sorts
// and pages in memory.
var (
	bucketMNGroups = []byte("mn_groups") // id -> wire.MNGroup
	bucketMNScenes = []byte("mn_scenes") // id -> wire.MNScene
	bucketMNPlans  = []byte("mn_plans")  // id -> wire.MNPlan
	// bucketMNPlansByGroup: groupID|planID -> nil; a group with plans
	// cannot be deleted.
	bucketMNPlansByGroup = []byte("idx_mn_plans_by_group")
)

var marketingBuckets = [][]byte{bucketMNGroups, bucketMNScenes, bucketMNPlans, bucketMNPlansByGroup}

// SystemScenes are the scenes every plan may monitor; the migration that
// creates the buckets stores them with ids 1..len. Their names are the
// ones seed 002's daily-report example shows (转人工, 完成服务) and the
// plan report's counters (联系成功, 有效沟通, 邀约成功).
var SystemScenes = []wire.MNScene{
	{Name: "联系成功", StatisticalMethod: wire.SceneOnly, Prompt: "候选人给出了微信、手机号或简历"},
	{Name: "有效沟通", StatisticalMethod: wire.SceneOnly, Prompt: "候选人就职位进行了实质性的回复"},
	{Name: "邀约成功", StatisticalMethod: wire.SceneOnly, Prompt: "候选人同意面试或到店"},
	{Name: "转人工", StatisticalMethod: wire.SceneGrandTotal, Prompt: "候选人要求人工或对话需要人工介入"},
	{Name: "完成服务", StatisticalMethod: wire.SceneOnly, Prompt: "对话目标达成，服务结束"},
}

// createMarketingBuckets is the migration step: buckets plus the system
// scenes, in one transaction.
func createMarketingBuckets(tx *bbolt.Tx) error {
	if err := CreateBuckets(marketingBuckets...)(tx); err != nil {
		return err
	}
	b := tx.Bucket(bucketMNScenes)
	for _, sc := range SystemScenes {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		sc.ID, sc.SceneType = id, wire.SceneSystem
		if err := putJSON(b, u64(id), sc); err != nil {
			return err
		}
	}
	return nil
}

func mnNotFound(kind string, id uint64) error {
	return fmt.Errorf("%s %d: %w", kind, id, wire.ErrNotFound)
}

// --- groups ---

func checkGroupName(tx *bbolt.Tx, name string, self uint64) error {
	if err := checkText("name", name, 1, 64); err != nil {
		return err
	}
	return tx.Bucket(bucketMNGroups).ForEach(func(k, v []byte) error {
		var g wire.MNGroup
		if err := jsonUnmarshal(v, &g); err != nil {
			return err
		}
		if g.Name == name && g.ID != self {
			return fieldErr("name", "group %q already exists (id %d)", name, g.ID)
		}
		return nil
	})
}

// CreateMNGroup stores a new group; names are unique.
func (db *DB) CreateMNGroup(name string) (wire.MNGroup, error) {
	name = strings.TrimSpace(name)
	var g wire.MNGroup
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := checkGroupName(tx, name, 0); err != nil {
			return err
		}
		b := tx.Bucket(bucketMNGroups)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := wire.SeedTime{Time: db.now()}
		g = wire.MNGroup{ID: id, CreateTime: now, LastUpdateTime: now, Name: name}
		return putJSON(b, u64(id), g)
	})
	return g, err
}

// UpdateMNGroup renames a group.
func (db *DB) UpdateMNGroup(id uint64, name string) (wire.MNGroup, error) {
	name = strings.TrimSpace(name)
	var g wire.MNGroup
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMNGroups)
		if err := getJSON(b, u64(id), &g); err != nil {
			return mnNotFound("group", id)
		}
		if err := checkGroupName(tx, name, id); err != nil {
			return err
		}
		g.Name, g.LastUpdateTime = name, wire.SeedTime{Time: db.now()}
		return putJSON(b, u64(id), g)
	})
	return g, err
}

// DeleteMNGroup deletes a group that has no plans.
func (db *DB) DeleteMNGroup(id uint64) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMNGroups)
		if b.Get(u64(id)) == nil {
			return mnNotFound("group", id)
		}
		if k, _ := tx.Bucket(bucketMNPlansByGroup).Cursor().Seek(u64(id)); k != nil && btou(k[:8]) == id {
			return fieldErr("id", "group %d still has plans (plan %d); move or delete them first", id, btou(k[8:]))
		}
		return b.Delete(u64(id))
	})
}

// GetMNGroup returns one group.
func (db *DB) GetMNGroup(id uint64) (wire.MNGroup, error) {
	return getMN[wire.MNGroup](db, bucketMNGroups, "group", id, nil)
}

// ListMNGroups returns every group in id order.
func (db *DB) ListMNGroups() ([]wire.MNGroup, error) {
	return listMN[wire.MNGroup](db, bucketMNGroups, nil)
}

// --- scenes ---

func checkSceneText(name, prompt, externalID string) error {
	if err := checkText("name", name, 1, 64); err != nil {
		return err
	}
	if err := checkText("prompt", prompt, 1, 2000); err != nil {
		return err
	}
	return checkText("externalId", externalID, 0, 128)
}

// CreateMNScene stores a CUSTOM scene of an existing plan.
func (db *DB) CreateMNScene(in wire.MNSceneInput) (wire.MNScene, error) {
	in.Name, in.ExternalID = strings.TrimSpace(in.Name), strings.TrimSpace(in.ExternalID)
	if err := checkSceneText(in.Name, in.Prompt, in.ExternalID); err != nil {
		return wire.MNScene{}, err
	}
	switch in.StatisticalMethod {
	case wire.SceneGrandTotal, wire.SceneOnly:
	case "":
		return wire.MNScene{}, fieldErr("statisticalMethod", "required (GRAND_TOTAL or ONLY)")
	default:
		return wire.MNScene{}, fieldErr("statisticalMethod", "must be GRAND_TOTAL or ONLY, got %q", in.StatisticalMethod)
	}
	if in.PlanID == 0 {
		return wire.MNScene{}, fieldErr("planId", "required")
	}
	var sc wire.MNScene
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMNPlans).Get(u64(in.PlanID)) == nil {
			return fieldErr("planId", "plan %d does not exist", in.PlanID)
		}
		b := tx.Bucket(bucketMNScenes)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := wire.SeedTime{Time: db.now()}
		sc = wire.MNScene{ID: id, CreateTime: now, LastUpdateTime: now, Name: in.Name,
			StatisticalMethod: in.StatisticalMethod, Prompt: in.Prompt, ExternalID: in.ExternalID,
			SceneType: wire.SceneCustom, PlanID: in.PlanID}
		return putJSON(b, u64(id), sc)
	})
	return sc, err
}

// updateScene applies change to a CUSTOM scene; SYSTEM scenes are fixed.
func (db *DB) updateScene(id uint64, change func(*wire.MNScene) error) (wire.MNScene, error) {
	var sc wire.MNScene
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMNScenes)
		if err := getJSON(b, u64(id), &sc); err != nil {
			return mnNotFound("scene", id)
		}
		if sc.SceneType == wire.SceneSystem {
			return fieldErr("id", "scene %d is a SYSTEM scene and cannot be changed", id)
		}
		if err := change(&sc); err != nil {
			return err
		}
		sc.LastUpdateTime = wire.SeedTime{Time: db.now()}
		return putJSON(b, u64(id), sc)
	})
	return sc, err
}

// UpdateMNScene replaces a CUSTOM scene's name, prompt and external id.
func (db *DB) UpdateMNScene(id uint64, in wire.MNSceneUpdate) (wire.MNScene, error) {
	in.Name, in.ExternalID = strings.TrimSpace(in.Name), strings.TrimSpace(in.ExternalID)
	if err := checkSceneText(in.Name, in.Prompt, in.ExternalID); err != nil {
		return wire.MNScene{}, err
	}
	return db.updateScene(id, func(sc *wire.MNScene) error {
		sc.Name, sc.Prompt, sc.ExternalID = in.Name, in.Prompt, in.ExternalID
		return nil
	})
}

// UnbindMNSceneExternalID clears a CUSTOM scene's external id.
func (db *DB) UnbindMNSceneExternalID(id uint64) (wire.MNScene, error) {
	return db.updateScene(id, func(sc *wire.MNScene) error {
		sc.ExternalID = ""
		return nil
	})
}

// GetMNScene returns one scene.
func (db *DB) GetMNScene(id uint64) (wire.MNScene, error) {
	return getMN[wire.MNScene](db, bucketMNScenes, "scene", id, nil)
}

// ListMNScenes returns every scene in id order (SYSTEM ones first).
func (db *DB) ListMNScenes() ([]wire.MNScene, error) {
	return listMN[wire.MNScene](db, bucketMNScenes, nil)
}

// --- plans ---

// checkPlanData validates a plan's settings against the groups and scenes
// of tx. planID is 0 for a new plan (which can use SYSTEM scenes only:
// CUSTOM scenes are created for an existing plan). Field names are the
// body's, under "data.".
func checkPlanData(tx *bbolt.Tx, d *wire.MNPlanData, planID uint64, release bool) error {
	d.Name = strings.TrimSpace(d.Name)
	if err := checkText("data.name", d.Name, 1, 120); err != nil {
		return err
	}
	if d.GroupID == 0 {
		return fieldErr("data.groupId", "required")
	}
	if tx.Bucket(bucketMNGroups).Get(u64(d.GroupID)) == nil {
		return fieldErr("data.groupId", "group %d does not exist", d.GroupID)
	}
	for _, t := range []struct {
		field, v string
		max      int
	}{
		{"data.description", d.Description, 1000},
		{"data.segmentSeparator", d.SegmentSeparator, 8},
		{"data.prompt", d.Prompt, 8000},
		{"data.backgroundInfo", d.BackgroundInfo, 8000},
		{"data.timeInfo", d.TimeInfo, 2000},
		{"data.referenceCase", d.ReferenceCase, 8000},
		{"data.timeoutPrompt", d.TimeoutPrompt, 2000},
	} {
		if err := checkText(t.field, t.v, 0, t.max); err != nil {
			return err
		}
	}
	if !d.StartTime.IsZero() && !d.EndTime.IsZero() && !d.EndTime.After(d.StartTime.Time) {
		return fieldErr("data.endTime", "must be after data.startTime")
	}
	switch d.ReplyStrategy {
	case "", wire.ReplyConsultantContinue, wire.ReplyConsultantNoFurther, wire.ReplyAIHostingEnd:
	default:
		return fieldErr("data.replyStrategy", "must be one of %s, %s, %s; got %q",
			wire.ReplyConsultantContinue, wire.ReplyConsultantNoFurther, wire.ReplyAIHostingEnd, d.ReplyStrategy)
	}
	if d.ReplyDelay < 0 || d.ReplyDelay > 3600 {
		return fieldErr("data.replyDelay", "must be between 0 and 3600 seconds, got %d", d.ReplyDelay)
	}
	if d.MinReplyInterval < 0 || d.MinReplyInterval > 3600 {
		return fieldErr("data.minReplyInterval", "must be between 0 and 3600 seconds, got %d", d.MinReplyInterval)
	}
	if d.TimeoutWakeUp {
		if d.Timeout < 1 || d.Timeout > 7*24*60 {
			return fieldErr("data.timeout", "must be between 1 and 10080 minutes when data.timeoutWakeUp is true, got %d", d.Timeout)
		}
		if strings.TrimSpace(d.TimeoutPrompt) == "" {
			return fieldErr("data.timeoutPrompt", "required when data.timeoutWakeUp is true")
		}
	} else if d.Timeout < 0 {
		return fieldErr("data.timeout", "must not be negative, got %d", d.Timeout)
	}
	scenes := tx.Bucket(bucketMNScenes)
	seen := map[uint64]bool{}
	for i, id := range d.SceneIDs {
		field := fmt.Sprintf("data.sceneIds[%d]", i)
		var sc wire.MNScene
		if err := getJSON(scenes, u64(id), &sc); err != nil {
			return fieldErr(field, "scene %d does not exist", id)
		}
		if sc.SceneType == wire.SceneCustom && sc.PlanID != planID {
			return fieldErr(field, "scene %d belongs to plan %d", id, sc.PlanID)
		}
		if seen[id] {
			return fieldErr(field, "scene %d is listed twice", id)
		}
		seen[id] = true
	}
	for i, m := range d.MonitoringStrategy {
		field := fmt.Sprintf("data.monitoringStrategy[%d]", i)
		if !seen[m.SceneID] {
			return fieldErr(field+".sceneId", "scene %d is not in data.sceneIds", m.SceneID)
		}
		if len(m.Strategy) == 0 {
			return fieldErr(field+".strategy", "required (at least one strategy)")
		}
		for j, s := range m.Strategy {
			switch s {
			case wire.StrategyEndUntilRestart, wire.StrategyHandToHuman, wire.StrategyCompleteService:
			default:
				return fieldErr(fmt.Sprintf("%s.strategy[%d]", field, j), "must be one of %s, %s, %s; got %q",
					wire.StrategyEndUntilRestart, wire.StrategyHandToHuman, wire.StrategyCompleteService, s)
			}
		}
	}
	if len(d.Greetings) > 10 {
		return fieldErr("data.greetings", "at most 10 greetings, got %d", len(d.Greetings))
	}
	for i, g := range d.Greetings {
		field := fmt.Sprintf("data.greetings[%d]", i)
		switch g.Type {
		case wire.ContentText:
			if err := checkText(field+".content", g.Content, 1, 1024); err != nil {
				return err
			}
		case wire.ContentImage:
			if err := checkText(field+".content", g.Content, 1, 1024); err != nil {
				return err
			}
			if u, err := url.Parse(g.Content); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fieldErr(field+".content", "an IMAGE greeting's content must be the image's http(s) URL, got %q", g.Content)
			}
		case "":
			return fieldErr(field+".type", "required (TEXT or IMAGE)")
		default:
			return fieldErr(field+".type", "must be TEXT or IMAGE, got %q", g.Type)
		}
	}
	if release && (d.StartTime.IsZero() || d.EndTime.IsZero()) {
		return fieldErr("data.startTime", "a RELEASE needs data.startTime and data.endTime")
	}
	return nil
}

// settle marks a running plan whose end time has passed COMPLETE. Reads
// apply it so nobody sees a stale EXECUTION; writes store it.
func settle(p *wire.MNPlan, now time.Time) {
	if p.Status == wire.MNPlanExecution && !p.EndTime.IsZero() && !now.Before(p.EndTime.Time) {
		p.Status = wire.MNPlanComplete
	}
}

func planStatusFor(options string) (string, error) {
	switch options {
	case wire.MNOptionDraft:
		return wire.MNPlanDraft, nil
	case wire.MNOptionRelease:
		return wire.MNPlanExecution, nil
	case "":
		return "", fieldErr("options", "required (DRAFT or RELEASE)")
	}
	return "", fieldErr("options", "must be DRAFT or RELEASE, got %q", options)
}

// CreateMNPlan stores a new plan as a draft or released (EXECUTION).
func (db *DB) CreateMNPlan(in wire.MNPlanInput) (wire.MNPlan, error) {
	status, err := planStatusFor(in.Options)
	if err != nil {
		return wire.MNPlan{}, err
	}
	if in.Data == nil {
		return wire.MNPlan{}, fieldErr("data", "required")
	}
	var p wire.MNPlan
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := checkPlanData(tx, in.Data, 0, status == wire.MNPlanExecution); err != nil {
			return err
		}
		b := tx.Bucket(bucketMNPlans)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := wire.SeedTime{Time: db.now()}
		p = wire.MNPlan{ID: id, CreateTime: now, LastUpdateTime: now, Status: status, MNPlanData: *in.Data}
		if err := putJSON(b, u64(id), p); err != nil {
			return err
		}
		return tx.Bucket(bucketMNPlansByGroup).Put(pairKey(p.GroupID, id), nil)
	})
	return p, err
}

// UpdateMNPlan replaces a plan's settings. A DRAFT may be saved again or
// released; a released plan keeps its status (only its settings change,
// which running conversations pick up at their next turn).
func (db *DB) UpdateMNPlan(id uint64, in wire.MNPlanInput) (wire.MNPlan, error) {
	status, err := planStatusFor(in.Options)
	if err != nil {
		return wire.MNPlan{}, err
	}
	if in.Data == nil {
		return wire.MNPlan{}, fieldErr("data", "required")
	}
	var p wire.MNPlan
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMNPlans)
		if err := getJSON(b, u64(id), &p); err != nil {
			return mnNotFound("plan", id)
		}
		settle(&p, db.now())
		switch {
		case p.Status == wire.MNPlanDraft:
			p.Status = status
		case status == wire.MNPlanDraft:
			return fieldErr("options", "plan %d is %s; it cannot go back to DRAFT", id, p.Status)
		case p.Status != wire.MNPlanExecution:
			return fieldErr("id", "plan %d is %s and can no longer be changed", id, p.Status)
		}
		if err := checkPlanData(tx, in.Data, id, p.Status == wire.MNPlanExecution); err != nil {
			return err
		}
		idx := tx.Bucket(bucketMNPlansByGroup)
		if err := idx.Delete(pairKey(p.GroupID, id)); err != nil {
			return err
		}
		p.MNPlanData, p.LastUpdateTime = *in.Data, wire.SeedTime{Time: db.now()}
		if err := putJSON(b, u64(id), p); err != nil {
			return err
		}
		return idx.Put(pairKey(p.GroupID, id), nil)
	})
	return p, err
}

// SetMNPlanStatus moves a plan: enable (DRAFT or TERMINATION → EXECUTION)
// or terminate (EXECUTION → TERMINATION). It returns the plan as stored.
func (db *DB) SetMNPlanStatus(id uint64, to string) (wire.MNPlan, error) {
	var p wire.MNPlan
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMNPlans)
		if err := getJSON(b, u64(id), &p); err != nil {
			return mnNotFound("plan", id)
		}
		settle(&p, db.now())
		ok := false
		switch to {
		case wire.MNPlanExecution:
			ok = p.Status == wire.MNPlanDraft || p.Status == wire.MNPlanTermination
			if ok && (p.StartTime.IsZero() || p.EndTime.IsZero()) {
				return fieldErr("data.startTime", "plan %d needs data.startTime and data.endTime before it can run", id)
			}
			if ok && !db.now().Before(p.EndTime.Time) {
				return fieldErr("data.endTime", "plan %d ended at %s; set a later data.endTime first", id, p.EndTime.Format(wire.SeedTimeLayout))
			}
		case wire.MNPlanTermination:
			ok = p.Status == wire.MNPlanExecution
		}
		if !ok {
			return fieldErr("id", "plan %d is %s; it cannot move to %s", id, p.Status, to)
		}
		p.Status, p.LastUpdateTime = to, wire.SeedTime{Time: db.now()}
		return putJSON(b, u64(id), p)
	})
	return p, err
}

// DeleteMNPlan deletes a plan that is not running, with its CUSTOM scenes.
func (db *DB) DeleteMNPlan(id uint64) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMNPlans)
		var p wire.MNPlan
		if err := getJSON(b, u64(id), &p); err != nil {
			return mnNotFound("plan", id)
		}
		settle(&p, db.now())
		if p.Status == wire.MNPlanExecution {
			return fieldErr("id", "plan %d is running (EXECUTION); terminate it first", id)
		}
		if tid, ok := planHasTasks(tx, id); ok { // marketing_task.go
			return fieldErr("id", "plan %d has tasks (task %d); their members and reports keep it", id, tid)
		}
		scenes := tx.Bucket(bucketMNScenes)
		var drop [][]byte
		if err := scenes.ForEach(func(k, v []byte) error {
			var sc wire.MNScene
			if err := jsonUnmarshal(v, &sc); err != nil {
				return err
			}
			if sc.PlanID == id {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			if err := scenes.Delete(k); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMNPlansByGroup).Delete(pairKey(p.GroupID, id)); err != nil {
			return err
		}
		return b.Delete(u64(id))
	})
}

// GetMNPlan returns one plan.
func (db *DB) GetMNPlan(id uint64) (wire.MNPlan, error) {
	now := db.now()
	return getMN(db, bucketMNPlans, "plan", id, func(p *wire.MNPlan) { settle(p, now) })
}

// ListMNPlans returns every plan in id order.
func (db *DB) ListMNPlans() ([]wire.MNPlan, error) {
	now := db.now()
	return listMN(db, bucketMNPlans, func(p *wire.MNPlan) { settle(p, now) })
}

// getMN reads one record of a marketing bucket; fix (may be nil) adjusts
// it as read (plans settle their status).
func getMN[T any](db *DB, bucket []byte, kind string, id uint64, fix func(*T)) (T, error) {
	var v T
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucket), u64(id), &v); err != nil {
			return mnNotFound(kind, id)
		}
		return nil
	})
	if err == nil && fix != nil {
		fix(&v)
	}
	return v, err
}

// listMN reads every record of a marketing bucket in id order.
func listMN[T any](db *DB, bucket []byte, fix func(*T)) ([]T, error) {
	var out []T
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, data []byte) error {
			var v T
			if err := jsonUnmarshal(data, &v); err != nil {
				return err
			}
			if fix != nil {
				fix(&v)
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}
