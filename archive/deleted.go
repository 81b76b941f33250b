package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// bucketDeleted holds the objects AWS no longer lists: identity (as in the
// ids bucket) to the marking's JSON encoding.
const bucketDeleted = "deleted"

// The hash-chain operations of markings. A mark link names the kind and key
// of the identity's record when it was marked and carries a sum of the
// marking; an unmark link carries no sum. Neither is a write of a record:
// MutationsSince leaves them out.
const (
	// OpMark: a complete listing no longer held the object. The sum is
	// the SHA-256 of the marking's stored value. Written before schema 13.
	OpMark Op = 6
	// OpUnmark: the object was listed again.
	OpUnmark Op = 7
	// OpMarkFiled: as OpMark, with a sum that covers the identity the
	// marking is filed under too (filedSum of the identity and the stored
	// value), so that a marking moved to another object is found. Every
	// mark link from schema 13 on.
	OpMarkFiled Op = 8
)

// isMark reports whether op is a mark or unmark link's.
func (o Op) isMark() bool { return o == OpMark || o == OpUnmark || o == OpMarkFiled }

// markSum is the sum a mark link of op carries for the marking stored as v
// under identity ident.
func markSum(op Op, ident, v []byte) [sha256.Size]byte {
	if op == OpMark {
		return sha256.Sum256(v)
	}
	return filedSum(ident, v)
}

// Marking says that an object the archive holds was deleted upstream: a
// complete listing of its region and account no longer contained it.
type Marking struct {
	// Kind, ID, Region and Account are the object's identity.
	Kind    Kind   `json:"kind"`
	ID      string `json:"id"`
	Region  string `json:"region"`
	Account string `json:"account"`
	// Key is the key of the object's record when it was marked.
	Key Key `json:"-"`
	// DeletedUpstreamAt is the time of the listing that noticed.
	DeletedUpstreamAt time.Time `json:"deletedUpstreamAt"`
	// LastSeen is the last time a listing held the object.
	LastSeen time.Time `json:"lastSeen"`
	// ListedAt is when the noticing listing was taken.
	ListedAt time.Time `json:"listedAt"`
}

// markingValue is the stored form of a Marking; the identity is the key.
type markingValue struct {
	Key               string    `json:"key"`
	DeletedUpstreamAt time.Time `json:"deletedUpstreamAt"`
	LastSeen          time.Time `json:"lastSeen"`
	ListedAt          time.Time `json:"listedAt"`
}

// parseIdentity splits an identity into kind, ID, region and account.
func parseIdentity(id []byte) (Kind, string, string, string, error) {
	parts := bytes.Split(id, []byte{0})
	if len(parts) != 4 {
		return "", "", "", "", fmt.Errorf("identity %q is malformed", id)
	}
	return Kind(parts[0]), string(parts[1]), string(parts[2]), string(parts[3]), nil
}

// decodeMarking reads a stored marking of identity id.
func decodeMarking(id, v []byte) (Marking, error) {
	var m Marking
	kind, rid, region, account, err := parseIdentity(id)
	if err != nil {
		return m, err
	}
	var mv markingValue
	if err := json.Unmarshal(v, &mv); err != nil {
		return m, fmt.Errorf("marking of %s %s: %w", kind, rid, err)
	}
	k, err := hex.DecodeString(mv.Key)
	if err != nil || len(k) != KeyLen {
		return m, fmt.Errorf("marking of %s %s: bad record key %q", kind, rid, mv.Key)
	}
	m = Marking{Kind: kind, ID: rid, Region: region, Account: account,
		DeletedUpstreamAt: mv.DeletedUpstreamAt, LastSeen: mv.LastSeen, ListedAt: mv.ListedAt}
	copy(m.Key[:], k)
	return m, nil
}

// Deleted returns the marking of an object deleted upstream, and whether it
// is marked.
func (r *Reader) Deleted(kind Kind, id, region, account string) (Marking, bool, error) {
	b, err := r.bucket(bucketDeleted)
	if err != nil {
		return Marking{}, false, err
	}
	ident := identity(kind, id, region, account)
	v := b.Get(ident)
	if v == nil {
		return Marking{}, false, nil
	}
	m, err := decodeMarking(ident, v)
	return m, err == nil, err
}

// EachDeleted calls fn with the marking of every object deleted upstream,
// in identity order. It stops at the first error fn returns.
func (r *Reader) EachDeleted(fn func(Marking) error) error {
	b, err := r.bucket(bucketDeleted)
	if err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		m, err := decodeMarking(k, v)
		if err != nil {
			return err
		}
		return fn(m)
	})
}

