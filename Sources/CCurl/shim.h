#ifndef OTTER_CCURL_SHIM_H
#define OTTER_CCURL_SHIM_H
#include <curl/curl.h>

/*
 * Typed wrappers around libcurl's variadic entry points, which Swift cannot
 * call directly. A system-library target compiles no .c file, so everything
 * here is `static inline`. Every shim is prefixed `otter_curl_`.
 */

/* Callback shapes, named so Swift sees them as @convention(c) types. */
typedef size_t (*otter_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode otter_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode otter_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/* Strings (libcurl copies them, except CURLOPT_POSTFIELDS / CURLOPT_ERRORBUFFER)
 * and arbitrary data pointers (CURLOPT_WRITEDATA, CURLOPT_HEADERDATA, ...). */
static inline CURLcode otter_curl_setopt_ptr(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode otter_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode otter_curl_setopt_data_callback(CURL *handle, CURLoption option, otter_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode otter_curl_getinfo_long(CURL *handle, CURLINFO info, long *out) {
    return curl_easy_getinfo(handle, info, out);
}

static inline CURLcode otter_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *out) {
    return curl_easy_getinfo(handle, info, out);
}

static inline CURLcode otter_curl_getinfo_string(CURL *handle, CURLINFO info, const char **out) {
    char *value = NULL;
    CURLcode rc = curl_easy_getinfo(handle, info, &value);
    *out = value;
    return rc;
}

#endif
