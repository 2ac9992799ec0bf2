// Package auth is who may call the center's API: argon2id password hashes,
// API tokens and console sessions (only a SHA-256 of each secret is stored),
// the role order admin > responder > analyst > viewer, login throttling and
// the first admin token created on an empty center.
//
// Bearer credentials look like vgt_<id>_<secret> (API tokens, made by an
// admin) and vgs_<id>_<secret> (console sessions from POST /login). The
// SHA-256 of the whole bearer string is the lookup key, so an admin token
// chosen by the operator (VIGIL_ADMIN_TOKEN) needs no particular shape.
package auth
