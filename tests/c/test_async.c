/*
 * Non-blocking calls through the C ABI, against DFX_SANDBOX_URL:
 * thousands in flight, exactly-once callbacks with the right user_data,
 * cancel-all mid-flight, free with requests in flight, the deadlock guard.
 * DFX_TEST_REQUESTS sets how many are in flight at once (default 10000).
 * Built also with AddressSanitizer by `make test`.
 */
#include <dfx.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "sandbox_ctl.h"


/* One request's record: the callback finds it through user_data. */
struct slot {
    atomic_int calls;
    DfxStatus status;
    char *new_token;
    uint64_t id;
    atomic_int *done; /* shared completion counter */
    atomic_int *after_free; /* set when dfx_client_free has returned */
    atomic_int *late;       /* callbacks that ran after free returned */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static void on_done(void *user_data, DfxStatus status, DfxResponse *response) {
    struct slot *s = user_data;
    if (s->after_free && atomic_load(s->after_free)) atomic_fetch_add(s->late, 1);
    s->status = status;
    const char *t = dfx_response_get_string(response, "Token");
    if (t) s->new_token = strdup(t);
    dfx_response_free(response);
    atomic_fetch_add(&s->calls, 1);
    pthread_mutex_lock(&lock);
    atomic_fetch_add(s->done, 1);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
}

static void wait_for(atomic_int *done, int n) {
    pthread_mutex_lock(&lock);
    while (atomic_load(done) < n) pthread_cond_wait(&wake, &lock);
    pthread_mutex_unlock(&lock);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* N renews of distinct pairs in flight at once. */
static void test_many_in_flight(int n) {
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    char **tokens = calloc((size_t)n, sizeof *tokens), **refreshes = calloc((size_t)n, sizeof *refreshes);
    sandbox_pairs(n, tokens, refreshes);
    struct slot *slots = calloc((size_t)n, sizeof *slots);
    atomic_int done = 0;
    int accepted = 0;
    double start = now();
    for (int i = 0; i < n; i++) {
        slots[i].done = &done;
        if (dfx_auth_renew_async(client, tokens[i], refreshes[i], on_done, &slots[i], &slots[i].id) == DFX_OK)
            accepted++;
    }
    double issued = now();
    wait_for(&done, accepted);
    double finished = now();
    CHECK(accepted == n);
    int once = 0, ok = 0;
    char **fresh = calloc((size_t)n, sizeof *fresh);
    int fresh_n = 0;
    for (int i = 0; i < n; i++) {
        once += atomic_load(&slots[i].calls) == 1;
        ok += slots[i].status == DFX_OK;
        if (slots[i].new_token) fresh[fresh_n++] = slots[i].new_token;
        if (slots[i].status == DFX_OK && slots[i].new_token && strcmp(slots[i].new_token, tokens[i]) == 0)
            failed++;
    }
    qsort(fresh, (size_t)fresh_n, sizeof *fresh, cmp_str);
    int dup = 0;
    for (int i = 1; i < fresh_n; i++) dup += strcmp(fresh[i], fresh[i - 1]) == 0;
    CHECK(once == n);
    CHECK(ok == n);
    CHECK(fresh_n == n);
    CHECK(dup == 0);
    /* The ids are distinct and non-zero. */
    int zero_ids = 0;
    for (int i = 0; i < n; i++) zero_ids += slots[i].id == 0;
    CHECK(zero_ids == 0);
    printf("in flight: %d renews issued in %.3f s, all completed after %.3f s; %d callbacks once, %d ok, "
           "%d duplicates\n", n, issued - start, finished - start, once, ok, dup);
    dfx_client_free(client);
    for (int i = 0; i < n; i++) {
        free(tokens[i]);
        free(refreshes[i]);
        free(slots[i].new_token);
    }
    free(tokens);
    free(refreshes);
    free(slots);
    free(fresh);
}

/* Cancel everything mid-flight: each callback once; completed ones carry
 * their result, the others DFX_ERR_CANCELLED. */
static void test_cancel_all(int n) {
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    /* Every status answer held back 300 ms, except that the first ones
     * complete before the cancel. */
    sandbox_fault("{\"Path\":\"status\",\"DelayMs\":300,\"Count\":0}");
    struct slot *slots = calloc((size_t)n, sizeof *slots);
    atomic_int done = 0;
    for (int i = 0; i < n; i++) {
        slots[i].done = &done;
        CHECK_STATUS(dfx_general_status_async(client, on_done, &slots[i], &slots[i].id), DFX_OK);
    }
    /* Let the first wave (one batch on the wire) finish, then cancel all. */
    wait_for(&done, 1);
    for (int i = 0; i < n; i++) CHECK_STATUS(dfx_client_cancel(client, slots[i].id), DFX_OK);
    wait_for(&done, n);
    int once = 0, ok = 0, cancelled = 0;
    for (int i = 0; i < n; i++) {
        once += atomic_load(&slots[i].calls) == 1;
        ok += slots[i].status == DFX_OK;
        cancelled += slots[i].status == DFX_ERR_CANCELLED;
    }
    CHECK(once == n);
    CHECK(ok + cancelled == n);
    CHECK(ok >= 1);
    CHECK(cancelled >= 1);
    /* Cancelling again, or an unknown id, is harmless. */
    CHECK_STATUS(dfx_client_cancel(client, slots[0].id), DFX_OK);
    CHECK_STATUS(dfx_client_cancel(client, 123456789), DFX_OK);
    CHECK_STATUS(dfx_client_cancel(NULL, 1), DFX_ERR_NULL_ARGUMENT);
    printf("cancel all: %d requests, %d completed, %d cancelled, %d callbacks once\n", n, ok, cancelled, once);
    sandbox_reset();
    dfx_client_free(client);
    free(slots);
}

/* Free with requests in flight: it returns only after every callback. */
static void test_free_in_flight(int n) {
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    sandbox_fault("{\"Path\":\"status\",\"DelayMs\":200,\"Count\":0}");
    struct slot *slots = calloc((size_t)n, sizeof *slots);
    atomic_int done = 0, after_free = 0, late = 0;
    for (int i = 0; i < n; i++) {
        slots[i].done = &done;
        slots[i].after_free = &after_free;
        slots[i].late = &late;
        CHECK_STATUS(dfx_general_status_async(client, on_done, &slots[i], NULL), DFX_OK);
    }
    dfx_client_free(client);
    atomic_store(&after_free, 1);
    CHECK(atomic_load(&done) == n);
    CHECK(atomic_load(&late) == 0);
    int once = 0;
    for (int i = 0; i < n; i++) once += atomic_load(&slots[i].calls) == 1;
    CHECK(once == n);
    printf("free in flight: %d requests, %d callbacks before free returned, %d after\n", n,
           atomic_load(&done), atomic_load(&late));
    sandbox_reset();
    free(slots);
}

/* Inside a callback: blocking calls are refused, async ones work, free is safe. */
struct nested {
    DfxClient *client;
    DfxStatus blocking_status;
    DfxStatus async_status;
    atomic_int stage;
    atomic_int done;
};

static void on_inner(void *user_data, DfxStatus status, DfxResponse *response) {
    struct nested *n = user_data;
    dfx_response_free(response);
    n->async_status = status;
    pthread_mutex_lock(&lock);
    atomic_store(&n->stage, 2);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
}

static void on_outer(void *user_data, DfxStatus status, DfxResponse *response) {
    struct nested *n = user_data;
    (void)status;
    dfx_response_free(response);
    DfxResponse *r = NULL;
    n->blocking_status = dfx_general_status(n->client, &r);
    dfx_response_free(r);
    if (dfx_general_status_async(n->client, on_inner, n, NULL) != DFX_OK) n->async_status = -1;
    atomic_store(&n->stage, 1);
}

static void on_free_inside(void *user_data, DfxStatus status, DfxResponse *response) {
    struct nested *n = user_data;
    (void)status;
    dfx_response_free(response);
    dfx_client_free(n->client); /* from inside its own callback */
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&n->done, 1);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
}

static void test_inside_callbacks(void) {
    static struct nested n;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &n.client), DFX_OK);
    CHECK_STATUS(dfx_general_status_async(n.client, on_outer, &n, NULL), DFX_OK);
    pthread_mutex_lock(&lock);
    while (atomic_load(&n.stage) < 2) pthread_cond_wait(&wake, &lock);
    pthread_mutex_unlock(&lock);
    CHECK_STATUS(n.blocking_status, DFX_ERR_WOULD_DEADLOCK);
    CHECK(strstr(dfx_status_name(DFX_ERR_WOULD_DEADLOCK), "DEADLOCK") != NULL);
    CHECK_STATUS(n.async_status, DFX_OK);
    dfx_client_free(n.client);

    static struct nested m;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &m.client), DFX_OK);
    CHECK_STATUS(dfx_general_status_async(m.client, on_free_inside, &m, NULL), DFX_OK);
    wait_for(&m.done, 1);
    CHECK(atomic_load(&m.done) == 1);
}

