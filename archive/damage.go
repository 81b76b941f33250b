package archive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// ErrDamaged is returned when the archive file is damaged: cut short below
// the size its meta page records, or holding a page bbolt cannot read. A
// DamagedError says what was found.
var ErrDamaged = errors.New("archive file is damaged")

// DamagedError is returned (matching ErrDamaged) when the archive file is
// damaged. What says what was found, in words.
type DamagedError struct {
	// Path is the damaged file.
	Path string
	// What says what is wrong with it.
	What string
}

// Error names the file and what is wrong with it.
func (e *DamagedError) Error() string { return FileName + " is damaged: " + e.What }

// Unwrap makes a DamagedError match ErrDamaged.
func (e *DamagedError) Unwrap() error { return ErrDamaged }

func damagedf(path, format string, args ...any) error {
	return &DamagedError{Path: path, What: fmt.Sprintf(format, args...)}
}

// protect runs fn, which reads the mapped archive file, in the calling
// goroutine so that a fault on the mapping (a page beyond the end of the
// file) or a panic of bbolt on a broken page becomes a DamagedError rather
// than the end of the process. Panics of other code are not ours to hide.
func protect(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !fromStore(r) {
			panic(r)
		}
		err = damagedf(path, "a read stopped at a broken page (%s)", oneLineOf(fmt.Sprint(r)))
	}()
	return fn()
}

// fromStore reports whether the panic r is a memory fault (a read of the
// mapped file) or was raised inside bbolt, which panics on pages it cannot
// make sense of.
func fromStore(r any) bool {
	if re, ok := r.(runtime.Error); ok {
		if _, fault := re.(interface{ Addr() uintptr }); fault {
			return true
		}
	}
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		fn := f.Function
		// Skip the runtime's own frames and this recovery's.
		if !strings.HasPrefix(fn, "runtime.") && !strings.Contains(fn, "archive.protect") {
			return strings.HasPrefix(fn, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

func oneLineOf(s string) string { return strings.Join(strings.Fields(s), " ") }

// Layout of a bbolt file, as far as the checks below need it.
const (
	pageHeaderSize  = 16
	elementSize     = 16
	metaOffset      = pageHeaderSize
	metaMagic       = 0xED0CDAED
	metaVersion     = 2
	metaSumLen      = 56 // bytes of the meta the checksum covers
	flagBranch      = 0x01
	flagLeaf        = 0x02
	flagMeta        = 0x04
	flagFreelist    = 0x10
	noFreelist      = ^uint64(0)
	leafBucketFlag  = 0x01
	minPageSize     = 1 << 10
	maxPageSize     = 1 << 16
	maxFreelistSize = 1 << 28 // ids; far beyond any archive
)

var le = binary.LittleEndian

// meta is what a bbolt meta page records.
type meta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// parseMeta reads the meta of page b, reporting whether it is valid.
func parseMeta(b []byte) (meta, bool) {
	if len(b) < metaOffset+metaSumLen+8 {
		return meta{}, false
	}
	m := b[metaOffset:]
	if le.Uint32(m[0:]) != metaMagic || le.Uint32(m[4:]) != metaVersion {
		return meta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:metaSumLen])
	if h.Sum64() != le.Uint64(m[metaSumLen:]) {
		return meta{}, false
	}
	return meta{
		pageSize: le.Uint32(m[8:]),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		pgid:     le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}, true
}

// readMeta reads both meta pages of f and picks the one bbolt would use:
// the valid one with the higher transaction ID. ok is false when neither
// is valid, which is not a bbolt file at all (or not one we can tell is
// damaged): bbolt's open says what it is.
func readMeta(f io.ReaderAt) (meta, bool) {
	buf := make([]byte, metaOffset+metaSumLen+8)
	read := func(off int64) (meta, bool) {
		if n, _ := f.ReadAt(buf, off); n < len(buf) {
			return meta{}, false
		}
		return parseMeta(buf)
	}
	m0, ok0 := read(0)
	var ps int64
	if ok0 {
		ps = int64(m0.pageSize)
	} else {
		for p := int64(minPageSize); p <= maxPageSize; p *= 2 {
			if m, ok := read(p); ok && int64(m.pageSize) == p {
				ps = p
				break
			}
		}
	}
	if ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
		return meta{}, false
	}
	m1, ok1 := read(ps)
	if ok1 && int64(m1.pageSize) != ps {
		ok1 = false
	}
	switch {
	case ok0 && ok1 && m1.txid > m0.txid, !ok0 && ok1:
		return m1, true
	case ok0:
		return m0, true
	}
	return meta{}, false
}

// checkSize refuses an archive file shorter than its meta page says it
// is: bbolt maps the whole length the meta records, and a read of a page
// past the end of the file kills the process (SIGBUS). An empty file, or
// one that is no bbolt file, is left to the open to judge.
func checkSize(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // the open says why
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil
	}
	m, ok := readMeta(f)
	if !ok {
		return nil
	}
	if err := checkMeta(path, m, st.Size()); err != nil {
		return err
	}
	return checkFreelistSize(f, path, m)
}

