// Package middleware is the app/middleware collector: the web servers,
// application servers, databases, caches, queues and container engines
// that run on the host, and those that are installed and do not run
// (asset kind "middleware").
//
// # Products
//
// service.type, how a process is recognised, and its install path:
//
//	nginx          executable nginx                        the executable
//	apache         executable apache2 or httpd             the executable
//	tomcat         JVM with -Dcatalina.home or main class  catalina.home
//	               org.apache.catalina.startup.Bootstrap
//	wildfly        JVM with -Djboss.home.dir started by     jboss.home.dir
//	               jboss-modules (standalone, or the
//	               process controller, host controller and
//	               servers of a managed domain: the role)
//	weblogic       JVM with main class weblogic.Server      wls.home (or weblogic.home)
//	mysql          executable mysqld or mariadbd            the executable
//	               (service.name "mariadb" for MariaDB)
//	postgresql     executable postgres (or postmaster)      the executable
//	redis          redis-server (the command name, or       the executable
//	               args[0]: Debian's is a link to
//	               redis-check-rdb)
//	memcached      executable memcached                    the executable
//	mongodb        executable mongod                       the executable
//	elasticsearch  JVM with main class                      es.path.home
//	               org.elasticsearch.bootstrap.Elasticsearch
//	kafka          JVM with main class kafka.Kafka          the folder above the class
//	                                                        path's kafka_*.jar
//	zookeeper      JVM with main class QuorumPeerMain or    the folder above the class
//	               ZooKeeperServerMain                      path's zookeeper-*.jar
//	hbase          JVM with main class HMaster or           hbase.home.dir
//	               HRegionServer (the role)
//	php-fpm        executable php-fpm[VERSION]             the executable
//	docker         executable dockerd                      the executable
//	containerd     executable containerd                   the executable
//
// A JVM is a process whose executable (or args[0]) is java, or jsvc,
// which some packages start Tomcat with; its -D properties, class path
// and main class are read from its arguments.
//
// An executable is named by its real path (the kernel's /proc/PID/exe),
// so that Debian's /usr/sbin/mysqld, a link to mariadbd, and the
// package's own file list agree.
//
// # Instances
//
// A process whose parent belongs to the same product (in the same
// container) is part of its parent's instance: nginx's and Apache's
// workers, PostgreSQL's auxiliary and client processes, PHP-FPM's pools.
// Each instance is one item, with the first process (the master) as the
// one shown; vigil.middleware.multi_process says whether there are
// others. Their number is left out: it follows the load for products that
// start a process per client or on demand (PostgreSQL, Apache's prefork
// and event workers, PHP-FPM's dynamic pools), and the item would change
// with it.
//
// A product installed by an OS package (see below) that no instance on
// the host runs is an item with vigil.middleware.running false, its
// package, version and default configuration.
//
// # Keys
//
// "TYPE:INSTALL" ("nginx:/usr/sbin/nginx", "tomcat:/usr/share/tomcat10"),
// with ":ROLE" for a product whose servers have roles
// ("hbase:/opt/hbase:master") and "@CONTAINER" for one in a container.
// Several instances of one install ("redis:/usr/bin/redis-check-rdb" on
// ports 6379 and 6380) are told apart by "#" and the first of these that
// differs between all of them: the lowest port each listens on, the
// configuration file, the instance folder, or a digest of the command
// line (with the rank by start time when even those are equal). So an
// installed product keeps its key whether it runs or not, and a single
// instance keeps it across restarts; the keys of several instances
// change when their number goes to or from one.
//
// # Fields
//
//	service.type, service.name    the product (service.name "mariadb" for MariaDB)
//	service.version               its version, when one of the sources below gives it
//	vigil.middleware.version_source
//	                              where the version comes from: dpkg, binary,
//	                              go-buildinfo, archive, file-name, file
//	vigil.middleware.running      whether an instance runs
//	vigil.middleware.install_path the install path (table above)
//	vigil.middleware.instance_path the instance's own folder where it has one:
//	                              catalina.base, the PostgreSQL data folder,
//	                              the WildFly base folder, the WebLogic domain
//	vigil.middleware.role         the server's role (hbase, wildfly domains,
//	                              the WebLogic server name)
//	file.path                     the main configuration file
//	vigil.middleware.config_source where its path comes from: command-line,
//	                              default (the product's default, the command
//	                              line naming none), default-port-match (see
//	                              below)
//	process.name, process.executable   the instance's first process
//	vigil.process.executable_deleted   its executable was deleted or replaced
//	user.id, user.name            the effective user of the first process
//	vigil.middleware.users        the users of all its processes (nginx:
//	                              root and www-data)
//	vigil.middleware.multi_process   whether it has more than one process
//	destination.port              the TCP ports it listens on, a list
//	vigil.middleware.listen       the listening addresses ("127.0.0.1:6379")
//	container.id                  the container it runs in
//	package.name, package.version, package.type, package.architecture
//	                              the installed package that owns the
//	                              executable (or the product's archive), or
//	                              package.name "none" when no package owns
//	                              it; left out for a process in a container
//	                              and on hosts without a dpkg database
//
// No pid, start time or other value that changes on each run is in an
// item (besides the process count above).
//
// # Versions
//
// No version is guessed and no product is run to ask it (nginx -v,
// mysqld --version): running a binary found on the host as root is a
// risk the agent does not take. The first source that gives a version
// wins:
//
//  1. dpkg: the upstream part (no epoch, no Debian revision, no +dfsg)
//     of the version in /var/lib/dpkg/status of the installed package
//     that owns the executable (args[0] first when it is a link to it:
//     redis-server rather than redis-tools) or the product's archive
//     (Tomcat's lib/catalina.jar). Not used when the executable was
//     deleted or replaced since the process started: the package's
//     version is then that of the new file, not of the running one.
//  2. The product's own files:
//     nginx, apache, postgresql, memcached, MariaDB: the version string
//     compiled into the executable's .rodata ("nginx/1.22.1",
//     "Apache/2.4.57", "PostgreSQL 15.5 (", "memcached 1.6.18",
//     "10.11.6-MariaDB"), read from /proc/PID/exe, so the running file's;
//     every occurrence is read, the one with the most components wins and
//     two different ones of the same length give none.
//     docker, containerd: the Go build information of the executable:
//     the -X linker flag that stamps the release, or the main module's
//     version.
//     tomcat: server.info in lib/catalina.jar's
//     org/apache/catalina/util/ServerInfo.properties, else RELEASE-NOTES.
//     wildfly: JBoss-Product-Release-Version of the product module named
//     by bin/product.conf, else version.txt (JBoss EAP).
//     weblogic: Implementation-Version of lib/weblogic.jar's manifest.
//     elasticsearch, hbase: the name of lib/elasticsearch-V.jar,
//     lib/hbase-common-V.jar; kafka, zookeeper: the name of the class
//     path's kafka_S-V.jar, zookeeper-V.jar (zookeeper also its
//     manifest's Implementation-Version).
//     redis, mongodb, php-fpm, MySQL: none of their files marks the
//     version unambiguously: without a package, no version.
//
// What is read from an executable or an archive is kept for as long as
// the file's device, inode, size and modification time stay the same.
//
// # Configuration
//
// The configuration path comes from the command line where the product
// takes it there: nginx -c (relative to -p or the install), apache -f
// (relative to -d), mysqld --defaults-file, postgres -c config_file= or
// -D's postgresql.conf, redis-server's first argument, mongod
// --config/-f, php-fpm's master title or -y, dockerd --config-file,
// containerd --config, Tomcat's catalina.base (conf/server.xml) or
// -config, WildFly's -c/--server-config below its configuration folder,
// WebLogic's domain (weblogic.RootDirectory, else the working folder)
// config/config.xml, Elasticsearch's es.path.conf, Kafka's and
// ZooKeeper's first argument, HBase's configuration folder (the first
// class path entry). Without one, the product's default is taken when it
// exists (/etc/nginx/nginx.conf, /etc/apache2/apache2.conf,
// /etc/mysql/my.cnf ...).
//
// Redis rewrites its title ("/usr/bin/redis-server 127.0.0.1:6379",
// Debian's default template) and memcached reads no file (Debian's
// wrapper turns /etc/memcached.conf into options): for them the default
// file (/etc/redis/redis.conf, /etc/memcached.conf) is taken only when
// the port it sets is one the instance listens on
// (default-port-match); otherwise file.path is left out.
//
// # Ports
//
// The listening TCP sockets of the instance's processes: the socket
// inodes of /proc/PID/fd joined with the tcp and tcp6 tables of the
// process's network namespace (/proc/PID/net, read once per namespace).
// UDP is left out: the ports of those products' UDP sockets are random
// (statistics, resolvers) and would change the item on every restart.
//
// # Files
//
// The files of a process are read through /proc/PID/root, so a
// container's are its own; links are followed inside that view only.
// Every file is read with a bound: configuration 1 MiB, text 64 KiB,
// archives 256 MiB with entries of 1 MiB, .rodata 256 MiB read in 1 MiB
// chunks, the dpkg status file 128 MiB.
package middleware
