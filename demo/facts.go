package demo

import (
	"fmt"
	"strconv"

	"github.com/hunterbot/hunterbot/brain"
	brainserver "github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/sim"
)

// FactsFromScenario fills the facts sheet (salary range, location) of
// every brain job from the sim job it stands for, as an operator fills it
// from the real postings. Tests that ground a model on the facts call it
// from Options.BrainHook; a sim salary not of the form "20-35K" is an
// error naming the job.
func FactsFromScenario(sc *sim.Scenario, c *brainserver.Config) error {
	for i := range c.Jobs {
		for _, a := range sc.Accounts {
			for _, j := range a.Jobs {
				if strconv.FormatInt(j.ID, 10) != c.Jobs[i].PlatformID {
					continue
				}
				lo, hi, ok := j.SalaryK()
				if !ok {
					return fmt.Errorf("sim job %d: salary %q is not like \"20-35K\"", j.ID, j.Salary)
				}
				c.Jobs[i].Facts = brain.JobFacts{SalaryMinK: float64(lo), SalaryMaxK: float64(hi), Salary: j.Salary, Location: j.City}
			}
		}
	}
	return nil
}
