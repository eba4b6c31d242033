package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/hunterbot/hunterbot/api/client"
)

func init() {
	register(command{
		name:    "notify",
		usage:   "create|list|show|terminate|template [flags] [ID]",
		summary: "notification tasks (seed 002): bulk messages to candidates, delivered by the workers (see docs/api.md)",
		run:     runNotify,
	})
}

// notifyOut is where notify prints (tests swap it).
var notifyOut io.Writer = os.Stdout

// contentFlag appends TEXT or IMAGE contents in command-line order.
type contentFlag struct {
	kind string
	list *[][2]string
}

func (c contentFlag) String() string { return "" }
func (c contentFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("must not be empty")
	}
	*c.list = append(*c.list, [2]string{c.kind, v})
	return nil
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runNotify(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("notify: want a subcommand: create, list, show, terminate or template")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("notify " + sub)
	of := addOperatorFlags(fs)
	var (
		files                       listFlag
		contents                    [][2]string
		name, typ, start, end       *string
		membersFile, status, reason *string
		out                         *string
		current, size               *int
		asJSON, executions          *bool
	)
	switch sub {
	case "create":
		fs.Var(&files, "file", "Excel member list (.xlsx; columns userId|ciq, [account], [nickname], variables); repeatable")
		membersFile = fs.String("members", "", "JSON file with the members array instead of --file")
		name = fs.String("name", "", "taskName (≤120 characters)")
		typ = fs.String("type", "CUSTOMER_RESOURCE_REMINDER", "taskType: APPOINTMENT_REMINDER or CUSTOMER_RESOURCE_REMINDER")
		start = fs.String("start", "", `scheduledStartTime "yyyy-MM-dd HH:mm:ss" (Asia/Shanghai)`)
		end = fs.String("end", "", "scheduledEndTime, same day (default 22:00)")
		fs.Var(contentFlag{"TEXT", &contents}, "text", "a TEXT content ({{var}} from the member columns); repeatable, in order")
		fs.Var(contentFlag{"IMAGE", &contents}, "image", "an image file to upload and send; repeatable, in order with --text")
	case "list":
		typ = fs.String("type", "CUSTOMER_RESOURCE_REMINDER", "taskType filter (required by the API)")
		status = fs.String("status", "", "status filter: PENDING, EXECUTING, COMPLETED or TERMINATED")
		current = fs.Int("page", 0, "page (from 0)")
		size = fs.Int("size", 20, "page size (≤100)")
		asJSON = fs.Bool("json", false, "print the API's JSON")
	case "show":
		executions = fs.Bool("executions", false, "also list the members' executions (first 100)")
		asJSON = fs.Bool("json", false, "print the API's JSON")
	case "terminate":
		reason = fs.String("reason", "", "why (required)")
	case "template":
		out = fs.String("o", "notification-members.xlsx", "where to write the member-list template")
	default:
		return usagef("notify: unknown subcommand %q (want create, list, show, terminate or template)", sub)
	}
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	need := map[string]int{"show": 1, "terminate": 1}[sub]
	if len(rest) != need {
		return usagef("notify %s: want %d argument(s), got %d", sub, need, len(rest))
	}
	var id uint64
	if need == 1 {
		n, err := strconv.ParseUint(rest[0], 10, 64)
		if err != nil || n == 0 {
			return usagef("notify %s: ID must be a positive integer, got %q", sub, rest[0])
		}
		id = n
	}
	if sub == "create" {
		switch {
		case *name == "":
			return usagef("--name: required")
		case *start == "":
			return usagef("--start: required")
		case len(contents) == 0:
			return usagef("--text or --image: at least one content is required")
		case (len(files) == 0) == (*membersFile == ""):
			return usagef("--file or --members: give exactly one kind of member list")
		}
	}
	if sub == "terminate" && strings.TrimSpace(*reason) == "" {
		return usagef("--reason: required")
	}
	op, base, err := of.operator(ctx)
	if err != nil {
		return err
	}
	explain := func(err error) error { return explainControlErr(err, base, "", false) }
	tasks := "/api/v1/notification-tasks"
	switch sub {
	case "create":
		body := map[string]any{"taskName": *name, "taskType": *typ, "scheduledStartTime": *start}
		if *end != "" {
			body["scheduledEndTime"] = *end
		}
		var cs []map[string]string
		for _, c := range contents {
			v := c[1]
			if c[0] == "IMAGE" {
				info, err := uploadPath(ctx, op, v)
				if err != nil {
					return err
				}
				v = fmt.Sprintf("%s/api/v1/file/%d", strings.TrimRight(base, "/"), info.ID)
			}
			cs = append(cs, map[string]string{"contentType": c[0], "contentValue": v})
		}
		body["contents"] = cs
		if *membersFile != "" {
			raw, err := os.ReadFile(*membersFile)
			if err != nil {
				return usagef("--members: %v", err)
			}
			var members []map[string]any
			if err := json.Unmarshal(raw, &members); err != nil {
				return usagef("--members %s: want a JSON array of member objects: %v", *membersFile, err)
			}
			body["members"] = members
		} else {
			var ids []uint64
			for _, f := range files {
				info, err := uploadPath(ctx, op, f)
				if err != nil {
					return err
				}
				ids = append(ids, info.ID)
			}
			body["fileIds"] = ids
		}
		raw, err := op.NotifyCall(ctx, "POST", tasks, nil, body)
		if err != nil {
			return explain(err)
		}
		return printJSON(raw)
	case "list":
		q := url.Values{"taskType": {*typ}, "current": {strconv.Itoa(*current)}, "size": {strconv.Itoa(*size)}}
		if *status != "" {
			q.Set("status", *status)
		}
		raw, err := op.NotifyCall(ctx, "GET", tasks, q, nil)
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(raw)
		}
		var page struct {
			Page    struct{ Current, Size, Total int }
			Records []struct {
				ID                                                               uint64
				TaskName, TaskType, Status, ScheduledStartTime, ScheduledEndTime string
				TotalMembers, SuccessCount                                       int
			}
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(notifyOut, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tSTART\tEND\tMEMBERS\tSENT\tNAME")
		for _, r := range page.Records {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.Status, r.ScheduledStartTime, r.ScheduledEndTime, r.TotalMembers, r.SuccessCount, r.TaskName)
		}
		fmt.Fprintf(tw, "page %d, %d of %d task(s)\n", page.Page.Current, len(page.Records), page.Page.Total)
		return tw.Flush()
	case "show":
		raw, err := op.NotifyCall(ctx, "GET", fmt.Sprintf("%s/%d", tasks, id), nil, nil)
		if err != nil {
			return explain(err)
		}
		if err := printJSON(raw); err != nil {
			return err
		}
		if !*executions {
			return nil
		}
		raw, err = op.NotifyCall(ctx, "GET", fmt.Sprintf("%s/%d/executions", tasks, id), url.Values{"size": {"100"}}, nil)
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(raw)
		}
		var page struct {
			Page    struct{ Total int }
			Records []struct {
				MemberID                                  *uint64
				UserID, MemberName, Status, FailureReason string
				ExecuteTime                               *string
			}
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(notifyOut, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MEMBER\tCANDIDATE\tNAME\tSTATUS\tTIME\tREASON")
		for _, r := range page.Records {
			mid, at := "-", "-"
			if r.MemberID != nil {
				mid = strconv.FormatUint(*r.MemberID, 10)
			}
			if r.ExecuteTime != nil {
				at = *r.ExecuteTime
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mid, r.UserID, r.MemberName, r.Status, at, r.FailureReason)
		}
		fmt.Fprintf(tw, "%d of %d member(s)\n", len(page.Records), page.Page.Total)
		return tw.Flush()
	case "terminate":
		raw, err := op.NotifyCall(ctx, "PUT", fmt.Sprintf("%s/%d/termination", tasks, id), nil, map[string]string{"reason": *reason})
		if err != nil {
			return explain(err)
		}
		return printJSON(raw)
	case "template":
		var buf bytes.Buffer
		if _, err := op.DownloadPath(ctx, tasks+"/member-template", &buf); err != nil {
			return explain(err)
		}
		if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(notifyOut, "wrote %s (%d bytes)\n", *out, buf.Len())
	}
	return nil
}

// uploadPath uploads a local file for a notification (moduleName
// notification).
func uploadPath(ctx context.Context, op *client.Operator, path string) (client.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return client.FileInfo{}, usagef("%v", err)
	}
	defer f.Close()
	info, err := op.UploadFile(ctx, filepath.Base(path), "notification", f)
	if err != nil {
		return info, fmt.Errorf("upload %s: %w", path, err)
	}
	return info, nil
}

func printJSON(raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		_, err = notifyOut.Write(raw)
		return err
	}
	buf.WriteByte('\n')
	_, err := notifyOut.Write(buf.Bytes())
	return err
}
