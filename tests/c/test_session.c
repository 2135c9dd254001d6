/*
 * The session through the C ABI, against DFX_SANDBOX_URL: the whole token
 * lifecycle, the listener, single-flight renew (32 threads, one request),
 * the outcome-unknown renew, and a session carried to a new client as JSON.
 */
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sandbox_ctl.h"


static char license[256], org[256], email[256], password[256], phone[256];

/* Counts listener calls and keeps the last JSON it was given. */
struct listener_log {
    pthread_mutex_t lock;
    int calls;
    char last[8192];
    DfxClient *client;
    DfxStatus reentry; /* what dfx_session_set returned from inside the listener */
};

static void on_session(void *user_data, const char *json) {
    struct listener_log *log = user_data;
    pthread_mutex_lock(&log->lock);
    log->calls++;
    snprintf(log->last, sizeof log->last, "%s", json);
    if (log->client != NULL) log->reentry = dfx_session_set(log->client, DFX_SESSION_ROLE_ID, "x");
    pthread_mutex_unlock(&log->lock);
}

static char *session_field(DfxClient *client, DfxSessionField field) {
    char *value = NULL;
    CHECK_STATUS(dfx_session_get(client, field, &value), DFX_OK);
    return value;
}

static long count_renews(void) {
    char *stats = sandbox_request("GET", "/_sandbox/stats", NULL);
    const char *at = strstr(stats, "\"POST auths/renew\":");
    long n = at ? atol(at + strlen("\"POST auths/renew\":")) : 0;
    free(stats);
    return n;
}

