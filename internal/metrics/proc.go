package metrics

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// TreeMemory is the resident memory of a process and all its descendants
// (Chromium: the browser process, its zygotes, GPU and renderer
// processes).
type TreeMemory struct {
	Processes int
	// RSSBytes sums each process's Rss: shared pages (the Chromium binary,
	// libraries) count once per process, so it overstates the total.
	RSSBytes uint64
	// PSSBytes sums Pss: shared pages are divided among their sharers, so
	// this is what the tree really occupies.
	PSSBytes uint64
}

// ReadTreeMemory walks /proc for root and its descendants and sums their
// memory from /proc/<pid>/smaps_rollup. Processes that exit during the walk
// are skipped; an absent root is an error.
func ReadTreeMemory(root int) (TreeMemory, error) {
	if root <= 0 {
		return TreeMemory{}, fmt.Errorf("pid %d: no such process", root)
	}
	rss, pss, err := readRollup(root)
	if err != nil {
		return TreeMemory{}, err
	}
	tm := TreeMemory{Processes: 1, RSSBytes: rss, PSSBytes: pss}
	for _, pid := range descendants(root) {
		rss, pss, err := readRollup(pid)
		if err != nil {
			continue // exited meanwhile
		}
		tm.Processes++
		tm.RSSBytes += rss
		tm.PSSBytes += pss
	}
	return tm, nil
}

// readRollup returns Rss and Pss of pid in bytes.
func readRollup(pid int) (rss, pss uint64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "Rss" && k != "Pss") {
			continue
		}
		n, perr := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if perr != nil {
			return 0, 0, fmt.Errorf("/proc/%d/smaps_rollup %s: %w", pid, k, perr)
		}
		if k == "Rss" {
			rss = n * 1024
		} else {
			pss = n * 1024
		}
	}
	return rss, pss, sc.Err()
}

// descendants returns every live process below root (not root itself),
// from the parent pid field of each /proc/<pid>/stat.
func descendants(root int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			children[ppid] = append(children[ppid], pid)
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

// parentOf reads the ppid of pid. The command name in /proc/<pid>/stat is
// in parentheses and may itself contain spaces and ')', so the fields are
// counted from the last ')'.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:])) // state ppid ...
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}
