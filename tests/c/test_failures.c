/*
 * The C ABI from C: every failure path a caller must handle, by status code,
 * against a running dfx-sandbox (DFX_SANDBOX_URL). Compiled with
 * -Wall -Wextra -Werror against include/dfx.h, linked shared and static, and
 * run under valgrind by `make test`.
 */
#include <dfx.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sandbox_ctl.h"


static DfxClient *client_for(const char *url) {
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(url, &client), DFX_OK);
    return client;
}

static void test_version_and_names(void) {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", DFX_VERSION_MAJOR, DFX_VERSION_MINOR,
             DFX_VERSION_PATCH);
    CHECK(strcmp(dfx_version(), expected) == 0);
    CHECK(strcmp(dfx_version(), DFX_VERSION_STRING) == 0);
    CHECK(strcmp(dfx_status_name(DFX_OK), "DFX_OK") == 0);
    CHECK(strcmp(dfx_status_name(DFX_ERR_API), "DFX_ERR_API") == 0);
    CHECK(strstr(dfx_status_name(DFX_ERR_NULL_ARGUMENT), "NULL") != NULL);
    CHECK(strstr(dfx_status_name(DFX_ERR_INVALID_ARGUMENT), "INVALID") != NULL);
    CHECK(strstr(dfx_status_name(DFX_ERR_CONNECT), "CONNECT") != NULL);
    CHECK(strstr(dfx_status_name(DFX_ERR_TIMEOUT), "TIMEOUT") != NULL);
    CHECK(strstr(dfx_status_name(DFX_ERR_OUTCOME_UNKNOWN), "UNKNOWN") != NULL);
    CHECK(strstr(dfx_status_name(DFX_ERR_WOULD_DEADLOCK), "DEADLOCK") != NULL);
    CHECK(strcmp(dfx_status_name(-7), "DFX_UNRECOGNIZED_STATUS") == 0);
    CHECK(dfx_status_description(DFX_ERR_TLS)[0] != '\0');
}

static void test_bad_input(DfxClient *client) {
    DfxResponse *r = (DfxResponse *)&r; /* garbage: must come back NULL */
    CHECK_STATUS(dfx_client_new(NULL, NULL), DFX_ERR_NULL_ARGUMENT);
    DfxClient *c = (DfxClient *)&c;
    CHECK_STATUS(dfx_client_new("http://example.com", &c), DFX_ERR_INVALID_URL);
    CHECK(c == NULL);
    CHECK_STATUS(dfx_client_new("no scheme", &c), DFX_ERR_INVALID_URL);
    CHECK_STATUS(dfx_client_new("http://127.0.0.1:\xff", &c), DFX_ERR_INVALID_UTF8);
    CHECK(strstr(dfx_last_error_message(), "base_url") != NULL);

    CHECK_STATUS(dfx_auth_renew(NULL, "t", "r", &r), DFX_ERR_NULL_ARGUMENT);
    CHECK(r == NULL);
    CHECK_STATUS(dfx_auth_renew(client, NULL, "r", &r), DFX_ERR_NULL_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "token") != NULL);
    CHECK_STATUS(dfx_auth_renew(client, "t", NULL, &r), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_auth_renew(client, "t", "r", NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_auth_renew(client, "", "r", &r), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_auth_renew(client, "t\xc3\x28", "r", &r), DFX_ERR_INVALID_UTF8);
    CHECK_STATUS(dfx_auth_request_login_code(client, NULL, "dfxdemo", &r), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_auth_request_login_code(client, "+1", "", &r), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_auth_request_reset_password_link(client, "a@b.c", "\xff", &r),
                 DFX_ERR_INVALID_UTF8);
    CHECK_STATUS(dfx_auth_request_reset_password_link(client, "a@b.c", "dfxdemo", NULL),
                 DFX_ERR_NULL_ARGUMENT);
    CHECK(r == NULL);
    CHECK_STATUS(dfx_client_set_timeout_ms(NULL, 1), DFX_ERR_NULL_ARGUMENT);

    /* Accessors and frees tolerate NULL. */
    CHECK(dfx_response_status(NULL) == 0);
    CHECK(dfx_response_body(NULL) == NULL);
    CHECK(dfx_response_get_string(NULL, "Token") == NULL);
    CHECK(dfx_response_error_code(NULL) == NULL);
    CHECK(dfx_response_error_message(NULL) == NULL);
    dfx_response_free(NULL);
    dfx_client_free(NULL);
}

