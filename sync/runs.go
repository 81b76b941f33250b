package sync

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// sourceKinds returns the kinds src reads, in registry order.
func sourceKinds(src Source) []archive.Kind {
	var out []archive.Kind
	for _, spec := range kinds.OfSource(string(src)) {
		out = append(out, spec.Kind)
	}
	return out
}

// report follows one sync run and, at its end, records what it did for
// each source, region and account: in the archive's meta bucket (for
// 'archiver status') and, if asked, in a metrics file.
type report struct {
	o     Options
	stats *Stats

	resolved []target // every target of the run, once known

	mu   gosync.Mutex // guards done: targets end side by side
	done []targetRun
}

// targetRun is what the fetch of one target did.
type targetRun struct {
	t     target
	items map[archive.Kind]int64
	err   error
	// uninit says DRS is not initialised in the target.
	uninit bool
}

func newReport(o Options, stats *Stats) *report {
	return &report{o: o, stats: stats}
}

// targets notes the targets the run will read.
func (rp *report) targets(ts []target) { rp.resolved = ts }

// end notes that the fetch of t ended, with err; uninit says DRS is not
// initialised there.
func (rp *report) end(t target, uninit bool, err error) {
	items := rp.stats.readIn(t.region, t.account)
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.done = append(rp.done, targetRun{t: t, items: items, err: err, uninit: uninit})
}

// errorOfSource returns the error of source src among the errors of a
// target's sources (nil when src did not fail).
func errorOfSource(err error, src Source) error {
	var each []error
	var many sourceErrors
	if errors.As(err, &many) {
		each = many
	} else {
		each = []error{err}
	}
	for _, e := range each {
		var se *sourceError
		if errors.As(e, &se) && se.src == src {
			return se
		}
	}
	return nil
}

// sourceError tags a fetch error with the source whose fetch failed.
type sourceError struct {
	src Source
	err error
}

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// bySource makes fn's error say which source it came from.
func bySource(src Source, fn func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			return &sourceError{src: src, err: err}
		}
		return nil
	}
}

// finish records the run that ended with runErr and returns runErr with any
// credential removed from its message. Recording happens in one small write
// transaction after the run's last commit, and then the metrics file is
// written; if either fails after a good run, that is the run's error.
func (rp *report) finish(ctx context.Context, runErr error) error {
	ctx = context.WithoutCancel(ctx)
	red := newRedactor(ctx, rp.o, rp.resolved)
	runErr = red.error(runErr)
	runs := rp.runs(runErr, red)
	added := rp.stats.added // counted by the committer as it committed
	var recErr error
	var stored []archive.SyncRun
	if errors.Is(runErr, archive.ErrLocked) {
		// Another process holds the archive: waiting for it again only to
		// write this down would double the wait.
		recErr = runErr
	}
	for i := range runs {
		runs[i].RecordsAdded = map[archive.Kind]int64{}
		for _, k := range sourceKinds(Source(runs[i].Source)) {
			runs[i].RecordsAdded[k] = added[addedKey{k, runs[i].Region, runs[i].Account}]
		}
	}
	if recErr == nil {
		if stored, recErr = rp.record(ctx, runs); recErr != nil {
			recErr = fmt.Errorf("record sync run: %w", recErr)
		}
	}
	if rp.o.MetricsFile != "" {
		prev := readMetrics(rp.o.MetricsFile)
		if recErr != nil {
			// The archive could not say what earlier runs did; the last
			// metrics file can.
			stored = mergePrevious(prev, runs)
		} else {
			stored = monotonic(stored, prev)
		}
		if err := writeMetrics(ctx, rp.o.MetricsFile, stored); err != nil && runErr == nil {
			return red.error(err)
		}
	}
	switch {
	case runErr != nil:
		return runErr
	case recErr != nil:
		return red.error(recErr)
	}
	return nil
}

// runs builds a run record for every source of every target the run
// covered. A target whose fetch failed carries the error on the source that
// failed; its other sources were stopped, and say so. Targets never reached
// after an earlier one failed keep their last record. A run that failed
// before reading any target records the failure on every target it knew,
// or, before it knew any, on each source and region with no account.
func (rp *report) runs(runErr error, red *redactor) []archive.SyncRun {
	finished := rp.o.Now().UTC()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	mk := func(src Source, region, account string, items map[archive.Kind]int64, err error) archive.SyncRun {
		s := archive.SyncRun{
			Source: string(src), Region: region, Account: account,
			Started: rp.stats.Started.UTC(), Finished: finished,
			ItemsRead: map[archive.Kind]int64{}, ArchiverBuild: rp.o.Build,
		}
		for _, k := range sourceKinds(src) {
			s.ItemsRead[k] = items[k]
		}
		if err != nil {
			s.Error = red.text(errorLine(err))
		}
		return s
	}
	// An error of the whole run (a commit, the index, an interrupt) is the
	// outcome of every target whose own fetch went well. Pages of such a
	// target that were still waiting for their commit when a later target
	// failed are dropped with the rest, as after a crash; the next run
	// fetches them again.
	runLevel := runErr
	for _, d := range rp.done {
		if d.err != nil && errors.Is(runErr, d.err) {
			runLevel = nil
		}
	}
	var out []archive.SyncRun
	switch {
	case len(rp.done) > 0:
		for _, d := range rp.done {
			for _, src := range rp.o.Sources {
				err := d.err
				switch {
				case err == nil:
					err = runLevel
				case onlySourceErrors(err):
					// Sources fail on their own: this one carries its
					// own error, or none.
					err = errorOfSource(d.err, src)
					if err == nil {
						err = runLevel
					}
				}
				s := mk(src, d.t.region, d.t.account, d.items, err)
				if src == SourceDRS && d.uninit && s.OK() {
					s.Note = NotInitialised
				}
				out = append(out, s)
			}
		}
	case len(rp.resolved) > 0:
		for _, t := range rp.resolved {
			for _, src := range rp.o.Sources {
				out = append(out, mk(src, t.region, t.account, nil, runErr))
			}
		}
	default:
		regions := rp.o.Regions
		if len(regions) == 0 {
			regions = []string{""}
		}
		for _, r := range regions {
			for _, src := range rp.o.Sources {
				out = append(out, mk(src, r, "", nil, runErr))
			}
		}
	}
	return out
}

