// Package modules is the os/modules collector: the kernel modules loaded
// on the host (asset kind "module"), with the file each was loaded from
// and the OS package that owns it.
//
// # Items
//
// One item per line of /proc/modules: Key and Name the module name,
// Version the module's version (/sys/module/NAME/version) where it
// declares one. Fields:
//
//	vigil.module.size        the memory it takes, in bytes
//	vigil.module.state       "Live", "Loading" or "Unloading"
//	vigil.module.taint       its taint letters ("OE"), when tainted
//	vigil.module.taint_flags their meanings ("out-of-tree", "unsigned")
//	file.path                the module file of the running kernel,
//	                         from /lib/modules/RELEASE/modules.dep
//	vigil.module.in_modules_dep
//	                         false for a module that modules.dep does
//	                         not know: loaded with insmod from elsewhere
//	                         (how rootkits load)
//	package.name, package.type
//	                         the OS package of the file; "none" when no
//	                         package owns it (DKMS builds, modules loaded
//	                         from elsewhere)
//
// The reference count, the list of modules using a module and its load
// address are left out: they move while the module stays the same, and
// the host would never look unchanged. The module's signer is not read.
//
// A kernel without loadable module support has no /proc/modules: the
// collector is then unsupported (Configure wraps plugin.ErrUnsupported).
// Without modules.dep for the running kernel the file and package fields
// are left out (counter missing_modules_dep).
//
// # Counters
//
// malformed_lines (lines of /proc/modules and modules.dep skipped, total),
// missing_modules_dep, package_index_errors.
package modules
