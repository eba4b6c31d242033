package demo

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat. It
// is 100 on every Linux architecture Go supports (the kernel exports a fixed
// value to user space whatever its internal HZ), and reading it properly
// would need cgo's sysconf.
const clockTicks = 100

// procStat is the part of /proc/<pid>/stat the density benchmark uses.
type procStat struct {
	PPID int
	// Ticks is utime+stime of the process itself; ChildTicks is cutime+cstime
	// of the children it has reaped, so that the CPU of a renderer that exits
	// during a window is still counted (in its parent).
	Ticks, ChildTicks uint64
}

// readProcStat parses /proc/<pid>/stat. The command name (field 2) may
// contain spaces and parentheses, so fields are counted from the last ')'.
func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	// f[0] is field 3 (state); utime..cstime are fields 14..17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var n [5]uint64
	for k, idx := range []int{1, 11, 12, 13, 14} {
		if n[k], err = strconv.ParseUint(f[idx], 10, 64); err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat field %d: %w", pid, idx+3, err)
		}
	}
	return procStat{PPID: int(n[0]), Ticks: n[1] + n[2], ChildTicks: n[3] + n[4]}, nil
}

// procMem is a process's resident memory in kB: Rss counts shared pages in
// full in every process, Pss divides them among the sharers, so a sum of Pss
// over Chromium's processes is what they really occupy together.
type procMem struct{ RssKB, PssKB uint64 }

// readProcMem reads /proc/<pid>/smaps_rollup.
func readProcMem(pid int) (procMem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return procMem{}, err
	}
	defer f.Close()
	var m procMem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch k {
		case "Rss":
			dst = &m.RssKB
		case "Pss":
			dst = &m.PssKB
		default:
			continue
		}
		if *dst, err = strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err != nil {
			return procMem{}, fmt.Errorf("/proc/%d/smaps_rollup %s: %w", pid, k, err)
		}
	}
	return m, sc.Err()
}

// allPIDs lists the numeric entries of /proc.
func allPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// descendants returns every live process below root (not root itself).
func descendants(root int) []int {
	children := map[int][]int{}
	for _, pid := range allPIDs() {
		if st, err := readProcStat(pid); err == nil {
			children[st.PPID] = append(children[st.PPID], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// machineTicks returns the busy and total jiffies of all CPUs from
// /proc/stat (busy excludes idle and iowait), to show how loaded the
// machine was by everything, not only by the worker under test.
func machineTicks() (busy, total uint64, err error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var idle uint64
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i == 7 || i == 8 { // guest and guest_nice are already in user/nice
			continue
		}
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return total - idle, total, nil
}

// The /proc readers are checked against a child process whose place in the
// tree and whose memory are known.
func TestDensityProcReaders(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skipf("no /proc/<pid>/smaps_rollup on this system: %v", err)
	}
	sh := exec.Command("/bin/sh", "-c", "sleep 30 & wait")
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range descendants(sh.Process.Pid) {
			if proc, err := os.FindProcess(p); err == nil {
				_ = proc.Kill()
			}
		}
		_ = sh.Process.Kill()
		_ = sh.Wait()
	})
	// The shell forks sleep asynchronously: wait until it appears.
	var kids []int
	waitUntil(t, "the shell's sleep to appear", func() bool {
		kids = descendants(sh.Process.Pid)
		return len(kids) > 0
	}, nil)
	if len(kids) != 1 {
		t.Fatalf("descendants of the shell: %v, want exactly its sleep", kids)
	}
	st, err := readProcStat(kids[0])
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

	// This test process has touched a 64 MiB buffer, so its Rss and Pss are
	// at least that (Pss <= Rss always).
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	m, err := readProcMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RssKB < 64<<10 || m.PssKB < 64<<10 || m.PssKB > m.RssKB {
		t.Fatalf("own memory Rss %d kB, Pss %d kB; want both >= 65536 kB and Pss <= Rss", m.RssKB, m.PssKB)
	}
	buf[len(buf)-1] = 2 // keep buf alive until after the read

	// Burning CPU shows up in our own utime+stime.
	self, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := uint64(1)
	for after := self; after.Ticks < self.Ticks+5; {
		for i := 0; i < 1_000_000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if after, err = readProcStat(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if x == 0 {
		t.Log("unreachable; keeps the loop from being optimised away")
	}
	busy, total, err := machineTicks()
	if err != nil {
		t.Fatal(err)
	}
	if busy == 0 || busy > total {
		t.Fatalf("machine ticks busy %d total %d", busy, total)
	}
}
