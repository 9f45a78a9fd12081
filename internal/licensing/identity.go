package licensing

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Identity keys (user name, email, employee ID, external ID) name people
// everywhere: the engine, the store, SCIM, CSV import and the acting-user
// header. Two rules keep a look-alike from posing as someone else: keys may
// not hold invisible or control characters, and keys are compared after
// Unicode NFKC case folding (so full-width "ａｇｅｎｔ" is "agent").

// FoldKey is the form identity keys are compared in: NFKC, case-folded,
// NFKC again (case folding can undo normalisation). ASCII keys, nearly all
// of them, take a fast path.
func FoldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return asciiLower(s)
	}
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
}

// asciiLower lower-cases ASCII without allocating when nothing changes.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// CheckKey refuses an identity key holding what no identifier should:
// invalid UTF-8, control characters (NUL included), format characters
// (zero-width spaces and joiners, bidi overrides and isolates, the BOM),
// line and paragraph separators and private-use characters. field names
// the input in the error.
func CheckKey(field, value string) error {
	if !utf8.ValidString(value) {
		return FieldErrorf(CodeInvalid, field, "%s is not valid UTF-8", field)
	}
	for i, r := range value {
		if bad := badKeyRune(r); bad != "" {
			return FieldErrorf(CodeInvalid, field, "%s holds %s %U at byte %d: identifiers may not hold invisible or control characters", field, bad, r, i)
		}
	}
	return nil
}

func badKeyRune(r rune) string {
	switch {
	case unicode.Is(unicode.Cc, r):
		return "the control character"
	case unicode.Is(unicode.Cf, r):
		return "the invisible format character"
	case unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return "the separator"
	case unicode.Is(unicode.Co, r):
		return "the private-use character"
	case r == utf8.RuneError:
		return "the replacement character"
	}
	return ""
}

// checkKeys checks a person's four identity keys.
func (u *User) checkKeys() error {
	for _, k := range []struct{ field, value string }{{"user_name", u.UserName}, {"email", u.Email}, {"employee_id", u.EmployeeID}, {"external_id", u.ExternalID}} {
		if err := CheckKey(k.field, k.value); err != nil {
			return err
		}
	}
	return nil
}
