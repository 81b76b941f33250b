package query

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// Format is an output format of query results.
type Format string

// The output formats of query results. JSON and JSONL carry the record
// object of each result; table and CSV carry its Row.
const (
	// FormatTable is an aligned table for people, printed when the results
	// are complete.
	FormatTable Format = "table"
	// FormatJSON is one JSON array of record objects.
	FormatJSON Format = "json"
	// FormatJSONL is one record object per line.
	FormatJSONL Format = "jsonl"
	// FormatCSV is RFC 4180 CSV with a header line.
	FormatCSV Format = "csv"
)

// formats lists the output formats in the order help text names them.
var formats = []Format{FormatTable, FormatJSON, FormatJSONL, FormatCSV}

// errFormat follows the quoted input of a refused --output value.
var errFormat = func() error {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return fmt.Errorf("want one of %s", strings.Join(names, ", "))
}()

// ParseFormat validates a --output value. Case and surrounding spaces are
// ignored. The error is one line and starts with the quoted input, trimmed,
// like the other parsers of this package.
func ParseFormat(s string) (Format, error) {
	s = strings.TrimSpace(s)
	for _, f := range formats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("%q: %w", s, errFormat)
}

// Row is one result as the tabular formats show it, extracted from a record.
type Row struct {
	// Time is the record's time (Record.Time).
	Time time.Time
	// Kind is the record's kind.
	Kind archive.Kind
	// Job is the job ID: the job's own, a log item's job, the job of a
	// source server's last launch, a Snowball JobId or an SMS
	// replicationJobId.
	Job string
	// Server is the source server ID: of a log item's event, of a snapshot,
	// of an SMS job, or the first server of a DRS job followed by " +N" when
	// N more take part.
	Server string
	// Servers is every source server Server stands for, separated by
	// spaces: all the servers of a DRS job, which the CSV carries whole.
	Servers string
	// What is the state or event: a log item's event, a job's status and
	// initiator ("COMPLETED START_DRILL"), a snapshot's replication state,
	// a Snowball JobState or an SMS state.
	What string
	// Message is the human text: a log item's raw error, a summary of a
	// job's launch statuses ("3 launched, 1 failed"), a snapshot's
	// replication error, an SMS statusMessage or a Snowball Description.
	Message string
	// ID is the record's own AWS ID, which --id finds it by: a job's,
	// source server's, recovery snapshot's or instance's, staging
	// account's. Log items have none.
	ID string
	// Pos is a log item's position in its job's log, counting from zero;
	// zero for other kinds.
	Pos int
	// Cluster is a Snowball job's cluster ID.
	Cluster string
	// CapturedAt is when an observation (a source server, staging account,
	// recovery instance, Snowball or SMS job state) was taken; zero for
	// other kinds.
	CapturedAt time.Time
	// Region and Account say where the record came from.
	Region, Account string
}

