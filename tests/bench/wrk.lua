-- tests/bench/wrk.lua - the requests of `make bench` (tests/bench/bench.py),
-- configured from the environment:
--   BENCH_PATH     the request path
--   BENCH_COOKIE   a Cookie header for every request (the fixed session)
--   BENCH_COOKIES  a file of Cookie headers, one a line: each request takes
--                  the next (the random sessions), each thread from its own
--                  starting point
--   BENCH_KEY      an x-api-key header for every request
--   BENCH_BODIES   a file of signed webhook deliveries, "SIGNATURE<TAB>BODY"
--                  a line, POSTed to BENCH_PATH; thread i of n sends lines
--                  i, i+n, ... so no delivery is sent twice while the pool
--                  lasts
-- Every variant goes through request() with requests formatted in init(),
-- so wrk spends the same on each. done() prints one line for bench.py.

local threads = {}
local counter = 0

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

local reqs = {}
local n, i = 0, 0

local function lines(path)
	local t = {}
	for line in io.lines(path) do
		if #line > 0 then
			table.insert(t, line)
		end
	end
	return t
end

function init(args)
	local path = os.getenv("BENCH_PATH") or "/"
	local headers = {}
	if os.getenv("BENCH_COOKIE") then
		headers["Cookie"] = os.getenv("BENCH_COOKIE")
	end
	if os.getenv("BENCH_KEY") then
		headers["x-api-key"] = os.getenv("BENCH_KEY")
	end
	local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
	if os.getenv("BENCH_BODIES") then
		local all = lines(os.getenv("BENCH_BODIES"))
		for k = tid + 1, #all, nthreads do
			local tab = all[k]:find("\t", 1, true)
			local h = {
				["X-Optare-Signature"] = "sha256=" .. all[k]:sub(1, tab - 1),
				["Content-Type"] = "application/json",
			}
			table.insert(reqs, wrk.format("POST", path, h, all[k]:sub(tab + 1)))
		end
	elseif os.getenv("BENCH_COOKIES") then
		for _, c in ipairs(lines(os.getenv("BENCH_COOKIES"))) do
			headers["Cookie"] = c
			table.insert(reqs, wrk.format("GET", path, headers))
		end
		i = (tid * 3331) % #reqs
	else
		table.insert(reqs, wrk.format("GET", path, headers))
	end
	n = #reqs
end

function request()
	i = i % n + 1
	return reqs[i]
end

function done(summary, latency, requests)
	io.write(string.format(
	    "WRK requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f" ..
	    " max_us=%d status_errors=%d socket_errors=%d\n",
	    summary.requests, summary.duration, latency:percentile(50),
	    latency:percentile(99), latency.mean, latency.max,
	    summary.errors.status, summary.errors.connect + summary.errors.read +
	    summary.errors.write + summary.errors.timeout))
end
