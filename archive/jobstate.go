package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/archiver-dev/archiver/internal/chain"
)

// OpJobState: the state sync keeps of a job's log (bucket jobstate) was
// set or, with a zero sum, removed. It writes no record: MutationsSince
// leaves it out. The link's key is stateKey of the job's jobstate key and
// its sum is filedSum of that key and the stored state, so a state edited,
// added, removed or moved to another job other than by archiver is found
// by verify, and, against a checkpoint, by the transparency log.
const OpJobState Op = 9

// stateKind is the kind code of job-state links.
const stateKind = 0xFE

// stateKey is the link key of the job whose jobstate key is prefix: the
// first KeyLen bytes of its SHA-256.
func stateKey(prefix []byte) Key {
	var k Key
	s := sha256.Sum256(prefix)
	copy(k[:], s[:KeyLen])
	return k
}

// filedSum is the sum of a value filed under a bucket key, as the links of
// job states and of markings (OpMarkFiled) carry it: SHA-256 of the key's
// length (4 bytes, big-endian), the key, and the value.
func filedSum(key, v []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(key))))
	h.Write(key)
	h.Write(v)
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s
}

// noteState links the job state stored under prefix, now v (nil when
// removed), into the hash chain.
func (w *Writer) noteState(prefix, v []byte) {
	l := chain.Link{Op: byte(OpJobState), Kind: stateKind, Key: stateKey(prefix)}
	if v != nil {
		l.Sum = filedSum(prefix, v)
	}
	w.extra = append(w.extra, l)
}

// jobOfPrefix names the job of a jobstate key for messages.
func jobOfPrefix(prefix []byte) string {
	parts := bytes.Split(bytes.TrimSuffix(prefix, []byte{0}), []byte{0})
	if len(parts) != 3 {
		return fmt.Sprintf("%q", printable(prefix))
	}
	return fmt.Sprintf("%s (%s, %s)", printable(parts[0]), printable(parts[1]), printable(parts[2]))
}

// verifyStates checks the jobstate bucket against the chain's job-state
// links: each state must hash, with its key, to the last link of its job,
// and every job whose last link sets a state must have one.
func (r *Reader) verifyStates(states map[Key][sha256.Size]byte, report func(error)) error {
	b, err := r.bucket(bucketJobState)
	if err != nil {
		return err
	}
	var zero [sha256.Size]byte
	err = b.ForEach(func(k, v []byte) error {
		sk := stateKey(k)
		sum, ok := states[sk]
		delete(states, sk)
		switch {
		case !ok:
			report(fmt.Errorf("hash chain: the log state of job %s is in no link: it was added other than by archiver", jobOfPrefix(k)))
		case sum == zero:
			report(fmt.Errorf("hash chain: the log state of job %s was removed by link, yet it is there", jobOfPrefix(k)))
		case filedSum(k, v) != sum:
			report(fmt.Errorf("hash chain: the log state of job %s does not hash to its last link: it was changed other than by archiver", jobOfPrefix(k)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, sum := range states {
		if sum != zero {
			report(fmt.Errorf("hash chain: the log state of a job (link key %x) is missing: it was removed other than by archiver", k))
		}
	}
	return nil
}
