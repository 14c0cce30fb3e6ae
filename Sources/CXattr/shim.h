#ifndef KSECRET_CXATTR_SHIM_H
#define KSECRET_CXATTR_SHIM_H
// Extended attributes (xattr(7)): Swift's Glibc module does not include <sys/xattr.h>.
// Used to carry a file's attributes (ACLs, SELinux labels, user.*) over an atomic replace.
#ifdef __linux__
#include <sys/xattr.h>
#endif
#endif
