package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
)

func init() {
	register(command{
		name:    "export",
		usage:   "[--control URL] [--search S] [--reply-status 已回复|未回复] [--wechat-exchanged true|false] [--start-date D] [--end-date D] -o FILE.xlsx",
		summary: "export contacts to Excel through the control plane",
		run:     runExport,
	})
}

func runExport(ctx context.Context, args []string) error {
	fs := newFlagSet("export")
	out := fs.String("o", "", "output .xlsx file (required)")
	ctl := fs.String("control", "", "control plane URL (default $HUNTERBOT_CONTROL or http://"+defaultControlAddr+")")
	filters := map[string]*string{
		"search":           fs.String("search", "", "keyword over name, position and contact"),
		"reply_status":     fs.String("reply-status", "", "已回复 or 未回复"),
		"wechat_exchanged": fs.String("wechat-exchanged", "", "true or false"),
		"start_date":       fs.String("start-date", "", "created on or after YYYY-MM-DD (Asia/Shanghai)"),
		"end_date":         fs.String("end-date", "", "created on or before YYYY-MM-DD (Asia/Shanghai)"),
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("export: -o FILE.xlsx is required")
	}
	q := url.Values{}
	for k, v := range filters {
		if *v != "" {
			q.Set(k, *v)
		}
	}
	op, err := operatorFromEnv(ctx, controlURL(*ctl))
	if err != nil {
		return err
	}
	ex, err := op.ExportContacts(ctx, q)
	if err != nil {
		return err
	}
	err = writeAtomically(*out, func(f *os.File) error {
		_, err := op.Download(ctx, ex.DownloadURL, f)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("%d contacts exported to %s (%s)\n", ex.TotalRecords, *out, ex.Filename)
	return nil
}
