// Package config reads archiver's configuration file: TOML whose top-level
// keys are global flags and whose tables, one per command, hold that
// command's flags, each value with the line it is on.
//
//	archive = "/var/lib/archiver"
//
//	[sync]
//	source = ["drs", "snowball"]
//	region = ["us-east-1", "us-west-2"]
//	metrics-file = "/var/lib/node_exporter/textfile/archiver.prom"
//
// A value is a string, an integer, a boolean, or an array of strings or
// integers (a flag given several times). Which keys exist is the command
// tree's business, not this package's: it reports every key with its line
// so that the caller can refuse the unknown ones.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Entry is one key of the file: its values as a flag would take them, and
// the line it is on.
type Entry struct {
	Key    string
	Values []string
	Line   int
}

// File is a parsed configuration file.
type File struct {
	// Path is the file read.
	Path string
	// Globals are the top-level keys.
	Globals []Entry
	// Tables are the keys of each table, by table name; TableLines the
	// line of each table's header.
	Tables     map[string][]Entry
	TableLines map[string]int
}

// Error is a mistake in the file, at a line.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// DefaultPath is where the file is looked for without --config:
// $XDG_CONFIG_HOME/archiver/config.toml, else the user's configuration
// directory's archiver/config.toml.
func DefaultPath() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "archiver", "config.toml")
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "archiver", "config.toml")
}

// maxSize bounds the file read: a configuration file is small.
const maxSize = 1 << 20

// Load reads and parses the file at path.
func Load(path string) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("configuration file: %w", err)
	}
	if fi.IsDir() {
		return nil, &Error{Path: path, Msg: "is a directory, not a configuration file"}
	}
	if fi.Size() > maxSize {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("is %d bytes; a configuration file is at most %d", fi.Size(), maxSize)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration file: %w", err)
	}
	return Parse(path, data)
}

// Parse parses the file's contents; path names it in errors.
func Parse(path string, data []byte) (*File, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &Error{Path: path, Line: row, Msg: de.Error()}
		}
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	lines, err := keyLines(data)
	if err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	f := &File{Path: path, Tables: map[string][]Entry{}, TableLines: map[string]int{}}
	names := make([]string, 0, len(doc))
	for k := range doc {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return lines[names[i]] < lines[names[j]] })
	for _, k := range names {
		v := doc[k]
		if t, ok := v.(map[string]any); ok {
			f.TableLines[k] = lines[k]
			keys := make([]string, 0, len(t))
			for tk := range t {
				keys = append(keys, tk)
			}
			sort.Slice(keys, func(i, j int) bool { return lines[k+"\x00"+keys[i]] < lines[k+"\x00"+keys[j]] })
			for _, tk := range keys {
				line := lines[k+"\x00"+tk]
				vals, err := values(t[tk])
				if err != nil {
					return nil, &Error{Path: path, Line: line, Msg: fmt.Sprintf("[%s] %s: %v", k, tk, err)}
				}
				f.Tables[k] = append(f.Tables[k], Entry{Key: tk, Values: vals, Line: line})
			}
			continue
		}
		vals, err := values(v)
		if err != nil {
			return nil, &Error{Path: path, Line: lines[k], Msg: fmt.Sprintf("%s: %v", k, err)}
		}
		f.Globals = append(f.Globals, Entry{Key: k, Values: vals, Line: lines[k]})
	}
	return f, nil
}

// values turns a TOML value into the values of a flag.
func values(v any) ([]string, error) {
	switch x := v.(type) {
	case []any:
		var out []string
		for _, e := range x {
			s, err := scalar(e)
			if err != nil {
				return nil, fmt.Errorf("an array holds %w", err)
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return nil, errors.New("an empty array sets nothing; remove the key")
		}
		return out, nil
	case map[string]any:
		return nil, errors.New("a table inside a table; tables are commands, keys their flags")
	}
	s, err := scalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case toml.LocalDate:
		return x.String(), nil
	case toml.LocalDateTime:
		return x.String(), nil
	}
	return "", fmt.Errorf("a value of type %T, not a string, number or boolean", v)
}

// keyLines returns the line of every top-level key and table header (by
// name) and of every key of a table (table NUL key), from the parser's
// view of the file.
func keyLines(data []byte) (map[string]int, error) {
	p := unstable.Parser{}
	p.Reset(data)
	out := map[string]int{}
	table := ""
	line := func(n *unstable.Node) int {
		return p.Shape(p.Range(n.Data)).Start.Line
	}
	keyOf := func(n *unstable.Node) (string, *unstable.Node) {
		var parts [][]byte
		var first *unstable.Node
		it := n.Key()
		for it.Next() {
			if first == nil {
				first = it.Node()
			}
			parts = append(parts, it.Node().Data)
		}
		return string(bytes.Join(parts, []byte("."))), first
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			name, first := keyOf(e)
			table = name
			if first != nil {
				out[name] = line(first)
				if t, k, dotted := strings.Cut(name, "."); dotted {
					out[t+"\x00"+k] = line(first)
				}
			}
		case unstable.ArrayTable:
			name, first := keyOf(e)
			l := 0
			if first != nil {
				l = line(first)
			}
			return nil, fmt.Errorf("line %d: [[%s]] arrays of tables are not used", l, name)
		case unstable.KeyValue:
			name, first := keyOf(e)
			if first == nil {
				continue
			}
			if table == "" {
				out[name] = line(first)
				// A dotted key (sync.region = ...) names a table's key.
				if t, k, dotted := strings.Cut(name, "."); dotted {
					out[t+"\x00"+k] = line(first)
					if _, ok := out[t]; !ok {
						out[t] = line(first)
					}
				}
			} else {
				out[table+"\x00"+name] = line(first)
			}
		}
	}
	return out, p.Error()
}
