package checkpoint

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HashSize is the size of a root hash: SHA-256, as RFC 6962 uses.
const HashSize = 32

// MaxSize is the largest checkpoint, body and signatures, that Parse,
// ParseUnverified, Open and ReadDir accept.
const MaxSize = 1 << 20

// Checkpoint is the state of a transparency log: Size leaves whose Merkle
// tree has the root hash Hash, in the log named Origin.
type Checkpoint struct {
	// Origin names the log; it should be unique to it.
	Origin string
	// Size is the number of leaves in the tree.
	Size uint64
	// Hash is the RFC 6962 root hash of the tree's Size leaves.
	Hash [HashSize]byte
	// Extensions are optional further lines of the body, in order, without
	// their newlines. Parse leaves it nil when there are none.
	Extensions []string
}

// Marshal returns the body of c in the C2SP tlog-checkpoint form. It does
// not check c: Parse(c.Marshal()) gives back c exactly when c.Validate()
// returns nil.
func (c Checkpoint) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Hash[:]))
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Validate says why c cannot be written as a checkpoint body: an empty
// origin, an empty extension line, or a line that is not UTF-8 or holds a
// control character (a newline among them).
func (c Checkpoint) Validate() error {
	if c.Origin == "" {
		return errors.New("checkpoint: line 1: empty origin")
	}
	if err := checkLine(c.Origin); err != nil {
		return fmt.Errorf("checkpoint: line 1: origin %w", err)
	}
	for i, e := range c.Extensions {
		if e == "" {
			return fmt.Errorf("checkpoint: line %d: empty extension line", i+4)
		}
		if err := checkLine(e); err != nil {
			return fmt.Errorf("checkpoint: line %d: extension %w", i+4, err)
		}
	}
	if n := len(c.Marshal()); n > MaxSize {
		return fmt.Errorf("checkpoint: %d bytes, more than the limit of %d", n, MaxSize)
	}
	return nil
}

// String gives the checkpoint in one line, for messages.
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s size %d root %s", quote(c.Origin), c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// checkLine says why s cannot be a line of a checkpoint body, its emptiness
// aside; the error reads after the line's name ("origin ...").
func checkLine(s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Errorf("is not valid UTF-8 at byte %d", i+1)
		case r == '\r':
			return fmt.Errorf("holds a carriage return at byte %d (CRLF line endings are not allowed)", i+1)
		case r == '\n':
			return fmt.Errorf("holds a newline at byte %d", i+1)
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("holds control character %U at byte %d", r, i+1)
		}
		i += size
	}
	return nil
}

// Parse reads a checkpoint body (no signatures: see Open and
// ParseUnverified). It is strict: the body must be exactly what Marshal
// writes for the checkpoint it returns. The error names the line and what
// is wrong with it, in one line.
func Parse(body []byte) (Checkpoint, error) {
	switch {
	case len(body) == 0:
		return Checkpoint{}, errors.New("checkpoint: empty")
	case len(body) > MaxSize:
		return Checkpoint{}, fmt.Errorf("checkpoint: %d bytes, more than the limit of %d", len(body), MaxSize)
	case body[len(body)-1] != '\n':
		return Checkpoint{}, errors.New("checkpoint: the last line does not end in a newline")
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	for i, l := range lines {
		if l == "" {
			return Checkpoint{}, fmt.Errorf("checkpoint: line %d: empty", i+1)
		}
		if err := checkLine(l); err != nil {
			return Checkpoint{}, fmt.Errorf("checkpoint: line %d: %w", i+1, err)
		}
	}
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("checkpoint: %d lines, want at least 3 (origin, tree size, root hash)", len(lines))
	}
	c := Checkpoint{Origin: lines[0]}

	s := lines[1]
	for _, r := range s {
		if r < '0' || r > '9' {
			return Checkpoint{}, fmt.Errorf("checkpoint: line 2: tree size %s is not a decimal number", quote(s))
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return Checkpoint{}, fmt.Errorf("checkpoint: line 2: tree size %s has a leading zero", quote(s))
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: line 2: tree size %s is out of range (at most %d)", quote(s), uint64(1<<64-1))
	}
	c.Size = n

	h := lines[2]
	raw, err := base64.StdEncoding.Strict().DecodeString(h)
	switch {
	case err != nil:
		return Checkpoint{}, fmt.Errorf("checkpoint: line 3: root hash %s is not standard base64 with padding", quote(h))
	case len(raw) != HashSize:
		return Checkpoint{}, fmt.Errorf("checkpoint: line 3: root hash is %d bytes, want %d", len(raw), HashSize)
	case base64.StdEncoding.EncodeToString(raw) != h:
		return Checkpoint{}, fmt.Errorf("checkpoint: line 3: root hash %s is not in canonical base64", quote(h))
	}
	copy(c.Hash[:], raw)

	if len(lines) > 3 {
		c.Extensions = lines[3:]
	}
	return c, nil
}

// quote quotes s for a one-line message, shortened if long.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
