// Package services is the risk/services collector: weak credentials and
// open doors of the applications that run on the host (asset kind
// "weak-password"). Nothing but the host's own services is ever probed,
// and only on a loopback address.
//
// # Checks
//
// Each check can be turned off in the settings (checks).
//
//	redis          PING without AUTH on loopback: answered (no_auth); else
//	               AUTH PASSWORD with the candidates (Redis 6 and later
//	               apply it to the ACL user "default"), until +OK.
//	               CONFIG GET protected-mode tells an open Redis that
//	               listens beyond loopback with protected mode off.
//	mysql/mariadb  The connection phase of the classic protocol on
//	               loopback (HandshakeV10, HandshakeResponse41,
//	               mysql_native_password, caching_sha2_password with its
//	               RSA full authentication, auth switch requests to those):
//	               root with an empty password, the anonymous user ('')
//	               with an empty password, then root with the candidates.
//	               Debian's MariaDB root (unix_socket) refuses them all
//	               and is not weak; an account asking for a plugin the
//	               check does not speak (ed25519) is not guessed further.
//	postgresql     pg_hba.conf of each running server (its -D, config_file
//	               and hba_file) and of each Debian cluster
//	               (/etc/postgresql/*/*/postgresql.conf): trust for other
//	               hosts (trust_remote), trust for local connections
//	               (trust_local), password (clear text) for other hosts
//	               without hostssl (cleartext_password). The line is the
//	               evidence.
//	ssh            sshd's effective configuration, read as sshd reads it
//	               (-f, -o, Include, Match, OpenSSH's defaults; sshd is
//	               not run): PermitRootLogin yes, PermitEmptyPasswords yes,
//	               PasswordAuthentication yes, for every connection and in
//	               each Match block that turns one on.
//	tomcat         The users of tomcat-users.xml (found from each running
//	               Tomcat's catalina.base and server.xml, and in
//	               /etc/tomcat*/) with a role of manager-gui,
//	               manager-script, manager-jmx, admin-gui, admin-script
//	               (manager, admin in Tomcat 6): their stored password is
//	               compared with the candidates as the realm's
//	               CredentialHandler compares (plain text, MessageDigest,
//	               SecretKey, Nested). Nothing is sent to Tomcat.
//	memcached      Listening beyond loopback (TCP or UDP, from the socket
//	               table) without -S (SASL); "version" asked on loopback
//	               confirms it answers without authentication.
//	mongodb        OP_MSG hello and listDatabases without credentials on
//	               loopback: ok: 1 is the finding. A mongod not reachable
//	               on loopback is judged by --auth, --noauth, --keyFile and
//	               its configuration file (security.authorization).
//	elasticsearch  GET / without credentials on loopback (and OpenSearch)
//	               answered 200: security is off; GET /_cat/indices tells
//	               how much is exposed.
//
// Running services are found as the app/middleware collector finds them
// (the executable's name, a JVM's main class and properties), and the
// addresses they listen on from the socket table of the agent's network
// namespace (package net/listeners). With a root other than "/" (a
// fixture tree, a mounted image) only files are checked.
//
// # Probes
//
// A probe connects to 127.0.0.1 (or another 127.0.0.0/8 address, or ::1)
// even when the service listens on the wildcard address; a connection
// to any other address is refused at the socket. A service that listens
// only on other addresses is not probed and is counted in
// services_skipped. Attempts against one service are paced (rate, 2 per
// second by default), bounded (max_attempts, 100 by default), each
// exchange bounded by timeout (5 s), and stop at the first hit. The
// candidates are the product's well-known defaults first, then the
// settings' words, then the dictionary (Collector.Words). Guessing can
// count against lockout policies the services have (MySQL's
// FAILED_LOGIN_ATTEMPTS, MariaDB's max_password_errors): max_attempts
// bounds it, and checks turns it off.
//
// A check that cannot conclude (a timeout, an answer that is no known
// protocol) keeps its previous findings, so that a finding is not
// reported fixed because a service was busy, and counts in errors.
//
// # Items
//
// One item per finding; Name is the product (redis, mysql, mariadb,
// postgresql, ssh, tomcat, memcached, mongodb, elasticsearch,
// opensearch). Keys are "PRODUCT:ADDRESS:TYPE" for a service
// ("redis:127.0.0.1:6379:no_auth", with the account for MySQL,
// "mariadb:127.0.0.1:3306:root:empty"), and name the file for a
// configuration ("ssh:/etc/ssh/sshd_config:permit_root_login",
// "tomcat:/etc/tomcat10/tomcat-users.xml:admin:default",
// "postgresql:FILE:trust_remote:host all all 0.0.0.0/0 trust"). The
// names of types, hints and sources are those of the risk/accounts
// collector. Fields:
//
//	vigil.weak_password.target     the product
//	vigil.weak_password.type       no_auth; empty, default, dictionary (a
//	                               guessed password); anonymous_access
//	                               (MySQL); trust_remote, trust_local,
//	                               cleartext_password (pg_hba.conf);
//	                               permit_root_login,
//	                               permit_empty_passwords,
//	                               password_authentication (sshd)
//	vigil.weak_password.severity   critical, high, medium, low (below)
//	vigil.weak_password.reason     what is wrong, in a sentence
//	vigil.weak_password.evidence   the file and line, or what the service
//	                               answered
//	vigil.weak_password.account    the account guessed (Redis's ACL user,
//	                               MySQL's root, a Tomcat user)
//	vigil.weak_password.anonymous  true for MySQL's anonymous user
//	vigil.weak_password.hint       the guessed password masked ("p*****3":
//	                               first and last characters, stars only up
//	                               to three characters)
//	vigil.weak_password.length     its length in characters
//	vigil.weak_password.source     the list it came from: default (the
//	                               product's well-known ones), account (the
//	                               account's name), list:policy (the
//	                               settings' words), builtin (the dictionary)
//	vigil.weak_password.listen     the addresses the service listens on
//	                               ("tcp/0.0.0.0:6379")
//	server.address, server.port    the address probed, or listened on
//	file.path                      the configuration file of the finding
//	process.executable, process.pid the service's first process
//
// A guessed password itself, and any stored credential, never leave the
// collector: not in an item, a log line or an error.
//
// # Severity
//
//	critical  a database or cache reachable beyond loopback without
//	          credentials or with a guessable password; pg_hba.conf trust
//	          for other hosts on a server listening beyond loopback
//	high      Redis open beyond loopback where protected mode is unknown;
//	          memcached beyond loopback without SASL; a Tomcat manager or
//	          admin account with a guessable password; sshd letting root,
//	          or empty passwords, in with passwords on
//	medium    the same services open to local users only (loopback), or
//	          kept to them by Redis's protected mode; pg_hba.conf trust for
//	          other hosts on a server that listens on loopback only, or
//	          clear-text passwords for other hosts; sshd PermitRootLogin or
//	          PermitEmptyPasswords yes with passwords off
//	low       pg_hba.conf trust for local connections; sshd
//	          PasswordAuthentication yes
//
// # Settings
//
//	{"rate": 2, "max_attempts": 100, "timeout": "5s", "words": ["..."],
//	 "checks": {"redis": true, "mysql": true, "postgresql": true,
//	            "ssh": true, "tomcat": true, "memcached": true,
//	            "mongodb": true, "elasticsearch": true}}
//
// decoded strictly; max_attempts at the rate must fit in MaxRunGuessing.
package services
