/*
 * No secret in any message, from C: every secret-carrying call is sent with
 * recognisable secrets (all containing "S3CR3T") to a dfx-sandbox that
 * echoes the whole request into the answer's Code and Message (fault
 * action Echo); dfx_last_error_message() must never contain one, while the
 * body handed out on DFX_ERR_API stays the server's bytes. The same for
 * malformed base URLs and bad arguments. Against DFX_SANDBOX_URL.
 */
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sandbox_ctl.h"

#define MARK "S3CR3T"

static const char *const DEVICE_TOKEN = "S3CR3T-device-token";
static const char *const DEVICE_REFRESH = "S3CR3T-device-refresh";
static const char *const USER_TOKEN = "S3CR3T-user-token";
static const char *const USER_REFRESH = "S3CR3T-user-refresh";
static const char *const TOKEN = "S3CR3T-explicit-token";
static const char *const REFRESH = "S3CR3T-explicit-refresh";
static const char *const PASSWORD = "S3CR3T-password";
static const char *const LICENSE_KEY = "S3CR3T-license-key";
static const char *const MFA = "S3CR3T-mfa-123456";
static const char *const LOGIN_CODE = "S3CR3T-login-code-0042";

static void check_clean(const char *what, const char *message) {
    if (strstr(message, MARK) != NULL) {
        fprintf(stderr, "%s: a secret leaked: %s\n", what, message);
        failed++;
    } else {
        passed++;
    }
}

/* An API failure whose answer echoed the request: the message is clean and
 * shows the redaction; the body is the server's, secrets and all. */
static void check_echo(const char *what, DfxStatus st, DfxResponse *r) {
    CHECK_STATUS(st, DFX_ERR_API);
    const char *message = dfx_last_error_message();
    check_clean(what, message);
    CHECK(strstr(message, "\xe2\x80\xa6") != NULL); /* "…": the echo was there, redacted */
    const char *body = dfx_response_body(r);
    CHECK(body != NULL && strstr(body, MARK) != NULL);
    dfx_response_free(r);
}

/* Argument evaluation order is unspecified in C: the call first, then r. */
#define ECHO(what, call)                                                                   \
    do {                                                                                   \
        DfxStatus st_ = (call);                                                            \
        check_echo((what), st_, r);                                                        \
        r = NULL;                                                                          \
    } while (0)

static void test_echoing_server(DfxClient *c) {
    sandbox_fault("{\"Action\":\"Echo\",\"Status\":500,\"Count\":0}");
    CHECK_STATUS(dfx_session_set(c, DFX_SESSION_DEVICE_TOKEN, DEVICE_TOKEN), DFX_OK);
    CHECK_STATUS(dfx_session_set(c, DFX_SESSION_DEVICE_REFRESH_TOKEN, DEVICE_REFRESH), DFX_OK);
    CHECK_STATUS(dfx_session_set(c, DFX_SESSION_USER_TOKEN, USER_TOKEN), DFX_OK);
    CHECK_STATUS(dfx_session_set(c, DFX_SESSION_USER_REFRESH_TOKEN, USER_REFRESH), DFX_OK);
    DfxResponse *r = NULL;
    ECHO("renew", dfx_auth_renew(c, TOKEN, REFRESH, &r));
    ECHO("register", dfx_organization_register_license(c, LICENSE_KEY, "LINUX", "kiosk", "dfxdemo", "1.0", &r));
    ECHO("org login", dfx_organization_login(c, "a@example.com", PASSWORD, "dfxdemo", MFA, &r));
    ECHO("user login", dfx_user_login(c, "a@example.com", PASSWORD, MFA, &r));
    ECHO("generate token", dfx_auth_generate_token(c, TOKEN, REFRESH, &r));
    ECHO("phone login", dfx_user_login_with_phone_code(c, LOGIN_CODE, "+15555550100", "dfxdemo", &r));
    ECHO("reset link", dfx_auth_request_reset_password_link(c, "a@example.com", "dfxdemo", &r));
    ECHO("reset mobile", dfx_auth_send_reset_mobile(c, "a@example.com", NULL, &r));
    ECHO("login code", dfx_auth_request_login_code(c, "+15555550100", "dfxdemo", &r));
    ECHO("verify", dfx_general_verify_token(c, TOKEN, &r));
    ECHO("credentials", dfx_auth_get_org_client_credentials(c, "org-1", &r));
    ECHO("session renew device", dfx_session_renew(c, DFX_TOKEN_DEVICE, &r));
    ECHO("session renew user", dfx_session_renew(c, DFX_TOKEN_USER, &r));
    ECHO("unregister", dfx_organization_unregister_license(c, &r));
    sandbox_reset();
}

