package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// boltPage is an in-use page of a bbolt file, as its header says.
type boltPage struct {
	id    uint64
	flags uint16
}

// boltLayout reads the page size, the high-water mark and the in-use pages
// (free pages and overflow pages left out) of a bbolt file, from its bytes.
func boltLayout(t *testing.T, b []byte) (pageSize, pgid uint64, pages []boltPage) {
	t.Helper()
	le := binary.LittleEndian
	meta := func(off uint64) (ps, pgid, freelist, txid uint64) {
		m := b[off+16:]
		return uint64(le.Uint32(m[8:])), le.Uint64(m[40:]), le.Uint64(m[32:]), le.Uint64(m[48:])
	}
	ps, pg0, fl0, tx0 := meta(0)
	_, pg1, fl1, tx1 := meta(ps)
	pgid, freelist := pg0, fl0
	if tx1 > tx0 {
		pgid, freelist = pg1, fl1
	}
	header := func(id uint64) (flags uint16, count, overflow uint64) {
		h := b[id*ps:]
		return le.Uint16(h[8:]), uint64(le.Uint16(h[10:])), uint64(le.Uint32(h[12:]))
	}
	free := map[uint64]bool{}
	if _, count, _ := header(freelist); true {
		start := freelist*ps + 16
		if count == 0xFFFF {
			count = le.Uint64(b[start:])
			start += 8
		}
		for i := uint64(0); i < count; i++ {
			free[le.Uint64(b[start+8*i:])] = true
		}
	}
	for id := uint64(2); id < pgid; {
		if free[id] {
			id++
			continue
		}
		flags, _, overflow := header(id)
		pages = append(pages, boltPage{id, flags})
		id += overflow + 1
	}
	return ps, pgid, pages
}

// damageCase damages the bytes of an archive file.
type damageCase struct {
	name   string
	damage func(t *testing.T, b []byte) []byte
}

// countFFFF sets the element count of the first in-use page of type flags.
func countFFFF(flags uint16) func(t *testing.T, b []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		ps, _, pages := boltLayout(t, b)
		for _, p := range pages {
			if p.flags == flags {
				binary.LittleEndian.PutUint16(b[p.id*ps+10:], 0xFFFF)
				return b
			}
		}
		t.Fatalf("no page of type %#x in the archive: the test proves nothing", flags)
		return nil
	}
}

// headerEdit changes one field of the header of one in-use page, chosen by
// seed, to a random value.
func headerEdit(seed uint64) func(t *testing.T, b []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		r := rand.New(rand.NewPCG(seed, 7))
		ps, _, pages := boltLayout(t, b)
		p := pages[r.IntN(len(pages))]
		h := b[p.id*ps : p.id*ps+16]
		before := bytes.Clone(h)
		for bytes.Equal(h, before) {
			editHeader(r, h, p.id)
		}
		return b
	}
}

// editHeader sets one field of page header h to a random value, which may
// be the value it had.
func editHeader(r *rand.Rand, h []byte, id uint64) {
	le := binary.LittleEndian
	switch r.IntN(4) {
	case 0:
		le.PutUint64(h[0:], id+1+uint64(r.IntN(1000)))
	case 1:
		le.PutUint16(h[8:], []uint16{0x01, 0x02, 0x04, 0x10, 0x03, uint16(r.Uint32())}[r.IntN(6)])
	case 2:
		le.PutUint16(h[10:], []uint16{0, 1, 0xFFFF, uint16(r.Uint32())}[r.IntN(4)])
	case 3:
		le.PutUint32(h[12:], []uint32{0, 1, 100, 0xFFFFFFFF, r.Uint32()}[r.IntN(5)])
	}
}

// copyDir copies the archive directory src (archive file and index) to a
// new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	return copyTree(t, src, filepath.Join(t.TempDir(), "archive"))
}