// RowOf extracts the Row of a record. It never fails: members that are
// missing, or not of the expected type, give empty strings.
func RowOf(rec archive.Record) Row {
	row := Row{Time: rec.Time, Kind: rec.Kind, ID: rec.ID, Cluster: rec.ClusterID, Region: rec.Region, Account: rec.Account}
	if rec.Pos != nil {
		row.Pos = *rec.Pos
	}
	if rec.CapturedAt != nil {
		row.CapturedAt = *rec.CapturedAt
	}
	spec := kinds.Of(rec.Kind)
	if spec == nil {
		row.Job = firstNonEmpty(rec.JobID, rec.ID)
		return row
	}
	sum := spec.Summary(rec.ID, rec.Data)
	row.ID = firstNonEmpty(sum.ID, row.ID)
	row.Job = firstNonEmpty(sum.Job, rec.JobID)
	row.Server, row.Servers, row.What, row.Message = sum.Server, sum.Servers, sum.What, sum.Message
	return row
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// recordName names a record in error messages.
func recordName(rec archive.Record) string {
	switch {
	case rec.ID != "":
		return rec.ID
	case rec.Pos != nil:
		return fmt.Sprintf("%s[%d]", rec.JobID, *rec.Pos)
	default:
		return rec.JobID
	}
}

// Writer writes query results in one format.
type Writer interface {
	// Write writes one record. Terms are the full-text terms the query
	// matched, highlighted in the table's MESSAGE column; nil for none.
	// Other formats ignore them.
	Write(rec archive.Record, terms []string) error
	// Close finishes the output, and must be called once after the last
	// Write. When next is not empty it tells where to resume, as the line
	// "NextToken: <next>": after the table for FormatTable, and on
	// WriterOptions.Notes for the other formats, so that their output stays
	// one valid document.
	Close(next string) error
}

// WriterOptions control a Writer.
type WriterOptions struct {
	// Width is the terminal width the table must fit in, in runes; 0 means
	// no limit, and nothing is truncated.
	Width int
	// Color highlights matched terms in ANSI bold. Without it a match is
	// shown as *term*: visible on any terminal and in a file or pipe, at the
	// cost of two characters, which the table counts in its widths.
	Color bool
	// Wide shows every column of the table at full width, whatever Width
	// says.
	Wide bool
	// Notes receives the NextToken line of the json, jsonl and csv formats,
	// normally standard error; nil drops it.
	Notes    io.Writer
	Location *time.Location // zone of printed times; nil means UTC
}

// location is the zone the table and CSV print times in.
func (o WriterOptions) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// NewWriter returns a Writer of format f to w. The format should come from
// ParseFormat; for any other the Writer returns an error from every call.
func NewWriter(w io.Writer, f Format, o WriterOptions) Writer {
	switch f {
	case FormatTable:
		return &tableWriter{w: w, o: o}
	case FormatJSON, FormatJSONL:
		return &jsonWriter{w: bufio.NewWriter(w), notes: o.Notes, format: f}
	case FormatCSV:
		return &csvWriter{w: csv.NewWriter(w), notes: o.Notes, loc: o.location()}
	default:
		return badFormatWriter{fmt.Errorf("output format %q: %w", string(f), errFormat)}
	}
}

var (
	_ Writer = (*tableWriter)(nil)
	_ Writer = (*jsonWriter)(nil)
	_ Writer = (*csvWriter)(nil)
	_ Writer = badFormatWriter{}
)

// writeNext writes the NextToken line to notes, if both are given.
func writeNext(notes io.Writer, next string) error {
	if notes == nil || next == "" {
		return nil
	}
	if _, err := fmt.Fprintf(notes, "NextToken: %s\n", next); err != nil {
		return fmt.Errorf("write next token: %w", err)
	}
	return nil
}

// badFormatWriter refuses everything; NewWriter returns it for an unknown
// format, since it cannot return an error itself.
type badFormatWriter struct{ err error }

func (b badFormatWriter) Write(archive.Record, []string) error { return b.err }
func (b badFormatWriter) Close(string) error                   { return b.err }

// jsonWriter writes FormatJSON, an array with one record object a line, or
// FormatJSONL, one record object a line with nothing around.
type jsonWriter struct {
	w      *bufio.Writer
	notes  io.Writer
	format Format
	buf    []byte
	n      int
}

func (j *jsonWriter) Write(rec archive.Record, _ []string) error {
	j.buf = j.buf[:0]
	if j.format == FormatJSON {
		if j.n == 0 {
			j.buf = append(j.buf, "[\n"...)
		} else {
			j.buf = append(j.buf, ",\n"...)
		}
	}
	j.buf = append(AppendObject(j.buf, rec), '}')
	if j.format == FormatJSONL {
		j.buf = append(j.buf, '\n')
	}
	if _, err := j.w.Write(j.buf); err != nil {
		return fmt.Errorf("write %s %s record %s: %w", j.format, rec.Kind, recordName(rec), err)
	}
	j.n++
	return nil
}

func (j *jsonWriter) Close(next string) error {
	if j.format == FormatJSON {
		end := "\n]\n"
		if j.n == 0 {
			end = "[]\n"
		}
		// A write error stays in the bufio.Writer and Flush returns it.
		_, _ = j.w.WriteString(end)
	}
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("finish %s output: %w", j.format, err)
	}
	return writeNext(j.notes, next)
}

// csvHeader names the CSV columns:
//   - time: the record's time (Record.Time)
//   - kind: the record's kind
//   - id: the record's own AWS ID; empty for log items, which have none
//   - job: the job the record is, belongs to or names (Row.Job)
//   - pos: a log item's position in its job's log, from 0; empty for
//     other kinds
//   - cluster: a Snowball job's cluster ID
//   - server, what, message: as the table shows them (Row)
//   - capturedAt: when an observation was taken; empty for jobs, log items
//     and recovery snapshots
//   - region, account: where the record came from
var csvHeader = []string{"time", "kind", "id", "job", "pos", "cluster", "server", "what", "message", "capturedAt", "region", "account"}

