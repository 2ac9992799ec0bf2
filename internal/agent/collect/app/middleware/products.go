package middleware

import (
	"path"
	"regexp"
	"strings"
)

// Product types: the service.type of the items.
const (
	TypeNginx         = "nginx"
	TypeApache        = "apache"
	TypeTomcat        = "tomcat"
	TypeWildFly       = "wildfly"
	TypeWebLogic      = "weblogic"
	TypeMySQL         = "mysql"
	TypePostgreSQL    = "postgresql"
	TypeRedis         = "redis"
	TypeMemcached     = "memcached"
	TypeMongoDB       = "mongodb"
	TypeElasticsearch = "elasticsearch"
	TypeKafka         = "kafka"
	TypeZooKeeper     = "zookeeper"
	TypeHBase         = "hbase"
	TypePHPFPM        = "php-fpm"
	TypeDocker        = "docker"
	TypeContainerd    = "containerd"
)

// Where an instance's configuration path comes from
// (vigil.middleware.config_source).
const (
	// ConfigCommandLine: named on the process's command line (an option,
	// an argument, a property, a rewritten process title).
	ConfigCommandLine = "command-line"
	// ConfigDefault: the command line names none and the product reads
	// this file by default.
	ConfigDefault = "default"
	// ConfigDefaultPort: the command line does not tell (the product
	// rewrote its title, or was started by a wrapper that turned the file
	// into options), and the product's default file sets the port the
	// instance listens on.
	ConfigDefaultPort = "default-port-match"
)

// Where an instance's version comes from (vigil.middleware.version_source).
const (
	// VersionDpkg: the upstream part of the version of the installed
	// package that owns the executable (or the product's archive).
	VersionDpkg = "dpkg"
	// VersionBinary: the version string compiled into the executable's
	// read-only data.
	VersionBinary = "binary"
	// VersionGoBuild: the Go build information of the executable.
	VersionGoBuild = "go-buildinfo"
	// VersionArchive: a file inside one of the product's Java archives
	// (a manifest or a properties file).
	VersionArchive = "archive"
	// VersionFileName: the file name of one of the product's archives,
	// as the product names them ("kafka_2.13-3.6.1.jar").
	VersionFileName = "file-name"
	// VersionFile: a text file the product ships (version.txt).
	VersionFile = "file"
)

// product describes one kind of middleware: how its processes are
// recognised, how an instance's install path, configuration and version
// are found, and which OS packages install it.
type product struct {
	// Type is service.type; Name the display name (service.name).
	Type, Name string
	// claims reports whether a process is one of the product's.
	claims func(p *procInfo) bool
	// describe finds the install path, role, configuration and the paths
	// whose package names the install, from the instance's first
	// process.
	describe func(in *instance)
	// versions are the product's own version sources, tried in order
	// when no installed package names the version.
	versions []versionSource
	// packages matches the names of the OS packages that install it, and
	// anchor finds the install path among the files of one.
	packages *regexp.Regexp
	anchor   func(file string) (install string, ok bool)
	// defaultConfig is the configuration file of an installed product
	// that does not run, "" when none is known.
	defaultConfig func(install string) string
	// configPorts returns the ports a configuration file sets, for
	// products whose running instances cannot tell their file
	// (ConfigDefaultPort).
	configPorts func(data []byte) ([]uint16, int)
}

// versionSource is one way of reading a product's version.
type versionSource struct {
	source string
	read   func(in *instance) (string, error)
}

// procInfo is a process being classified.
type procInfo struct {
	Process
	args []string // normalised
	// exeBase, arg0Base are the base names of the executable and of
	// args[0].
	exeBase, arg0Base string
	java              *JavaCommand
}

func newProcInfo(p Process) *procInfo {
	pi := &procInfo{Process: p, args: NormalizeArgs(p.Args)}
	if p.Executable != "" {
		pi.exeBase = path.Base(p.Executable)
	}
	if len(pi.args) > 0 {
		pi.arg0Base = path.Base(pi.args[0])
	}
	if javaLaunchers[pi.exeBase] || javaLaunchers[pi.arg0Base] {
		jc := ParseJava(pi.args)
		pi.java = &jc
	}
	return pi
}

// javaLaunchers are the executables whose arguments are a JVM's: java,
// and jsvc, which Tomcat and other daemons are started with.
var javaLaunchers = map[string]bool{"java": true, "jsvc": true}

