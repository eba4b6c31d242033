package metrics

import (
	"fmt"

	"github.com/hunterbot/hunterbot/internal/procfs"
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
	m, err := procfs.ReadMem(root)
	if err != nil {
		return TreeMemory{}, err
	}
	tm := TreeMemory{Processes: 1, RSSBytes: m.RSSBytes, PSSBytes: m.PSSBytes}
	for _, pid := range procfs.Descendants(root) {
		m, err := procfs.ReadMem(pid)
		if err != nil {
			continue // exited meanwhile
		}
		tm.Processes++
		tm.RSSBytes += m.RSSBytes
		tm.PSSBytes += m.PSSBytes
	}
	return tm, nil
}
