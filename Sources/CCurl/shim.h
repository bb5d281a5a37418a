#ifndef OTTER_CCURL_SHIM_H
#define OTTER_CCURL_SHIM_H
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

/*
 * libcurl, loaded when the first HTTP client is made rather than when the program starts: libcurl and the
 * thirty libraries it needs (GnuTLS, Kerberos, LDAP, ...) cost every command several milliseconds to map and
 * relocate, and only `run`, `demo` and the sample partner send HTTP requests. The binary does not link libcurl;
 * `otter_curl_load()` opens libcurl.so.4 once (thread-safe) and every `otter_curl_*` function calls through the
 * table it fills. Each returns an error (or NULL) when libcurl could not be loaded; `otter_curl_load_error()`
 * says why.
 *
 * Also: typed wrappers around libcurl's variadic entry points, which Swift cannot call directly. A system-library
 * target compiles no .c file, so everything here is `static inline`. Every shim is prefixed `otter_curl_`.
 */

typedef struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    curl_version_info_data *(*version_info)(CURLversion);
    int loaded;
    char error[256];
} otter_curl_api;

static inline otter_curl_api *otter_curl_table(void) {
    static otter_curl_api api;
    return &api;
}

static inline void otter_curl_open(void) {
    otter_curl_api *a = otter_curl_table();
    const char *names[] = {"libcurl.so.4", "libcurl.so", "libcurl-gnutls.so.4"};
    void *lib = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && lib == NULL; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *e = dlerror();
        snprintf(a->error, sizeof a->error, "%s", e ? e : "libcurl.so.4 not found");
        return;
    }
#define OTTER_CURL_SYM(field, name)                                                  \
    do {                                                                             \
        *(void **)(&a->field) = dlsym(lib, name);                                    \
        if (a->field == NULL) {                                                      \
            snprintf(a->error, sizeof a->error, "libcurl has no %s", name);          \
            return;                                                                  \
        }                                                                            \
    } while (0)
    OTTER_CURL_SYM(global_init, "curl_global_init");
    OTTER_CURL_SYM(easy_init, "curl_easy_init");
    OTTER_CURL_SYM(easy_cleanup, "curl_easy_cleanup");
    OTTER_CURL_SYM(easy_reset, "curl_easy_reset");
    OTTER_CURL_SYM(easy_setopt, "curl_easy_setopt");
    OTTER_CURL_SYM(easy_getinfo, "curl_easy_getinfo");
    OTTER_CURL_SYM(easy_strerror, "curl_easy_strerror");
    OTTER_CURL_SYM(slist_append, "curl_slist_append");
    OTTER_CURL_SYM(slist_free_all, "curl_slist_free_all");
    OTTER_CURL_SYM(multi_init, "curl_multi_init");
    OTTER_CURL_SYM(multi_cleanup, "curl_multi_cleanup");
    OTTER_CURL_SYM(multi_add_handle, "curl_multi_add_handle");
    OTTER_CURL_SYM(multi_remove_handle, "curl_multi_remove_handle");
    OTTER_CURL_SYM(multi_perform, "curl_multi_perform");
    OTTER_CURL_SYM(multi_poll, "curl_multi_poll");
    OTTER_CURL_SYM(multi_info_read, "curl_multi_info_read");
    OTTER_CURL_SYM(version_info, "curl_version_info");
#undef OTTER_CURL_SYM
    a->loaded = 1;
}

/* Opens libcurl once; 1 when every function was found. */
static inline int otter_curl_load(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, otter_curl_open);
    return otter_curl_table()->loaded;
}

/* Why libcurl could not be loaded (empty when it was). */
static inline const char *otter_curl_load_error(void) {
    otter_curl_load();
    return otter_curl_table()->error;
}

/* What libcurl says about itself (version, TLS library); NULL when it could not be loaded. */
static inline curl_version_info_data *otter_curl_version_info(void) {
    return otter_curl_load() ? otter_curl_table()->version_info(CURLVERSION_NOW) : NULL;
}