// csvWriter writes FormatCSV. Lines end in "\n", as encoding/csv writes them
// by default; cells keep their text verbatim, newlines included, quoted as
// RFC 4180 says. Times are RFC 3339 in the writer's zone (UTC unless
// WriterOptions.Location says otherwise), with as many fractional digits as
// they need.
type csvWriter struct {
	w       *csv.Writer
	notes   io.Writer
	loc     *time.Location
	started bool
}

// header writes the header line once, so that an empty result still has it.
func (c *csvWriter) header() error {
	if c.started {
		return nil
	}
	c.started = true
	if err := c.w.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	return nil
}

func (c *csvWriter) Write(rec archive.Record, _ []string) error {
	if err := c.header(); err != nil {
		return err
	}
	r := RowOf(rec)
	var pos, captured string
	if kinds.IsLogItem(r.Kind) {
		pos = strconv.Itoa(r.Pos)
	}
	if !r.CapturedAt.IsZero() {
		captured = r.CapturedAt.In(c.loc).Format(time.RFC3339Nano)
	}
	server := r.Server
	if r.Servers != "" {
		server = r.Servers
	}
	cells := []string{r.Time.In(c.loc).Format(time.RFC3339Nano), string(r.Kind), r.ID, r.Job, pos, r.Cluster,
		server, r.What, r.Message, captured, r.Region, r.Account}
	if err := c.w.Write(cells); err != nil {
		return fmt.Errorf("write csv %s record %s: %w", rec.Kind, recordName(rec), err)
	}
	return nil
}

func (c *csvWriter) Close(next string) error {
	if err := c.header(); err != nil {
		return err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("finish csv output: %w", err)
	}
	return writeNext(c.notes, next)
}

// Table layout.
const (
	tableTimeLayout = "2006-01-02 15:04:05"
	// tableGap separates columns.
	tableGap = "  "
	// minMessageWidth is the narrowest MESSAGE column that fitting makes
	// before it drops other columns.
	minMessageWidth = 20
	ellipsis        = "…"
	// ANSI select and cancel bold; 22 rather than 0 leaves other attributes.
	boldOn  = "\x1b[1m"
	boldOff = "\x1b[22m"
	// plainMark surrounds a match when Color is off.
	plainMark = "*"
	noRecords = "no records match"
)

// The table's columns, in order. MESSAGE, the last, is the only one
// highlighted and is never padded.
const (
	colTime = iota
	colKind
	colID
	colJob
	colServer
	colWhat
	colCaptured
	colMessage
	numColumns
)

// tableColumns are the column headers; TIME's names the zone as well. ID,
// JOB and SERVER hold IDs, which a reader copies into the next command: they
// are never cut, only left out when the line cannot hold them (ID never).
var tableColumns = [numColumns]string{"TIME", "KIND", "ID", "JOB", "SERVER", "WHAT", "CAPTURED", "MESSAGE"}

// tableRow is one buffered table line: the cells before MESSAGE as shown,
// and MESSAGE as runes with a flag on each highlighted rune.
type tableRow struct {
	cells []string
	msg   []rune
	mark  []bool
}

// tableWriter writes FormatTable. It buffers the rows, since column widths
// depend on all of them; a page holds a few thousand rows at most.
//
// Its columns: TIME, in the writer's zone, which the header names; KIND;
// ID, the record's own ID, or a log item's job; JOB and SERVER, the job and
// source server the record names, where ID does not already show them;
// WHAT; CAPTURED, an observation's capture time; MESSAGE.
type tableWriter struct {
	w    io.Writer
	o    WriterOptions
	rows []tableRow
}

func (t *tableWriter) Write(rec archive.Record, terms []string) error {
	r := RowOf(rec)
	kind := string(r.Kind)
	if spec := kinds.Of(r.Kind); spec != nil {
		kind = spec.Short
	}
	id := r.ID
	if id == "" {
		id = r.Job // a log item's job
	}
	job, server := r.Job, r.Server
	if job == id {
		job = ""
	}
	if server == id {
		server = ""
	}
	var captured string
	if !r.CapturedAt.IsZero() {
		captured = r.CapturedAt.In(t.o.location()).Format(tableTimeLayout)
	}
	msg := []rune(oneLine(r.Message))
	t.rows = append(t.rows, tableRow{
		cells: []string{r.Time.In(t.o.location()).Format(tableTimeLayout), oneLine(kind), oneLine(id), oneLine(job), oneLine(server), oneLine(r.What), captured},
		msg:   msg,
		mark:  highlight(msg, terms),
	})
	return nil
}

