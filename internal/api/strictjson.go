package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// jsonContentType refuses a body declared as something other than JSON
// (415); a body without a Content-Type is read as JSON.
func jsonContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return licensing.FieldErrorf(licensing.CodeUnsupportedMedia, "Content-Type", "the body must be JSON (Content-Type: application/json), not %q", ct)
}

// strictKeys walks a JSON document against the Go type it will fill and
// refuses what encoding/json would quietly accept: a key given twice in one
// object (the last would win), and a field name that matches a struct field
// only without regard to case ("USER" for "user").
func strictKeys(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkValue(dec, t, "")
}

func walkValue(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkValue(dec, elem, path+"[]"); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ]
		return err
	}
	return nil
}

func walkObject(dec *json.Decoder, t reflect.Type, path string) error {
	var fields map[string]reflect.Type // exact JSON names of a struct
	var elem reflect.Type              // a map's values
	if t != nil && t.Kind() == reflect.Struct && t != reflect.TypeOf(json.RawMessage{}) {
		fields = jsonFields(t)
	} else if t != nil && t.Kind() == reflect.Map {
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		name := key
		if path != "" {
			name = path + "." + key
		}
		if seen[key] {
			return licensing.FieldErrorf(licensing.CodeInvalid, name, "field %q is given more than once", name)
		}
		seen[key] = true
		next := elem
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				for k := range fields {
					if strings.EqualFold(k, key) {
						return licensing.FieldErrorf(licensing.CodeInvalid, name, "field %q must be written %q (names are case-sensitive)", key, k)
					}
				}
			}
			next = ft
		}
		if err := walkValue(dec, next, name); err != nil {
			return err
		}
	}
	_, err := dec.Token() // }
	return err
}

// jsonFields maps a struct's JSON field names (embedded structs' too) to
// their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// readBody reads a request body bounded by maxBody.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return nil, licensing.Errorf(licensing.CodeTooLarge, "request body exceeds %d bytes", big.Limit)
	}
	return b, err
}
