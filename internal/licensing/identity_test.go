package licensing

import "testing"

func TestFoldKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"agent@example.com", "agent@example.com"},
		{"Agent@Example.COM", "agent@example.com"},
		{"ａｇｅｎｔ@example.com", "agent@example.com"}, // full-width
		{"ＡＧＥＮＴ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "agent@example.com"},
		{"Straße", "strasse"},
		{"ﬁona", "fiona"}, // ligature
		{"Zoë", "zoë"},
		{"Zoe\u0308", "zoë"}, // combining diaeresis composes
		{"", ""},
	} {
		if got := FoldKey(tc.in); got != tc.want {
			t.Errorf("FoldKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { FoldKey("agent@example.com") }); a != 0 {
		t.Errorf("FoldKey of a lower-case ASCII key allocates %v times, want 0", a)
	}
}

func TestCheckKey(t *testing.T) {
	for _, bad := range []string{
		"agent\u200b@example.com", // zero-width space
		"agent\u200d@example.com", // zero-width joiner
		"\ufeffagent",             // BOM
		"agent\u202e@example.com", // right-to-left override
		"agent\u2066x\u2069",      // bidi isolate
		"agent\x00",               // NUL
		"agent\x1b[31m",           // escape
		"a\u2028b",                // line separator
		"a\ue000",                 // private use
		"a\xffb",                  // invalid UTF-8
	} {
		if err := CheckKey("email", bad); ErrorCode(err) != CodeInvalid {
			t.Errorf("CheckKey(%q) = %v, want invalid_request", bad, err)
		}
	}
	for _, good := range []string{"agent@example.com", "Zoë Brontë", "山田太郎", "E-100", ""} {
		if err := CheckKey("user_name", good); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", good, err)
		}
	}
	u := User{UserName: "ann", EmployeeID: "E1\u200b"}
	if err := u.Validate(); ErrorCode(err) != CodeInvalid || err.(*Error).Field != "employee_id" {
		t.Errorf("Validate with a zero-width employee_id = %v, want invalid_request on employee_id", err)
	}
}

func BenchmarkFoldKey(b *testing.B) {
	for _, tc := range []struct{ name, key string }{
		{"ascii_lower", "agent@example.com"},
		{"ascii_mixed", "Agent@Example.COM"},
		{"full_width", "ａｇｅｎｔ@example.com"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				FoldKey(tc.key)
			}
		})
	}
}
