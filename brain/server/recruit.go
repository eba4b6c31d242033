package server

import (
	"net/http"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
)

func (s *Server) jobRegister(r *http.Request) (any, error) {
	var req brain.JobRegisterRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.registerJob(r, req)
}

// registerJob stores a new job; a duplicate is rejected.
func (s *Server) registerJob(r *http.Request, req brain.JobRegisterRequest) (any, error) {
	if err := validateJob("", req.PlatformType, req.PlatformID, req.JobName); err != nil {
		return nil, failf("%v", errNameFix(err, "name", "jobName"))
	}
	var cfg brain.JobConfig
	if req.JobConfig != nil {
		cfg = *req.JobConfig
		if err := validateFilterArgs("jobConfig.filter_args.", cfg.FilterArgs); err != nil {
			return nil, failf("%v", err)
		}
	}
	id := JobID(req.PlatformType, req.PlatformID)
	return s.update(r, brain.PathJobRegister, "", func(tx *bolt.Tx) (any, error) {
		if tx.Bucket(bJobs).Get([]byte(id)) != nil {
			return nil, failf("job已存在: %s", id)
		}
		rec := jobRec{JobID: id, PlatformType: req.PlatformType, PlatformID: req.PlatformID,
			JobName: req.JobName, JobJD: req.JobJD, RobotAPI: req.RobotAPI, Config: cfg, CreatedAt: s.clk.Now()}
		if err := putJSON(tx, bJobs, []byte(id), rec); err != nil {
			return nil, err
		}
		return brain.JobIDData{JobID: id}, nil
	})
}

// errNameFix renames a config key in a shared validation message to the
// wire field name.
func errNameFix(err error, from, to string) string {
	msg := err.Error()
	if len(msg) >= len(from) && msg[:len(from)] == from {
		return to + msg[len(from):]
	}
	return msg
}

