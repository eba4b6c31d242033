package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/client"
)

func init() {
	register(command{
		name:    "backup",
		usage:   "-o FILE [--control URL]",
		summary: "hot backup of control.db through the running control plane",
		run:     runBackup,
	})
}

// controlURL returns the --control value, else $HUNTERBOT_CONTROL, else
// the default local control plane.
func controlURL(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv("HUNTERBOT_CONTROL"); v != "" {
		return v
	}
	return "http://" + defaultControlAddr
}

// operatorFromEnv logs in with credentials from the environment:
// HUNTERBOT_TOKEN (an access token), or the client and admin variables.
func operatorFromEnv(ctx context.Context, base string) (*client.Operator, error) {
	op := client.NewOperator(base, 10*time.Minute)
	if tok := os.Getenv("HUNTERBOT_TOKEN"); tok != "" {
		op.SetToken(tok)
		return op, nil
	}
	id, secret := os.Getenv("HUNTERBOT_CLIENT_ID"), os.Getenv("HUNTERBOT_CLIENT_SECRET")
	user, pw := os.Getenv("HUNTERBOT_ADMIN_USER"), os.Getenv("HUNTERBOT_ADMIN_PASSWORD")
	if id == "" || secret == "" || user == "" || pw == "" {
		return nil, usagef("%v", api.ErrNoCredentials)
	}
	if _, err := op.Login(ctx, id, secret, user, pw); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return op, nil
}

// writeAtomically writes through fill to a 0600 temp file next to path and
// renames it into place only when fill succeeded.
func writeAtomically(path string, fill func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runBackup(ctx context.Context, args []string) error {
	fs := newFlagSet("backup")
	out := fs.String("o", "", "output file (required)")
	ctl := fs.String("control", "", "control plane URL (default $HUNTERBOT_CONTROL or http://"+defaultControlAddr+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("backup: -o FILE is required")
	}
	op, err := operatorFromEnv(ctx, controlURL(*ctl))
	if err != nil {
		return err
	}
	var n int64
	err = writeAtomically(*out, func(f *os.File) error {
		var err error
		if n, err = op.Backup(ctx, f); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		// Prove the copy opens as a bbolt file before it replaces anything.
		b, err := bbolt.Open(f.Name(), 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			return fmt.Errorf("backup does not open as bbolt: %w", err)
		}
		return b.Close()
	})
	if err != nil {
		return err
	}
	fmt.Printf("backup written: %s (%d bytes)\n", *out, n)
	return nil
}