// errorLine is err as one line; an interrupt says so in words.
func errorLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// addedKey groups records added by kind, region and account.
type addedKey struct {
	kind            archive.Kind
	region, account string
}

// record merges runs into the archive's run records in one write
// transaction and returns every run record the archive then holds. A record
// with an account supersedes the records of the same source that a failed
// run left without one.
func (rp *report) record(ctx context.Context, runs []archive.SyncRun) ([]archive.SyncRun, error) {
	st, err := archive.Open(ctx, rp.o.ArchiveDir, archive.Options{LockTimeout: rp.o.LockTimeout, Waiting: rp.o.Waiting})
	if err != nil {
		return nil, err
	}
	// Records without an account go last: those of a profile whose
	// account could not be had stay beside the other profiles' records of
	// the same region, which supersede older ones without an account.
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b archive.SyncRun) int {
		switch {
		case a.Account == "" && b.Account != "":
			return 1
		case a.Account != "" && b.Account == "":
			return -1
		}
		return 0
	})
	var all []archive.SyncRun
	err = st.Update(func(w *archive.Writer) error {
		for _, cur := range runs {
			prev, _, err := w.SyncRun(cur.Source, cur.Region, cur.Account)
			if err != nil {
				return err
			}
			if err := w.PutSyncRun(mergeRun(prev, cur)); err != nil {
				return err
			}
			if cur.Account == "" {
				continue
			}
			for _, region := range []string{cur.Region, ""} {
				if err := w.DeleteSyncRun(cur.Source, region, ""); err != nil {
					return err
				}
			}
		}
		var err error
		all, err = w.SyncRuns()
		return err
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return all, err
}

// mergeRun returns cur with the history of prev, the record of the same
// source, region and account before it (zero if none): the last success
// and the totals.
func mergeRun(prev, cur archive.SyncRun) archive.SyncRun {
	cur.Runs = prev.Runs + 1
	cur.Failures = prev.Failures
	cur.LastSuccess = prev.LastSuccess
	if cur.OK() {
		cur.LastSuccess = cur.Finished
	} else {
		cur.Failures++
	}
	cur.ItemsReadTotal = addCounts(prev.ItemsReadTotal, cur.ItemsRead)
	cur.RecordsAddedTotal = addCounts(prev.RecordsAddedTotal, cur.RecordsAdded)
	return cur
}

func addCounts(a, b map[archive.Kind]int64) map[archive.Kind]int64 {
	out := map[archive.Kind]int64{}
	for k, n := range a {
		out[k] += n
	}
	for k, n := range b {
		out[k] += n
	}
	return out
}

// mergePrevious merges runs into the run records read back from the last
// metrics file, and returns them all in key order.
func mergePrevious(prev map[string]archive.SyncRun, runs []archive.SyncRun) []archive.SyncRun {
	all := map[string]archive.SyncRun{}
	for k, s := range prev {
		all[k] = s
	}
	for _, cur := range runs {
		all[cur.Key()] = mergeRun(prev[cur.Key()], cur)
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]archive.SyncRun, len(keys))
	for i, k := range keys {
		out[i] = all[k]
	}
	return out
}

// monotonic keeps the counters of runs from going below those of the last
// metrics file, prev, and the last success from going back. They differ
// after a run that could not write to the archive and counted itself in
// the metrics file only; a counter that went down would read as a reset.
func monotonic(runs []archive.SyncRun, prev map[string]archive.SyncRun) []archive.SyncRun {
	out := slices.Clone(runs)
	for i, s := range out {
		p, ok := prev[s.Key()]
		if !ok {
			continue
		}
		s.Runs, s.Failures = max(s.Runs, p.Runs), max(s.Failures, p.Failures)
		s.ItemsReadTotal = maxCounts(s.ItemsReadTotal, p.ItemsReadTotal)
		s.RecordsAddedTotal = maxCounts(s.RecordsAddedTotal, p.RecordsAddedTotal)
		if p.LastSuccess.After(s.LastSuccess) {
			s.LastSuccess = p.LastSuccess
		}
		out[i] = s
	}
	return out
}

