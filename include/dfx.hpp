/*
 * dfx.hpp — a header-only C++17 wrapper over dfx.h, the C API of the
 * NuraLogix DeepAffex Cloud client.
 *
 *     #include <dfx.hpp>
 *
 *     dfx::Client api("https://api.deepaffex.ai");
 *     dfx::Response r = api.auth_renew(token, refresh_token);
 *     if (r.status() == 200) save(*r.get_string("Token"), *r.get_string("RefreshToken"));
 *     else std::cerr << r.status() << " " << r.error_code().value_or("") << "\n";
 *
 * - Handles are RAII and move-only: dfx::Client frees its DfxClient,
 *   dfx::Response its DfxResponse; nothing is freed by hand.
 * - Strings go in as std::string_view (copied, NUL-terminated, and wiped
 *   after the call; a view holding a NUL character is refused).
 * - Each method is the C function of the same name without the `dfx_`
 *   prefix and the client argument: dfx_auth_renew(client, ...) is
 *   api.auth_renew(...). Its documentation in dfx.h applies.
 *
 * Errors: an answer from the API is a Response, whatever its HTTP status
 * (DFX_OK and DFX_ERR_API in C): a 401 is read with r.status() and
 * r.error_code(), as in C, Python and JavaScript. Everything else — the
 * call got no answer (connect, timeout, TLS, outcome unknown, ...) or was
 * refused before anything was sent (a bad argument) — throws dfx::Error,
 * which carries the DfxStatus, its name and dfx_last_error_message().
 * Why an exception rather than an expected-style result: those failures are
 * rare and are usually handled far from the call (retry later, register
 * again), the common outcomes stay on the plain path, constructors can
 * fail too, and C++17 has no std::expected to agree on. A program built
 * without exceptions uses dfx.h directly: it is C++ compatible.
 *
 * Thread safety is the C API's: one Client may be used from many threads
 * at once; a Response's accessors may run concurrently. Moving or
 * destroying a Client must not race other calls on it.
 *
 * A measurement (dfx_measurement_stream_*):
 *
 *     dfx::MeasurementStream stream(api, measurement_id, [](const dfx::StreamEvent &e) {
 *         if (e.kind == dfx::StreamEvent::Kind::result) show(e.chunk, *e.json);
 *     });
 *     stream.send_chunk(payload, dfx::ChunkPosition::first);   // ..., middle, ..., last
 *     stream.wait();                                           // until the end event
 */
#ifndef DFX_HPP
#define DFX_HPP

#include <dfx.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#endif

