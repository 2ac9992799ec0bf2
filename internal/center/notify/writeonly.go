package notify

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
)

// The write-only fields of a channel are its credentials: the URL of a
// webhook or robot (robot URLs carry their token), the signing secret
// of a webhook or robot, the values of a webhook's custom headers and
// the SMTP password. The API never shows them (ConfigView shows
// whether each is set, and a URL without its credentials), the store
// keeps them sealed (SplitSecrets), and a replacement that leaves one
// out keeps the stored value (ParseChannelUpdate).

// WriteOnly stands for a write-only field in ConfigView: whether it is
// set and, for a URL, the URL without its credentials. Given back in an
// update, {"set": true} keeps the stored value and {"set": false}
// clears it.
type WriteOnly struct {
	Set      bool   `json:"set"`
	Redacted string `json:"redacted,omitempty"`
}

// Secrets are the write-only fields of one channel's section, the part
// of its configuration that is stored sealed.
type Secrets struct {
	URL      string            `json:"url,omitempty"`
	Secret   string            `json:"secret,omitempty"`
	Password string            `json:"password,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
}

// IsZero reports whether there is no secret.
func (s Secrets) IsZero() bool {
	return s.URL == "" && s.Secret == "" && s.Password == "" && len(s.Headers) == 0
}

// writeOnlyFields are the write-only fields of each type's section, in
// the order they are shown; "headers" is a map of write-only values.
var writeOnlyFields = map[ChannelType][]string{
	TypeWebhook:  {"url", "secret", "headers"},
	TypeEmail:    {"password"},
	TypeDingTalk: {"url", "secret"},
	TypeWeCom:    {"url"},
	TypeFeishu:   {"url", "secret"},
}

// SplitSecrets returns c without its write-only fields (the section's
// URL, secret, header values and password empty) and those fields. c is
// not changed.
func SplitSecrets(c ChannelConfig) (ChannelConfig, Secrets) {
	var s Secrets
	if w := c.Webhook; w != nil {
		cp := *w
		s.URL, s.Secret = w.URL, string(w.Secret)
		if len(w.Headers) > 0 {
			s.Headers = make(map[string]string, len(w.Headers))
			for k, v := range w.Headers {
				s.Headers[k] = string(v)
			}
		}
		cp.URL, cp.Secret, cp.Headers = "", "", nil
		c.Webhook = &cp
	}
	if e := c.Email; e != nil {
		cp := *e
		s.Password, cp.Password = string(e.Password), ""
		c.Email = &cp
	}
	if d := c.DingTalk; d != nil {
		cp := *d
		s.URL, s.Secret = d.URL, string(d.Secret)
		cp.URL, cp.Secret = "", ""
		c.DingTalk = &cp
	}
	if w := c.WeCom; w != nil {
		cp := *w
		s.URL, cp.URL = w.URL, ""
		c.WeCom = &cp
	}
	if f := c.Feishu; f != nil {
		cp := *f
		s.URL, s.Secret = f.URL, string(f.Secret)
		cp.URL, cp.Secret = "", ""
		c.Feishu = &cp
	}
	return c, s
}

// WithSecrets returns c with the write-only fields of its section set
// from s (the inverse of SplitSecrets). c is not changed.
func WithSecrets(c ChannelConfig, s Secrets) ChannelConfig {
	if w := c.Webhook; w != nil {
		cp := *w
		cp.URL, cp.Secret, cp.Headers = s.URL, Secret(s.Secret), nil
		if len(s.Headers) > 0 {
			cp.Headers = make(map[string]Secret, len(s.Headers))
			for k, v := range s.Headers {
				cp.Headers[k] = Secret(v)
			}
		}
		c.Webhook = &cp
	}
	if e := c.Email; e != nil {
		cp := *e
		cp.Password = Secret(s.Password)
		c.Email = &cp
	}
	if d := c.DingTalk; d != nil {
		cp := *d
		cp.URL, cp.Secret = s.URL, Secret(s.Secret)
		c.DingTalk = &cp
	}
	if w := c.WeCom; w != nil {
		cp := *w
		cp.URL = s.URL
		c.WeCom = &cp
	}
	if f := c.Feishu; f != nil {
		cp := *f
		cp.URL, cp.Secret = s.URL, Secret(s.Secret)
		c.Feishu = &cp
	}
	return c
}

// The shapes of ConfigView: each section with its write-only fields
// replaced (a field of the outer struct hides the embedded one of the
// same JSON name).
type (
	webhookView struct {
		*WebhookConfig
		URL     WriteOnly            `json:"url"`
		Secret  WriteOnly            `json:"secret"`
		Headers map[string]WriteOnly `json:"headers,omitempty"`
	}
	emailView struct {
		*EmailConfig
		Password WriteOnly `json:"password"`
	}
	dingTalkView struct {
		*DingTalkConfig
		URL    WriteOnly `json:"url"`
		Secret WriteOnly `json:"secret"`
	}
	weComView struct {
		*WeComConfig
		URL WriteOnly `json:"url"`
	}
	feishuView struct {
		*FeishuConfig
		URL    WriteOnly `json:"url"`
		Secret WriteOnly `json:"secret"`
	}
	channelConfigView struct {
		ChannelConfig
		Webhook  *webhookView  `json:"webhook,omitempty"`
		Email    *emailView    `json:"email,omitempty"`
		DingTalk *dingTalkView `json:"dingtalk,omitempty"`
		WeCom    *weComView    `json:"wecom,omitempty"`
		Feishu   *feishuView   `json:"feishu,omitempty"`
	}
)

func setOnly(v string) WriteOnly { return WriteOnly{Set: v != ""} }

func urlOnly(v string) WriteOnly {
	if v == "" {
		return WriteOnly{}
	}
	return WriteOnly{Set: true, Redacted: redactURL(v)}
}

// ConfigView returns c as the API shows it: the configuration as an
// update takes it, with each write-only field replaced by a WriteOnly.
// Sending it back unchanged keeps every secret.
func ConfigView(c ChannelConfig) json.RawMessage {
	pub, s := SplitSecrets(c)
	v := channelConfigView{ChannelConfig: pub}
	v.ChannelConfig.Webhook, v.ChannelConfig.Email, v.ChannelConfig.DingTalk = nil, nil, nil
	v.ChannelConfig.WeCom, v.ChannelConfig.Feishu = nil, nil
	if pub.Webhook != nil {
		v.Webhook = &webhookView{WebhookConfig: pub.Webhook, URL: urlOnly(s.URL), Secret: setOnly(s.Secret)}
		if len(s.Headers) > 0 {
			v.Webhook.Headers = make(map[string]WriteOnly, len(s.Headers))
			for k := range s.Headers {
				v.Webhook.Headers[k] = WriteOnly{Set: true}
			}
		}
	}
	if pub.Email != nil {
		v.Email = &emailView{EmailConfig: pub.Email, Password: setOnly(s.Password)}
	}
	if pub.DingTalk != nil {
		v.DingTalk = &dingTalkView{DingTalkConfig: pub.DingTalk, URL: urlOnly(s.URL), Secret: setOnly(s.Secret)}
	}
	if pub.WeCom != nil {
		v.WeCom = &weComView{WeComConfig: pub.WeCom, URL: urlOnly(s.URL)}
	}
	if pub.Feishu != nil {
		v.Feishu = &feishuView{FeishuConfig: pub.Feishu, URL: urlOnly(s.URL), Secret: setOnly(s.Secret)}
	}
	data, err := json.Marshal(v)
	if err != nil {
		// Every field is a string, number, bool, list or map of those.
		panic(fmt.Sprintf("notify: encoding a configuration view: %v", err))
	}
	return data
}

// ParseChannelUpdate decodes the body of an update of channel name (the
// configuration of one channel, as ParseChannelJSON takes it) strictly
// and validates it with the rules of the file. prev is the stored
// configuration of the channel, nil when it is new. A write-only field
// of the section may be given as its value, as "" or null to clear it,
// as {"set": true} to keep the stored value, or left out to keep it;
// left out, "headers" keeps every stored header. Without "name" the
// channel is name; a different name is an error.
//
// It returns the configuration and the write-only fields whose value
// changed ("webhook.secret", "webhook.headers.Authorization"), never
// their values. Errors are FieldErrors with the path of the field.
func ParseChannelUpdate(data []byte, name string, prev *ChannelConfig) (ChannelConfig, []string, error) {
	var v any
	if err := decodeJSONValue(data, &v); err != nil {
		return ChannelConfig{}, nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return ChannelConfig{}, nil, &FieldError{Reason: "bad JSON: want an object"}
	}
	switch n, ok := doc["name"]; {
	case !ok:
		doc["name"] = name
	case n != name:
		if s, isString := n.(string); isString {
			return ChannelConfig{}, nil, &FieldError{Path: "name", Reason: fmt.Sprintf("is %q, but the channel updated is %q", s, name)}
		}
	}
	typ, _ := doc["type"].(string)
	var old Secrets
	if prev != nil && prev.Type == ChannelType(typ) {
		_, old = SplitSecrets(*prev)
	}
	if section, ok := doc[typ].(map[string]any); ok {
		if err := mergeWriteOnly(section, typ, old); err != nil {
			return ChannelConfig{}, nil, err
		}
	}
	merged, err := json.Marshal(doc)
	if err != nil {
		return ChannelConfig{}, nil, &FieldError{Reason: "bad JSON: " + err.Error()}
	}
	c, err := ParseChannelJSON(merged)
	if err != nil {
		return ChannelConfig{}, nil, err
	}
	_, now := SplitSecrets(c)
	return c, changedSecrets(typ, old, now), nil
}

// decodeJSONValue decodes one JSON document, keeping numbers as written.
func decodeJSONValue(data []byte, v any) error {
	return decodeJSONWith(data, v, true)
}

// mergeWriteOnly resolves the write-only fields of a decoded section
// against the stored secrets old.
func mergeWriteOnly(section map[string]any, typ string, old Secrets) error {
	for _, field := range writeOnlyFields[ChannelType(typ)] {
		path := typ + "." + field
		if field == "headers" {
			if err := mergeHeaders(section, path, old.Headers); err != nil {
				return err
			}
			continue
		}
		stored := map[string]string{"url": old.URL, "secret": old.Secret, "password": old.Password}[field]
		v, present := section[field]
		if !present {
			if stored != "" {
				section[field] = stored
			}
			continue
		}
		keep, isMarker, err := writeOnlyMarker(v, path)
		switch {
		case err != nil:
			return err
		case v == nil || (isMarker && !keep):
			delete(section, field)
		case isMarker && stored == "":
			return &FieldError{Path: path, Reason: `{"set": true} keeps the stored value, but none is stored: give the value`}
		case isMarker:
			section[field] = stored
		}
	}
	return nil
}

// mergeHeaders resolves a webhook's headers: left out, they are the
// stored ones; given, each value is a string, null (removed) or a
// marker.
func mergeHeaders(section map[string]any, path string, old map[string]string) error {
	v, present := section["headers"]
	if !present {
		if len(old) > 0 {
			hs := make(map[string]any, len(old))
			for k, val := range old {
				hs[k] = val
			}
			section["headers"] = hs
		}
		return nil
	}
	hs, ok := v.(map[string]any)
	if !ok {
		return nil // null, or a type the strict decoding refuses
	}
	for name, hv := range hs {
		hpath := path + "." + name
		keep, isMarker, err := writeOnlyMarker(hv, hpath)
		switch {
		case err != nil:
			return err
		case hv == nil || (isMarker && !keep):
			delete(hs, name)
		case isMarker:
			stored, found := old[name]
			if !found {
				return &FieldError{Path: hpath, Reason: `{"set": true} keeps the stored value, but none is stored: give the value`}
			}
			hs[name] = stored
		}
	}
	return nil
}

// writeOnlyMarker reads {"set": bool} (with the "redacted" of a view,
// which is ignored). It reports isMarker false for anything but an
// object, and an error for an object that is not a marker.
func writeOnlyMarker(v any, path string) (keep, isMarker bool, err error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return false, false, nil
	}
	set, isBool := obj["set"].(bool)
	for k := range obj {
		if k != "set" && k != "redacted" {
			isBool = false
		}
	}
	if !isBool {
		return false, false, &FieldError{Path: path, Reason: `want the value, or {"set": true} to keep the stored one`}
	}
	return set, true, nil
}

// changedSecrets names the write-only fields whose value differs.
func changedSecrets(typ string, old, now Secrets) []string {
	var out []string
	add := func(field, a, b string) {
		if a != b {
			out = append(out, typ+"."+field)
		}
	}
	add("url", old.URL, now.URL)
	add("secret", old.Secret, now.Secret)
	add("password", old.Password, now.Password)
	names := slices.Collect(maps.Keys(old.Headers))
	for k := range now.Headers {
		if _, ok := old.Headers[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		add("headers."+k, old.Headers[k], now.Headers[k])
	}
	return out
}
