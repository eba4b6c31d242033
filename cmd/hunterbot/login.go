package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"strings"
	"time"
)

func init() {
	register(command{
		name:    "login",
		usage:   "[--control URL] [--wait D] KEY",
		summary: "show a managed account's login QR code in the terminal and wait until the account runs",
		run:     runLogin,
	})
}

func runLogin(ctx context.Context, args []string) error {
	fs := newFlagSet("login")
	of := addOperatorFlags(fs)
	wait := fs.Duration("wait", 10*time.Minute, "give up after this long")
	every := fs.Duration("every", 2*time.Second, "how often to ask the control plane")
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("login: want the account KEY")
	}
	if *every <= 0 || *wait <= 0 {
		return usagef("--wait and --every must be > 0")
	}
	key := fs.Arg(0)
	op, base, err := of.operator(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	var shown []byte
	for {
		st, err := op.LoginStatus(ctx, key)
		if err != nil {
			return explainControlErr(err, base, "", false)
		}
		if st.State == "running" && !st.Pending {
			fmt.Fprintf(accountOut, "account %s is running\n", key)
			return nil
		}
		if st.Pending && !bytes.Equal(st.PNG, shown) {
			art, err := qrHalfBlocks(st.PNG)
			if err != nil {
				return fmt.Errorf("QR image from the control plane: %w", err)
			}
			exp := ""
			if st.ExpiresAt != nil {
				exp = " (valid until " + st.ExpiresAt.Local().Format("15:04:05") + ")"
			}
			fmt.Fprintf(accountOut, "scan with the site's app to log in %s%s:\n%s", key, exp, art)
			shown = st.PNG
		} else if !st.Pending && shown == nil {
			fmt.Fprintf(accountOut, "account %s: %s, no QR code pending yet; waiting\n", key, st.State)
			shown = []byte{}
		}
		t := time.NewTimer(*every)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("account %s not running after %s (state %s)", key, *wait, st.State)
		case <-t.C:
		}
	}
}

// qrHalfBlocks renders a QR PNG with half-block characters: one character
// per module horizontally, two modules per character vertically, dark
// modules drawn, with a light quiet zone. The module size is the shortest
// dark run, so an integer-scaled code is sampled exactly.
func qrHalfBlocks(data []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	b := img.Bounds()
	dark := func(x, y int) bool {
		r, g, bl, _ := img.At(x, y).RGBA()
		return (r+g+bl)/3 < 0x8000
	}
	mod := moduleSize(img, dark)
	cols, rows := b.Dx()/mod, b.Dy()/mod
	if cols == 0 || rows == 0 || cols > 200 {
		return "", fmt.Errorf("cannot find the QR modules in a %dx%d image", b.Dx(), b.Dy())
	}
	at := func(c, r int) bool {
		if r >= rows {
			return false
		}
		return dark(b.Min.X+c*mod+mod/2, b.Min.Y+r*mod+mod/2)
	}
	var sb strings.Builder
	for r := 0; r < rows; r += 2 {
		for c := 0; c < cols; c++ {
			up, down := at(c, r), at(c, r+1)
			switch {
			case up && down:
				sb.WriteString("█")
			case up:
				sb.WriteString("▀")
			case down:
				sb.WriteString("▄")
			default:
				sb.WriteString(" ")
			}
		}
		sb.WriteString("\n")
	}
	return sb.String(), nil
}

func moduleSize(img image.Image, dark func(x, y int) bool) int {
	b := img.Bounds()
	best := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		run := 0
		for x := b.Min.X; x <= b.Max.X; x++ {
			if x < b.Max.X && dark(x, y) {
				run++
				continue
			}
			if run > 0 && run < best {
				best = run
			}
			run = 0
		}
	}
	if best <= 0 {
		best = 1
	}
	return best
}
