// dfx::MeasurementStream (include/dfx.hpp) against a running dfx-sandbox
// (DFX_SANDBOX_URL) with its WebSocket: 20 chunks give every ack and result
// once and in order and a COMPLETE end; a full stream throws and takes
// nothing; the server's refusals arrive as their statuses; moves keep the
// stream; destroying a stream with chunks in flight is clean (valgrind).
// Built with -Wall -Wextra -Werror -pedantic.
#include <dfx.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

static_assert(!std::is_copy_constructible_v<dfx::MeasurementStream> &&
              !std::is_copy_assignable_v<dfx::MeasurementStream>);
static_assert(std::is_nothrow_move_constructible_v<dfx::MeasurementStream> &&
              std::is_nothrow_move_assignable_v<dfx::MeasurementStream>);
static_assert(std::is_copy_constructible_v<dfx::StreamEvent>);

static int failures = 0;
#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                                   \
        }                                                                                 \
    } while (0)

static const char *url;

// The sandbox's control plane: one HTTP/1.0 request to 127.0.0.1, the body back.
static std::string control(const char *method, const std::string &path, const std::string &body = "") {
    int port = std::atoi(std::strrchr(url, ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        std::fprintf(stderr, "control: cannot connect to the sandbox\n");
        std::exit(2);
    }
    std::string request = std::string(method) + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" +
                          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body;
    for (std::size_t sent = 0; sent < request.size();) {
        ssize_t n = write(fd, request.data() + sent, request.size() - sent);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
    close(fd);
    std::size_t head = answer.find("\r\n\r\n");
    return head == std::string::npos ? std::string() : answer.substr(head + 4);
}

static long long json_int(const std::string &json, const std::string &key) {
    std::size_t at = json.find("\"" + key + "\":");
    return at == std::string::npos ? -1 : std::atoll(json.c_str() + at + key.size() + 3);
}

// Events as the handler hands them over, for the test's thread.
struct Recorder {
    std::mutex m;
    std::condition_variable cv;
    std::vector<dfx::StreamEvent> events;

    dfx::MeasurementStream::Handler handler() {
        return [this](const dfx::StreamEvent &e) {
            std::lock_guard<std::mutex> lock(m);
            events.push_back(e);  // a copy: its strings outlive the C event
            cv.notify_all();
        };
    }
    std::vector<dfx::StreamEvent> snapshot() {
        std::lock_guard<std::mutex> lock(m);
        return events;
    }
    std::vector<std::uint32_t> chunks(dfx::StreamEvent::Kind kind) {
        std::vector<std::uint32_t> out;
        for (const auto &e : snapshot())
            if (e.kind == kind) out.push_back(e.chunk);
        return out;
    }
};

static std::vector<std::uint8_t> payload(std::uint32_t k) {
    std::vector<std::uint8_t> bytes(2048 + k);
    for (std::size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<std::uint8_t>(k * 31 + j * 7);
    return bytes;
}

static dfx::ChunkPosition position(std::uint32_t k, std::uint32_t count) {
    return k == 0 ? dfx::ChunkPosition::first : k + 1 == count ? dfx::ChunkPosition::last : dfx::ChunkPosition::middle;
}

static std::string create_measurement(dfx::Client &api) {
    dfx::Response r = api.call("measurements.create",
                               R"({"data": {"StudyID": "5b0e8d3c-2f4a-4e61-9c7d-1a2b3c4d5e60", "Resolution": 100}})");
    CHECK(r.ok());
    return std::string(r.get_string("ID").value_or("?"));
}

template <class F>
static DfxStatus status_thrown(F f) {
    try {
        f();
    } catch (const dfx::Error &e) {
        return e.status();
    }
    return DFX_OK;
}

// Send `count` chunks, waiting for an ack whenever the stream is full.
static void send_all(dfx::MeasurementStream &stream, Recorder &rec, std::uint32_t count) {
    for (std::uint32_t k = 0; k < count;) {
        std::size_t acks = rec.chunks(dfx::StreamEvent::Kind::ack).size();
        try {
            CHECK(stream.send_chunk(payload(k), position(k, count)) == k);
            ++k;
        } catch (const dfx::Error &e) {
            CHECK(e.stream_full());
            if (!e.stream_full()) return;
            std::unique_lock<std::mutex> lock(rec.m);
            rec.cv.wait_for(lock, std::chrono::seconds(30), [&] {
                std::size_t now = 0;
                for (const auto &ev : rec.events) now += ev.kind == dfx::StreamEvent::Kind::ack;
                return now > acks || (!rec.events.empty() && rec.events.back().kind == dfx::StreamEvent::Kind::end);
            });
        }
    }
}

static std::vector<std::uint32_t> upto(std::uint32_t n) {
    std::vector<std::uint32_t> v;
    for (std::uint32_t k = 0; k < n; ++k) v.push_back(k);
    return v;
}

int main() {
    url = std::getenv("DFX_SANDBOX_URL");
    if (url == nullptr) {
        std::fprintf(stderr, "DFX_SANDBOX_URL is not set (run under scripts/with-sandbox.sh)\n");
        return 2;
    }
    control("POST", "/_sandbox/reset", "{}");
    control("DELETE", "/_sandbox/faults");
    dfx::Client api(url);
    CHECK(api.organization_register_license("DFX-SANDBOX-LICENSE", "LINUX", "cpp-stream", "dfxdemo", "1.0").ok());
    CHECK(api.user_login("developer@example.com", "sandbox-password").ok());
    using Kind = dfx::StreamEvent::Kind;

    // 20 chunks: every ack and every result once, in order; the end is COMPLETE.
    {
        std::string mid = create_measurement(api);
        Recorder rec;
        dfx::MeasurementStream first(api, mid, rec.handler());
        dfx::MeasurementStream stream(std::move(first));  // a move keeps the stream and its handler
        CHECK(first.get() == nullptr);  // NOLINT(bugprone-use-after-move)
        CHECK(status_thrown([&] { first.send_chunk(payload(0), dfx::ChunkPosition::first); }) ==
              DFX_ERR_NULL_ARGUMENT);
        send_all(stream, rec, 20);
        CHECK(stream.wait(30000));
        CHECK(stream.wait(1));
        std::vector<dfx::StreamEvent> events = rec.snapshot();
        CHECK(!events.empty() && events.front().kind == Kind::connected && events.front().websocket);
        CHECK(rec.chunks(Kind::ack) == upto(20));
        CHECK(rec.chunks(Kind::result) == upto(20));
        CHECK(rec.chunks(Kind::chunk_error).empty());
        CHECK(rec.chunks(Kind::end).size() == 1);
        for (const auto &e : events) {
            if (e.kind != Kind::result) continue;
            CHECK(e.ok() && e.json.has_value() && !e.error().has_value());
            CHECK(e.json->find("\"MeasurementDataID\":\"" + mid + ":" + std::to_string(e.chunk) + "\"") !=
                  std::string::npos);
        }
        const dfx::StreamEvent &end = events.back();
        CHECK(end.kind == Kind::end && end.ok());
        CHECK(end.json.has_value() && end.json->find("\"StatusID\":\"COMPLETE\"") != std::string::npos);
        CHECK(end.json && end.json->find("\"Results\"") != std::string::npos);
        dfx::StreamStats stats = stream.stats();
        CHECK(stats.connections == 1 && stats.resent_chunks == 0 && stats.websocket);
        CHECK(status_thrown([&] { stream.send_chunk(payload(0), dfx::ChunkPosition::middle); }) ==
              DFX_ERR_STREAM_ENDED);
        std::string server = control("GET", "/_sandbox/measurements/" + mid);
        CHECK(json_int(server, "ChunksAccepted") == 20 && json_int(server, "Duplicates") == 0);
    }

    // A full stream: with the stream's task held in the connected handler no
    // ack can come; the 9th chunk throws and nothing is taken.
    {
        std::string mid = create_measurement(api);
        std::mutex m;
        std::condition_variable cv;
        bool connected = false, release = false;
        Recorder rec;
        dfx::MeasurementStream stream(api, mid, [&, record = rec.handler()](const dfx::StreamEvent &e) {
            if (e.kind == Kind::connected) {
                std::unique_lock<std::mutex> lock(m);
                connected = true;
                cv.notify_all();
                cv.wait_for(lock, std::chrono::seconds(30), [&] { return release; });
            }
            record(e);
        });
        {
            std::unique_lock<std::mutex> lock(m);
            CHECK(cv.wait_for(lock, std::chrono::seconds(30), [&] { return connected; }));
        }
        for (std::uint32_t k = 0; k < DFX_STREAM_MAX_UNACKED; ++k)
            CHECK(stream.send_chunk(payload(k), position(k, 12)) == k);
        bool full = false;
        try {
            stream.send_chunk(payload(8), dfx::ChunkPosition::middle);
        } catch (const dfx::Error &e) {
            full = e.stream_full() && e.status() == DFX_ERR_STREAM_FULL;
        }
        CHECK(full);
        CHECK(!stream.wait(50));
        {
            std::lock_guard<std::mutex> lock(m);
            release = true;
        }
        cv.notify_all();
        for (std::uint32_t k = 8; k < 12;) {  // the 9th again: it is number 8, nothing was taken
            try {
                CHECK(stream.send_chunk(payload(k), position(k, 12)) == k);
                ++k;
            } catch (const dfx::Error &e) {
                CHECK(e.stream_full());
                if (!e.stream_full()) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
        }
        CHECK(stream.wait(30000));
        CHECK(rec.chunks(Kind::ack) == upto(12));
        CHECK(rec.chunks(Kind::result) == upto(12));
    }

    // Out of order: the server's MISALIGNED_CHUNK as the chunk's error, then the end.
    {
        std::string mid = create_measurement(api);
        Recorder rec;
        dfx::MeasurementStream stream(api, mid, rec.handler());
        CHECK(stream.send_chunk(payload(0), dfx::ChunkPosition::middle) == 0);
        CHECK(stream.wait(30000));
        std::vector<dfx::StreamEvent> events = rec.snapshot();
        CHECK(rec.chunks(Kind::chunk_error) == upto(1));
        for (const auto &e : events) {
            if (e.kind != Kind::chunk_error) continue;
            CHECK(e.status == DFX_ERR_MISALIGNED_CHUNK);
            CHECK(e.json && e.json->find("MISALIGNED_CHUNK") != std::string::npos);
            CHECK(e.message && !e.message->empty());
            CHECK(e.error() && e.error()->status() == DFX_ERR_MISALIGNED_CHUNK);
        }
        CHECK(!events.empty() && events.back().kind == Kind::end &&
              events.back().status == DFX_ERR_MISALIGNED_CHUNK);
        CHECK(status_thrown([&] { stream.send_chunk(payload(1), dfx::ChunkPosition::first); }) ==
              DFX_ERR_STREAM_ENDED);
    }

    // An unknown measurement: the end says INVALID_MEASUREMENT. Bad arguments throw.
    {
        Recorder rec;
        dfx::MeasurementStream stream(api, "00000000-0000-4000-8000-000000000000", rec.handler());
        CHECK(status_thrown([&] { stream.send_chunk(nullptr, 0, dfx::ChunkPosition::first); }) ==
              DFX_ERR_INVALID_ARGUMENT);
        CHECK(status_thrown([&] { stream.send_chunk(payload(0), static_cast<dfx::ChunkPosition>(9)); }) ==
              DFX_ERR_INVALID_ARGUMENT);
        CHECK(stream.wait(30000));
        std::vector<dfx::StreamEvent> events = rec.snapshot();
        CHECK(!events.empty() && events.back().kind == Kind::end &&
              events.back().status == DFX_ERR_INVALID_MEASUREMENT);
        CHECK(status_thrown([&] { dfx::MeasurementStream bad(api, "", rec.handler()); }) ==
              DFX_ERR_INVALID_ARGUMENT);
    }

    // Destroyed (and move-assigned over) with chunks in flight: clean, and no
    // handler runs afterwards.
    {
        control("POST", "/_sandbox/results-delay", R"({"DelayMs": 200})");
        Recorder rec;
        std::string mid = create_measurement(api);
        auto stream = std::make_unique<dfx::MeasurementStream>(api, mid, rec.handler());
        for (std::uint32_t k = 0; k < 6; ++k) stream->send_chunk(payload(k), position(k, 6));
        {
            std::unique_lock<std::mutex> lock(rec.m);
            rec.cv.wait_for(lock, std::chrono::seconds(30), [&] { return rec.events.size() >= 2; });
        }
        stream.reset();
        std::size_t seen = rec.snapshot().size();
        Recorder other;
        dfx::MeasurementStream a(api, create_measurement(api), other.handler());
        a.send_chunk(payload(0), dfx::ChunkPosition::first);
        a = dfx::MeasurementStream(api, create_measurement(api), other.handler());
        a.close();
        a.close();
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        CHECK(rec.snapshot().size() == seen);
        CHECK(rec.chunks(Kind::end).empty());
        control("DELETE", "/_sandbox/faults");
    }

    CHECK(api.organization_unregister_license().ok());
    if (failures) std::fprintf(stderr, "%d checks failed\n", failures);
    else std::printf("dfx.hpp MeasurementStream: every check passed\n");
    return failures ? 1 : 0;
}