// named reports whether the executable's, args[0]'s or the command's
// name is one of names.
func (p *procInfo) named(names ...string) bool {
	for _, n := range names {
		if p.exeBase == n || p.arg0Base == n || p.Name == n {
			return true
		}
	}
	return false
}

// exeNamed reports whether the executable's base name is one of names
// (or, when the executable is unknown, args[0]'s).
func (p *procInfo) exeNamed(names ...string) bool {
	base := p.exeBase
	if base == "" {
		base = p.arg0Base
	}
	for _, n := range names {
		if base == n {
			return true
		}
	}
	return false
}

// javaMain reports whether the process is a JVM whose main class is one
// of classes.
func (p *procInfo) javaMain(classes ...string) bool {
	if p.java == nil {
		return false
	}
	m := p.java.MainClass()
	for _, c := range classes {
		if m == c {
			return true
		}
	}
	return false
}

// prop returns a system property of a JVM.
func (p *procInfo) prop(name string) string {
	if p.java == nil {
		return ""
	}
	return p.java.Props[name]
}

// titleArgs returns the arguments a daemon that rewrote its title into
// "NAME: master process ARGS..." started with, and the role the title
// names ("master", "worker" ...); ok is false for an unrewritten
// command line.
func titleArgs(args []string, name string) (orig []string, role string, ok bool) {
	if len(args) == 0 || args[0] != name+":" {
		return nil, "", false
	}
	rest := args[1:]
	for i, a := range rest {
		if a == "process" {
			return rest[i+1:], strings.Join(rest[:i], " "), true
		}
	}
	return nil, strings.Join(rest, " "), true
}

// products are the kinds of middleware the collector knows, in the order
// processes are tried against them.
var products = []*product{
	nginxProduct, apacheProduct, tomcatProduct, wildflyProduct, weblogicProduct,
	mysqlProduct, postgresProduct, redisProduct, memcachedProduct, mongoProduct,
	elasticsearchProduct, kafkaProduct, zookeeperProduct, hbaseProduct,
	phpFPMProduct, dockerProduct, containerdProduct,
}

// binaryIn returns an anchor that finds an executable named one of names
// in a bin or sbin folder; the install path is the executable.
func binaryIn(names ...string) func(string) (string, bool) {
	return func(file string) (string, bool) {
		dir, base := path.Split(file)
		dir = strings.TrimSuffix(dir, "/")
		if !strings.HasSuffix(dir, "/bin") && !strings.HasSuffix(dir, "/sbin") {
			return "", false
		}
		for _, n := range names {
			if base == n {
				return file, true
			}
		}
		return "", false
	}
}

// homeOf returns an anchor that finds rel (such as "bin/catalina.sh")
// below a folder; the install path is that folder.
func homeOf(rel string) func(string) (string, bool) {
	return func(file string) (string, bool) {
		home, ok := strings.CutSuffix(file, "/"+rel)
		if !ok || home == "" {
			return "", false
		}
		return home, true
	}
}

// existing returns the first of paths that is a file in the host view.
func existing(v fsView, paths ...string) string {
	for _, p := range paths {
		if p != "" && v.exists(p) {
			return p
		}
	}
	return ""
}

// setConfig sets the instance's configuration from its command line
// (p, relative to dir) or, failing that, the first existing default.
func (in *instance) setConfig(fromArgs, dir string, defaults ...string) {
	if fromArgs != "" {
		if c := absFrom(dir, fromArgs); c != "" {
			in.config, in.configSource = c, ConfigCommandLine
			return
		}
	}
	if c := existing(in.view, defaults...); c != "" {
		in.config, in.configSource = c, ConfigDefault
	}
}

// nginx

var nginxProduct = &product{
	Type: TypeNginx, Name: "nginx",
	claims: func(p *procInfo) bool { return p.exeNamed("nginx") },
	describe: func(in *instance) {
		args := in.root.args
		if orig, _, ok := titleArgs(args, "nginx"); ok {
			args = orig
		}
		in.install = in.binary()
		prefix, _ := OptionValue(args, true, "-p")
		dir := prefix
		if dir == "" {
			dir = path.Dir(path.Dir(in.install))
		}
		conf, _ := OptionValue(args, true, "-c")
		in.setConfig(conf, dir, nginxDefaultConfig(in.install))
	},
	versions:      []versionSource{elfVersion(Marker{Prefix: "nginx/"})},
	packages:      regexp.MustCompile(`^(nginx|nginx-core|nginx-full|nginx-light|nginx-extras)$`),
	anchor:        binaryIn("nginx"),
	defaultConfig: nginxDefaultConfig,
}

