#ifndef KSECRET_CZLIB_SHIM_H
#define KSECRET_CZLIB_SHIM_H
// zlib, for the tests only: the CCTV age vectors larger than 2 KiB are zlib-compressed.
// No shim functions: `uncompress` and the `inflate*` calls are plain C functions Swift can call.
#include <zlib.h>
#endif
