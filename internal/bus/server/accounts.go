package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/nats-io/jwt/v2"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// operatorName names the operator in its JWT.
const operatorName = "vigil"

// operatorClaims returns the operator JWT's claims, naming SYS as the
// system account.
func (ks *keySet) operatorClaims() (*jwt.OperatorClaims, error) {
	oc := jwt.NewOperatorClaims(ks.operator.pub)
	oc.Name = operatorName
	oc.SystemAccount = ks.sys.pub
	tok, err := oc.Encode(ks.operator.kp)
	if err != nil {
		return nil, fmt.Errorf("sign operator JWT: %w", err)
	}
	claims, err := jwt.DecodeOperatorClaims(tok)
	if err != nil {
		return nil, fmt.Errorf("decode operator JWT: %w", err)
	}
	return claims, nil
}

// sysAccountJWT returns the system account's JWT.
func (ks *keySet) sysAccountJWT() (string, error) {
	ac := jwt.NewAccountClaims(ks.sys.pub)
	ac.Name = bus.SystemAccount
	tok, err := ac.Encode(ks.operator.kp)
	if err != nil {
		return "", fmt.Errorf("sign %s account JWT: %w", bus.SystemAccount, err)
	}
	return tok, nil
}

// vigilAccountJWT returns the VIGIL account's JWT: JetStream without
// limits, the signing key for user JWTs, and the revocations.
func (ks *keySet) vigilAccountJWT(revoked jwt.RevocationList) (string, *jwt.AccountClaims, error) {
	ac := jwt.NewAccountClaims(ks.vigil.pub)
	ac.Name = bus.Account
	ac.SigningKeys.Add(ks.signing.pub)
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{
		MemoryStorage: jwt.NoLimit, DiskStorage: jwt.NoLimit,
		Streams: jwt.NoLimit, Consumer: jwt.NoLimit, MaxAckPending: jwt.NoLimit,
	}
	for pub, at := range revoked {
		if ac.Revocations == nil {
			ac.Revocations = jwt.RevocationList{}
		}
		ac.Revocations[pub] = at
	}
	tok, err := ac.Encode(ks.operator.kp)
	if err != nil {
		return "", nil, fmt.Errorf("sign %s account JWT: %w", bus.Account, err)
	}
	claims, err := jwt.DecodeAccountClaims(tok)
	if err != nil {
		return "", nil, fmt.Errorf("decode %s account JWT: %w", bus.Account, err)
	}
	return tok, claims, nil
}

// loadRevocations reads the revocation list (user public key -> unix
// seconds: JWTs issued at or before it are refused); a missing file is an
// empty list.
func loadRevocations(path string) (jwt.RevocationList, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return jwt.RevocationList{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read revocations: %w", err)
	}
	list := jwt.RevocationList{}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return list, nil
}

// saveRevocations writes the revocation list.
func saveRevocations(path string, list jwt.RevocationList) error {
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return fmt.Errorf("encode revocations: %w", err)
	}
	if err := securefile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save revocations: %w", err)
	}
	return nil
}