// nginxDefaultConfig is the configuration an nginx binary reads without
// -c: a distribution's /etc/nginx/nginx.conf, a source build's
// PREFIX/conf/nginx.conf.
func nginxDefaultConfig(install string) string {
	if strings.HasPrefix(install, "/usr/sbin/") || strings.HasPrefix(install, "/usr/bin/") {
		return "/etc/nginx/nginx.conf"
	}
	return path.Join(path.Dir(path.Dir(install)), "conf/nginx.conf")
}

// apache httpd

var apacheProduct = &product{
	Type: TypeApache, Name: "apache",
	claims: func(p *procInfo) bool { return p.exeNamed("apache2", "httpd") },
	describe: func(in *instance) {
		in.install = in.binary()
		args := in.root.args
		root, _ := OptionValue(args, true, "-d")
		file, _ := OptionValue(args, true, "-f")
		debian := path.Base(in.install) == "apache2"
		if root == "" {
			switch {
			case debian:
				root = "/etc/apache2"
			case in.view.isDir("/etc/httpd/conf"):
				root = "/etc/httpd"
			default:
				root = path.Dir(path.Dir(in.install))
			}
		}
		if file == "" {
			if debian {
				file = "apache2.conf"
			} else {
				file = "conf/httpd.conf"
			}
			in.setConfig("", "", absFrom(root, file))
			return
		}
		in.setConfig(file, root)
	},
	versions: []versionSource{elfVersion(Marker{Prefix: "Apache/"})},
	packages: regexp.MustCompile(`^(apache2-bin|httpd)$`),
	anchor:   binaryIn("apache2", "httpd"),
	defaultConfig: func(install string) string {
		if path.Base(install) == "apache2" {
			return "/etc/apache2/apache2.conf"
		}
		return "/etc/httpd/conf/httpd.conf"
	},
}

// Tomcat

var tomcatProduct = &product{
	Type: TypeTomcat, Name: "tomcat",
	claims: func(p *procInfo) bool {
		return p.java != nil && (p.prop("catalina.home") != "" || p.javaMain("org.apache.catalina.startup.Bootstrap"))
	},
	describe: func(in *instance) {
		p := in.root
		home, base := p.prop("catalina.home"), p.prop("catalina.base")
		if home == "" {
			home = base
		}
		if base == "" {
			base = home
		}
		in.install, in.base = home, base
		conf, _ := OptionValue(p.java.Args, false, "-config")
		if conf == "" && base != "" {
			conf = path.Join(base, "conf/server.xml")
		}
		in.setConfig(conf, base)
		if home != "" {
			in.pkgPaths = []string{path.Join(home, "lib/catalina.jar"), path.Join(home, "bin/bootstrap.jar")}
		}
	},
	versions: []versionSource{
		archiveProperty("lib/catalina.jar", "org/apache/catalina/util/ServerInfo.properties", "server.info", "/"),
		fileVersion("RELEASE-NOTES", regexp.MustCompile(`Apache Tomcat Version ([0-9]+(?:\.[0-9]+)+)`)),
	},
	packages: regexp.MustCompile(`^tomcat[0-9]*(-common)?$`),
	anchor:   homeOf("bin/catalina.sh"),
	defaultConfig: func(install string) string {
		// Debian's instance folder is /var/lib/tomcatN (conf links to
		// /etc/tomcatN); a tarball's is the install folder.
		if strings.HasPrefix(install, "/usr/share/tomcat") {
			return path.Join("/etc", path.Base(install), "server.xml")
		}
		return path.Join(install, "conf/server.xml")
	},
}

// WildFly and JBoss

// wildflyModules are the launcher modules of WildFly and JBoss EAP, with
// the role of the process they start.
var wildflyModules = map[string]string{
	"org.jboss.as.standalone":         "",
	"org.jboss.as.process-controller": "process-controller",
	"org.jboss.as.host-controller":    "host-controller",
	"org.jboss.as.server":             "server",
}

