-- wrk script for bench/live_bench.py. Everything comes from the environment:
--   BENCH_METHOD (GET|POST), BENCH_PATHS (comma-separated; one is picked per request),
--   BENCH_TOKEN (X-Session-Token), BENCH_BODY (POST body), BENCH_PORTS (comma-separated);
--   optionally BENCH_AUTH_HEADER (the token's header instead of X-Session-Token) and
--   BENCH_TICKETS (comma-separated; one replaces %TICKET% in the body per request:
--   bench/peer_bench.py, whose peer names the ticket in the body, not the path);
--   BENCH_DELAY_MS (each connection pauses after each answer, on average this long: a
--   paced load instead of as-fast-as-it-can).
-- Threads are spread over the ports as a load balancer would spread connections; the
-- summary is printed as one JSON line (latencies in microseconds).
local ports = {}
for p in string.gmatch(os.getenv("BENCH_PORTS"), "[^,]+") do table.insert(ports, p) end
local created = 0
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms and delay_ms > 0 then
  -- A think time drawn from an exponential distribution with that mean, as independent
  -- people pause: a fixed pause keeps all connections in step, and they then arrive in
  -- bursts of 16 at once.
  function delay() return math.floor(-math.log(1 - math.random()) * delay_ms) end
end

function setup(thread)
  created = created + 1
  local port = ports[((created - 1) % #ports) + 1]
  thread.addr = wrk.lookup("127.0.0.1", port)[1]
  thread:set("seed", created)
end

local paths = {}
local tickets = {}
function init(args)
  for p in string.gmatch(os.getenv("BENCH_PATHS"), "[^,]+") do table.insert(paths, p) end
  for t in string.gmatch(os.getenv("BENCH_TICKETS") or "", "[^,]+") do
    table.insert(tickets, t)
  end
  math.randomseed(seed * 7919 + os.time())
  wrk.method = os.getenv("BENCH_METHOD")
  local header = os.getenv("BENCH_AUTH_HEADER")
  if not header or header == "" then header = "X-Session-Token" end
  wrk.headers[header] = os.getenv("BENCH_TOKEN")
  wrk.headers["Accept"] = "application/json"
  local body = os.getenv("BENCH_BODY")
  if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  local path = paths[math.random(#paths)]
  if #tickets > 0 then
    local body = string.gsub(wrk.body, "%%TICKET%%", tickets[math.random(#tickets)])
    return wrk.format(nil, path, nil, body)
  end
  return wrk.format(nil, path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
