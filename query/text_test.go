package query_test

import (
	"bufio"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
)

// textMembers are the members whose strings README.md says --text
// searches: events, raw errors, messages, descriptions.
var textMembers = map[string]bool{
	"rawerror": true, "error": true, "errormessage": true, "message": true,
	"statusmessage": true, "reason": true, "failurereason": true, "description": true,
	"event": true,
}

// wordRE finds words as the index's tokenizer (Unicode word boundaries)
// does for the texts of the emulated history: letters, digits and _,
// joined by a single . : or ' between them.
var wordRE = regexp.MustCompile(`[\pL\pN_]+(?:[.:'][\pL\pN_]+)*`)

// terms returns the lower-case words of a history item's searchable text,
// in order.
func terms(it item) []string {
	var texts []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				walk(vv, k)
			}
		case []any:
			for _, vv := range x {
				walk(vv, key)
			}
		case string:
			if textMembers[strings.ToLower(key)] {
				texts = append(texts, x)
			}
		}
	}
	walk(it.data, "")
	var out []string
	for _, s := range texts {
		out = append(out, wordRE.FindAllString(strings.ToLower(s), -1)...)
		out = append(out, "\x00") // no phrase spans two members
	}
	return out
}

func has(it item, w string) bool { return slices.Contains(terms(it), w) }

// follows reports whether the words ws stand side by side in it's text.
func follows(it item, ws ...string) bool {
	ts := terms(it)
	for i := 0; i+len(ws) <= len(ts); i++ {
		if slices.Equal(ts[i:i+len(ws)], ws) {
			return true
		}
	}
	return false
}

func anyTerm(it item, keep func(string) bool) bool {
	return slices.ContainsFunc(terms(it), func(t string) bool { return t != "\x00" && keep(t) })
}

func event(it item) string { s, _ := it.data["event"].(string); return s }

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// textExamples are the --text examples of README.md ("Full-text
// queries"), each with the records it must find, in the history's terms.
var textExamples = map[string]func(it item) bool{
	`capacity`:                         func(it item) bool { return has(it, "capacity") },
	`"RunInstances operation"`:         func(it item) bool { return follows(it, "runinstances", "operation") },
	`text:"service limit increase"`:    func(it item) bool { return follows(it, "service", "limit", "increase") },
	`event:LAUNCH_FAILED AND capacity`: func(it item) bool { return event(it) == "LAUNCH_FAILED" && has(it, "capacity") },
	`Event:launch_failed AND capacity`: func(it item) bool { return event(it) == "LAUNCH_FAILED" && has(it, "capacity") },
	`capacity limit`:                   func(it item) bool { return has(it, "capacity") || has(it, "limit") },
	`+event:LAUNCH_FAILED capacity limit`: func(it item) bool {
		return event(it) == "LAUNCH_FAILED" && (has(it, "capacity") || has(it, "limit"))
	},
	`event:LAUNCH_FAILED -capacity`:        func(it item) bool { return event(it) == "LAUNCH_FAILED" && !has(it, "capacity") },
	`event:LAUNCH_FAILED AND NOT capacity`: func(it item) bool { return event(it) == "LAUNCH_FAILED" && !has(it, "capacity") },
	`(event:LAUNCH_FAILED OR event:CONVERSION_FAIL) AND NOT capacity`: func(it item) bool {
		return (event(it) == "LAUNCH_FAILED" || event(it) == "CONVERSION_FAIL") && !has(it, "capacity")
	},
	`Insufficient*`: func(it item) bool {
		return anyTerm(it, func(t string) bool { return strings.HasPrefix(t, "insufficient") })
	},
	`/insufficient.*capacity/`: func(it item) bool {
		return anyTerm(it, regexp.MustCompile(`^insufficient.*capacity$`).MatchString)
	},
	`capacty~`: func(it item) bool {
		return anyTerm(it, func(t string) bool { return levenshtein(t, "capacty") <= 1 })
	},
	`event:/launch_.*/ AND NOT event:LAUNCH_START`: func(it item) bool {
		return strings.HasPrefix(event(it), "LAUNCH_") && event(it) != "LAUNCH_START"
	},
	`initiatedBy:start_drill`: func(it item) bool { return it.data["initiatedBy"] == "START_DRILL" },
}

