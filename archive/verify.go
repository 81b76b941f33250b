package archive

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/internal/recfmt"
	"github.com/archiver-dev/archiver/internal/reczip"
)

// ChainReport is what VerifyChain found.
type ChainReport struct {
	// Head is the chain's head as recomputed from its links.
	Head chain.Head
	// Records is the number of records checked against the chain.
	Records int
}

// last is the last link of one record (or of its marking) in the chain.
type last struct {
	op  Op
	sum [sha256.Size]byte
}

// maxChainProblems bounds the problems VerifyChain reports one by one.
const maxChainProblems = 20

// VerifyChain recomputes the hash chain from its links and checks every
// record against it: each record's stored value must hash to what the
// chain's last link for that record says, every record must be in the
// chain, and every record the chain says exists must be there. So a record
// changed, added or removed other than by archiver, or a link changed,
// added, removed or reordered, is found. problem is called with each
// problem (the first few, then a count); the error is for a file that
// cannot be read at all, or ctx's once it is done.
func (r *Reader) VerifyChain(ctx context.Context, problem func(error)) (ChainReport, error) {
	var rep ChainReport
	stop := stopper{ctx: ctx}
	n := 0
	report := func(err error) {
		n++
		if n <= maxChainProblems {
			problem(err)
		}
	}
	defer func() {
		if n > maxChainProblems {
			problem(fmt.Errorf("hash chain: %d more problems", n-maxChainProblems))
		}
	}()
	b, err := r.bucket(bucketChanges)
	if err != nil {
		return rep, err
	}
	start, err := r.chainStart()
	if err != nil {
		return rep, err
	}
	latest := map[[1 + KeyLen]byte]last{}
	marks := map[[1 + KeyLen]byte]last{}
	events := map[[KeyLen]byte]bool{}
	states := map[Key][sha256.Size]byte{}
	var head chain.Head
	c := b.Cursor()
	for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, start)); k != nil; k, v = c.Next() {
		pos := binary.BigEndian.Uint64(k)
		links, stored, err := chain.ParseEntry(v)
		if err != nil {
			report(fmt.Errorf("hash chain: change-log entry %d: %w", pos, err))
			continue
		}
		for _, l := range links {
			if err := stop.check(); err != nil {
				return rep, err
			}
			head = head.Next(l)
			if Op(l.Op) == OpEvent {
				events[l.Key] = true
				if sum, ok := r.eventSum(l.Key); !ok {
					report(fmt.Errorf("hash chain: the note of event %x (link %d) is missing", l.Key, head.N))
				} else if sum != l.Sum {
					report(fmt.Errorf("hash chain: the note of event %x does not hash to its link: it was changed", l.Key))
				}
				continue
			}
			var id [1 + KeyLen]byte
			id[0] = l.Kind
			copy(id[1:], l.Key[:])
			if op := Op(l.Op); op.isMark() {
				marks[id] = last{op, l.Sum}
				continue
			}
			if Op(l.Op) == OpJobState {
				states[l.Key] = l.Sum
				continue
			}
			latest[id] = last{Op(l.Op), l.Sum}
		}
		if stored != head {
			report(fmt.Errorf("hash chain: broken at change-log entry %d: it ends on link %d %x, the links recompute to %d %x", pos, stored.N, stored.Hash[:8], head.N, head.Hash[:8]))
			head = stored // check the rest against what is stored
		}
	}
	rep.Head = head
	if h, err := r.ChainHead(); err != nil {
		report(err)
	} else if h != head {
		report(fmt.Errorf("hash chain: the head in meta (%d %x) is not the last entry's (%d %x)", h.N, h.Hash[:8], head.N, head.Hash[:8]))
	}
	refs := map[uint64]int{}
	for _, kind := range kinds.Names() {
		code, err := kindCode(kind)
		if err != nil {
			return rep, err
		}
		kb, err := r.bucket(string(kind))
		if err != nil {
			return rep, err
		}
		err = kb.ForEach(func(k, sv []byte) error {
			if err := stop.check(); err != nil {
				return err
			}
			rep.Records++
			var id [1 + KeyLen]byte
			id[0] = code
			copy(id[1:], k)
			l, ok := latest[id]
			delete(latest, id)
			if reczip.IsRef(sv) {
				if b, _, err := reczip.ParseRef(sv); err == nil {
					refs[b]++
				}
			}
			// The links hash the logical value, whether or not the
			// record is stored compressed.
			v, _, lerr := r.logical(k, sv)
			switch {
			case lerr != nil:
				report(fmt.Errorf("hash chain: %s %w: it was changed other than by archiver", kind, lerr))
			case !ok:
				report(fmt.Errorf("hash chain: %s is in no link: it was added other than by archiver", r.recordName(kind, k, v)))
			case l.op == OpDelete:
				report(fmt.Errorf("hash chain: %s was deleted by link, yet it is there", r.recordName(kind, k, v)))
			case sha256.Sum256(v) != l.sum:
				report(fmt.Errorf("hash chain: %s does not hash to its last link: it was changed other than by archiver", r.recordName(kind, k, v)))
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
	}
	r.verifyBlocks(refs, report)
	err = r.Events(func(id Key, _ []byte) error {
		if !events[id] {
			report(fmt.Errorf("hash chain: event %x is in no link: it was added other than by archiver", id))
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	if err := r.verifyMarks(marks, report); err != nil {
		return rep, err
	}
	if err := r.verifyStates(states, report); err != nil {
		return rep, err
	}
	for id, l := range latest {
		if l.op != OpDelete {
			report(fmt.Errorf("hash chain: %s is missing: it was removed other than by archiver", keyName(id[0], id[1:])))
		}
	}
	return rep, nil
}

// verifyBlocks checks the blocks bucket against refs, how many records
// refer to each block: every block has records referring to it, as many
// as it counts. A block's records are checked with the records that refer
// to them (a missing or damaged block makes them unreadable).
func (r *Reader) verifyBlocks(refs map[uint64]int, report func(error)) {
	b := r.tx.Bucket([]byte(reczip.BlocksBucket))
	if b == nil {
		return
	}
	_ = b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			report(fmt.Errorf("blocks: key %x is not a block ID", k))
			return nil
		}
		id := binary.BigEndian.Uint64(k)
		live, err := reczip.BlockLive(v)
		switch {
		case err != nil:
			report(fmt.Errorf("block %d: %w", id, err))
		case refs[id] == 0:
			report(fmt.Errorf("block %d: no record refers to it: it was left other than by archiver", id))
		case live != refs[id]:
			report(fmt.Errorf("block %d: it counts %d records referring to it, %d do: it was changed other than by archiver", id, live, refs[id]))
		}
		return nil
	})
}

// verifyMarks checks the deleted bucket against the chain's mark links:
// each marking must hash to the last mark link of its record, and every
// record whose last marking link is a mark must have its marking.
func (r *Reader) verifyMarks(marks map[[1 + KeyLen]byte]last, report func(error)) error {
	b, err := r.bucket(bucketDeleted)
	if err != nil {
		return err
	}
	err = b.ForEach(func(k, v []byte) error {
		m, err := decodeMarking(k, v)
		if err != nil {
			report(fmt.Errorf("hash chain: deleted-upstream marking %q: %w", k, err))
			return nil
		}
		code, err := kindCode(m.Kind)
		if err != nil {
			report(fmt.Errorf("hash chain: deleted-upstream marking of %s %s: %w", m.Kind, m.ID, err))
			return nil
		}
		r.checkMarkedRecord(m, report)
		var id [1 + KeyLen]byte
		id[0] = code
		copy(id[1:], m.Key[:])
		l, ok := marks[id]
		delete(marks, id)
		switch {
		case !ok:
			report(fmt.Errorf("hash chain: the deleted-upstream marking of %s %s is in no link: it was added other than by archiver", m.Kind, m.ID))
		case l.op == OpUnmark:
			report(fmt.Errorf("hash chain: the deleted-upstream marking of %s %s was removed by link, yet it is there", m.Kind, m.ID))
		case markSum(l.op, k, v) != l.sum:
			report(fmt.Errorf("hash chain: the deleted-upstream marking of %s %s does not hash to its last link: it was changed other than by archiver", m.Kind, m.ID))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id, l := range marks {
		if l.op != OpUnmark {
			report(fmt.Errorf("hash chain: the deleted-upstream marking of %s is missing: it was removed other than by archiver", keyName(id[0], id[1:])))
		}
	}
	return nil
}

// checkMarkedRecord reports a marking filed under another object than the
// record it names, when that record is still archived. Mark links from
// schema 13 on (OpMarkFiled) cover the object a marking is filed under;
// this says what is wrong in plain words, and catches it for a marking
// whose last link is older (OpMark, whose sum covers the value alone).
func (r *Reader) checkMarkedRecord(m Marking, report func(error)) {
	b, err := r.bucket(string(m.Kind))
	if err != nil {
		return
	}
	raw := b.Get(m.Key[:])
	if raw == nil {
		return // pruned, or replaced since: nothing to compare with
	}
	rec, err := r.decode(m.Key[:], raw)
	if err != nil {
		report(fmt.Errorf("hash chain: the deleted-upstream marking of %s %s: %w", m.Kind, m.ID, err))
		return
	}
	if rec.ID != m.ID || rec.Region != m.Region || rec.Account != m.Account {
		report(fmt.Errorf("hash chain: the deleted-upstream marking of %s %s (%s, %s) names record %x, which is of another object (%s in %s, %s): it was moved other than by archiver",
			m.Kind, m.ID, m.Region, m.Account, m.Key, rec.ID, rec.Region, rec.Account))
	}
}

// recordName names a stored record in a message as a person looks for it:
// its kind, its ID (or job and place in the job's log), its time, region
// and account, then its key.
func (r *Reader) recordName(kind Kind, k, v []byte) string {
	rec, err := r.decode(k, v)
	if err != nil {
		var key Key
		copy(key[:], k)
		return fmt.Sprintf("%s record of %s (key %x)", kind, key.Time().UTC().Format(time.RFC3339), k)
	}
	what := rec.ID
	if what == "" && rec.JobID != "" {
		what = fmt.Sprintf("item %d of the log of %s", rec.Pos, rec.JobID)
	}
	return fmt.Sprintf("%s %s of %s (%s, %s; key %x)", kind, what, rec.Time.UTC().Format(time.RFC3339), rec.Region, rec.Account, k)
}

// keyName names a record that is gone by what its link says: its kind and
// the time its key holds.
func keyName(code byte, k []byte) string {
	var key Key
	copy(key[:], k)
	kind, ok := recfmt.KindName(code)
	if !ok {
		kind = fmt.Sprintf("kind code %d", code)
	}
	return fmt.Sprintf("the %s record of %s (key %x)", kind, key.Time().UTC().Format(time.RFC3339), k)
}

// stopper tells a long walk of a Reader when to stop: check returns ctx's
// error once ctx is done, looking at it once in 4,096 calls, so that an
// interrupt stops the walk within moments without a look at every record.
type stopper struct {
	ctx context.Context
	n   int
}

func (s *stopper) check() error {
	s.n++
	if s.n%4096 != 0 {
		return nil
	}
	return s.ctx.Err()
}
