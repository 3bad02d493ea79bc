package timing

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DefaultHistoryMax bounds a History whose Max is 0.
const DefaultHistoryMax = 20

// maxPhasesPerReport bounds each stored report against hostile input.
const maxPhasesPerReport = 64

// History is the base branch's recorded reports, oldest first, bounded to
// Max entries (the oldest fall out). Its JSON form is what the Action keeps
// in the Actions cache under the base branch:
//
//	{"max": 20, "reports": [{...report...}, ...]}
type History struct {
	Max     int      `json:"max,omitempty"` // bound; ≤ 0 means DefaultHistoryMax
	Reports []Report `json:"reports"`
}

func (h *History) limit() int {
	if h.Max <= 0 {
		return DefaultHistoryMax
	}
	return h.Max
}

func (h *History) trim() {
	if n := h.limit(); len(h.Reports) > n {
		h.Reports = append([]Report(nil), h.Reports[len(h.Reports)-n:]...)
	}
	for i := range h.Reports {
		if len(h.Reports[i].Phases) > maxPhasesPerReport {
			h.Reports[i].Phases = h.Reports[i].Phases[:maxPhasesPerReport]
		}
	}
}

// Add appends rep as the newest entry and drops the oldest beyond Max.
func (h *History) Add(rep Report) {
	h.Reports = append(h.Reports, rep)
	h.trim()
}

// JSON renders the history with a trailing newline.
func (h History) JSON() []byte {
	if h.Reports == nil {
		h.Reports = []Report{}
	}
	b, _ := json.Marshal(h)
	return append(b, '\n')
}

// ParseHistory reads a History written by JSON. It also accepts a bare JSON
// array of reports and a single report (a --report file). An empty input is
// an empty history. The result is bounded like Add's.
func ParseHistory(b []byte) (History, error) {
	t := strings.TrimSpace(string(b))
	var h History
	var err error
	switch {
	case t == "":
		return History{Reports: []Report{}}, nil
	case strings.HasPrefix(t, "["):
		err = json.Unmarshal(b, &h.Reports)
	default:
		var probe map[string]json.RawMessage
		if err = json.Unmarshal(b, &probe); err != nil {
			break
		}
		if _, ok := probe["reports"]; ok {
			err = json.Unmarshal(b, &h)
		} else {
			var rep Report
			if err = json.Unmarshal(b, &rep); err == nil {
				h.Reports = []Report{rep}
			}
		}
	}
	if err != nil {
		return History{}, fmt.Errorf("failed to parse timing history: %w", err)
	}
	if h.Reports == nil {
		h.Reports = []Report{}
	}
	h.trim()
	return h, nil
}