// copyTree copies the files and directories under src to dst.
func copyTree(t *testing.T, src, dst string) string {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestDamagedArchive: an archive file cut short below its high-water mark,
// one with a page whose element count is broken, and ones with random
// edits of page headers each make every command that opens the archive
// fail with exit 1 and one line (or succeed, where a random edit is off
// its path), never a fault, a panic or a goroutine dump; verify always
// finds the damage. The commands run in a process of their own: a fault
// would kill it.
func TestDamagedArchive(t *testing.T) {
	env := hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 61})
	good := filepath.Join(t.TempDir(), "archive")
	if code, _, stderr := runCLI(t, "--archive", good, "sync", "--endpoint-url", emu.URL(), "--page-size", "7"); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	orig, err := os.ReadFile(filepath.Join(good, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	ps, pgid, pages := boltLayout(t, orig)
	if pgid < 8 || len(pages) < 4 {
		t.Fatalf("archive of %d pages: too small to damage usefully", pgid)
	}
	jobs := importableJobs(t)
	cases := []damageCase{
		{"cut below the high-water mark", func(t *testing.T, b []byte) []byte { return b[:(pgid/2)*ps] }},
		{"cut by a byte", func(t *testing.T, b []byte) []byte { return b[:pgid*ps-1] }},
		{"branch page count 0xFFFF", countFFFF(0x01)},
		{"leaf page count 0xFFFF", countFFFF(0x02)},
	}
	seeds := 50
	if testing.Short() {
		seeds = 5
	}
	for s := 0; s < seeds; s++ {
		cases = append(cases, damageCase{"header edit " + string(rune('A'+s%26)) + strings.Repeat("'", s/26), headerEdit(uint64(s))})
	}
	commands := [][]string{
		{"verify"},
		{"query", "--output", "jsonl"},
		{"query", "--text", "failed", "--output", "jsonl"},
		{"export", "--out", "OUT/export.json"},
		{"status"},
		{"backup", "--out", "OUT/backup.db"},
		{"sync", "--endpoint-url", emu.URL()},
		{"import", jobs},
		{"prune", "--before", "2000-01-01", "--no-export", "--confirm"},
		{"reindex"},
		{"migrate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.damage(t, bytes.Clone(orig))
			for _, args := range commands {
				dir := copyDir(t, good)
				if err := os.WriteFile(filepath.Join(dir, archive.FileName), b, 0o600); err != nil {
					t.Fatal(err)
				}
				out := t.TempDir()
				full := []string{"--archive", dir}
				for _, a := range args {
					full = append(full, strings.Replace(a, "OUT", out, 1))
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				cmd := exec.CommandContext(ctx, os.Args[0], full...)
				cmd.Env = append(os.Environ(), append(env, "ARCHIVER_TEST_MAIN=1")...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				timedOut := ctx.Err() != nil
				cancel()
				if timedOut {
					t.Fatalf("%s: still running after %v: %s", args[0], 2*time.Minute, stderr.String())
				}
				code := cmd.ProcessState.ExitCode()
				if _, ok := err.(*exec.ExitError); err != nil && !ok {
					t.Fatalf("%s: %v", args[0], err)
				}
				msg := stderr.String()
				if strings.Contains(msg, "goroutine") || strings.Contains(msg, "panic") || strings.Contains(msg, "SIG") {
					t.Fatalf("%s: exit %d with a crash: %.600s", args[0], code, msg)
				}
				random := strings.HasPrefix(tc.name, "header edit")
				switch {
				case code == 1:
					if strings.Count(msg, "\n") != 1 {
						t.Errorf("%s: exit 1 with %d lines on stderr: %s", args[0], strings.Count(msg, "\n"), msg)
					}
					if !random && !strings.Contains(msg, "archive.db is damaged: ") || !strings.Contains(msg, "restore it from a backup") && !random {
						t.Errorf("%s: %s; want it to say the archive is damaged", args[0], msg)
					}
				case code == 0 && random && args[0] != "verify":
					// The edit is off this command's path.
				default:
					t.Errorf("%s: exit %d, want 1: %.200s %s", args[0], code, stdout.String(), msg)
				}
				if args[0] == "verify" && !strings.Contains(msg, "archive.db is damaged: ") && !strings.Contains(msg, "hash chain") {
					t.Errorf("verify does not find the damage: %s", msg)
				}
			}
		})
	}
}