static void test_fields_and_json(DfxClient *client) {
    char *value = (char *)&value;
    CHECK_STATUS(dfx_session_get(client, 7, &value), DFX_ERR_INVALID_ARGUMENT);
    CHECK(value == NULL);
    CHECK_STATUS(dfx_session_get(client, -1, &value), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_session_get(NULL, DFX_SESSION_DEVICE_ID, &value), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_session_get(client, DFX_SESSION_DEVICE_ID, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_session_set(client, 99, "x"), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_session_set(client, DFX_SESSION_DEVICE_ID, "\xff"), DFX_ERR_INVALID_UTF8);
    CHECK_STATUS(dfx_session_set(client, DFX_SESSION_DEVICE_ID, "dev-1"), DFX_OK);
    value = session_field(client, DFX_SESSION_DEVICE_ID);
    CHECK(value && strcmp(value, "dev-1") == 0);
    dfx_string_free(value);
    CHECK_STATUS(dfx_session_set(client, DFX_SESSION_DEVICE_ID, NULL), DFX_OK);
    value = session_field(client, DFX_SESSION_DEVICE_ID);
    CHECK(value && value[0] == '\0');
    dfx_string_free(value);
    dfx_string_free(NULL);

    CHECK_STATUS(dfx_session_from_json(client, "not json"), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_session_from_json(client, "{\"token\":\"x\"}"), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_session_from_json(client, "{\"deviceId\":7}"), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_session_from_json(client, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_session_from_json(client, "{\"deviceId\":\"d\",\"selectedStudy\":\"\"}"), DFX_OK);
    char *json = NULL;
    CHECK_STATUS(dfx_session_to_json(client, &json), DFX_OK);
    CHECK(json && strstr(json, "\"deviceId\":\"d\"") && strstr(json, "\"userRefreshToken\":\"\""));
    dfx_string_free(json);
    CHECK_STATUS(dfx_session_from_json(client, "{}"), DFX_OK);

    int64_t exp = 0;
    CHECK_STATUS(dfx_session_token_expiry(client, DFX_TOKEN_DEVICE, &exp), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_token_expiry("a.b", &exp), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_token_expiry(NULL, &exp), DFX_ERR_NULL_ARGUMENT);
    /* Arguments are checked in order: the bad kind before the NULL out-parameter. */
    CHECK_STATUS(dfx_session_renew(client, 5, NULL), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_session_renew(client, DFX_TOKEN_DEVICE, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "out_response") != NULL);
    DfxResponse *r = (DfxResponse *)&r;
    CHECK_STATUS(dfx_session_renew(client, 5, &r), DFX_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK_STATUS(dfx_session_renew(client, DFX_TOKEN_DEVICE, &r), DFX_ERR_INVALID_ARGUMENT);
}

static void test_lifecycle(DfxClient *client, struct listener_log *log) {
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_general_status(client, &r), DFX_OK);
    CHECK(dfx_response_get_string(r, "StatusID") && strcmp(dfx_response_get_string(r, "StatusID"), "ACTIVE") == 0);
    dfx_response_free(r);

    int before = log->calls;
    CHECK_STATUS(dfx_organization_register_license(client, license, "LINUX", "c-test", org, "1.0", &r), DFX_OK);
    CHECK(log->calls == before + 1);
    CHECK(strstr(log->last, dfx_response_get_string(r, "Token")) != NULL);
    CHECK(log->reentry == DFX_ERR_WOULD_DEADLOCK);
    char *device_id = session_field(client, DFX_SESSION_DEVICE_ID);
    CHECK(strcmp(device_id, dfx_response_get_string(r, "DeviceID")) == 0);
    dfx_string_free(device_id);
    dfx_response_free(r);

    int64_t exp = 0;
    CHECK_STATUS(dfx_session_token_expiry(client, DFX_TOKEN_DEVICE, &exp), DFX_OK);
    CHECK_STATUS(dfx_general_verify_token(client, NULL, &r), DFX_OK);
    CHECK(strstr(dfx_response_body(r), "\"exp\"") != NULL);
    dfx_response_free(r);

    CHECK_STATUS(dfx_user_login(client, email, "wrong-password", NULL, &r), DFX_ERR_API);
    CHECK(dfx_response_status(r) == 401);
    dfx_response_free(r);
    before = log->calls;
    CHECK_STATUS(dfx_user_login(client, email, password, NULL, &r), DFX_OK);
    CHECK(log->calls == before + 1);
    dfx_response_free(r);

    char *old_user = session_field(client, DFX_SESSION_USER_TOKEN);
    CHECK_STATUS(dfx_session_renew(client, DFX_TOKEN_USER, &r), DFX_OK);
    char *new_user = session_field(client, DFX_SESSION_USER_TOKEN);
    CHECK(strcmp(old_user, new_user) != 0);
    CHECK(strcmp(new_user, dfx_response_get_string(r, "Token")) == 0);
    dfx_string_free(old_user);
    dfx_string_free(new_user);
    dfx_response_free(r);

    CHECK_STATUS(dfx_auth_request_login_code(client, phone, org, &r), DFX_OK);
    dfx_response_free(r);
    char path[512], code[64];
    snprintf(path, sizeof path, "/_sandbox/login-code?phone=%%2B%s", phone + 1);
    char *body = sandbox_request("GET", path, NULL);
    json_string_field(body, "LoginCode", code, sizeof code);
    free(body);
    CHECK_STATUS(dfx_user_login_with_phone_code(client, code, phone, org, &r), DFX_OK);
    dfx_response_free(r);
    CHECK_STATUS(dfx_user_login_with_phone_code(client, code, phone, org, &r), DFX_ERR_API);
    dfx_response_free(r);

    char *device_token = session_field(client, DFX_SESSION_DEVICE_TOKEN);
    CHECK_STATUS(dfx_organization_unregister_license(client, &r), DFX_OK);
    dfx_response_free(r);
    char *cleared = session_field(client, DFX_SESSION_DEVICE_TOKEN);
    CHECK(cleared[0] == '\0');
    dfx_string_free(cleared);
    CHECK(strstr(log->last, "\"deviceId\":\"\"") != NULL);
    CHECK_STATUS(dfx_general_verify_token(client, device_token, &r), DFX_ERR_API);
    CHECK(dfx_response_status(r) == 401);
    dfx_response_free(r);
    dfx_string_free(device_token);
}

static pthread_barrier_t start_line;

struct renewer {
    DfxClient *client;
    DfxStatus status;
    char token[2048];
};

static void *renew_thread(void *arg) {
    struct renewer *job = arg;
    DfxResponse *r = NULL;
    pthread_barrier_wait(&start_line);
    job->status = dfx_session_renew(job->client, DFX_TOKEN_DEVICE, &r);
    const char *t = dfx_response_get_string(r, "Token");
    snprintf(job->token, sizeof job->token, "%s", t ? t : "");
    dfx_response_free(r);
    return NULL;
}

static void test_single_flight(DfxClient *client, struct listener_log *log) {
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_organization_register_license(client, license, "LINUX", "c-test", org, "1.0", &r), DFX_OK);
    dfx_response_free(r);
    /* The sandbox holds its answer back so that every thread is in flight
     * together (longer under valgrind, which runs one thread at a time). */
    const char *hold = getenv("DFX_TEST_HOLD_MS");
    char fault[128];
    snprintf(fault, sizeof fault, "{\"Path\":\"auths/renew\",\"Phase\":\"After\",\"DelayMs\":%d}",
             hold ? atoi(hold) : 200);
    sandbox_fault(fault);
    long renews_before = count_renews();
    int calls_before = log->calls;
    enum { N = 32 };
    static struct renewer jobs[N];
    pthread_t threads[N];
    pthread_barrier_init(&start_line, NULL, N);
    for (int i = 0; i < N; i++) {
        jobs[i].client = client;
        pthread_create(&threads[i], NULL, renew_thread, &jobs[i]);
    }
    for (int i = 0; i < N; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start_line);
    int ok = 0, same = 0;
    for (int i = 0; i < N; i++) {
        ok += jobs[i].status == DFX_OK;
        same += strcmp(jobs[i].token, jobs[0].token) == 0;
    }
    CHECK(ok == N);
    CHECK(same == N);
    CHECK(count_renews() - renews_before == 1);
    CHECK(log->calls - calls_before == 1);
    char *stored = session_field(client, DFX_SESSION_DEVICE_TOKEN);
    CHECK(strcmp(stored, jobs[0].token) == 0);
    dfx_string_free(stored);
    printf("single flight: %d threads, %d ok, %ld renew request(s), %d listener call(s)\n", N, ok,
           count_renews() - renews_before, log->calls - calls_before);
}

static void test_outcome_unknown(DfxClient *client, struct listener_log *log) {
    char *before = NULL;
    CHECK_STATUS(dfx_session_to_json(client, &before), DFX_OK);
    sandbox_fault("{\"Path\":\"auths/renew\",\"Phase\":\"After\",\"Action\":\"Drop\"}");
    long renews_before = count_renews();
    int calls_before = log->calls;
    DfxResponse *r = (DfxResponse *)&r;
    DfxStatus st = dfx_session_renew(client, DFX_TOKEN_DEVICE, &r);
    CHECK_STATUS(st, DFX_ERR_OUTCOME_UNKNOWN);
    CHECK(strstr(dfx_status_name(st), "UNKNOWN") != NULL);
    CHECK(r == NULL);
    CHECK(count_renews() - renews_before == 1); /* never retried */
    CHECK(log->calls == calls_before);          /* no wrong pair announced */
    char *after = NULL;
    CHECK_STATUS(dfx_session_to_json(client, &after), DFX_OK);
    CHECK(strcmp(before, after) == 0); /* the old pair is kept */
    dfx_string_free(before);
    dfx_string_free(after);
}

static void test_export_import(DfxClient *client) {
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_organization_register_license(client, license, "LINUX", "c-test", org, "1.0", &r), DFX_OK);
    dfx_response_free(r);
    char *json = NULL;
    CHECK_STATUS(dfx_session_to_json(client, &json), DFX_OK);
    DfxClient *other = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &other), DFX_OK);
    CHECK_STATUS(dfx_session_from_json(other, json), DFX_OK);
    dfx_string_free(json);
    CHECK_STATUS(dfx_general_verify_token(other, NULL, &r), DFX_OK);
    dfx_response_free(r);
    CHECK_STATUS(dfx_session_renew(other, DFX_TOKEN_DEVICE, &r), DFX_OK);
    dfx_response_free(r);
    CHECK_STATUS(dfx_organization_unregister_license(other, &r), DFX_OK);
    dfx_response_free(r);
    dfx_client_free(other);
}

int main(void) {
    sandbox_reset();
    char *seed = sandbox_request("GET", "/_sandbox/seed", NULL);
    json_string_field(seed, "LicenseKey", license, sizeof license);
    json_string_field(seed, "Organization", org, sizeof org);
    json_string_field(seed, "Email", email, sizeof email);
    json_string_field(seed, "Password", password, sizeof password);
    json_string_field(seed, "PhoneNumber", phone, sizeof phone);
    free(seed);

    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    static struct listener_log log = {PTHREAD_MUTEX_INITIALIZER, 0, "", NULL, DFX_OK};
    CHECK_STATUS(dfx_client_set_session_listener(NULL, on_session, &log), DFX_ERR_NULL_ARGUMENT);
    test_fields_and_json(client);
    CHECK_STATUS(dfx_client_set_session_listener(client, on_session, &log), DFX_OK);
    log.client = client;
    test_lifecycle(client, &log);
    log.client = NULL;
    test_single_flight(client, &log);
    test_outcome_unknown(client, &log);
    CHECK_STATUS(dfx_client_set_session_listener(client, NULL, NULL), DFX_OK);
    test_export_import(client);
    dfx_client_free(client);
    sandbox_reset();
    return check_report("test_session");
}