static void test_renew(DfxClient *client) {
    char token[2048], refresh[2048];
    sandbox_pair(token, refresh);
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_auth_renew(client, token, refresh, &r), DFX_OK);
    CHECK(dfx_response_status(r) == 200);
    const char *new_token = dfx_response_get_string(r, "Token");
    CHECK(new_token != NULL && strcmp(new_token, token) != 0);
    CHECK(dfx_response_get_string(r, "RefreshToken") != NULL);
    CHECK(dfx_response_error_code(r) == NULL);
    CHECK(strstr(dfx_response_body(r), "\"RefreshToken\"") != NULL);
    CHECK(dfx_last_error_message()[0] == '\0');
    dfx_response_free(r);

    /* The old pair is dead: DFX_ERR_API with the answer handed out. */
    CHECK_STATUS(dfx_auth_renew(client, token, refresh, &r), DFX_ERR_API);
    CHECK(r != NULL);
    CHECK(dfx_response_status(r) == 401);
    CHECK(dfx_response_error_code(r) && strcmp(dfx_response_error_code(r), "INVALID_REFRESH_TOKEN") == 0);
    CHECK(dfx_response_error_message(r) != NULL);
    CHECK(strstr(dfx_last_error_message(), token) == NULL);
    CHECK(strstr(dfx_last_error_message(), refresh) == NULL);
    dfx_response_free(r);
}

static void test_login_code_and_reset_link(DfxClient *client) {
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_auth_request_login_code(client, "+15555550100", "dfxdemo", &r), DFX_OK);
    CHECK(dfx_response_status(r) == 200);
    CHECK(strstr(dfx_response_body(r), "\"success\"") != NULL);
    dfx_response_free(r);
    CHECK_STATUS(dfx_auth_request_reset_password_link(client, "me@example.com", "dfxdemo", &r), DFX_OK);
    dfx_response_free(r);
    CHECK_STATUS(dfx_auth_request_login_code(client, "+15555550100", "nope", &r), DFX_ERR_API);
    CHECK(dfx_response_status(r) == 404);
    CHECK(dfx_response_error_code(r) && strcmp(dfx_response_error_code(r), "ORGANIZATION_NOT_FOUND") == 0);
    dfx_response_free(r);
}

static void test_error_bodies(DfxClient *client) {
    DfxResponse *r = NULL;
    sandbox_fault("{\"Path\":\"auths/users/code\",\"Action\":\"Status\",\"Status\":429,"
                  "\"Body\":\"slow down\",\"ContentType\":\"text/plain\"}");
    CHECK_STATUS(dfx_auth_request_login_code(client, "+1", "dfxdemo", &r), DFX_ERR_API);
    CHECK(dfx_response_status(r) == 429);
    CHECK(dfx_response_error_code(r) && strcmp(dfx_response_error_code(r), "TOO_MANY_REQUESTS") == 0);
    dfx_response_free(r);

    sandbox_fault("{\"Path\":\"auths/users/code\",\"Action\":\"Status\",\"Status\":503,\"Body\":\"\"}");
    CHECK_STATUS(dfx_auth_request_login_code(client, "+1", "dfxdemo", &r), DFX_ERR_API);
    CHECK(dfx_response_error_code(r) && strcmp(dfx_response_error_code(r), "SERVICE_UNAVAILABLE") == 0);
    dfx_response_free(r);

    sandbox_fault("{\"Path\":\"auths/users/reset\",\"Action\":\"Status\",\"Status\":500,"
                  "\"Body\":\"{\\\"errorCode\\\":\\\"BOOM\\\",\\\"message\\\":\\\"it broke\\\"}\","
                  "\"ContentType\":\"application/json\"}");
    CHECK_STATUS(dfx_auth_request_reset_password_link(client, "a@b.c", "dfxdemo", &r), DFX_ERR_API);
    CHECK(dfx_response_error_code(r) && strcmp(dfx_response_error_code(r), "BOOM") == 0);
    CHECK(dfx_response_error_message(r) && strcmp(dfx_response_error_message(r), "it broke") == 0);
    dfx_response_free(r);

    r = (DfxResponse *)&r;
    sandbox_fault("{\"Path\":\"auths/users/code\",\"Action\":\"Status\",\"Status\":200,"
                  "\"Body\":\"<html>\",\"ContentType\":\"text/html\"}");
    CHECK_STATUS(dfx_auth_request_login_code(client, "+1", "dfxdemo", &r), DFX_ERR_DECODE);
    CHECK(r == NULL);
}

