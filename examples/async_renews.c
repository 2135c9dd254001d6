/*
 * Many renews at once with the non-blocking calls and a small event loop.
 *
 *   async_renews BASE_URL < pairs.txt      (one "TOKEN REFRESH_TOKEN" per line)
 *
 * A server that looks after many devices renews their pairs without a
 * thread per request: every renew is started at once with
 * dfx_auth_renew_async(); callbacks (on dfx's internal threads) only push
 * the finished response onto a queue and wake the main loop, which does
 * the real work — here, storing each new pair — on its own thread.
 */
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct done {
    struct done *next;
    size_t index; /* which pair */
    DfxStatus status;
    DfxResponse *response; /* owned; NULL on transport errors */
};

/* The event loop's queue: callbacks push, the main thread pops. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct done *head;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL};

struct pair {
    char *token, *refresh;
};

static struct pair *pairs;

/* Runs on a dfx thread: keep it short, hand the result over. */
static void on_renewed(void *user_data, DfxStatus status, DfxResponse *response) {
    struct done *d = malloc(sizeof *d);
    d->index = (size_t)((struct pair *)user_data - pairs);
    d->status = status;
    d->response = response;
    pthread_mutex_lock(&queue.lock);
    d->next = queue.head;
    queue.head = d;
    pthread_cond_signal(&queue.wake);
    pthread_mutex_unlock(&queue.lock);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s BASE_URL < pairs.txt\n", argv[0]);
        return 2;
    }
    size_t n = 0, cap = 64;
    pairs = malloc(cap * sizeof *pairs);
    char token[4096], refresh[4096];
    while (scanf("%4095s %4095s", token, refresh) == 2) {
        if (n == cap) pairs = realloc(pairs, (cap *= 2) * sizeof *pairs);
        pairs[n].token = strdup(token);
        pairs[n].refresh = strdup(refresh);
        n++;
    }

    DfxClient *client = NULL;
    DfxStatus st = dfx_client_new(argv[1], &client);
    if (st != DFX_OK) {
        fprintf(stderr, "dfx_client_new: %s: %s\n", dfx_status_name(st), dfx_last_error_message());
        return 1;
    }

    /* Start them all. An error here is about the arguments, and then the
     * callback will not run for that pair. */
    size_t pending = 0;
    for (size_t i = 0; i < n; i++) {
        st = dfx_auth_renew_async(client, pairs[i].token, pairs[i].refresh, on_renewed, &pairs[i], NULL);
        if (st == DFX_OK)
            pending++;
        else
            fprintf(stderr, "pair %zu not started: %s: %s\n", i, dfx_status_name(st), dfx_last_error_message());
    }
    printf("%zu renews in flight\n", pending);

    /* The event loop. */
    size_t ok = 0, refused = 0, unknown = 0, other = 0;
    while (pending > 0) {
        pthread_mutex_lock(&queue.lock);
        while (queue.head == NULL) pthread_cond_wait(&queue.wake, &queue.lock);
        struct done *batch = queue.head;
        queue.head = NULL;
        pthread_mutex_unlock(&queue.lock);
        while (batch != NULL) {
            struct done *d = batch;
            batch = d->next;
            pending--;
            if (d->status == DFX_OK) {
                /* Store the new pair before anything else uses it. */
                struct pair *p = &pairs[d->index];
                free(p->token);
                free(p->refresh);
                p->token = strdup(dfx_response_get_string(d->response, "Token"));
                p->refresh = strdup(dfx_response_get_string(d->response, "RefreshToken"));
                ok++;
            } else if (d->status == DFX_ERR_API) {
                refused++; /* e.g. 401: this pair is dead, register that device again */
            } else if (d->status == DFX_ERR_OUTCOME_UNKNOWN) {
                unknown++; /* keep the old pair, retry it once later */
            } else {
                other++; /* nothing was answered; the pair is intact */
            }
            dfx_response_free(d->response);
            free(d);
        }
    }
    printf("renewed %zu, refused %zu, outcome unknown %zu, other failures %zu\n", ok, refused, unknown, other);

    dfx_client_free(client);
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].token);
        free(pairs[i].refresh);
    }
    free(pairs);
    return ok == n ? 0 : 1;
}
