package secret

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := b.Seal([]byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal([]byte("hunter2"))
	if bytes.Equal(s1, s2) || bytes.Contains(s1, []byte("hunter2")) {
		t.Fatalf("sealing must be randomised and hide the plain text: %x", s1)
	}
	p, err := b.Open(s1)
	if err != nil || string(p) != "hunter2" {
		t.Fatalf("open = %q, %v", p, err)
	}
	s1[len(s1)-1] ^= 1
	if _, err := b.Open(s1); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered value opened: %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(s2); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong key opened: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(string) (string, bool) { return v, v != "" }
	}
	if _, err := FromEnv(env("")); !errors.Is(err, ErrNoKey) {
		t.Fatalf("unset: %v", err)
	}
	if _, err := FromEnv(env("short")); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := FromEnv(env(strings.Repeat("ab", 32))); err != nil {
		t.Fatalf("hex key: %v", err)
	}
	if _, err := FromEnv(env("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")); err != nil {
		t.Fatalf("base64 key: %v", err)
	}
}
