package keychain

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// The index is read and written by older and newer versions of MeshMesh
// alike: a field this version does not know is kept as it was read and
// written back on save, in the index file itself and in each connection.

// connectionFields is Connection without its methods, for encoding/json.
type connectionFields Connection

// MarshalJSON writes c's fields, then the fields of its index entry that
// this version does not know.
func (c Connection) MarshalJSON() ([]byte, error) {
	return marshalKeeping(connectionFields(c), c.extra)
}

// UnmarshalJSON reads c, keeping the fields this version does not know.
func (c *Connection) UnmarshalJSON(b []byte) error {
	f, extra, err := unmarshalKeeping[connectionFields](b, knownConnectionFields())
	*c = Connection(f)
	c.extra = extra
	return err
}

// indexFile is connections.json.
type indexFile struct {
	Version     int          `json:"version"`
	Connections []Connection `json:"connections"`
	// Links are the user's own quick links, offered for every connection.
	Links []Link `json:"links,omitempty"`

	extra map[string]json.RawMessage
}

type indexFields indexFile

func (f indexFile) MarshalJSON() ([]byte, error) { return marshalKeeping(indexFields(f), f.extra) }

func (f *indexFile) UnmarshalJSON(b []byte) error {
	v, extra, err := unmarshalKeeping[indexFields](b, knownIndexFields())
	*f = indexFile(v)
	f.extra = extra
	return err
}

// marshalKeeping writes v, a struct, then extra's members.
func marshalKeeping(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	return appendFields(b, extra)
}

// unmarshalKeeping reads JSON object b as a T, and returns its members
// whose names are not in known as well.
func unmarshalKeeping[T any](b []byte, known map[string]bool) (T, map[string]json.RawMessage, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, nil, err
	}
	extra, err := unknownFields(b, known)
	return v, extra, err
}

// plainIndex is indexFile without the fields kept unknown: the quick
// read of an index that has none, as this version writes it.
type plainIndex struct {
	Version     int                `json:"version"`
	Connections []connectionFields `json:"connections"`
	Links       []Link             `json:"links,omitempty"`
}

// errTrailing says there is more after the index's JSON object.
var errTrailing = errors.New("data after the JSON object")

// decodeIndex reads b, one JSON object and nothing after it. An index
// with no field this version does not know, the usual one, is read in
// one pass; one with such fields is read again, keeping them (a read
// that keeps them scans every connection twice: five times slower at
// 1,000 connections).
func decodeIndex(b []byte) (indexFile, error) {
	var p plainIndex
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err == nil && !dec.More() {
		f := indexFile{Version: p.Version, Links: p.Links}
		if p.Connections != nil {
			f.Connections = make([]Connection, len(p.Connections))
			for i, c := range p.Connections {
				f.Connections[i] = Connection(c)
			}
		}
		return f, nil
	}
	var f indexFile
	dec = json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil {
		return indexFile{}, err
	}
	if dec.More() {
		return indexFile{}, errTrailing
	}
	return f, nil
}

var (
	knownConnectionFields = sync.OnceValue(func() map[string]bool { return jsonNames(reflect.TypeFor[connectionFields]()) })
	knownIndexFields      = sync.OnceValue(func() map[string]bool { return jsonNames(reflect.TypeFor[indexFields]()) })
)

// jsonNames returns the JSON names of t's exported fields.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[strings.ToLower(name)] = true
	}
	return names
}

// unknownFields returns the members of JSON object b whose names are not
// in known (compared as encoding/json does, without regard to case), or
// nil when there are none.
func unknownFields(b []byte, known map[string]bool) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for name := range all {
		if known[strings.ToLower(name)] {
			delete(all, name)
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

// appendFields adds extra's members, by name, to the end of JSON object
// b.
func appendFields(b []byte, extra map[string]json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // without its closing brace
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(extra[name])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
