/*
 * One client shared by 8 threads, each renewing 50 distinct pairs: every
 * renew succeeds and every new token is distinct. Run against DFX_SANDBOX_URL.
 */
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox_ctl.h"

#define THREADS 8
#define PER_THREAD 50

struct job {
    DfxClient *client;
    char (*tokens)[2048];
    char (*refreshes)[2048];
    char (*new_tokens)[2048];
    int failures;
};

static void *worker(void *arg) {
    struct job *job = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        DfxResponse *r = NULL;
        DfxStatus st = dfx_auth_renew(job->client, job->tokens[i], job->refreshes[i], &r);
        const char *t = dfx_response_get_string(r, "Token");
        if (st != DFX_OK || t == NULL) {
            fprintf(stderr, "renew failed: %s %s\n", dfx_status_name(st), dfx_last_error_message());
            job->failures++;
            job->new_tokens[i][0] = '\0';
        } else {
            snprintf(job->new_tokens[i], 2048, "%s", t);
        }
        dfx_response_free(r);
    }
    return NULL;
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

int main(void) {
    DfxClient *client = NULL;
    if (dfx_client_new(sandbox_url(), &client) != DFX_OK) {
        fprintf(stderr, "client: %s\n", dfx_last_error_message());
        return 1;
    }
    static char tokens[THREADS * PER_THREAD][2048];
    static char refreshes[THREADS * PER_THREAD][2048];
    static char new_tokens[THREADS * PER_THREAD][2048];
    for (int i = 0; i < THREADS * PER_THREAD; i++) sandbox_pair(tokens[i], refreshes[i]);

    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (struct job){client, tokens + t * PER_THREAD, refreshes + t * PER_THREAD,
                               new_tokens + t * PER_THREAD, 0};
        pthread_create(&threads[t], NULL, worker, &jobs[t]);
    }
    int failures = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        failures += jobs[t].failures;
    }
    qsort(new_tokens, THREADS * PER_THREAD, sizeof new_tokens[0], cmp);
    int duplicates = 0;
    for (int i = 1; i < THREADS * PER_THREAD; i++)
        if (new_tokens[i][0] && strcmp(new_tokens[i], new_tokens[i - 1]) == 0) duplicates++;
    dfx_client_free(client);
    int total = THREADS * PER_THREAD;
    printf("test_threads: %d renews on %d threads, %d failed, %d duplicate tokens\n", total, THREADS,
           failures, duplicates);
    printf("test_threads: %d passed, %d failed\n", total - failures - duplicates, failures + duplicates);
    return failures == 0 && duplicates == 0 ? 0 : 1;
}
