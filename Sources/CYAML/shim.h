#ifndef KSECRET_CYAML_SHIM_H
#define KSECRET_CYAML_SHIM_H
// libyaml's event parser: ksecret reads events and their source marks, never libyaml's emitter.
#include <yaml.h>
#endif
