package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hunterbot/hunterbot/state"
)

func init() {
	register(command{
		name:    "user",
		usage:   "add --username U [--password-stdin] | add-client --id ID [--secret-stdin] | add-worker --id ID  [--data DIR]",
		summary: "create operators, OAuth clients and worker tokens in control.db (server stopped)",
		run:     runUser,
	})
}

// runUser edits control.db directly; bbolt's file lock means the server
// must be stopped (the error says so when it is not).
func runUser(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("user: want a subcommand: add, add-client or add-worker")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("user " + sub)
	data := fs.String("data", defaultDataDir, "data directory holding control.db")
	var name, id *string
	var fromStdin *bool
	switch sub {
	case "add":
		name = fs.String("username", "", "login name (e.g. an e-mail address)")
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of stdin (else $HUNTERBOT_PASSWORD)")
	case "add-client":
		id = fs.String("id", "", "OAuth client id")
		fromStdin = fs.Bool("secret-stdin", false, "read the secret from the first line of stdin (else $HUNTERBOT_CLIENT_SECRET)")
	case "add-worker":
		id = fs.String("id", "", "worker id, e.g. worker-001")
	default:
		return usagef("user: unknown subcommand %q (add, add-client, add-worker)", sub)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	secret := func(env string) (string, error) {
		if *fromStdin {
			line, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && line == "" {
				return "", fmt.Errorf("read stdin: %w", err)
			}
			return strings.TrimRight(line, "\r\n"), nil
		}
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
		return "", usagef("no secret given: use the stdin flag or set %s", env)
	}
	db, err := state.Open(controlDBPath(*data), state.Options{})
	if errors.Is(err, state.ErrLocked) {
		return fmt.Errorf("%s is locked: stop `hunterbot serve` first (or use the API)", controlDBPath(*data))
	}
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "add":
		if *name == "" {
			return usagef("user add: --username is required")
		}
		pw, err := secret("HUNTERBOT_PASSWORD")
		if err != nil {
			return err
		}
		if err := db.PutUser(*name, pw); err != nil {
			return err
		}
		fmt.Printf("user %s saved\n", *name)
	case "add-client":
		if *id == "" {
			return usagef("user add-client: --id is required")
		}
		s, err := secret("HUNTERBOT_CLIENT_SECRET")
		if err != nil {
			return err
		}
		if err := db.PutClient(*id, s); err != nil {
			return err
		}
		fmt.Printf("client %s saved\n", *id)
	case "add-worker":
		if *id == "" {
			return usagef("user add-worker: --id is required")
		}
		tok := state.NewSecret()
		if err := db.PutWorker(*id, tok); err != nil {
			return err
		}
		// Printed once: only its hash is stored.
		fmt.Printf("worker %s token: %s\n", *id, tok)
	}
	return nil
}
