/*
 * TLS from C: which servers a client trusts, and what a refused handshake
 * says. Run by scripts/with-tls-sandboxes.sh (inside scripts/with-sandbox.sh),
 * which writes a throwaway test PKI (dfx-sandbox-certs) into DFX_TLS_DIR and
 * starts an https sandbox per certificate:
 *   DFX_TLS_PORT_GOOD         `localhost`, signed by DFX_TLS_DIR/ca.pem
 *   DFX_TLS_PORT_EXPIRED      `localhost`, signed by the CA, expired
 *   DFX_TLS_PORT_SELF_SIGNED  `localhost`, self-signed
 *   DFX_TLS_PORT_OTHER_CA     `localhost`, signed by a CA nobody trusts
 * and DFX_SANDBOX_URL, the plain-http sandbox. Every case runs blocking and
 * non-blocking (`_async`).
 */
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sandbox_ctl.h"

static char tls_dir[1024];

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "%s is not set (run under scripts/with-tls-sandboxes.sh)\n", name);
        exit(2);
    }
    return v;
}

static void url_of(char *out, size_t cap, const char *host, const char *port_var) {
    snprintf(out, cap, "https://%s:%s", host, env(port_var));
}

static char *read_file(const char *name, size_t *len) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", tls_dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    char *buf = malloc(65536);
    *len = fread(buf, 1, 65535, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* One status call's outcome and message. */
struct outcome {
    DfxStatus status;
    char message[1024];
};

/* The `_async` call's completion, handed to the waiting thread. */
struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    int done;
    struct outcome out;
};

static void on_done(void *user_data, DfxStatus status, DfxResponse *response) {
    struct waiter *w = user_data;
    pthread_mutex_lock(&w->lock);
    w->out.status = status;
    snprintf(w->out.message, sizeof w->out.message, "%s", dfx_last_error_message());
    w->done = 1;
    pthread_cond_signal(&w->done_cv);
    pthread_mutex_unlock(&w->lock);
    dfx_response_free(response);
}

/* GET status, blocking (async == 0) or not. */
static struct outcome status_call(DfxClient *client, int async) {
    struct outcome out = {DFX_ERR_INTERNAL, ""};
    if (!async) {
        DfxResponse *r = NULL;
        out.status = dfx_general_status(client, &r);
        snprintf(out.message, sizeof out.message, "%s", dfx_last_error_message());
        if (out.status == DFX_OK) {
            CHECK(strcmp(dfx_response_get_string(r, "StatusID"), "ACTIVE") == 0);
        }
        dfx_response_free(r);
        return out;
    }
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {DFX_ERR_INTERNAL, ""}};
    uint64_t id = 0;
    DfxStatus st = dfx_general_status_async(client, on_done, &w, &id);
    CHECK_STATUS(st, DFX_OK);
    if (st != DFX_OK) {
        return out;
    }
    pthread_mutex_lock(&w.lock);
    while (!w.done) {
        pthread_cond_wait(&w.done_cv, &w.lock);
    }
    pthread_mutex_unlock(&w.lock);
    return w.out;
}

static DfxClient *client_for(const char *url) {
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(url, &client), DFX_OK);
    return client;
}

/* Both paths of `client` fail with DFX_ERR_TLS and a message containing `words`. */
#define CHECK_REFUSED(client, words)                                                        \
    do {                                                                                    \
        for (int async_ = 0; async_ < 2; async_++) {                                        \
            struct outcome o_ = status_call((client), async_);                              \
            CHECK_STATUS(o_.status, DFX_ERR_TLS);                                           \
            if (strstr(o_.message, (words)) == NULL) {                                      \
                failed++;                                                                   \
                fprintf(stderr, "%s:%d: %s: message lacks \"%s\": %s\n", __FILE__, __LINE__, \
                        async_ ? "async" : "blocking", (words), o_.message);                \
            } else {                                                                        \
                passed++;                                                                   \
            }                                                                               \
        }                                                                                   \
    } while (0)

#define CHECK_ACCEPTED(client)                                                              \
    do {                                                                                    \
        for (int async_ = 0; async_ < 2; async_++) {                                        \
            struct outcome o_ = status_call((client), async_);                              \
            if (o_.status != DFX_OK) {                                                      \
                fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__,                      \
                        async_ ? "async" : "blocking", o_.message);                         \
            }                                                                               \
            CHECK_STATUS(o_.status, DFX_OK);                                                \
        }                                                                                   \
    } while (0)