// wildflyModule returns the launcher module among a JVM's program
// arguments.
func wildflyModule(jc *JavaCommand) (string, bool) {
	for _, a := range jc.Args {
		if _, ok := wildflyModules[a]; ok {
			return a, true
		}
	}
	return "", false
}

var wildflyProduct = &product{
	Type: TypeWildFly, Name: "wildfly",
	claims: func(p *procInfo) bool {
		if p.java == nil || p.prop("jboss.home.dir") == "" {
			return false
		}
		_, ok := wildflyModule(p.java)
		return ok || path.Base(p.java.Jar) == "jboss-modules.jar" || p.javaMain("org.jboss.modules.Main")
	},
	describe: func(in *instance) {
		p := in.root
		home := p.prop("jboss.home.dir")
		in.install = home
		mod, _ := wildflyModule(p.java)
		in.role = wildflyModules[mod]
		if in.role == "server" {
			// A server of a managed domain: its name is in the
			// "-D[Server:NAME]" marker the host controller gives it.
			for _, a := range p.args {
				if n, ok := strings.CutPrefix(a, "-D[Server:"); ok {
					in.role = "server:" + strings.TrimSuffix(n, "]")
					break
				}
			}
		}
		switch in.role {
		case "":
			base := p.prop("jboss.server.base.dir")
			if base == "" {
				base = path.Join(home, "standalone")
			}
			in.base = base
			dir := p.prop("jboss.server.config.dir")
			if dir == "" {
				dir = path.Join(base, "configuration")
			}
			file, _ := OptionValue(p.java.Args, false, "-c", "--server-config")
			if file == "" {
				file = p.prop("jboss.server.default.config")
			}
			if file == "" {
				file = "standalone.xml"
			}
			in.setConfig(file, dir)
		case "host-controller":
			base := p.prop("jboss.domain.base.dir")
			if base == "" {
				base = path.Join(home, "domain")
			}
			in.base = base
			file, _ := OptionValue(p.java.Args, false, "--domain-config")
			if file == "" {
				file = "domain.xml"
			}
			in.setConfig(file, path.Join(base, "configuration"))
		}
		in.pkgPaths = []string{path.Join(home, "jboss-modules.jar")}
	},
	versions: []versionSource{
		wildflyManifestVersion(),
		fileVersion("version.txt", regexp.MustCompile(`(?i)version\s+([0-9]+(?:\.[0-9]+)+(?:\.[A-Za-z0-9]+)?)`)),
	},
}

// WebLogic

var weblogicProduct = &product{
	Type: TypeWebLogic, Name: "weblogic",
	claims: func(p *procInfo) bool { return p.javaMain("weblogic.Server") },
	describe: func(in *instance) {
		p := in.root
		home := p.prop("wls.home")
		if home == "" {
			home = p.prop("weblogic.home")
		}
		in.install = home
		domain := p.prop("weblogic.RootDirectory")
		if domain == "" {
			domain = p.Cwd
		}
		in.base = domain
		if name := p.prop("weblogic.Name"); name != "" {
			in.role = name
		}
		if domain != "" {
			in.setConfig(path.Join(domain, "config/config.xml"), "")
		}
		if home != "" {
			in.pkgPaths = []string{path.Join(home, "lib/weblogic.jar")}
		}
	},
	versions: []versionSource{archiveManifest("lib/weblogic.jar", "Implementation-Version")},
}

// MySQL and MariaDB

var mysqlProduct = &product{
	Type: TypeMySQL, Name: "mysql",
	claims: func(p *procInfo) bool { return p.exeNamed("mysqld", "mariadbd") },
	describe: func(in *instance) {
		in.install = in.binary()
		if path.Base(in.install) == "mariadbd" {
			in.name = "mariadb"
		}
		conf, _ := OptionValue(in.root.args, false, "--defaults-file")
		in.setConfig(conf, in.root.Cwd, "/etc/mysql/my.cnf", "/etc/my.cnf")
	},
	versions: []versionSource{elfVersion(Marker{Suffix: "-MariaDB"})},
	packages: regexp.MustCompile(`^(mariadb-server-core(-[0-9.]+)?|mysql-server-core(-[0-9.]+)?|mysql-community-server-core|mysql-server|mariadb-server)$`),
	anchor:   binaryIn("mariadbd", "mysqld"),
	defaultConfig: func(string) string {
		return "/etc/mysql/my.cnf"
	},
}

