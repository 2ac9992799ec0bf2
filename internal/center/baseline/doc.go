// Package baseline is the center's login behaviour baseline: it learns,
// for every user of every host, from where and at what hour the user
// logs in, and marks each new login with how it compares, so that
// detection rules can flag a user's first login from an address never
// seen, from a new network, or at an hour the user never logs in.
//
// # What counts as a login
//
// One successful login is one event with event.action "logged-in",
// event.category authentication (the string, or a list holding it),
// event.outcome success, user.name and agent.id set (UTF-8 without NUL,
// at most 256 bytes: longer names are no account's). The authlog sensor
// emits it for sshd's "Accepted ..." lines and for login's "LOGIN ON" and
// "ROOT LOGIN" lines. Not counted:
//
//   - the wtmp records of the same logins (login-recorded): every login
//     that writes a wtmp record also writes a log line, and the line is
//     the one that says how the user authenticated; counting both would
//     count each login twice, so only the log line counts;
//   - PAM's session-opened and session-closed, which cron, systemd user
//     sessions and su open too;
//   - su, sudo and pkexec: they are the use of privileges by a user
//     already logged in, not logins;
//   - failures of any kind (login-failed, invalid-user, login-denied,
//     authentication-failed, failed-login-recorded).
//
// # Judging a login
//
// Each login is first judged against what was learned before it, then
// learned. The judgment is written into the event under
// vigil.baseline.login (the fields rules and alerts see):
//
//	status         "learning" or "learned"
//	hour           hour of the day (0-23) of @timestamp in the baseline's time zone
//	logins         logins learned before this one
//	known_sources  addresses learned before this one
//	new_source     source.ip never seen for this user on this host
//	new_network    no learned address in the same /24 (IPv4) or /64 (IPv6)
//	unusual_hour   the hour and its two neighbours (23 and 0 are neighbours)
//	               held fewer than UnusualHourShare of the learned logins
//
// The last three are set only once the profile is learned: at least
// MinLogins logins learned and LearningPeriod passed since the first
// one, both at the time of the login being judged. A login without
// source.ip (a console login, or sshd logging a host name instead of an
// address) is judged on its hour only: new_source and new_network are
// absent.
//
// Time comes from the event's @timestamp, not the clock, so events that
// arrive late are placed where they happened; only an event without a
// valid @timestamp takes the clock's time.
//
// # Memory and the store
//
// Profiles live in memory (sharded by agent and user, so that logins of
// different users do not wait for each other) and in the store
// (store.BaselineStore). Load reads them at start; Flush writes the
// profiles changed since the last Flush in one call, and the detection
// service calls it at every checkpoint before acknowledging the events,
// so a restart loses nothing learned. A profile keeps at most MaxSources
// addresses: the least recently seen is dropped, and is new again when
// it comes back.
//
// The time a profile left learning is not kept in store.LoginProfile;
// Profiles computes it as the later of FirstSeen plus LearningPeriod and
// an estimate of the MinLogins-th login's time, spreading the learned
// logins evenly between FirstSeen and LastSeen (exact when the profile
// holds exactly MinLogins logins, or when MinLogins is 1).
package baseline
