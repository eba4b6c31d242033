package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/state"
)

// smallSendBuf shrinks the kernel send buffer of every accepted connection,
// so a client that stops reading blocks the server's writes after a few
// kilobytes instead of after the megabytes loopback autotuning allows: the
// test needs no huge database to stall a backup.
type smallSendBuf struct{ net.Listener }

func (l smallSendBuf) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A client that starts GET /api/admin/backup and then stops reading must not
// freeze the control plane: worker pushes that grow control.db (bbolt must
// re-mmap the file, which waits for every open read transaction) and
// operator reads answer while the client is still stalled mid-backup.
func TestStalledBackupDoesNotFreezeTheControlPlane(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2024, 3, 4, 7, 30, 45, 0, time.UTC))
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser(testUser, testPassword), db.PutClient(testClient, testSecret), db.PutWorker(testWorker, testWorkerTk)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// About 2 MB of contacts, so the backup is far larger than the buffers.
	notes := strings.Repeat("备注", 250)
	seeded := 0
	for b := 0; b < 6; b++ {
		in := make([]wire.ContactInput, 0, 500)
		for i := 0; i < 500; i++ {
			in = append(in, wire.ContactInput{Account: "boss-a", CandidateID: fmt.Sprintf("seed-%d-%d", b, i), Name: "张三", Notes: notes, Wechat: "wx_seed"})
		}
		if _, err := db.UpsertContacts(testWorker, in); err != nil {
			t.Fatal(err)
		}
		seeded += len(in)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener = smallSendBuf{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	pair, err := db.IssueTokens(testUser, testClient, time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(db.Path())
	size0 := st.Size()

	// The stalled client: a small receive window, reads the headers and one
	// byte of the body, then nothing.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // runs before srv.Close: frees a stuck handler
	fmt.Fprintf(conn, "GET /api/admin/backup HTTP/1.1\r\nHost: control\r\nAuthorization: Bearer %s\r\n\r\n", pair.AccessToken)
	br := bufio.NewReaderSize(conn, 16)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength < 1<<20 {
		t.Fatalf("backup: %d, length %d", resp.StatusCode, resp.ContentLength)
	}
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	got := int64(1)

	// While it stalls: push contacts until control.db has more than doubled
	// (so bbolt re-mmapped it at least once), reading accounts between
	// pushes. Each request must answer.
	answer := func(what string, req *http.Request) time.Duration {
		t.Helper()
		type result struct {
			status int
			body   string
			err    error
		}
		done := make(chan result, 1)
		t0 := time.Now()
		go func() {
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- result{err: err}
				return
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			done <- result{status: r.StatusCode, body: string(b)}
		}()
		select {
		case res := <-done:
			if res.err != nil || res.status != 200 {
				t.Fatalf("%s while a backup client stalls: %d %v %.200s", what, res.status, res.err, res.body)
			}
			return time.Since(t0)
		// The client stalls until the test reads on, so the wait is only
		// bounded by the test binary's deadline (the figure that matters
		// is logged): on the old code the requests never answered while
		// the client stalled.
		case <-time.After(time.Until(testwait.Guard(t))):
			t.Fatalf("%s got no answer before the test deadline while a backup client stalled: the control plane is frozen", what)
		}
		return 0
	}
	var maxWrite, maxRead time.Duration
	pushes := 0
	for round := 0; ; round++ {
		st, _ := os.Stat(db.Path())
		if st.Size() > 2*size0 {
			break
		}
		if round == 200 {
			t.Fatalf("control.db did not grow past %d bytes (now %d)", 2*size0, st.Size())
		}
		in := make([]wire.ContactInput, 0, 200)
		for i := 0; i < 200; i++ {
			in = append(in, wire.ContactInput{Account: "boss-a", CandidateID: fmt.Sprintf("new-%d-%d", round, i), Name: "李四", Notes: notes})
		}
		body, _ := json.Marshal(wire.ContactsRequest{Contacts: in})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/worker/contacts", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testWorkerTk)
		req.Header.Set("Content-Type", "application/json")
		maxWrite = max(maxWrite, answer("worker push", req))
		pushes++
		req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/accounts", nil)
		req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		maxRead = max(maxRead, answer("GET /api/accounts", req))
	}
	st, _ = os.Stat(db.Path())

	// The client was still stalled: the server had not been able to send
	// the backup (it is far larger than the buffers in between).
	if got >= resp.ContentLength {
		t.Fatal("the backup had completed; the client was not stalled")
	}
	t.Logf("while a backup client stalled: %d worker pushes grew control.db %d -> %d bytes; slowest push %v, slowest GET /api/accounts %v",
		pushes, size0, st.Size(), maxWrite.Round(time.Millisecond), maxRead.Round(time.Millisecond))

	// Now read the rest: the backup is a complete database as of the
	// request, without the contacts pushed during the transfer.
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(rest))+got != resp.ContentLength {
		t.Fatalf("backup body %d bytes, Content-Length %d", int64(len(rest))+got, resp.ContentLength)
	}
	bk := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(bk, append(first, rest...), 0o600); err != nil {
		t.Fatal(err)
	}
	bdb, err := state.Open(bk, state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer bdb.Close()
	if n := bdb.CountContacts(wire.ContactFilter{}); n != seeded {
		t.Fatalf("backup holds %d contacts, want the %d of the moment it started", n, seeded)
	}
	// No snapshot file is left next to the database once the handler ended
	// (Close waits for it).
	srv.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, ".backup-*")); len(left) != 0 {
		t.Fatalf("snapshot files left: %v", left)
	}
}