// PostgreSQL

var postgresProduct = &product{
	Type: TypePostgreSQL, Name: "postgresql",
	claims: func(p *procInfo) bool { return p.exeNamed("postgres", "postmaster") },
	describe: func(in *instance) {
		in.install = in.binary()
		args := in.root.args
		conf := ""
		for _, v := range OptionValues(args, "-c") {
			if c, ok := strings.CutPrefix(v, "config_file="); ok {
				conf = c
			}
		}
		if c, ok := OptionValue(args, false, "--config-file", "--config_file"); ok {
			conf = c
		}
		data, _ := OptionValue(args, true, "-D")
		if data != "" {
			in.base = absFrom(in.root.Cwd, data)
		}
		if conf == "" && in.base != "" {
			conf = path.Join(in.base, "postgresql.conf")
		}
		in.setConfig(conf, in.root.Cwd)
	},
	versions: []versionSource{elfVersion(Marker{Prefix: "PostgreSQL ", Suffix: " ("})},
	packages: regexp.MustCompile(`^postgresql-[0-9]+(\.[0-9]+)?$`),
	anchor:   binaryIn("postgres"),
}

// Redis

// addrLike matches the listen address a rewritten Redis title shows
// ("127.0.0.1:6379", "*:6379", "[::1]:6379"); an argument that is not an
// absolute path or an existing file is not taken for the configuration
// either.
var addrLike = regexp.MustCompile(`^(\*|[0-9.]+|\[[0-9a-fA-F:.]*\]|[A-Za-z0-9.-]+):[0-9]+$`)

var redisProduct = &product{
	Type: TypeRedis, Name: "redis",
	claims: func(p *procInfo) bool { return p.named("redis-server") },
	describe: func(in *instance) {
		in.install = in.binary()
		args := in.root.args
		if len(args) > 1 {
			a := args[1]
			if !strings.HasPrefix(a, "-") && !addrLike.MatchString(a) && !strings.HasPrefix(a, "[") &&
				(path.IsAbs(a) || in.view.exists(absFrom(in.root.Cwd, a))) {
				in.setConfig(a, in.root.Cwd)
				return
			}
		}
		in.defaultByPort = "/etc/redis/redis.conf"
	},
	packages:    regexp.MustCompile(`^redis-server$`),
	anchor:      binaryIn("redis-server"),
	configPorts: RedisConfigPorts,
	defaultConfig: func(string) string {
		return "/etc/redis/redis.conf"
	},
}

// memcached

var memcachedProduct = &product{
	Type: TypeMemcached, Name: "memcached",
	claims: func(p *procInfo) bool { return p.exeNamed("memcached") },
	describe: func(in *instance) {
		in.install = in.binary()
		// memcached reads no file: Debian's wrapper turns
		// /etc/memcached.conf into options.
		in.defaultByPort = "/etc/memcached.conf"
	},
	versions:    []versionSource{elfVersion(Marker{Prefix: "memcached "})},
	packages:    regexp.MustCompile(`^memcached$`),
	anchor:      binaryIn("memcached"),
	configPorts: MemcachedConfigPorts,
	defaultConfig: func(string) string {
		return "/etc/memcached.conf"
	},
}

// MongoDB

var mongoProduct = &product{
	Type: TypeMongoDB, Name: "mongodb",
	claims: func(p *procInfo) bool { return p.exeNamed("mongod") },
	describe: func(in *instance) {
		in.install = in.binary()
		conf, _ := OptionValue(in.root.args, false, "--config", "-f")
		in.setConfig(conf, in.root.Cwd)
	},
	packages: regexp.MustCompile(`^(mongodb-org-server|mongodb-server|mongodb-server-core)$`),
	anchor:   binaryIn("mongod"),
	defaultConfig: func(string) string {
		return "/etc/mongod.conf"
	},
}

// Elasticsearch

