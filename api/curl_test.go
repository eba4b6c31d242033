package api_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSeedCurlScript runs the seeds' literal curl commands (only the
// Authorization header added) against a real server.
func TestSeedCurlScript(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed; the same requests are covered by TestSeed000Scenario and TestSeed001*")
	}
	e := newEnv(t)
	seedContacts(e)
	cmd := exec.Command("bash", "testdata/seed_curls.sh")
	cmd.Env = append(os.Environ(), "BASE="+e.srv.URL, "TOKEN="+e.token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		`"name":"Python开发复聊配置"`, `"day_number":0`, `"status":"queued"`,
		`{"code":200,"msg":"success","data":{"total":4,"page":1,"page_size":20,`,
		`"total":1,"page":1,"page_size":10,"results":[{"id":1,"name":"张三"`,
		`"download_url":"` + e.srv.URL + `/media/exports/contacts_export_`,
		`"total_records":1`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s\n%s", want, out)
		}
	}
}