static void test_transport_failures(DfxClient *client) {
    DfxResponse *r = NULL;
    char token[2048], refresh[2048];

    sandbox_fault("{\"Path\":\"auths/users/code\",\"Action\":\"Drop\"}");
    CHECK_STATUS(dfx_auth_request_login_code(client, "+1", "dfxdemo", &r), DFX_ERR_CONNECTION_LOST);
    CHECK(r == NULL);

    sandbox_fault("{\"Path\":\"auths/users/code\",\"Phase\":\"After\",\"Action\":\"Truncate\"}");
    CHECK_STATUS(dfx_auth_request_login_code(client, "+1", "dfxdemo", &r), DFX_ERR_TRUNCATED);
    CHECK(r == NULL);

    CHECK_STATUS(dfx_client_set_timeout_ms(client, 300), DFX_OK);
    sandbox_fault("{\"Path\":\"auths/users/reset\",\"DelayMs\":3000}");
    CHECK_STATUS(dfx_auth_request_reset_password_link(client, "a@b.c", "dfxdemo", &r), DFX_ERR_TIMEOUT);
    CHECK(r == NULL);

    /* A renew whose answer is lost after the server consumed the pair. */
    sandbox_pair(token, refresh);
    sandbox_fault("{\"Path\":\"auths/renew\",\"Phase\":\"After\",\"DelayMs\":3000}");
    CHECK_STATUS(dfx_auth_renew(client, token, refresh, &r), DFX_ERR_OUTCOME_UNKNOWN);
    CHECK(r == NULL);
    CHECK(strstr(dfx_last_error_message(), "timed out") != NULL);
    /* The longest timeout there is: no deadline, not an overflow. */
    CHECK_STATUS(dfx_client_set_timeout_ms(client, UINT64_MAX), DFX_OK);
    CHECK_STATUS(dfx_auth_request_login_code(client, "+1", "dfxdemo", &r), DFX_OK);
    dfx_response_free(r);
    r = NULL;
    CHECK_STATUS(dfx_client_set_timeout_ms(client, 10000), DFX_OK);

    sandbox_pair(token, refresh);
    sandbox_fault("{\"Path\":\"auths/renew\",\"Phase\":\"After\",\"Action\":\"Drop\"}");
    CHECK_STATUS(dfx_auth_renew(client, token, refresh, &r), DFX_ERR_OUTCOME_UNKNOWN);
    sandbox_pair(token, refresh);
    sandbox_fault("{\"Path\":\"auths/renew\",\"Phase\":\"After\",\"Action\":\"Truncate\"}");
    CHECK_STATUS(dfx_auth_renew(client, token, refresh, &r), DFX_ERR_OUTCOME_UNKNOWN);
    CHECK(r == NULL);
}

static void test_connect_and_tls(void) {
    DfxResponse *r = NULL;
    /* Port 1 on loopback: nothing listens there. */
    DfxClient *refused = client_for("http://127.0.0.1:1");
    CHECK_STATUS(dfx_auth_renew(refused, "t", "r", &r), DFX_ERR_CONNECT);
    CHECK(r == NULL);
    CHECK(dfx_last_error_message()[0] != '\0');
    dfx_client_free(refused);

    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", sandbox_port());
    DfxClient *tls = client_for(url);
    CHECK_STATUS(dfx_auth_request_login_code(tls, "+1", "dfxdemo", &r), DFX_ERR_TLS);
    CHECK(r == NULL);
    dfx_client_free(tls);

    /* A server that takes connections (the kernel does, into the listen
     * queue) and never answers the TLS hello: a renew times out while
     * connecting, sends nothing, and says so with DFX_ERR_TIMEOUT, not
     * DFX_ERR_OUTCOME_UNKNOWN. */
    int silent = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(silent >= 0 && bind(silent, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(silent, 8) == 0);
    CHECK(getsockname(silent, (struct sockaddr *)&addr, &len) == 0);
    snprintf(url, sizeof url, "https://127.0.0.1:%d", ntohs(addr.sin_port));
    DfxClient *stalled = client_for(url);
    CHECK_STATUS(dfx_client_set_timeout_ms(stalled, 300), DFX_OK);
    CHECK_STATUS(dfx_auth_renew(stalled, "t", "r", &r), DFX_ERR_TIMEOUT);
    CHECK(r == NULL);
    CHECK(strstr(dfx_last_error_message(), "the request was not sent") != NULL);
    dfx_client_free(stalled);
    close(silent);
}

/* After fork() the child makes its own client and calls work there. */
static void test_fork(DfxClient *parent_client) {
    /* Under valgrind the child's deliberately leaked runtime counts as a leak. */
    if (getenv("DFX_TEST_NO_FORK")) return;
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_auth_request_login_code(parent_client, "+1", "dfxdemo", &r), DFX_OK);
    dfx_response_free(r);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        DfxClient *child = NULL;
        int ok = dfx_client_new(sandbox_url(), &child) == DFX_OK &&
                 dfx_auth_request_login_code(child, "+1", "dfxdemo", &r) == DFX_OK;
        dfx_response_free(r);
        dfx_client_free(child);
        _exit(ok ? 0 : 1);
    }
    int wstatus = 0;
    CHECK(pid > 0 && waitpid(pid, &wstatus, 0) == pid);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    /* The parent's client still works. */
    CHECK_STATUS(dfx_auth_request_login_code(parent_client, "+1", "dfxdemo", &r), DFX_OK);
    dfx_response_free(r);
}

int main(void) {
    sandbox_reset();
    DfxClient *client = client_for(sandbox_url());
    test_version_and_names();
    test_bad_input(client);
    test_renew(client);
    test_login_code_and_reset_link(client);
    test_error_bodies(client);
    test_transport_failures(client);
    test_connect_and_tls();
    test_fork(client);
    dfx_client_free(client);
    sandbox_reset();
    return check_report("test_failures");
}