var elasticsearchProduct = &product{
	Type: TypeElasticsearch, Name: "elasticsearch",
	claims: func(p *procInfo) bool { return p.javaMain("org.elasticsearch.bootstrap.Elasticsearch") },
	describe: func(in *instance) {
		p := in.root
		home := p.prop("es.path.home")
		in.install = home
		dir := p.prop("es.path.conf")
		if dir == "" && home != "" {
			dir = path.Join(home, "config")
		}
		if dir != "" {
			in.setConfig(path.Join(dir, "elasticsearch.yml"), p.Cwd)
		}
		if home != "" {
			in.pkgPaths = []string{path.Join(home, "bin/elasticsearch")}
		}
	},
	versions: []versionSource{archiveName("lib", regexp.MustCompile(`^elasticsearch-([0-9]+(?:\.[0-9]+)+)\.jar$`))},
	packages: regexp.MustCompile(`^elasticsearch(-oss)?$`),
	anchor:   homeOf("bin/elasticsearch"),
	defaultConfig: func(string) string {
		return "/etc/elasticsearch/elasticsearch.yml"
	},
}

// Kafka, ZooKeeper, HBase: their home is found from the class path.

// homeFromClassPath returns the install path of a product found by one
// of its archives on the class path: the folder above the archive's
// folder (libs/ or lib/), or the archive itself when it lives in the
// system's shared Java folder.
func homeFromClassPath(jar string) string {
	dir := path.Dir(jar)
	if dir == "/usr/share/java" {
		return jar
	}
	return path.Dir(dir)
}

var kafkaJar = regexp.MustCompile(`^kafka_[0-9.]+-([0-9]+(?:\.[0-9]+)+)\.jar$`)

var kafkaProduct = &product{
	Type: TypeKafka, Name: "kafka",
	claims: func(p *procInfo) bool { return p.javaMain("kafka.Kafka") },
	describe: func(in *instance) {
		p := in.root
		if jar, ok := p.java.ClassPathJar("kafka_"); ok {
			in.install = homeFromClassPath(absFrom(p.Cwd, jar))
			in.pkgPaths = []string{absFrom(p.Cwd, jar)}
		}
		in.setConfig(p.java.FirstArg(), p.Cwd)
	},
	versions: []versionSource{classPathName("kafka_", kafkaJar)},
}

var zookeeperJar = regexp.MustCompile(`^zookeeper-([0-9]+(?:\.[0-9]+)+)\.jar$`)

var zookeeperProduct = &product{
	Type: TypeZooKeeper, Name: "zookeeper",
	claims: func(p *procInfo) bool {
		return p.javaMain("org.apache.zookeeper.server.quorum.QuorumPeerMain", "org.apache.zookeeper.server.ZooKeeperServerMain")
	},
	describe: func(in *instance) {
		p := in.root
		if jar, ok := zookeeperClassPathJar(p.java); ok {
			jar = absFrom(p.Cwd, jar)
			in.install = homeFromClassPath(jar)
			in.pkgPaths = []string{jar}
		}
		def := ""
		if in.install != "" && !strings.HasSuffix(in.install, ".jar") {
			def = path.Join(in.install, "conf/zoo.cfg")
		}
		in.setConfig(p.java.FirstArg(), p.Cwd, def, "/etc/zookeeper/conf/zoo.cfg")
	},
	versions: []versionSource{
		classPathName("zookeeper-", zookeeperJar),
		{source: VersionArchive, read: func(in *instance) (string, error) {
			jar, ok := zookeeperClassPathJar(in.root.java)
			if !ok {
				return "", errNoVersion
			}
			return manifestVersion(in, absFrom(in.root.Cwd, jar), "Implementation-Version")
		}},
	},
	packages: regexp.MustCompile(`^zookeeper$`),
	anchor: func(file string) (string, bool) {
		if file == "/usr/share/java/zookeeper.jar" {
			return file, true
		}
		return "", false
	},
	defaultConfig: func(string) string { return "/etc/zookeeper/conf/zoo.cfg" },
}

// zookeeperClassPathJar finds ZooKeeper's own archive on the class path
// (not zookeeper-jute or zookeeper-prometheus-metrics).
func zookeeperClassPathJar(jc *JavaCommand) (string, bool) {
	for _, e := range jc.ClassPath {
		base := path.Base(e)
		if base == "zookeeper.jar" || zookeeperJar.MatchString(base) {
			return e, true
		}
	}
	return "", false
}

// hbaseMains are the main classes of HBase's servers, with their roles.
var hbaseMains = map[string]string{
	"org.apache.hadoop.hbase.master.HMaster":             "master",
	"org.apache.hadoop.hbase.regionserver.HRegionServer": "regionserver",
}