namespace dfx {

/// A call that got no answer from the API, or was refused before anything
/// was sent. status() is the DfxStatus (DFX_ERR_CONNECT, ...), name() its
/// constant's name, message() what dfx_last_error_message() said; what() is
/// "NAME: message". Messages never contain tokens or passwords.
class Error : public std::runtime_error {
public:
    Error(DfxStatus status, const std::string &message)
        : std::runtime_error(std::string(dfx_status_name(status)) + ": " + message),
          status_(status), message_(message) {}
    DfxStatus status() const noexcept { return status_; }
    const char *name() const noexcept { return dfx_status_name(status_); }
    const std::string &message() const noexcept { return message_; }
    /// A renew whose answer was lost: the old pair may be dead (see DFX_ERR_OUTCOME_UNKNOWN).
    bool outcome_unknown() const noexcept { return status_ == DFX_ERR_OUTCOME_UNKNOWN; }
    /// MeasurementStream::send_chunk(): DFX_STREAM_MAX_UNACKED chunks await their
    /// acknowledgement; nothing was taken: send the same chunk again after the next ack.
    bool stream_full() const noexcept { return status_ == DFX_ERR_STREAM_FULL; }

private:
    DfxStatus status_;
    std::string message_;
};

/// Which token pair (DFX_TOKEN_*).
enum class TokenKind : DfxTokenKind { device = DFX_TOKEN_DEVICE, user = DFX_TOKEN_USER };

/// A session field (DFX_SESSION_*).
enum class SessionField : DfxSessionField {
    device_token = DFX_SESSION_DEVICE_TOKEN,
    device_refresh_token = DFX_SESSION_DEVICE_REFRESH_TOKEN,
    user_token = DFX_SESSION_USER_TOKEN,
    user_refresh_token = DFX_SESSION_USER_REFRESH_TOKEN,
    device_id = DFX_SESSION_DEVICE_ID,
    user_id = DFX_SESSION_USER_ID,
    role_id = DFX_SESSION_ROLE_ID,
};

namespace detail {

[[noreturn]] inline void raise(DfxStatus status) { throw Error(status, dfx_last_error_message()); }

inline void check(DfxStatus status) {
    if (status != DFX_OK) raise(status);
}

/// A NUL-terminated copy of a string argument (or NULL for nullopt),
/// wiped when the call is over: arguments are often tokens and passwords.
class Arg {
public:
    Arg(std::string_view value, const char *what) : text_(value), null_(false) {
        if (text_.find('\0') != std::string::npos)
            throw Error(DFX_ERR_INVALID_ARGUMENT, std::string("`") + what + "` contains a NUL character");
    }
    Arg(std::optional<std::string_view> value, const char *what)
        : Arg(value.value_or(std::string_view()), what) {
        null_ = !value.has_value();
    }
    Arg(const Arg &) = delete;
    Arg &operator=(const Arg &) = delete;
    ~Arg() {
        volatile char *p = &text_[0];
        for (std::size_t i = 0; i < text_.size(); ++i) p[i] = '\0';
    }
    const char *c_str() const noexcept { return null_ ? nullptr : text_.c_str(); }

private:
    std::string text_;
    bool null_;
};

struct ResponseFree {
    void operator()(DfxResponse *r) const noexcept { dfx_response_free(r); }
};
struct ClientFree {
    void operator()(DfxClient *c) const noexcept { dfx_client_free(c); }
};

/// Takes a string dfx handed out, copies it, and frees (wipes) the original.
inline std::string take_string(char *s) {
    std::unique_ptr<char, void (*)(char *)> owned(s, dfx_string_free);
    return owned ? std::string(owned.get()) : std::string();
}

inline std::optional<std::string_view> optional_view(const char *s) noexcept {
    if (s == nullptr) return std::nullopt;
    return std::string_view(s);
}

}  // namespace detail

/// An answer from the API (any HTTP status). Move-only; frees (and wipes)
/// its DfxResponse. Views it returns live as long as the Response.
class Response {
public:
    /// Takes ownership of `response` (may be NULL: status() is then 0).
    explicit Response(DfxResponse *response = nullptr) noexcept : r_(response) {}

    /// The HTTP status (200, 401, ...).
    std::uint16_t status() const noexcept { return dfx_response_status(r_.get()); }
    /// A 2xx status.
    bool ok() const noexcept { return status() >= 200 && status() < 300; }
    /// The JSON body (see dfx_response_body()); "" for an empty Response.
    std::string_view body() const noexcept {
        const char *b = dfx_response_body(r_.get());
        return b ? std::string_view(b) : std::string_view();
    }
    /// A top-level string field of the body, e.g. "Token"; nullopt if absent.
    std::optional<std::string_view> get_string(std::string_view field) const {
        std::string name(field);
        return detail::optional_view(dfx_response_get_string(r_.get(), name.c_str()));
    }
    /// The API's error Code of a non-2xx answer, e.g. "INVALID_REFRESH_TOKEN".
    std::optional<std::string_view> error_code() const noexcept {
        return detail::optional_view(dfx_response_error_code(r_.get()));
    }
    /// The API's error Message of a non-2xx answer.
    std::optional<std::string_view> error_message() const noexcept {
        return detail::optional_view(dfx_response_error_message(r_.get()));
    }

