package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// followupScript is one script of a test follow-up config.
type followupScript struct {
	Day, Order, Interval int
	Content              string
}

// createFollowups creates a follow-up config and its scripts through seed
// 000's API, exactly as the seed's curl scenario does.
func createFollowups(t *testing.T, d *Demo, position string, scripts []followupScript) uint64 {
	t.Helper()
	tok := operatorToken(t, d)
	post := func(path string, body any, out any) {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", d.ControlURL+path, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var cfg struct {
		ID uint64 `json:"id"`
	}
	post("/api/followup-configs", map[string]any{"name": position + "复聊配置", "position": position, "is_active": true}, &cfg)
	for _, s := range scripts {
		post("/api/followup-scripts", map[string]any{"config_id": cfg.ID, "day_number": s.Day, "content": s.Content,
			"interval_hours": s.Interval, "order": s.Order, "is_active": true}, nil)
	}
	if cfg.ID == 0 {
		t.Fatal(fmt.Errorf("config created without id"))
	}
	return cfg.ID
}