var hbaseProduct = &product{
	Type: TypeHBase, Name: "hbase",
	claims: func(p *procInfo) bool {
		return p.java != nil && hbaseMains[p.java.MainClass()] != ""
	},
	describe: func(in *instance) {
		p := in.root
		in.role = hbaseMains[p.java.MainClass()]
		home := p.prop("hbase.home.dir")
		in.install = home
		if home != "" {
			in.pkgPaths = []string{path.Join(home, "bin/hbase")}
		}
		// bin/hbase puts HBASE_CONF_DIR first on the class path.
		conf := ""
		if len(p.java.ClassPath) > 0 && !strings.HasSuffix(p.java.ClassPath[0], ".jar") {
			conf = path.Join(absFrom(p.Cwd, p.java.ClassPath[0]), "hbase-site.xml")
		}
		def := ""
		if home != "" {
			def = path.Join(home, "conf/hbase-site.xml")
		}
		if conf != "" && in.view.exists(conf) {
			in.setConfig(conf, "")
		} else {
			in.setConfig("", "", def)
		}
	},
	versions: []versionSource{archiveName("lib", regexp.MustCompile(`^hbase-common-([0-9]+(?:\.[0-9]+)+)\.jar$`))},
}

// PHP-FPM

var phpFPMExe = regexp.MustCompile(`^php-fpm[0-9.]*$`)

var phpFPMProduct = &product{
	Type: TypePHPFPM, Name: "php-fpm",
	claims: func(p *procInfo) bool {
		base := p.exeBase
		if base == "" {
			base = p.arg0Base
		}
		return phpFPMExe.MatchString(base)
	},
	describe: func(in *instance) {
		in.install = in.binary()
		args := in.root.args
		conf := ""
		if _, _, ok := titleArgs(args, "php-fpm"); ok {
			// "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"
			line := strings.Join(args, " ")
			if o, c := strings.LastIndexByte(line, '('), strings.LastIndexByte(line, ')'); o >= 0 && c > o {
				conf = line[o+1 : c]
			}
		} else if c, ok := OptionValue(args, true, "-y", "--fpm-config"); ok {
			conf = c
		}
		def := ""
		if v := strings.TrimPrefix(path.Base(in.install), "php-fpm"); v != "" {
			def = path.Join("/etc/php", v, "fpm/php-fpm.conf")
		}
		in.setConfig(conf, in.root.Cwd, def)
	},
	packages: regexp.MustCompile(`^php[0-9.]*-fpm$`),
	anchor: func(file string) (string, bool) {
		if !phpFPMExe.MatchString(path.Base(file)) {
			return "", false
		}
		return binaryIn(path.Base(file))(file)
	},
	defaultConfig: func(install string) string {
		if v := strings.TrimPrefix(path.Base(install), "php-fpm"); v != "" {
			return path.Join("/etc/php", v, "fpm/php-fpm.conf")
		}
		return ""
	},
}

// Docker and containerd

var dockerProduct = &product{
	Type: TypeDocker, Name: "docker",
	claims: func(p *procInfo) bool { return p.exeNamed("dockerd") },
	describe: func(in *instance) {
		in.install = in.binary()
		conf, _ := OptionValue(in.root.args, false, "--config-file")
		in.setConfig(conf, in.root.Cwd, "/etc/docker/daemon.json")
	},
	versions: []versionSource{goVersion("github.com/docker/docker/dockerversion.Version")},
	packages: regexp.MustCompile(`^(docker\.io|docker-ce|moby-engine)$`),
	anchor:   binaryIn("dockerd"),
	defaultConfig: func(string) string {
		return "/etc/docker/daemon.json"
	},
}

var containerdProduct = &product{
	Type: TypeContainerd, Name: "containerd",
	claims: func(p *procInfo) bool { return p.exeNamed("containerd") },
	describe: func(in *instance) {
		in.install = in.binary()
		conf, _ := OptionValue(in.root.args, false, "--config", "-c")
		in.setConfig(conf, in.root.Cwd, "/etc/containerd/config.toml")
	},
	versions: []versionSource{goVersion(
		"github.com/containerd/containerd/version.Version",
		"github.com/containerd/containerd/v2/version.Version",
	)},
	packages: regexp.MustCompile(`^(containerd|containerd\.io)$`),
	anchor:   binaryIn("containerd"),
	defaultConfig: func(string) string {
		return "/etc/containerd/config.toml"
	},
}
