package tomcatusers

import (
	"errors"
	"os"
	"testing"
)

func FuzzParseUsers(f *testing.F) {
	if b, err := os.ReadFile("testdata/tomcat-users.xml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`<tomcat-users><group groupname="g" roles="a"/><user name="x" groups="g,h"/></tomcat-users>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><tomcat-users><user username="\xfc"/></tomcat-users>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := ParseUsers(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, u := range users {
			for i := 1; i < len(u.Roles); i++ {
				if u.Roles[i-1] >= u.Roles[i] {
					t.Fatalf("roles %q not sorted and unique", u.Roles)
				}
			}
		}
	})
}

func FuzzParseServer(f *testing.F) {
	if b, err := os.ReadFile("testdata/server.xml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`<Server><Realm className="org.apache.catalina.realm.UserDatabaseRealm"><CredentialHandler className="org.apache.catalina.realm.NestedCredentialHandler"><CredentialHandler/></CredentialHandler></Realm></Server>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseServer(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, r := range s.Realms {
			if r.Resource == "" {
				t.Fatal("realm without a resource")
			}
			_ = r.Handler.Describe()
		}
	})
}

func FuzzMatches(f *testing.F) {
	f.Add("tomcat", "29e911498de7cc05279041cee1488e5a$1$6fac5086982f8962a82e1129f9758901860f97576420b20fbdcfba00817afa4f", "SHA-256", false)
	f.Add("tomcat", "e59916766e15f3b4$500$b535aa84ec7a451b6e60c71799b3a8081d9b9870", "PBKDF2WithHmacSHA256", true)
	f.Add("tomcat", "{SSHA}OGIIY/ExatxukHL/ZyzG7c8JNFZzYWx0MTIzNA==", "SHA", false)
	f.Fuzz(func(t *testing.T, pw, stored, alg string, secretKey bool) {
		h := &Handler{Class: ClassMessageDigest, Algorithm: alg}
		if secretKey {
			h.Class = ClassSecretKey
		}
		// Bound the work of one input: iterations are what costs.
		if _, iters, _, err := splitSalted(stored); err == nil && iters > 5000 {
			return
		}
		Matches(h, pw, stored)
	})
}