func (t *tableWriter) Close(next string) error {
	var b bytes.Buffer
	if len(t.rows) == 0 {
		b.WriteString(noRecords + "\n")
	} else {
		t.render(&b)
	}
	if next != "" {
		// Never truncated: the token must be copied whole.
		fmt.Fprintf(&b, "NextToken: %s\n", next)
	}
	if _, err := t.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write table of %d records: %w", len(t.rows), err)
	}
	return nil
}

// render lays out the header and rows, fitted to the width.
func (t *tableWriter) render(b *bytes.Buffer) {
	names := tableColumns
	names[colTime] = fmt.Sprintf("TIME (%s)", t.o.location())
	header := tableRow{cells: names[:colMessage], msg: []rune(names[colMessage])}
	header.mark = make([]bool, len(header.msg))
	rows := append([]tableRow{header}, t.rows...)

	// A column no row fills is left out, unless the table is wide.
	var widths [numColumns]int
	var shown [numColumns]bool
	for _, r := range t.rows {
		for i, c := range r.cells {
			shown[i] = shown[i] || c != ""
		}
		shown[colMessage] = shown[colMessage] || len(r.msg) > 0
	}
	for _, r := range rows {
		for i, c := range r.cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
		widths[colMessage] = max(widths[colMessage], t.messageWidth(r))
	}
	for i := range shown {
		shown[i] = shown[i] || t.o.Wide
	}
	if !t.o.Wide {
		fitWidths(widths[:], shown[:], t.o.Width)
	}

	var line strings.Builder
	for _, r := range rows {
		line.Reset()
		for i, c := range r.cells {
			if shown[i] {
				line.WriteString(fitCell(c, widths[i]))
				line.WriteString(tableGap)
			}
		}
		if shown[colMessage] {
			t.writeMessage(&line, r, widths[colMessage])
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}

// messageWidth is the visible width of a row's whole message, plain
// markers included.
func (t *tableWriter) messageWidth(r tableRow) int {
	n := len(r.msg)
	if !t.o.Color {
		n += 2 * spans(r.mark)
	}
	return n
}

// writeMessage writes the message of r in at most width visible runes,
// cutting it with an ellipsis when it is longer. A match cut short is still
// closed, so that bold never leaks past the line.
func (t *tableWriter) writeMessage(b *strings.Builder, r tableRow, width int) {
	on, off, markCost := plainMark, plainMark, 2
	if t.o.Color {
		on, off, markCost = boldOn, boldOff, 0
	}
	cut := t.messageWidth(r) > width
	budget := width
	if cut {
		budget-- // room for the ellipsis
	}
	used, in := 0, false
	for i, c := range r.msg {
		need := 1
		opening := r.mark[i] && !in
		if opening {
			need += markCost // opening and closing marks together
		}
		if used+need > budget {
			break
		}
		if in && !r.mark[i] {
			b.WriteString(off)
			in = false
		}
		if opening {
			b.WriteString(on)
			in = true
		}
		b.WriteRune(c)
		used += need
	}
	if in {
		b.WriteString(off)
	}
	if cut {
		b.WriteString(ellipsis)
	}
}

// fitStep is one way of making a table narrower: narrowing columns down to
// floor runes, or, with drop, leaving a column out.
type fitStep struct {
	cols  []int
	floor int
	drop  bool
}

// fitSteps are tried in order until a line fits. IDs are what a reader
// copies into the next command, so no step cuts them: MESSAGE gives way
// first, down to minMessageWidth, then KIND and WHAT down to 6, then
// MESSAGE down to 10 and out; then CAPTURED and JOB go, WHAT narrows to 4
// and goes, then KIND, SERVER and TIME in turn. ID stays, even wider than
// the line.
var fitSteps = []fitStep{
	{cols: []int{colMessage}, floor: minMessageWidth},
	{cols: []int{colKind, colWhat}, floor: 6},
	{cols: []int{colMessage}, floor: 10},
	{cols: []int{colMessage}, drop: true},
	{cols: []int{colCaptured}, drop: true},
	{cols: []int{colJob}, drop: true},
	{cols: []int{colWhat}, floor: 4},
	{cols: []int{colWhat}, drop: true},
	{cols: []int{colKind}, drop: true},
	{cols: []int{colServer}, drop: true},
	{cols: []int{colTime}, drop: true},
}

// fitWidths narrows and leaves out columns so that a line fits width, when
// width is above zero, following fitSteps. Columns of shown that are false
// are out already. Once the line fits, what is left goes back to KIND and
// WHAT if they were narrowed, then to the columns left out, the last left
// out first, each if it fits whole: a few wide IDs must not cost the short
// columns their place.
func fitWidths(widths []int, shown []bool, width int) {
	if width <= 0 {
		return
	}
	total := 0
	for i, w := range widths {
		if shown[i] {
			total += w + len(tableGap)
		}
	}
	excess := total - len(tableGap) - width
	natural := slices.Clone(widths)
	var dropped []int
	for _, st := range fitSteps {
		if excess <= 0 {
			break
		}
		var cols []int
		for _, c := range st.cols {
			// Narrowing steps name no ID column; ID itself always stays.
			if shown[c] && c != colID {
				cols = append(cols, c)
			}
		}
		if st.drop {
			for _, c := range cols {
				shown[c] = false
				excess -= widths[c] + len(tableGap)
				dropped = append(dropped, c)
			}
			continue
		}
		floor := st.floor
		if len(cols) == 1 {
			floor = min(widths[cols[0]], floor)
		}
		excess -= shrink(widths, cols, floor, excess)
	}
	// Room left widens first the columns that were narrowed, which rank
	// above any left out while they stay, then brings columns back.
	grow := func(c int) {
		if shown[c] && excess < 0 {
			n := min(natural[c]-widths[c], -excess)
			widths[c] += n
			excess += n
		}
	}
	grow(colKind)
	grow(colWhat)
	for i := len(dropped) - 1; i >= 0; i-- {
		c := dropped[i]
		need := widths[c] + len(tableGap)
		if c == colMessage {
			need = min(widths[c], 10) + len(tableGap)
		}
		if need <= -excess {
			shown[c] = true
			if c == colMessage {
				widths[c] = min(widths[c], -excess-len(tableGap))
				need = widths[c] + len(tableGap)
			}
			excess += need
		}
	}
	grow(colKind) // brought back narrowed
	grow(colWhat)
	grow(colMessage)
}

// shrink takes up to excess runes from the columns cols, one at a time from
// the widest, keeping each at least floor wide, and returns how many it took.
func shrink(widths, cols []int, floor, excess int) int {
	taken := 0
	for taken < excess {
		widest := -1
		for _, c := range cols {
			// Ties go to the rightmost column, so KIND, short and telling,
			// is cut last.
			if widths[c] > floor && (widest < 0 || widths[c] >= widths[widest]) {
				widest = c
			}
		}
		if widest < 0 {
			break
		}
		widths[widest]--
		taken++
	}
	return taken
}

// fitCell pads s to width runes, or cuts it to width with an ellipsis.
func fitCell(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n <= width {
		return s + strings.Repeat(" ", width-n)
	}
	if width <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:width-1]) + ellipsis
}