// readmeTextExamples returns the --text arguments of the examples in
// README.md's "Full-text queries" section.
func readmeTextExamples(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			in = strings.TrimSpace(strings.TrimLeft(line, "#")) == "Full-text queries"
		case in && strings.HasPrefix(line, "archiver query --text "):
			arg := strings.TrimPrefix(line, "archiver query --text ")
			if strings.HasPrefix(arg, "'") {
				arg = strings.Trim(arg, "'")
			}
			out = append(out, arg)
		}
	}
	if len(out) == 0 {
		t.Fatal("no --text examples in README.md's Full-text queries section")
	}
	return out
}

// TestTextExamples runs every documented --text example against an
// archive of the emulated history and compares the answer with what the
// history says it must be.
func TestTextExamples(t *testing.T) {
	// A history larger than the default, so that every example finds
	// something.
	emu := emulator.New(emulator.Options{Seed: 5, Jobs: 200, Servers: 24})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	dir := archivetest.Dir(t)
	seen := emu.Now()
	runSync(t, dir, emu, seen, false)
	// The same history without an index: queries search it in memory, as
	// they do records a sync has not indexed yet.
	memDir := archivetest.Dir(t)
	runSync(t, memDir, emu, seen, true)
	h := history(t, emu, seen)
	examples := readmeTextExamples(t)
	for _, q := range examples {
		t.Run(q, func(t *testing.T) {
			keep, ok := textExamples[q]
			if !ok {
				t.Fatalf("README.md example %q has no expected answer here", q)
			}
			for where, dir := range map[string]string{"index": dir, "memory": memDir} {
				got, _, err := ask(t, dir, query.Request{Filters: query.Filters{Text: q}})
				if err != nil {
					t.Fatal(err)
				}
				sameSet(t, q+" ("+where+")", got, want(h, keep))
			}
		})
	}
	for q := range textExamples {
		if !slices.Contains(examples, q) {
			t.Errorf("%q is no longer a README.md example", q)
		}
	}

	// Words the wrong way round are no phrase, though both words are there.
	both := want(h, func(it item) bool { return has(it, "runinstances") && has(it, "operation") })
	if len(both) == 0 {
		t.Fatal("no record holds both words; the test proves nothing")
	}
	if got, _, err := ask(t, dir, query.Request{Filters: query.Filters{Text: `"operation RunInstances"`}}); err != nil || len(got) != 0 {
		t.Errorf(`"operation RunInstances" found %d records (%v), want none`, len(got), err)
	}
	// Kind and text together.
	got, _, err := ask(t, dir, query.Request{Filters: query.Filters{Text: `event:LAUNCH_FAILED AND capacity`, Kinds: []archive.Kind{kinds.DRSJobLogItem}}})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "with --kind", got, want(h, textExamples[`event:LAUNCH_FAILED AND capacity`]))
}

