package azurejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
	kindBad // a template expression that failed to evaluate (reported)
)

// value is a parsed JSON value that remembers where it starts in the file,
// so that every problem can be located. Objects keep their members in file
// order, including duplicates, which encoding/json would silently merge.
type value struct {
	kind    kind
	off     int    // byte offset of the value's first character
	text    string // a string's contents or a number's literal
	boolean bool
	members []member // kindObject
	elems   []*value // kindArray
	lit     bool     // never a template expression: a parameter's value, an expression's result
}

// member is one "key": value pair of an object.
type member struct {
	key string
	off int // byte offset of the key
	val *value
}

// parse turns data into a tree of values. A syntax error is returned as an
// *Error with the line and column of the offending character.
func parse(data []byte) (*value, error) {
	// encoding/json's validating scanner reports exact offsets (the Decoder's
	// token reader does not), and rejects trailing data.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			return nil, &Error{Line: 1, Column: 1, Err: err}
		}
		off := int(se.Offset) - 1 // Offset counts the offending byte
		if strings.HasPrefix(se.Error(), "unexpected end") || off < 0 {
			off = int(se.Offset)
		}
		line, col := position(data, off)
		return nil, &Error{Line: line, Column: col, Err: errors.New(se.Error())}
	}
	p := &treeParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	v, err := p.value()
	if err != nil {
		// Unreachable after a successful Unmarshal; reported, never hidden.
		line, col := position(data, int(p.dec.InputOffset()))
		return nil, &Error{Line: line, Column: col, Err: err}
	}
	return v, nil
}

// treeParser builds a value tree from the decoder's tokens.
type treeParser struct {
	data []byte
	dec  *json.Decoder
}

// start returns the offset of the next token: the decoder's offset moved
// past white space and the separators it has not consumed yet.
func (p *treeParser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *treeParser) value() (*value, error) {
	v := &value{off: p.start()}
	tok, err := p.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		v.kind = kindNull
	case bool:
		v.kind, v.boolean = kindBool, t
	case json.Number:
		v.kind, v.text = kindNumber, string(t)
	case string:
		v.kind, v.text = kindString, t
	case json.Delim:
		switch t {
		case '{':
			v.kind = kindObject
			for p.dec.More() {
				koff := p.start()
				ktok, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := ktok.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				val, err := p.value()
				if err != nil {
					return nil, err
				}
				v.members = append(v.members, member{key: key, off: koff, val: val})
			}
		case '[':
			v.kind = kindArray
			for p.dec.More() {
				elem, err := p.value()
				if err != nil {
					return nil, err
				}
				v.elems = append(v.elems, elem)
			}
		default:
			return nil, errors.New("unexpected " + t.String())
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	}
	return v, nil
}

// position returns the 1-based line and column (in characters) of the byte
// at offset off.
func position(data []byte, off int) (line, col int) {
	var p positioner
	return p.position(data, off)
}

// positioner computes positions for offsets in increasing order in one pass
// over the data.
type positioner struct {
	off  int // offset scanned so far
	line int // newlines before off
	col  int // characters between the start of off's line and off
}

// position returns the 1-based line and column (in characters) of the byte
// at offset off, which must not be below the offset of the previous call.
func (p *positioner) position(data []byte, off int) (line, col int) {
	off = min(max(off, p.off), len(data))
	chunk := data[p.off:off]
	if n := bytes.Count(chunk, []byte{'\n'}); n > 0 {
		p.line += n
		p.col = utf8.RuneCount(chunk[bytes.LastIndexByte(chunk, '\n')+1:])
	} else {
		p.col += utf8.RuneCount(chunk)
	}
	p.off = off
	return p.line + 1, p.col + 1
}

// describe says what a value is, for "want ..., got ..." messages.
func describe(v *value) string {
	switch v.kind {
	case kindNull:
		return "null"
	case kindBool:
		if v.boolean {
			return "true"
		}
		return "false"
	case kindNumber:
		return "number " + truncate(v.text)
	case kindString:
		return "string " + quote(v.text)
	case kindObject:
		return "an object"
	case kindBad:
		return "a failed expression"
	default:
		return "an array"
	}
}
