package worker

import (
	"encoding/json"
	"fmt"
)

func jsonUnmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return nil
}

// Session returns the stored browser session (cookies and local storage as
// an opaque blob) of an account, or ErrNotFound. The blob is a secret: never
// log it.
func (t *Tx) Session(accountID string) ([]byte, error) {
	v := t.tx.Bucket(bucketSessions).Get([]byte(accountID))
	if v == nil {
		return nil, ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

// PutSession stores an account's browser session blob.
func (t *Tx) PutSession(accountID string, blob []byte) error {
	if accountID == "" {
		return fmt.Errorf("%w: session needs account_id", ErrInvalid)
	}
	return t.tx.Bucket(bucketSessions).Put([]byte(accountID), blob)
}

// DeleteSession forgets an account's session (after the site logged it out).
func (t *Tx) DeleteSession(accountID string) error {
	return t.tx.Bucket(bucketSessions).Delete([]byte(accountID))
}

// Conversation reads the JSON record kept for one conversation (account +
// candidate) into v; ErrNotFound when there is none. The bot owns the shape
// of v; the store only guarantees atomic updates.
func (t *Tx) Conversation(accountID, candidateID string, v any) error {
	return getJSON(t.tx.Bucket(bucketConversations), key(accountID, candidateID), v)
}

// PutConversation writes the record of one conversation.
func (t *Tx) PutConversation(accountID, candidateID string, v any) error {
	if accountID == "" || candidateID == "" {
		return fmt.Errorf("%w: conversation needs account_id and candidate_id", ErrInvalid)
	}
	return putJSON(t.tx.Bucket(bucketConversations), key(accountID, candidateID), v)
}

// Conversations calls fn with the candidate id and raw JSON of each of an
// account's conversation records, in candidate-id order.
func (t *Tx) Conversations(accountID string, fn func(candidateID string, raw []byte) error) error {
	prefix := append(key(accountID), 0)
	c := t.tx.Bucket(bucketConversations).Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		if err := fn(string(k[len(prefix):]), v); err != nil {
			return err
		}
	}
	return nil
}

// Doc reads the JSON document stored under (accountID, name) into v;
// ErrNotFound when there is none.
func (t *Tx) Doc(accountID, name string, v any) error {
	return getJSON(t.tx.Bucket(bucketKV), key(accountID, name), v)
}

// PutDoc stores v as the JSON document (accountID, name).
func (t *Tx) PutDoc(accountID, name string, v any) error {
	if accountID == "" || name == "" {
		return fmt.Errorf("%w: document needs account_id and name", ErrInvalid)
	}
	return putJSON(t.tx.Bucket(bucketKV), key(accountID, name), v)
}
