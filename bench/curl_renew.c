/*
 * The libcurl + cJSON baseline: what a C program would write by hand for
 * one renew — POST BASE/auths/renew with {"Token","RefreshToken"} and
 * "Authorization: Bearer <token>", keep-alive, then both strings parsed
 * out of the JSON answer with cJSON.
 *
 *   curl_renew seq   BASE_URL PAIRS_FILE COUNT|Ns 1      one easy handle, reused, sequential
 *   curl_renew multi BASE_URL PAIRS_FILE COUNT|Ns K      multi interface, K transfers in flight
 *
 * The multi interface is capped at 256 connections
 * (CURLMOPT_MAX_TOTAL_CONNECTIONS), as dfx caps its wire concurrency at
 * 256 per client; transfers beyond that wait inside libcurl.
 * Prints one line (see common.h). Exit status 1 if any renew failed.
 */
#include "common.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

struct buf {
    char *data;
    size_t len, cap;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buf *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = 0;
    return n;
}

/* One chain: its easy handle, request and answer buffers and current pair. */
struct xfer {
    CURL *h;
    struct curl_slist *headers;
    char *body;
    size_t body_cap;
    struct buf answer;
    struct pair pair;
    int owned;
};

static char *renew_url;

/* (Re)arm the handle for a renew of the chain's current pair. */
static void prepare(struct xfer *x) {
    size_t need = strlen(x->pair.token) + strlen(x->pair.refresh) + 64;
    if (need > x->body_cap) {
        free(x->body);
        x->body = malloc(need);
        x->body_cap = need;
    }
    int len = snprintf(x->body, x->body_cap, "{\"Token\":\"%s\",\"RefreshToken\":\"%s\"}", x->pair.token,
                       x->pair.refresh);
    curl_slist_free_all(x->headers);
    char auth[MAX_TOKEN + 32];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", x->pair.token);
    x->headers = curl_slist_append(NULL, "Content-Type: application/json");
    x->headers = curl_slist_append(x->headers, auth);
    x->headers = curl_slist_append(x->headers, "Expect:");
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)len);
    x->answer.len = 0;
}

static void setup(struct xfer *x) {
    x->h = curl_easy_init();
    curl_easy_setopt(x->h, CURLOPT_URL, renew_url);
    curl_easy_setopt(x->h, CURLOPT_POST, 1L);
    curl_easy_setopt(x->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(x->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(x->h, CURLOPT_USERAGENT, "curl_renew/1");
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->answer);
}

/* A finished transfer: 200 and both strings parsed out, else an error.
 * The new pair is stored only if the chain renews again. */
static int finish(struct xfer *x, CURLcode rc, int again) {
    long status = 0;
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
        return 0;
    }
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    cJSON *json = cJSON_ParseWithLength(x->answer.data, x->answer.len);
    const char *token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "Token"));
    const char *refresh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "RefreshToken"));
    int ok = status == 200 && token && refresh;
    if (ok && again) set_pair(&x->pair, &x->owned, token, refresh);
    if (!ok) fprintf(stderr, "renew: HTTP %ld\n", status);
    cJSON_Delete(json);
    return ok;
}

int main(int argc, char **argv) {
    struct args a;
    parse_args(argc, argv, &a, "seq | multi");
    int multi = strcmp(a.mode, "multi") == 0;
    if (!multi && strcmp(a.mode, "seq") != 0) usage(argv[0], "seq | multi");
    if (!multi) a.inflight = 1;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    renew_url = malloc(strlen(a.url) + 32);
    sprintf(renew_url, "%s/auths/renew", a.url);
    struct pair *first = load_pairs(a.pairs, a.inflight);

    long calls = 0, errors = 0, started = 0;
    double t0 = now_s(), deadline = t0 + a.seconds;
#define MORE() (a.count > 0 ? started < a.count : now_s() < deadline)

    if (!multi) {
        struct xfer x = {0};
        x.pair = first[0];
        setup(&x);
        while (MORE()) {
            started++;
            prepare(&x);
            CURLcode rc = curl_easy_perform(x.h);
            if (finish(&x, rc, 1))
                calls++;
            else if (++errors > 10)
                break;
        }
        double secs = now_s() - t0;
        report("libcurl", &a, calls, errors, secs);
        return errors ? 1 : 0;
    }

    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 256L);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 256L);
    struct xfer *xs = calloc((size_t)a.inflight, sizeof *xs);
    long active = 0;
    for (long i = 0; i < a.inflight && MORE(); i++) {
        xs[i].pair = first[i];
        setup(&xs[i]);
        curl_easy_setopt(xs[i].h, CURLOPT_PRIVATE, &xs[i]);
        prepare(&xs[i]);
        curl_multi_add_handle(m, xs[i].h);
        started++;
        active++;
    }
    while (active > 0) {
        int running = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            struct xfer *x;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(m, x->h);
            active--;
            int again = MORE();
            if (finish(x, rc, again)) {
                calls++;
            } else {
                errors++;
                again = 0; /* this chain's pair may be dead */
            }
            if (again) {
                prepare(x);
                curl_multi_add_handle(m, x->h);
                started++;
                active++;
            }
        }
        if (active > 0) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    double secs = now_s() - t0;
    report("libcurl", &a, calls, errors, secs);
    return errors ? 1 : 0;
}