/* Argument errors come back at once and the callback never runs. */
static void test_argument_errors(void) {
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    static struct slot s;
    atomic_int done = 0;
    s.done = &done;
    uint64_t id = 77;
    CHECK_STATUS(dfx_auth_renew_async(client, "t", "r", NULL, &s, &id), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_auth_renew_async(NULL, "t", "r", on_done, &s, &id), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_auth_renew_async(client, NULL, "r", on_done, &s, &id), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_auth_renew_async(client, "", "r", on_done, &s, &id), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_auth_renew_async(client, "t", "\xff", on_done, &s, &id), DFX_ERR_INVALID_UTF8);
    CHECK_STATUS(dfx_session_renew_async(client, 9, on_done, &s, &id), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_auth_send_reset_mobile_async(client, NULL, "", on_done, &s, &id), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_general_verify_token_async(client, "", on_done, &s, &id), DFX_ERR_INVALID_ARGUMENT);
    CHECK(id == 0); /* an out-parameter is cleared on failure */
    /* A transport error arrives through the callback, with no response. */
    DfxClient *refused = NULL;
    CHECK_STATUS(dfx_client_new("http://127.0.0.1:1", &refused), DFX_OK);
    CHECK_STATUS(dfx_auth_renew_async(refused, "t", "r", on_done, &s, NULL), DFX_OK);
    wait_for(&done, 1);
    CHECK_STATUS(s.status, DFX_ERR_CONNECT);
    CHECK(atomic_load(&s.calls) == 1);
    dfx_client_free(refused);
    dfx_client_free(client);
}

int main(void) {
    const char *env = getenv("DFX_TEST_REQUESTS");
    int n = env ? atoi(env) : 10000;
    sandbox_reset();
    test_argument_errors();
    test_inside_callbacks();
    test_many_in_flight(n);
    test_cancel_all(n < 2000 ? n : 2000);
    test_free_in_flight(n < 1000 ? n : 1000);
    return check_report("test_async");
}
