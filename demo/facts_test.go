package demo

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
	brainserver "github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/sim"
)

func TestFactsFromScenario(t *testing.T) {
	sc := sim.DefaultScenario()
	job := sc.Accounts[0].Jobs[0]
	c := &brainserver.Config{Jobs: []brainserver.JobSpec{{PlatformID: "999"}, {PlatformID: strconv.FormatInt(job.ID, 10)}}}
	if err := FactsFromScenario(sc, c); err != nil {
		t.Fatal(err)
	}
	lo, hi, _ := job.SalaryK()
	want := brain.JobFacts{SalaryMinK: float64(lo), SalaryMaxK: float64(hi), Salary: job.Salary, Location: job.City}
	if c.Jobs[1].Facts != want || c.Jobs[0].Facts != (brain.JobFacts{}) {
		t.Fatalf("facts %+v / %+v, want %+v for job %d only", c.Jobs[0].Facts, c.Jobs[1].Facts, want, job.ID)
	}
	sc.Accounts[0].Jobs[0].Salary = "面议"
	if err := FactsFromScenario(sc, c); err == nil || !strings.Contains(err.Error(), strconv.FormatInt(job.ID, 10)) {
		t.Fatalf("unparsable salary: %v, want an error naming job %d", err, job.ID)
	}
}