// checkFreelistSize checks that the free list holds no more page IDs than
// its pages have room for: bbolt reads the free list while it opens the
// file, and allocates what its count says before reading it.
func checkFreelistSize(f io.ReaderAt, path string, m meta) error {
	if m.freelist == noFreelist {
		return nil
	}
	ps := uint64(m.pageSize)
	var h [pageHeaderSize + 8]byte
	if n, _ := f.ReadAt(h[:], int64(m.freelist*ps)); n < len(h) {
		return damagedf(path, "the free list's page %d lies past the end of the file", m.freelist)
	}
	count, overflow := uint64(le.Uint16(h[10:])), uint64(le.Uint32(h[12:]))
	room := (overflow+1)*ps - pageHeaderSize
	if count == 0xFFFF {
		count, room = le.Uint64(h[pageHeaderSize:]), room-8
	}
	if m.freelist+overflow >= m.pgid || count > maxFreelistSize || count*8 > room {
		return damagedf(path, "the free list's page %d says it holds %d page IDs, more than fit in it", m.freelist, count)
	}
	return nil
}

func checkMeta(path string, m meta, size int64) error {
	ps := uint64(m.pageSize)
	if m.pgid < 2 || m.pgid > uint64(1)<<48/ps {
		return damagedf(path, "its meta page records %d pages, which cannot be", m.pgid)
	}
	if want := m.pgid * ps; uint64(size) < want {
		return damagedf(path, "the file is %d bytes, but its meta page records %d pages of %d bytes (%d bytes): it was cut short", size, m.pgid, ps, want)
	}
	if m.root < 2 || m.root >= m.pgid {
		return damagedf(path, "its meta page puts the root at page %d, outside the file's %d pages", m.root, m.pgid)
	}
	if m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid) {
		return damagedf(path, "its meta page puts the free list at page %d, outside the file's %d pages", m.freelist, m.pgid)
	}
	return nil
}

// checkPages reads every page of the file at path in use (not free) with
// plain reads, never through a mapping, and checks what bbolt trusts
// without checking: each page names itself, has a known type, ends within
// the file, holds no more elements than fit in it, and every element's key
// and value, and every child page, lie within bounds. A file that passes
// can be walked by bbolt (and its consistency check) without faulting or
// running off the end of a page.
func checkPages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	m, ok := readMeta(f)
	if !ok {
		return nil // not a bbolt file: the open says so
	}
	if err := checkMeta(path, m, st.Size()); err != nil {
		return err
	}
	ps := uint64(m.pageSize)
	var buf []byte
	readPage := func(id uint64, pages uint64) ([]byte, error) {
		if n := pages * ps; uint64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		b := buf[:pages*ps]
		if _, err := f.ReadAt(b, int64(id*ps)); err != nil {
			return nil, fmt.Errorf("check %s: read page %d: %w", path, id, err)
		}
		return b, nil
	}
	// header reads and checks the header of page id, as the given type.
	h := make([]byte, pageHeaderSize)
	header := func(id uint64) (flags uint16, count uint64, overflow uint64, err error) {
		if _, err := f.ReadAt(h, int64(id*ps)); err != nil {
			return 0, 0, 0, fmt.Errorf("check %s: read page %d: %w", path, id, err)
		}
		if got := le.Uint64(h[0:]); got != id {
			return 0, 0, 0, damagedf(path, "page %d names itself page %d", id, got)
		}
		flags, count, overflow = le.Uint16(h[8:]), uint64(le.Uint16(h[10:])), uint64(le.Uint32(h[12:]))
		if id+overflow >= m.pgid {
			return 0, 0, 0, damagedf(path, "page %d runs over %d more pages, past the file's %d pages", id, overflow, m.pgid)
		}
		return flags, count, overflow, nil
	}

	free := map[uint64]bool{}
	if m.freelist != noFreelist {
		flags, count, overflow, err := header(m.freelist)
		if err != nil {
			return err
		}
		if flags != flagFreelist {
			return damagedf(path, "the free list's page %d is of type %#x", m.freelist, flags)
		}
		b, err := readPage(m.freelist, overflow+1)
		if err != nil {
			return err
		}
		start := uint64(pageHeaderSize)
		if count == 0xFFFF {
			count = le.Uint64(b[start:])
			start += 8
		}
		if count > maxFreelistSize || start+count*8 > uint64(len(b)) {
			return damagedf(path, "the free list's page %d says it holds %d page IDs, more than fit in it", m.freelist, count)
		}
		for i := uint64(0); i < count; i++ {
			id := le.Uint64(b[start+i*8:])
			if id < 2 || id >= m.pgid {
				return damagedf(path, "the free list names page %d, outside the file's %d pages", id, m.pgid)
			}
			free[id] = true
		}
	}
	// Every page a branch, a bucket or the meta points at must be the start
	// of a branch or leaf page in use, pointed at once: so bbolt's walks
	// neither land inside another page nor go round in a circle.
	starts := map[uint64]bool{}
	refs := map[uint64]int{m.root: 1}
	ref := func(child uint64) { refs[child]++ }
	for id := uint64(2); id < m.pgid; {
		if free[id] {
			id++
			continue
		}
		flags, count, overflow, err := header(id)
		if err != nil {
			return err
		}
		switch flags {
		case flagBranch, flagLeaf:
			b, err := readPage(id, overflow+1)
			if err != nil {
				return err
			}
			if err := checkElements(path, id, b, flags, count, m.pgid, ref); err != nil {
				return err
			}
			starts[id] = true
		case flagFreelist:
			// The free list, read above.
		default:
			return damagedf(path, "page %d is of unknown type %#x", id, flags)
		}
		id += overflow + 1
	}
	for id, n := range refs {
		switch {
		case !starts[id]:
			return damagedf(path, "page %d is pointed at, but is no branch or leaf page in use", id)
		case n > 1:
			return damagedf(path, "page %d is pointed at %d times", id, n)
		}
	}
	return nil
}

