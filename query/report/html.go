package report

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"strings"
	"sync"
	"time"
)

// sortScript sorts a table by the column whose header is clicked (again:
// the other way), by each cell's data-sort value, else its text. It is the
// page's only script; the CSP admits it by its hash alone.
const sortScript = `document.documentElement.setAttribute("data-sortable", "ready");
document.querySelectorAll("table.sortable").forEach(function (t) {
  t.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute("aria-sort") !== "ascending";
      t.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      function key(r) {
        var c = r.cells[col], v = c.getAttribute("data-sort");
        if (v === null) { v = c.textContent.trim(); }
        var n = Number(v);
        return v !== "" && !isNaN(n) ? n : v.toLowerCase();
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), c = x < y ? -1 : x > y ? 1 : 0;
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});`

// csp is the page's Content-Security-Policy: nothing may be fetched; the
// inline style and the one script (by hash) run, fonts and images only
// from data: URLs within the page.
func csp() string {
	sum := sha256.Sum256([]byte(sortScript))
	return "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func cssColour(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}

// htmlServer is a server with its timeline drawn and the rows of its
// launches table.
type htmlServer struct {
	Server
	Timeline   template.HTML
	LaunchRows template.HTML
	Anchor     string
}

// launchRows renders the rows of a server's launches table. A server may
// have thousands of launches: written directly, every value escaped, they
// take a fraction of the time the template would.
func launchRows(launches []Launch) template.HTML {
	var b strings.Builder
	e := template.HTMLEscapeString
	for _, l := range launches {
		b.WriteString("<tr><td><code>" + e(l.JobID) + "</code></td><td>" + e(l.Kind) + "</td><td>" + stamp(l.JobStart) +
			" <small>(" + e(l.JobStartFrom) + ")</small></td><td class=\"result-" + e(l.Result) + "\">" + e(l.Result) +
			"</td><td>" + optStamp(l.LaunchedAt) + "</td><td class=\"num\" data-sort=\"" + sortKey(l.TimeToLaunchSeconds) + "\">" +
			optSeconds(l.TimeToLaunchSeconds) + "</td><td>" + optStamp(l.SnapshotAt))
		if l.SnapshotFrom != "" {
			b.WriteString(" <small>(" + e(l.SnapshotFrom) + ")</small>")
		}
		b.WriteString("</td><td class=\"num\" data-sort=\"" + sortKey(l.RecoveryPointSeconds) + "\">" + optSeconds(l.RecoveryPointSeconds) +
			"</td><td>" + e(orDash(l.FailedStep)))
		if l.FailedAt != nil {
			b.WriteString(" <small>" + stamp(*l.FailedAt) + "</small>")
		}
		b.WriteString("</td><td>" + e(orDash(l.ErrorCode)) + "</td><td class=\"raw\">" + e(l.RawError) + "</td></tr>\n")
	}
	return template.HTML(b.String())
}

// sortKey is the data-sort value of an optional number of seconds: -1
// sorts the unmeasured first.
func sortKey(s *float64) string {
	if s == nil {
		return "-1"
	}
	return fmt.Sprintf("%.3f", *s)
}

// WriteHTML writes rep as one self-contained HTML page: inline style, one
// inline script, inline SVG timelines; nothing is fetched.
func WriteHTML(w io.Writer, rep *Report) error {
	var servers []htmlServer
	for _, s := range rep.Servers {
		svg := Timeline(s, rep.Filters.From, rep.Filters.To)
		servers = append(servers, htmlServer{Server: s, Timeline: template.HTML(svg), LaunchRows: launchRows(s.Launches), Anchor: anchor(s)})
	}
	data := struct {
		*Report
		CSP       string
		Script    template.JS
		Selection string
		Servers   []htmlServer
		Colours   map[string]string
	}{rep, csp(), template.JS(sortScript), selectionText(rep.Filters), servers, map[string]string{
		"continuous": cssColour(colourContinuous), "catchingUp": cssColour(colourCatchingUp), "trouble": cssColour(colourTrouble),
		"idle": cssColour(colourIdle), "drill": cssColour(colourDrill), "recovery": cssColour(colourRecovery), "snapshot": cssColour(colourSnapshot),
	}}
	return pageTemplate().Execute(w, data)
}

// anchor is the page-internal link target of a server's section.
func anchor(s Server) string {
	return "server-" + s.SourceServerID + "-" + s.Region + "-" + s.Account
}

// pageTemplate is the report page, parsed when first needed.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"stamp":    stamp,
		"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"duration": Duration,
		"percent":  percent,
		"optStamp": optStamp,
		"measure":  optDuration,
		"measureSort": func(m *Measure) string {
			if m == nil {
				return "-1"
			}
			return fmt.Sprintf("%.3f", m.Seconds)
		},
		"daysSince": daysSince,
		"daysSort": func(s Server) string {
			if s.DaysSinceDrill == nil {
				return "1000000"
			}
			return fmt.Sprint(*s.DaysSinceDrill)
		},
		"lastDrill": lastDrillCell,
		"gap":       gapCell,
		"gapSort": func(s Server) string {
			if s.Snapshots.LargestGapSeconds == nil {
				return "-1"
			}
			return fmt.Sprintf("%.3f", *s.Snapshots.LargestGapSeconds)
		},
		"failed": func(s Server) int { return countResult(s, ResultFailed) + countResult(s, ResultSkipped) },
		"orDash": orDash,
		"yesNo":  yesNo,
		"jobs":   groupJobs,
		"secs":   secondsMap,
		"join":   strings.Join,
		"anchorOf": func(id string, servers []htmlServer) string {
			for _, s := range servers {
				if s.SourceServerID == id {
					return s.Anchor
				}
			}
			return ""
		},
	}).Parse(pageHTML))
})

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="archiver {{.Archiver.Version}}">
<title>Recoverability report {{stamp .Filters.From}} to {{stamp .Filters.To}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 1.5em auto; max-width: 72em; padding: 0 1em; color: #1b1b1b; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .9em; width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: .25em .45em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
table.sortable th { cursor: pointer; }
table.sortable th[aria-sort=ascending]::after { content: " \25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }
pre { background: #f6f6f6; padding: .5em; overflow-x: auto; white-space: pre-wrap; }
.result-failed, .result-skipped { color: #b3261e; font-weight: 600; }
.result-launched { color: #1e7b34; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
.figure { border: 1px solid #ddd; border-radius: 4px; padding: .5em .8em; min-width: 10em; }
.figure b { display: block; font-size: 1.4em; }
svg.timeline { width: 100%; height: auto; max-width: 60em; display: block; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: middle; }
.server { break-inside: avoid-page; }
.raw { font-size: .8em; color: #444; word-break: break-word; min-width: 16em; }
.wide { overflow-x: auto; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  table.sortable th::after { content: none; }
  .server { break-before: page; }
  h2 { break-after: avoid; }
  .wide { overflow: visible; }
  tr { break-inside: avoid; }
}
</style>
</head>
<body>
<header>
<h1>Recoverability report</h1>
<p>Period <time datetime="{{rfc3339 .Filters.From}}">{{stamp .Filters.From}}</time> to <time datetime="{{rfc3339 .Filters.To}}">{{stamp .Filters.To}}</time>{{if .Selection}}; {{.Selection}}{{end}}.
Made at {{stamp .GeneratedAt}} by archiver {{.Archiver}} from the archive <code>{{.Archive.Path}}</code> at change-log position {{.Archive.Position}}.</p>
<details open><summary>Archive checkpoint{{if not .Archive.CheckpointWritten}} (none written yet: the transparency log as it stood, unsigned){{end}}</summary>
<pre id="checkpoint">{{.Archive.Checkpoint}}</pre>
<p>'archiver verify --against' a saved copy of this checkpoint proves the archive still holds every record this report was made from.</p>
</details>
</header>

<h2 id="summary">Summary</h2>
<div class="figures">
<div class="figure" id="coverage">Coverage<b>{{.Summary.Drilled}} / {{.Summary.Protected}}</b>{{percent .Summary.Coverage}} of protected servers drilled</div>
<div class="figure" id="success-rate">Launch success<b>{{percent .Summary.SuccessRate}}</b>{{index .Summary.ByResult "launched"}} of {{.Summary.Launches}} launches</div>
<div class="figure">Failed or skipped<b>{{len .Summary.Failures}} causes</b>{{index .Summary.ByResult "failed"}} failed, {{index .Summary.ByResult "skipped"}} skipped</div>
<div class="figure">Never drilled<b>{{len .Summary.NeverDrilled}}</b>{{len .Summary.NotDrilled}} not drilled in the period</div>
</div>

{{if .Summary.NotDrilled}}<h3>Not drilled in the period</h3>
<ul id="not-drilled">{{range .Summary.NotDrilled}}<li><a href="#{{anchorOf .SourceServerID $.Servers}}">{{.SourceServerID}}</a> {{.Hostname}}</li>{{end}}</ul>{{end}}
{{if .Summary.NeverDrilled}}<h3>Never drilled</h3>
<ul id="never-drilled">{{range .Summary.NeverDrilled}}<li><a href="#{{anchorOf .SourceServerID $.Servers}}">{{.SourceServerID}}</a> {{.Hostname}}</li>{{end}}</ul>{{end}}

{{if .Summary.Slowest}}<h3>Slowest launches</h3>
<table class="sortable" id="slowest"><thead><tr><th>Server</th><th>Hostname</th><th>Job</th><th>Kind</th><th>Launched</th><th>Time to launch</th></tr></thead><tbody>
{{range .Summary.Slowest}}<tr><td><a href="#{{anchorOf .SourceServerID $.Servers}}">{{.SourceServerID}}</a></td><td>{{.Hostname}}</td><td><code>{{.JobID}}</code></td><td>{{.Kind}}</td><td>{{stamp .LaunchedAt}}</td><td class="num" data-sort="{{printf "%.3f" .TimeToLaunchSeconds}}">{{duration .TimeToLaunchSeconds}}</td></tr>
{{end}}</tbody></table>{{end}}

{{if .Summary.Failures}}<h3>Failures by cause</h3>
<table class="sortable" id="failures"><thead><tr><th>Step</th><th>Error code</th><th>Count</th><th>Fixed</th><th>Jobs</th><th>Example rawError</th></tr></thead><tbody>
{{range .Summary.Failures}}<tr><td>{{.Step}}</td><td>{{orDash .ErrorCode}}</td><td class="num">{{.Count}}</td><td>{{yesNo .Fixed}}</td><td>{{range jobs .}}<code>{{.}}</code> {{end}}</td><td class="raw">{{.RawError}}</td></tr>
{{end}}</tbody></table>{{end}}

<h2 id="servers">Servers</h2>
<table class="sortable" id="server-table"><thead><tr><th>Server</th><th>Hostname</th><th>Region</th><th>Account</th><th>Launches</th><th>Failed</th><th>Last drill</th><th>Days since</th><th>Last time to launch</th><th>Last recovery point</th><th>Largest snapshot gap</th><th>Outside CONTINUOUS</th></tr></thead><tbody>
{{range .Servers}}<tr><td><a href="#{{.Anchor}}">{{.SourceServerID}}</a></td><td>{{.Hostname}}</td><td>{{.Region}}</td><td>{{.Account}}</td><td class="num">{{len .Launches}}</td><td class="num">{{failed .Server}}</td><td>{{lastDrill .Server}}</td><td class="num" data-sort="{{daysSort .Server}}">{{daysSince .Server}}</td><td class="num" data-sort="{{measureSort .LastTimeToLaunch}}">{{measure .LastTimeToLaunch}}</td><td class="num" data-sort="{{measureSort .LastRecoveryPoint}}">{{measure .LastRecoveryPoint}}</td><td class="num" data-sort="{{gapSort .Server}}">{{gap .Server}}</td><td class="num" data-sort="{{printf "%.3f" .Replication.OutsideContinuousSeconds}}">{{duration .Replication.OutsideContinuousSeconds}}</td></tr>
{{end}}</tbody></table>

<p class="legend">Timelines:
<span><i style="background:{{index .Colours "continuous"}}"></i>CONTINUOUS</span>
<span><i style="background:{{index .Colours "catchingUp"}}"></i>initial sync, backlog, rescan</span>
<span><i style="background:{{index .Colours "trouble"}}"></i>stalled, disconnected; largest snapshot gap; failed launch (cross)</span>
<span><i style="background:{{index .Colours "idle"}}"></i>paused, stopped</span>
<span><i style="background:{{index .Colours "snapshot"}}"></i>recovery snapshot</span>
<span><i style="background:{{index .Colours "drill"}}"></i>drill</span>
<span><i style="background:{{index .Colours "recovery"}}"></i>recovery</span></p>

{{range .Servers}}<section class="server" id="{{.Anchor}}">
<h2>{{.SourceServerID}} {{.Hostname}}</h2>
<p>{{.Region}}, account {{.Account}}. Last drill that launched: {{if .LastDrill}}<code>{{.LastDrill.JobID}}</code> at {{stamp .LastDrill.LaunchedAt}}, {{daysSince .Server}} before the period's end{{else}}never{{end}}.
Records: <code>archiver query --id {{.SourceServerID}} --from {{rfc3339 $.Filters.From}} --to {{rfc3339 $.Filters.To}}</code></p>
{{.Timeline}}
{{if .Launches}}<div class="wide"><table class="sortable launches"><thead><tr><th>Job</th><th>Kind</th><th>Job start</th><th>Result</th><th>Launched</th><th>Time to launch</th><th>Snapshot used</th><th>Recovery point</th><th>Failed step</th><th>Error code</th><th>rawError</th></tr></thead><tbody>
{{.LaunchRows}}</tbody></table></div>{{else}}<p>No drills or recoveries in the period.</p>{{end}}
<p>Recovery snapshots in the period: {{.Snapshots.Count}}{{if .Snapshots.LargestGapSeconds}}; largest gap {{gap .Server}}, from <code>{{.Snapshots.GapFromID}}</code> ({{optStamp .Snapshots.GapFrom}}) to <code>{{.Snapshots.GapToID}}</code> ({{optStamp .Snapshots.GapTo}}){{end}}.</p>
<p>Replication ({{.Replication.Observations}} observations): {{duration .Replication.OutsideContinuousSeconds}} outside CONTINUOUS, {{duration .Replication.UnobservedSeconds}} unobserved. States: {{secs .Replication.States}}. Lag: {{secs .Replication.LagBands}}.</p>
{{if .Failures}}<table class="failures"><thead><tr><th>Step</th><th>Error code</th><th>Count</th><th>Jobs</th><th>Fixed by</th></tr></thead><tbody>
{{range .Failures}}<tr><td>{{.Step}}</td><td>{{orDash .ErrorCode}}</td><td class="num">{{.Count}}</td><td>{{range .Failures}}<code>{{.JobID}}</code> {{stamp .At}}<br>{{end}}</td><td>{{range .Failures}}{{if .FixedBy}}<code>{{.FixedBy}}</code>{{else}}not yet{{end}}<br>{{end}}</td></tr>
{{end}}</tbody></table>{{end}}
</section>
{{end}}

<h2 id="notes">Notes</h2>
<ul>{{range .Notes}}<li>{{.}}</li>
{{end}}</ul>
<script>{{.Script}}</script>
</body>
</html>
`
