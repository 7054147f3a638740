-- The crawl workload: every URL of a list requested once, in the list's (random) order.
-- Environment: KB_CRAWL_URLS (the list, one path a line), KB_CRAWL_THREADS (wrk's -t),
-- KB_CRAWL_DONE (a path prefix: each thread writes <prefix><id> when its share is answered,
-- and bench.pages then stops wrk with SIGINT, which prints the figures of the real run time),
-- KB_WRK_REPORT (wrk_report.lua, whose done() prints them as one JSON line); KB_CRAWL_LIMIT
-- (optional): only the list's first N URLs.
local threads = tonumber(os.getenv("KB_CRAWL_THREADS"))
local limit = tonumber(os.getenv("KB_CRAWL_LIMIT") or "0")  -- the first N URLs only (0: all)
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local urls, sent, answered, finished = {}, 0, 0, false

function init(args)
  local n = 0
  for line in io.lines(os.getenv("KB_CRAWL_URLS")) do
    if line ~= "" and (limit == 0 or n < limit) then
      -- Thread k takes lines k, k + threads, k + 2 * threads, ...: each URL once in all.
      if n % threads == id then urls[#urls + 1] = line end
      n = n + 1
    end
  end
end

function request()
  sent = sent + 1
  -- Past the end (a connection still open while the last answers come): the last URL
  -- again, a cache hit; at most one a connection, out of thousands.
  return wrk.format("GET", urls[math.min(sent, #urls)])
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #urls and not finished then
    finished = true
    local marker = io.open(os.getenv("KB_CRAWL_DONE") .. id, "w")
    marker:write(answered)
    marker:close()
    wrk.thread:stop()
  end
end

dofile(os.getenv("KB_WRK_REPORT"))