// checkElements checks the elements of branch or leaf page id, whose bytes
// (overflow pages included) are b.
func checkElements(path string, id uint64, b []byte, flags uint16, count, pgid uint64, ref func(child uint64)) error {
	kind := "leaf"
	if flags == flagBranch {
		kind = "branch"
	}
	if count == 0 && flags == flagBranch {
		return damagedf(path, "branch page %d has no elements", id)
	}
	if count == 0 && !bytes.Equal(b[pageHeaderSize:pageHeaderSize+elementSize], make([]byte, elementSize)) {
		// bbolt writes pages from zeroed buffers: an empty leaf is zeros.
		return damagedf(path, "leaf page %d says it holds no elements, yet holds some", id)
	}
	if pageHeaderSize+count*elementSize > uint64(len(b)) {
		return damagedf(path, "%s page %d says it holds %d elements, more than fit in it", kind, id, count)
	}
	// bbolt writes the keys and values right after the elements, in
	// element order and with no gaps: so a count changed either way shows.
	next := pageHeaderSize + count*elementSize
	for i := uint64(0); i < count; i++ {
		e := b[pageHeaderSize+i*elementSize:]
		at := pageHeaderSize + i*elementSize
		var pos, ksize, vsize uint64
		if flags == flagBranch {
			pos, ksize = uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
			child := le.Uint64(e[8:])
			if child < 2 || child >= pgid {
				return damagedf(path, "branch page %d points at page %d, outside the file's %d pages", id, child, pgid)
			}
			ref(child)
		} else {
			pos, ksize, vsize = uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
		}
		if at+pos+ksize+vsize > uint64(len(b)) {
			return damagedf(path, "%s page %d: element %d lies beyond the page", kind, id, i)
		}
		if at+pos != next {
			return damagedf(path, "%s page %d: element %d is not where the page's element count puts it", kind, id, i)
		}
		next += ksize + vsize
		if flags == flagLeaf && le.Uint32(e[0:])&leafBucketFlag != 0 {
			if vsize < 16 {
				return damagedf(path, "leaf page %d: bucket %d is malformed", id, i)
			}
			v := b[at+pos+ksize : at+pos+ksize+vsize]
			root := le.Uint64(v)
			switch {
			case root == 0:
				// An inline bucket: a leaf page of its own inside the value,
				// with no buckets in it.
				if err := checkInline(path, id, i, v[16:]); err != nil {
					return err
				}
			case root < 2 || root >= pgid:
				return damagedf(path, "leaf page %d: bucket %d has its root at page %d, outside the file's %d pages", id, i, root, pgid)
			default:
				ref(root)
			}
		}
	}
	return nil
}

