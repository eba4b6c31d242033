package loadbench

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"os"
	"strings"
	"testing"
)

func TestParseStatCountsFieldsAfterTheCommandName(t *testing.T) {
	// The command name may hold spaces and parentheses.
	line := []byte("4242 (gunicorn: (worker) x) S 4200 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 5 0 100 0 0")
	pid, st, ok := parseStat(line)
	if !ok || pid != 4242 || st.ppid != 4200 || st.ticks != 325 {
		t.Fatalf("parseStat = %d %+v %v; want 4242, ppid 4200, 325 ticks", pid, st, ok)
	}
	if _, _, ok := parseStat([]byte("garbage")); ok {
		t.Fatal("parsed garbage")
	}
}

func TestProcessCPUIncludesDescendantsAndRejectsUnknownPIDs(t *testing.T) {
	if _, err := processCPU([]int{os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	if _, err := processCPU([]int{1 << 30}); err == nil {
		t.Fatal("no error for a pid that does not exist")
	}
}

// TestBodiesAreWhatBothServersRead checks the request bodies: filter has a
// numeric geekId, new per request, in the geekCard both servers read and
// the show* lists the reference parses; task_report reports the greeted
// candidates in order; result is multipart with the fields both read.
func TestBodiesAreWhatBothServersRead(t *testing.T) {
	b := NewBodies("account_Boss_1", 1000)
	var f struct {
		AccountID     string `json:"accountID"`
		CandidateInfo struct {
			GeekCard struct {
				GeekID json.Number `json:"geekId"`
				Age    string      `json:"ageDesc"`
			} `json:"geekCard"`
			ShowEdus  []map[string]any `json:"showEdus"`
			ShowWorks []map[string]any `json:"showWorks"`
		} `json:"candidateInfo"`
	}
	for i, want := range map[int64]string{1: "1001", 2: "1002"} {
		if err := json.Unmarshal(b.Make(Filter, i).Body, &f); err != nil {
			t.Fatal(err)
		}
		if f.AccountID != "account_Boss_1" || f.CandidateInfo.GeekCard.GeekID.String() != want ||
			f.CandidateInfo.GeekCard.Age != "28岁" || len(f.CandidateInfo.ShowEdus) != 1 || len(f.CandidateInfo.ShowWorks) != 1 {
			t.Fatalf("filter body %d = %+v", i, f)
		}
	}
	b.Greeted = b.FilteredIDs([]int64{3, 5})
	for i, want := range []string{"1003", "1005"} {
		if body := string(b.Make(TaskReport, int64(i+1)).Body); !strings.Contains(body, `"candidateList":["`+want+`"]`) {
			t.Fatalf("task_report %d = %s; want %s", i+1, body, want)
		}
	}
	r := b.Make(CVResult, 7)
	_, params, _ := strings.Cut(r.ContentType, "boundary=")
	form, err := multipart.NewReader(bytes.NewReader(r.Body), params).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"accountID", "candidateID", "candidateName", "phone"} {
		if len(form.Value[k]) != 1 || form.Value[k][0] == "" {
			t.Errorf("result form lacks %s: %v", k, form.Value)
		}
	}
	if r.IdempotencyKey == "" {
		t.Error("result without an Idempotency-Key")
	}
}
