package scim

import "testing"

func TestProject(t *testing.T) {
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"id":"u1","userName":"ann","password":"secret","title":"Dev","name":{"givenName":"Ann","familyName":"Lee"},
		"emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}],
		"meta":{"resourceType":"User"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"Ops"}}`
	tests := []struct {
		name          string
		attrs, exclud []string
		want          string
	}{
		{"nothing asked drops password", nil, nil,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"id":"u1","userName":"ann","title":"Dev","name":{"givenName":"Ann","familyName":"Lee"},
			"emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}],"meta":{"resourceType":"User"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"Ops"}}`},
		{"attributes keep id and schemas", []string{"USERNAME", "name.familyName", "emails.value", "password",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}, nil,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"id":"u1","userName":"ann","name":{"familyName":"Lee"},"emails":[{"value":"a@x"},{"value":"b@x"}],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Ops"}}`},
		{"attributes with a whole extension and a core URN", []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			"urn:ietf:params:scim:schemas:core:2.0:User:title"}, nil,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"id":"u1","title":"Dev","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"Ops"}}`},
		{"excluded never removes id and schemas", nil, []string{"id", "schemas", "emails", "name.givenName", "meta",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"id":"u1","userName":"ann","title":"Dev","name":{"familyName":"Lee"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Ops"}}`},
		{"excluded whole extension", nil, []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"id":"u1","userName":"ann","title":"Dev","name":{"givenName":"Ann","familyName":"Lee"},
			"emails":[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}],"meta":{"resourceType":"User"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decode(t, user)
			before := canon(t, r)
			got := Project(r, tt.attrs, tt.exclud, UserSchema())
			if g, w := canon(t, got), canon(t, decode(t, tt.want)); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
			if canon(t, r) != before {
				t.Errorf("input modified")
			}
		})
	}
}
