package enroll

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/api/httpjson"
)

// maxIPs bounds the addresses kept from an agent's facts.
const maxIPs = 256

// failure is an answer other than success.
type failure = httpjson.Error

func clientError(status int, msg string) *failure { return &failure{Status: status, Message: msg} }

// asFailure turns any error into the answer: an internal error's text stays
// in the log.
func asFailure(err error) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	return clientError(http.StatusInternalServerError, "internal error")
}

func retryAfter(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// decodeRequest reads the enrollment request strictly.
func decodeRequest(w http.ResponseWriter, r *http.Request) (bus.EnrollRequest, error) {
	var req bus.EnrollRequest
	if err := httpjson.DecodeBody(w, r, &req, maxBody); err != nil {
		return req, err
	}
	return req, checkRequest(req)
}

// parseRequest decodes one enrollment request strictly (one JSON object, no
// unknown fields) and checks it.
func parseRequest(data []byte, req *bus.EnrollRequest) error {
	if err := httpjson.Decode(data, req); err != nil {
		return err
	}
	return checkRequest(*req)
}

// checkRequest requires a token and a public key.
func checkRequest(req bus.EnrollRequest) error {
	if req.Token == "" {
		return clientError(http.StatusBadRequest, "token: required")
	}
	if req.PublicKey == "" {
		return clientError(http.StatusBadRequest, "public_key: required")
	}
	return nil
}

// parseFacts reads the protojson host facts; fields a newer agent knows
// and this center does not are ignored.
func parseFacts(m map[string]any) (*busv1.HostFacts, error) {
	facts := &busv1.HostFacts{}
	if len(m) == 0 {
		return facts, nil
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, clientError(http.StatusBadRequest, "facts: "+err.Error())
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, facts); err != nil {
		return nil, clientError(http.StatusBadRequest, "facts: "+err.Error())
	}
	if len(facts.Ips) > maxIPs {
		return nil, clientError(http.StatusBadRequest, fmt.Sprintf("facts.ips: at most %d", maxIPs))
	}
	for _, ip := range facts.Ips {
		if net.ParseIP(ip) == nil {
			return nil, clientError(http.StatusBadRequest, fmt.Sprintf("facts.ips: %q is not an IP address", ip))
		}
	}
	for name, v := range map[string]string{
		"os": facts.Os, "platform": facts.Platform, "platformVersion": facts.PlatformVersion,
		"kernel": facts.Kernel, "arch": facts.Arch, "agentVersion": facts.AgentVersion,
	} {
		if err := checkText("facts."+name, v, 0, 255); err != nil {
			return nil, err
		}
	}
	return facts, nil
}

// checkText requires printable UTF-8 of min to max bytes.
func checkText(what, v string, min, max int) error {
	if len(v) < min || len(v) > max || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		if len(v) == 0 {
			return clientError(http.StatusBadRequest, what+": required")
		}
		return clientError(http.StatusBadRequest, fmt.Sprintf("%s: want %d to %d printable bytes", what, min, max))
	}
	return nil
}
