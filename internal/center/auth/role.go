package auth

import "github.com/vigilsec/vigil/internal/store"

// rank orders the roles; a higher rank includes every right of a lower one.
var rank = map[store.Role]int{
	store.RoleViewer:    1,
	store.RoleAnalyst:   2,
	store.RoleResponder: 3,
	store.RoleAdmin:     4,
}

// Allowed reports whether a caller with role have may do what needs role
// need (admin > responder > analyst > viewer). Unknown roles are allowed
// nothing and satisfy nothing.
func Allowed(have, need store.Role) bool {
	h, ok1 := rank[have]
	n, ok2 := rank[need]
	return ok1 && ok2 && h >= n
}

// ValidRole reports whether r is one of the four roles.
func ValidRole(r store.Role) bool {
	_, ok := rank[r]
	return ok
}

// Roles lists the roles, least powerful first.
func Roles() []store.Role {
	return []store.Role{store.RoleViewer, store.RoleAnalyst, store.RoleResponder, store.RoleAdmin}
}