func (s *Server) jobQuery(r *http.Request) (any, error) {
	var req brain.JobQueryRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := requireID("platformType", req.PlatformType); err != nil {
		return nil, err
	}
	if err := requireID("platformID", req.PlatformID); err != nil {
		return nil, err
	}
	id := JobID(req.PlatformType, req.PlatformID)
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bJobs).Get([]byte(id)) == nil {
			return exceptionf("job not found: %s", id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return brain.JobIDData{JobID: id}, nil
}

func (s *Server) accountRegister(r *http.Request) (any, error) {
	var req brain.AccountRegisterRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := validateIDPart("platformType", req.PlatformType); err != nil {
		return nil, failf("%v", err)
	}
	if err := validateIDPart("platformID", req.PlatformID); err != nil {
		return nil, failf("%v", err)
	}
	if req.TaskConfig == nil {
		// The reference generates its default plan for every job.
		req.TaskConfig = brain.TaskConfigs{}
		for _, j := range req.Jobs {
			req.TaskConfig[j] = brain.DefaultTaskConfig()
		}
	}
	for j, tc := range req.TaskConfig {
		if !slices.Contains(req.Jobs, j) {
			return nil, failf("taskConfig.%s: not one of jobs", j)
		}
		if err := validateTask("taskConfig."+j+".", tc); err != nil {
			return nil, failf("%v", err)
		}
	}
	id := AccountID(req.PlatformType, req.PlatformID)
	return s.update(r, brain.PathAccountRegister, id, func(tx *bolt.Tx) (any, error) {
		for i, j := range req.Jobs {
			if tx.Bucket(bJobs).Get([]byte(j)) == nil {
				return nil, failf("jobs[%d]: job不存在: %s", i, j)
			}
		}
		var rec accountRec
		if _, err := getJSON(tx, bAccounts, []byte(id), &rec); err != nil {
			return nil, err
		}
		now := s.clk.Now()
		if rec.CreatedAt.IsZero() {
			rec.CreatedAt = now
		}
		rec.AccountID, rec.PlatformType, rec.PlatformID = id, req.PlatformType, req.PlatformID
		rec.Jobs, rec.TaskConfig, rec.Desc, rec.UpdatedAt = req.Jobs, req.TaskConfig, req.Desc, now
		if err := putJSON(tx, bAccounts, []byte(id), rec); err != nil {
			return nil, err
		}
		return brain.AccountIDData{AccountID: id}, nil
	})
}

func (s *Server) accountQuery(r *http.Request) (any, error) {
	var req brain.AccountQueryRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := requireID("platformType", req.PlatformType); err != nil {
		return nil, err
	}
	if err := requireID("platformID", req.PlatformID); err != nil {
		return nil, err
	}
	id := AccountID(req.PlatformType, req.PlatformID)
	err := s.view(func(tx *bolt.Tx) error {
		_, err := loadAccount(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return brain.AccountIDData{AccountID: id}, nil
}

// loadAccount returns the account or the reference's exception for an
// unknown id. The record is shared (see cachedRecord): read it, never
// modify it.
func loadAccount(tx *bolt.Tx, id string) (*accountRec, error) {
	rec, ok, err := cachedRecord[accountRec](tx, bAccounts, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, exceptionf("account not found: %s", id)
	}
	return rec, nil
}

// loadJob returns the job or the reference's exception for an unknown id.
// The record is shared (see cachedRecord): read it, never modify it.
func loadJob(tx *bolt.Tx, id string) (*jobRec, error) {
	rec, ok, err := cachedRecord[jobRec](tx, bJobs, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, exceptionf("job not found: %s", id)
	}
	return rec, nil
}

// jobFor picks the request's job: jobID when given, else (for chat,
// result and recall, when cand is set) the job of the latest chat with the
// candidate, else the account's first job.
func jobFor(tx *bolt.Tx, acct *accountRec, jobID, cand string) (*jobRec, error) {
	if jobID == "" && cand != "" {
		if j := tx.Bucket(bLatest).Get(key(acct.AccountID, cand)); j != nil {
			jobID = string(j)
		}
	}
	if jobID == "" {
		if len(acct.Jobs) == 0 {
			return nil, failf("account %s has no job", acct.AccountID)
		}
		jobID = acct.Jobs[0]
	}
	return loadJob(tx, jobID)
}

func (s *Server) taskFetch(r *http.Request) (any, error) {
	var req brain.TaskFetchRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := requireID("accountID", req.AccountID); err != nil {
		return nil, err
	}
	now := s.clk.Now().In(clock.Shanghai)
	day := now.Format("2006-01-02")
	out := brain.TaskFetchData{Task: []brain.Task{}}
	err := s.view(func(tx *bolt.Tx) error {
		acct, err := loadAccount(tx, req.AccountID)
		if err != nil {
			return err
		}
		jobs := acct.Jobs
		if req.JobID != "" {
			if _, err := loadJob(tx, req.JobID); err != nil {
				return err
			}
			jobs = []string{req.JobID}
		}
		for _, j := range jobs {
			cfg, ok := acct.TaskConfig[j]
			if !ok {
				continue
			}
			if cfg.TouchMsg == "" {
				// The reference keeps the greeting on the job (jobConfig.touch_msg).
				if job, err := loadJob(tx, j); err == nil {
					cfg.TouchMsg = job.Config.TouchMsg
				}
			}
			reported := greetCount(tx, acct.AccountID, j, day)
			sum, slots := rescaleTask(cfg, reported, now)
			out.Task = append(out.Task, brain.Task{JobID: j, TaskType: brain.TaskTypeBatchTouch,
				HelloSum: sum, TimeMount: slots, Filter: cfg.Filter, TouchMsg: cfg.TouchMsg})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) taskReport(r *http.Request) (any, error) {
	var req brain.TaskReportRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := requireID("accountID", req.AccountID); err != nil {
		return nil, err
	}
	if len(req.TaskStatus) == 0 {
		return nil, failf("taskStatus为空")
	}
	for i, ts := range req.TaskStatus {
		if ts.TaskType != "" && ts.TaskType != brain.TaskTypeBatchTouch {
			return nil, failf("taskStatus[%d].taskType: unknown %q", i, ts.TaskType)
		}
		for k, c := range ts.Details.CandidateList {
			if err := requireID("taskStatus["+itoa(i)+"].details.candidateList["+itoa(k)+"]", c); err != nil {
				return nil, err
			}
		}
	}
	day := s.today()
	return s.update(r, brain.PathTaskReport, req.AccountID, func(tx *bolt.Tx) (any, error) {
		acct, err := loadAccount(tx, req.AccountID)
		if err != nil {
			return nil, err
		}
		job, err := jobFor(tx, acct, req.JobID, "")
		if err != nil {
			return nil, err
		}
		for _, ts := range req.TaskStatus {
			for _, c := range ts.Details.CandidateList {
				// One key per candidate and day: a candidate reported twice
				// counts once.
				if err := addGreet(tx, acct.AccountID, job.JobID, day, c); err != nil {
					return nil, err
				}
				tk := key(job.JobID, c, acct.AccountID)
				if tx.Bucket(bTouched).Get(tk) == nil {
					if err := put(tx, bTouched, tk, []byte("greet")); err != nil {
						return nil, err
					}
				}
			}
		}
		return brain.StatusData{Status: "ok"}, nil
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