    const DfxResponse *get() const noexcept { return r_.get(); }
    /// Gives up ownership: the caller frees it with dfx_response_free().
    DfxResponse *release() noexcept { return r_.release(); }

private:
    std::unique_ptr<DfxResponse, detail::ResponseFree> r_;
};

/// A DeepAffex API client (DfxClient). Move-only; freed when destroyed.
/// A moved-from Client holds no client: its calls throw DFX_ERR_NULL_ARGUMENT.
class Client {
public:
    /// The session listener: the whole new session as JSON after every change,
    /// on the thread whose call changed it, before that call returns. The view
    /// is valid only during the call. It must not throw: an exception cannot
    /// cross into C, so one that escapes is caught and dropped.
    using SessionListener = std::function<void(std::string_view session_json)>;

    /// A client for the production cloud, https://api.deepaffex.ai.
    Client() : Client(FromUrl{}, std::nullopt) {}
    /// A client for `base_url` (see dfx_client_new()).
    explicit Client(std::string_view base_url) : Client(FromUrl{}, base_url) {}

    Client(Client &&) noexcept = default;
    Client &operator=(Client &&other) noexcept {
        if (this != &other) {
            handle_ = std::move(other.handle_);  // frees this client first: its listener is then unused
            listener_ = std::move(other.listener_);
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    ~Client() { handle_.reset(); }  // before listener_: dfx may call it until then

    DfxClient *get() const noexcept { return handle_.get(); }

    // Settings
    void set_timeout_ms(std::uint64_t ms) { detail::check(dfx_client_set_timeout_ms(get(), ms)); }
    void set_auto_renew(std::uint32_t seconds_before_expiry) {
        detail::check(dfx_client_set_auto_renew(get(), seconds_before_expiry));
    }
    /// Trusted CAs: DFX_TRUST_BUILTIN and/or DFX_TRUST_SYSTEM (0: the added CAs only).
    void set_trust(std::uint32_t sources) { detail::check(dfx_client_set_trust(get(), sources)); }
    /// Also trust the CA certificate(s) of a PEM text / a PEM file.
    void add_ca_pem(std::string_view pem) { detail::check(dfx_client_add_ca_pem(get(), pem.data(), pem.size())); }
    void add_ca_file(const std::string &path) { detail::check(dfx_client_add_ca_file(get(), path.c_str())); }

    // The session
    /// One field's value ("" when unset). The copy holds a secret: treat it as one.
    std::string session_get(SessionField field) const {
        char *out = nullptr;
        detail::check(dfx_session_get(get(), static_cast<DfxSessionField>(field), &out));
        return detail::take_string(out);
    }
    /// Set one field; an empty value clears it.
    void session_set(SessionField field, std::string_view value) {
        detail::Arg v(value, "value");
        detail::check(dfx_session_set(get(), static_cast<DfxSessionField>(field), v.c_str()));
    }
    /// The whole session as JSON, with the JavaScript client's keys.
    std::string session_to_json() const {
        char *out = nullptr;
        detail::check(dfx_session_to_json(get(), &out));
        return detail::take_string(out);
    }
    /// Replace the whole session (all or nothing).
    void session_from_json(std::string_view json) {
        detail::Arg j(json, "json");
        detail::check(dfx_session_from_json(get(), j.c_str()));
    }
    /// Install the session listener; an empty function removes it.
    void set_session_listener(SessionListener listener) {
        std::unique_ptr<SessionListener> box;
        if (listener) box = std::make_unique<SessionListener>(std::move(listener));
        detail::check(dfx_client_set_session_listener(get(), box ? &Client::call_listener : nullptr, box.get()));
        listener_ = std::move(box);  // dfx no longer calls the old one
    }
    /// Renew the stored pair of `kind`, single flight (dfx_session_renew()).
    Response session_renew(TokenKind kind) {
        return invoke(dfx_session_renew, static_cast<DfxTokenKind>(kind));
    }
    /// The stored token's JWT `exp`, Unix seconds.
    std::int64_t session_token_expiry(TokenKind kind) const {
        std::int64_t exp = 0;
        detail::check(dfx_session_token_expiry(get(), static_cast<DfxTokenKind>(kind), &exp));
        return exp;
    }

    // Auths
    Response auth_renew(std::string_view token, std::string_view refresh_token) {
        detail::Arg t(token, "token"), r(refresh_token, "refresh_token");
        return invoke(dfx_auth_renew, t.c_str(), r.c_str());
    }
    Response auth_request_login_code(std::string_view phone_number, std::string_view org_identifier) {
        detail::Arg p(phone_number, "phone_number"), o(org_identifier, "org_identifier");
        return invoke(dfx_auth_request_login_code, p.c_str(), o.c_str());
    }
    Response auth_request_reset_password_link(std::string_view email, std::string_view org_identifier) {
        detail::Arg e(email, "email"), o(org_identifier, "org_identifier");
        return invoke(dfx_auth_request_reset_password_link, e.c_str(), o.c_str());
    }
    /// At least one of the two; nullopt sends no such field.
    Response auth_send_reset_mobile(std::optional<std::string_view> email,
                                    std::optional<std::string_view> phone_number) {
        detail::Arg e(email, "email"), p(phone_number, "phone_number");
        return invoke(dfx_auth_send_reset_mobile, e.c_str(), p.c_str());
    }
    Response auth_generate_token(std::string_view token, std::string_view refresh_token) {
        detail::Arg t(token, "token"), r(refresh_token, "refresh_token");
        return invoke(dfx_auth_generate_token, t.c_str(), r.c_str());
    }
    Response auth_get_org_client_credentials(std::string_view org_id) {
        detail::Arg o(org_id, "org_id");
        return invoke(dfx_auth_get_org_client_credentials, o.c_str());
    }

    // Organizations
    Response organization_register_license(std::string_view license_key, std::string_view device_type_id,
                                           std::string_view name, std::string_view org_identifier,
                                           std::string_view version) {
        detail::Arg k(license_key, "license_key"), d(device_type_id, "device_type_id"), n(name, "name"),
            i(org_identifier, "org_identifier"), v(version, "version");
        return invoke(dfx_organization_register_license, k.c_str(), d.c_str(), n.c_str(), i.c_str(), v.c_str());
    }
    Response organization_unregister_license() { return invoke(dfx_organization_unregister_license); }
    Response organization_login(std::string_view email, std::string_view password, std::string_view org_identifier,
                                std::optional<std::string_view> mfa_token = std::nullopt) {
        detail::Arg e(email, "email"), p(password, "password"), i(org_identifier, "org_identifier"), m(mfa_token, "mfa_token");
        return invoke(dfx_organization_login, e.c_str(), p.c_str(), i.c_str(), m.c_str());
    }

    // Users
    Response user_login(std::string_view email, std::string_view password,
                        std::optional<std::string_view> mfa_token = std::nullopt) {
        detail::Arg e(email, "email"), p(password, "password"), m(mfa_token, "mfa_token");
        return invoke(dfx_user_login, e.c_str(), p.c_str(), m.c_str());
    }
    Response user_login_with_phone_code(std::string_view login_code, std::string_view phone_number,
                                        std::string_view org_identifier) {
        detail::Arg c(login_code, "login_code"), p(phone_number, "phone_number"), o(org_identifier, "org_identifier");
        return invoke(dfx_user_login_with_phone_code, c.c_str(), p.c_str(), o.c_str());
    }

    // General
    /// Verify `token`, or with nullopt the session's user token, else its device token.
    Response general_verify_token(std::optional<std::string_view> token = std::nullopt) {
        detail::Arg t(token, "token");
        return invoke(dfx_general_verify_token, t.c_str());
    }
    Response general_status() { return invoke(dfx_general_status); }

    // Any operation (dfx_call()): all 133, by the JavaScript client's name
    /// Call `operation` ("measurements.create", "auths.renew", ...) with
    /// `params_json`, a JSON object keyed by the JavaScript method's
    /// argument names ("" or "{}" when it has none). An answer is a
    /// Response; a bad operation or parameter throws DFX_ERR_INVALID_ARGUMENT
    /// and nothing is sent.
    Response call(std::string_view operation, std::string_view params_json = {}) {
        detail::Arg o(operation, "operation"), p(params(params_json), "params_json");
        return invoke(dfx_call, o.c_str(), p.c_str());
    }

    /// The completion of call_async(): the DfxStatus and the answer (an empty
    /// Response when there is none), on one of dfx's threads. It must not
    /// throw: an exception that escapes is caught and dropped.
    using Completion = std::function<void(DfxStatus status, Response response)>;

    /// The non-blocking call() (dfx_call_async()): arguments checked now
    /// (a bad one throws and `done` never runs); `done` runs exactly once
    /// later, on an internal thread. Returns the request's id for cancel().
    std::uint64_t call_async(std::string_view operation, std::string_view params_json, Completion done) {
        detail::Arg o(operation, "operation"), p(params(params_json), "params_json");
        auto box = std::make_unique<Completion>(std::move(done));
        std::uint64_t id = 0;
        detail::check(dfx_call_async(get(), o.c_str(), p.c_str(), &Client::call_completion, box.get(), &id));
        box.release();  // accepted: call_completion owns it now
        return id;
    }

    /// Cancel a call_async() (dfx_client_cancel()): its completion runs with
    /// DFX_ERR_CANCELLED unless it already ran.
    void cancel(std::uint64_t request_id) { detail::check(dfx_client_cancel(get(), request_id)); }

private:
    struct FromUrl {};
    Client(FromUrl, std::optional<std::string_view> base_url) {
        detail::Arg url(base_url, "base_url");
        DfxClient *client = nullptr;
        detail::check(dfx_client_new(url.c_str(), &client));
        handle_.reset(client);
    }

    /// An API call: an answer (2xx or not) is a Response, anything else throws.
    template <class F, class... Args>
    Response invoke(F function, Args... args) {
        DfxResponse *out = nullptr;
        DfxStatus status = function(get(), args..., &out);
        Response response(out);
        if (status != DFX_OK && status != DFX_ERR_API) detail::raise(status);
        return response;
    }

    static std::optional<std::string_view> params(std::string_view json) noexcept {
        if (json.empty()) return std::nullopt;
        return json;
    }

    static void call_completion(void *user_data, DfxStatus status, DfxResponse *response) noexcept {
        std::unique_ptr<Completion> done(static_cast<Completion *>(user_data));
        Response r(response);
        try {
            if (*done) (*done)(status, std::move(r));
        } catch (...) {
            // Nothing may unwind into C; the completion owns its failures.
        }
    }

    static void call_listener(void *user_data, const char *session_json) noexcept {
        try {
            (*static_cast<SessionListener *>(user_data))(session_json ? session_json : "");
        } catch (...) {
            // Nothing may unwind into C; the listener owns its failures.
        }
    }

    std::unique_ptr<SessionListener> listener_;
    std::unique_ptr<DfxClient, detail::ClientFree> handle_;
};

/// Where a chunk sits in its measurement (DFX_CHUNK_*).
enum class ChunkPosition : DfxChunkPosition {
    first = DFX_CHUNK_FIRST,
    middle = DFX_CHUNK_MIDDLE,
    last = DFX_CHUNK_LAST,
};

/// One event of a MeasurementStream, copied out of the DfxStreamEvent (whose
/// strings live only during the C callback): it may be kept and moved to
/// another thread.
struct StreamEvent {
    /// What it reports (DFX_STREAM_*).
    enum class Kind : DfxStreamEventKind {
        connected = DFX_STREAM_CONNECTED,      ///< a connection is ready; `chunk` counts them, `websocket` says which
        ack = DFX_STREAM_ACK,                  ///< the server accepted chunk `chunk`
        result = DFX_STREAM_RESULT,            ///< chunk `chunk`'s result (`json`), socket only
        chunk_error = DFX_STREAM_CHUNK_ERROR,  ///< the server refused chunk `chunk`: `status`, `json`, `message`
        end = DFX_STREAM_END,                  ///< the last event: `json` the COMPLETE measurement, or why not
    };
    Kind kind = Kind::end;
    /// DFX_OK, or the failure (DFX_ERR_MISALIGNED_CHUNK, ...).
    DfxStatus status = DFX_OK;
    /// The chunk's number for ack, result and chunk_error; the connection count for connected.
    std::uint32_t chunk = 0;
    /// connected: over the socket (false: HTTP).
    bool websocket = false;
    /// The event's JSON text (a result, the final measurement, a refusal's answer body), if any.
    std::optional<std::string> json;
    /// The failure's words, if any (no secret in them).
    std::optional<std::string> message;

    bool ok() const noexcept { return status == DFX_OK; }
    /// The failure as a dfx::Error (for throwing or logging); nullopt when ok().
    std::optional<Error> error() const {
        if (ok()) return std::nullopt;
        return Error(status, message.value_or(""));
    }
};

/// A stream's counters (DfxStreamStats).
struct StreamStats {
    std::uint64_t connections = 0;
    std::uint64_t resent_chunks = 0;
    std::uint64_t dropped_frames = 0;
    bool websocket = false;
};

/// A measurement stream (DfxStream; see dfx_measurement_stream_open()):
/// chunks in as raw bytes, events out on a handler. Move-only; destroying it
/// frees the stream (dfx_measurement_stream_free()): its socket closes,
/// unacknowledged chunks are dropped, and the handler never runs again once
/// the destructor returns (it waits for a running one). Destroy every stream
/// before its Client. A moved-from stream holds nothing: its calls throw
/// DFX_ERR_NULL_ARGUMENT.
///
/// The handler runs on one of dfx's threads, one event at a time and in
/// order, ending with exactly one StreamEvent::Kind::end (unless the stream
/// is destroyed first). It may call send_chunk() and stats() of this stream
/// (not wait(): that throws DFX_ERR_WOULD_DEADLOCK), and must not close,
/// destroy or move-assign it (that would free the running handler). It must
/// not throw: an exception that escapes is caught and dropped.
class MeasurementStream {
public:
    using Event = StreamEvent;
    using Handler = std::function<void(const StreamEvent &event)>;

    /// Open a stream for `measurement_id` (made with measurements.create) on
    /// `client`, which must outlive it. Connecting starts in the background.
    MeasurementStream(Client &client, std::string_view measurement_id, Handler on_event)
        : handler_(std::make_unique<Handler>(std::move(on_event))) {
        detail::Arg id(measurement_id, "measurement_id");
        DfxStream *stream = nullptr;
        detail::check(dfx_measurement_stream_open(client.get(), id.c_str(), &MeasurementStream::deliver,
                                                  handler_.get(), &stream));
        stream_ = stream;
    }

    MeasurementStream(MeasurementStream &&other) noexcept
        : stream_(std::exchange(other.stream_, nullptr)), handler_(std::move(other.handler_)) {}
    MeasurementStream &operator=(MeasurementStream &&other) noexcept {
        if (this != &other) {
            close();  // this stream's handler is unused from here on
            stream_ = std::exchange(other.stream_, nullptr);
            handler_ = std::move(other.handler_);  // the same heap object dfx was given: no callback notices
        }
        return *this;
    }
    MeasurementStream(const MeasurementStream &) = delete;
    MeasurementStream &operator=(const MeasurementStream &) = delete;
    ~MeasurementStream() { close(); }

    DfxStream *get() const noexcept { return stream_; }

    /// Hand dfx the next chunk (the extraction library's payload as it is;
    /// dfx does the base64 and the JSON). Never blocks. Returns the chunk's
    /// number, which its events carry. Throws dfx::Error: DFX_ERR_STREAM_FULL
    /// (e.stream_full(): nothing taken, send it again after the next ack),
    /// DFX_ERR_STREAM_ENDED, DFX_ERR_INVALID_ARGUMENT (empty, too large).
    std::uint32_t send_chunk(const std::uint8_t *data, std::size_t size, ChunkPosition position) {
        std::uint32_t chunk = 0;
        detail::check(dfx_measurement_stream_send_chunk(stream_, data, size,
                                                        static_cast<DfxChunkPosition>(position), &chunk));
        return chunk;
    }
    std::uint32_t send_chunk(const std::vector<std::uint8_t> &data, ChunkPosition position) {
        return send_chunk(data.data(), data.size(), position);
    }
#if __cplusplus >= 202002L && __has_include(<span>)
    std::uint32_t send_chunk(std::span<const std::uint8_t> data, ChunkPosition position) {
        return send_chunk(data.data(), data.size(), position);
    }
#endif

    /// Wait until the end event's handler has returned, at most `timeout_ms`
    /// (0: no limit). True: the stream ended; false: not yet. Throws
    /// DFX_ERR_WOULD_DEADLOCK from a dfx thread (e.g. the handler).
    bool wait(std::uint32_t timeout_ms = 0) {
        DfxStatus status = dfx_measurement_stream_wait(stream_, timeout_ms);
        if (status == DFX_ERR_TIMEOUT) return false;
        detail::check(status);
        return true;
    }

    /// The stream's counters.
    StreamStats stats() const {
        DfxStreamStats raw{};
        detail::check(dfx_measurement_stream_stats(stream_, &raw));
        StreamStats out;
        out.connections = raw.connections;
        out.resent_chunks = raw.resent_chunks;
        out.dropped_frames = raw.dropped_frames;
        out.websocket = raw.websocket != 0;
        return out;
    }

    /// Free the stream now (as the destructor does); afterwards it holds nothing.
    void close() noexcept {
        dfx_measurement_stream_free(std::exchange(stream_, nullptr));  // waits for a running handler
        handler_.reset();
    }

private:
    static void deliver(void *user_data, const DfxStreamEvent *raw) noexcept {
        try {
            const Handler &handler = *static_cast<const Handler *>(user_data);
            if (!handler || raw == nullptr) return;
            StreamEvent event;
            event.kind = static_cast<StreamEvent::Kind>(raw->kind);
            event.status = raw->status;
            event.chunk = raw->chunk;
            event.websocket = raw->websocket != 0;
            if (raw->json != nullptr) event.json.emplace(raw->json, raw->json_len);
            if (raw->message != nullptr) event.message.emplace(raw->message);
            handler(event);
        } catch (...) {
            // Nothing may unwind into C; the handler owns its failures.
        }
    }

    DfxStream *stream_ = nullptr;
    std::unique_ptr<Handler> handler_;
};

/// The library's version, "MAJOR.MINOR.PATCH".
inline std::string_view version() noexcept { return dfx_version(); }

/// Whether the library is the version this header came with (DFX_VERSION_STRING).
inline bool library_matches_header() noexcept { return version() == DFX_VERSION_STRING; }

/// A DfxStatus's constant name, e.g. "DFX_ERR_CONNECT".
inline std::string_view status_name(DfxStatus status) noexcept { return dfx_status_name(status); }

/// Any JWT-shaped token's `exp` claim (Unix seconds; no signature check).
inline std::int64_t token_expiry(std::string_view token) {
    detail::Arg t(token, "token");
    std::int64_t exp = 0;
    detail::check(dfx_token_expiry(t.c_str(), &exp));
    return exp;
}

}  // namespace dfx

#endif /* DFX_HPP */
