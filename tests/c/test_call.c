/*
 * dfx_call from C, against DFX_SANDBOX_URL: a register and a login, a
 * measurement create and a data chunk, a list with query options, each
 * argument error (nothing sent), an async call, and dfx_operations_json.
 * What reached the wire is read back from the sandbox's request log.
 */
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sandbox_ctl.h"

static char license[256], org[256], email[256], password[256], study[256];

/* The requests the sandbox recorded since the last call (a JSON array). */
static char *recorded(void) { return sandbox_request("GET", "/_sandbox/requests", NULL); }
static void forget(void) { free(sandbox_request("DELETE", "/_sandbox/requests", NULL)); }

/* The one request recorded since forget() contains every one of `parts`. */
static void check_wire(const char *const *parts, int n) {
    char *log = recorded();
    int requests = 0;
    for (const char *at = log; (at = strstr(at, "\"Method\":")) != NULL; at++) requests++;
    CHECK(requests == 1);
    for (int i = 0; i < n; i++) {
        if (strstr(log, parts[i]) == NULL) {
            fprintf(stderr, "wire: %s lacks %s\n", log, parts[i]);
            CHECK(0);
        } else {
            CHECK(1);
        }
    }
    free(log);
    forget();
}

/* dfx_call refuses with `want`, leaves a message containing `words`
 * (or any message when NULL), and sends nothing. */
static void refused(DfxClient *c, const char *op, const char *params, DfxStatus want, const char *words) {
    DfxResponse *r = (DfxResponse *)&r;
    CHECK_STATUS(dfx_call(c, op, params, &r), want);
    CHECK(r == NULL);
    const char *msg = dfx_last_error_message();
    CHECK(msg[0] != '\0');
    if (words != NULL && strstr(msg, words) == NULL) {
        fprintf(stderr, "refused %s: %s lacks %s\n", op ? op : "(null)", msg, words);
        CHECK(0);
    }
}

static void test_argument_errors(DfxClient *c) {
    DfxResponse *r = NULL;
    refused(c, "measurement.create", "{}", DFX_ERR_INVALID_ARGUMENT, "measurements.create");
    refused(c, "measurements.data", "{\"ID\":\"m\",\"data\":{\"Action\":\"a\",\"Payload\":\"p\"}}",
            DFX_ERR_INVALID_ARGUMENT, "did you mean `id`?");
    refused(c, "measurements.data", "{\"id\":\"m\",\"data\":{\"Action\":\"a\"}}", DFX_ERR_INVALID_ARGUMENT,
            "required field `Payload`");
    refused(c, "measurements.create", "{\"data\":{\"StudyID\":7,\"Resolution\":100}}", DFX_ERR_INVALID_ARGUMENT,
            "`data.StudyID` must be a string, not a number");
    refused(c, "measurements.list", "{\"data\":{\"limit\":[5]}}", DFX_ERR_INVALID_ARGUMENT, "data.limit");
    refused(c, "measurements.create", "{\"data\":", DFX_ERR_INVALID_ARGUMENT, "not valid JSON");
    refused(NULL, "general.status", NULL, DFX_ERR_NULL_ARGUMENT, "client");
    refused(c, NULL, NULL, DFX_ERR_NULL_ARGUMENT, "operation");
    CHECK_STATUS(dfx_call(c, "general.status", NULL, NULL), DFX_ERR_NULL_ARGUMENT);
    refused(c, "general.stat\xff", NULL, DFX_ERR_INVALID_UTF8, "operation");
    refused(c, "studies.retrieve", "{\"studyId\":\"\xc3\x28\"}", DFX_ERR_INVALID_UTF8, "params_json");
    (void)r;
    char *log = recorded();
    CHECK(strcmp(log, "[]") == 0); /* nothing reached the wire */
    free(log);
}

static void test_login(DfxClient *c) {
    char params[1024];
    DfxResponse *r = NULL;
    snprintf(params, sizeof params,
             "{\"data\":{\"Key\":\"%s\",\"DeviceTypeID\":\"LINUX\",\"Name\":\"c-call\",\"Identifier\":\"%s\","
             "\"Version\":\"1.0\"},\"enableSession\":true}",
             license, org);
    CHECK_STATUS(dfx_call(c, "organizations.registerLicense", params, &r), DFX_OK);
    dfx_response_free(r);
    const char *wire[] = {"\"Path\":\"organizations/licenses\"", "\"x-nura-session\":\"true\""};
    check_wire(wire, 2);

    snprintf(params, sizeof params, "{\"data\":{\"Email\":\"%s\",\"Password\":\"%s\"}}", email, password);
    CHECK_STATUS(dfx_call(c, "users.login", params, &r), DFX_OK);
    char *stored = NULL;
    CHECK_STATUS(dfx_session_get(c, DFX_SESSION_USER_TOKEN, &stored), DFX_OK);
    CHECK(r != NULL && stored != NULL && strcmp(stored, dfx_response_get_string(r, "Token")) == 0);
    dfx_string_free(stored);
    dfx_response_free(r);
    forget();
}

/* A measurement on the seed study: created, then its first, middle and
 * last chunk; each answered 200, each as the wire should carry it. */