func TestTextSyntax(t *testing.T) {
	good := []string{
		`capacity`, `"a phrase"`, `+a -b c`, `a AND b OR NOT c`, `a && b || !c`, `(a OR b) AND c`,
		`-(a b)`, `event:x`, `EVENT:x`, `jobid:drsjob-1`, `text:"x y"`, `status:/.*ed/`, `launch_?nd`,
		`Insuff*`, `capacty~`, `capacty~2`, `a\:b`, `"say \"hi\""`, `/a\/b/`, `s-0123`, `i-0abc`,
		`us-east-1`, `event:LAUNCH_FAILED AND capacity`, `the`, `a  b`, ` x `, `NOT NOT x`,
	}
	for _, q := range good {
		if err := search.CheckText(q); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", q, err)
		}
		if _, err := search.TextQuery(q); err != nil {
			t.Errorf("TextQuery(%q) = %v, want a query", q, err)
		}
	}
	bad := []struct{ q, msg string }{
		{`/[/`, "missing closing ]"},
		{`/(a+)+$/`, "zero width assertions"},
		{`/^a/`, ""}, // a leading ^ is dropped, as bleve does
		{`/a^b/`, "zero width assertions"},
		{`/\bword/`, "word boundaries"},
		{`/a*?/`, "lazy"},
		{`status:(`, "a field applies to one word"},
		{`status:`, "status: has no value"},
		{`status: x`, "status: has no value"},
		{`ec2:RunInstances`, `unknown field "ec2" (fields: jobID, serverID, instanceID, event, status, type, initiatedBy, replicationState, text`},
		{`"unclosed`, "unclosed quote"},
		{`/unclosed`, "unclosed regexp"},
		{`(a`, "unclosed ("},
		{`a)`, "unmatched )"},
		{`()`, "empty parentheses"},
		{`a AND`, "AND needs a term after it"},
		{`AND a`, "AND needs a term before it"},
		{`a OR AND b`, "AND right after OR"},
		{`NOT`, "NOT needs a term after it"},
		{`+`, "+ needs a term right after it"},
		{`a - b`, "- needs a term right after it"},
		{`x~3`, "the edit distance is 1 or 2"},
		{`.~`, "a fuzzy term needs a letter or digit"},
		{`_.~2`, "a fuzzy term needs a letter or digit"},
		{`x~a`, "the edit distance is 1 or 2"},
		{`x*~`, "wildcard or fuzzy"},
		{`"a b"~2`, "proximity"},
		{`""`, "empty phrase"},
		{`//`, "empty regexp"},
		{`>`, "no letter or digit"},
		{`text:>`, "no letter or digit"},
		{`a\`, "escapes nothing"},
		{`capacity^2`, "boost"},
		{`foo"bar`, "a quote inside a word"},
		{`"a"b`, `unexpected "b"`},
		{strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), "nested too deep"},
	}
	for _, tc := range bad {
		err := search.CheckText(tc.q)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("CheckText(%q) = %v, want nil", tc.q, err)
			}
			continue
		}
		if !errors.Is(err, query.ErrBadText) || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckText(%q) = %v, want a one-line ErrBadText with %q", tc.q, err, tc.msg)
		}
	}
}

// FuzzTextQuery checks that any --text either gives an index query or is
// refused with a one-line ErrBadText, never a panic, and that CheckText
// agrees with TextQuery.
func FuzzTextQuery(f *testing.F) {
	for _, q := range readmeExamplesForFuzz {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := search.TextQuery(s)
		cerr := search.CheckText(s)
		if err == nil {
			if cerr != nil && strings.TrimSpace(s) != "" {
				t.Fatalf("TextQuery(%q) accepts what CheckText refuses: %v", s, cerr)
			}
			return
		}
		if !errors.Is(err, query.ErrBadText) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("TextQuery(%q) = %v", s, err)
		}
		if cerr == nil && strings.TrimSpace(s) != "" {
			t.Fatalf("CheckText(%q) accepts what TextQuery refuses: %v", s, err)
		}
	})
}

// readmeExamplesForFuzz seed the fuzzer beside testdata/fuzz/FuzzTextQuery.
var readmeExamplesForFuzz = []string{
	`capacity`, `"RunInstances operation"`, `event:LAUNCH_FAILED AND capacity`, `+event:LAUNCH_FAILED capacity limit`,
	`(event:LAUNCH_FAILED OR event:CONVERSION_FAIL) AND NOT capacity`, `Insufficient*`, `/insufficient.*capacity/`, `capacty~2`,
	`event:/launch_.*/ AND NOT event:LAUNCH_START`, `a && b || !c`, `-(a b)`, `a\:b`,
}