static inline CURLcode otter_curl_global_init(long flags) {
    return otter_curl_load() ? otter_curl_table()->global_init(flags) : CURLE_FAILED_INIT;
}
static inline CURL *otter_curl_easy_init(void) { return otter_curl_load() ? otter_curl_table()->easy_init() : NULL; }
static inline void otter_curl_easy_cleanup(CURL *h) { if (otter_curl_load()) otter_curl_table()->easy_cleanup(h); }
static inline void otter_curl_easy_reset(CURL *h) { if (otter_curl_load()) otter_curl_table()->easy_reset(h); }
static inline const char *otter_curl_easy_strerror(CURLcode code) {
    return otter_curl_load() ? otter_curl_table()->easy_strerror(code) : "libcurl could not be loaded";
}
static inline struct curl_slist *otter_curl_slist_append(struct curl_slist *list, const char *s) {
    return otter_curl_load() ? otter_curl_table()->slist_append(list, s) : NULL;
}
static inline void otter_curl_slist_free_all(struct curl_slist *list) { if (otter_curl_load()) otter_curl_table()->slist_free_all(list); }
static inline CURLM *otter_curl_multi_init(void) { return otter_curl_load() ? otter_curl_table()->multi_init() : NULL; }
static inline CURLMcode otter_curl_multi_cleanup(CURLM *m) {
    return otter_curl_load() ? otter_curl_table()->multi_cleanup(m) : CURLM_INTERNAL_ERROR;
}
static inline CURLMcode otter_curl_multi_add_handle(CURLM *m, CURL *h) {
    return otter_curl_load() ? otter_curl_table()->multi_add_handle(m, h) : CURLM_INTERNAL_ERROR;
}
static inline CURLMcode otter_curl_multi_remove_handle(CURLM *m, CURL *h) {
    return otter_curl_load() ? otter_curl_table()->multi_remove_handle(m, h) : CURLM_INTERNAL_ERROR;
}
static inline CURLMcode otter_curl_multi_perform(CURLM *m, int *running) {
    return otter_curl_load() ? otter_curl_table()->multi_perform(m, running) : CURLM_INTERNAL_ERROR;
}
static inline CURLMcode otter_curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned int n, int timeout_ms, int *ret) {
    return otter_curl_load() ? otter_curl_table()->multi_poll(m, fds, n, timeout_ms, ret) : CURLM_INTERNAL_ERROR;
}
static inline CURLMsg *otter_curl_multi_info_read(CURLM *m, int *left) {
    return otter_curl_load() ? otter_curl_table()->multi_info_read(m, left) : NULL;
}

/* Callback shapes, named so Swift sees them as @convention(c) types. */
typedef size_t (*otter_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode otter_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return otter_curl_load() ? otter_curl_table()->easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode otter_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return otter_curl_load() ? otter_curl_table()->easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

/* Strings (libcurl copies them, except CURLOPT_POSTFIELDS / CURLOPT_ERRORBUFFER)
 * and arbitrary data pointers (CURLOPT_WRITEDATA, CURLOPT_HEADERDATA, ...). */
static inline CURLcode otter_curl_setopt_ptr(CURL *handle, CURLoption option, const void *value) {
    return otter_curl_load() ? otter_curl_table()->easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode otter_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return otter_curl_load() ? otter_curl_table()->easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode otter_curl_setopt_data_callback(CURL *handle, CURLoption option, otter_curl_data_callback value) {
    return otter_curl_load() ? otter_curl_table()->easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

static inline CURLcode otter_curl_getinfo_long(CURL *handle, CURLINFO info, long *out) {
    return otter_curl_load() ? otter_curl_table()->easy_getinfo(handle, info, out) : CURLE_FAILED_INIT;
}

static inline CURLcode otter_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *out) {
    return otter_curl_load() ? otter_curl_table()->easy_getinfo(handle, info, out) : CURLE_FAILED_INIT;
}

static inline CURLcode otter_curl_getinfo_string(CURL *handle, CURLINFO info, const char **out) {
    char *value = NULL;
    CURLcode rc = otter_curl_load() ? otter_curl_table()->easy_getinfo(handle, info, &value) : CURLE_FAILED_INIT;
    *out = value;
    return rc;
}

#endif