func maxCounts(a, b map[archive.Kind]int64) map[archive.Kind]int64 {
	out := addCounts(a, nil)
	for k, n := range b {
		out[k] = max(out[k], n)
	}
	return out
}

// redactor removes credentials from text that sync writes down. An AWS
// error message can quote the access key a request was signed with (or,
// from a proxy, a header carrying the session token); the archive, the
// metrics file and the messages a cron job mails must never hold them, in
// any of the forms they travel in: an access key ID in any case, each
// credential URL-encoded (query and path escaping) or in base64 (standard
// and URL-safe, padded or not), and the start of a secret or session token
// cut short (at least minPrefix characters of it).
type redactor struct {
	// forms are the literal forms to replace, longest first; keyIDs the
	// access key IDs, replaced in any case; prefixed the secrets and
	// tokens whose starts are replaced too.
	forms    []string
	keyIDs   []*regexp.Regexp
	prefixed []string
}

// accessKeyID matches AWS access key IDs, long-term and temporary, whoever
// they belong to, in any case.
var accessKeyID = regexp.MustCompile(`(?i)\b(AKIA|ASIA)[A-Z0-9]{16}\b`)

// minSecret is the shortest value taken for a credential: shorter values
// (test keys) would blank out ordinary words.
const minSecret = 8

// minPrefix is the shortest start of a secret or session token that is
// redacted on its own: a message may cut a token short.
const minPrefix = 16

// newRedactor gathers the credentials the run used: those of every target
// (already retrieved and cached by then), those given in o, and those in the
// environment.
func newRedactor(ctx context.Context, o Options, targets []target) *redactor {
	var keys, secrets []string
	add := func(list *[]string, vals ...string) {
		for _, v := range vals {
			if len(v) >= minSecret && !slices.Contains(*list, v) {
				*list = append(*list, v)
			}
		}
	}
	add(&keys, os.Getenv("AWS_ACCESS_KEY_ID"))
	add(&secrets, os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))
	providers := []aws.CredentialsProvider{o.Credentials}
	for _, t := range targets {
		providers = append(providers, t.cfg.Credentials)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var asked []aws.CredentialsProvider
	for _, p := range providers {
		if p == nil {
			continue
		}
		// The targets of one account share its credentials: ask once.
		if reflect.TypeOf(p).Comparable() {
			if slices.Contains(asked, p) {
				continue
			}
			asked = append(asked, p)
		}
		if c, err := p.Retrieve(ctx); err == nil {
			add(&keys, c.AccessKeyID)
			add(&secrets, c.SecretAccessKey, c.SessionToken)
		}
	}
	return newRedactorOf(keys, secrets)
}

// newRedactorOf returns the redactor of access key IDs keys and secrets
// (secret access keys and session tokens).
func newRedactorOf(keys, secrets []string) *redactor {
	r := &redactor{}
	addForms := func(v string) {
		for _, f := range []string{v, url.QueryEscape(v), url.PathEscape(v),
			base64.StdEncoding.EncodeToString([]byte(v)), base64.URLEncoding.EncodeToString([]byte(v)),
			base64.RawStdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))} {
			if len(f) >= minSecret && !slices.Contains(r.forms, f) {
				r.forms = append(r.forms, f)
			}
		}
	}
	for _, k := range keys {
		addForms(k)
		r.keyIDs = append(r.keyIDs, regexp.MustCompile(`(?i)`+regexp.QuoteMeta(k)))
	}
	for _, s := range secrets {
		addForms(s)
		if len(s) >= minPrefix {
			r.prefixed = append(r.prefixed, s)
		}
	}
	// Longest first, so that a value containing another goes whole.
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	slices.SortFunc(r.prefixed, func(a, b string) int { return len(b) - len(a) })
	return r
}

// text returns s with every credential replaced by "[redacted]".
func (r *redactor) text(s string) string {
	for _, v := range r.forms {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	for _, re := range r.keyIDs {
		s = re.ReplaceAllLiteralString(s, "[redacted]")
	}
	for _, v := range r.prefixed {
		s = redactPrefixes(s, v)
	}
	return accessKeyID.ReplaceAllLiteralString(s, "[redacted]")
}

// redactPrefixes replaces in s every run of at least minPrefix characters
// that is the start of secret.
func redactPrefixes(s, secret string) string {
	head := secret[:minPrefix]
	var b strings.Builder
	for {
		i := strings.Index(s, head)
		if i < 0 {
			break
		}
		n := minPrefix
		for i+n < len(s) && n < len(secret) && s[i+n] == secret[n] {
			n++
		}
		b.WriteString(s[:i])
		b.WriteString("[redacted]")
		s = s[i+n:]
	}
	b.WriteString(s)
	return b.String()
}

// error returns err, with its message redacted if it held a credential.
func (r *redactor) error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.text(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError is an error whose message had credentials removed. It
// still matches what the original matched.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