// checkInline checks the inline bucket that element i of leaf page id
// holds, whose page is b.
func checkInline(path string, id, i uint64, b []byte) error {
	if len(b) < pageHeaderSize {
		return damagedf(path, "leaf page %d: inline bucket %d is malformed", id, i)
	}
	if flags := le.Uint16(b[8:]); flags != flagLeaf {
		return damagedf(path, "leaf page %d: inline bucket %d is of type %#x", id, i, flags)
	}
	count := uint64(le.Uint16(b[10:]))
	if count == 0 {
		return nil
	}
	if pageHeaderSize+count*elementSize > uint64(len(b)) {
		return damagedf(path, "leaf page %d: inline bucket %d says it holds %d elements, more than fit in it", id, i, count)
	}
	next := pageHeaderSize + count*elementSize
	for j := uint64(0); j < count; j++ {
		at := pageHeaderSize + j*elementSize
		e := b[at:]
		if le.Uint32(e[0:])&leafBucketFlag != 0 {
			return damagedf(path, "leaf page %d: inline bucket %d holds a bucket", id, i)
		}
		pos, ksize, vsize := uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
		if at+pos != next || at+pos+ksize+vsize > uint64(len(b)) {
			return damagedf(path, "leaf page %d: inline bucket %d: element %d lies out of place", id, i, j)
		}
		next += ksize + vsize
	}
	return nil
}

// checked holds the archive files whose pages this process has checked.
var checked sync.Map

// checkPagesOnce checks the pages of the file at path (see checkPages) the
// first time this process opens it: so a broken page is found whichever
// records the command reads, and before a write on top of it spreads the
// damage. A file not there yet passes.
//
// A check that passes is noted beside the file (CheckedFile) with the
// file's size, modification time and last transaction: a later process
// that finds the file in that same state skips the walk, which reads the
// whole file. Every commit, and any edit of the file, changes the state,
// so each state is walked once; verify and backup always walk.
func checkPagesOnce(path string) error {
	if _, ok := checked.Load(path); ok {
		return nil
	}
	stamp, mtime, err := fileStamp(path)
	if err != nil {
		return nil // a new archive, or the open says why
	}
	note := filepath.Join(filepath.Dir(path), CheckedFile)
	if b, err := os.ReadFile(note); err == nil && string(b) == stamp {
		checked.Store(path, true)
		return nil
	}
	if err := checkPages(path); err != nil {
		return err
	}
	checked.Store(path, true)
	if time.Since(mtime) < racyWindow {
		// An edit within the same tick of the clock would leave the same
		// modification time: note only a state that has settled.
		return nil
	}
	// Best effort: a reader that may not write the directory walks again
	// next time.
	tmp := fmt.Sprintf("%s.tmp-%d", note, os.Getpid())
	if err := os.WriteFile(tmp, []byte(stamp), 0o600); err == nil {
		if os.Rename(tmp, note) != nil {
			os.Remove(tmp)
		}
	}
	return nil
}

// CheckedFile names the note, in the archive directory, of the last state
// of the archive file whose pages were all checked.
const CheckedFile = FileName + ".checked"

// racyWindow is how old a file's modification time must be before a check
// of it is noted: file systems keep times in ticks of a few milliseconds.
const racyWindow = 2 * time.Second

// fileStamp is the state of the file at path as checkPagesOnce notes it,
// and its modification time.
func fileStamp(path string) (string, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", time.Time{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", time.Time{}, err
	}
	m, ok := readMeta(f)
	if !ok {
		return "", time.Time{}, fmt.Errorf("%s: no valid meta page", path)
	}
	return fmt.Sprintf("size %d mtime %d txid %d pgid %d\n", st.Size(), st.ModTime().UnixNano(), m.txid, m.pgid), st.ModTime(), nil
}

// damagedCloseWait bounds how long Close waits for bbolt to let go of a
// damaged file; a transaction stopped by a broken page may never have
// released its locks.
const damagedCloseWait = 2 * time.Second

func (s *Store) closeDamaged() error {
	done := make(chan error, 1)
	go func() {
		done <- protect(s.path, s.db.Close)
	}()
	select {
	case <-done:
	case <-time.After(damagedCloseWait):
		// bbolt is stuck on the broken transaction's locks and keeps the
		// file and its lock; noteDamage has told later opens already.
	}
	return nil
}

// broken holds the archive files this process met damaged (see
// noteDamage): a later open of one is refused at once.
var broken sync.Map

// checkBroken refuses a file this process already met damaged.
func checkBroken(path string) error {
	if _, ok := broken.Load(path); ok {
		return damagedf(path, "a read met a broken page earlier in this run")
	}
	return nil
}
