// Package tomcatconf reads Apache Tomcat's conf/server.xml (its
// services, connectors, engines and virtual hosts) and the context
// descriptors of conf/<Engine>/<Host>/*.xml.
//
// Attribute values get ${name} replaced from the properties the caller
// gives (catalina.base, catalina.home), as Tomcat replaces system
// properties; other references are kept as written. External XML
// entities are not read.
package tomcatconf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrFormat is wrapped by every error about a malformed file.
var ErrFormat = errors.New("malformed Tomcat configuration")

// Certificate is a Certificate element of an SSLHostConfig, or the
// certificate attributes of a connector in the older syntax.
type Certificate struct {
	// File is a PEM certificate (certificateFile, SSLCertificateFile).
	File string `json:"file,omitempty"`
	// Keystore is a Java keystore (certificateKeystoreFile,
	// keystoreFile).
	Keystore string `json:"keystore,omitempty"`
}

// Connector is a Connector element.
type Connector struct {
	// Port is the port; 0 when the attribute is missing or not a number
	// (PortRaw keeps it then).
	Port    int    `json:"port,omitempty"`
	PortRaw string `json:"port_raw,omitempty"`
	// Address is the address it binds to, "" for all.
	Address string `json:"address,omitempty"`
	// Protocol as written ("HTTP/1.1", "AJP/1.3", a class name).
	Protocol string `json:"protocol,omitempty"`
	// SSLEnabled is the attribute of that name; Secure and Scheme
	// likewise.
	SSLEnabled bool   `json:"ssl_enabled,omitempty"`
	Secure     bool   `json:"secure,omitempty"`
	Scheme     string `json:"scheme,omitempty"`
	// Certificates are those it presents.
	Certificates []Certificate `json:"certificates,omitempty"`
	// Line is where the element starts.
	Line int `json:"line,omitempty"`
}

// IsAJP reports whether the connector speaks AJP.
func (c Connector) IsAJP() bool { return strings.Contains(strings.ToUpper(c.Protocol), "AJP") }

