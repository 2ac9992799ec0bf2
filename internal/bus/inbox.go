package bus

// CenterInboxPrefix is the inbox prefix of the center's own bus connection.
// No agent may subscribe under it, and every genuine command reaches an
// agent as a request whose reply subject starts with CenterInboxPrefix
// followed by a dot.
const CenterInboxPrefix = "_INBOX_VIGIL_CENTER"