// noteMark links a marking op into the hash chain: the marking of
// identity ident, naming record k of kind, now stored as value (nil for an
// unmark).
func (w *Writer) noteMark(op Op, kind Kind, k Key, ident, value []byte) {
	m := Mutation{Op: op, Kind: kind, Key: k}
	if value != nil {
		m.Sum = markSum(op, ident, value)
	}
	w.muts = append(w.muts, m)
}

// MarkDeleted marks the object of identity (kind, id, region, account) as
// deleted upstream, noticed by a listing taken at at. Its lastSeen is its
// current record's. It reports whether it marked: an object already marked,
// or one the archive holds no record of, is left as it is.
func (w *Writer) MarkDeleted(kind Kind, id, region, account string, at time.Time) (bool, error) {
	ids, err := w.bucket(bucketIDs)
	if err != nil {
		return false, err
	}
	del, err := w.bucket(bucketDeleted)
	if err != nil {
		return false, err
	}
	ident := identity(kind, id, region, account)
	if del.Get(ident) != nil {
		return false, nil
	}
	ref := ids.Get(ident)
	if len(ref) < KeyLen {
		return false, nil
	}
	var k Key
	copy(k[:], ref)
	rec, ok, err := w.Get(kind, k)
	if err != nil {
		return false, fmt.Errorf("mark %s %s deleted: %w", kind, id, err)
	}
	if !ok {
		return false, nil
	}
	return true, w.putMarking(ident, k, markingValue{Key: hex.EncodeToString(k[:]), DeletedUpstreamAt: at.UTC(), LastSeen: rec.LastSeen.UTC(), ListedAt: at.UTC()})
}

// putMarking stores a marking and links it into the hash chain.
func (w *Writer) putMarking(ident []byte, k Key, mv markingValue) error {
	del, err := w.bucket(bucketDeleted)
	if err != nil {
		return err
	}
	kind, id, _, _, err := parseIdentity(ident)
	if err != nil {
		return err
	}
	v, err := json.Marshal(mv)
	if err != nil {
		return fmt.Errorf("mark %s %s deleted: %w", kind, id, err)
	}
	if err := del.Put(ident, v); err != nil {
		return fmt.Errorf("mark %s %s deleted: %w", kind, id, err)
	}
	w.noteMark(OpMarkFiled, kind, k, ident, v)
	return nil
}

// Unmark removes the marking of an object listed again. It reports whether
// the object was marked; the unmarking is a link of the hash chain.
func (w *Writer) Unmark(kind Kind, id, region, account string) (bool, error) {
	del, err := w.bucket(bucketDeleted)
	if err != nil {
		return false, err
	}
	ident := identity(kind, id, region, account)
	v := del.Get(ident)
	if v == nil {
		return false, nil
	}
	m, err := decodeMarking(ident, v)
	if err != nil {
		return false, err
	}
	if err := del.Delete(ident); err != nil {
		return false, fmt.Errorf("unmark %s %s: %w", kind, id, err)
	}
	w.noteMark(OpUnmark, kind, m.Key, ident, nil)
	return true, nil
}

// SweepDeleted marks every object of kind in region and account that the
// archive holds, that listed does not name (by ID) and that match accepts
// (nil accepts all), as deleted upstream at at: it is what a complete
// listing of that scope did not hold. It returns how many it marked.
func (w *Writer) SweepDeleted(kind Kind, region, account string, listed map[string]bool, at time.Time, match func(Record) bool) (int, error) {
	ids, err := w.bucket(bucketIDs)
	if err != nil {
		return 0, err
	}
	var todo []string
	prefix := append([]byte(kind), 0)
	c := ids.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		_, id, reg, acct, err := parseIdentity(k)
		if err != nil {
			return 0, err
		}
		if reg != region || acct != account || listed[id] {
			continue
		}
		if match != nil {
			var rk Key
			copy(rk[:], v)
			rec, ok, err := w.Get(kind, rk)
			if err != nil {
				return 0, fmt.Errorf("sweep %s: %w", kind, err)
			}
			if !ok || !match(rec) {
				continue
			}
		}
		todo = append(todo, id)
	}
	n := 0
	for _, id := range todo {
		ok, err := w.MarkDeleted(kind, id, region, account, at)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// DeletedLatest returns, for each object deleted upstream whose latest
// record the archive still holds, that record's key and the object's
// marking.
func (r *Reader) DeletedLatest() (map[Key]Marking, error) {
	ids, err := r.bucket(bucketIDs)
	if err != nil {
		return nil, err
	}
	out := map[Key]Marking{}
	err = r.EachDeleted(func(m Marking) error {
		v := ids.Get(identity(m.Kind, m.ID, m.Region, m.Account))
		if len(v) < KeyLen {
			return nil
		}
		var k Key
		copy(k[:], v)
		if _, ok, err := r.Get(m.Kind, k); err != nil || !ok {
			return err
		}
		out[k] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deleted upstream: %w", err)
	}
	return out, nil
}