/* The async form: the message on the callback's thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int done;
static char async_message[4096];
static DfxStatus async_status;

static void on_done(void *user_data, DfxStatus status, DfxResponse *response) {
    (void)user_data;
    pthread_mutex_lock(&lock);
    async_status = status;
    snprintf(async_message, sizeof async_message, "%s", dfx_last_error_message());
    done = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    dfx_response_free(response);
}

static void test_echoing_server_async(DfxClient *c) {
    sandbox_fault("{\"Action\":\"Echo\",\"Status\":500,\"Count\":0}");
    uint64_t id = 0;
    CHECK_STATUS(dfx_auth_renew_async(c, TOKEN, REFRESH, on_done, NULL, &id), DFX_OK);
    pthread_mutex_lock(&lock);
    while (!done) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    CHECK(async_status == DFX_ERR_API);
    check_clean("renew async", async_message);
    CHECK(strstr(async_message, "\xe2\x80\xa6") != NULL);
    sandbox_reset();
}

static void test_malformed_urls(void) {
    static const char *const urls[] = {
        "http://user:S3CR3T@[::1",
        "https://user:S3CR3T@api.deepaffex.ai",
        "https://api.deepaffex.ai/?token=S3CR3T",
        "https://api.deepaffex.ai/#S3CR3T",
        "http://example.com/S3CR3T",
        "user:S3CR3T@example.com",
        "https://exa mple.com/S3CR3T",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        DfxClient *c = (DfxClient *)1;
        CHECK_STATUS(dfx_client_new(urls[i], &c), DFX_ERR_INVALID_URL);
        CHECK(c == NULL);
        check_clean(urls[i], dfx_last_error_message());
    }
    DfxClient *c = NULL;
    CHECK_STATUS(dfx_client_new("127.0.0.1:8080", &c), DFX_ERR_INVALID_URL);
    CHECK(strstr(dfx_last_error_message(), "must start with https://") != NULL);
}

static void test_bad_arguments(DfxClient *c) {
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_auth_renew(c, "S3CR3T\r\nX: y", REFRESH, &r), DFX_ERR_INVALID_ARGUMENT);
    check_clean("bad token bytes", dfx_last_error_message());
    CHECK_STATUS(dfx_auth_renew(c, TOKEN, "", &r), DFX_ERR_INVALID_ARGUMENT);
    check_clean("empty refresh", dfx_last_error_message());
    CHECK_STATUS(dfx_user_login(c, "a@example.com", "", MFA, &r), DFX_ERR_INVALID_ARGUMENT);
    check_clean("empty password", dfx_last_error_message());
    CHECK_STATUS(dfx_auth_renew(c, TOKEN, "S3CR3T-\xff", &r), DFX_ERR_INVALID_UTF8);
    check_clean("bad UTF-8", dfx_last_error_message());
    CHECK_STATUS(dfx_session_from_json(c, "{\"deviceToken\":\"S3CR3T-a\",\"bogus\":\"S3CR3T-b\"}"),
                 DFX_ERR_INVALID_ARGUMENT);
    check_clean("session JSON", dfx_last_error_message());
    CHECK_STATUS(dfx_session_from_json(c, "{\"deviceToken\":\"S3CR3T-a\""), DFX_ERR_INVALID_ARGUMENT);
    check_clean("cut session JSON", dfx_last_error_message());
    int64_t exp = 0;
    CHECK_STATUS(dfx_token_expiry("S3CR3T.S3CR3T.S3CR3T", &exp), DFX_ERR_INVALID_ARGUMENT);
    check_clean("token expiry", dfx_last_error_message());
    /* The first NULL argument is the one named. */
    CHECK_STATUS(dfx_auth_renew(NULL, NULL, NULL, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK(strcmp(dfx_last_error_message(), "argument `client` is NULL") == 0);
}

int main(void) {
    sandbox_reset();
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    test_echoing_server(client);
    test_echoing_server_async(client);
    test_malformed_urls();
    test_bad_arguments(client);
    dfx_client_free(client);
    sandbox_reset();
    return check_report("test_secrets");
}
