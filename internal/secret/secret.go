// Package secret seals small secrets (account passwords, site sessions) for
// storage at rest with AES-256-GCM. The key comes from the environment
// (HUNTERBOT_SECRET_KEY), never from a file next to the data it protects.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// EnvKey is the environment variable holding the 32-byte key, as 64 hex
// digits or standard base64 (`openssl rand -base64 32`).
const EnvKey = "HUNTERBOT_SECRET_KEY"

// ErrNoKey means no key is configured.
var ErrNoKey = errors.New(EnvKey + " is not set")

// ErrOpen means a sealed value did not authenticate (wrong key or damage).
var ErrOpen = errors.New("secret: cannot open sealed value (wrong key or corrupted)")

// version prefixes every sealed value so the scheme can change later.
const version = 1

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret: key must be 32 bytes, got %d", len(key))
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// FromEnv builds a Box from HUNTERBOT_SECRET_KEY (lookup is os.LookupEnv
// when nil). It returns ErrNoKey when the variable is unset or empty.
func FromEnv(lookup func(string) (string, bool)) (*Box, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, _ := lookup(EnvKey)
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, ErrNoKey
	}
	if k, err := hex.DecodeString(v); err == nil && len(k) == 32 {
		return New(k)
	}
	if k, err := base64.StdEncoding.DecodeString(v); err == nil && len(k) == 32 {
		return New(k)
	}
	return nil, fmt.Errorf("%s: want 32 bytes as 64 hex digits or base64", EnvKey)
}

// Seal encrypts plain with a fresh random nonce.
func (b *Box) Seal(plain []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plain, []byte{version}), nil
}

// Open decrypts a value made by Seal.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte{version})
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