// oneLine makes s safe and single-line for a terminal: control characters,
// which include newlines, tabs and the escape of ANSI sequences, become
// spaces; invisible format characters (zero-width and bidirectional marks),
// which would throw widths off, are dropped; runs of spaces become one.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// highlight flags the runes of msg that lie in an occurrence of any term,
// compared without case.
func highlight(msg []rune, terms []string) []bool {
	mark := make([]bool, len(msg))
	for _, term := range terms {
		tr := []rune(oneLine(term))
		if len(tr) == 0 {
			continue
		}
		for i := 0; i+len(tr) <= len(msg); i++ {
			if foldEqual(msg[i:i+len(tr)], tr) {
				for k := i; k < i+len(tr); k++ {
					mark[k] = true
				}
			}
		}
	}
	return mark
}

// foldEqual reports whether a and b are equal rune for rune under simple
// case folding. Matching rune for rune keeps a match's length that of the
// term, so that a flag per rune is enough.
func foldEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] && unicode.ToLower(a[i]) != unicode.ToLower(b[i]) && unicode.ToUpper(a[i]) != unicode.ToUpper(b[i]) {
			return false
		}
	}
	return true
}

// spans counts the runs of flagged runes.
func spans(mark []bool) int {
	n := 0
	for i, m := range mark {
		if m && (i == 0 || !mark[i-1]) {
			n++
		}
	}
	return n
}
