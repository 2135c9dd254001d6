/*
 * Cold start: the time from dlopen() of the library to the first completed
 * renew (library load and relocation, runtime creation, TLS configuration,
 * first connection, request, answer parsed), and the second renew for
 * comparison. This program links neither library and does nothing at load
 * time: everything it measures happens between the two clock readings.
 *
 *   cold_start dfx  PATH/libdfx.so   BASE_URL PAIRS_FILE
 *   cold_start curl PATH/libcurl.so.4 BASE_URL PAIRS_FILE   (+ libcjson.so.1 by dlopen too)
 *
 * Prints: client=.. dlopen_ms=.. init_ms=.. first_renew_ms=.. to_first_ms=.. second_renew_ms=..
 * (to_first_ms = dlopen_ms + init_ms + first_renew_ms).
 */
#include "common.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dfx.h>
#include <dlfcn.h>

static void *need(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (!f) {
        fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
        exit(1);
    }
    return f;
}

static void *open_lib(const char *path) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    return lib;
}

/* ---- dfx (dfx.h for the types only) ---- */
typedef DfxStatus (*client_new_fn)(const char *, DfxClient **);
typedef DfxStatus (*auth_renew_fn)(DfxClient *, const char *, const char *, DfxResponse **);
typedef const char *(*get_string_fn)(const DfxResponse *, const char *);
typedef void (*rfree_fn)(DfxResponse *);
typedef void (*cfree_fn)(DfxClient *);
typedef const char *(*name_fn)(DfxStatus);

static void dfx_renew_once(auth_renew_fn renew, get_string_fn get, rfree_fn rfree, name_fn sname,
                           DfxClient *client, struct pair *p, int *owned) {
    DfxResponse *r = NULL;
    DfxStatus st = renew(client, p->token, p->refresh, &r);
    const char *t = st == 0 ? get(r, "Token") : NULL, *rt = st == 0 ? get(r, "RefreshToken") : NULL;
    if (!t || !rt) {
        fprintf(stderr, "renew failed: %s\n", sname(st));
        exit(1);
    }
    set_pair(p, owned, t, rt);
    rfree(r);
}

static int run_dfx(const char *path, const char *url, struct pair *p) {
    int owned = 0;
    double t0 = now_s();
    void *lib = open_lib(path);
    client_new_fn client_new = (client_new_fn)need(lib, "dfx_client_new");
    auth_renew_fn renew = (auth_renew_fn)need(lib, "dfx_auth_renew");
    get_string_fn get = (get_string_fn)need(lib, "dfx_response_get_string");
    rfree_fn rfree = (rfree_fn)need(lib, "dfx_response_free");
    cfree_fn cfree = (cfree_fn)need(lib, "dfx_client_free");
    name_fn sname = (name_fn)need(lib, "dfx_status_name");
    double t1 = now_s();
    DfxClient *client = NULL;
    if (client_new(url, &client) != 0) {
        fprintf(stderr, "dfx_client_new failed\n");
        return 1;
    }
    double t2 = now_s();
    dfx_renew_once(renew, get, rfree, sname, client, p, &owned);
    double t3 = now_s();
    dfx_renew_once(renew, get, rfree, sname, client, p, &owned);
    double t4 = now_s();
    printf("client=dfx dlopen_ms=%.3f init_ms=%.3f first_renew_ms=%.3f to_first_ms=%.3f second_renew_ms=%.3f "
           "maxrss_kib=%ld\n",
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3, (t4 - t3) * 1e3, max_rss_kib());
    cfree(client);
    return 0;
}

/* ---- libcurl + cJSON, the same steps by hand ---- */
struct buf {
    char data[65536];
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buf *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n >= sizeof b->data) return 0;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = 0;
    return n;
}

/* curl.h and cJSON.h only for their types and constants: the functions
 * are looked up with dlsym, nothing is linked. */
typedef CURLcode (*global_init_fn)(long);
typedef CURL *(*easy_init_fn)(void);
typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);
typedef CURLcode (*perform_fn)(CURL *);
typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);
typedef struct curl_slist *(*slist_append_fn)(struct curl_slist *, const char *);
typedef void (*slist_free_fn)(struct curl_slist *);
typedef cJSON *(*parse_fn)(const char *, size_t);
typedef cJSON *(*get_item_fn)(const cJSON *, const char *);
typedef char *(*get_str_fn)(const cJSON *);
typedef void (*delete_fn)(cJSON *);