static void test_refusals_say_which(void) {
    char url[256];
    char ca[1200];
    snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);

    /* Unknown CA: the built-in roots do not hold the test CA. */
    url_of(url, sizeof url, "localhost", "DFX_TLS_PORT_GOOD");
    DfxClient *c = client_for(url);
    CHECK_REFUSED(c, "unknown certificate authority (unknown CA)");
    dfx_client_free(c);

    /* Signed by another CA, with the test CA trusted: still unknown. */
    url_of(url, sizeof url, "localhost", "DFX_TLS_PORT_OTHER_CA");
    c = client_for(url);
    CHECK_STATUS(dfx_client_add_ca_file(c, ca), DFX_OK);
    CHECK_REFUSED(c, "unknown CA");
    dfx_client_free(c);

    /* Wrong host: the certificate names localhost, the URL 127.0.0.1. */
    url_of(url, sizeof url, "127.0.0.1", "DFX_TLS_PORT_GOOD");
    c = client_for(url);
    CHECK_STATUS(dfx_client_add_ca_file(c, ca), DFX_OK);
    CHECK_REFUSED(c, "for another host name (wrong host)");
    CHECK_REFUSED(c, "127.0.0.1");
    dfx_client_free(c);

    /* Expired, from the trusted CA. */
    url_of(url, sizeof url, "localhost", "DFX_TLS_PORT_EXPIRED");
    c = client_for(url);
    CHECK_STATUS(dfx_client_add_ca_file(c, ca), DFX_OK);
    CHECK_REFUSED(c, "has expired");
    dfx_client_free(c);

    /* Self-signed. */
    url_of(url, sizeof url, "localhost", "DFX_TLS_PORT_SELF_SIGNED");
    c = client_for(url);
    CHECK_STATUS(dfx_client_add_ca_file(c, ca), DFX_OK);
    CHECK_REFUSED(c, "self-signed");
    dfx_client_free(c);
}

static void test_added_cas_are_trusted(void) {
    char url[256];
    url_of(url, sizeof url, "localhost", "DFX_TLS_PORT_GOOD");

    /* By file. */
    char ca[1200];
    snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
    DfxClient *c = client_for(url);
    CHECK_REFUSED(c, "unknown CA");
    CHECK_STATUS(dfx_client_add_ca_file(c, ca), DFX_OK);
    CHECK_ACCEPTED(c); /* the next connections use the new trust */
    dfx_client_free(c);

    /* By memory, not NUL-terminated, with the built-in roots off: the added CA alone. */
    size_t len = 0;
    char *pem = read_file("ca.pem", &len);
    pem[len] = 'X'; /* the length counts, not a terminator */
    c = client_for(url);
    CHECK_STATUS(dfx_client_set_trust(c, 0), DFX_OK);
    CHECK_REFUSED(c, "no certificate authority is trusted");
    CHECK_STATUS(dfx_client_add_ca_pem(c, pem, len), DFX_OK);
    CHECK_ACCEPTED(c);
    /* Sources change; added CAs stay. */
    CHECK_STATUS(dfx_client_set_trust(c, DFX_TRUST_BUILTIN), DFX_OK);
    CHECK_ACCEPTED(c);
    dfx_client_free(c);
    free(pem);

    /* A self-signed server certificate can itself be trusted. */
    url_of(url, sizeof url, "localhost", "DFX_TLS_PORT_SELF_SIGNED");
    c = client_for(url);
    pem = read_file("self-signed.pem", &len);
    CHECK_STATUS(dfx_client_add_ca_pem(c, pem, len), DFX_OK);
    CHECK_ACCEPTED(c);
    dfx_client_free(c);
    free(pem);
}

