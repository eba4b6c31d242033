package api

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Seed 002's marketing-notice lists take Spring Data's paging and sorting
// parameters and answer a serialized Spring Page. This file reads the
// parameters and builds that page from an in-memory slice.

// springSort is one element of a Page's "sort" (Spring's Sort.Order).
type springSort struct {
	Direction    string `json:"direction"`
	Property     string `json:"property"`
	IgnoreCase   bool   `json:"ignoreCase"`
	NullHandling string `json:"nullHandling"`
	Ascending    bool   `json:"ascending"`
	Descending   bool   `json:"descending"`
}

type springPageable struct {
	Paged      bool         `json:"paged"`
	Unpaged    bool         `json:"unpaged"`
	PageNumber int          `json:"pageNumber"`
	PageSize   int          `json:"pageSize"`
	Offset     int64        `json:"offset"`
	Sort       []springSort `json:"sort"`
}

// springPage is the serialized Page (content, pageable and the totals).
type springPage[T any] struct {
	Content          []T            `json:"content"`
	Pageable         springPageable `json:"pageable"`
	Total            int64          `json:"total"`
	Empty            bool           `json:"empty"`
	Number           int            `json:"number"`
	Size             int            `json:"size"`
	NumberOfElements int            `json:"numberOfElements"`
	Sort             []springSort   `json:"sort"`
	First            bool           `json:"first"`
	Last             bool           `json:"last"`
	TotalPages       int            `json:"totalPages"`
	TotalElements    int64          `json:"totalElements"`
}

// pageQuery is the parsed current/size/orderBy/orderDirection/
// orderNullHandling/keyWord parameters. Paged is false when current is
// absent: the seed says such a list is not paged.
type pageQuery struct {
	Paged   bool
	Current int
	Size    int
	Orders  []springSort
	KeyWord string
}

// sortKey compares two records by one property; null reports whether a
// record's value is absent (for orderNullHandling).
type sortKey[T any] struct {
	cmp  func(a, b T) int
	null func(T) bool
}

// readPageQuery parses the paging and sorting parameters. keys lists the
// properties orderBy may name; an unknown one is a 400 naming orderBy.
func readPageQuery[T any](r *http.Request, keys map[string]sortKey[T]) (pageQuery, error) {
	q := r.URL.Query()
	var pq pageQuery
	if v := q.Get("current"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return pq, errBadRequest("current", "must be a page number from 0, got %q", v)
		}
		pq.Paged, pq.Current = true, n
	}
	pq.Size = 20
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return pq, errBadRequest("size", "must be between 1 and 1000, got %q", v)
		}
		pq.Size = n
		pq.Paged = true // a size alone asks for the first page of that size
	}
	dir := strings.ToUpper(q.Get("orderDirection"))
	switch dir {
	case "":
		dir = "ASC"
	case "ASC", "DESC":
	default:
		return pq, errBadRequest("orderDirection", "must be ASC or DESC, got %q", q.Get("orderDirection"))
	}
	nulls := strings.ToUpper(q.Get("orderNullHandling"))
	switch nulls {
	case "":
		nulls = "NATIVE"
	case "NATIVE", "NULLS_FIRST", "NULLS_LAST":
	default:
		return pq, errBadRequest("orderNullHandling", "must be NATIVE, NULLS_FIRST or NULLS_LAST, got %q", q.Get("orderNullHandling"))
	}
	// orderBy is an array: repeated parameters, or one comma-separated value.
	for _, v := range q["orderBy"] {
		for _, prop := range strings.Split(v, ",") {
			prop = strings.TrimSpace(prop)
			if prop == "" {
				continue
			}
			if _, ok := keys[prop]; !ok {
				names := make([]string, 0, len(keys))
				for k := range keys {
					names = append(names, k)
				}
				slices.Sort(names)
				return pq, errBadRequest("orderBy", "cannot sort by %q; use one of %s", prop, strings.Join(names, ", "))
			}
			pq.Orders = append(pq.Orders, springSort{Direction: dir, Property: prop, NullHandling: nulls,
				Ascending: dir == "ASC", Descending: dir == "DESC"})
		}
	}
	pq.KeyWord = strings.TrimSpace(q.Get("keyWord"))
	return pq, nil
}

// sortRecords orders items by pq's orders, then by their given order
// (stable). NATIVE puts absent values first ascending and last descending,
// as a relational store does.
func sortRecords[T any](items []T, pq pageQuery, keys map[string]sortKey[T]) {
	if len(pq.Orders) == 0 {
		return
	}
	slices.SortStableFunc(items, func(a, b T) int {
		for _, o := range pq.Orders {
			k := keys[o.Property]
			if k.null != nil && o.NullHandling != "NATIVE" {
				an, bn := k.null(a), k.null(b)
				if an != bn {
					if an == (o.NullHandling == "NULLS_FIRST") {
						return -1
					}
					return 1
				}
			}
			c := k.cmp(a, b)
			if o.Descending {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

// window returns the slice of items pq selects: all when unpaged.
func window[T any](items []T, pq pageQuery) []T {
	if !pq.Paged {
		return items
	}
	from := min(pq.Current*pq.Size, len(items))
	to := min(from+pq.Size, len(items))
	return items[from:to]
}

// newSpringPage sorts and pages items into a serialized Page.
func newSpringPage[T any](items []T, pq pageQuery, keys map[string]sortKey[T]) springPage[T] {
	sortRecords(items, pq, keys)
	content := window(items, pq)
	if content == nil {
		content = []T{}
	}
	total := len(items)
	orders := pq.Orders
	if orders == nil {
		orders = []springSort{}
	}
	p := springPage[T]{Content: content, Total: int64(total), TotalElements: int64(total),
		Empty: len(content) == 0, NumberOfElements: len(content), Sort: orders}
	p.Pageable = springPageable{Paged: pq.Paged, Unpaged: !pq.Paged, Sort: orders}
	if pq.Paged {
		p.Number, p.Size = pq.Current, pq.Size
		p.Pageable.PageNumber, p.Pageable.PageSize = pq.Current, pq.Size
		p.Pageable.Offset = int64(pq.Current) * int64(pq.Size)
		p.TotalPages = (total + pq.Size - 1) / pq.Size
		p.First = pq.Current == 0
		p.Last = pq.Current >= p.TotalPages-1
	} else {
		// Spring's unpaged Page: one page holding everything.
		p.Size, p.Pageable.PageSize = total, total
		p.TotalPages, p.First, p.Last = 1, true, true
	}
	return p
}

// byString and byUint build sort keys from a field accessor.
func byString[T any](f func(T) string) sortKey[T] {
	return sortKey[T]{cmp: func(a, b T) int { return cmp.Compare(f(a), f(b)) }, null: func(t T) bool { return f(t) == "" }}
}

func byTime[T any](f func(T) wire.SeedTime) sortKey[T] {
	return sortKey[T]{cmp: func(a, b T) int { return f(a).Compare(f(b).Time) }, null: func(t T) bool { return f(t).IsZero() }}
}

func byUint[T any](f func(T) uint64) sortKey[T] {
	return sortKey[T]{cmp: func(a, b T) int { return cmp.Compare(f(a), f(b)) }}
}

// qIDList reads a comma-separated id list ("1,2,3"); errors name the
// parameter.
func qIDList(r *http.Request, name string) (map[uint64]bool, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return nil, nil
	}
	set := map[uint64]bool{}
	for _, part := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(part), 10, 64)
		if err != nil || n == 0 {
			return nil, errBadRequest(name, "must be comma-separated positive ids, got %q", v)
		}
		set[n] = true
	}
	return set, nil
}