// Context is a Context element or descriptor: a web application with
// its own path or document base.
type Context struct {
	// Path is the context path ("" for the root one); DocBase its
	// folder or WAR, as written.
	Path    string `json:"path"`
	DocBase string `json:"doc_base,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// Host is a Host element.
type Host struct {
	Name string
	// AppBase is the application folder as written (default
	// "webapps").
	AppBase string
	// Aliases are the Alias elements' names.
	Aliases []string
	// Contexts are the Context elements inside.
	Contexts []Context
	// Line is where the element starts.
	Line int
}

// Engine is the Engine element of a service.
type Engine struct {
	Name, DefaultHost string
	Hosts             []Host
}

// Service is a Service element.
type Service struct {
	Name       string
	Connectors []Connector
	Engine     Engine
}

// Server is a server.xml.
type Server struct {
	Services []Service
}

// maxItems bounds the elements of each kind kept.
const maxItems = 1024

// Parse reads a server.xml; props replace ${name} in attribute values.
func Parse(data []byte, props map[string]string) (*Server, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	srv := &Server{}
	var (
		svc       *Service
		host      *Host
		conn      *Connector
		stack     []string
		inAlias   bool
		aliasText strings.Builder
		sawServer bool
	)
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return srv, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= 64 {
				return srv, fmt.Errorf("%w: elements nested deeper than 64", ErrFormat)
			}
			stack = append(stack, t.Name.Local)
			at := func(name string) string { return expand(attr(t, name), props) }
			switch t.Name.Local {
			case "Server":
				sawServer = true
			case "Service":
				if len(srv.Services) < maxItems {
					srv.Services = append(srv.Services, Service{Name: at("name")})
					svc = &srv.Services[len(srv.Services)-1]
				}
			case "Connector":
				if svc != nil && len(svc.Connectors) < maxItems {
					c := Connector{Address: at("address"), Protocol: at("protocol"), Scheme: at("scheme"), Line: line,
						SSLEnabled: isTrue(at("SSLEnabled")), Secure: isTrue(at("secure"))}
					if c.Protocol == "" {
						c.Protocol = "HTTP/1.1"
					}
					raw := at("port")
					if n, err := strconv.Atoi(raw); err == nil && n >= 0 && n <= 65535 {
						c.Port = n
					} else {
						c.PortRaw = raw
					}
					if f, k := at("SSLCertificateFile"), at("keystoreFile"); f != "" || k != "" {
						c.Certificates = append(c.Certificates, Certificate{File: f, Keystore: k})
					}
					svc.Connectors = append(svc.Connectors, c)
					conn = &svc.Connectors[len(svc.Connectors)-1]
				}
			case "Certificate":
				if conn != nil && len(conn.Certificates) < 16 {
					if f, k := at("certificateFile"), at("certificateKeystoreFile"); f != "" || k != "" {
						conn.Certificates = append(conn.Certificates, Certificate{File: f, Keystore: k})
					}
				}
			case "Engine":
				if svc != nil {
					svc.Engine.Name, svc.Engine.DefaultHost = at("name"), at("defaultHost")
				}
			case "Host":
				if svc != nil && len(svc.Engine.Hosts) < maxItems {
					h := Host{Name: at("name"), AppBase: at("appBase"), Line: line}
					if h.AppBase == "" {
						h.AppBase = "webapps"
					}
					svc.Engine.Hosts = append(svc.Engine.Hosts, h)
					host = &svc.Engine.Hosts[len(svc.Engine.Hosts)-1]
				}
			case "Alias":
				inAlias = host != nil
				aliasText.Reset()
			case "Context":
				if host != nil && len(host.Contexts) < maxItems {
					host.Contexts = append(host.Contexts, Context{Path: at("path"), DocBase: at("docBase"), Line: line})
				}
			}
		case xml.CharData:
			if inAlias && aliasText.Len() < 1024 {
				aliasText.Write(t)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return srv, fmt.Errorf("%w: unexpected </%s>", ErrFormat, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
			switch t.Name.Local {
			case "Service":
				svc, conn, host = nil, nil, nil
			case "Connector":
				conn = nil
			case "Host":
				host = nil
			case "Alias":
				if inAlias && host != nil && len(host.Aliases) < maxItems {
					if a := strings.TrimSpace(aliasText.String()); a != "" {
						host.Aliases = append(host.Aliases, a)
					}
				}
				inAlias = false
			}
		}
	}
	if !sawServer {
		return srv, fmt.Errorf("%w: no Server element", ErrFormat)
	}
	return srv, nil
}

// ParseContext reads a context descriptor (conf/Catalina/localhost/
// app.xml, META-INF/context.xml): its docBase and path attributes.
func ParseContext(data []byte, props map[string]string) (Context, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Context{}, fmt.Errorf("%w: no Context element", ErrFormat)
			}
			return Context{}, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		if t, ok := tok.(xml.StartElement); ok {
			if t.Name.Local != "Context" {
				return Context{}, fmt.Errorf("%w: root element %s, not Context", ErrFormat, t.Name.Local)
			}
			return Context{Path: expand(attr(t, "path"), props), DocBase: expand(attr(t, "docBase"), props), Line: line}, nil
		}
	}
}

// ContextPath returns the context path of a web application deployed
// as name (a folder, name.war or name.xml without its suffix): "ROOT"
// is the root, '#' stands for '/'; a "##version" suffix is dropped.
func ContextPath(name string) string {
	if i := strings.Index(name, "##"); i >= 0 {
		name = name[:i]
	}
	if name == "ROOT" || name == "" {
		return "/"
	}
	return "/" + strings.ReplaceAll(name, "#", "/")
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func isTrue(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

// expand replaces ${name} with props[name]; unknown names stay.
func expand(s string, props map[string]string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var sb strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		sb.WriteString(s[:i])
		if v, ok := props[s[i+2:i+j]]; ok {
			sb.WriteString(v)
		} else {
			sb.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
	sb.WriteString(s)
	return sb.String()
}