static void test_system_store(void) {
    /* The system store, pointed at the test CA (SSL_CERT_FILE is how a
     * Linux system store is overridden): trusted. Set before any client
     * reads it; no other thread of this program touches the environment. */
    char url[256], ca[1200], empty[1200];
    url_of(url, sizeof url, "localhost", "DFX_TLS_PORT_GOOD");
    snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
    snprintf(empty, sizeof empty, "%s/localhost.key", tls_dir); /* no certificate in it */
    DfxClient *c = client_for(url);
    unsetenv("SSL_CERT_DIR"); /* when set, it is read too */
    setenv("SSL_CERT_FILE", ca, 1);
    CHECK_STATUS(dfx_client_set_trust(c, DFX_TRUST_SYSTEM), DFX_OK);
    CHECK_ACCEPTED(c);
    /* A store with no certificate: DFX_ERR_TLS, and the trust is unchanged. */
    setenv("SSL_CERT_FILE", empty, 1);
    CHECK_STATUS(dfx_client_set_trust(c, DFX_TRUST_SYSTEM | DFX_TRUST_BUILTIN), DFX_ERR_TLS);
    CHECK(strstr(dfx_last_error_message(), "system trust store") != NULL);
    unsetenv("SSL_CERT_FILE");
    CHECK_ACCEPTED(c);
    dfx_client_free(c);
}

static void test_plain_http_server(void) {
    /* https:// against the plain-http sandbox. */
    char url[256];
    snprintf(url, sizeof url, "https://%s", sandbox_url() + strlen("http://"));
    DfxClient *c = client_for(url);
    CHECK_REFUSED(c, "does not speak TLS");
    CHECK_REFUSED(c, "the dfx-sandbox is http://");
    struct outcome o = status_call(c, 0);
    CHECK(strstr(o.message, "corrupt message") == NULL);
    dfx_client_free(c);
}

static void test_bad_arguments(void) {
    DfxClient *c = client_for(NULL);
    char ca[1200];
    snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
    size_t len = 0;
    char *pem = read_file("ca.pem", &len);

    CHECK_STATUS(dfx_client_set_trust(NULL, DFX_TRUST_BUILTIN), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_client_set_trust(c, 4), DFX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "sources") != NULL);
    CHECK_STATUS(dfx_client_set_trust(c, DFX_TRUST_BUILTIN | 0x80000000u), DFX_ERR_INVALID_ARGUMENT);

    CHECK_STATUS(dfx_client_add_ca_pem(NULL, pem, len), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_client_add_ca_pem(c, NULL, 10), DFX_ERR_NULL_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "pem") != NULL);
    CHECK_STATUS(dfx_client_add_ca_pem(c, pem, 0), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_client_add_ca_pem(c, "\xff\xfe", 2), DFX_ERR_INVALID_UTF8);
    CHECK_STATUS(dfx_client_add_ca_pem(c, "hello", 5), DFX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "no certificate") != NULL);
    /* Cut short: malformed, and the message quotes none of it. */
    CHECK_STATUS(dfx_client_add_ca_pem(c, pem, len - 40), DFX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "malformed") != NULL);
    CHECK(strstr(dfx_last_error_message(), "MII") == NULL);
    /* A private key alone: no certificate, and the key is not echoed. */
    size_t key_len = 0;
    char *key = read_file("localhost.key", &key_len);
    CHECK_STATUS(dfx_client_add_ca_pem(c, key, key_len), DFX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "PRIVATE") == NULL);
    CHECK(strstr(dfx_last_error_message(), key + 30) == NULL);
    free(key);

    CHECK_STATUS(dfx_client_add_ca_file(NULL, ca), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_client_add_ca_file(c, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "path") != NULL);
    CHECK_STATUS(dfx_client_add_ca_file(c, "/no/such/dir/ca.pem\xff"), DFX_ERR_INVALID_UTF8);
    CHECK_STATUS(dfx_client_add_ca_file(c, "/no/such/dir/ca.pem"), DFX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "/no/such/dir/ca.pem") != NULL);
    CHECK_STATUS(dfx_client_add_ca_file(c, tls_dir), DFX_ERR_INVALID_ARGUMENT); /* a directory */
    free(pem);
    dfx_client_free(c);
}

int main(void) {
    snprintf(tls_dir, sizeof tls_dir, "%s", env("DFX_TLS_DIR"));
    test_bad_arguments();
    test_refusals_say_which();
    test_added_cas_are_trusted();
    test_plain_http_server();
    test_system_store();
    return check_report("test_tls");
}
