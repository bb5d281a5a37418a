#ifndef OTTER_CCURL_SHIM_H
#define OTTER_CCURL_SHIM_H
#include <curl/curl.h>
#endif