static struct {
    setopt_fn setopt;
    perform_fn perform;
    getinfo_fn getinfo;
    slist_append_fn append;
    slist_free_fn sfree;
    parse_fn parse;
    get_item_fn item;
    get_str_fn str;
    delete_fn del;
} C;

static void curl_renew_once(CURL *h, struct buf *b, struct pair *p, int *owned) {
    char body[2 * MAX_TOKEN + 64], auth[MAX_TOKEN + 32];
    snprintf(body, sizeof body, "{\"Token\":\"%s\",\"RefreshToken\":\"%s\"}", p->token, p->refresh);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->token);
    struct curl_slist *hdrs = C.append(NULL, "Content-Type: application/json");
    hdrs = C.append(hdrs, auth);
    hdrs = C.append(hdrs, "Expect:");
    C.setopt(h, CURLOPT_HTTPHEADER, hdrs);
    C.setopt(h, CURLOPT_POSTFIELDS, body);
    b->len = 0;
    long status = 0;
    int rc = C.perform(h);
    C.getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    C.sfree(hdrs);
    cJSON *json = C.parse(b->data, b->len);
    const char *t = C.str(C.item(json, "Token")), *rt = C.str(C.item(json, "RefreshToken"));
    if (rc != 0 || status != 200 || !t || !rt) {
        fprintf(stderr, "renew failed: curl %d, HTTP %ld\n", rc, status);
        exit(1);
    }
    set_pair(p, owned, t, rt);
    C.del(json);
}

static int run_curl(const char *path, const char *url, struct pair *p) {
    static struct buf b;
    int owned = 0;
    char renew_url[1024];
    snprintf(renew_url, sizeof renew_url, "%s/auths/renew", url);
    double t0 = now_s();
    void *lib = open_lib(path);
    void *cj = open_lib("libcjson.so.1");
    global_init_fn global_init = (global_init_fn)need(lib, "curl_global_init");
    easy_init_fn easy_init = (easy_init_fn)need(lib, "curl_easy_init");
    C.setopt = (setopt_fn)need(lib, "curl_easy_setopt");
    C.perform = (perform_fn)need(lib, "curl_easy_perform");
    C.getinfo = (getinfo_fn)need(lib, "curl_easy_getinfo");
    C.append = (slist_append_fn)need(lib, "curl_slist_append");
    C.sfree = (slist_free_fn)need(lib, "curl_slist_free_all");
    C.parse = (parse_fn)need(cj, "cJSON_ParseWithLength");
    C.item = (get_item_fn)need(cj, "cJSON_GetObjectItemCaseSensitive");
    C.str = (get_str_fn)need(cj, "cJSON_GetStringValue");
    C.del = (delete_fn)need(cj, "cJSON_Delete");
    double t1 = now_s();
    global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = easy_init();
    C.setopt(h, CURLOPT_URL, renew_url);
    C.setopt(h, CURLOPT_POST, 1L);
    C.setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    C.setopt(h, CURLOPT_TCP_NODELAY, 1L);
    C.setopt(h, CURLOPT_NOSIGNAL, 1L);
    C.setopt(h, CURLOPT_USERAGENT, "curl_renew/1");
    C.setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    C.setopt(h, CURLOPT_WRITEDATA, &b);
    double t2 = now_s();
    curl_renew_once(h, &b, p, &owned);
    double t3 = now_s();
    curl_renew_once(h, &b, p, &owned);
    double t4 = now_s();
    printf("client=libcurl dlopen_ms=%.3f init_ms=%.3f first_renew_ms=%.3f to_first_ms=%.3f second_renew_ms=%.3f "
           "maxrss_kib=%ld\n",
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3, (t4 - t3) * 1e3, max_rss_kib());
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[1], "dfx") != 0 && strcmp(argv[1], "curl") != 0)) {
        fprintf(stderr, "usage: %s dfx|curl LIBRARY BASE_URL PAIRS_FILE\n", argv[0]);
        return 2;
    }
    struct pair *p = load_pairs(argv[4], 1);
    return strcmp(argv[1], "dfx") == 0 ? run_dfx(argv[2], argv[3], p) : run_curl(argv[2], argv[3], p);
}
