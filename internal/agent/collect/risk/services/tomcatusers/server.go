package tomcatusers

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Class names of server.xml the package reads.
const (
	ClassUserDatabaseRealm   = "org.apache.catalina.realm.UserDatabaseRealm"
	ClassMessageDigest       = "org.apache.catalina.realm.MessageDigestCredentialHandler"
	ClassSecretKey           = "org.apache.catalina.realm.SecretKeyCredentialHandler"
	ClassNested              = "org.apache.catalina.realm.NestedCredentialHandler"
	factoryMemoryUserDatabse = "org.apache.catalina.users.MemoryUserDatabaseFactory"
)

// DefaultPathname is the file of a UserDatabase resource that names none,
// relative to catalina.base.
const DefaultPathname = "conf/tomcat-users.xml"

// Server is what server.xml says about user databases.
type Server struct {
	// Databases maps the name of each in-memory UserDatabase resource
	// (GlobalNamingResources) to its file, as written (relative to
	// catalina.base unless absolute; ${catalina.base} and
	// ${catalina.home} not yet replaced).
	Databases map[string]string
	// Realms are the UserDatabaseRealm elements, in order.
	Realms []Realm
}

// Realm is one UserDatabaseRealm.
type Realm struct {
	// Resource is its resourceName ("UserDatabase" when not set).
	Resource string
	// Handler is its CredentialHandler, nil when it has none (Tomcat
	// then compares passwords as plain text).
	Handler *Handler
	Line    int
}

// Handler is a CredentialHandler element.
type Handler struct {
	Class string
	// Algorithm is the digest (MessageDigest: "SHA-256" ...) or key
	// derivation (SecretKey: "PBKDF2WithHmacSHA512" ...); "" means the
	// class's default.
	Algorithm string
	// Encoding is the MessageDigest handler's charset ("" means UTF-8).
	Encoding string
	// Nested are a NestedCredentialHandler's handlers.
	Nested []*Handler
	Line   int
}

// ParseServer reads the UserDatabase resources and realms of server.xml.
func ParseServer(data []byte) (*Server, error) {
	s := &Server{Databases: map[string]string{}}
	type open struct {
		depth   int
		handler *Handler
	}
	var realms []struct {
		depth int
		idx   int
	}
	var handlers []open
	root := ""
	err := walk(data, func(el xml.StartElement, line int, parents []string) {
		depth := len(parents)
		if depth == 0 {
			root = el.Name.Local
		}
		// Leave the realms and handlers this element is not inside.
		for len(realms) > 0 && realms[len(realms)-1].depth >= depth {
			realms = realms[:len(realms)-1]
		}
		for len(handlers) > 0 && handlers[len(handlers)-1].depth >= depth {
			handlers = handlers[:len(handlers)-1]
		}
		class, _ := attr(el, "className")
		switch el.Name.Local {
		case "Resource":
			if depth < 1 || parents[depth-1] != "GlobalNamingResources" {
				return
			}
			factory, _ := attr(el, "factory")
			typ, _ := attr(el, "type")
			if factory != factoryMemoryUserDatabse && !(factory == "" && typ == "org.apache.catalina.UserDatabase") {
				return
			}
			name, _ := attr(el, "name")
			p, ok := attr(el, "pathname")
			if !ok || p == "" {
				p = DefaultPathname
			}
			s.Databases[name] = p
		case "Realm":
			if class != ClassUserDatabaseRealm {
				return
			}
			res, ok := attr(el, "resourceName")
			if !ok || res == "" {
				res = "UserDatabase"
			}
			s.Realms = append(s.Realms, Realm{Resource: res, Line: line})
			realms = append(realms, struct{ depth, idx int }{depth, len(s.Realms) - 1})
		case "CredentialHandler":
			h := &Handler{Class: class, Line: line}
			h.Algorithm, _ = attr(el, "algorithm")
			h.Encoding, _ = attr(el, "encoding")
			switch {
			case len(handlers) > 0:
				parent := handlers[len(handlers)-1].handler
				parent.Nested = append(parent.Nested, h)
			case len(realms) > 0 && realms[len(realms)-1].depth == depth-1:
				r := &s.Realms[realms[len(realms)-1].idx]
				if r.Handler == nil {
					r.Handler = h
				}
			default:
				return
			}
			handlers = append(handlers, open{depth: depth, handler: h})
		}
	})
	if err != nil {
		return nil, err
	}
	if root != "Server" {
		return nil, fmt.Errorf("%w: root element is %q, not Server", ErrMalformed, root)
	}
	return s, nil
}

// Describe returns the handler as a short text for evidence:
// "MessageDigestCredentialHandler SHA-256".
func (h *Handler) Describe() string {
	if h == nil {
		return "plain text (no CredentialHandler)"
	}
	name := h.Class[strings.LastIndexByte(h.Class, '.')+1:]
	if h.Class == ClassNested {
		parts := make([]string, len(h.Nested))
		for i, n := range h.Nested {
			parts[i] = n.Describe()
		}
		return name + "(" + strings.Join(parts, ", ") + ")"
	}
	if h.Algorithm != "" {
		return name + " " + h.Algorithm
	}
	return name
}

// parseIterations reads the iterations of a "salt$iterations$hash"
// credential.
func parseIterations(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("iterations %q", short(s))
	}
	return n, nil
}

func short(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}
