// Package procfs reads the few Linux /proc facts hunterbot measures itself
// by: a process's parent and CPU times, its resident memory, the processes
// below it, and the machine's CPU times. The worker's metrics (Chromium's
// memory) and the density benchmark share these readers.
package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat. It
// is 100 on every Linux architecture Go supports (the kernel exports a fixed
// value to user space whatever its internal HZ); reading it properly would
// need cgo's sysconf.
const ClockTicks = 100

// Stat is the part of /proc/<pid>/stat hunterbot uses.
type Stat struct {
	PPID int
	// Ticks is utime+stime of the process itself; ChildTicks is
	// cutime+cstime of the children it has reaped, so that the CPU of a
	// renderer that exits during a measurement is still counted (in its
	// parent).
	Ticks, ChildTicks uint64
}

// ReadStat parses /proc/<pid>/stat. The command name (field 2) may contain
// spaces and parentheses, so fields are counted from the last ')'.
func ReadStat(pid int) (Stat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	// f[0] is field 3 (state); ppid is field 4, utime..cstime are 14..17.
	if len(f) < 15 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var n [5]uint64
	for k, idx := range []int{1, 11, 12, 13, 14} {
		if n[k], err = strconv.ParseUint(f[idx], 10, 64); err != nil {
			return Stat{}, fmt.Errorf("/proc/%d/stat field %d: %w", pid, idx+3, err)
		}
	}
	return Stat{PPID: int(n[0]), Ticks: n[1] + n[2], ChildTicks: n[3] + n[4]}, nil
}

// Mem is a process's resident memory: RSS counts shared pages (the
// Chromium binary, libraries) in full in every process, PSS divides them
// among the sharers, so a sum of PSS over a process tree is what the tree
// really occupies.
type Mem struct{ RSSBytes, PSSBytes uint64 }

// ReadMem reads /proc/<pid>/smaps_rollup (Linux 4.14 and later).
func ReadMem(pid int) (Mem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return Mem{}, err
	}
	defer f.Close()
	var m Mem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "Rss" && k != "Pss") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return Mem{}, fmt.Errorf("/proc/%d/smaps_rollup %s: %w", pid, k, err)
		}
		if k == "Rss" {
			m.RSSBytes = kb * 1024
		} else {
			m.PSSBytes = kb * 1024
		}
	}
	return m, sc.Err()
}

// Descendants returns every live process below root (not root itself),
// breadth first, from the parent pid of each /proc/<pid>/stat. Processes
// that exit during the walk are left out.
func Descendants(root int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadStat(pid); err == nil {
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

// MachineTicks returns the busy and total jiffies of all CPUs from
// /proc/stat (busy excludes idle and iowait): how loaded the machine was by
// everything, not only by the processes under measurement.
func MachineTicks() (busy, total uint64, err error) {
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
