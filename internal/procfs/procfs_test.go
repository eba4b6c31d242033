package procfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The readers are checked against a child process whose place in the tree
// is known, and against this process's own memory and CPU.
func TestReaders(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skipf("no /proc/<pid>/smaps_rollup on this system: %v", err)
	}
	sh := exec.Command("/bin/sh", "-c", "sleep 30 & wait")
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range Descendants(sh.Process.Pid) {
			if proc, err := os.FindProcess(p); err == nil {
				_ = proc.Kill()
			}
		}
		_ = sh.Process.Kill()
		_ = sh.Wait()
	})
	// The shell forks sleep asynchronously: wait until it appears (the
	// test's own deadline bounds the wait).
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var kids []int
	for kids = Descendants(sh.Process.Pid); len(kids) == 0; kids = Descendants(sh.Process.Pid) {
		<-tick.C
	}
	if len(kids) != 1 {
		t.Fatalf("descendants of the shell: %v, want exactly its sleep", kids)
	}
	st, err := ReadStat(kids[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != sh.Process.Pid {
		t.Fatalf("sleep's ppid %d, want %d", st.PPID, sh.Process.Pid)
	}
	comm, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(kids[0]), "comm"))
	if strings.TrimSpace(string(comm)) != "sleep" {
		t.Fatalf("descendant is %q, want sleep", comm)
	}

	// This test process has touched a 64 MiB buffer, so its RSS and PSS are
	// at least that (PSS <= RSS always).
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	m, err := ReadMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSBytes < 64<<20 || m.PSSBytes < 64<<20 || m.PSSBytes > m.RSSBytes {
		t.Fatalf("own memory RSS %d, PSS %d bytes; want both >= 64 MiB and PSS <= RSS", m.RSSBytes, m.PSSBytes)
	}
	buf[len(buf)-1] = 2 // keep buf alive until after the read

	// Burning CPU shows up in our own utime+stime.
	self, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := uint64(1)
	for after := self; after.Ticks < self.Ticks+5; {
		for i := 0; i < 1_000_000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if after, err = ReadStat(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if x == 0 {
		t.Log("unreachable; keeps the loop from being optimised away")
	}
	busy, total, err := MachineTicks()
	if err != nil {
		t.Fatal(err)
	}
	if busy == 0 || busy > total {
		t.Fatalf("machine ticks busy %d total %d", busy, total)
	}
}

func TestReadStatOfAnAbsentProcess(t *testing.T) {
	if _, err := ReadStat(1 << 30); err == nil {
		t.Fatal("ReadStat of a pid that cannot exist: no error")
	}
	if _, err := ReadMem(1 << 30); err == nil {
		t.Fatal("ReadMem of a pid that cannot exist: no error")
	}
}