static void test_measurement(DfxClient *c) {
    DfxResponse *r = NULL;
    char params[512];
    snprintf(params, sizeof params, "{\"data\":{\"StudyID\":\"%s\",\"Resolution\":100}}", study);
    CHECK_STATUS(dfx_call(c, "measurements.create", params, &r), DFX_OK);
    char id[256] = "";
    if (r != NULL && dfx_response_get_string(r, "ID") != NULL)
        snprintf(id, sizeof id, "%s", dfx_response_get_string(r, "ID"));
    CHECK(id[0] != '\0');
    dfx_response_free(r);
    const char *create[] = {"\"Method\":\"POST\"", "\"Path\":\"measurements\"", "\"Query\":null",
                            "\\\"Resolution\\\":100", "\"authorization\":\"Bearer "};
    check_wire(create, 5);

    const char *actions[] = {"FIRST::PROCESS", "CHUNK::PROCESS", "LAST::PROCESS"};
    for (int i = 0; i < 3; i++) {
        snprintf(params, sizeof params, "{\"id\":\"%s\",\"data\":{\"Action\":\"%s\",\"Payload\":\"Y2h1bmsx\"}}", id,
                 actions[i]);
        CHECK_STATUS(dfx_call(c, "measurements.data", params, &r), DFX_OK);
        dfx_response_free(r);
        const char *data[] = {"/data\"", actions[i], "Y2h1bmsx"};
        check_wire(data, 3);
    }
    /* The measurement is closed now: another chunk is the API's refusal. */
    snprintf(params, sizeof params, "{\"id\":\"%s\",\"data\":{\"Action\":\"CHUNK::PROCESS\",\"Payload\":\"eA==\"}}", id);
    CHECK_STATUS(dfx_call(c, "measurements.data", params, &r), DFX_ERR_API);
    CHECK(r != NULL && dfx_response_error_code(r) != NULL &&
          strcmp(dfx_response_error_code(r), "MEASUREMENT_CLOSED") == 0);
    dfx_response_free(r);
    forget();
    /* A path value with reserved characters is encoded, and unknown. */
    CHECK_STATUS(dfx_call(c, "measurements.data",
                          "{\"id\":\"m 1/x\",\"data\":{\"Action\":\"FIRST::PROCESS\",\"Payload\":\"eA==\"}}", &r),
                 DFX_ERR_API);
    CHECK(r != NULL && dfx_response_status(r) == 404);
    dfx_response_free(r);
    const char *encoded[] = {"\"Path\":\"measurements/m%201%2Fx/data\""};
    check_wire(encoded, 1);
}

static void test_list(DfxClient *c) {
    DfxResponse *r = NULL;
    DfxStatus st = dfx_call(c, "measurements.list", "{\"data\":{\"limit\":5,\"statusId\":\"COMPLETE\",\"date\":null}}", &r);
    CHECK_STATUS(st, DFX_OK);
    CHECK(r != NULL && dfx_response_body(r)[0] == '[');
    dfx_response_free(r);
    const char *wire[] = {"\"Method\":\"GET\"", "\"Path\":\"measurements\"", "\"Query\":\"StatusID=COMPLETE&Limit=5\""};
    check_wire(wire, 3);
}

struct done {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int called;
    DfxStatus status;
};

static void on_done(void *user_data, DfxStatus status, DfxResponse *response) {
    struct done *d = user_data;
    pthread_mutex_lock(&d->lock);
    d->called++;
    d->status = status;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
    dfx_response_free(response);
}

static void test_async(DfxClient *c) {
    struct done d = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, DFX_OK};
    uint64_t id = 0;
    CHECK_STATUS(dfx_call_async(c, "general.status", NULL, on_done, &d, &id), DFX_OK);
    CHECK(id != 0);
    pthread_mutex_lock(&d.lock);
    while (d.called == 0) pthread_cond_wait(&d.cond, &d.lock);
    pthread_mutex_unlock(&d.lock);
    CHECK(d.called == 1 && d.status == DFX_OK);
    CHECK_STATUS(dfx_call_async(c, "general.sttus", NULL, on_done, &d, &id), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_call_async(c, "general.status", NULL, NULL, &d, &id), DFX_ERR_NULL_ARGUMENT);
    CHECK(d.called == 1); /* refused calls never call back */
    forget();
}

static void test_operations_json(void) {
    const char *ops = dfx_operations_json();
    CHECK(ops != NULL && ops == dfx_operations_json());
    CHECK(ops != NULL && ops[0] == '[');
    CHECK(ops != NULL && strstr(ops, "\"operation\":\"measurements.create\"") != NULL);
    int n = 0;
    for (const char *at = ops; at && (at = strstr(at, "\"operation\":")) != NULL; at++) n++;
    CHECK(n == 133);
}

int main(void) {
    sandbox_reset();
    char *seed = sandbox_request("GET", "/_sandbox/seed", NULL);
    json_string_field(seed, "LicenseKey", license, sizeof license);
    json_string_field(seed, "Organization", org, sizeof org);
    json_string_field(seed, "Email", email, sizeof email);
    json_string_field(seed, "Password", password, sizeof password);
    json_string_field(seed, "StudyID", study, sizeof study);
    free(seed);

    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    test_argument_errors(client);
    test_login(client);
    test_measurement(client);
    test_list(client);
    test_async(client);
    test_operations_json();
    dfx_client_free(client);
    sandbox_reset();
    return check_report("test_call");
}
