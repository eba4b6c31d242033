package console

import (
	"io/fs"
	"regexp"
	"testing"
)

// Every label a template asks for exists in both languages; a missing one
// would show its key on the page.
func TestTemplateLabelsExist(t *testing.T) {
	use := regexp.MustCompile(`\bt \$?\.?[A-Za-z]* ?"([a-z_.]+)"`)
	files, err := fs.Glob(embedded, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v", err)
	}
	n := 0
	for _, f := range files {
		raw, err := fs.ReadFile(embedded, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(raw), -1) {
			n++
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s: label %q has no translation", f, m[1])
			}
		}
	}
	// Labels built with printf in the templates.
	for _, p := range pageNames {
		if _, ok := messages["nav."+p]; !ok {
			t.Errorf("page %q has no nav.%s label", p, p)
		}
	}
	for _, k := range []string{"who.bot", "who.human", "who.candidate", "who.site", "status.queued", "status.sent", "status.failed"} {
		if _, ok := messages[k]; !ok {
			t.Errorf("label %q missing", k)
		}
	}
	if n < 100 {
		t.Fatalf("only %d label uses found: the pattern no longer matches the templates", n)
	}
	for k, v := range messages {
		if v[0] == "" || v[1] == "" {
			t.Errorf("label %q lacks a language: %q", k, v)
		}
	}
}
